/**
 * InterPodAffinity's PreFilter state and Filter checks (kube-scheduler's
 * interpodaffinity/filtering.go). PreFilter counts, per topology pair
 * (label key and value):
 *
 * - existingAntiAffinityCounts: existing pods' required anti-affinity terms
 *   that match the incoming pod (the symmetric rule: a node in such a domain
 *   is off limits);
 * - affinityCounts: existing pods that match all the incoming pod's
 *   required affinity terms (counted once per term's topology);
 * - antiAffinityCounts: existing pods that match one of the incoming pod's
 *   required anti-affinity terms.
 *
 * Filter then looks the node's pairs up in these counts.
 */
import type { Node, Pod } from '../../../client/types.js';
import type { StateData } from '../../framework/cyclestate.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import type { Labels } from '../../../client/selectors.js';
import { type AffinityTerm, type NamespaceLabels, podMatchesAllAffinityTerms, podTerms, termMatches } from './terms.js';

/** The CycleState key of the PreFilter state. */
export const PRE_FILTER_STATE_KEY = 'PreFilterInterPodAffinity';

/** Counts per topology pair, keyed by pairKey(key, value). invariant: no zero entries. */
export type TopologyCounts = Map<string, number>;

/** The key of a topology pair in TopologyCounts. */
export function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function update(m: TopologyCounts, node: Node, topologyKey: string, delta: number): void {
  const labels = node.metadata.labels;
  if (!labels || !Object.hasOwn(labels, topologyKey)) return;
  const k = pairKey(topologyKey, labels[topologyKey] ?? '');
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

/** Adds `delta` for each term's pair on `node` when `pod` matches all the terms. */
function updateWithAffinityTerms(m: TopologyCounts, terms: readonly AffinityTerm[], pod: Pod, ns: NamespaceLabels, node: Node, delta: number): void {
  if (!podMatchesAllAffinityTerms(terms, pod, ns)) return;
  for (const t of terms) update(m, node, t.topologyKey, delta);
}

/** Adds `delta` for the pair on `node` of each term that `pod` matches. */
function updateWithAntiAffinityTerms(m: TopologyCounts, terms: readonly AffinityTerm[], pod: Pod, ns: NamespaceLabels, node: Node, delta: number): void {
  for (const t of terms) if (termMatches(t, pod, ns)) update(m, node, t.topologyKey, delta);
}

/** What PreFilter computes for Filter; see the file comment. */
export class PreFilterState implements StateData {
  constructor(
    /** The pod being scheduled. */
    readonly pod: Pod,
    /** The incoming pod's terms, with namespaces looked up through `lookup`. */
    readonly requiredAffinity: readonly AffinityTerm[],
    readonly requiredAntiAffinity: readonly AffinityTerm[],
    /** The incoming pod's namespace's labels (for existing pods' terms). */
    readonly namespaceLabels: Labels | undefined,
    /** Namespace labels for the incoming pod's terms (shared by clones: read-only). */
    readonly lookup: NamespaceLabels,
    readonly existingAntiAffinityCounts: TopologyCounts = new Map(),
    readonly affinityCounts: TopologyCounts = new Map(),
    readonly antiAffinityCounts: TopologyCounts = new Map(),
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.pod,
      this.requiredAffinity,
      this.requiredAntiAffinity,
      this.namespaceLabels,
      this.lookup,
      new Map(this.existingAntiAffinityCounts),
      new Map(this.affinityCounts),
      new Map(this.antiAffinityCounts),
    );
  }

  /** Counts (delta 1) or uncounts (delta -1) `other`, on `node`, in all three maps. */
  updateWithPod(other: Pod, node: Node, delta: 1 | -1): void {
    updateWithAntiAffinityTerms(this.existingAntiAffinityCounts, podTerms(other).requiredAntiAffinity, this.pod, { fixed: this.namespaceLabels }, node, delta);
    updateWithAffinityTerms(this.affinityCounts, this.requiredAffinity, other, this.lookup, node, delta);
    updateWithAntiAffinityTerms(this.antiAffinityCounts, this.requiredAntiAffinity, other, this.lookup, node, delta);
  }
}

/** Builds the PreFilter state over `all` nodes and those with pods with required anti-affinity. */
export function calPreFilterState(
  pod: Pod,
  all: readonly NodeInfo[],
  withRequiredAntiAffinity: readonly NodeInfo[],
  namespaceLabels: Labels | undefined,
  lookup: NamespaceLabels,
): PreFilterState {
  const terms = podTerms(pod);
  const s = new PreFilterState(pod, terms.requiredAffinity, terms.requiredAntiAffinity, namespaceLabels, lookup);
  for (const ni of withRequiredAntiAffinity) {
    for (const { pod: existing } of ni.podsWithRequiredAntiAffinity) {
      updateWithAntiAffinityTerms(s.existingAntiAffinityCounts, podTerms(existing).requiredAntiAffinity, pod, { fixed: namespaceLabels }, ni.node, 1);
    }
  }
  if (s.requiredAffinity.length > 0 || s.requiredAntiAffinity.length > 0) {
    for (const ni of all) {
      for (const { pod: existing } of ni.pods) {
        updateWithAffinityTerms(s.affinityCounts, s.requiredAffinity, existing, lookup, ni.node, 1);
        updateWithAntiAffinityTerms(s.antiAffinityCounts, s.requiredAntiAffinity, existing, lookup, ni.node, 1);
      }
    }
  }
  return s;
}

/**
 * Whether the node satisfies the incoming pod's required affinity: it has
 * every term's topology key, and each term's domain holds a matching pod —
 * or no pod matches anywhere and the pod matches its own terms (the first
 * of a group with affinity to itself may go anywhere with the keys).
 */
export function satisfyPodAffinity(s: PreFilterState, nodeInfo: NodeInfo): boolean {
  const labels = nodeInfo.node.metadata.labels ?? {};
  let podsExist = true;
  for (const t of s.requiredAffinity) {
    if (!Object.hasOwn(labels, t.topologyKey)) return false;
    if ((s.affinityCounts.get(pairKey(t.topologyKey, labels[t.topologyKey] ?? '')) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinityCounts.size === 0 && podMatchesAllAffinityTerms(s.requiredAffinity, s.pod, s.lookup);
}

/** Whether no pod matching the incoming pod's required anti-affinity is in the node's domains. */
export function satisfyPodAntiAffinity(s: PreFilterState, nodeInfo: NodeInfo): boolean {
  if (s.antiAffinityCounts.size === 0) return true;
  const labels = nodeInfo.node.metadata.labels ?? {};
  return s.requiredAntiAffinity.every(
    (t) => !Object.hasOwn(labels, t.topologyKey) || (s.antiAffinityCounts.get(pairKey(t.topologyKey, labels[t.topologyKey] ?? '')) ?? 0) <= 0,
  );
}

/** Whether no existing pod's required anti-affinity term that matches the incoming pod covers the node. */
export function satisfyExistingPodsAntiAffinity(s: PreFilterState, nodeInfo: NodeInfo): boolean {
  if (s.existingAntiAffinityCounts.size === 0) return true;
  for (const [k, v] of Object.entries(nodeInfo.node.metadata.labels ?? {})) {
    if ((s.existingAntiAffinityCounts.get(pairKey(k, v)) ?? 0) > 0) return false;
  }
  return true;
}
