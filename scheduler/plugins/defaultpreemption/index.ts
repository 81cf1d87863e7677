/**
 * DefaultPreemption (PostFilter): when a pod fits no node, find a node where
 * evicting lower-priority pods would make it fit, evict the fewest and least
 * important of them, and nominate that node for the pod (kube-scheduler's
 * default preemption, without PodDisruptionBudgets, which kubeling does not
 * serve):
 *
 * 1. A pod with preemptionPolicy Never does not preempt, nor does one whose
 *    victims on its nominated node are still terminating.
 * 2. Candidates: the nodes that rejected the pod as Unschedulable (not
 *    UnschedulableAndUnresolvable: evicting pods cannot fix a taint),
 *    dry-run from a random offset until enough are found (10% of the
 *    nodes, at least 100).
 * 3. On each, remove every pod of lower priority; if the pod still does not
 *    fit, the node is no candidate; else put the removed pods back, most
 *    important first, as long as the pod still fits: the rest are victims.
 * 4. Pick the node whose victims are least important (lowest highest
 *    priority, then lowest sum, then fewest, then the most recently
 *    started), evict its victims and nominate it. A victim that waits on
 *    Permit (assumed, not yet bound) is rejected ("preempted") rather than
 *    deleted, as kube-scheduler does: its binding cycle then gives its room
 *    back. Each victim gets a Preempted event.
 *
 * The dry runs filter with the nominated pods (Handle.runFilterPluginsWithNominatedPods),
 * so that a pod does not preempt into room made for a pod it must yield to.
 * When no node will do, the pod's earlier nomination is cleared
 * (nominatedNodeName '').
 *
 * When no node will do, the message is kube-scheduler's: `preemption: 0/3
 * nodes are available: 1 No preemption victims found for incoming pod, 2
 * Preemption is not helpful for scheduling.`
 */
import type { Pod } from '../../../client/types.js';
import type { CycleState } from '../../framework/cyclestate.js';
import { reasonHistogram } from '../../framework/fiterror.js';
import type { Handle, NodeToStatus, PluginFactory, PostFilterPlugin } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { Code, SUCCESS, Status, asError, unresolvable } from '../../framework/status.js';

/** The plugin's name. */
export const NAME = 'DefaultPreemption';

/** The reason of a node that preemption cannot help. */
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
/** The reason of a node with no pod of lower priority. */
export const NO_VICTIMS = 'No preemption victims found for incoming pod';

/** A node where preemption would work, and the pods it would evict (most important first). */
export interface Candidate {
  readonly nodeName: string;
  readonly victims: Pod[];
}

/** The arguments of DefaultPreemptionArgs. */
export interface PreemptionArgs {
  /** The least share of nodes to dry-run, in percent (10). */
  readonly minCandidateNodesPercentage?: number;
  /** The least number of nodes to dry-run (100). */
  readonly minCandidateNodesAbsolute?: number;
}

