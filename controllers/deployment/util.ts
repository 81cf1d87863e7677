/**
 * The Deployment arithmetic and bookkeeping of Kubernetes'
 * deployment/util/deployment_util.go and controller_utils.go, pure: surge
 * and unavailability from ints and percentages, the new ReplicaSet's next
 * size, proportional shares in a scaling event, revisions and the
 * annotations on ReplicaSets, which ReplicaSet is new, conditions, and the
 * tests for complete, progressing and timed-out rollouts.
 */
import { getCondition, removeCondition, setCondition } from '../internal/conditions.js';
import { timeMs } from '../internal/pods.js';
import { semanticEqual } from '../internal/semantic.js';
import type { ConditionStatus, Deployment, DeploymentCondition, DeploymentStatus, IntOrString, PodTemplateSpec, ReplicaSet } from '../internal/types.js';

/** A ReplicaSet's place in its Deployment's rollouts. */
export const REVISION = 'deployment.kubernetes.io/revision';
/** The revisions a ReplicaSet served before (it was rolled back to). */
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
/** The Deployment's replicas when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
/** The Deployment's replicas plus maxSurge then. */
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** extensions/v1beta1's rollback request, still honoured as an annotation. */
export const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** The label (and selector term) that tells a Deployment's ReplicaSets apart. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
/** kubectl's change-cause annotation, copied to ReplicaSets like any other. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
/** The longest revision-history annotation kept, in characters. */
export const MAX_REV_HISTORY_CHARS = 2000;

/** Condition reasons, as Kubernetes names them. */
export const Reason = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  FailedRSCreate: 'ReplicaSetCreateError',
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** The annotations never copied between a Deployment and its ReplicaSets. */
const SKIPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

/** Whether an annotation stays where it is (see SKIPPED_ANNOTATIONS). */
export function skipCopyAnnotation(key: string): boolean {
  return SKIPPED_ANNOTATIONS.has(key);
}

/** spec.replicas (the API server defaults it to 1). */
export const replicasOf = (o: Deployment | ReplicaSet): number => o.spec.replicas ?? 1;

/** An IntOrString against `total`: an int as it is, `N%` of total rounded up or down (intstr.GetScaledValueFromIntOrPercent). */
export function scaledValue(v: IntOrString | null | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) of `desired`;
 * when both come to 0, maxUnavailable is 1 (ResolveFenceposts).
 */
export function resolveFenceposts(surge: IntOrString | null | undefined, unavailable: IntOrString | null | undefined, desired: number): [number, number] {
  const s = scaledValue(surge ?? 0, desired, true);
  const u = scaledValue(unavailable ?? 0, desired, false);
  return s === 0 && u === 0 ? [0, 1] : [s, u];
}

/** Whether the Deployment rolls (RollingUpdate) rather than recreates. */
export function isRollingUpdate(d: Deployment): boolean {
  return d.spec.strategy?.type === 'RollingUpdate';
}

/** How many pods above spec.replicas a rollout may run (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d))[0];
}

/** How many of spec.replicas may be unavailable during a rollout (0 for Recreate or no replicas; never above spec.replicas). */
export function maxUnavailable(d: Deployment): number {
  const want = replicasOf(d);
  if (!isRollingUpdate(d) || want === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return Math.min(resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, want)[1], want);
}

/** Go's math.Round: halves away from zero. */
function round(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** The ReplicaSet's revision annotation as a number: 0 when unset, NaN when not an integer. */
export function revisionOf(o: { metadata: { annotations?: Record<string, string> } }): number {
  const v = o.metadata.annotations?.[REVISION];
  if (v === undefined) return 0;
  return /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
}

/** The highest revision of `rss` (unreadable ones skipped). */
export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => (Number.isNaN(revisionOf(rs)) ? m : Math.max(m, revisionOf(rs))), 0);
}

