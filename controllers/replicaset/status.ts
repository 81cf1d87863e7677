/**
 * A ReplicaSet's status from its pods (the replicaset controller's
 * calculateStatus), pure:
 * - replicas: its active pods; fullyLabeledReplicas: those carrying every
 *   label of the template; readyReplicas: those Ready; availableReplicas:
 *   those Ready for minReadySeconds;
 * - the ReplicaFailure condition: set (True, reason FailedCreate when pods
 *   were missing, FailedDelete when there were too many, the error as its
 *   message) when managing the pods failed and it is not there yet; removed
 *   once a sync manages them without an error.
 * observedGeneration is the writer's (it is the generation it synced).
 * Zero counts but replicas are left out, as the API's omitempty leaves them.
 */
import type { Pod } from '../../client/types.js';
import { getCondition, removeCondition, setCondition } from '../internal/conditions.js';
import { isPodAvailable, isPodReady } from '../internal/pods.js';
import { semanticEqual } from '../internal/semantic.js';
import type { ReplicaSet, ReplicaSetStatus } from '../internal/types.js';

/** The condition type a failed create or delete sets. */
export const REPLICA_FAILURE = 'ReplicaFailure';

/** The status of `rs` with `pods` (its claimed active pods), after managing them failed with `error` (or not). */
export function calculateStatus(rs: ReplicaSet, pods: readonly Pod[], error: unknown, nowMs: number, rfc3339: (ms: number) => string): ReplicaSetStatus {
  const templateLabels = Object.entries(rs.spec.template?.metadata?.labels ?? {});
  const minReady = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (templateLabels.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, nowMs)) available++;
    }
  }
  let conditions = rs.status?.conditions;
  const failure = getCondition(conditions, REPLICA_FAILURE);
  if (error !== undefined && !failure) {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = error instanceof Error ? error.message : String(error);
    conditions = setCondition(conditions, { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: rfc3339(nowMs), reason, message });
  } else if (error === undefined && failure) {
    conditions = removeCondition(conditions, REPLICA_FAILURE);
  }
  const status: ReplicaSetStatus = {
    ...(rs.status ?? {}),
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  for (const f of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[f] === 0) delete status[f]; // omitempty, as the API writes them
  if (conditions?.length) status.conditions = conditions;
  else delete status.conditions;
  return status;
}

/** Whether `status` is what `rs` already says, at its generation (updateReplicaSetStatus's test before it writes). */
export function statusUpToDate(rs: ReplicaSet, status: ReplicaSetStatus): boolean {
  const s = rs.status;
  return (
    (s?.replicas ?? 0) === status.replicas &&
    (s?.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
    (s?.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
    (s?.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
    (rs.metadata.generation ?? 0) === (s?.observedGeneration ?? 0) &&
    semanticEqual(s?.conditions, status.conditions)
  );
}
