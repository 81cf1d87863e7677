/**
 * The scheduler's cache (kube-scheduler's cache): a NodeInfo per node with
 * the pods on it, fed by the node and pod informers, and the pods the
 * scheduler has *assumed* onto a node before the API confirms the binding,
 * so that the next cycle already counts them (no node is over-committed
 * while bindings are in flight).
 *
 * ```
 *  assume(pod on node) ──► finishBinding ──► the informer sees it bound: confirmed
 *          └─ binding failed: forget(pod), its resources return to the node
 * ```
 *
 * Each cycle takes a snapshot(): the NodeInfos that changed since the last
 * one are cloned, the rest are reused, so a cycle's view never changes under
 * it and a snapshot costs what changed (while the set of nodes stays the
 * same, it is the last one with the changed nodes replaced: Snapshot.with).
 */
import type { Node, Pod } from '../../client/types.js';
import { NodeInfo } from '../framework/nodeinfo.js';
import { Snapshot } from '../framework/snapshot.js';

/** The key of a pod in the cache: its uid. */
function uidOf(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

interface PodState {
  pod: Pod;
  /** Assumed by the scheduler and not yet seen bound by the informer. */
  assumed: boolean;
}

/** The cache; see the file comment. */
export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodState>();
  /** The snapshot's clones, by name, with the generation each was cloned at. */
  readonly #cloned = new Map<string, NodeInfo>();
  #order: string[] = [];
  #orderChanged = true;
  /** The last snapshot, and the names of the nodes changed since (invariant: every change to a NodeInfo after #last adds its name). */
  #last: Snapshot | undefined;
  readonly #dirty = new Set<string>();

  /** How many nodes and pods (assumed ones included) the cache holds. */
  get size(): { nodes: number; pods: number; assumed: number } {
    let assumed = 0;
    for (const p of this.#pods.values()) if (p.assumed) assumed++;
    return { nodes: [...this.#nodes.values()].filter((n) => n.node.metadata.name).length, pods: this.#pods.size, assumed };
  }

  addNode(node: Node): void {
    const name = node.metadata.name ?? '';
    this.#dirty.add(name);
    const info = this.#nodes.get(name);
    if (info) {
      if (!info.node.metadata.name) this.#orderChanged = true; // a ghost becomes a node
      info.setNode(node);
    } else {
      this.#nodes.set(name, new NodeInfo(node));
      this.#orderChanged = true;
    }
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  /** A node is gone; its pods stay counted until they are deleted (as kube-scheduler keeps a ghost NodeInfo). */
  removeNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#dirty.add(name);
    if (info.pods.length === 0) this.#nodes.delete(name);
    else info.setNode({ metadata: { name: '' } });
    this.#orderChanged = true;
  }

  /**
   * Counts `pod` on `pod.spec.nodeName` before the binding is confirmed.
   * Throws if the pod is already in the cache.
   */
  assume(pod: Pod): void {
    const uid = uidOf(pod);
    if (this.#pods.has(uid)) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} is in the cache, so can't be assumed`);
    this.#pods.set(uid, { pod, assumed: true });
    this.#nodeOf(pod).addPod(pod);
  }

  /** Gives back an assumed pod's place (its binding failed). */
  forget(pod: Pod): void {
    const uid = uidOf(pod);
    const s = this.#pods.get(uid);
    if (!s?.assumed) return;
    this.#pods.delete(uid);
    this.#removeFromNode(s.pod);
  }

  /** Whether the pod is assumed and not yet confirmed. */
  isAssumed(pod: Pod): boolean {
    return this.#pods.get(uidOf(pod))?.assumed === true;
  }

  /** A pod seen bound to a node (the informer): confirms an assumed one, or counts a new one. */
  addPod(pod: Pod): void {
    const uid = uidOf(pod);
    const s = this.#pods.get(uid);
    if (s) {
      // confirmed: keep counting it, now as the API has it (on the node the API says)
      this.#removeFromNode(s.pod);
    }
    this.#pods.set(uid, { pod, assumed: false });
    this.#nodeOf(pod).addPod(pod);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  /** A bound pod is gone (deleted, or finished and removed). */
  removePod(pod: Pod): void {
    const uid = uidOf(pod);
    const s = this.#pods.get(uid);
    if (!s) return;
    this.#pods.delete(uid);
    this.#removeFromNode(s.pod);
  }

  /** The nodes as a cycle sees them; see the file comment. */
  snapshot(): Snapshot {
    if (this.#orderChanged || !this.#last) {
      this.#order = [...this.#nodes.keys()].filter((n) => n !== '' && this.#nodes.get(n)!.node.metadata.name);
      for (const name of this.#cloned.keys()) if (!this.#nodes.has(name)) this.#cloned.delete(name);
      this.#orderChanged = false;
      this.#dirty.clear();
      this.#last = new Snapshot(this.#order.map((name) => this.#clone(name, this.#nodes.get(name)!)));
      return this.#last;
    }
    if (this.#dirty.size === 0) return this.#last;
    const changes = new Map<string, NodeInfo>();
    for (const name of this.#dirty) {
      const live = this.#nodes.get(name);
      if (live?.node.metadata.name) changes.set(name, this.#clone(name, live)); // a ghost is in no snapshot
    }
    this.#dirty.clear();
    this.#last = this.#last.with(changes);
    return this.#last;
  }

  /** The snapshot's copy of `live`: the last one made, if `live` has not changed since. */
  #clone(name: string, live: NodeInfo): NodeInfo {
    let c = this.#cloned.get(name);
    if (!c || c.generation !== live.generation) this.#cloned.set(name, (c = live.clone()));
    return c;
  }

  /** The NodeInfo a pod is being added to (so marked changed). */
  #nodeOf(pod: Pod): NodeInfo {
    const name = pod.spec.nodeName ?? '';
    this.#dirty.add(name);
    let info = this.#nodes.get(name);
    if (!info) {
      // a pod on a node the cache has not seen yet: a ghost NodeInfo until the node comes
      info = new NodeInfo({ metadata: { name: '' } });
      this.#nodes.set(name, info);
    }
    return info;
  }

  #removeFromNode(pod: Pod): void {
    const name = pod.spec.nodeName ?? '';
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#dirty.add(name);
    info.removePod(uidOf(pod));
    if (info.pods.length === 0 && !info.node.metadata.name) {
      this.#nodes.delete(name);
      this.#orderChanged = true;
    }
  }
}
