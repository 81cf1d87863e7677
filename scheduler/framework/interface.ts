/**
 * The scheduling framework's extension points, one interface each
 * (kube-scheduler's framework/interface.go). A pod's scheduling cycle calls
 * them in this order; a plugin implements the ones it needs:
 *
 * ```
 *  queue:  QueueSort (the active queue's order)
 *  cycle:  PreFilter → Filter (each node) → PostFilter (when no node fits: preemption)
 *          → PreScore → Score (each feasible node) → NormalizeScore → Reserve → Permit
 *  bind:   (wait on Permit) → PreBind → Bind → PostBind   (Unreserve on any failure after Reserve)
 * ```
 *
 * A pod that Permit told to wait is a WaitingPod until the plugins that
 * made it wait allow it, one rejects it or its time runs out; plugins reach
 * the waiting pods through the Handle.
 *
 * A plugin that can reject a pod also says which cluster events could make
 * that pod schedulable (EnqueueExtensions, with the vocabulary of events.ts),
 * so that the queue retries a pod only when something it waits for happened.
 *
 * Plugins are pure over their inputs: what they know of the cluster comes
 * from the Handle's snapshot (taken once per cycle), never from the API.
 */
import type { Pod } from '../../client/types.js';
import type { CycleState } from './cyclestate.js';
import type { ClusterEventWithHint } from './events.js';
import type { NodeInfo } from './nodeinfo.js';
import type { Status } from './status.js';

/** The highest score a Score plugin gives after normalisation (kube-scheduler's MaxNodeScore). */
export const MAX_NODE_SCORE = 100;
/** The lowest. */
export const MIN_NODE_SCORE = 0;

/** Every plugin has a name (the one profiles enable it by). */
export interface Plugin {
  readonly name: string;
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  readonly pod: Pod;
  /** When it entered the queue first (ms), for ordering and latency. */
  readonly initialAttemptTimestamp: number;
  /** When it was (re)added to the active queue (ms). */
  timestamp: number;
  /** How many scheduling attempts it has had. */
  attempts: number;
  /**
   * The plugins that rejected it in its last attempt (Filter and PreFilter
   * statuses, and PreFilter plugins that narrowed the nodes): the queue asks
   * only their registrations whether a cluster event may help it. Emptied
   * at each pop; empty after a failure that no plugin caused (an error).
   */
  unschedulablePlugins: Set<string>;
}

/**
 * EnqueueExtensions: the cluster events that could make a pod this plugin
 * rejected schedulable, each with an optional hint that looks closer
 * (kube-scheduler's EventsToRegister). Called once, when the framework is
 * built. A plugin that can reject and does not implement this is asked about
 * every event (the wildcard); one that returns [] has its pods retried only
 * by the periodic flush.
 */
export interface EnqueueExtensions extends Plugin {
  eventsToRegister(): readonly ClusterEventWithHint[];
}

/** QueueSort: orders the active queue (PrioritySort: higher priority first, then older first). */
export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** What PreFilter may say about the nodes worth filtering: only these names (undefined: all). */
export interface PreFilterResult {
  readonly nodeNames?: ReadonlySet<string>;
}

/** PreFilter: works out what Filter needs once per cycle, into the CycleState; may narrow the nodes or Skip. */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status };
  /** For preemption's what-ifs: the CycleState's view after adding or removing a pod on a node. */
  addPod?(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status;
  removePod?(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status;
}

/** Filter: whether the pod may go to the node; Unschedulable(AndUnresolvable) with the reason if not. */
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
}

/** Per node, why the pod did not fit (the Filter statuses), for PostFilter and the FailedScheduling message. */
export type NodeToStatus = ReadonlyMap<string, Status>;

/**
 * PostFilter: runs when no node fits (DefaultPreemption): may nominate a node
 * after evicting victims. A nominatedNodeName of '' clears an earlier
 * nomination (preemption found nothing); undefined leaves it as it is.
 */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, filtered: NodeToStatus): Promise<{ nominatedNodeName?: string; status: Status }>;
}

/** PreScore: works out what Score needs once per cycle, over the nodes that passed Filter; may Skip. */
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
}

/** A node's score from one plugin. */
export interface NodeScore {
  readonly name: string;
  score: number;
}

/** Score: ranks a feasible node (higher is better); NormalizeScore maps a plugin's scores into 0..MAX_NODE_SCORE. */
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status };
  /** Rewrites `scores` in place to 0..MAX_NODE_SCORE (when raw scores are on another scale). */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): Status;
}

