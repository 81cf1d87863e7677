/**
 * daemonsets (apps/v1): a RollingUpdate of maxUnavailable 1, maxSurge 0 and
 * 10 revisions kept by default, the pod template's defaults, and the
 * template generation annotation (1 on create, one more on each update that
 * changes the template, and never what a client writes); validation as
 * ValidateDaemonSet with Kubernetes' messages, and a selector that may not change.
 */
import { DaemonSet } from '../../api/apps/v1.js';
import { required, type KubeObject } from '../../api/meta.js';
import { invalidShown, nonNegative } from '../core/fielderrors.js';
import { validateLabelSelector, validatePodTemplate } from '../core/podspec.js';
import type { FieldError } from '../errors.js';
import { daemonSetPrinter } from '../printers/workloads.js';
import {
  alwaysRestarts,
  collisionCountDecremented,
  defaultRollingUpdate,
  defaultTemplate,
  goIntOrString,
  goLabelSelector,
  intOrPercentValue,
  labelsMismatch,
  nonNegativeStatus,
  notMoreThan100Percent,
  selectorEmpty,
  selects,
  semanticEqual,
  unsupportedStrategy,
  validateRollingValues,
  workloadInfo,
  workloadStrategy,
  type UpdateStrategyValue,
  type WorkloadSpecValue,
} from './workload.js';

interface DaemonSetSpec extends WorkloadSpecValue {
  updateStrategy?: UpdateStrategyValue | null;
  minReadySeconds?: number | null;
  revisionHistoryLimit?: number | null;
}

/**
 * The annotation that carries a DaemonSet's template generation in apps/v1
 * (Kubernetes keeps it as a spec field internally and shows it here).
 */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** The status counters Kubernetes always writes (they have no omitempty). */
const ALWAYS_WRITTEN = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] as const;

/** The template generation an object's annotation holds (as Go's ParseInt reads it: a sign and digits), else undefined. */
function templateGeneration(obj: KubeObject): number | undefined {
  const v = obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v !== undefined && /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

function setTemplateGeneration(obj: KubeObject, generation: number): void {
  obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION_ANNOTATION]: String(generation) };
}

/**
 * Kubernetes' apps/v1 defaults of a DaemonSet (only what is unset), its pod
 * template's included, and a new DaemonSet's template generation: the
 * annotation's value when it is at least 1, else 1 (an update's is
 * prepareUpdate's, whatever the body says).
 */
export function defaultDaemonSet(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as DaemonSetSpec;
  defaultRollingUpdate((spec.updateStrategy ??= {}), 1, 0);
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec);
  setTemplateGeneration(obj, Math.max(templateGeneration(obj) ?? 1, 1));
  const status = (obj.status ??= {}) as Record<string, unknown>;
  for (const f of ALWAYS_WRITTEN) status[f] ??= 0;
}

/** An update's template generation: the stored one, one more when the template changes (Kubernetes' PrepareForUpdate). */
function prepareUpdate(obj: KubeObject, old: KubeObject): void {
  const changed = !semanticEqual((obj.spec as DaemonSetSpec | undefined)?.template, (old.spec as DaemonSetSpec | undefined)?.template);
  setTemplateGeneration(obj, (templateGeneration(old) ?? 0) + (changed ? 1 : 0));
}

/** ValidateDaemonSetUpdateStrategy: exactly one of maxUnavailable and maxSurge non-zero. */
function validateUpdateStrategy(s: UpdateStrategyValue | null | undefined): FieldError[] {
  const path = 'spec.updateStrategy';
  switch (s?.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (ru == null) return [required(`${path}.rollingUpdate`)];
      const p = `${path}.rollingUpdate`;
      const errs = [...validateRollingValues(ru, p), ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`), ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`)];
      const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const surge = intOrPercentValue(ru.maxSurge) !== 0;
      if (unavailable && surge) errs.push(invalidShown(`${p}.maxSurge`, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      if (!unavailable && !surge) errs.push(required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [unsupportedStrategy(path, s, 'DaemonSetUpdateStrategy', 'RollingUpdateDaemonSet', ['RollingUpdate', 'OnDelete'])];
  }
}

/** ValidateDaemonSetSpec's checks. */
function validateSpec(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as DaemonSetSpec;
  // a DaemonSet's selector is checked as Kubernetes does: a missing one only fails to match the template
  const sel = spec.selector;
  const errs = sel == null ? [] : validateLabelSelector(sel, 'spec.selector');
  if (errs.length === 0 && !(sel != null && selectorEmpty(sel)) && !selects(sel, spec.template?.metadata?.labels)) {
    errs.push(labelsMismatch(spec.template, 'spec.template'));
  }
  if (sel != null && selectorEmpty(sel)) errs.push(invalidShown('spec.selector', goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplate(spec.template ?? {}, 'spec.template'));
  errs.push(...alwaysRestarts(spec.template, 'DaemonSet'));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...validateUpdateStrategy(spec.updateStrategy));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  return errs;
}

/** The status checks of validateDaemonSetStatus. */
function validateStatus(status: Readonly<Record<string, unknown>>, old?: Readonly<Record<string, unknown>>): FieldError[] {
  const counts = [...ALWAYS_WRITTEN, 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount'];
  return [...nonNegativeStatus(status, counts), ...collisionCountDecremented(status, old)];
}

/** apps/v1 daemonsets: namespaced, `ds`, in `all`, with /status (and no /scale). */
export const daemonsets = workloadStrategy({
  info: workloadInfo('apps', 'DaemonSet', ['ds']),
  schema: DaemonSet,
  defaults: defaultDaemonSet,
  validateSpec,
  validateStatus,
  prepareUpdate,
  printer: daemonSetPrinter,
});
