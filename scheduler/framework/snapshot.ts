/**
 * A snapshot of the cluster for one scheduling cycle (kube-scheduler's
 * Snapshot): the NodeInfos in a fixed order, by name, and the lists of
 * nodes with affinity pods that InterPodAffinity walks. The scheduler's
 * cache makes one per cycle; plugins only read it. A snapshot derived from
 * the last one (with()) shares its index by name, and its affinity lists
 * when no changed node has affinity pods, so a cycle pays for what changed
 * rather than for every node.
 */
import type { NodeInfoLister } from './interface.js';
import type { NodeInfo } from './nodeinfo.js';

/** A cycle's view of the nodes; see the file comment. */
export class Snapshot implements NodeInfoLister {
  readonly #list: readonly NodeInfo[];
  /** Each node's position in #list (invariant: #list[#index.get(n.name)] === n). */
  readonly #index: ReadonlyMap<string, number>;
  readonly #withAffinity: readonly NodeInfo[];
  readonly #withRequiredAntiAffinity: readonly NodeInfo[];

  /** A snapshot of `nodes`, in that order (`shared`: for with() only). */
  constructor(nodes: readonly NodeInfo[], shared?: { readonly index: ReadonlyMap<string, number>; readonly affinity?: readonly [readonly NodeInfo[], readonly NodeInfo[]] }) {
    this.#list = nodes;
    this.#index = shared?.index ?? new Map(nodes.map((n, i) => [n.name, i]));
    const withAffinity = shared?.affinity?.[0] ?? nodes.filter((n) => n.affinityPods > 0);
    this.#withAffinity = withAffinity;
    this.#withRequiredAntiAffinity = shared?.affinity?.[1] ?? withAffinity.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }

  /**
   * This snapshot with some of its nodes replaced (`changes`, by name; names
   * it does not hold are ignored), in the same order; this one is unchanged.
   */
  with(changes: ReadonlyMap<string, NodeInfo>): Snapshot {
    const list = this.#list.slice();
    let affinity = false;
    for (const [name, info] of changes) {
      const i = this.#index.get(name);
      if (i === undefined) continue;
      affinity ||= list[i]!.affinityPods > 0 || info.affinityPods > 0; // required anti-affinity is affinity too
      list[i] = info;
    }
    return new Snapshot(list, { index: this.#index, ...(affinity ? {} : { affinity: [this.#withAffinity, this.#withRequiredAntiAffinity] as const }) });
  }

  list(): readonly NodeInfo[] {
    return this.#list;
  }

  get(nodeName: string): NodeInfo | undefined {
    const i = this.#index.get(nodeName);
    return i === undefined ? undefined : this.#list[i];
  }

  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.#withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.#withRequiredAntiAffinity;
  }
}
