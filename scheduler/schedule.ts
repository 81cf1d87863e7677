/**
 * One pod's scheduling decision (kube-scheduler's schedulePod): PreFilter,
 * then Filter over the nodes (counting the pods nominated there that it
 * must yield to), round-robin from where the last cycle stopped and only
 * until enough feasible nodes are found (numFeasibleNodesToFind), then
 * Score, and the best node, a tie broken at random. A pod that fits nowhere
 * is a FitError whose message is kube-scheduler's, naming the plugins that
 * rejected it (for the queue's cluster events).
 *
 * A pod nominated to a node (status.nominatedNodeName: preemption made room
 * for it there) tries that node alone first, after PreFilter
 * (kube-scheduler's evaluateNominatedNode): if it passes Filter there, it
 * goes there, with no other node filtered or scored and the round-robin
 * cursor left where it was; else the search runs over every node as usual.
 *
 * ```
 *  PreFilter ─► nominated node? ─fits─► it
 *                    │ no, or it does not fit
 *                    ▼
 *               Filter (round-robin) ─► Score ─► the best node
 * ```
 */
import type { Pod } from '../client/types.js';
import type { CycleState } from './framework/cyclestate.js';
import { fitErrorMessage } from './framework/fiterror.js';
import type { Framework } from './framework/framework.js';
import type { NodeInfoLister, NodeScore, NodeToStatus } from './framework/interface.js';
import type { NodeInfo } from './framework/nodeinfo.js';
import { numFeasibleNodesToFind } from './framework/profile.js';
import { Code, Status } from './framework/status.js';

/** Where a pod goes, and how many nodes were looked at. */
export interface ScheduleResult {
  readonly suggestedHost: string;
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

/** The pod fits no node; its message is kube-scheduler's (fiterror.ts). */
export class FitError extends Error {
  override name = 'FitError';
  #postFilterMsg: string | undefined;

  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    /** Why each node was rejected. */
    readonly statuses: NodeToStatus,
    /** The plugins that rejected it: those of the statuses, and PreFilter plugins that left nodes out. */
    readonly unschedulablePlugins: ReadonlySet<string>,
    readonly preFilterMsg?: string,
  ) {
    super(fitErrorMessage(numAllNodes, statuses, preFilterMsg));
  }

  /** PostFilter's (preemption's) message, once it has run; the message then ends with it. */
  get postFilterMsg(): string | undefined {
    return this.#postFilterMsg;
  }

  set postFilterMsg(msg: string | undefined) {
    this.#postFilterMsg = msg;
    this.message = fitErrorMessage(this.numAllNodes, this.statuses, this.preFilterMsg, msg);
  }
}

/** There are no nodes at all (kube-scheduler's ErrNoNodesAvailable). */
export class NoNodesAvailableError extends Error {
  constructor() {
    super('no nodes available to schedule pods');
  }
}

/** State carried from cycle to cycle: where the next Filter pass starts, and the source of randomness. */
export interface ScheduleCursor {
  nextStartNodeIndex: number;
  readonly random: () => number;
}

/**
 * Finds a node for `pod` in `snapshot`; see the file comment. Throws
 * FitError or NoNodesAvailableError; a plugin's Error status throws an Error.
 */
export function schedulePod(fw: Framework, state: CycleState, pod: Pod, snapshot: NodeInfoLister, cursor: ScheduleCursor): ScheduleResult {
  const all = snapshot.list();
  if (all.length === 0) throw new NoNodesAvailableError();
  const { feasible, statuses, evaluated } = findNodesThatFit(fw, state, pod, snapshot, cursor);
  if (feasible.length === 0) {
    const plugins = new Set(statuses.narrowedBy);
    for (const s of statuses.values()) if (s.plugin) plugins.add(s.plugin);
    throw new FitError(pod, all.length, statuses.statuses, plugins, statuses.preFilterMsg);
  }
  if (feasible.length === 1) return { suggestedHost: feasible[0]!.name, evaluatedNodes: evaluated, feasibleNodes: 1 };
  const { scores, status } = fw.runScorePlugins(state, pod, feasible);
  if (!status.isSuccess()) throw new Error(status.message() || `plugin ${status.plugin ?? ''} failed to score`);
  return { suggestedHost: selectHost(scores, cursor.random), evaluatedNodes: evaluated, feasibleNodes: feasible.length };
}

