/**
 * What the workload controllers ask of a pod (Kubernetes' podutil and
 * controller_utils): whether it is active, ready, available after
 * minReadySeconds, and which pods go first when there are too many.
 *
 * The deletion order (controller.ActivePodsWithRanks, with the
 * PodDeletionCost and LogarithmicScaleDown features on, as they are by
 * default): of two pods, the first rule that tells them apart decides which
 * is deleted first:
 *   1. not on a node before on a node;
 *   2. Pending before Unknown before Running (any other phase counts as Pending);
 *   3. not ready before ready;
 *   4. the lower `controller.kubernetes.io/pod-deletion-cost` first;
 *   5. the higher rank first (the number of related active pods on its node);
 *   6. both ready: ready for less time first, times compared on a log2
 *      scale of their age (same bucket: by UID);
 *   7. more container restarts first;
 *   8. created later first, on the same log2 scale (same bucket: by UID);
 *   else they are equal.
 * An unset time sorts before a set one in rules 6 and 8.
 */
import type { Pod } from '../../client/types.js';

/** The annotation that makes a pod cheaper (lower) or dearer to delete. */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** Not finished (Succeeded or Failed) and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** The pod's Ready condition, if it has one. */
function readyCondition(pod: Pod): { status: string; lastTransitionTime?: string | null } | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Its Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Epoch ms of a timestamp, 0 when unset or unreadable (Go's zero time). */
export function timeMs(t: string | null | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Ready, and for at least minReadySeconds by `nowMs` (podutil.IsPodAvailable:
 * the Ready condition's lastTransitionTime plus minReadySeconds is before now).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = timeMs(c.lastTransitionTime);
  return since !== 0 && since + minReadySeconds * 1000 < nowMs;
}

/** When the pod became ready (0 when it is not ready or the time is unset). */
function readySince(pod: Pod): number {
  const c = readyCondition(pod);
  return c?.status === 'True' ? timeMs(c.lastTransitionTime) : 0;
}

/** The pod's deletion cost annotation: an int32, 0 when unset or invalid. */
export function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

/** The most restarts of any container (and any sidecar: an init container that restarts always). */
function maxRestarts(pod: Pod): number {
  const statuses = (pod.status?.containerStatuses ?? []) as { restartCount?: number }[];
  let max = statuses.reduce((m, s) => Math.max(m, s.restartCount ?? 0), 0);
  const sidecars = new Set((pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  for (const s of (pod.status?.initContainerStatuses ?? []) as { name?: string; restartCount?: number }[]) {
    if (s.name !== undefined && sidecars.has(s.name)) max = Math.max(max, s.restartCount ?? 0);
  }
  return max;
}

const PHASE_ORDER: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** A pod and its rank (rule 5), as the deletion order compares them. */
export interface RankedPod {
  readonly pod: Pod;
  readonly rank: number;
}

/** Go's afterOrZero: an unset time first, else the later first. */
function laterOrUnsetFirst(a: number, b: number): number {
  if (a === 0 || b === 0) return a === 0 ? -1 : 1;
  return a > b ? -1 : 1;
}

/** The log2 bucket of the age (ns, as Go's Duration) of a time at `nowMs`; -1 when not in the past. */
function ageBucket(t: number, nowMs: number): number {
  const ns = (nowMs - t) * 1e6;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/** Rules 6 and 8: the more recent first, on a log scale when `nowMs` is known; same bucket: by UID. */
function compareTimes(a: number, b: number, pa: Pod, pb: Pod, nowMs: number | undefined): number {
  if (nowMs === undefined || a === 0 || b === 0) return laterOrUnsetFirst(a, b);
  const diff = ageBucket(a, nowMs) - ageBucket(b, nowMs);
  if (diff !== 0) return diff;
  const [ua, ub] = [pa.metadata.uid ?? '', pb.metadata.uid ?? ''];
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** Negative when `a` goes before `b` in the deletion order of the file comment, positive when after, 0 when equal. */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowMs?: number): number {
  const [pa, pb] = [a.pod, b.pod];
  const [na, nb] = [pa.spec.nodeName ?? '', pb.spec.nodeName ?? ''];
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const [pha, phb] = [PHASE_ORDER[pa.status?.phase ?? ''] ?? 0, PHASE_ORDER[pb.status?.phase ?? ''] ?? 0];
  if (pha !== phb) return pha - phb;
  const [ra, rb] = [isPodReady(pa), isPodReady(pb)];
  if (ra !== rb) return ra ? 1 : -1;
  const [ca, cb] = [deletionCost(pa), deletionCost(pb)];
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const [ta, tb] = [readySince(pa), readySince(pb)];
    if (ta !== tb) return compareTimes(ta, tb, pa, pb, nowMs);
  }
  const [xa, xb] = [maxRestarts(pa), maxRestarts(pb)];
  if (xa !== xb) return xb - xa;
  const [ka, kb] = [timeMs(pa.metadata.creationTimestamp), timeMs(pb.metadata.creationTimestamp)];
  if (ka !== kb) return compareTimes(ka, kb, pa, pb, nowMs);
  return 0;
}

/**
 * The `diff` pods of `pods` to delete first (getPodsToDelete): each ranked
 * by how many active pods of `related` (its owner's and its siblings')
 * share its node, then put in the deletion order.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, nowMs: number): Pod[] {
  if (diff >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec.nodeName ?? '', (onNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, nowMs));
  return ranked.slice(0, diff).map((r) => r.pod);
}
