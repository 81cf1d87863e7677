/**
 * replicasets (apps/v1): 1 replica by default and the pod template's
 * defaults; validation as ValidateReplicaSet with Kubernetes' messages
 * (its empty-selector message says "deployment", as Kubernetes' does), and
 * a selector that may not change.
 */
import { ReplicaSet } from '../../api/apps/v1.js';
import type { KubeObject } from '../../api/meta.js';
import { nonNegative } from '../core/fielderrors.js';
import type { FieldError } from '../errors.js';
import { replicaSetPrinter } from '../printers/workloads.js';
import { defaultTemplate, nonNegativeStatus, notAbove, validateReplicaSelectorAndTemplate, workloadInfo, workloadStrategy, type WorkloadSpecValue } from './workload.js';

interface ReplicaSetSpec extends WorkloadSpecValue {
  replicas?: number | null;
  minReadySeconds?: number | null;
}

/** Kubernetes' apps/v1 defaults of a ReplicaSet (only what is unset), its pod template's included. */
export function defaultReplicaSet(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as ReplicaSetSpec;
  spec.replicas ??= 1;
  defaultTemplate(spec);
  // status.replicas is always written (it has no omitempty)
  const status = (obj.status ??= {}) as { replicas?: number | null };
  status.replicas ??= 0;
}

/** ValidateReplicaSetSpec's checks. */
function validateSpec(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as ReplicaSetSpec;
  return [...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds), ...validateReplicaSelectorAndTemplate(spec, 'deployment')];
}

/** The status checks of ValidateReplicaSetStatus. */
function validateStatus(status: Readonly<Record<string, unknown>>): FieldError[] {
  const errs = nonNegativeStatus(status, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']);
  errs.push(...notAbove(status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'], 'replicas'));
  errs.push(...notAbove(status, ['availableReplicas'], 'readyReplicas', 'cannot be greater than readyReplicas'));
  return errs;
}

/** apps/v1 replicasets: namespaced, `rs`, in `all`, with /status and /scale; `status.replicas` selectable. */
export const replicasets = workloadStrategy({
  info: workloadInfo('apps', 'ReplicaSet', ['rs']),
  schema: ReplicaSet,
  defaults: defaultReplicaSet,
  validateSpec,
  validateStatus,
  scale: true,
  fields: (obj) => ({ 'status.replicas': String((obj.status as { replicas?: number | null } | undefined)?.replicas ?? 0) }),
  printer: replicaSetPrinter,
});
