/**
 * The pod garbage collector's rules, without I/O: which pods each of its
 * four sweeps picks, and in what order (kube 1.28's pkg/controller/podgc).
 */
import type { Node, Pod, PodCondition } from '../../client/types.js';
import { timeMs } from '../internal/pods.js';

/** The taint an administrator puts on a node known to be shut down (kube's v1.TaintNodeOutOfService). */
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/** The field manager of the controller's status writes (kube's `PodGC`). */
export const FIELD_MANAGER = 'PodGC';

/** The condition an orphaned pod gets before it is deleted (the time is filled in when it is written). */
export const ORPHAN_CONDITION: Omit<PodCondition, 'lastTransitionTime'> = {
  type: 'DisruptionTarget',
  status: 'True',
  reason: 'DeletionByPodGC',
  message: 'PodGC: node no longer exists',
};

/**
 * Whether the GC counts the pod as terminated: any phase but Pending,
 * Running and Unknown (so Succeeded, Failed, and, as in kube, a missing one).
 */
export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

/** Succeeded or Failed: a pod the GC need not mark Failed before deleting it. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Failed with reason Evicted: what the kubelet's eviction manager leaves (kube's eviction.PodIsEvicted). */
export function isPodEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted';
}

/**
 * The order pods are collected in (kube's byEvictionAndCreationTimestamp):
 * evicted pods first, then oldest by creationTimestamp (second precision,
 * as written), then by name.
 */
export function compareForGC(a: Pod, b: Pod): number {
  const ea = isPodEvicted(a);
  const eb = isPodEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = timeMs(a.metadata.creationTimestamp);
  const tb = timeMs(b.metadata.creationTimestamp);
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The terminated pods beyond `threshold`, the first to go first; none when `threshold` is 0 or less. */
export function terminatedToDelete(pods: readonly Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isPodTerminated);
  const excess = terminated.length - threshold;
  return excess > 0 ? terminated.sort(compareForGC).slice(0, excess) : [];
}

/** Its Ready condition is True (kube's nodeutil.IsNodeReady). */
export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** It carries the out-of-service taint, whatever its effect. */
export function hasOutOfServiceTaint(node: Node): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE);
}

/**
 * Terminating pods (deletionTimestamp set) bound to a node that is not
 * Ready and carries the out-of-service taint (NodeOutOfServiceVolumeDetach),
 * in collection order. `nodeOf` looks a node up by name; a pod whose node
 * is unknown is left to the orphan sweep.
 */
export function terminatingOutOfService(pods: readonly Pod[], nodeOf: (name: string) => Node | undefined): Pod[] {
  return pods
    .filter((p) => {
      if (!p.metadata.deletionTimestamp || !p.spec.nodeName) return false;
      const node = nodeOf(p.spec.nodeName);
      return node !== undefined && !isNodeReady(node) && hasOutOfServiceTaint(node);
    })
    .sort(compareForGC);
}

/** Terminating pods bound to no node: nothing else will ever finish their deletion. */
export function unscheduledTerminating(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.deletionTimestamp && !p.spec.nodeName);
}
