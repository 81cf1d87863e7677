/**
 * What every path of a Deployment sync shares (Kubernetes'
 * deployment/sync.go): finding the new and old ReplicaSets and keeping
 * their revisions, creating the new one, scaling (proportionally in a
 * scaling event), cleaning up old revisions, and the status.
 *
 * Each function takes the SyncContext and `d`, the controller's own copy
 * of the Deployment: functions change it as they write it (its status,
 * revision annotation and resourceVersion follow each write), so later
 * writes in the same sync do not conflict with earlier ones.
 */
import { rfc3339 } from '../../client/clock.js';
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import type { EventRecorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { controllerOf, newControllerRef } from '../internal/controllerref.js';
import { namespaceTerminating } from '../internal/podcontrol.js';
import { cloneAndAddLabel, cloneSelectorAndAddLabel } from '../internal/selector.js';
import { semanticEqual } from '../internal/semantic.js';
import { DEPLOYMENTS, REPLICASETS, type Deployment, type DeploymentStatus, type ReplicaSet } from '../internal/types.js';
import { computeHash } from './hash.js';
import * as u from './util.js';

/** What the sync functions work with: the controller's client, recorder, cache and queue. */
export interface SyncContext {
  readonly client: RestClient;
  readonly recorder: EventRecorder;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Syncs the Deployment again after `ms`. */
  readonly enqueueAfter: (d: Deployment, ms: number) => void;
  /** Syncs the Deployment again after its backoff. */
  readonly enqueueRateLimited: (d: Deployment) => void;
}

/** The new ReplicaSet (if any) and all the old ones. */
export interface ReplicaSets {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

const nowString = (s: SyncContext): string => rfc3339(s.now());

/**
 * Writes `d`'s status, and with it its metadata: its revision annotation
 * (deployments/status writes the body's annotations, as kube-apiserver's
 * does; kube's Deployment controller sets the annotation so too).
 */
export async function writeStatus(s: SyncContext, d: Deployment): Promise<void> {
  const ref = { ...DEPLOYMENTS, namespace: d.metadata.namespace, name: d.metadata.name! };
  const written = await s.client.update<Deployment>({ ...ref, subresource: 'status' }, d);
  d.metadata.resourceVersion = written.metadata.resourceVersion;
}

/** Sets the Deployment's revision annotation; whether it changed. */
function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const a = (d.metadata.annotations ??= {});
  if (a[u.REVISION] === revision) return false;
  a[u.REVISION] = revision;
  return true;
}

/** Puts `rs` in place of the entry with its uid. */
function replaceIn(list: ReplicaSet[], rs: ReplicaSet): void {
  const i = list.findIndex((x) => x.metadata.uid === rs.metadata.uid);
  if (i >= 0) list[i] = rs;
}

/**
 * The new ReplicaSet and the old ones of `rsList` (the Deployment's), the
 * new one's revision brought above every old one's and copied to the
 * Deployment; with `create`, a missing new ReplicaSet is created
 * (getAllReplicaSetsAndSyncRevision).
 */
export async function getAllReplicaSetsAndSyncRevision(s: SyncContext, d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<ReplicaSets> {
  const { allOld } = u.findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(s, d, rsList, allOld, create);
  return { newRS, oldRSs: allOld };
}

async function getNewReplicaSet(s: SyncContext, d: Deployment, rsList: ReplicaSet[], oldRSs: readonly ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
  const existing = u.findNewReplicaSet(d, rsList);
  const newRevision = u.maxRevision(oldRSs) + 1;
  const ns = d.metadata.namespace;
  if (existing) {
    const copy = structuredClone(existing);
    const annotationsChanged = u.setNewReplicaSetAnnotations(d, copy, newRevision, true);
    if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
      copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      const updated = await s.client.update<ReplicaSet>({ ...REPLICASETS, namespace: ns, name: copy.metadata.name! }, copy);
      replaceIn(rsList, updated);
      return updated;
    }
    let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.[u.REVISION] ?? '');
    if (u.hasProgressDeadline(d) && !u.getCondition(d.status?.conditions, 'Progressing')) {
      const cond = u.newCondition('Progressing', 'True', u.Reason.FoundNewRS, `Found new replica set "${copy.metadata.name}"`, nowString(s));
      (d.status ??= {}).conditions = u.setCondition(d.status.conditions, cond);
      needsUpdate = true;
    }
    if (needsUpdate) await writeStatus(s, d);
    return copy;
  }
  if (!create) return undefined;

  const template = structuredClone(d.spec.template ?? {});
  const hash = computeHash(template, d.status?.collisionCount);
  (template.metadata ??= {}).labels = cloneAndAddLabel(d.spec.template?.metadata?.labels, u.POD_TEMPLATE_HASH, hash);
  const name = `${d.metadata.name}-${hash}`;
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns, ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')], labels: { ...template.metadata.labels } },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector: cloneSelectorAndAddLabel(d.spec.selector, u.POD_TEMPLATE_HASH, hash), template },
  };
  const replicas = u.newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs.spec.replicas = replicas;
  u.setNewReplicaSetAnnotations(d, rs, newRevision, false);
  let created: ReplicaSet;
  let alreadyExists = false;
  try {
    created = await s.client.create<ReplicaSet>({ ...REPLICASETS, namespace: ns }, rs);
  } catch (e) {
    if (isAlreadyExists(e)) {
      // a cache behind the API server, or a hash collision
      const found = s.replicaSets.get(`${ns}/${name}`);
      if (!found) throw e;
      if (controllerOf(found)?.uid === d.metadata.uid && u.equalIgnoreHash(d.spec.template, found.spec.template)) {
        created = found;
        alreadyExists = true;
      } else {
        const status = (d.status ??= {});
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await writeStatus(s, d);
        s.log(`deployment: ${ns}/${d.metadata.name}: hash collision on ${name}; collisionCount now ${status.collisionCount}`);
        throw e;
      }
    } else if (namespaceTerminating(e)) {
      throw e;
    } else {
      const msg = `Failed to create new replica set "${name}": ${(e as Error).message}`;
      if (u.hasProgressDeadline(d)) {
        (d.status ??= {}).conditions = u.setCondition(d.status.conditions, u.newCondition('Progressing', 'False', u.Reason.FailedRSCreate, msg, nowString(s)));
        await writeStatus(s, d).catch(() => undefined); // the failure to report is the create's
      }
      s.recorder.eventf(d, 'Warning', u.Reason.FailedRSCreate, msg);
      throw e;
    }
  }
  if (!alreadyExists && replicas > 0) s.recorder.eventf(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set %s from 0 to %d', created.metadata.name, replicas);
  let needsUpdate = setDeploymentRevision(d, String(newRevision));
  if (!alreadyExists && u.hasProgressDeadline(d)) {
    const cond = u.newCondition('Progressing', 'True', u.Reason.NewReplicaSet, `Created new replica set "${created.metadata.name}"`, nowString(s));
    (d.status ??= {}).conditions = u.setCondition(d.status.conditions, cond);
    needsUpdate = true;
  }
  if (needsUpdate) await writeStatus(s, d);
  return created;
}

