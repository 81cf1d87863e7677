/**
 * deployments (apps/v1): defaults as SetDefaults_Deployment (1 replica, a
 * RollingUpdate of 25%/25%, 10 revisions kept, a 600s progress deadline,
 * the pod template's defaults), validation as ValidateDeployment with
 * Kubernetes' messages, a selector that may not change, and a generation
 * that a change of annotations bumps too (Kubernetes copies them to the
 * ReplicaSets).
 */
import { Deployment } from '../../api/apps/v1.js';
import { invalid, required, type KubeObject } from '../../api/meta.js';
import { forbidden, invalidShown, nonNegative } from '../core/fielderrors.js';
import type { FieldError } from '../errors.js';
import { deploymentPrinter } from '../printers/workloads.js';
import {
  collisionCountDecremented,
  defaultRollingUpdate,
  defaultTemplate,
  goIntOrString,
  intOrPercentValue,
  nonNegativeStatus,
  notAbove,
  notMoreThan100Percent,
  semanticEqual,
  unsupportedStrategy,
  validateReplicaSelectorAndTemplate,
  validateRollingValues,
  workloadInfo,
  workloadStrategy,
  type UpdateStrategyValue,
  type WorkloadSpecValue,
} from './workload.js';

interface DeploymentSpec extends WorkloadSpecValue {
  replicas?: number | null;
  strategy?: UpdateStrategyValue | null;
  minReadySeconds?: number | null;
  revisionHistoryLimit?: number | null;
  progressDeadlineSeconds?: number | null;
}

/** Kubernetes' apps/v1 defaults of a Deployment (only what is unset), its pod template's included. */
export function defaultDeployment(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as DeploymentSpec;
  spec.replicas ??= 1;
  defaultRollingUpdate((spec.strategy ??= {}), '25%', '25%');
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
  obj.status ??= {};
}

function validateStrategy(s: UpdateStrategyValue | null | undefined): FieldError[] {
  const path = 'spec.strategy';
  switch (s?.type) {
    case 'Recreate':
      return s.rollingUpdate != null ? [forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (ru == null) return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const p = `${path}.rollingUpdate`;
      const errs = validateRollingValues(ru, p);
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalidShown(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      return errs;
    }
    default:
      return [unsupportedStrategy(path, s, 'DeploymentStrategy', 'RollingUpdateDeployment', ['Recreate', 'RollingUpdate'])];
  }
}

/** ValidateDeploymentSpec's checks. */
function validateSpec(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as DeploymentSpec;
  const errs = nonNegative('spec.replicas', spec.replicas);
  errs.push(...validateReplicaSelectorAndTemplate(spec, 'deployment'));
  errs.push(...validateStrategy(spec.strategy));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (spec.progressDeadlineSeconds != null) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

/** The status checks of ValidateDeploymentStatus (a status write's; a spec write keeps the stored status). */
function validateStatus(status: Readonly<Record<string, unknown>>, old?: Readonly<Record<string, unknown>>): FieldError[] {
  return [
    ...nonNegativeStatus(status, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount']),
    ...notAbove(status, ['updatedReplicas', 'readyReplicas', 'availableReplicas'], 'replicas'),
    ...notAbove(status, ['availableReplicas'], 'readyReplicas', 'cannot be greater than readyReplicas'),
    ...collisionCountDecremented(status, old),
  ];
}

/** apps/v1 deployments: namespaced, `deploy`, in `all`, with /status and /scale. */
export const deployments = workloadStrategy({
  info: workloadInfo('apps', 'Deployment', ['deploy']),
  schema: Deployment,
  defaults: defaultDeployment,
  validateSpec,
  validateStatus,
  // every annotation counts, deprecated.deployment.rollback.to as well (Kubernetes keeps it in the spec)
  newGeneration: (obj, old) => !semanticEqual(obj.metadata.annotations, old.metadata.annotations),
  // kube's deployment status strategy keeps the labels as well as the spec
  statusResetFields: [['f:metadata', 'f:labels']],
  scale: true,
  printer: deploymentPrinter,
});
