/**
 * Bringing a Job's pods to its spec (kube's manageJob), the third step of a
 * sync (job.ts):
 * - a suspended Job: every active pod deleted (its finalizer first taken
 *   off: a pod removed on purpose is not counted as failed);
 * - too many active pods (more than parallelism, or than the completions
 *   still missing; for an Indexed Job also pods of duplicated or invalid
 *   indexes): the excess deleted, in the usual deletion order;
 * - too few: new pods from the template, with the tracking finalizer, in
 *   slow-start batches (1, 2, 4 ...), unless the pod failure backoff still
 *   runs (the key is then queued for when it ends). An Indexed Job's pods
 *   take the lowest pending indexes: the completion-index annotation and
 *   label, hostname `<job>-<index>`, generateName `<job>-<index>-` and
 *   the JOB_COMPLETION_INDEX environment variable.
 * A sync either deletes or creates, never both. Expectations are set before
 * the writes and counted down for those that fail.
 */
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/events.js';
import { isNotFound } from '../../client/errors.js';
import type { RestClient } from '../../client/rest.js';
import type { KubeObject, Pod } from '../../client/types.js';
import type { WorkQueue } from '../../client/workqueue.js';
import { newControllerRef } from '../internal/controllerref.js';
import type { Expectations } from '../internal/expectations.js';
import { namespaceTerminating, PodControl, podFromTemplate, slowStartBatch } from '../internal/podcontrol.js';
import { isPodReady } from '../internal/pods.js';
import type { PodTemplateSpec } from '../internal/types.js';
import { firstPendingIndexes, type Intervals } from './indexes.js';
import {
  activePodsForRemoval,
  backoffRemaining,
  hasTrackingFinalizer,
  isIndexed,
  isSuspended,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  onlyReplaceFailedPods,
  wantActive,
  type BackoffRecord,
} from './logic.js';
import { COMPLETION_INDEX_ANNOTATION, COMPLETION_INDEX_ENV, JOB_TRACKING_FINALIZER, type Job } from './types.js';

/** What one sync knows about a Job and its pods; manageJob updates `terminating` and `ready`. */
export interface SyncContext {
  readonly key: string;
  readonly job: Job;
  readonly pods: readonly Pod[];
  readonly activePods: readonly Pod[];
  ready: number;
  terminating: number;
  /** Successes so far, counted or not (for an Indexed Job: succeeded indexes). */
  succeeded: number;
  /** The failure backoff with this sync's newly finished pods. */
  backoff: BackoffRecord;
}

/** What manageJob works with. */
export interface ManageDeps {
  readonly client: RestClient;
  readonly recorder: EventRecorder;
  readonly expectations: Expectations;
  readonly clock: Clock;
  readonly queue: WorkQueue<string>;
  readonly batchMs: number;
  /** The pod failure backoff's base and cap. */
  readonly backoffMs: readonly [number, number];
}

/** The strategic merge patch that takes the tracking finalizer off a pod. */
export function removeFinalizerPatch(): unknown {
  return { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } };
}

const podKey = (p: KubeObject): string => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;

/** The Job's pod template as its pods are made: the tracking finalizer added, and for an Indexed Job the index variable. */
export function jobPodTemplate(job: Job): PodTemplateSpec {
  const t = structuredClone(job.spec.template);
  const meta = (t.metadata ??= {});
  if (!(meta.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER];
  if (isIndexed(job) && t.spec) {
    const env = { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } };
    for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
      const list = (c.env ?? []) as { name: string }[];
      if (!list.some((e) => e.name === COMPLETION_INDEX_ENV)) c.env = [...list, env];
    }
  }
  return t;
}