/** A pod's priority (0 when unset). */
export function priorityOf(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

/** When a pod started (status.startTime, else creationTimestamp), in ms; +Infinity when unknown. */
function startTime(pod: Pod): number {
  const t = Date.parse(pod.status?.startTime ?? pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

/** Whether `a` is more important than `b` (kube's MoreImportantPod): a higher priority, else started earlier. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = priorityOf(a);
  const pb = priorityOf(b);
  return pa !== pb ? pa > pb : startTime(a) < startTime(b);
}

/** DefaultPreemption; see the file comment. */
export class DefaultPreemption implements PostFilterPlugin {
  readonly name = NAME;
  readonly #minPercentage: number;
  readonly #minAbsolute: number;

  constructor(
    private readonly handle: Handle,
    args: PreemptionArgs = {},
    private readonly random: () => number = Math.random,
  ) {
    this.#minPercentage = args.minCandidateNodesPercentage ?? 10;
    this.#minAbsolute = args.minCandidateNodesAbsolute ?? 100;
  }

  async postFilter(state: CycleState, pod: Pod, filtered: NodeToStatus): Promise<{ nominatedNodeName?: string; status: Status }> {
    if (pod.spec.preemptionPolicy === 'Never') return { status: unresolvable('not eligible due to preemptionPolicy=Never.') };
    const nodes = this.handle.snapshot().list();
    if (this.#waitingForVictims(pod, filtered)) return { status: unresolvable('not eligible due to a terminating pod on the nominated node.') };
    const { candidates, statuses } = this.findCandidates(state, pod, nodes, filtered);
    if (candidates.length === 0) {
      const status = new Status(Code.Unschedulable, [`preemption: 0/${nodes.length} nodes are available: ${reasonHistogram(statuses).join(', ')}.`]);
      return { nominatedNodeName: '', status };
    }
    const best = pickOne(candidates);
    try {
      for (const v of best.victims) await this.#preempt(v, pod, best.nodeName);
    } catch (e) {
      return { status: asError(e) };
    }
    return { nominatedNodeName: best.nodeName, status: SUCCESS };
  }

  /** Rejects `victim` if it waits on Permit, else evicts it; see the file comment, step 4. */
  async #preempt(victim: Pod, preemptor: Pod, nodeName: string): Promise<void> {
    const message = `Preempted by pod ${preemptor.metadata.uid ?? ''} on node ${nodeName}`;
    const waiting = this.handle.getWaitingPod(victim.metadata.uid ?? '');
    if (!waiting) return this.handle.api.evict(victim, preemptor, message);
    waiting.reject(NAME, 'preempted');
    this.handle.api.preempted(victim, preemptor, message);
  }

  /**
   * Whether the pod already preempted and its victims are still going (kube's
   * podEligibleToPreemptOthers): a pod of lower priority is terminating on
   * its nominated node, which preemption might still help.
   */
  #waitingForVictims(pod: Pod, filtered: NodeToStatus): boolean {
    const nominated = pod.status?.nominatedNodeName;
    if (!nominated || filtered.get(nominated)?.code === Code.UnschedulableAndUnresolvable) return false;
    const info = this.handle.snapshot().get(nominated);
    return !!info?.pods.some((p) => p.pod.metadata.deletionTimestamp && priorityOf(p.pod) < priorityOf(pod));
  }

  /** The candidates found by dry runs, and why every other node is not one. */
  findCandidates(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], filtered: NodeToStatus): { candidates: Candidate[]; statuses: Map<string, Status> } {
    const statuses = new Map<string, Status>();
    const potential: NodeInfo[] = [];
    for (const n of nodes) {
      const s = filtered.get(n.name);
      if (s?.code === Code.UnschedulableAndUnresolvable) statuses.set(n.name, unresolvable(NOT_HELPFUL));
      else potential.push(n);
    }
    const candidates: Candidate[] = [];
    if (potential.length === 0) return { candidates, statuses };
    const want = Math.min(potential.length, Math.max(Math.trunc((potential.length * this.#minPercentage) / 100), this.#minAbsolute));
    const offset = Math.floor(this.random() * potential.length);
    for (let i = 0; i < potential.length && candidates.length < want; i++) {
      const n = potential[(offset + i) % potential.length]!;
      const r = this.selectVictimsOnNode(state.clone(), pod, n.clone());
      if ('victims' in r) candidates.push({ nodeName: n.name, victims: r.victims });
      else statuses.set(n.name, r.status);
    }
    return { candidates, statuses };
  }

  /** The victims on `nodeInfo` (a copy, changed here), or why there are none; see the file comment, step 3. */
  selectVictimsOnNode(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { victims: Pod[] } | { status: Status } {
    const lower = nodeInfo.pods.map((p) => p.pod).filter((p) => priorityOf(p) < priorityOf(pod));
    if (lower.length === 0) return { status: unresolvable(NO_VICTIMS) };
    for (const v of lower) {
      nodeInfo.removePod(v.metadata.uid ?? '');
      const s = this.handle.runPreFilterRemovePod(state, pod, v, nodeInfo);
      if (!s.isSuccess()) return { status: s };
    }
    const fits = this.handle.runFilterPluginsWithNominatedPods(state, pod, nodeInfo);
    if (!fits.isSuccess()) return { status: fits };
    const victims: Pod[] = [];
    for (const v of [...lower].sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0))) {
      nodeInfo.addPod(v);
      const s = this.handle.runPreFilterAddPod(state, pod, v, nodeInfo);
      if (s.isSuccess() && this.handle.runFilterPluginsWithNominatedPods(state, pod, nodeInfo).isSuccess()) continue; // reprieved
      nodeInfo.removePod(v.metadata.uid ?? '');
      this.handle.runPreFilterRemovePod(state, pod, v, nodeInfo);
      victims.push(v);
    }
    if (victims.length === 0) return { status: asError(new Error(`expected at least one victim pod on node ${nodeInfo.name}`)) };
    return { victims };
  }
}

/** The candidate whose victims matter least (kube's pickOneNodeForPreemption, without PDBs). */
export function pickOne(candidates: readonly Candidate[]): Candidate {
  const OFFSET = 2 ** 31; // keeps sums of negative priorities comparable
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -priorityOf(c.victims[0]!), // the lowest highest priority
    (c) => -c.victims.reduce((s, v) => s + priorityOf(v) + OFFSET, 0), // the lowest sum
    (c) => -c.victims.length, // the fewest
    (c) => {
      // the latest start among the highest-priority victims
      const top = priorityOf(c.victims[0]!);
      return Math.min(...c.victims.filter((v) => priorityOf(v) === top).map(startTime));
    },
  ];
  let best = [...candidates];
  for (const score of criteria) {
    if (best.length === 1) break;
    const max = Math.max(...best.map(score));
    best = best.filter((c) => score(c) === max);
  }
  return best[0]!;
}

/** The factory the registry holds. */
export const newDefaultPreemption: PluginFactory = (args, handle) => new DefaultPreemption(handle, args as PreemptionArgs | undefined);
