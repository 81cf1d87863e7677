/**
 * The job controller's pure rules (Kubernetes' job_controller.go and
 * backoff_utils.go), kept apart from the sync that applies them:
 *
 * - which pods count as failed, finished when, terminating;
 * - conditions: ensureCondition appends or rewrites one type, never adds a
 *   False one (ensureJobConditionStatus);
 * - how many pods should run (wantActive) and which go first when there
 *   are too many (activePodsForRemoval: duplicated or invalid indexes of an
 *   Indexed Job, then the usual deletion order);
 * - the pod failure backoff: failures since the last success, each
 *   doubling a base delay (10 s) up to a cap (6 minutes), counted from the
 *   last failure's finish time;
 * - the status as Go writes it (zero counters left out, ready and
 *   terminating always there, uncountedTerminatedPods `{}` when empty).
 */
import type { Pod } from '../../client/types.js';
import { compareForDeletion, isPodReady, timeMs } from '../internal/pods.js';
import { completionIndex, UNKNOWN_INDEX } from './indexes.js';
import { JOB_TRACKING_FINALIZER, type Job, type JobCondition, type JobStatus } from './types.js';

/** kube's DefaultJobPodFailureBackOff. */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
/** kube's MaxJobPodFailureBackOff. */
export const MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;
/** The most pod UIDs status.uncountedTerminatedPods holds, and the most pods created or deleted in one sync (kube's MaxUncountedPods, MaxPodCreateDeletePerSync). */
export const MAX_UNCOUNTED_PODS = 500;
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

/** Whether the pod carries the job tracking finalizer. */
export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/** Whether only failed pods (not terminating ones) are replaced (podReplacementPolicy Failed). */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec.podReplacementPolicy === 'Failed';
}

/** Whether the pod counts as failed: Failed, or (unless only failed pods are replaced) being deleted without having succeeded. */
export function isPodFailed(pod: Pod, job: Job): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata.deletionTimestamp && phase !== 'Succeeded';
}

/** Whether the pod is being deleted and has not finished (controller.CountTerminatingPods). */
export function isPodTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

/** Whether the Job is suspended. */
export function isSuspended(job: Job): boolean {
  return job.spec.suspend === true;
}

/** Whether the Job is Indexed. */
export function isIndexed(job: Job): boolean {
  return job.spec.completionMode === 'Indexed';
}

/** A condition as the controller writes it, at `now` (RFC 3339). */
export function newCondition(type: string, status: JobCondition['status'], reason: string, message: string, now: string): JobCondition {
  return { type, status, lastProbeTime: now, lastTransitionTime: now, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** The condition of `type`, if any. */
export function findCondition(conditions: readonly JobCondition[] | undefined, type: string): JobCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * `conditions` with `type` set to `status` (ensureJobConditionStatus): an
 * existing one is rewritten when its status, reason or message differ; a
 * missing one is appended unless it would be False. Returns whether it changed.
 */
export function ensureCondition(conditions: JobCondition[], type: string, status: JobCondition['status'], reason: string, message: string, now: string): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = conditions[i]!;
    if (c.status === status && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
    conditions[i] = newCondition(type, status, reason, message, now);
    return true;
  }
  if (status === 'False') return false;
  conditions.push(newCondition(type, status, reason, message, now));
  return true;
}

/** When a finished pod finished (getFinishedTime): its containers' last finishedAt, else Ready=False's transition, else its deletion, else its creation. */
export function finishedTime(pod: Pod): number {
  const statuses = (pod.status?.containerStatuses ?? []) as { state?: { terminated?: { finishedAt?: string } } }[];
  if (statuses.length > 0 && statuses.every((s) => s.state?.terminated)) {
    const t = Math.max(...statuses.map((s) => timeMs(s.state?.terminated?.finishedAt)));
    if (t > 0) return t;
  }
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  const t = timeMs(ready?.lastTransitionTime) || timeMs(pod.metadata.deletionTimestamp) || timeMs(pod.metadata.creationTimestamp);
  return t;
}

/** A Job's pod failure backoff (kube's backoffRecord). */
export interface BackoffRecord {
  readonly failuresAfterLastSuccess: number;
  /** Epoch ms of the last failure counted; undefined with no failures. */
  readonly lastFailureTime?: number;
}

/** The record after newly counted succeeded and failed pods (newBackoffRecord). */
export function nextBackoffRecord(old: BackoffRecord | undefined, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
  const prev = old ?? { failuresAfterLastSuccess: 0 };
  const failedTimes = newFailed.map(finishedTime).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return prev;
    return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1]! };
  }
  const lastSuccess = Math.max(...newSucceeded.map(finishedTime));
  const after = failedTimes.filter((t) => t > lastSuccess);
  return after.length === 0 ? { failuresAfterLastSuccess: 0 } : { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1]! };
}

