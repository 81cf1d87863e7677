/**
 * daemonsets (apps/v1): a RollingUpdate of maxUnavailable 1, maxSurge 0 and
 * 10 revisions kept by default, the pod template's defaults, and the
 * template generation annotation a new DaemonSet carries; validation as
 * ValidateDaemonSet with Kubernetes' messages, and a selector that may not change.
 */
import { DaemonSet } from '../../api/apps/v1.js';
import { dns1123Subdomain, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { validateLabelSelector, validatePodTemplate } from '../core/podspec.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import {
  alwaysRestarts,
  collisionCountDecremented,
  defaultTemplate,
  goIntOrString,
  goLabelSelector,
  intOrPercentValue,
  invalidAs,
  labelsMismatch,
  nonNegative,
  notMoreThan100Percent,
  notSupported,
  selectorEmpty,
  selectorImmutable,
  selects,
  validateIntOrPercent,
  workloadMergeKeys,
  type WorkloadSpecValue,
} from './workload.js';

type IntOrPercent = string | number | null | undefined;

interface UpdateStrategy {
  type?: string | null;
  rollingUpdate?: { maxUnavailable?: IntOrPercent; maxSurge?: IntOrPercent } | null;
}

interface DaemonSetSpec extends WorkloadSpecValue {
  updateStrategy?: UpdateStrategy | null;
  minReadySeconds?: number | null;
  revisionHistoryLimit?: number | null;
}

/**
 * The annotation that carries a DaemonSet's template generation in apps/v1
 * (Kubernetes keeps the field internally and shows it here): 1 on create.
 */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** The status counters Kubernetes always writes (they have no omitempty). */
const ALWAYS_WRITTEN = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] as const;

/** Kubernetes' apps/v1 defaults of a DaemonSet (only what is unset), its pod template's included. */
export function defaultDaemonSet(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as DaemonSetSpec;
  const strategy = (spec.updateStrategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec);
  const generation = Number(obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]);
  if (!(generation >= 1)) obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION_ANNOTATION]: '1' };
  const status = (obj.status ??= {}) as Record<string, unknown>;
  for (const f of ALWAYS_WRITTEN) status[f] ??= 0;
}

function goStrategy(s: UpdateStrategy | null | undefined): string {
  const ru = s?.rollingUpdate == null ? '(*apps.RollingUpdateDaemonSet)(nil)' : '(*apps.RollingUpdateDaemonSet)(0xc000000000)';
  return `apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(s?.type ?? '')}, RollingUpdate:${ru}}`;
}

/** ValidateDaemonSetUpdateStrategy: exactly one of maxUnavailable and maxSurge non-zero. */
function validateUpdateStrategy(s: UpdateStrategy | null | undefined): FieldError[] {
  const path = 'spec.updateStrategy';
  switch (s?.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (ru == null) return [required(`${path}.rollingUpdate`)];
      const p = `${path}.rollingUpdate`;
      const errs = [
        ...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
        ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`),
      ];
      const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const surge = intOrPercentValue(ru.maxSurge) !== 0;
      if (unavailable && surge) errs.push(invalidAs(`${p}.maxSurge`, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      if (!unavailable && !surge) errs.push(required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [notSupported(path, goStrategy(s), ['RollingUpdate', 'OnDelete'])];
  }
}

/** The status checks of validateDaemonSetStatus. */
function validateStatus(status: Record<string, unknown>, old?: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [...ALWAYS_WRITTEN, 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']) {
    errs.push(...nonNegative(status[f] as number | null | undefined, `status.${f}`));
  }
  if (old) errs.push(...collisionCountDecremented(status, old));
  return errs;
}

function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as DaemonSetSpec;
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  // a DaemonSet's selector is checked as Kubernetes does: a missing one only fails to match the template
  const sel = spec.selector;
  const selErrs = sel == null ? [] : validateLabelSelector(sel, 'spec.selector');
  errs.push(...selErrs);
  if (selErrs.length === 0 && !(sel != null && selectorEmpty(sel)) && !selects(sel, spec.template?.metadata?.labels)) {
    errs.push(labelsMismatch(spec.template, 'spec.template'));
  }
  if (sel != null && selectorEmpty(sel)) errs.push(invalidAs('spec.selector', goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplate(spec.template ?? {}, 'spec.template'));
  errs.push(...alwaysRestarts(spec.template, 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateUpdateStrategy(spec.updateStrategy));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (old) errs.push(...selectorImmutable(spec, (old.spec ?? {}) as DaemonSetSpec));
  errs.push(...validateStatus((obj.status ?? {}) as Record<string, unknown>, old && ((old.status ?? {}) as Record<string, unknown>)));
  return errs;
}

/** apps/v1 daemonsets: namespaced, `ds`, in `all`, with /status (and no /scale). */
export const daemonsets = {
  info: { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: ['all'] },
  schema: DaemonSet,
  defaults: defaultDaemonSet,
  validate,
  hasGeneration: true,
  status: { onCreate: 'clear' },
  mergeKeys: workloadMergeKeys(),
} satisfies Strategy;
