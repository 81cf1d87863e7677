/**
 * PodTopologySpread (kube-scheduler's podtopologyspread plugin): spreads
 * pods over topology domains (zones, hosts) by their
 * topologySpreadConstraints. DoNotSchedule constraints are hard (PreFilter +
 * Filter, with addPod/removePod for preemption); ScheduleAnyway ones are
 * scored (PreScore + Score + NormalizeScore). Pods that set no constraints
 * get the default ones (see `defaultSelector` for which pods). Its cluster
 * events and hints are in hints.ts.
 *
 * Args (the profile's pluginConfig, as PodTopologySpreadArgs):
 * `defaultingType: 'System' | 'List'` (default System: hostname maxSkew 3
 * and zone maxSkew 5, ScheduleAnyway) and `defaultConstraints` (for List).
 */
import type { Pod, TopologySpreadConstraint } from '../../../client/types.js';
import type { CycleState } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, podEvent } from '../../framework/events.js';
import type {
  EnqueueExtensions,
  FilterPlugin,
  Handle,
  NodeScore,
  PluginFactory,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
} from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { asError, SKIP, Status, SUCCESS, unresolvable, unschedulable } from '../../framework/status.js';
import { constraintsOf, ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, NAME, SYSTEM_DEFAULT_CONSTRAINTS } from './common.js';
import { calPreFilterState, PRE_FILTER_STATE_KEY, type PreFilterState } from './filtering.js';
import { isSchedulableAfterNodeChange, isSchedulableAfterPodChange } from './hints.js';
import { calPreScoreState, normalizeScores, PRE_SCORE_STATE_KEY, type PreScoreState, scoreNode } from './scoring.js';

/** PodTopologySpreadArgs. */
export interface PodTopologySpreadArgs {
  /** System (default): the system default constraints; List: `defaultConstraints`. */
  defaultingType?: 'System' | 'List';
  /** The default constraints when defaultingType is List (no labelSelector: the pod's default selector is used). */
  defaultConstraints?: TopologySpreadConstraint[];
}

/** The PodTopologySpread plugin; see the file comment. */
export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  /** The constraints of pods that set none. */
  readonly defaultConstraints: readonly TopologySpreadConstraint[];
  /** Whether they are the system defaults (then scoring does not require every topology key on a node). */
  readonly systemDefaulted: boolean;

  constructor(
    private readonly handle: Handle,
    args: PodTopologySpreadArgs = {},
  ) {
    this.systemDefaulted = (args.defaultingType ?? 'System') === 'System';
    this.defaultConstraints = this.systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : (args.defaultConstraints ?? []);
  }

  /** Counts matching pods per domain of each DoNotSchedule constraint; Skip when the pod has none. */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const constraints = constraintsOf(this.defaultConstraints, pod, 'DoNotSchedule');
    if (constraints.length === 0) return { status: SKIP };
    state.write(PRE_FILTER_STATE_KEY, calPreFilterState(constraints, pod, nodes));
    return { status: SUCCESS };
  }

  /** Counts `podToAdd` on the node, as if it were there. */
  addPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    return this.#update(state, podToSchedule, podToAdd, nodeInfo, 1);
  }

  /** Stops counting `podToRemove` on the node, as if it were gone. */
  removePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    return this.#update(state, podToSchedule, podToRemove, nodeInfo, -1);
  }

  #update(state: CycleState, podToSchedule: Pod, updated: Pod, nodeInfo: NodeInfo, delta: 1 | -1): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return asError(new Error(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`));
    s.updateWithPod(updated, podToSchedule, nodeInfo.node, delta);
    return SUCCESS;
  }

  /**
   * Whether matching pods in the node's domain, plus the pod itself if it
   * matches, less the global minimum stay within maxSkew for every constraint.
   */
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return asError(new Error(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`));
    const labels = nodeInfo.node.metadata.labels ?? {};
    for (const [i, c] of s.constraints.entries()) {
      if (!Object.hasOwn(labels, c.topologyKey)) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const minMatchNum = s.minMatchNum(i, c.minDomains);
      const selfMatchNum = c.matches(pod.metadata.labels) ? 1 : 0;
      const matchNum = s.tpValueToMatchNum[i]?.get(labels[c.topologyKey] ?? '') ?? 0;
      if (matchNum + selfMatchNum - minMatchNum > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return SUCCESS;
  }

  /** Counts matching pods per domain of each ScheduleAnyway constraint; Skip when the pod has none. */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    const all = this.handle.snapshot().list();
    if (all.length === 0) return SKIP;
    const constraints = constraintsOf(this.defaultConstraints, pod, 'ScheduleAnyway');
    if (constraints.length === 0) return SKIP;
    const requireAllTopologies = (pod.spec.topologySpreadConstraints?.length ?? 0) > 0 || !this.systemDefaulted;
    state.write(PRE_SCORE_STATE_KEY, calPreScoreState(constraints, pod, nodes, all, requireAllTopologies));
    return SUCCESS;
  }

  /** The node's raw score: its domains' weighted matching pods (lower is better until normalised). */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return { score: 0, status: asError(new Error(`reading "${PRE_SCORE_STATE_KEY}" from cycleState: not found`)) };
    return { score: scoreNode(s, pod, nodeInfo), status: SUCCESS };
  }

  /** Pods added, relabelled, given tolerations or deleted, and nodes added, deleted, relabelled or retainted (hints.ts). */
  eventsToRegister(): ClusterEventWithHint[] {
    const defaults = this.defaultConstraints;
    return [
      podEvent(ActionType.Add | ActionType.UpdatePodLabel | ActionType.UpdatePodToleration | ActionType.Delete, (pod, o, n) => isSchedulableAfterPodChange(defaults, pod, o, n)),
      nodeEvent(ActionType.Add | ActionType.Delete | ActionType.UpdateNodeLabel | ActionType.UpdateNodeTaint, (pod, o, n) => isSchedulableAfterNodeChange(defaults, pod, o, n)),
    ];
  }

  /** Maps raw scores to 0..100, fewest matching pods highest. */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return asError(new Error(`reading "${PRE_SCORE_STATE_KEY}" from cycleState: not found`));
    normalizeScores(s, scores);
    return SUCCESS;
  }
}

/** The PodTopologySpread factory for the registry. */
export const newPodTopologySpread = ((args: Record<string, unknown> | undefined, handle: Handle) =>
  new PodTopologySpread(handle, args as PodTopologySpreadArgs | undefined)) satisfies PluginFactory;
