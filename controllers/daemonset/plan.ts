/**
 * The decisions of a DaemonSet sync, pure (Kubernetes' daemon_controller.go
 * podsShouldBeOnNode and updateDaemonSetStatus, update.go rollingUpdate):
 *
 * - per node (podsShouldBeOnNode): a node that should run the pod and has
 *   none needs one; on a node where a pod may keep running, failed pods
 *   are to be deleted, and of several running pods only the oldest is
 *   kept (with maxSurge, one old and one new while the new one is not yet
 *   available); a node where no pod may run has all of its pods deleted;
 * - the rolling update: without surge, old pods deleted while fewer than
 *   maxUnavailable nodes are unavailable (an old pod that is not
 *   available may always go); with surge, new pods created beside old
 *   available ones up to maxSurge, and an old pod deleted once the new one
 *   beside it is available;
 * - the status counters, from the oldest pod of each node.
 * Pods being deleted are never counted as running.
 */
import type { Node, Pod } from '../../client/types.js';
import { isPodAvailable, isPodReady, timeMs } from '../internal/pods.js';
import { isPodUpdated, nodeShouldRunDaemonPod, REVISION_HASH_LABEL, scaledValue, templateGeneration } from './placement.js';
import type { DaemonSet, DaemonSetStatus } from './types.js';

/** Scheduled first, then oldest first, then by name (podByCreationTimestampAndPhase). */
export function compareByCreation(a: Pod, b: Pod): number {
  const [sa, sb] = [!!a.spec.nodeName, !!b.spec.nodeName];
  if (sa !== sb) return sa ? -1 : 1;
  const [ta, tb] = [timeMs(a.metadata.creationTimestamp), timeMs(b.metadata.creationTimestamp)];
  if (ta !== tb) return ta - tb;
  const [na, nb] = [a.metadata.name ?? '', b.metadata.name ?? ''];
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Whether the DaemonSet's update may surge (RollingUpdate with a non-zero maxSurge). */
export function allowsSurge(ds: DaemonSet): boolean {
  const s = ds.spec.updateStrategy;
  return s?.type === 'RollingUpdate' && scaledValue(s.rollingUpdate?.maxSurge, 1, 0) !== 0;
}

/** What one node needs (see the file comment). */
export interface NodePlan {
  /** The node needs a daemon pod created. */
  readonly create: boolean;
  /** Pods to delete. */
  readonly remove: Pod[];
  /** Failed pods on the node, to delete once their backoff allows. */
  readonly failed: Pod[];
}

/** See the file comment (podsShouldBeOnNode). */
export function podsShouldBeOnNode(node: Node, pods: readonly Pod[] | undefined, ds: DaemonSet, hash: string, nowMs: number): NodePlan {
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const remove: Pod[] = [];
  const failed: Pod[] = [];
  if (shouldRun && pods === undefined) return { create: true, remove, failed };
  if (!shouldContinueRunning) {
    for (const p of pods ?? []) if (!p.metadata.deletionTimestamp) remove.push(p);
    return { create: false, remove, failed };
  }
  const running: Pod[] = [];
  for (const p of pods ?? []) {
    if (p.metadata.deletionTimestamp) continue;
    const phase = p.status?.phase;
    if (phase === 'Failed') failed.push(p);
    else if (phase === 'Succeeded') remove.push(p);
    else running.push(p);
  }
  if (running.length <= 1) return { create: false, remove, failed };
  running.sort(compareByCreation);
  if (!allowsSurge(ds)) return { create: false, remove: [...remove, ...running.slice(1)], failed };
  // with surge: at most the oldest new pod and the oldest old pod, the old one until the new one is available
  let oldestNew: Pod | undefined;
  let oldestOld: Pod | undefined;
  for (const p of running) {
    if (p.metadata.labels?.[REVISION_HASH_LABEL] === hash) {
      if (!oldestNew) {
        oldestNew = p;
        continue;
      }
    } else if (!oldestOld) {
      oldestOld = p;
      continue;
    }
    remove.push(p);
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, nowMs))) remove.push(oldestOld);
  return { create: false, remove, failed };
}

