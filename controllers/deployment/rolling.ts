/**
 * The RollingUpdate strategy (Kubernetes' deployment/rolling.go). Each
 * sync takes one step and writes the status:
 *   1. grow the new ReplicaSet, as far as spec.replicas + maxSurge allows;
 *   2. else shrink the old ones, as far as spec.replicas - maxUnavailable
 *      available pods allow: first the old pods that are not available
 *      (they count against nothing), then the oldest ReplicaSets first; the
 *      new ReplicaSet's unavailable pods count against what may go;
 *   3. else, once complete, clean up old revisions.
 */
import type { Deployment, ReplicaSet } from '../internal/types.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSet, type SyncContext } from './sync.js';
import * as u from './util.js';

/** One step of a rolling update; see the file comment. */
export async function rolloutRolling(s: SyncContext, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, true);
  const fresh = newRS!; // created when missing
  const all = [...oldRSs, fresh];
  if (await reconcileNewReplicaSet(s, all, fresh, d)) return syncRolloutStatus(s, all, fresh, d);
  if (await reconcileOldReplicaSets(s, all, u.activeReplicaSets(oldRSs), fresh, d)) return syncRolloutStatus(s, all, fresh, d);
  if (u.deploymentComplete(d, d.status ?? {})) await cleanupDeployment(s, oldRSs, d);
  return syncRolloutStatus(s, all, fresh, d);
}

/** Grows (or, above spec.replicas, shrinks) the new ReplicaSet; whether it scaled. */
async function reconcileNewReplicaSet(s: SyncContext, all: readonly ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  const want = u.replicasOf(d);
  if (u.replicasOf(newRS) === want) return false;
  const size = u.replicasOf(newRS) > want ? want : u.newRSNewReplicas(d, all, newRS);
  return (await scaleReplicaSet(s, newRS, size, d)).scaled;
}

/** Shrinks the old ReplicaSets as far as availability allows; whether any shrank. Scale errors end the step quietly, as in kube. */
async function reconcileOldReplicaSets(s: SyncContext, all: readonly ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  if (u.sumReplicas(oldRSs) === 0) return false;
  const minAvailable = u.replicasOf(d) - u.maxUnavailable(d);
  const newUnavailable = u.replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = u.sumReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  try {
    const cleaned = await cleanupUnhealthyReplicas(s, oldRSs, d, maxScaledDown);
    const scaled = await scaleDownOldReplicaSets(s, [...oldRSs, newRS], oldRSs, d);
    return cleaned + scaled > 0;
  } catch (e) {
    s.log(`deployment: ${d.metadata.namespace}/${d.metadata.name}: scaling down old replica sets: ${(e as Error).message}`);
    return false;
  }
}

/** Scales old ReplicaSets (oldest first) down by their unavailable pods, at most `max` in all; `oldRSs` gets the written ones. */
async function cleanupUnhealthyReplicas(s: SyncContext, oldRSs: ReplicaSet[], d: Deployment, max: number): Promise<number> {
  oldRSs.sort(u.byCreation);
  let total = 0;
  for (const [i, rs] of oldRSs.entries()) {
    if (total >= max) break;
    const size = u.replicasOf(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (size === 0 || size === available) continue;
    const n = Math.min(max - total, size - available);
    oldRSs[i] = (await scaleReplicaSet(s, rs, size - n, d)).rs;
    total += n;
  }
  return total;
}

/** Scales old ReplicaSets (oldest first) down by the available pods above spec.replicas - maxUnavailable. */
async function scaleDownOldReplicaSets(s: SyncContext, all: readonly ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): Promise<number> {
  const minAvailable = u.replicasOf(d) - u.maxUnavailable(d);
  const available = u.sumAvailableReplicas(all);
  if (available <= minAvailable) return 0;
  oldRSs.sort(u.byCreation);
  const goal = available - minAvailable;
  let total = 0;
  for (const rs of oldRSs) {
    if (total >= goal) break;
    const size = u.replicasOf(rs);
    if (size === 0) continue;
    const n = Math.min(size, goal - total);
    await scaleReplicaSet(s, rs, size - n, d);
    total += n;
  }
  return total;
}
