/**
 * replicasets (apps/v1): 1 replica by default and the pod template's
 * defaults; validation as ValidateReplicaSet with Kubernetes' messages
 * (its empty-selector message says "deployment", as Kubernetes' does), and
 * a selector that may not change.
 */
import { ReplicaSet } from '../../api/apps/v1.js';
import { dns1123Subdomain, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { defaultTemplate, nonNegative, notAbove, selectorImmutable, validateReplicaSelectorAndTemplate, workloadMergeKeys, type WorkloadSpecValue } from './workload.js';

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

/** The status checks of ValidateReplicaSetStatus. */
function validateStatus(status: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...nonNegative(status[f] as number | null | undefined, `status.${f}`));
  }
  errs.push(...notAbove(status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'], 'replicas'));
  errs.push(...notAbove(status, ['availableReplicas'], 'readyReplicas', 'cannot be greater than readyReplicas'));
  return errs;
}

function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as ReplicaSetSpec;
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateReplicaSelectorAndTemplate(spec, 'deployment'));
  if (old) errs.push(...selectorImmutable(spec, (old.spec ?? {}) as ReplicaSetSpec));
  errs.push(...validateStatus((obj.status ?? {}) as Record<string, unknown>));
  return errs;
}

/** apps/v1 replicasets: namespaced, `rs`, in `all`, with /status and /scale; `status.replicas` selectable. */
export const replicasets = {
  info: { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'] },
  schema: ReplicaSet,
  defaults: defaultReplicaSet,
  validate,
  hasGeneration: true,
  status: { onCreate: 'clear' },
  scale: true,
  fields: (obj: KubeObject) => ({ 'status.replicas': String((obj.status as { replicas?: number | null } | undefined)?.replicas ?? 0) }),
  mergeKeys: workloadMergeKeys(),
} satisfies Strategy;
