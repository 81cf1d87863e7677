/**
 * What the workload kinds (Deployment, ReplicaSet, DaemonSet, Job) check
 * alike: a label selector and its match with the pod template's labels,
 * non-negative counts, immutable fields, and the messages' values rendered
 * as kube-apiserver v1.32 renders them (Go's `%#v` for maps and structs:
 * `map[string]string{"app":"web"}`, `v1.LabelSelector{...}`).
 */
import { invalid, required } from '../../api/meta.js';
import { defaultPodSpec, labelSelectorMatches, podSpecMergeKeys, validateLabelSelector, validatePodTemplate } from '../core/podspec.js';
import type { FieldError } from '../errors.js';
import type { MergeKeys } from '../patch.js';

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

/** Kubernetes' message for a value that may not change. */
export const IMMUTABLE = 'field is immutable';

const q = (s: string): string => JSON.stringify(s);

/** A map[string]string as Go's `%#v` prints it (keys sorted, nil as `(nil)`). */
export function goStringMap(m: Readonly<Record<string, string>> | null | undefined): string {
  if (m == null) return 'map[string]string(nil)';
  const pairs = Object.keys(m)
    .sort()
    .map((k) => `${q(k)}:${q(m[k]!)}`);
  return `map[string]string{${pairs.join(', ')}}`;
}

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

/** `field: Invalid value: <rendered>: detail`, for a value rendered the Go way. */
export function invalidAs(field: string, rendered: string, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', message: `${field}: Invalid value: ${rendered}: ${detail}` };
}

/** `field: Unsupported value: <rendered>: supported values: "a", "b"`. */
export function notSupported(field: string, rendered: string, supported: readonly string[]): FieldError {
  return { field, type: 'FieldValueNotSupported', message: `${field}: Unsupported value: ${rendered}: supported values: ${supported.map(q).join(', ')}` };
}

/** `field: Forbidden: detail`. */
export function forbidden(field: string, detail: string): FieldError {
  return { field, type: 'FieldValueForbidden', message: `${field}: Forbidden: ${detail}` };
}

/** `field: Duplicate value: <value>`. */
export function duplicate(field: string, value: unknown): FieldError {
  return { field, type: 'FieldValueDuplicate', message: `${field}: Duplicate value: ${JSON.stringify(value)}` };
}

/** Kubernetes' ValidateNonnegativeField (unset values pass). */
export function nonNegative(value: number | null | undefined, field: string): FieldError[] {
  return value != null && value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
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
  return invalidAs(`${path}.metadata.labels`, goStringMap(template?.metadata?.labels), '`selector` does not match template `labels`');
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
    if (selectorEmpty(sel)) errs.push(invalidAs('spec.selector', goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  }
  if (!parses) {
    errs.push(invalidAs('spec.selector', goLabelSelector(sel), 'invalid label selector'));
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
  if (policy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', q(policy), ['Always']));
  if (template?.spec?.activeDeadlineSeconds != null) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

/** `spec.selector` may not change once set (apps/v1 and batch/v1 updates). */
export function selectorImmutable(spec: WorkloadSpecValue, old: WorkloadSpecValue): FieldError[] {
  return semanticEqual(spec.selector, old.selector) ? [] : [invalidAs('spec.selector', goLabelSelector(spec.selector), IMMUTABLE)];
}

const PERCENT = /^[0-9]+%$/;

/** Kubernetes' ValidatePositiveIntOrPercent: a non-negative int or a `<digits>%` string. */
export function validateIntOrPercent(v: string | number | null | undefined, path: string): FieldError[] {
  if (typeof v === 'string') {
    return PERCENT.test(v)
      ? []
      : [invalidAs(path, goIntOrString(v), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  return nonNegative(v, path);
}

/** An IntOrString's number: a percent's digits, an int, or a numeric string's value (0 when none), as Kubernetes reads it. */
export function intOrPercentValue(v: string | number | null | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  if (PERCENT.test(v)) return Number(v.slice(0, -1));
  return /^[+-]?\d+$/.test(v) ? Number(v) : 0;
}

/** Kubernetes' IsNotMoreThan100Percent: a percent above 100 is an error (ints pass). */
export function notMoreThan100Percent(v: string | number | null | undefined, path: string): FieldError[] {
  return typeof v === 'string' && PERCENT.test(v) && Number(v.slice(0, -1)) > 100 ? [invalidAs(path, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** status.collisionCount may only grow (a status write that lowers or clears it is invalid). */
export function collisionCountDecremented(status: { collisionCount?: number | null } | null | undefined, old: { collisionCount?: number | null } | null | undefined): FieldError[] {
  const was = old?.collisionCount;
  const now = status?.collisionCount;
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
