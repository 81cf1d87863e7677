/**
 * The job controller (kube-controller-manager's `job`): runs a Job's pods
 * until enough succeed, or it fails.
 *
 *   jobs ──┐                          ┌─► create / delete pods (expectations)
 *          ├─► queue ─► sync(job) ────┼─► count finished pods, then take their
 *   pods ──┘  (pod events batched)    │   finalizers off (uncountedTerminatedPods)
 *                                      └─► status, conditions, events
 *
 * Each sync (syncJob):
 * 1. Claims the pods (controller reference; orphans the selector matches
 *    are adopted) and splits them: active, terminating, newly finished
 *    (those still carrying the batch.kubernetes.io/job-tracking finalizer).
 * 2. Decides whether the Job is finishing: failed pods past backoffLimit
 *    (BackoffLimitExceeded), activeDeadlineSeconds since startTime passed
 *    (DeadlineExceeded), or enough successes (CompletionsReached). A
 *    failing Job's active pods are deleted.
 * 3. Otherwise manages the pods (manage.ts): deletes all of a suspended
 *    Job, deletes the excess, or creates the missing (after the failure
 *    backoff; Indexed Jobs one per pending index), and keeps the
 *    Suspended condition.
 * 4. Tracks the finished pods as Kubernetes does (tracking.ts), so that none is counted
 *    twice or lost: their UIDs are written to status.uncountedTerminatedPods,
 *    then their finalizers removed, then the counters (succeeded, failed,
 *    completedIndexes) raised and the UIDs dropped. A finishing Job first
 *    gets the interim condition (FailureTarget or SuccessCriteriaMet), and
 *    its final one (Failed, or Complete with completionTime) only once no
 *    pod is uncounted or terminating.
 * A finished Job is not synced again; the finalizers of its pods (and of
 * pods of a deleted Job, or of orphans) are removed by a second kind of
 * queue key, `orphan-pod:<namespace>/<name>`.
 *
 * Status writes are PUTs of /status guarded by resourceVersion: a stale
 * cache gives a conflict, and the key is retried with its backoff.
 */
import { rfc3339 } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { isNotFound } from '../../client/errors.js';
import { NAMESPACE_INDEX, byNamespace, stripManagedFields, type Informer } from '../../client/informer.js';
import type { KubeObject, Pod } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { claim, controllerOf, recheckDeletion, resolveControllerRef } from '../internal/controllerref.js';
import { Expectations } from '../internal/expectations.js';
import { isPodActive } from '../internal/pods.js';
import { labelSelectorMatcher } from '../internal/selector.js';
import { completionIndex, parseIndexes, totalIndexes, UNKNOWN_INDEX, withIndexes, type Intervals } from './indexes.js';
import {
  countReady,
  DEFAULT_POD_FAILURE_BACKOFF_MS,
  ensureCondition,
  findCondition,
  hasTrackingFinalizer,
  isIndexed,
  isPodFailed,
  isPodTerminating,
  isSuspended,
  newCondition,
  nextBackoffRecord,
  pastBackoffLimitOnFailure,
  wireStatus,
  type BackoffRecord,
} from './logic.js';
import { manageJob, removeFinalizerPatch, type ManageDeps, type SyncContext } from './manage.js';
import { trackStatusAndRemoveFinalizers, type TrackDeps } from './tracking.js';
import { COND, isJobFinished, JOB_CONTROLLER_NAME, JOB_TRACKING_FINALIZER, JOBS, REASON, type Job, type JobCondition } from './types.js';

/** Options of the job controller beyond the manager's context (tests shorten the delays). */
export interface JobControllerOptions {
  /** How long pod events are batched before a sync (kube's syncJobBatchPeriod, 1 s). */
  readonly batchMs?: number;
  /** The first pod failure backoff, doubling per failure (kube's 10 s). */
  readonly podFailureBackoffMs?: number;
  /** The backoff's cap (kube's 6 minutes). */
  readonly maxPodFailureBackoffMs?: number;
}

const BY_CONTROLLER = 'job-controller/controller-uid';
const ORPHAN = 'orphan-pod:';

