/**
 * What the workload kinds (Deployment, ReplicaSet, DaemonSet, Job) do
 * alike: one strategy shape (workloadStrategy: the checks in Kubernetes'
 * order, /status, merge keys, and a generation that counts spec changes as
 * Semantic.DeepEqual compares them), a label selector and its match with
 * the pod template's labels, rolling update strategies, immutable fields,
 * and the values of messages rendered as kube-apiserver v1.32 renders them
 * (Go's `%#v`: `v1.LabelSelector{...}`, `intstr.IntOrString{...}`). The
 * messages themselves are core/fielderrors.ts's.
 */
import type { z } from 'zod';
import { dns1123Subdomain, invalid, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { IMMUTABLE, forbidden, goStringMap, invalidShown, nonNegative, notSupported, notSupportedShown } from '../core/fielderrors.js';
import { defaultPodSpec, labelSelectorMatches, podSpecMergeKeys, validateLabelSelector, validatePodTemplate } from '../core/podspec.js';
import type { FieldError } from '../errors.js';
import type { MergeKeys } from '../patch.js';
import type { Printer } from '../printer.js';
import type { ResourceInfo, Strategy } from '../strategy.js';

/** metav1.LabelSelector as the strategies read it (the schema's shape, every field possibly null). */
export interface LabelSelectorValue {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: readonly { key?: string | null; operator?: string | null; values?: readonly string[] | null }[] | null;
}

/** A pod template as the strategies read it. */
export interface TemplateValue {
  metadata?: { labels?: Record<string, string> | null; annotations?: Record<string, string> | null } | null;
  spec?: { restartPolicy?: string | null; activeDeadlineSeconds?: number | null; [field: string]: unknown } | null;
}

/** The spec fields every workload kind shares. */
export interface WorkloadSpecValue {
  selector?: LabelSelectorValue | null;
  template?: TemplateValue | null;
}

/** What a workload kind gives workloadStrategy: its names, schema, defaults and own checks. */
export interface WorkloadKind {
  readonly info: ResourceInfo;
  readonly schema: z.ZodType<KubeObject>;
  readonly defaults: (obj: KubeObject) => void;
  /** The kind's checks beyond its metadata (old: the stored object, on an update). */
  readonly validateSpec: (obj: KubeObject, old?: KubeObject) => FieldError[];
  /** An update's checks against the stored object; without it, `spec.selector` may not change. */
  readonly validateUpdate?: (obj: KubeObject, old: KubeObject) => FieldError[];
  /** The status's checks (old: the stored status, on an update). */
  readonly validateStatus: (status: Readonly<Record<string, unknown>>, old?: Readonly<Record<string, unknown>>) => FieldError[];
  /** Whether an update with the same spec is a new generation all the same (a Deployment's new annotations). */
  readonly newGeneration?: (obj: KubeObject, old: KubeObject) => boolean;
  /** What the kind changes on an update after its generation is counted (a DaemonSet's template generation). */
  readonly prepareUpdate?: (obj: KubeObject, old: KubeObject) => void;
  /** What a write to /status keeps as stored beyond the spec (Strategy.statusResetFields: a Deployment's labels). */
  readonly statusResetFields?: Strategy['statusResetFields'];
  /** The kind has `/scale`. */
  readonly scale?: boolean;
  readonly fields?: (obj: KubeObject) => Record<string, string>;
  readonly printer?: Printer;
}

/** A workload kind's strategy: its hooks and merge keys always there (to call as the store does), and the kind's optional ones it was given. */
export type WorkloadStrategy<K extends WorkloadKind = WorkloadKind> = Strategy &
  Pick<K, Extract<keyof K, 'scale' | 'fields' | 'printer'>> & {
    defaults(obj: KubeObject): void;
    prepareUpdate(obj: KubeObject, old: KubeObject): void;
    readonly mergeKeys: MergeKeys;
  };

/**
 * The strategy of a workload kind: namespaced objects with /status (a new
 * one's status cleared), a generation, the workload merge keys, and
 * validation in Kubernetes' order: metadata, the kind's spec checks, an
 * update's checks (the selector's immutability unless the kind has its
 * own), the status. An update is a new generation when its spec differs as
 * Kubernetes' Semantic.DeepEqual sees it (an empty list or map is no
 * change) or when the kind says so.
 */
export function workloadStrategy<K extends WorkloadKind>(kind: K): WorkloadStrategy<K> {
  const { validateSpec, validateUpdate, validateStatus, newGeneration, prepareUpdate, statusResetFields, scale, fields, printer } = kind;
  const strategy: WorkloadStrategy = {
    info: kind.info,
    schema: kind.schema,
    defaults: kind.defaults,
    validate(obj, old) {
      const errs = validateMeta(obj.metadata, dns1123Subdomain);
      errs.push(...validateSpec(obj, old));
      if (old) errs.push(...(validateUpdate ? validateUpdate(obj, old) : selectorImmutable(specOf(obj), specOf(old))));
      errs.push(...validateStatus(statusOf(obj), old && statusOf(old)));
      return errs;
    },
    prepareUpdate(obj, old) {
      const changed = !semanticEqual(obj.spec, old.spec) || newGeneration?.(obj, old) === true;
      obj.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
      prepareUpdate?.(obj, old);
    },
    hasGeneration: true,
    status: { onCreate: 'clear' },
    mergeKeys: workloadMergeKeys(),
    ...(statusResetFields ? { statusResetFields } : {}),
    ...(scale ? { scale } : {}),
    ...(fields ? { fields } : {}),
    ...(printer ? { printer } : {}),
  };
  return strategy as WorkloadStrategy<K>; // it has the kind's scale, fields and printer when the kind has them
}

/**
 * The names of a workload kind as discovery lists them: namespaced, in the
 * `all` category, its resource the lower-case kind with an `s`.
 */
export function workloadInfo(group: string, kind: string, shortNames?: readonly string[]): ResourceInfo {
  const singular = kind.toLowerCase();
  return { group, version: 'v1', kind, resource: `${singular}s`, singular, namespaced: true, ...(shortNames ? { shortNames } : {}), categories: ['all'] };
}

/** An object's spec as the shared checks read it. */
function specOf(obj: KubeObject): WorkloadSpecValue {
  return (obj.spec ?? {}) as WorkloadSpecValue;
}

/** An object's status as the status checks read it. */
function statusOf(obj: KubeObject): Record<string, unknown> {
  return (obj.status ?? {}) as Record<string, unknown>;
}

const q = (s: string): string => JSON.stringify(s);

/** A *metav1.LabelSelector as a validation message shows it. */
export function goLabelSelector(sel: LabelSelectorValue | null | undefined): string {
  if (sel == null) return 'null';
  const exprs = sel.matchExpressions;
  const reqs =
    exprs == null
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((r) => {
            const values = r.values == null ? '[]string(nil)' : `[]string{${r.values.map(q).join(', ')}}`;
            return `v1.LabelSelectorRequirement{Key:${q(r.key ?? '')}, Operator:${q(r.operator ?? '')}, Values:${values}}`;
          })
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${reqs}}`;
}

/** An intstr.IntOrString as a validation message shows it. */
export function goIntOrString(v: string | number | null | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${q(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

/** Whether a selector has neither matchLabels nor matchExpressions. */
export function selectorEmpty(sel: LabelSelectorValue): boolean {
  return Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0;
}

/**
 * Whether a (valid) selector selects `labels`. A missing selector selects
 * nothing and an empty one everything, as metav1.LabelSelectorAsSelector has it.
 */
export function selects(sel: LabelSelectorValue | null | undefined, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  return labelSelectorMatches(sel, labels) === true;
}

/** The template's labels do not match the selector: Kubernetes' error on `<path>.metadata.labels`. */
export function labelsMismatch(template: TemplateValue | null | undefined, path: string): FieldError {
  return invalidShown(`${path}.metadata.labels`, goStringMap(template?.metadata?.labels), '`selector` does not match template `labels`');
}

/** The strategic-merge-patch keys of a workload: its pod template's (spec and metadata) and its status conditions' (by type). */
export function workloadMergeKeys(): MergeKeys {
  return {
    ...podSpecMergeKeys('spec.template.spec'),
    'spec.template.metadata.finalizers': '',
    'spec.template.metadata.ownerReferences': 'uid',
    'status.conditions': 'type',
  };
}

/** Fills `spec.template` and its pod spec's defaults (the pod helper's defaultPodSpec). */
export function defaultTemplate(spec: { template?: unknown }): void {
  const template = (spec.template ??= {}) as { spec?: Record<string, unknown> | null };
  defaultPodSpec((template.spec ??= {}));
}

/**
 * The checks of a selector that must be set and not empty (Deployment,
 * ReplicaSet), then of the template against it, in Kubernetes' order: the
 * selector's own errors; with a selector that parses, the template's labels
 * against it and the pod template itself; its restartPolicy must be Always
 * and activeDeadlineSeconds unset (the message names ReplicaSet for both kinds,
 * as Kubernetes' does).
 */
export function validateReplicaSelectorAndTemplate(spec: WorkloadSpecValue, kindWord: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  let parses = true;
  if (sel == null) {
    errs.push(required('spec.selector'));
  } else {
    const selErrs = validateLabelSelector(sel, 'spec.selector');
    parses = selErrs.length === 0;
    errs.push(...selErrs);
    if (selectorEmpty(sel)) errs.push(invalidShown('spec.selector', goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  }
  if (!parses) {
    errs.push(invalidShown('spec.selector', goLabelSelector(sel), 'invalid label selector'));
    return errs;
  }
  const template = spec.template;
  if (sel == null || (!selectorEmpty(sel) && !selects(sel, template?.metadata?.labels))) errs.push(labelsMismatch(template, 'spec.template'));
  errs.push(...validatePodTemplate(template ?? {}, 'spec.template'));
  errs.push(...alwaysRestarts(template, 'ReplicaSet'));
  return errs;
}

/** The template of a kind whose pods run for ever: restartPolicy Always, no activeDeadlineSeconds. */
export function alwaysRestarts(template: TemplateValue | null | undefined, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  const policy = template?.spec?.restartPolicy ?? '';
  if (policy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', policy, ['Always']));
  if (template?.spec?.activeDeadlineSeconds != null) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

/** `spec.selector` may not change once set (apps/v1 and batch/v1 updates). */
export function selectorImmutable(spec: WorkloadSpecValue, old: WorkloadSpecValue): FieldError[] {
  return semanticEqual(spec.selector, old.selector) ? [] : [invalidShown('spec.selector', goLabelSelector(spec.selector), IMMUTABLE)];
}

type IntOrPercent = string | number | null | undefined;

/** A Deployment's `strategy` or a DaemonSet's `updateStrategy`, as the checks read them. */
export interface UpdateStrategyValue {
  type?: string | null;
  rollingUpdate?: { maxUnavailable?: IntOrPercent; maxSurge?: IntOrPercent } | null;
}

/** Fills an update strategy's defaults: RollingUpdate, and a rolling update's unset maxUnavailable and maxSurge. */
export function defaultRollingUpdate(strategy: UpdateStrategyValue, maxUnavailable: string | number, maxSurge: string | number): void {
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type !== 'RollingUpdate') return;
  const ru = (strategy.rollingUpdate ??= {});
  ru.maxUnavailable ??= maxUnavailable;
  ru.maxSurge ??= maxSurge;
}

/**
 * An update strategy of an unknown type, shown as Go's `%#v` shows the
 * internal `apps.<goType>` (a set rollingUpdate as a pointer of `apps.<rollingType>`).
 */
export function unsupportedStrategy(path: string, s: UpdateStrategyValue | null | undefined, goType: string, rollingType: string, supported: readonly string[]): FieldError {
  const ru = s?.rollingUpdate == null ? `(*apps.${rollingType})(nil)` : `(*apps.${rollingType})(0xc000000000)`;
  return notSupportedShown(path, `apps.${goType}{Type:${q(s?.type ?? '')}, RollingUpdate:${ru}}`, supported);
}

/** A rolling update's maxUnavailable and maxSurge checks (ValidatePositiveIntOrPercent each), at `<path>.<field>`. */
export function validateRollingValues(ru: NonNullable<UpdateStrategyValue['rollingUpdate']>, path: string): FieldError[] {
  return [...validateIntOrPercent(ru.maxUnavailable, `${path}.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${path}.maxSurge`)];
}

const PERCENT = /^[0-9]+%$/;

/** Kubernetes' ValidatePositiveIntOrPercent: a non-negative int or a `<digits>%` string. */
export function validateIntOrPercent(v: IntOrPercent, path: string): FieldError[] {
  if (typeof v === 'string') {
    return PERCENT.test(v)
      ? []
      : [invalidShown(path, goIntOrString(v), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  return nonNegative(path, v);
}

/** An IntOrString's number: a percent's digits, an int, or a numeric string's value (0 when none), as Kubernetes reads it. */
export function intOrPercentValue(v: IntOrPercent): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  if (PERCENT.test(v)) return Number(v.slice(0, -1));
  return /^[+-]?\d+$/.test(v) ? Number(v) : 0;
}

/** Kubernetes' IsNotMoreThan100Percent: a percent above 100 is an error (ints pass). */
export function notMoreThan100Percent(v: IntOrPercent, path: string): FieldError[] {
  return typeof v === 'string' && PERCENT.test(v) && Number(v.slice(0, -1)) > 100 ? [invalidShown(path, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** Each `status.<field>` that is negative (ValidateNonnegativeField). */
export function nonNegativeStatus(status: Readonly<Record<string, unknown>>, fields: readonly string[]): FieldError[] {
  return fields.flatMap((f) => nonNegative(`status.${f}`, status[f]));
}

/** status.collisionCount may only grow (a status write that lowers or clears it is invalid; a create has no old status). */
export function collisionCountDecremented(status: Readonly<Record<string, unknown>>, old: Readonly<Record<string, unknown>> | undefined): FieldError[] {
  const was = old?.collisionCount as number | null | undefined;
  const now = status.collisionCount as number | null | undefined;
  if (was == null || (now != null && now >= was)) return [];
  return [invalid('status.collisionCount', now ?? 0, 'cannot be decremented')];
}

/** Each `status.<field>` larger than `status.<than>`: `cannot be greater than status.<than>` (or `<than>` as the message names it). */
export function notAbove(status: Readonly<Record<string, unknown>>, fields: readonly string[], than: string, detail = `cannot be greater than status.${than}`): FieldError[] {
  const limit = (status[than] as number | null | undefined) ?? 0;
  return fields.flatMap((f) => {
    const v = (status[f] as number | null | undefined) ?? 0;
    return v > limit ? [invalid(`status.${f}`, v, detail)] : [];
  });
}

/**
 * Kubernetes' Semantic.DeepEqual over JSON values: a missing field, null, an
 * empty list and an empty map are all the same (nil and empty are equal in
 * Go's semantic comparison); key order does not matter.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => semanticEqual(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.values(v).every(isEmpty);
}