/**
 * Sets `rs` to `size` replicas and its replicas annotations to the
 * Deployment's, if either differs; a change of size is a ScalingReplicaSet
 * event. Answers whether it scaled, and the ReplicaSet as written.
 */
export async function scaleReplicaSet(s: SyncContext, rs: ReplicaSet, size: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const want = u.replicasOf(d);
  const max = want + u.maxSurge(d);
  const from = u.replicasOf(rs);
  if (from === size && !u.replicasAnnotationsNeedUpdate(rs, want, max)) return { scaled: false, rs };
  const copy = structuredClone(rs);
  copy.spec.replicas = size;
  u.setReplicasAnnotations(copy, want, max);
  const updated = await s.client.update<ReplicaSet>({ ...REPLICASETS, namespace: rs.metadata.namespace, name: rs.metadata.name! }, copy);
  if (from === size) return { scaled: false, rs: updated };
  s.recorder.eventf(d, 'Normal', 'ScalingReplicaSet', 'Scaled %s replica set %s from %d to %d', size > from ? 'up' : 'down', rs.metadata.name, from, size);
  return { scaled: true, rs: updated };
}

/** scaleReplicaSet, but only when the size changes (scaleReplicaSetAndRecordEvent): the annotations alone are not written. */
export async function scaleIfResized(s: SyncContext, rs: ReplicaSet, size: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  return u.replicasOf(rs) === size ? { scaled: false, rs } : scaleReplicaSet(s, rs, size, d);
}

/**
 * Scaling without a rollout (scale): the only active ReplicaSet takes
 * spec.replicas; a saturated new one has the old ones scaled to 0;
 * otherwise, rolling, the active ReplicaSets are scaled in proportion to
 * their sizes (util.ts proportionalSizes), and a Recreate Deployment waits
 * for its rollout.
 */
export async function scale(s: SyncContext, d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): Promise<void> {
  const want = u.replicasOf(d);
  const only = u.findActiveOrLatest(newRS, oldRSs);
  if (only) {
    await scaleIfResized(s, only, want, d);
    return;
  }
  if (u.isSaturated(d, newRS)) {
    for (const old of u.activeReplicaSets(oldRSs)) await scaleIfResized(s, old, 0, d);
    return;
  }
  if (!u.isRollingUpdate(d)) return;
  for (const { rs, size } of u.proportionalSizes(d, u.activeReplicaSets([...oldRSs, newRS]))) await scaleReplicaSet(s, rs, size, d);
}