/** How long new pods must still wait (getRemainingTime): 0 when they may start now. */
export function backoffRemaining(r: BackoffRecord, nowMs: number, baseMs = DEFAULT_POD_FAILURE_BACKOFF_MS, maxMs = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (r.failuresAfterLastSuccess === 0 || r.lastFailureTime === undefined) return 0;
  let delay = baseMs;
  for (let i = 1; i < r.failuresAfterLastSuccess && delay < maxMs; i++) delay *= 2;
  delay = Math.min(delay, maxMs);
  const elapsed = nowMs - r.lastFailureTime;
  return elapsed > delay ? 0 : delay - elapsed;
}

/** How many pods should be active (manageJob's wantActive), given the successes so far and the pods active now. */
export function wantActive(job: Job, succeeded: number, active: number): number {
  const parallelism = job.spec.parallelism ?? 1;
  const completions = job.spec.completions;
  if (completions === undefined || completions === null) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

/** Whether the container restarts of an OnFailure Job's running pods reached its backoffLimit (pastBackoffLimitOnFailure). */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const key of ['initContainerStatuses', 'containerStatuses'] as const) {
      for (const s of (p.status?.[key] ?? []) as { restartCount?: number }[]) restarts += s.restartCount ?? 0;
    }
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/**
 * The active pods to remove, at least `atLeast` of them (activePodsForRemoval):
 * for an Indexed Job first those with no index, one out of range, or an index
 * another pod also holds (the most advanced of those is kept); then, in the
 * usual deletion order (not scheduled, pending, not ready first), enough of
 * the rest.
 */
export function activePodsForRemoval(job: Job, pods: readonly Pod[], atLeast: number): Pod[] {
  const rm: Pod[] = [];
  let left = [...pods];
  if (isIndexed(job)) {
    const completions = job.spec.completions ?? 0;
    const byIndex = new Map<number, Pod[]>();
    left = [];
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix === UNKNOWN_INDEX || ix >= completions) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const same of byIndex.values()) {
      same.sort((a, b) => compareForDeletion({ pod: a, rank: 0 }, { pod: b, rank: 0 }));
      rm.push(...same.slice(0, -1));
      left.push(same[same.length - 1]!);
    }
  }
  if (rm.length < atLeast) {
    left.sort((a, b) => compareForDeletion({ pod: a, rank: 0 }, { pod: b, rank: 0 }));
    rm.push(...left.slice(0, atLeast - rm.length));
  }
  return rm;
}

/** How many of the pods are Ready. */
export function countReady(pods: readonly Pod[]): number {
  return pods.filter(isPodReady).length;
}

/**
 * The status in the form Go writes it: zero counters, empty lists and empty
 * strings left out (omitempty), ready and terminating always (pointers),
 * uncountedTerminatedPods `{}` when empty.
 */
export function wireStatus(s: JobStatus): JobStatus {
  const out: JobStatus = {};
  if (s.conditions?.length) out.conditions = s.conditions;
  if (s.startTime) out.startTime = s.startTime;
  if (s.completionTime) out.completionTime = s.completionTime;
  if (s.active) out.active = s.active;
  if (s.succeeded) out.succeeded = s.succeeded;
  if (s.failed) out.failed = s.failed;
  if (s.terminating !== undefined) out.terminating = s.terminating;
  if (s.completedIndexes) out.completedIndexes = s.completedIndexes;
  if (s.failedIndexes !== undefined) out.failedIndexes = s.failedIndexes;
  const u = s.uncountedTerminatedPods ?? {};
  out.uncountedTerminatedPods = { ...(u.succeeded?.length ? { succeeded: u.succeeded } : {}), ...(u.failed?.length ? { failed: u.failed } : {}) };
  if (s.ready !== undefined) out.ready = s.ready;
  return out;
}
