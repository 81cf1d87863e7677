/**
 * InterPodAffinity (kube-scheduler's interpodaffinity plugin): places pods
 * near or away from other pods by their podAffinity and podAntiAffinity.
 * Required terms are hard (PreFilter + Filter, with addPod/removePod for
 * preemption), both the incoming pod's and, symmetrically, existing pods'
 * anti-affinity; preferred terms (and existing pods' required affinity, at
 * hardPodAffinityWeight) are scored. Its cluster events and hints are in
 * hints.ts.
 *
 * Args (InterPodAffinityArgs): `hardPodAffinityWeight` (0..100, default 1)
 * and `ignorePreferredTermsOfExistingPods` (default false).
 */
import type { Pod } from '../../../client/types.js';
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
import { asError, SKIP, type Status, SUCCESS, unresolvable, unschedulable } from '../../framework/status.js';
import {
  calPreFilterState,
  PRE_FILTER_STATE_KEY,
  type PreFilterState,
  satisfyExistingPodsAntiAffinity,
  satisfyPodAffinity,
  satisfyPodAntiAffinity,
} from './filtering.js';
import { isSchedulableAfterNodeChange, isSchedulableAfterPodChange } from './hints.js';
import { calTopologyScore, normalizeScores, PRE_SCORE_STATE_KEY, PreScoreState, scoreNode } from './scoring.js';
import { cachedLookup, podTerms } from './terms.js';

/** The plugin's name. */
export const NAME = 'InterPodAffinity';
/** When an existing pod's required anti-affinity term matches the incoming pod in the node's domain. */
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
/** When the node's domain holds no pod the incoming pod's required affinity wants (UnschedulableAndUnresolvable). */
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
/** When the node's domain holds a pod the incoming pod's required anti-affinity rules out. */
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";

/** InterPodAffinityArgs. */
export interface InterPodAffinityArgs {
  /** The score an existing pod's required affinity term gives a node when the incoming pod matches it (0..100; 0: off). */
  hardPodAffinityWeight?: number;
  /** Skip scoring (existing pods' preferences) for incoming pods without preferred terms. */
  ignorePreferredTermsOfExistingPods?: boolean;
}

/** The InterPodAffinity plugin; see the file comment. */
export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  readonly hardPodAffinityWeight: number;
  readonly ignorePreferredTermsOfExistingPods: boolean;

  constructor(
    private readonly handle: Handle,
    args: InterPodAffinityArgs = {},
  ) {
    this.hardPodAffinityWeight = args.hardPodAffinityWeight ?? 1;
    if (!Number.isInteger(this.hardPodAffinityWeight) || this.hardPodAffinityWeight < 0 || this.hardPodAffinityWeight > 100) {
      throw new Error(`hardPodAffinityWeight: invalid value ${String(args.hardPodAffinityWeight)}: not in valid range [0, 100]`);
    }
    this.ignorePreferredTermsOfExistingPods = args.ignorePreferredTermsOfExistingPods ?? false;
  }

  #namespaceLabels(pod: Pod): ReturnType<Handle['namespaceLabels']> {
    return this.handle.namespaceLabels(pod.metadata.namespace ?? '');
  }

  /** Counts the topology pairs Filter needs; Skip when neither the pod nor any existing pod has required terms that apply. */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const lister = this.handle.snapshot();
    const lookup = cachedLookup((ns) => this.handle.namespaceLabels(ns));
    const s = calPreFilterState(pod, nodes, lister.havePodsWithRequiredAntiAffinity(), this.#namespaceLabels(pod), lookup);
    if (s.existingAntiAffinityCounts.size === 0 && s.requiredAffinity.length === 0 && s.requiredAntiAffinity.length === 0) {
      return { status: SKIP };
    }
    state.write(PRE_FILTER_STATE_KEY, s);
    return { status: SUCCESS };
  }

  /** Counts `podToAdd` on the node, as if it were there. */
  addPod(state: CycleState, _podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return missing(PRE_FILTER_STATE_KEY);
    s.updateWithPod(podToAdd, nodeInfo.node, 1);
    return SUCCESS;
  }

  /** Stops counting `podToRemove` on the node, as if it were gone. */
  removePod(state: CycleState, _podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return missing(PRE_FILTER_STATE_KEY);
    s.updateWithPod(podToRemove, nodeInfo.node, -1);
    return SUCCESS;
  }

  /** The pod's affinity, then its anti-affinity, then existing pods' anti-affinity (reasons and codes as kube-scheduler). */
  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_STATE_KEY);
    if (!s) return missing(PRE_FILTER_STATE_KEY);
    if (!satisfyPodAffinity(s, nodeInfo)) return unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
    if (!satisfyPodAntiAffinity(s, nodeInfo)) return unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
    if (!satisfyExistingPodsAntiAffinity(s, nodeInfo)) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
    return SUCCESS;
  }

  /** Sums the preferred terms' weights per topology pair; Skip when nothing would score. */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return SKIP;
    const terms = podTerms(pod);
    const hasConstraints = terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0;
    if (this.ignorePreferredTermsOfExistingPods && !hasConstraints) return SKIP;
    const lister = this.handle.snapshot();
    const incoming = {
      pod,
      terms,
      namespaceLabels: this.#namespaceLabels(pod),
      lookup: cachedLookup((ns) => this.handle.namespaceLabels(ns)),
      hardPodAffinityWeight: this.hardPodAffinityWeight,
    };
    const m = calTopologyScore(incoming, hasConstraints ? lister.list() : lister.havePodsWithAffinity(), hasConstraints);
    if (m.size === 0) return SKIP;
    state.write(PRE_SCORE_STATE_KEY, new PreScoreState(m));
    return SUCCESS;
  }

  /** The node's raw score: the summed weights of its topology pairs. */
  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return { score: 0, status: missing(PRE_SCORE_STATE_KEY) };
    return { score: scoreNode(s, nodeInfo), status: SUCCESS };
  }

  /** Bound pods added, relabelled or deleted, the pod itself relabelled, and nodes added or relabelled (hints.ts). */
  eventsToRegister(): ClusterEventWithHint[] {
    const namespaceLabels = (ns: string): Record<string, string> | undefined => this.handle.namespaceLabels(ns);
    return [
      podEvent(ActionType.Add | ActionType.UpdatePodLabel | ActionType.Delete, (pod, o, n) => isSchedulableAfterPodChange(namespaceLabels, pod, o, n)),
      nodeEvent(ActionType.Add | ActionType.UpdateNodeLabel, isSchedulableAfterNodeChange),
    ];
  }

  /** Maps the lowest raw score to 0 and the highest to 100. */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY);
    if (!s) return missing(PRE_SCORE_STATE_KEY);
    normalizeScores(s, scores);
    return SUCCESS;
  }
}

function missing(key: string): Status {
  return asError(new Error(`reading "${key}" from cycleState: not found`));
}

/** The InterPodAffinity factory for the registry. */
export const newInterPodAffinity = ((args: Record<string, unknown> | undefined, handle: Handle) =>
  new InterPodAffinity(handle, args as InterPodAffinityArgs | undefined)) satisfies PluginFactory;