/** The new and the old pod on a node, or undefined when it has more than one of either (findUpdatedPodsOnNode). */
function updatedPodsOnNode(ds: DaemonSet, pods: readonly Pod[], hash: string): { newPod?: Pod; oldPod?: Pod } | undefined {
  const generation = templateGeneration(ds);
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

/** What a rolling update step does: pods to delete, nodes to create a (surge) pod on. */
export interface RollingPlan {
  readonly remove: string[];
  readonly createOn: string[];
}

/**
 * One step of a RollingUpdate (see the file comment). `nodeToPods` holds
 * every node's pods; nodes that should run the pod and have none count too.
 */
export function rollingUpdatePlan(ds: DaemonSet, nodes: readonly Node[], nodeToPods: ReadonlyMap<string, readonly Pod[]>, hash: string, nowMs: number): RollingPlan {
  const byNode = new Map(nodeToPods);
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
  let desired = 0;
  for (const n of nodes) {
    if (!nodeShouldRunDaemonPod(n, ds).shouldRun) continue;
    desired++;
    if (!byNode.has(n.metadata.name ?? '')) byNode.set(n.metadata.name ?? '', []);
  }
  const ru = ds.spec.updateStrategy?.rollingUpdate;
  let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, 1);
  const maxSurge = scaledValue(ru?.maxSurge, desired, 0);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const minReady = ds.spec.minReadySeconds ?? 0;
  const available = (p: Pod): boolean => isPodAvailable(p, minReady, nowMs);
  const shouldRun = (name: string): boolean => {
    const n = nodeByName.get(name);
    return n !== undefined && nodeShouldRunDaemonPod(n, ds).shouldRun;
  };

  if (maxSurge === 0) {
    let unavailable = 0;
    const replace: string[] = [];
    const candidates: string[] = [];
    for (const pods of byNode.values()) {
      const found = updatedPodsOnNode(ds, pods, hash);
      if (!found) {
        unavailable++;
        continue;
      }
      const { newPod, oldPod } = found;
      if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          replace.push(oldPod.metadata.name!);
          unavailable++;
        } else if (unavailable < maxUnavailable) candidates.push(oldPod.metadata.name!);
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { remove: [...replace, ...candidates.slice(0, room)], createOn: [] };
  }

  const remove: string[] = [];
  const shouldNotRun: string[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let surging = 0;
  let numAvailable = 0;
  for (const [node, pods] of byNode) {
    const found = updatedPodsOnNode(ds, pods, hash);
    if (!found) {
      surging++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(node)) remove.push(oldPod.metadata.name!);
        else allowedNodes.push(node);
      } else if (!shouldRun(node)) shouldNotRun.push(oldPod.metadata.name!);
      else if (surging < maxSurge) candidateNodes.push(node);
      continue;
    }
    if (!available(newPod)) {
      surging++;
      continue;
    }
    remove.push(oldPod.metadata.name!);
  }
  // old pods on nodes that no longer fit go only while enough pods elsewhere are available
  const deletable = Math.min(Math.max(0, numAvailable - desired), shouldNotRun.length);
  remove.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(0, maxSurge - surging), candidateNodes.length);
  return { remove, createOn: [...allowedNodes, ...candidateNodes.slice(0, room)] };
}

/** The status counters over the nodes (updateDaemonSetStatus); observedGeneration is the caller's. */
export function computeStatus(ds: DaemonSet, nodes: readonly Node[], nodeToPods: ReadonlyMap<string, readonly Pod[]>, hash: string, nowMs: number): Omit<DaemonSetStatus, 'observedGeneration'> {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let available = 0;
  const generation = templateGeneration(ds);
  for (const n of nodes) {
    const pods = nodeToPods.get(n.metadata.name ?? '') ?? [];
    const scheduled = pods.length > 0;
    if (!nodeShouldRunDaemonPod(n, ds).shouldRun) {
      if (scheduled) misscheduled++;
      continue;
    }
    desired++;
    if (!scheduled) continue;
    current++;
    const pod = [...pods].sort(compareByCreation)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, ds.spec.minReadySeconds ?? 0, nowMs)) available++;
    }
    if (isPodUpdated(pod, hash, generation)) updated++;
  }
  return {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
}
