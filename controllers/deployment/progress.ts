/**
 * A rollout's status and progress (Kubernetes' deployment/progress.go):
 * the Progressing condition against progressDeadlineSeconds, and the
 * ReplicaFailure condition carried over from the ReplicaSets.
 *
 * Progressing, while a deadline is set and the rollout is not already
 * known complete:
 *   - complete now: True, NewReplicaSetAvailable, `ReplicaSet "x" has successfully progressed.`
 *   - progress since the stored status (pods updated, ready or available,
 *     old ones gone): True, ReplicaSetUpdated, `ReplicaSet "x" is progressing.`
 *     (its lastUpdateTime moves, lastTransitionTime stays while True)
 *   - no progress for progressDeadlineSeconds: False, ProgressDeadlineExceeded,
 *     `ReplicaSet "x" has timed out progressing.`
 * Without a deadline the condition is removed. When nothing changed, the
 * Deployment is synced again when its deadline would pass.
 */
import { rfc3339 } from '../../client/clock.js';
import { timeMs } from '../internal/pods.js';
import type { Deployment, DeploymentCondition, ReplicaSet } from '../internal/types.js';
import { calculateStatus, statusEqual, writeStatus, type SyncContext } from './sync.js';
import * as u from './util.js';

/** Writes the rollout's status (see the file comment); or, when it did not change, requeues a rollout that may time out. */
export async function syncRolloutStatus(s: SyncContext, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const now = rfc3339(s.now());
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!u.hasProgressDeadline(d)) status.conditions = u.removeCondition(status.conditions, 'Progressing');
  const current = u.getCondition(d.status?.conditions, 'Progressing');
  // a finished rollout being resynced: nothing to estimate
  const known = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === u.Reason.NewRSAvailable;
  const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (u.hasProgressDeadline(d) && !known) {
    if (u.deploymentComplete(d, status)) {
      status.conditions = u.setCondition(status.conditions, u.newCondition('Progressing', 'True', u.Reason.NewRSAvailable, `${what} has successfully progressed.`, now));
    } else if (u.deploymentProgressing(d, status)) {
      const cond: DeploymentCondition = u.newCondition('Progressing', 'True', u.Reason.ReplicaSetUpdated, `${what} is progressing.`, now);
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      // the same reason again still moves lastUpdateTime: it is the time of the last progress
      status.conditions = [...u.removeCondition(status.conditions, 'Progressing'), cond];
    } else if (u.deploymentTimedOut(d, status, s.now())) {
      status.conditions = u.setCondition(status.conditions, u.newCondition('Progressing', 'False', u.Reason.TimedOut, `${what} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  status.conditions = failure ? u.setCondition(status.conditions, failure) : u.removeCondition(status.conditions, 'ReplicaFailure');
  if (statusEqual(d.status, status)) {
    requeueStuckDeployment(s, d, status);
    return;
  }
  d.status = status;
  await writeStatus(s, d);
}

/** The ReplicaFailure condition of the new ReplicaSet, else of any old one, as a Deployment condition. */
function replicaFailure(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  for (const rs of [newRS, ...allRSs]) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}

/**
 * Schedules the progress check of a rollout that has not finished nor timed
 * out: a second after its Progressing condition's lastUpdateTime plus the
 * deadline (at once, rate limited, when that is under a second away).
 * Answers the delay in ms, or -1 when none is needed.
 */
export function requeueStuckDeployment(s: SyncContext, d: Deployment, status: NonNullable<Deployment['status']>): number {
  const current = u.getCondition(d.status?.conditions, 'Progressing');
  if (!u.hasProgressDeadline(d) || !current) return -1;
  if (u.deploymentComplete(d, status) || current.reason === u.Reason.TimedOut) return -1;
  const after = timeMs(current.lastUpdateTime) + (d.spec.progressDeadlineSeconds ?? 0) * 1000 - s.now();
  if (after < 1000) {
    s.enqueueRateLimited(d);
    return 0;
  }
  s.enqueueAfter(d, after + 1000);
  return after;
}