/** Reserve: claims the node's resources for the pod before binding (the assumed pod); Unreserve gives them back. */
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

/**
 * Permit: lets the pod go to binding (Success), refuses it (Unschedulable),
 * or makes it wait (Wait) up to `timeoutMs` (capped at 15 minutes; 0 or
 * none: it times out at once) for the plugin to allow it through
 * Handle.getWaitingPod. The pod waits only when no Permit plugin refuses it.
 */
export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}

/**
 * A pod that Permit told to wait (kube-scheduler's WaitingPod), assumed on
 * its node meanwhile. It goes on to binding once every plugin that made it
 * wait has allowed it; one reject, or one plugin's timeout, sends it back to
 * the queue. The first decision stands.
 */
export interface WaitingPod {
  /** The pod, as assumed (spec.nodeName set). */
  readonly pod: Pod;
  /** The plugins that made it wait and have not allowed it yet. */
  getPendingPlugins(): string[];
  /** `pluginName` lets it go; the last one to do so sends it to binding. */
  allow(pluginName: string): void;
  /** Refuses it: an Unschedulable status naming `pluginName`, with `message`. */
  reject(pluginName: string, message: string): void;
}

/** PreBind: work before binding (volumes); a failure unreserves. */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

/** Bind: binds the pod to the node (DefaultBinder: POST pods/binding); Skip leaves it to the next Bind plugin. */
export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

/** PostBind: told after a successful binding. */
export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

/** The cluster as a cycle sees it: the snapshot of the scheduler's cache, taken once per cycle. */
export interface NodeInfoLister {
  list(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** The nodes with pods that have pod affinity or anti-affinity terms. */
  havePodsWithAffinity(): readonly NodeInfo[];
  /** The nodes with pods that have required anti-affinity terms. */
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
}

/** What plugins may use besides their arguments. */
export interface Handle {
  /** This cycle's snapshot. */
  snapshot(): NodeInfoLister;
  /** The labels of a namespace (for namespaceSelector in affinity terms); undefined when unknown. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** The value of a PriorityClass, for pods without spec.priority (undefined: not found). */
  priorityOf?(pod: Pod): number;
  /** Filters with every Filter plugin of the profile (preemption's what-ifs). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  /**
   * Filters as runFilterPlugins, counting the pods nominated to the node
   * with a priority at least the pod's as if they were there (and, when that
   * passes, once more without them); see Framework.runFilterPluginsWithNominatedPods.
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
  /** Adds or removes a pod in the CycleState of every PreFilter plugin (preemption's what-ifs). */
  runPreFilterAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status;
  runPreFilterRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status;
  /** The pod with `uid` if it waits on Permit. */
  getWaitingPod(uid: string): WaitingPod | undefined;
  /** Calls `fn` on every pod waiting on Permit (`fn` may allow or reject them). */
  iterateOverWaitingPods(fn: (wp: WaitingPod) => void): void;
  /** Rejects the pod with `uid` if it waits on Permit (no plugin named, message "removed"); whether it waited. */
  rejectWaitingPod(uid: string): boolean;
  /** The API calls plugins make (binding, evicting victims, setting nominatedNodeName). */
  readonly api: SchedulerApi;
}

/** The writes the scheduler's plugins make through the API server. */
export interface SchedulerApi {
  /** POST pods/binding. */
  bind(pod: Pod, nodeName: string): Promise<void>;
  /** Evicts `pod` for `preemptor` (its DisruptionTarget condition, then DELETE), recording a Preempted event with `message` about it. */
  evict(pod: Pod, preemptor: Pod, message: string): Promise<void>;
  /** Records the Preempted event alone: for a victim waiting on Permit, which is rejected rather than deleted. */
  preempted(pod: Pod, preemptor: Pod, message: string): void;
  /** Sets status.nominatedNodeName (preemption), or clears it with undefined. */
  nominate(pod: Pod, nodeName: string | undefined): Promise<void>;
}

/** What a plugin factory gets: its arguments from the profile, and the framework's Handle. */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: Handle) => Plugin;

/** Every extension point a plugin object may implement. */
export type AnyPlugin = Plugin &
  Partial<
    QueueSortPlugin & PreFilterPlugin & FilterPlugin & PostFilterPlugin & PreScorePlugin & ScorePlugin & ReservePlugin & PermitPlugin & PreBindPlugin & BindPlugin & PostBindPlugin & EnqueueExtensions
  >;