/**
 * Deletes the oldest old ReplicaSets beyond revisionHistoryLimit, by
 * revision, skipping any with replicas, pods, an unobserved generation, or
 * already being deleted (cleanupDeployment).
 */
export async function cleanupDeployment(s: SyncContext, oldRSs: readonly ReplicaSet[], d: Deployment): Promise<void> {
  if (!u.hasRevisionHistoryLimit(d)) return;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(u.byRevision);
  const diff = alive.length - (d.spec.revisionHistoryLimit ?? 0);
  for (const rs of alive.slice(0, Math.max(0, diff))) {
    if ((rs.status?.replicas ?? 0) !== 0 || u.replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await s.client.delete({ ...REPLICASETS, namespace: rs.metadata.namespace, name: rs.metadata.name! });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/**
 * The Deployment's status from its ReplicaSets (calculateStatus): counts
 * summed (updated ones the new ReplicaSet's), unavailable what spec.replicas
 * lack of available, the conditions kept, and Available set by whether at
 * least spec.replicas - maxUnavailable are available. Zero counts are left
 * out, as the API's omitempty leaves them.
 */
export function calculateStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: string): DeploymentStatus {
  const available = u.sumAvailableReplicas(allRSs);
  const counts: Record<string, number> = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: u.sumActualReplicas(allRSs),
    updatedReplicas: u.sumActualReplicas([newRS]),
    readyReplicas: u.sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, u.sumReplicas(allRSs) - available),
  };
  const status: DeploymentStatus = Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== 0));
  if (d.status?.collisionCount !== undefined && d.status.collisionCount !== null) status.collisionCount = d.status.collisionCount;
  const cond =
    available >= u.replicasOf(d) - u.maxUnavailable(d)
      ? u.newCondition('Available', 'True', u.Reason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now)
      : u.newCondition('Available', 'False', u.Reason.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now);
  status.conditions = u.setCondition(d.status?.conditions, cond);
  return status;
}

/** Whether two statuses say the same (an unset count is 0). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  const fields = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;
  return fields.every((f) => (a?.[f] ?? 0) === (b?.[f] ?? 0)) && a?.collisionCount === b?.collisionCount && semanticEqual(a?.conditions, b?.conditions);
}

/** Writes the status calculateStatus gives, if it differs (syncDeploymentStatus). */
export async function syncDeploymentStatus(s: SyncContext, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const status = calculateStatus(allRSs, newRS, d, nowString(s));
  if (statusEqual(d.status, status)) return;
  d.status = status;
  await writeStatus(s, d);
}

/** Whether spec.replicas changed since the active ReplicaSets were sized (their desired-replicas differs). */
export async function isScalingEvent(s: SyncContext, d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, false);
  return u.activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = u.desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== u.replicasOf(d);
  });
}

/** A scaling event or a paused Deployment: scale, clean up (paused, no rollback asked), status (sync). */
export async function syncScaling(s: SyncContext, d: Deployment, rsList: ReplicaSet[], rollbackRequested: boolean): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, false);
  await scale(s, d, newRS, oldRSs);
  if (d.spec.paused && !rollbackRequested) await cleanupDeployment(s, oldRSs, d);
  await syncDeploymentStatus(s, [...oldRSs, newRS], newRS, d);
}

/** Only the status (a Deployment being deleted). */
export async function syncStatusOnly(s: SyncContext, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, false);
  await syncDeploymentStatus(s, [...oldRSs, newRS], newRS, d);
}

/**
 * Marks pausing and resuming in the Progressing condition (Unknown,
 * DeploymentPaused / DeploymentResumed), so that time paused never counts
 * against the progress deadline; a timed-out rollout keeps its condition.
 */
export async function checkPausedConditions(s: SyncContext, d: Deployment): Promise<void> {
  if (!u.hasProgressDeadline(d)) return;
  const cond = u.getCondition(d.status?.conditions, 'Progressing');
  if (cond?.reason === u.Reason.TimedOut) return;
  const pausedShown = cond?.reason === u.Reason.Paused;
  let next;
  if (d.spec.paused && !pausedShown) next = u.newCondition('Progressing', 'Unknown', u.Reason.Paused, 'Deployment is paused', nowString(s));
  else if (!d.spec.paused && pausedShown) next = u.newCondition('Progressing', 'Unknown', u.Reason.Resumed, 'Deployment is resumed', nowString(s));
  else return;
  (d.status ??= {}).conditions = u.setCondition(d.status.conditions, next);
  await writeStatus(s, d);
}
