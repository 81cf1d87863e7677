/**
 * Counting a Job's finished pods exactly once (kube's
 * trackJobStatusAndRemoveFinalizers), the last step of a sync (job.ts):
 *
 * 1. Pods that finished (or, for a finishing or deleted Job, every pod)
 *    still carrying the tracking finalizer: their UIDs are added to
 *    status.uncountedTerminatedPods (an Indexed Job's successes go to
 *    completedIndexes instead), with the interim condition of a finishing
 *    Job (FailureTarget, SuccessCriteriaMet), and the status written.
 * 2. Their finalizers are removed (the removals remembered until the pod
 *    informer shows them, so a stale cache cannot count a pod twice).
 * 3. The UIDs whose pods lost their finalizer move into succeeded and
 *    failed, and the status is written again.
 * 4. Once nothing is uncounted or terminating, the final condition
 *    (Failed, or Complete with completionTime) is set and its event recorded.
 * At most MAX_UNCOUNTED_PODS are taken per sync; the Job's next sync does the rest.
 */
import type { EventRecorder } from '../../client/events.js';
import { isNotFound } from '../../client/errors.js';
import type { RestClient } from '../../client/rest.js';
import type { Pod } from '../../client/types.js';
import { completionIndex, formatIndexes, hasIndex, totalIndexes, UNKNOWN_INDEX, withIndexes, type Intervals } from './indexes.js';
import { ensureCondition, findCondition, hasTrackingFinalizer, isIndexed, isPodFailed, MAX_UNCOUNTED_PODS, newCondition, type BackoffRecord } from './logic.js';
import { removeFinalizerPatch, type SyncContext } from './manage.js';
import { COND, type Job, type JobCondition } from './types.js';

/** What the tracking needs from the controller. */
export interface TrackDeps {
  readonly client: RestClient;
  readonly recorder: EventRecorder;
  /** PUTs the status; answers the Job as written. */
  updateStatus(job: Job): Promise<Job>;
  /** Remembers the backoff record once the status that counted its pods is written. */
  setBackoff(key: string, r: BackoffRecord): void;
  /** Remembers pod UIDs whose finalizer removal is being asked. */
  expectFinalizerRemovals(key: string, uids: readonly string[]): void;
  /** Forgets one (seen, or the removal failed). */
  finalizerRemovalObserved(key: string, uid: string): void;
}

