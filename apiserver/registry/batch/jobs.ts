/**
 * jobs (batch/v1): defaults as SetDefaults_Job (1 completion and 1 pod at
 * a time when neither is set, 6 retries, NonIndexed, not suspended, pods
 * replaced once TerminatingOrFailed, no manual selector, the job's labels
 * from its template's), the selector Kubernetes generates from the job's uid
 * with the labels it adds to the template, and validation as ValidateJob
 * with Kubernetes' messages: a template whose pods restart OnFailure or
 * Never, and a selector, completions, mode and template that do not change
 * (but the scheduling directives of a suspended job that never started).
 */
import { Job } from '../../api/batch/v1.js';
import { dns1123Label, invalid, required, type KubeObject } from '../../api/meta.js';
import { goLabelSelector, labelsMismatch, nonNegativeStatus, selectorImmutable, selects, semanticEqual, workloadInfo, workloadStrategy, type TemplateValue } from '../apps/workload.js';
import { IMMUTABLE, duplicate, goStringMap, invalidShown } from '../core/fielderrors.js';
import { defaultPodSpec, validateLabelSelector } from '../core/podspec.js';
import type { FieldError } from '../errors.js';
import { jobPrinter } from '../printers/workloads.js';
import { validateJobSpec, type JobSpecValue } from './jobspec.js';
import { copyJson } from '../copy.js';

/** The labels that tie a Job's pods to it: the generated selector selects the uid's. */
export const JOB_LABELS = {
  legacyJobName: 'job-name',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  controllerUid: 'batch.kubernetes.io/controller-uid',
} as const;

interface JobStatusValue {
  startTime?: string | null;
  succeeded?: number | null;
  [field: string]: unknown;
}

/**
 * Kubernetes' batch/v1 defaults of a Job (only what is unset) and, unless
 * manualSelector is true, its generated selector and template labels (on
 * create: the stored selector of an update already selects the uid). The
 * uid is the generic store's, set before defaults run on create.
 */
export function defaultJob(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as JobSpecValue;
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  const template = (spec.template ??= {});
  const templateLabels = template.metadata?.labels;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const c of rule.onPodConditions ?? []) if (!c.status) c.status = 'True';
  }
  spec.podReplacementPolicy ??= spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed';
  spec.manualSelector ??= false;
  if (!spec.manualSelector && spec.selector?.matchLabels?.[JOB_LABELS.controllerUid] === undefined) generateSelector(obj, spec, template);
  // a job without labels takes its template's (Kubernetes shares the map, so the generated ones come along)
  if (templateLabels != null && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...template.metadata?.labels };
  defaultPodSpec((template.spec ??= {}));
  obj.status ??= {};
}

/** Kubernetes' generateSelector: the template's name and uid labels (unless set) and a selector of the uid. */
function generateSelector(obj: KubeObject, spec: JobSpecValue, template: TemplateValue): void {
  const name = obj.metadata.name ?? '';
  const uid = obj.metadata.uid ?? '';
  const labels = ((template.metadata ??= {}).labels ??= {});
  for (const k of [JOB_LABELS.legacyJobName, JOB_LABELS.jobName]) labels[k] ??= name;
  for (const k of [JOB_LABELS.legacyControllerUid, JOB_LABELS.controllerUid]) labels[k] ??= uid;
  const matchLabels = ((spec.selector ??= {}).matchLabels ??= {});
  matchLabels[JOB_LABELS.controllerUid] ??= uid;
}

/** Kubernetes' ValidateHasLabel on the template's metadata. */
function hasLabel(template: TemplateValue | null | undefined, key: string, want: string): FieldError[] {
  const labels = template?.metadata?.labels;
  const field = `spec.template.metadata.labels[${key}]`;
  if (labels?.[key] === undefined) return [required(field, `must be '${want}'`)];
  return labels[key] === want ? [] : [invalidShown(field, goStringMap(labels), `must be '${want}'`)];
}