/** See the file comment. */
export class JobController extends QueueController {
  readonly #jobs: Informer<Job>;
  readonly #pods: Informer<Pod>;
  readonly #recorder: EventRecorder;
  readonly #expectations: Expectations;
  /** Per Job key: pod UIDs whose finalizer removal was asked and not yet seen. */
  readonly #finalizerRemovals = new Map<string, Set<string>>();
  readonly #backoff = new Map<string, BackoffRecord>();
  readonly #o: Required<JobControllerOptions>;

  constructor(ctx: ControllerContext, o: JobControllerOptions = {}) {
    super('job-controller', ctx);
    this.#o = { batchMs: 1000, podFailureBackoffMs: DEFAULT_POD_FAILURE_BACKOFF_MS, maxPodFailureBackoffMs: 6 * 60_000, ...o };
    this.#expectations = new Expectations(ctx.clock);
    this.#recorder = new EventRecorder(ctx.client, { component: 'job-controller', log: ctx.log, now: () => ctx.clock.now() });
    this.#jobs = ctx.informers.informer<Job>({ resource: JOBS, transform: stripManagedFields });
    this.#pods = ctx.informers.informer<Pod>({ resource: { resource: 'pods' }, transform: stripManagedFields });
    this.#jobs.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(BY_CONTROLLER, (p) => {
      const ref = controllerOf(p);
      return ref ? [ref.uid] : [];
    });
    this.#jobs.addEventHandler({
      onAdd: (j) => this.queue.add(keyOf(j)),
      onUpdate: (o, n) => this.#updateJob(o, n),
      onDelete: (j) => {
        this.queue.add(keyOf(j));
        this.#cleanupPodFinalizers(j);
      },
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#addPod(p),
      onUpdate: (o, n) => this.#updatePod(o, n),
      onDelete: (p) => this.#deletePod(p, true),
    });
  }

  // ---- event handlers: they only queue keys and count expectations ----

  #updateJob(old: Job, cur: Job): void {
    const key = keyOf(cur);
    if (cur.metadata.generation === old.metadata.generation) this.queue.addAfter(key, this.#o.batchMs);
    else this.queue.add(key);
    if (isJobFinished(cur)) this.#cleanupPodFinalizers(cur);
    const ads = cur.spec.activeDeadlineSeconds;
    if (cur.status?.startTime && ads != null && ads !== old.spec.activeDeadlineSeconds) {
      this.queue.addAfter(key, Date.parse(cur.status.startTime) + ads * 1000 - this.ctx.clock.now());
    }
  }

  /** The Job a pod's controller reference names, if it is one of ours. */
  #jobOf(pod: Pod): Job | undefined {
    return resolveControllerRef(this.#jobs, pod.metadata.namespace, controllerOf(pod), 'Job', 'batch/v1');
  }

  /** Queues the Jobs whose selector matches an orphan pod (they may adopt it). */
  #queueMatchingJobs(pod: Pod): void {
    for (const job of this.#jobs.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      if (labelSelectorMatcher(job.spec.selector)(pod.metadata.labels)) this.queue.addAfter(keyOf(job), this.#o.batchMs);
    }
  }

  #addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) return this.#deletePod(pod, false);
    const ref = controllerOf(pod);
    if (ref) {
      const job = this.#jobOf(pod);
      if (!job) {
        if (hasTrackingFinalizer(pod)) this.queue.add(ORPHAN + keyOf(pod));
        return;
      }
      this.#expectations.creationObserved(keyOf(job));
      this.queue.addAfter(keyOf(job), this.#o.batchMs);
      return;
    }
    if (hasTrackingFinalizer(pod)) this.queue.add(ORPHAN + keyOf(pod));
    this.#queueMatchingJobs(pod);
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (cur.metadata.deletionTimestamp) {
      this.#deletePod(cur, false);
      if (old.metadata.deletionTimestamp) return;
    }
    const oldRef = controllerOf(old);
    const curRef = controllerOf(cur);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const prev = this.#jobOf(old);
      if (prev) this.queue.addAfter(keyOf(prev), this.#o.batchMs);
    }
    const finalizerRemoved = hasTrackingFinalizer(old) && !hasTrackingFinalizer(cur);
    if (curRef) {
      const job = this.#jobOf(cur);
      if (!job) {
        if (hasTrackingFinalizer(cur)) this.queue.add(ORPHAN + keyOf(cur));
        return;
      }
      if (finalizerRemoved) this.#finalizerRemovalObserved(keyOf(job), cur.metadata.uid ?? '');
      this.queue.addAfter(keyOf(job), this.#o.batchMs);
      return;
    }
    if (hasTrackingFinalizer(cur)) this.queue.add(ORPHAN + keyOf(cur));
    if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {}) || oldRef) this.#queueMatchingJobs(cur);
  }

  /** A pod deleted (`final`), or marked for deletion. */
  #deletePod(pod: Pod, final: boolean): void {
    const hasFinalizer = hasTrackingFinalizer(pod);
    if (!controllerOf(pod)) {
      if (hasFinalizer && !final) this.queue.add(ORPHAN + keyOf(pod));
      return;
    }
    const job = this.#jobOf(pod);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer && !final) this.queue.add(ORPHAN + keyOf(pod));
      return;
    }
    const key = keyOf(job);
    this.#expectations.deletionObserved(key, keyOf(pod));
    if (final || !hasFinalizer) this.#finalizerRemovalObserved(key, pod.metadata.uid ?? '');
    this.queue.addAfter(key, this.#o.batchMs);
  }

  /** Queues the pods of a Job (finished or deleted) that still carry the tracking finalizer. */
  #cleanupPodFinalizers(job: Job): void {
    for (const pod of this.#pods.byIndex(BY_CONTROLLER, job.metadata.uid ?? '')) {
      if (hasTrackingFinalizer(pod)) this.queue.add(ORPHAN + keyOf(pod));
    }
  }

  #finalizerRemovalObserved(key: string, uid: string): void {
    const set = this.#finalizerRemovals.get(key);
    set?.delete(uid);
    if (set?.size === 0) this.#finalizerRemovals.delete(key);
  }

  // ---- sync ----

  protected async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN)) return this.#syncOrphanPod(key.slice(ORPHAN.length));
    const shared = this.#jobs.get(key);
    if (!shared) {
      this.#expectations.delete(key);
      this.#finalizerRemovals.delete(key);
      this.#backoff.delete(key);
      return;
    }
    if (shared.spec.managedBy != null && shared.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    if (isJobFinished(shared)) {
      this.#backoff.delete(key);
      return;
    }
    const job = structuredClone(shared);
    if (job.spec.completionMode && job.spec.completionMode !== 'NonIndexed' && job.spec.completionMode !== 'Indexed') {
      this.#recorder.eventf(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const status = (job.status ??= {});
    const uncounted = (status.uncountedTerminatedPods ??= {});
    const uncountedSucceeded = new Set(uncounted.succeeded ?? []);
    const uncountedFailed = new Set(uncounted.failed ?? []);
    const satisfied = this.#expectations.satisfied(key);
    const pods = await this.#podsForJob(job);
    const activePods = pods.filter(isPodActive);
    const expectedRm = new Set(this.#finalizerRemovals.get(key) ?? []);
    const nowMs = this.ctx.clock.now();
    const now = rfc3339(nowMs);
    const sc: SyncContext = {
      key,
      job,
      pods,
      activePods,
      ready: countReady(activePods),
      terminating: pods.filter(isPodTerminating).length,
      succeeded: 0,
      backoff: { failuresAfterLastSuccess: 0 },
    };
    // newly finished pods: not counted yet (they still carry the finalizer and are in no uncounted list)
    const valid = (p: Pod, uncountedSet: Set<string>): boolean => {
      const uid = p.metadata.uid ?? '';
      if (!hasTrackingFinalizer(p) || uncountedSet.has(uid) || expectedRm.has(uid)) return false;
      if (!isIndexed(job)) return true;
      const ix = completionIndex(p);
      return ix !== UNKNOWN_INDEX && ix < (job.spec.completions ?? 0);
    };
    const newSucceeded = pods.filter((p) => valid(p, uncountedSucceeded) && p.status?.phase === 'Succeeded');
    const newFailed = pods.filter((p) => valid(p, uncountedFailed) && isPodFailed(p, job));
    sc.succeeded = (status.succeeded ?? 0) + newSucceeded.length + uncountedSucceeded.size;
    const failed = (status.failed ?? 0) + newFailed.length + uncountedFailed.size;
    if (!status.startTime && !isSuspended(job)) status.startTime = now;
    sc.backoff = nextBackoffRecord(this.#backoff.get(key), newSucceeded, newFailed);

    let finished: JobCondition | undefined = findCondition(status.conditions, COND.successCriteriaMet);
    if (finished?.status !== 'True') finished = undefined;
    if (!finished) {
      const target = findCondition(status.conditions, COND.failureTarget);
      if (target?.status === 'True') finished = newCondition(COND.failed, 'True', target.reason ?? '', target.message ?? '', now);
    }
    if (!finished) {
      const ads = job.spec.activeDeadlineSeconds;
      if (failed > (job.spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
        finished = newCondition(COND.failureTarget, 'True', ...REASON.backoffLimitExceeded, now);
      } else if (ads != null && status.startTime && !isSuspended(job)) {
        const remaining = Date.parse(status.startTime) + ads * 1000 - nowMs;
        if (remaining <= 0) finished = newCondition(COND.failureTarget, 'True', ...REASON.deadlineExceeded, now);
        else this.queue.addAfter(key, remaining);
      }
    }
    let prevSucceededIndexes: Intervals = [];
    let succeededIndexes: Intervals = [];
    if (isIndexed(job)) {
      const completions = job.spec.completions ?? 0;
      prevSucceededIndexes = parseIndexes(status.completedIndexes, completions);
      const fresh = new Set<number>();
      for (const p of pods) {
        const ix = completionIndex(p);
        if (p.status?.phase === 'Succeeded' && ix !== UNKNOWN_INDEX && ix < completions && hasTrackingFinalizer(p)) fresh.add(ix);
      }
      succeededIndexes = withIndexes(prevSucceededIndexes, [...fresh].sort((a, b) => a - b));
      sc.succeeded = totalIndexes(succeededIndexes);
    }

    let manageErr: unknown;
    let active = activePods.length;
    let suspendChanged = false;
    if (finished) {
      const { deleted, deletedReady, error } = await this.#deleteActivePods(job, activePods);
      if (deleted !== active || !satisfied) finished = undefined;
      active -= deleted;
      sc.terminating += deleted;
      sc.ready -= deletedReady;
      manageErr = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        const r = await manageJob(this.#manageDeps(), sc, succeededIndexes);
        active = r.active;
        manageErr = r.error;
        managed = true;
      }
      const completions = job.spec.completions;
      const complete = completions == null ? sc.succeeded > 0 && active === 0 : sc.succeeded >= completions && active === 0;
      if (complete) {
        finished = newCondition(COND.successCriteriaMet, 'True', ...REASON.completionsReached, now);
      } else if (managed) {
        const conditions = (status.conditions ??= []);
        if (isSuspended(job)) {
          suspendChanged = ensureCondition(conditions, COND.suspended, 'True', ...REASON.suspended, now);
          if (suspendChanged) this.#recorder.eventf(job, 'Normal', 'Suspended', 'Job suspended');
        } else {
          suspendChanged = ensureCondition(conditions, COND.suspended, 'False', ...REASON.resumed, now);
          if (suspendChanged) {
            this.#recorder.eventf(job, 'Normal', 'Resumed', 'Job resumed');
            // the deadline counts from the resume, as from a start
            status.startTime = now;
          }
        }
      }
    }
    const needsUpdate = suspendChanged || active !== (status.active ?? 0) || sc.ready !== status.ready || sc.terminating !== status.terminating;
    status.active = active;
    status.ready = sc.ready;
    status.terminating = sc.terminating;
    await trackStatusAndRemoveFinalizers(this.#trackDeps(), sc, { finished, needsUpdate, uncountedSucceeded, uncountedFailed, expectedRm, prevSucceededIndexes, succeededIndexes, now });
    if (manageErr !== undefined) throw manageErr instanceof Error ? manageErr : new Error(String(manageErr));
  }

  /** What manage.ts needs from the controller. */
  #manageDeps(): ManageDeps {
    return {
      client: this.ctx.client,
      recorder: this.#recorder,
      expectations: this.#expectations,
      clock: this.ctx.clock,
      queue: this.queue,
      batchMs: this.#o.batchMs,
      backoffMs: [this.#o.podFailureBackoffMs, this.#o.maxPodFailureBackoffMs],
    };
  }

  /** The pods the Job manages: its own, and orphans its selector matches (adopted, with the tracking finalizer). */
  async #podsForJob(job: Job): Promise<Pod[]> {
    const ns = job.metadata.namespace ?? '';
    const candidates = this.#pods.byIndex(NAMESPACE_INDEX, ns);
    const claimed = await claim(
      {
        client: this.ctx.client,
        resource: { resource: 'pods' },
        controller: job,
        apiVersion: 'batch/v1',
        kind: 'Job',
        selector: labelSelectorMatcher(job.spec.selector),
        canAdopt: recheckDeletion(this.ctx.client, { ...JOBS, namespace: ns, name: job.metadata.name! }, job.metadata.uid),
      },
      candidates,
    );
    const out: Pod[] = [];
    for (const p of claimed) {
      const adopted = !(p.metadata.ownerReferences ?? []).some((r) => r.uid === job.metadata.uid);
      if (adopted && !hasTrackingFinalizer(p)) {
        // kube adds the finalizer in the adoption patch; here it is a second patch
        await this.ctx.client.patch({ resource: 'pods', namespace: ns, name: p.metadata.name! }, 'strategic', { metadata: { finalizers: [JOB_TRACKING_FINALIZER], uid: p.metadata.uid } });
        out.push({ ...p, metadata: { ...p.metadata, finalizers: [...(p.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER] } });
      } else out.push(p);
    }
    return out;
  }

  /** Deletes a finishing Job's active pods, keeping their finalizers (deleteActivePods). */
  async #deleteActivePods(job: Job, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.ctx.client.delete({ resource: 'pods', namespace: p.metadata.namespace!, name: p.metadata.name! });
          this.#recorder.eventf(job, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', p.metadata.name);
        } catch (e) {
          if (!isNotFound(e)) {
            error ??= e;
            return;
          }
        }
        deleted++;
        if (countReady([p]) === 1) deletedReady++;
      }),
    );
    return { deleted, deletedReady, error };
  }



  /** What tracking.ts needs from the controller. */
  #trackDeps(): TrackDeps {
    return {
      client: this.ctx.client,
      recorder: this.#recorder,
      updateStatus: (job) => this.#updateStatus(job),
      setBackoff: (key, r) => void this.#backoff.set(key, r),
      expectFinalizerRemovals: (key, uids) => {
        const expected = this.#finalizerRemovals.get(key) ?? new Set<string>();
        for (const uid of uids) expected.add(uid);
        this.#finalizerRemovals.set(key, expected);
      },
      finalizerRemovalObserved: (key, uid) => this.#finalizerRemovalObserved(key, uid),
    };
  }

  /** PUTs the Job's status (guarded by its resourceVersion) and answers the Job as written. */
  async #updateStatus(job: Job): Promise<Job> {
    const body = { ...job, status: wireStatus(job.status ?? {}) };
    const written = await this.ctx.client.update<Job>({ ...JOBS, namespace: job.metadata.namespace!, name: job.metadata.name!, subresource: 'status' }, body);
    // keep working on our copy of the status (the server's is the same), with the new resourceVersion
    return { ...written, status: { ...job.status, ...written.status, uncountedTerminatedPods: { ...(written.status?.uncountedTerminatedPods ?? {}) } } };
  }

  /** Takes the tracking finalizer off a pod whose Job is gone or finished (syncOrphanPod). */
  async #syncOrphanPod(podKey: string): Promise<void> {
    const pod = this.#pods.get(podKey);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.#jobOf(pod);
      if (job?.spec.managedBy != null && job.spec.managedBy !== JOB_CONTROLLER_NAME) return;
      if (job && !isJobFinished(job)) return;
    }
    try {
      await this.ctx.client.patch({ resource: 'pods', namespace: pod.metadata.namespace!, name: pod.metadata.name! }, 'strategic', removeFinalizerPatch());
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}


/** `namespace/name` of an object. */
function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}


/** The job controller with `o`'s delays (tests shorten them) and --concurrent-job-syncs' default of 5 workers. */
export function jobRegistrationWith(o: JobControllerOptions): Registration {
  return { factory: (ctx) => new JobController(ctx, o), workers: 5 };
}

/** kube-controller-manager's job controller, with kube's delays and 5 workers. */
export const jobRegistration: Registration = jobRegistrationWith({});