/** The statuses of the rejected nodes, and PreFilter's message when it rejected them all. */
class Rejections {
  readonly statuses = new Map<string, Status>();
  preFilterMsg: string | undefined;
  /** The PreFilter plugins whose node names left nodes out. */
  narrowedBy: ReadonlySet<string> = new Set();

  values(): IterableIterator<Status> {
    return this.statuses.values();
  }
}

/** The pod's nominated node if it passes Filter there, else Filter over the nodes PreFilter left, from the cursor, until enough are feasible. */
function findNodesThatFit(fw: Framework, state: CycleState, pod: Pod, snapshot: NodeInfoLister, cursor: ScheduleCursor): { feasible: NodeInfo[]; statuses: Rejections; evaluated: number } {
  const all = snapshot.list();
  const rejected = new Rejections();
  const pre = fw.runPreFilterPlugins(state, pod, all);
  rejected.narrowedBy = pre.narrowedBy;
  if (!pre.status.isSuccess()) {
    if (!pre.status.isRejected()) throw new Error(pre.status.message() || `plugin ${pre.status.plugin ?? ''} failed in PreFilter`);
    // a PreFilter rejection stands for every node
    for (const n of all) rejected.statuses.set(n.name, pre.status);
    rejected.preFilterMsg = pre.status.message();
    return { feasible: [], statuses: rejected, evaluated: 0 };
  }
  const nominated = evaluateNominatedNode(fw, state, pod, snapshot, rejected);
  if (nominated) return { feasible: [nominated], statuses: rejected, evaluated: 1 };
  let nodes = all;
  const named = pre.result?.nodeNames;
  if (named) {
    nodes = all.filter((n) => named.has(n.name));
    // kube-scheduler's words: the plugins that narrowed the nodes, sorted, as Go prints a list
    const outside = new Status(Code.UnschedulableAndUnresolvable, [`node(s) didn't satisfy plugin(s) [${[...pre.narrowedBy].sort().join(' ')}]`]);
    for (const n of all) if (!named.has(n.name)) rejected.statuses.set(n.name, outside);
  }
  const want = numFeasibleNodesToFind(fw.profile.percentageOfNodesToScore, nodes.length);
  const feasible: NodeInfo[] = [];
  let processed = 0;
  const start = nodes.length ? cursor.nextStartNodeIndex % nodes.length : 0;
  for (; processed < nodes.length && feasible.length < want; processed++) {
    const n = nodes[(start + processed) % nodes.length]!;
    const status = fw.runFilterPluginsWithNominatedPods(state, pod, n);
    if (status.isSuccess()) feasible.push(n);
    else if (status.isRejected()) rejected.statuses.set(n.name, status);
    else throw new Error(status.message() || `plugin ${status.plugin ?? ''} failed in Filter`);
  }
  cursor.nextStartNodeIndex = nodes.length ? (start + processed) % nodes.length : 0;
  return { feasible, statuses: rejected, evaluated: processed };
}

/**
 * The pod's nominated node when it passes Filter there, with the pods
 * nominated to it counted as in any Filter run; undefined when the pod has
 * no nomination, the node is gone, or it does not fit (its rejection is
 * kept, as kube keeps it, until the full search filters the node again).
 * PreFilter's node names are not consulted, as in kube-scheduler. A
 * filter's Error is left to the full search, which meets it again.
 */
function evaluateNominatedNode(fw: Framework, state: CycleState, pod: Pod, snapshot: NodeInfoLister, rejected: Rejections): NodeInfo | undefined {
  const name = pod.status?.nominatedNodeName;
  const node = name ? snapshot.get(name) : undefined;
  if (!node) return undefined;
  const status = fw.runFilterPluginsWithNominatedPods(state, pod, node);
  if (status.isSuccess()) return node;
  if (status.isRejected()) rejected.statuses.set(node.name, status);
  return undefined;
}

/** The node with the highest total, one of the best at random when several tie (reservoir sampling, as kube-scheduler). */
export function selectHost(scores: readonly NodeScore[], random: () => number): string {
  let best = scores[0];
  if (!best) throw new Error('empty priority list');
  let ties = 1;
  for (const s of scores.slice(1)) {
    if (s.score > best.score) {
      best = s;
      ties = 1;
    } else if (s.score === best.score) {
      ties++;
      if (random() * ties < 1) best = s;
    }
  }
  return best.name;
}
