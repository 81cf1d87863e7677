/**
 * A Job's spec checks (Kubernetes' validateJobSpec for batch/v1, v1.32):
 * counts, completion mode, the per-index backoff, the pod failure and
 * success policies, the pod replacement policy, and the pod template, which
 * must restart OnFailure or Never. The selector and update checks are in jobs.ts.
 */
import { dns1123Subdomain, invalid, qualifiedName, required } from '../../api/meta.js';
import type { LabelSelectorValue, TemplateValue } from '../apps/workload.js';
import { duplicate, invalidShown, nonNegative, notSupported } from '../core/fielderrors.js';
import { validatePodTemplate } from '../core/podspec.js';
import type { FieldError } from '../errors.js';

/** One podFailurePolicy rule as the checks read it. */
export interface PodFailurePolicyRule {
  action?: string | null;
  onExitCodes?: { containerName?: string | null; operator?: string | null; values?: number[] | null } | null;
  onPodConditions?: { type?: string | null; status?: string | null }[] | null;
}

/** JobSpec as the strategy reads it. */
export interface JobSpecValue {
  parallelism?: number | null;
  completions?: number | null;
  activeDeadlineSeconds?: number | null;
  podFailurePolicy?: { rules?: PodFailurePolicyRule[] | null } | null;
  successPolicy?: { rules?: { succeededIndexes?: string | null; succeededCount?: number | null }[] | null } | null;
  backoffLimit?: number | null;
  backoffLimitPerIndex?: number | null;
  maxFailedIndexes?: number | null;
  selector?: LabelSelectorValue | null;
  manualSelector?: boolean | null;
  template?: TemplateValue | null;
  ttlSecondsAfterFinished?: number | null;
  completionMode?: string | null;
  suspend?: boolean | null;
  podReplacementPolicy?: string | null;
  managedBy?: string | null;
}

const MAX_INDEXED_PARALLELISM = 100_000;
const MAX_FAILED_INDEXES = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const HIGH_COMPLETIONS_LIMIT = 10_000;
const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