/** See the file comment (trackJobStatusAndRemoveFinalizers). */
export async function trackStatusAndRemoveFinalizers(
  d: TrackDeps,
  sc: SyncContext,
  t: {
    finished: JobCondition | undefined;
    needsUpdate: boolean;
    uncountedSucceeded: Set<string>;
    uncountedFailed: Set<string>;
    expectedRm: Set<string>;
    prevSucceededIndexes: Intervals;
    succeededIndexes: Intervals;
    now: string;
  },
): Promise<void> {
  let job = sc.job;
  const status = job.status!;
  const uncounted = status.uncountedTerminatedPods!;
  let needsFlush = t.needsUpdate;
  let finished = t.finished;
  const indexed = isIndexed(job);
  const completions = job.spec.completions ?? 0;
  const pods = indexed ? [...sc.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : sc.pods;
  const withFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !t.expectedRm.has(p.metadata.uid ?? '')).map((p) => p.metadata.uid ?? ''));
  if (countUncountedWithoutFinalizers(status, withFinalizer)) needsFlush = true;
  const toRemove: Pod[] = [];
  const newSucceededIndexes: number[] = [];
  let reachedMax = false;
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    if (!hasTrackingFinalizer(pod) || t.expectedRm.has(uid)) continue;
    const failed = isPodFailed(pod, job);
    const phase = pod.status?.phase;
    if (!(job.metadata.deletionTimestamp || finished || phase === 'Succeeded' || failed)) continue;
    toRemove.push(pod);
    const ix = completionIndex(pod);
    if (phase === 'Succeeded' && !t.uncountedFailed.has(uid)) {
      if (indexed) {
        if (ix !== UNKNOWN_INDEX && ix < completions && !hasIndex(t.prevSucceededIndexes, ix)) {
          newSucceededIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!t.uncountedSucceeded.has(uid)) {
        (uncounted.succeeded ??= []).push(uid);
        needsFlush = true;
      }
    } else if (failed || (finished && finished.type !== COND.successCriteriaMet)) {
      if (!t.uncountedFailed.has(uid) && (!indexed || (ix !== UNKNOWN_INDEX && ix < completions))) {
        (uncounted.failed ??= []).push(uid);
        needsFlush = true;
      }
    }
    if (newSucceededIndexes.length + (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) >= MAX_UNCOUNTED_PODS) {
      reachedMax = true;
      break;
    }
  }
  if (indexed) {
    const all = withIndexes(t.succeededIndexes, newSucceededIndexes.sort((a, b) => a - b));
    const text = formatIndexes(all);
    if (text !== (status.completedIndexes ?? '')) needsFlush = true;
    status.succeeded = totalIndexes(all);
    status.completedIndexes = text;
  }
  const conditions = (status.conditions ??= []);
  if (finished?.type === COND.failureTarget) {
    conditions.push(finished);
    needsFlush = true;
    finished = newCondition(COND.failed, 'True', finished.reason ?? '', finished.message ?? '', t.now);
  }
  if (finished?.type === COND.successCriteriaMet) {
    if (findCondition(conditions, COND.successCriteriaMet)?.status !== 'True') {
      conditions.push(finished);
      needsFlush = true;
    }
    finished = newCondition(COND.complete, 'True', finished.reason ?? '', finished.message ?? '', t.now);
  }

  // 1. write the uncounted UIDs (and the interim condition) before any finalizer goes
  if (needsFlush) {
    job = await d.updateStatus(job);
    d.setBackoff(sc.key, sc.backoff);
    needsFlush = false;
  }
  // 2. take the finalizers off
  let rmError: unknown;
  if (toRemove.length > 0) {
    d.expectFinalizerRemovals(sc.key, toRemove.map((p) => p.metadata.uid ?? ''));
    await Promise.all(
      toRemove.map(async (p) => {
        try {
          await d.client.patch({ resource: 'pods', namespace: p.metadata.namespace!, name: p.metadata.name! }, 'strategic', removeFinalizerPatch());
        } catch (e) {
          d.finalizerRemovalObserved(sc.key, p.metadata.uid ?? '');
          if (!isNotFound(e)) {
            rmError ??= e;
            return;
          }
        }
        withFinalizer.delete(p.metadata.uid ?? '');
      }),
    );
  }
  // 3. count the pods whose finalizer is gone
  if (countUncountedWithoutFinalizers(job.status!, withFinalizer)) needsFlush = true;
  if (rmError !== undefined) {
    if (needsFlush) await d.updateStatus(job);
    throw rmError instanceof Error ? rmError : new Error(String(rmError));
  }
  // 4. the final condition, once nothing is uncounted or terminating
  const st = job.status!;
  const left = (st.uncountedTerminatedPods?.succeeded?.length ?? 0) + (st.uncountedTerminatedPods?.failed?.length ?? 0);
  const jobFinished = !reachedMax && finished !== undefined && left === 0 && sc.terminating === 0;
  if (jobFinished) {
    ensureCondition((st.conditions ??= []), finished!.type, finished!.status, finished!.reason ?? '', finished!.message ?? '', t.now);
    if (finished!.type === COND.complete) st.completionTime = t.now;
    needsFlush = true;
  }
  if (needsFlush) {
    job = await d.updateStatus(job);
    if (jobFinished) recordFinished(d.recorder, job, finished!);
  }
}

/** The events of a finished Job (recordJobFinished). */
function recordFinished(recorder: EventRecorder, job: Job, cond: JobCondition): void {
  if (cond.type === COND.complete) {
    const completions = job.spec.completions;
    if (completions != null && (job.status?.succeeded ?? 0) > completions) {
      recorder.eventf(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
    }
    recorder.eventf(job, 'Normal', 'Completed', 'Job completed');
  } else {
    recorder.eventf(job, 'Warning', cond.reason ?? '', cond.message ?? '');
  }
}

/** Moves uncounted UIDs whose pod no longer has a finalizer into the counters (cleanUncountedPodsWithoutFinalizers); whether anything moved. */
export function countUncountedWithoutFinalizers(status: NonNullable<Job['status']>, withFinalizer: ReadonlySet<string>): boolean {
  const u = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const k of ['succeeded', 'failed'] as const) {
    const list = u[k] ?? [];
    const keep = list.filter((uid) => withFinalizer.has(uid));
    if (keep.length !== list.length) {
      changed = true;
      status[k] = (status[k] ?? 0) + list.length - keep.length;
      u[k] = keep;
    }
  }
  return changed;
}