/** The second highest revision of `rss`: the one before the current (LastRevision). */
export function lastRevision(rss: readonly ReplicaSet[]): number {
  let [max, second] = [0, 0];
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (Number.isNaN(v)) continue;
    if (v >= max) [second, max] = [max, v];
    else if (v > second) second = v;
  }
  return second;
}

/** An integer annotation of the ReplicaSet, if set and readable. */
function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

/** The desired-replicas annotation. */
export const desiredReplicasAnnotation = (rs: ReplicaSet): number | undefined => intAnnotation(rs, DESIRED_REPLICAS);

/** Sets desired-replicas and max-replicas on `rs` (mutated); whether they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of [[DESIRED_REPLICAS, String(desired)], [MAX_REPLICAS, String(max)]] as const) {
    if (a[k] !== v) {
      a[k] = v;
      changed = true;
    }
  }
  return changed;
}

/** Whether setReplicasAnnotations would change anything. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/**
 * Brings the new ReplicaSet's annotations (`rs`, mutated) up to date with
 * its Deployment: the Deployment's own annotations copied (not the skipped
 * ones), the revision raised to `newRevision` when lower (a ReplicaSet
 * rolled back to keeps its former revisions in revision-history, trimmed to
 * `limitChars` from the oldest), and for a ReplicaSet about to be created
 * (`exists` false) the replicas annotations. Whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, limitChars = MAX_REV_HISTORY_CHARS): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const had = a[REVISION];
  const old = had === undefined || had === '' ? 0 : /^[+-]?\d+$/.test(had) ? Number(had) : NaN;
  if (Number.isNaN(old)) return changed; // an unreadable revision is left alone
  if (old < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (had !== undefined) {
      const history = a[REVISION_HISTORY] ? a[REVISION_HISTORY].split(',') : [];
      let total = history.join(',').length + (history.length ? 1 : 0) + had.length;
      while (total > limitChars && history.length > 0) total -= history.shift()!.length + 1;
      if (total <= limitChars) a[REVISION_HISTORY] = [...history, had].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** The Deployment's annotations made those of `rs` (rolling back to it), the skipped ones kept (SetDeploymentAnnotationsTo). */
export function deploymentAnnotationsFrom(d: Deployment, rs: ReplicaSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (skipCopyAnnotation(k)) out[k] = v;
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) if (!skipCopyAnnotation(k)) out[k] = v;
  return out;
}

/** Whether two templates are semantically equal but for the pod-template-hash label (EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): PodTemplateSpec => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH];
    return c;
  };
  return semanticEqual(strip(a), strip(b));
}

/** Creation time, then name: oldest first (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const [ta, tb] = [timeMs(a.metadata.creationTimestamp), timeMs(b.metadata.creationTimestamp)];
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

/** Larger first; of the same size, older first (ReplicaSetsBySizeOlder). */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet): number => replicasOf(b) - replicasOf(a) || byCreation(a, b);
/** Larger first; of the same size, newer first (ReplicaSetsBySizeNewer). */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet): number => replicasOf(b) - replicasOf(a) || byCreation(b, a);

/** Lower revision first; unreadable or equal revisions by creation (ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const [ra, rb] = [revisionOf(a), revisionOf(b)];
  if (Number.isNaN(ra) || Number.isNaN(rb) || ra === rb) return byCreation(a, b);
  return ra - rb;
}

/** The ReplicaSets with replicas (FilterActiveReplicaSets). */
export function activeReplicaSets(rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);
}

/** The new ReplicaSet: the oldest whose template is the Deployment's (FindNewReplicaSet). */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** The other ReplicaSets: all of them, and those with replicas (FindOldReplicaSets). */
export function findOldReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): { old: ReplicaSet[]; allOld: ReplicaSet[] } {
  const fresh = findNewReplicaSet(d, rss);
  const allOld = rss.filter((rs) => rs.metadata.uid !== fresh?.metadata.uid);
  return { old: allOld.filter((rs) => replicasOf(rs) !== 0), allOld };
}