/** Go's `%q` of a string slice: `["a" "b"]`. */
const goQuoted = (values: readonly string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** The checks of validateJobSpec, in Kubernetes' order. */
export function validateJobSpec(spec: JobSpecValue): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex'] as const) {
    errs.push(...nonNegative(`spec.${f}`, spec[f]));
  }
  if (spec.maxFailedIndexes != null) {
    errs.push(...nonNegative('spec.maxFailedIndexes', spec.maxFailedIndexes));
    if (spec.backoffLimitPerIndex == null) errs.push(required('spec.backoffLimitPerIndex', 'when maxFailedIndexes is specified'));
  }
  if (spec.managedBy != null) errs.push(...validateManagedBy(spec.managedBy));
  errs.push(...validateCompletionMode(spec));
  if (spec.podFailurePolicy != null) errs.push(...validatePodFailurePolicy(spec));
  if (spec.successPolicy != null) {
    if (spec.completionMode !== 'Indexed') errs.push(invalid('spec.successPolicy', spec.successPolicy, 'requires indexed completion mode'));
    else if (!spec.successPolicy.rules?.length) errs.push(required('spec.successPolicy.rules', 'at least one rules must be specified when the successPolicy is specified'));
  }
  if (spec.podReplacementPolicy != null) {
    const supported = spec.podFailurePolicy != null ? ['Failed'] : ['Failed', 'TerminatingOrFailed'];
    if (!supported.includes(spec.podReplacementPolicy)) errs.push(notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, supported));
  }
  errs.push(...validatePodTemplate(spec.template ?? {}, 'spec.template'));
  const policy = spec.template?.spec?.restartPolicy ?? '';
  const path = 'spec.template.spec.restartPolicy';
  if (policy === 'Always' || policy === '') errs.push(required(path, 'valid values: "OnFailure", "Never"'));
  else if (policy !== 'OnFailure' && policy !== 'Never') errs.push(notSupported(path, policy, ['OnFailure', 'Never']));
  else if (spec.podFailurePolicy != null && policy !== 'Never') errs.push(invalid(path, policy, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateManagedBy(managedBy: string): FieldError[] {
  const path = 'spec.managedBy';
  const errs: FieldError[] = [];
  if (managedBy === '') {
    errs.push(required(path));
  } else {
    const slash = managedBy.indexOf('/');
    const host = managedBy.slice(0, slash);
    const rest = managedBy.slice(slash + 1);
    if (slash <= 0 || rest === '') {
      errs.push(invalid(path, managedBy, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    } else {
      for (const e of dns1123Subdomain(host)) errs.push(invalid(path, host, e));
      if (!HTTP_PATH.test(rest)) errs.push(invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
    }
  }
  if (managedBy.length > 63) errs.push({ field: path, type: 'FieldValueTooLong', message: `${path}: Too long: may not be more than 63 bytes` });
  return errs;
}

function validateCompletionMode(spec: JobSpecValue): FieldError[] {
  const errs: FieldError[] = [];
  const mode = spec.completionMode;
  if (mode != null && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push(notSupported('spec.completionMode', mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed') {
    const { completions, parallelism, maxFailedIndexes, backoffLimitPerIndex } = spec;
    if (completions == null) errs.push(required('spec.completions', 'when completion mode is Indexed'));
    if (parallelism != null && parallelism > MAX_INDEXED_PARALLELISM) {
      errs.push(invalid('spec.parallelism', parallelism, `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`));
    }
    if (completions != null && maxFailedIndexes != null && maxFailedIndexes > completions) {
      errs.push(invalid('spec.maxFailedIndexes', maxFailedIndexes, 'must be less than or equal to completions'));
    }
    if (maxFailedIndexes != null && maxFailedIndexes > MAX_FAILED_INDEXES) {
      errs.push(invalid('spec.maxFailedIndexes', maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`));
    }
    if (completions != null && completions > COMPLETIONS_SOFT_LIMIT && backoffLimitPerIndex != null) {
      const why = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
      if (maxFailedIndexes == null) errs.push(required('spec.maxFailedIndexes', `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`));
      if (parallelism != null && parallelism > HIGH_COMPLETIONS_LIMIT) errs.push(invalid('spec.parallelism', parallelism, `must be less than or equal to ${HIGH_COMPLETIONS_LIMIT} ${why}`));
      if (maxFailedIndexes != null && maxFailedIndexes > HIGH_COMPLETIONS_LIMIT) {
        errs.push(invalid('spec.maxFailedIndexes', maxFailedIndexes, `must be less than or equal to ${HIGH_COMPLETIONS_LIMIT} ${why}`));
      }
    }
  }
  if (mode == null || mode === 'NonIndexed') {
    if (spec.backoffLimitPerIndex != null) errs.push(invalid('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (spec.maxFailedIndexes != null) errs.push(invalid('spec.maxFailedIndexes', spec.maxFailedIndexes, 'requires indexed completion mode'));
  }
  return errs;
}

/** A field error whose value Kubernetes leaves out (field.OmitValueType). */
function invalidOmitted(field: string, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', message: `${field}: Invalid value: ${detail}` };
}

function validatePodFailurePolicy(spec: JobSpecValue): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const key of ['containers', 'initContainers']) {
    for (const c of (spec.template?.spec?.[key] ?? []) as { name?: string }[]) if (c.name) names.add(c.name);
  }
  (spec.podFailurePolicy?.rules ?? []).forEach((rule, i) => {
    const p = `spec.podFailurePolicy.rules[${i}]`;
    if (!rule.action) errs.push(required(`${p}.action`, `valid values: ${goQuoted(ACTIONS)}`));
    else if (rule.action === 'FailIndex') {
      if (spec.backoffLimitPerIndex == null) errs.push(invalid(`${p}.action`, rule.action, 'requires the backoffLimitPerIndex to be set'));
    } else if (!ACTIONS.includes(rule.action)) errs.push(notSupported(`${p}.action`, rule.action, ACTIONS));
    const codes = rule.onExitCodes;
    if (codes != null) errs.push(...validateOnExitCodes(codes, `${p}.onExitCodes`, names));
    const conditions = rule.onPodConditions ?? [];
    conditions.forEach((c, j) => {
      const cp = `${p}.onPodConditions[${j}]`;
      for (const e of qualifiedName(c.type ?? '')) errs.push(invalid(`${cp}.type`, c.type ?? '', e));
      if (!c.status) errs.push(required(`${cp}.status`, `valid values: ${goQuoted(CONDITION_STATUSES)}`));
      else if (!CONDITION_STATUSES.includes(c.status)) errs.push(notSupported(`${cp}.status`, c.status, CONDITION_STATUSES));
    });
    if (codes != null && conditions.length > 0) errs.push(invalidOmitted(p, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (codes == null && conditions.length === 0) errs.push(invalidOmitted(p, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return errs;
}

function validateOnExitCodes(codes: NonNullable<PodFailurePolicyRule['onExitCodes']>, path: string, containers: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!codes.operator) errs.push(required(`${path}.operator`, `valid values: ${goQuoted(['In', 'NotIn'])}`));
  else if (codes.operator !== 'In' && codes.operator !== 'NotIn') errs.push(notSupported(`${path}.operator`, codes.operator, ['In', 'NotIn']));
  if (codes.containerName != null && !containers.has(codes.containerName)) {
    errs.push(invalid(`${path}.containerName`, codes.containerName, 'must be one of the container or initContainer names in the pod template'));
  }
  const values = codes.values ?? [];
  if (values.length === 0) errs.push(invalidShown(`${path}.values`, '[]int32(nil)', 'at least one value is required'));
  const seen = new Set<number>();
  let ordered = true;
  values.forEach((v, j) => {
    if (codes.operator === 'In' && v === 0) errs.push(invalid(`${path}.values[${j}]`, v, 'must not be 0 for the In operator'));
    if (seen.has(v)) errs.push(duplicate(`${path}.values[${j}]`, v));
    seen.add(v);
    if (j > 0 && values[j - 1]! > v) ordered = false;
  });
  if (!ordered) errs.push(invalidShown(`${path}.values`, `[]int32{${values.join(', ')}}`, 'must be ordered'));
  return errs;
}
