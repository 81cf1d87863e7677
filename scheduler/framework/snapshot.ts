/**
 * A snapshot of the cluster for one scheduling cycle (kube-scheduler's
 * Snapshot): the NodeInfos in a fixed order, by name, and the lists of
 * nodes with affinity pods that InterPodAffinity walks. The scheduler's
 * cache builds one per cycle; plugins only read it.
 */
import type { NodeInfoLister } from './interface.js';
import type { NodeInfo } from './nodeinfo.js';

/** A cycle's view of the nodes; see the file comment. */
export class Snapshot implements NodeInfoLister {
  readonly #list: readonly NodeInfo[];
  readonly #byName: ReadonlyMap<string, NodeInfo>;
  readonly #withAffinity: readonly NodeInfo[];
  readonly #withRequiredAntiAffinity: readonly NodeInfo[];

  constructor(nodes: readonly NodeInfo[]) {
    this.#list = nodes;
    this.#byName = new Map(nodes.map((n) => [n.name, n]));
    this.#withAffinity = nodes.filter((n) => n.podsWithAffinity.length > 0);
    this.#withRequiredAntiAffinity = nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }

  list(): readonly NodeInfo[] {
    return this.#list;
  }

  get(nodeName: string): NodeInfo | undefined {
    return this.#byName.get(nodeName);
  }

  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.#withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.#withRequiredAntiAffinity;
  }
}
