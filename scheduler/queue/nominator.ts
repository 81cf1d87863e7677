/**
 * The nominated pods (kube-scheduler's nominator): pods that preempted on a
 * node and wait there for their victims to go, by node. Other pods'
 * scheduling cycles count the ones of at least their priority as already
 * on the node (Framework.runFilterPluginsWithNominatedPods), so the room
 * made for them is not taken meanwhile.
 *
 * A nomination comes from preemption (add with the node, before the API has
 * status.nominatedNodeName) or from the informer (a pod whose status names
 * its node, after a restart say); it ends when the pod is assumed or bound,
 * deleted, or preemption finds nothing for it any more.
 */
import type { Pod } from '../../client/types.js';
import { podInfo, type PodInfo } from '../framework/nodeinfo.js';

function uidOf(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** The nominated pods; see the file comment. */
export class Nominator {
  /** Node name → the pods nominated to it. */
  readonly #byNode = new Map<string, PodInfo[]>();
  /** Pod uid → its node (invariant: uid → n exactly when #byNode.get(n) holds the pod). */
  readonly #nodeOf = new Map<string, string>();

  /** How many pods hold a nomination. */
  get size(): number {
    return this.#nodeOf.size;
  }

  /**
   * Nominates `pod` to `nodeName` (undefined: the node its
   * status.nominatedNodeName names, if any), replacing any nomination it had.
   */
  add(pod: Pod, nodeName?: string): void {
    this.delete(pod);
    const node = nodeName || pod.status?.nominatedNodeName;
    if (!node) return;
    const uid = uidOf(pod);
    this.#nodeOf.set(uid, node);
    let list = this.#byNode.get(node);
    if (!list) this.#byNode.set(node, (list = []));
    list.push(podInfo(pod));
  }

  /** Ends the pod's nomination, if it has one. */
  delete(pod: Pod): void {
    const uid = uidOf(pod);
    const node = this.#nodeOf.get(uid);
    if (node === undefined) return;
    this.#nodeOf.delete(uid);
    const list = this.#byNode.get(node)?.filter((p) => uidOf(p.pod) !== uid) ?? [];
    if (list.length > 0) this.#byNode.set(node, list);
    else this.#byNode.delete(node);
  }

  /**
   * An unbound pod changed (the informer). Its nomination follows its
   * status.nominatedNodeName, except that a nomination made here is kept
   * while the API shows none yet (the status write has not come back).
   */
  update(oldPod: Pod | undefined, pod: Pod): void {
    const kept = !oldPod?.status?.nominatedNodeName && !pod.status?.nominatedNodeName ? this.#nodeOf.get(uidOf(pod)) : undefined;
    this.add(pod, kept);
  }

  /** The node the pod is nominated to, if any. */
  nominatedNodeName(pod: Pod): string | undefined {
    return this.#nodeOf.get(uidOf(pod));
  }

  /** The pods nominated to `nodeName` (do not change the list). */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.#byNode.get(nodeName) ?? [];
  }
}