/** The only active ReplicaSet, or the newest when none is active; undefined when several are (FindActiveOrLatest). */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** Sums over ReplicaSets: spec.replicas, status.replicas, ready and available. */
export const sumReplicas = (rss: readonly (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
export const sumActualReplicas = (rss: readonly (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const sumReadyReplicas = (rss: readonly (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const sumAvailableReplicas = (rss: readonly (ReplicaSet | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/**
 * The new ReplicaSet's next size (NewRSNewReplicas): RollingUpdate grows it
 * by what maxSurge leaves room for, never past spec.replicas; Recreate
 * makes it spec.replicas.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const want = replicasOf(d);
  switch (d.spec.strategy?.type) {
    case 'RollingUpdate': {
      const maxTotal = want + scaledValue(d.spec.strategy.rollingUpdate?.maxSurge ?? 0, want, true);
      const current = sumReplicas(allRSs);
      if (current >= maxTotal) return replicasOf(newRS);
      return replicasOf(newRS) + Math.min(maxTotal - current, want - replicasOf(newRS));
    }
    case 'Recreate':
      return want;
    default:
      throw new Error(`deployment type ${d.spec.strategy?.type ?? ''} isn't supported`);
  }
}

/** Whether the new ReplicaSet has all of spec.replicas, as it and its annotation agree, all available (IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = replicasOf(d);
  return replicasOf(rs) === want && desiredReplicasAnnotation(rs) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/**
 * A ReplicaSet's share of a scaling event (GetProportion): `toAdd` replicas
 * to spread, `added` spread so far. Its fraction is its size scaled by the
 * Deployment's new spec.replicas + maxSurge over the max-replicas it was
 * sized for (all of it, negated, when scaling to 0), capped by what is left.
 */
export function getProportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * The sizes of the active ReplicaSets `active` in a scaling event of a
 * rolling Deployment: what spec.replicas + maxSurge (0 when scaling to 0)
 * adds to or takes from their total, spread in proportion (getProportion),
 * the larger ReplicaSets first (newer first when adding, older first when
 * removing); the leftover of the rounding goes to the first, never below 0.
 * In the order they are to be scaled.
 */
export function proportionalSizes(d: Deployment, active: readonly ReplicaSet[]): { rs: ReplicaSet; size: number }[] {
  const want = replicasOf(d);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(active);
  const order = [...active];
  if (toAdd > 0) order.sort(bySizeNewer);
  else if (toAdd < 0) order.sort(bySizeOlder);
  let added = 0;
  const out = order.map((rs) => {
    const share = getProportion(rs, d, toAdd, added);
    added += share;
    return { rs, size: replicasOf(rs) + share };
  });
  if (out[0] && toAdd !== 0) out[0].size = Math.max(0, out[0].size + toAdd - added);
  return out;
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS) ?? d.status?.replicas ?? 0;
  return round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

/** Whether the Deployment reports progress against a deadline (set, and not MaxInt32). */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

/** Whether old ReplicaSets are cleaned up (a limit set, and not MaxInt32). */
export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const l = d.spec.revisionHistoryLimit;
  return l !== undefined && l !== null && l !== 2147483647;
}

/** A Deployment condition now. */
export function newCondition(type: string, status: ConditionStatus, reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export { getCondition, removeCondition, setCondition };

/** All of spec.replicas updated, no others, all available, at the Deployment's generation (DeploymentComplete). */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** More updated, fewer old, more ready or more available pods than the stored status says (DeploymentProgressing). */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/**
 * Whether the rollout has timed out (DeploymentTimedOut): its Progressing
 * condition already says so, or (unless it says the rollout completed) its
 * last update is more than progressDeadlineSeconds before `nowMs`.
 */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s.conditions, 'Progressing');
  if (!c || c.reason === Reason.NewRSAvailable) return false;
  if (c.reason === Reason.TimedOut) return true;
  return timeMs(c.lastUpdateTime) + (d.spec.progressDeadlineSeconds ?? 0) * 1000 < nowMs;
}