/** validateGeneratedSelector: a generated selector's labels are on the template and select this job's. */
function validateGeneratedSelector(obj: KubeObject, spec: JobSpecValue, prefixedLabels: boolean): FieldError[] {
  if (spec.manualSelector === true || spec.selector == null) return [];
  const errs: FieldError[] = [];
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  if (!uid) errs.push(required('metadata.uid'));
  errs.push(...hasLabel(spec.template, JOB_LABELS.legacyControllerUid, uid), ...hasLabel(spec.template, JOB_LABELS.legacyJobName, name));
  const expected: Record<string, string> = { [JOB_LABELS.legacyControllerUid]: uid, [JOB_LABELS.legacyJobName]: name };
  if (prefixedLabels) {
    errs.push(...hasLabel(spec.template, JOB_LABELS.controllerUid, uid), ...hasLabel(spec.template, JOB_LABELS.jobName, name));
    expected[JOB_LABELS.controllerUid] = uid;
    expected[JOB_LABELS.jobName] = name;
  }
  if (validateLabelSelector(spec.selector, 'spec.selector').length === 0 && !selects(spec.selector, expected)) {
    errs.push(invalidShown('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return errs;
}

/** The template as it may change: a suspended job that never started may change its scheduling directives. */
function comparableTemplate(template: TemplateValue | null | undefined, mutableScheduling: boolean): unknown {
  if (!mutableScheduling || template == null) return template;
  const t = copyJson(template) as { metadata?: Record<string, unknown> | null; spec?: Record<string, unknown> | null };
  for (const k of ['labels', 'annotations']) delete t.metadata?.[k];
  for (const k of ['nodeSelector', 'tolerations', 'schedulingGates']) delete t.spec?.[k];
  delete (t.spec?.affinity as Record<string, unknown> | null | undefined)?.nodeAffinity;
  return t;
}

/** ValidateJobSpecUpdate's immutability checks. */
function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as JobSpecValue;
  const oldSpec = (old.spec ?? {}) as JobSpecValue;
  const errs: FieldError[] = [];
  if (!semanticEqual(spec.completions, oldSpec.completions)) {
    // an Indexed job may scale: completions change with parallelism (ElasticIndexedJob)
    if (spec.completionMode !== 'Indexed') errs.push(invalid('spec.completions', spec.completions ?? null, IMMUTABLE));
    else if (spec.completions != null && spec.completions !== spec.parallelism) {
      errs.push(invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  }
  errs.push(...selectorImmutable(spec, oldSpec));
  const oldStatus = (old.status ?? {}) as JobStatusValue;
  const mutableScheduling = oldSpec.suspend === true && oldStatus.startTime == null;
  if (!semanticEqual(comparableTemplate(spec.template, mutableScheduling), comparableTemplate(oldSpec.template, mutableScheduling))) {
    errs.push(invalid('spec.template', spec.template ?? null, IMMUTABLE));
  }
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy'] as const) {
    if (!semanticEqual(spec[f], oldSpec[f])) errs.push(invalid(`spec.${f}`, spec[f] ?? null, IMMUTABLE));
  }
  return errs;
}

/** The basic checks of validateJobStatus. */
function validateStatus(status: Readonly<Record<string, unknown>>): FieldError[] {
  const errs = nonNegativeStatus(status, ['active', 'succeeded', 'failed', 'ready', 'terminating']);
  const uncounted = status.uncountedTerminatedPods as { succeeded?: string[] | null; failed?: string[] | null } | null | undefined;
  const seen = new Set<string>();
  for (const k of ['succeeded', 'failed'] as const) {
    (uncounted?.[k] ?? []).forEach((uid, i) => {
      const p = `status.uncountedTerminatedPods.${k}[${i}]`;
      if (uid === '') errs.push(invalid(p, uid, 'must not be empty'));
      else if (seen.has(uid)) errs.push(duplicate(p, uid));
      seen.add(uid);
    });
  }
  return errs;
}

/** ValidateJob's checks beyond the metadata (old: an update's stored job, for the labels it requires). */
function validateSpec(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as JobSpecValue;
  // an update checks the prefixed labels only when the old template had both (jobs from before they existed)
  const oldLabels = ((old?.spec ?? {}) as JobSpecValue).template?.metadata?.labels ?? {};
  const prefixed = !old || (JOB_LABELS.jobName in oldLabels && JOB_LABELS.controllerUid in oldLabels);
  const errs = validateGeneratedSelector(obj, spec, prefixed);
  errs.push(...validateJobSpec(spec));
  let parses = true;
  if (spec.selector == null) {
    errs.push(required('spec.selector'));
  } else {
    const selErrs = validateLabelSelector(spec.selector, 'spec.selector');
    parses = selErrs.length === 0;
    errs.push(...selErrs);
  }
  if (parses && !selects(spec.selector, spec.template?.metadata?.labels)) errs.push(labelsMismatch(spec.template, 'spec.template'));
  if (spec.completionMode === 'Indexed' && spec.completions != null && spec.completions > 0) {
    // the pods' hostnames are <name>-<index>: the last one must be a DNS label
    const hostname = `${obj.metadata.name ?? ''}-${spec.completions - 1}`;
    if (dns1123Label(hostname).length > 0) errs.push(invalid('metadata.name', obj.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
  }
  return errs;
}

/** batch/v1 jobs: namespaced, in `all`, with /status; `status.successful` selectable. */
export const jobs = workloadStrategy({
  info: workloadInfo('batch', 'Job'),
  schema: Job,
  defaults: defaultJob,
  validateSpec,
  validateUpdate,
  validateStatus,
  fields: (obj) => ({ 'status.successful': String((obj.status as JobStatusValue | undefined)?.succeeded ?? 0) }),
  printer: jobPrinter,
});
