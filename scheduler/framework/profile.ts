/**
 * A scheduling profile (KubeSchedulerConfiguration's `profiles[]`): the
 * scheduler name it serves, the plugins enabled at each extension point
 * (with weights for Score), and each plugin's arguments. DEFAULT_PROFILE is
 * kube-scheduler v1.32's default profile, less the plugins kubeling does not
 * have (volumes, images, dynamic resources).
 */

/** A Score plugin and its weight. */
export interface WeightedPlugin {
  readonly name: string;
  readonly weight: number;
}

/** The plugins of each extension point, in the order they run. */
export interface ProfilePlugins {
  readonly queueSort: readonly string[];
  readonly preFilter: readonly string[];
  readonly filter: readonly string[];
  readonly postFilter: readonly string[];
  readonly preScore: readonly string[];
  readonly score: readonly WeightedPlugin[];
  readonly reserve: readonly string[];
  readonly permit: readonly string[];
  readonly preBind: readonly string[];
  readonly bind: readonly string[];
  readonly postBind: readonly string[];
}

/** One profile; see the file comment. */
export interface Profile {
  /** Pods whose spec.schedulerName is this are scheduled by this profile. */
  readonly schedulerName: string;
  readonly plugins: ProfilePlugins;
  /** Each plugin's arguments (pluginConfig[].args), by plugin name. */
  readonly pluginConfig: Readonly<Record<string, Record<string, unknown>>>;
  /**
   * The share of nodes to find feasible before scoring (0: kube-scheduler's
   * adaptive default, 50% falling by 1% per 125 nodes to 5%, at least 100 nodes).
   */
  readonly percentageOfNodesToScore: number;
}

/** kube-scheduler's default profile (v1.32), of the plugins kubeling has. */
export const DEFAULT_PROFILE: Profile = {
  schedulerName: 'default-scheduler',
  plugins: {
    queueSort: ['PrioritySort'],
    preFilter: ['NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
    filter: ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
    postFilter: ['DefaultPreemption'],
    preScore: ['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity', 'NodeResourcesBalancedAllocation'],
    score: [
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
    ],
    reserve: [],
    permit: [],
    preBind: [],
    bind: ['DefaultBinder'],
    postBind: [],
  },
  pluginConfig: {},
  percentageOfNodesToScore: 0,
};

/** How many feasible nodes a cycle looks for among `numAllNodes` (kube-scheduler's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  const MIN_NODES = 100;
  const MIN_PERCENTAGE = 5;
  if (numAllNodes < MIN_NODES || percentageOfNodesToScore >= 100) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct <= 0) pct = Math.max(MIN_PERCENTAGE, 50 - Math.trunc(numAllNodes / 125));
  const n = Math.trunc((numAllNodes * pct) / 100);
  return Math.max(n, MIN_NODES);
}
