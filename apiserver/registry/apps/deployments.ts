/**
 * deployments (apps/v1): defaults as SetDefaults_Deployment (1 replica, a
 * RollingUpdate of 25%/25%, 10 revisions kept, a 600s progress deadline,
 * the pod template's defaults), validation as ValidateDeployment with
 * Kubernetes' messages, and a selector that may not change.
 */
import { Deployment } from '../../api/apps/v1.js';
import { dns1123Subdomain, invalid, required, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import {
  collisionCountDecremented,
  defaultTemplate,
  forbidden,
  goIntOrString,
  intOrPercentValue,
  invalidAs,
  nonNegative,
  notAbove,
  notMoreThan100Percent,
  notSupported,
  selectorImmutable,
  validateIntOrPercent,
  validateReplicaSelectorAndTemplate,
  workloadMergeKeys,
  type WorkloadSpecValue,
} from './workload.js';

type IntOrPercent = string | number | null | undefined;

interface RollingUpdate {
  maxUnavailable?: IntOrPercent;
  maxSurge?: IntOrPercent;
}

interface DeploymentStrategy {
  type?: string | null;
  rollingUpdate?: RollingUpdate | null;
}

interface DeploymentSpec extends WorkloadSpecValue {
  replicas?: number | null;
  strategy?: DeploymentStrategy | null;
  minReadySeconds?: number | null;
  revisionHistoryLimit?: number | null;
  progressDeadlineSeconds?: number | null;
}

/** Kubernetes' apps/v1 defaults of a Deployment (only what is unset), its pod template's included. */
export function defaultDeployment(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as DeploymentSpec;
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
  obj.status ??= {};
}

/** The strategy's Go rendering in an Unsupported value message. */
function goStrategy(s: DeploymentStrategy | null | undefined): string {
  const ru = s?.rollingUpdate == null ? '(*apps.RollingUpdateDeployment)(nil)' : '(*apps.RollingUpdateDeployment)(0xc000000000)';
  return `apps.DeploymentStrategy{Type:${JSON.stringify(s?.type ?? '')}, RollingUpdate:${ru}}`;
}

function validateStrategy(s: DeploymentStrategy | null | undefined): FieldError[] {
  const path = 'spec.strategy';
  switch (s?.type) {
    case 'Recreate':
      return s.rollingUpdate != null ? [forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (ru == null) return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const p = `${path}.rollingUpdate`;
      const errs = [...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`)];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalidAs(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      return errs;
    }
    default:
      return [notSupported(path, goStrategy(s), ['Recreate', 'RollingUpdate'])];
  }
}

/** The status checks of ValidateDeploymentStatus (a status write's; a spec write keeps the stored status). */
function validateStatus(status: Record<string, unknown>, old?: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount']) {
    errs.push(...nonNegative(status[f] as number | null | undefined, `status.${f}`));
  }
  errs.push(...notAbove(status, ['updatedReplicas', 'readyReplicas', 'availableReplicas'], 'replicas'));
  errs.push(...notAbove(status, ['availableReplicas'], 'readyReplicas', 'cannot be greater than readyReplicas'));
  if (old) errs.push(...collisionCountDecremented(status, old));
  return errs;
}

function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as DeploymentSpec;
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateReplicaSelectorAndTemplate(spec, 'deployment'));
  errs.push(...validateStrategy(spec.strategy));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec.progressDeadlineSeconds != null) {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  if (old) errs.push(...selectorImmutable(spec, (old.spec ?? {}) as DeploymentSpec));
  errs.push(...validateStatus((obj.status ?? {}) as Record<string, unknown>, old && ((old.status ?? {}) as Record<string, unknown>)));
  return errs;
}

/** apps/v1 deployments: namespaced, `deploy`, in `all`, with /status and /scale. */
export const deployments = {
  info: { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'] },
  schema: Deployment,
  defaults: defaultDeployment,
  validate,
  hasGeneration: true,
  status: { onCreate: 'clear' },
  scale: true,
  mergeKeys: workloadMergeKeys(),
} satisfies Strategy;
