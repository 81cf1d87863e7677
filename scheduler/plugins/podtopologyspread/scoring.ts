/**
 * PodTopologySpread's scoring (kube-scheduler's podtopologyspread/scoring.go),
 * for ScheduleAnyway constraints: a node scores the matching pods of its
 * domains, each count weighted by log(domains + 2) so that small topologies
 * are not watered down by big ones, plus maxSkew - 1; NormalizeScore turns
 * "fewer is better" into 0..100.
 */
import type { Pod } from '../../../client/types.js';
import type { StateData } from '../../framework/cyclestate.js';
import { MAX_NODE_SCORE, type NodeScore } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { requiredNodeAffinity } from '../../../client/selectors.js';
import {
  countPodsMatchSelector,
  LABEL_HOSTNAME,
  matchNodeInclusionPolicies,
  nodeLabelsMatchSpreadConstraints,
  type SpreadConstraint,
} from './common.js';

/** The CycleState key of the PreScore state. */
export const PRE_SCORE_STATE_KEY = 'PreScorePodTopologySpread';

/** What PreScore computes for Score; arrays are indexed by constraint. */
export class PreScoreState implements StateData {
  /** Nodes (names) lacking a topology key, scored 0. */
  readonly ignoredNodes = new Set<string>();
  /** Per constraint (but hostname ones, counted in Score): topology value → matching pods, for the feasible nodes' domains. */
  topologyValueToPodCounts: Map<string, number>[] = [];
  /** Per constraint: log(number of domains + 2). */
  topologyNormalizingWeight: number[] = [];

  constructor(readonly constraints: readonly SpreadConstraint[]) {}

  /** Never changed after PreScore, so shared (as kube-scheduler does). */
  clone(): PreScoreState {
    return this;
  }
}

/** The weight of a topology with `size` domains. */
export function topologyNormalizingWeight(size: number): number {
  return Math.log(size + 2);
}

/** A domain's contribution to a node's raw score. */
export function scoreForCount(count: number, maxSkew: number, weight: number): number {
  return count * weight + (maxSkew - 1);
}

/**
 * Builds the PreScore state: the domains of the feasible nodes (`filtered`),
 * then the matching pods of those domains over all nodes (`all`).
 * `requireAllTopologies`: nodes must carry every topology key (false only
 * for the system defaults, so nodes without a zone still spread by host).
 */
export function calPreScoreState(
  constraints: readonly SpreadConstraint[],
  pod: Pod,
  filtered: readonly NodeInfo[],
  all: readonly NodeInfo[],
  requireAllTopologies: boolean,
): PreScoreState {
  const s = new PreScoreState(constraints);
  s.topologyValueToPodCounts = constraints.map(() => new Map());
  for (const ni of filtered) {
    if (requireAllTopologies && !nodeLabelsMatchSpreadConstraints(ni.node.metadata.labels, constraints)) {
      s.ignoredNodes.add(ni.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const value = ni.node.metadata.labels?.[c.topologyKey] ?? '';
      s.topologyValueToPodCounts[i]!.set(value, 0);
    });
  }
  s.topologyNormalizingWeight = constraints.map((c, i) =>
    topologyNormalizingWeight(c.topologyKey === LABEL_HOSTNAME ? filtered.length - s.ignoredNodes.size : s.topologyValueToPodCounts[i]!.size),
  );
  const required = requiredNodeAffinity(pod);
  for (const ni of all) {
    const node = ni.node;
    if (requireAllTopologies && !nodeLabelsMatchSpreadConstraints(node.metadata.labels, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!matchNodeInclusionPolicies(c, pod, node, required)) return;
      const value = node.metadata.labels?.[c.topologyKey] ?? '';
      const m = s.topologyValueToPodCounts[i]!;
      const current = m.get(value);
      if (current === undefined) return; // no feasible node in this domain (or a hostname constraint)
      m.set(value, current + countPodsMatchSelector(ni.pods, c.matches, pod.metadata.namespace));
    });
  }
  return s;
}

/** A node's raw score: the weighted matching pods of its domains (fewer is better). */
export function scoreNode(s: PreScoreState, pod: Pod, ni: NodeInfo): number {
  if (s.ignoredNodes.has(ni.name)) return 0;
  const labels = ni.node.metadata.labels ?? {};
  let score = 0;
  s.constraints.forEach((c, i) => {
    if (!Object.hasOwn(labels, c.topologyKey)) return;
    const count =
      c.topologyKey === LABEL_HOSTNAME
        ? countPodsMatchSelector(ni.pods, c.matches, pod.metadata.namespace)
        : (s.topologyValueToPodCounts[i]!.get(labels[c.topologyKey] ?? '') ?? 0);
    score += scoreForCount(count, c.maxSkew, s.topologyNormalizingWeight[i]!);
  });
  return Math.round(score);
}

/** Maps raw scores to 0..MAX_NODE_SCORE, the fewest matching pods scoring highest; ignored nodes score 0. */
export function normalizeScores(s: PreScoreState, scores: NodeScore[]): void {
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  for (const ns of scores) {
    if (s.ignoredNodes.has(ns.name)) continue;
    min = Math.min(min, ns.score);
    max = Math.max(max, ns.score);
  }
  for (const ns of scores) {
    if (s.ignoredNodes.has(ns.name)) ns.score = 0;
    else if (max === 0) ns.score = MAX_NODE_SCORE;
    else ns.score = Math.trunc((MAX_NODE_SCORE * (max + min - ns.score)) / max);
  }
}
