/**
 * InterPodAffinity's scoring (kube-scheduler's interpodaffinity/scoring.go).
 * For each existing pod, in the domain (topology pair) of its node:
 *
 * - + weight of each preferred affinity term of the incoming pod it matches,
 *   - weight of each preferred anti-affinity term it matches;
 * - + hardPodAffinityWeight for each of its required affinity terms the
 *   incoming pod matches (symmetry), + / - weight of each of its preferred
 *   affinity / anti-affinity terms the incoming pod matches.
 *
 * A node scores the sum over its pairs; NormalizeScore maps min..max to 0..100.
 */
import type { Node, Pod } from '../../../client/types.js';
import type { StateData } from '../../framework/cyclestate.js';
import { MAX_NODE_SCORE, type NodeScore } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import type { Labels } from '../../../client/selectors.js';
import { type AffinityTerm, type NamespaceLabels, podTerms, type PodTerms, termMatches } from './terms.js';

/** The CycleState key of the PreScore state. */
export const PRE_SCORE_STATE_KEY = 'PreScoreInterPodAffinity';

/** topology key → topology value → score. */
export type ScoreMap = Map<string, Map<string, number>>;

/** What PreScore computes for Score. */
export class PreScoreState implements StateData {
  constructor(readonly topologyScore: ScoreMap) {}

  /** Never changed after PreScore, so shared. */
  clone(): PreScoreState {
    return this;
  }
}

function processTerm(m: ScoreMap, t: AffinityTerm, weight: number, pod: Pod, ns: NamespaceLabels, node: Node): void {
  const labels = node.metadata.labels;
  if (!labels || !Object.hasOwn(labels, t.topologyKey) || !termMatches(t, pod, ns)) return;
  let values = m.get(t.topologyKey);
  if (!values) m.set(t.topologyKey, (values = new Map()));
  const v = labels[t.topologyKey] ?? '';
  values.set(v, (values.get(v) ?? 0) + weight);
}

/** What scoring needs to know of the incoming pod. */
export interface Incoming {
  readonly pod: Pod;
  readonly terms: PodTerms;
  /** Its namespace's labels, for existing pods' terms. */
  readonly namespaceLabels: Labels | undefined;
  /** Namespace labels for its own terms. */
  readonly lookup: NamespaceLabels;
  readonly hardPodAffinityWeight: number;
}

/** Adds one existing pod's contributions (see the file comment) to `m`. */
export function processExistingPod(m: ScoreMap, incoming: Incoming, existing: Pod, node: Node): void {
  if (Object.keys(node.metadata.labels ?? {}).length === 0) return;
  for (const t of incoming.terms.preferredAffinity) processTerm(m, t, t.weight, existing, incoming.lookup, node);
  for (const t of incoming.terms.preferredAntiAffinity) processTerm(m, t, -t.weight, existing, incoming.lookup, node);
  const theirs = podTerms(existing);
  const own: NamespaceLabels = { fixed: incoming.namespaceLabels };
  if (incoming.hardPodAffinityWeight > 0) {
    for (const t of theirs.requiredAffinity) processTerm(m, t, incoming.hardPodAffinityWeight, incoming.pod, own, node);
  }
  for (const t of theirs.preferredAffinity) processTerm(m, t, t.weight, incoming.pod, own, node);
  for (const t of theirs.preferredAntiAffinity) processTerm(m, t, -t.weight, incoming.pod, own, node);
}

/**
 * The score map over `nodes`: all their pods when the incoming pod has
 * preferred terms, else only their pods with affinity terms.
 */
export function calTopologyScore(incoming: Incoming, nodes: readonly NodeInfo[], allPods: boolean): ScoreMap {
  const m: ScoreMap = new Map();
  for (const ni of nodes) {
    for (const { pod } of allPods ? ni.pods : ni.podsWithAffinity) processExistingPod(m, incoming, pod, ni.node);
  }
  return m;
}

/** A node's raw score: the sum of its pairs' scores. */
export function scoreNode(s: PreScoreState, nodeInfo: NodeInfo): number {
  const labels = nodeInfo.node.metadata.labels ?? {};
  let score = 0;
  for (const [key, values] of s.topologyScore) {
    if (Object.hasOwn(labels, key)) score += values.get(labels[key] ?? '') ?? 0;
  }
  return score;
}

/** Maps min..max to 0..MAX_NODE_SCORE (all 0 when they are equal); untouched when nothing scored. */
export function normalizeScores(s: PreScoreState, scores: NodeScore[]): void {
  if (s.topologyScore.size === 0) return;
  let min = Infinity;
  let max = -Infinity;
  for (const { score } of scores) {
    min = Math.min(min, score);
    max = Math.max(max, score);
  }
  const diff = max - min;
  for (const ns of scores) ns.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (ns.score - min)) / diff) : 0;
}
