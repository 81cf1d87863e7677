/**
 * PodTopologySpread's PreFilter state (kube-scheduler's
 * podtopologyspread/filtering.go): per DoNotSchedule constraint, how many
 * matching pods each topology domain holds, and the two domains with the
 * fewest (the "critical paths"), so Filter checks a node's skew in O(1).
 */
import type { Node, Pod } from '../../../client/types.js';
import type { StateData } from '../../framework/cyclestate.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { requiredNodeAffinity } from '../../../client/selectors.js';
import {
  countPodsMatchSelector,
  matchNodeInclusionPolicies,
  nodeLabelsMatchSpreadConstraints,
  type SpreadConstraint,
} from './common.js';

/** The CycleState key of the PreFilter state. */
export const PRE_FILTER_STATE_KEY = 'PreFilterPodTopologySpread';

const MAX_INT32 = 2 ** 31 - 1;

/** A topology domain and its count of matching pods. */
interface Path {
  topologyValue: string;
  matchNum: number;
}

/**
 * The two domains with the fewest matching pods, as kube-scheduler keeps
 * them. invariant: paths[0].matchNum is the minimum; paths[1].matchNum >=
 * paths[0].matchNum (not necessarily the second minimum after updates).
 * Two suffice because preemption removes pods from one node at a time, each
 * on its own copy of the state.
 */
export class CriticalPaths {
  readonly paths: [Path, Path] = [
    { topologyValue: '', matchNum: MAX_INT32 },
    { topologyValue: '', matchNum: MAX_INT32 },
  ];

  /** Records that domain `value` now holds `num` matching pods. */
  update(value: string, num: number): void {
    const p = this.paths;
    const found = value === p[0].topologyValue ? p[0] : value === p[1].topologyValue ? p[1] : undefined;
    if (found) {
      found.matchNum = num;
      if (p[0].matchNum > p[1].matchNum) this.paths.reverse();
    } else if (num < p[0].matchNum) {
      p[1] = p[0];
      p[0] = { topologyValue: value, matchNum: num };
    } else if (num < p[1].matchNum) {
      p[1] = { topologyValue: value, matchNum: num };
    }
  }

  /** A copy. */
  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.paths[0] = { ...this.paths[0] };
    c.paths[1] = { ...this.paths[1] };
    return c;
  }
}

/** What PreFilter computes for Filter; see the file comment. Arrays are indexed by constraint. */
export class PreFilterState implements StateData {
  constructor(
    /** Shared between clones: they never change. */
    readonly constraints: readonly SpreadConstraint[],
    readonly criticalPaths: CriticalPaths[],
    /** Per constraint: topology value → matching pods in that domain (eligible domains only). */
    readonly tpValueToMatchNum: Map<string, number>[],
  ) {}

  /** The global minimum for constraint `i`: 0 while fewer than minDomains domains are eligible. */
  minMatchNum(i: number, minDomains: number): number {
    const domains = this.tpValueToMatchNum[i]?.size ?? 0;
    if (domains < minDomains) return 0;
    return this.criticalPaths[i]?.paths[0].matchNum ?? 0;
  }

  clone(): PreFilterState {
    return new PreFilterState(
      this.constraints,
      this.criticalPaths.map((p) => p.clone()),
      this.tpValueToMatchNum.map((m) => new Map(m)),
    );
  }

  /**
   * Adds (delta 1) or removes (delta -1) `updated`, on `node`, to the counts
   * for `preemptor` (the pod being scheduled): preemption's what-ifs.
   */
  updateWithPod(updated: Pod, preemptor: Pod, node: Node, delta: 1 | -1): void {
    if (updated.metadata.namespace !== preemptor.metadata.namespace) return;
    const labels = node.metadata.labels;
    if (!nodeLabelsMatchSpreadConstraints(labels, this.constraints)) return;
    const required = requiredNodeAffinity(preemptor);
    this.constraints.forEach((c, i) => {
      if (!c.matches(updated.metadata.labels)) return;
      if (!matchNodeInclusionPolicies(c, preemptor, node, required)) return;
      const v = labels?.[c.topologyKey] ?? '';
      const m = this.tpValueToMatchNum[i]!;
      const n = (m.get(v) ?? 0) + delta;
      m.set(v, n);
      this.criticalPaths[i]!.update(v, n);
    });
  }
}

/**
 * Counts, per constraint, the matching pods of each domain over the nodes
 * that have every topology key and pass the constraint's inclusion policies.
 */
export function calPreFilterState(constraints: readonly SpreadConstraint[], pod: Pod, nodes: readonly NodeInfo[]): PreFilterState {
  const counts = constraints.map(() => new Map<string, number>());
  const required = requiredNodeAffinity(pod);
  for (const ni of nodes) {
    const node = ni.node;
    const labels = node.metadata.labels;
    if (!nodeLabelsMatchSpreadConstraints(labels, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!matchNodeInclusionPolicies(c, pod, node, required)) return;
      const value = labels?.[c.topologyKey] ?? '';
      const m = counts[i]!;
      m.set(value, (m.get(value) ?? 0) + countPodsMatchSelector(ni.pods, c.matches, pod.metadata.namespace));
    });
  }
  const paths = counts.map((m) => {
    const p = new CriticalPaths();
    for (const [value, num] of m) p.update(value, num);
    return p;
  });
  return new PreFilterState(constraints, paths, counts);
}