/** The template of the pod of index `ix`. */
export function indexedTemplate(job: Job, template: PodTemplateSpec, ix: number): PodTemplateSpec {
  const t = structuredClone(template);
  const meta = (t.metadata ??= {});
  meta.annotations = { ...(meta.annotations ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(ix) };
  meta.labels = { ...(meta.labels ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(ix) };
  if (t.spec) t.spec.hostname = `${job.metadata.name ?? ''}-${ix}`;
  return t;
}

/** Creates one pod of the Job (of index `ix` for an Indexed Job), recording SuccessfulCreate or FailedCreate. */
async function createPod(d: ManageDeps, job: Job, template: PodTemplateSpec, ix: number | undefined): Promise<void> {
  const t = ix === undefined ? template : indexedTemplate(job, template, ix);
  const base = ix === undefined ? (job.metadata.name ?? '') : `${job.metadata.name ?? ''}-${ix}`;
  const pod = podFromTemplate(t, base, newControllerRef(job, 'batch/v1', 'Job'));
  try {
    const created = await d.client.create<Pod>({ resource: 'pods', namespace: job.metadata.namespace! }, pod);
    d.recorder.eventf(job, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata.name);
  } catch (e) {
    if (!namespaceTerminating(e)) d.recorder.eventf(job, 'Warning', 'FailedCreate', 'Error creating: %s', (e as Error).message);
    throw e;
  }
}

/** Deletes pods of a running Job, their finalizer first (deleteJobPods); how many went (and of them, ready). */
async function deleteJobPods(d: ManageDeps, sc: SyncContext, pods: readonly Pod[]): Promise<{ removed: number; removedReady: number; error?: unknown }> {
  const control = new PodControl(d.client, d.recorder);
  let removed = 0;
  let removedReady = 0;
  let error: unknown;
  await Promise.all(
    pods.map(async (p) => {
      const ref = { resource: 'pods', namespace: p.metadata.namespace!, name: p.metadata.name! };
      try {
        if (hasTrackingFinalizer(p)) await d.client.patch(ref, 'strategic', removeFinalizerPatch());
        await control.deletePod(ref.namespace, ref.name, sc.job);
      } catch (e) {
        d.expectations.deletionObserved(sc.key, podKey(p));
        if (!isNotFound(e)) {
          error ??= e;
          return;
        }
      }
      removed++;
      if (isPodReady(p)) removedReady++;
    }),
  );
  return { removed, removedReady, error };
}

/** See the file comment; answers how many pods are active after it. */
export async function manageJob(d: ManageDeps, sc: SyncContext, succeededIndexes: Intervals): Promise<{ active: number; error?: unknown }> {
  const { job, key } = sc;
  let active = sc.activePods.length;
  const remove = async (pods: Pod[]): Promise<{ active: number; error?: unknown }> => {
    d.expectations.expectDeletions(key, pods.map(podKey));
    const r = await deleteJobPods(d, sc, pods);
    sc.terminating += r.removed;
    sc.ready -= r.removedReady;
    return { active: active - r.removed, ...(r.error !== undefined ? { error: r.error } : {}) };
  };
  if (isSuspended(job)) return remove(activePodsForRemoval(job, sc.activePods, active));

  const want = wantActive(job, sc.succeeded, active);
  const excess = activePodsForRemoval(job, sc.activePods, Math.max(0, active - want)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (excess.length > 0) return remove(excess);

  let diff = want - (onlyReplaceFailedPods(job) ? sc.terminating : 0) - active;
  if (diff <= 0) return { active };
  const wait = backoffRemaining(sc.backoff, d.clock.now(), ...d.backoffMs);
  if (wait > 0) {
    d.queue.addAfter(key, Math.max(wait, d.batchMs));
    return { active };
  }
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
  let indexes: number[] | undefined;
  if (isIndexed(job)) {
    indexes = firstPendingIndexes(succeededIndexes, sc.activePods, diff, job.spec.completions ?? 0);
    diff = indexes.length;
  }
  if (diff === 0) return { active };
  d.expectations.expectCreations(key, diff);
  const template = jobPodTemplate(job);
  let next = 0;
  const { successes, error } = await slowStartBatch(diff, 1, () => createPod(d, job, template, indexes?.[next++]));
  // creations that failed or were never tried will not be seen
  for (let i = successes; i < diff; i++) d.expectations.creationObserved(key);
  active += successes;
  return { active, ...(error !== undefined && !namespaceTerminating(error) ? { error } : {}) };
}
