/**
 * The Recreate strategy (Kubernetes' deployment/recreate.go): scale every
 * old ReplicaSet to 0; wait until no old pod runs (none counted in an old
 * ReplicaSet's status, none of their pods in a phase but Succeeded or
 * Failed); only then create the new ReplicaSet if missing and give it
 * spec.replicas; once complete, clean up old revisions.
 */
import type { Pod } from '../../client/types.js';
import type { Deployment, ReplicaSet } from '../internal/types.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleIfResized, type SyncContext } from './sync.js';
import * as u from './util.js';

/** One step of a Recreate rollout; `podMap` holds the pods of each of its ReplicaSets, by uid. */
export async function rolloutRecreate(s: SyncContext, d: Deployment, rsList: ReplicaSet[], podMap: ReadonlyMap<string, readonly Pod[]>): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, false);
  let all: (ReplicaSet | undefined)[] = [...oldRSs, newRS];
  let scaledDown = false;
  for (const rs of u.activeReplicaSets(oldRSs)) if ((await scaleIfResized(s, rs, 0, d)).scaled) scaledDown = true;
  if (scaledDown) return syncRolloutStatus(s, all, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(s, all, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, true));
    all = [...oldRSs, newRS];
  }
  await scaleIfResized(s, newRS!, u.replicasOf(d), d);
  if (u.deploymentComplete(d, d.status ?? {})) await cleanupDeployment(s, oldRSs, d);
  return syncRolloutStatus(s, all, newRS, d);
}

/** Whether an old ReplicaSet still counts pods, or one of its pods is not finished. */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podMap: ReadonlyMap<string, readonly Pod[]>): boolean {
  if (u.sumActualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (uid === newRS?.metadata.uid) continue;
    if (pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')) return true;
  }
  return false;
}
