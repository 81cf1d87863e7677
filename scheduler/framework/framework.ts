/**
 * The framework of one profile (kube-scheduler's frameworkImpl): the plugin
 * objects a profile enables, built once from the registry, and the running
 * of each extension point over them with kube-scheduler's rules:
 *
 * - PreFilter: every plugin runs; the node names they return are
 *   intersected; a Skip skips that plugin's Filter for this cycle; a
 *   rejection stands for every node (its message becomes FitError's).
 * - Filter: plugins run in order and the first rejection decides the node.
 *   The scheduling cycle filters with the nominated pods: on a node where
 *   pods of at least the pod's priority are nominated (they preempted there
 *   and wait for their victims to go), they count as if running, so that the
 *   room made for them is not taken; see runFilterPluginsWithNominatedPods.
 * - Score: every plugin scores every feasible node (PreScore Skip skips it),
 *   normalises, and is weighted; a node's score is the sum.
 * - Reserve runs in order and Unreserve in reverse; Bind plugins run until
 *   one does not Skip.
 * - Permit: the first refusal decides; when no plugin refuses and some ask
 *   to wait, the pod becomes a waiting pod (waiting.ts), with a timer per
 *   plugin that asked, and its binding cycle first waits on it
 *   (waitOnPermit).
 *
 * The Framework is also the Handle its plugins get (the snapshot, the
 * filters for preemption's what-ifs, the waiting pods), and it gathers its
 * plugins' cluster-event registrations for the queue (queueingHints).
 */
import type { Pod } from '../../client/types.js';
import { CycleState, type StateData } from './cyclestate.js';
import { type ClusterEventWithHint, type QueueingHintMap, WILDCARD_REGISTRATION } from './events.js';
import type {
  AnyPlugin,
  Handle,
  NodeInfoLister,
  NodeScore,
  NodeToStatus,
  PluginFactory,
  PreFilterResult,
  QueuedPodInfo,
  SchedulerApi,
  WaitingPod,
} from './interface.js';
import { MAX_NODE_SCORE, MIN_NODE_SCORE } from './interface.js';
import type { NodeInfo, PodInfo } from './nodeinfo.js';
import type { Profile } from './profile.js';
import { Code, SKIP, SUCCESS, Status, asError } from './status.js';
import { WaitingPods } from './waiting.js';

/** What the framework needs besides the profile: the plugin registry and the scheduler's state. */
export interface FrameworkDeps {
  readonly registry: Readonly<Record<string, PluginFactory>>;
  /** The snapshot of the current cycle. */
  readonly snapshot: () => NodeInfoLister;
  readonly namespaceLabels: (namespace: string) => Record<string, string> | undefined;
  readonly api: SchedulerApi;
  /** The pods nominated to a node (preemption made room for them there); none when absent. */
  readonly nominatedPodsForNode?: (nodeName: string) => readonly PodInfo[];
  /** The pods waiting on Permit, shared by the scheduler's profiles as in kube-scheduler (default: the framework's own). */
  readonly waitingPods?: WaitingPods;
}

/** The plugins skipped in this cycle by PreFilter or PreScore returning Skip. */
class Skipped implements StateData {
  constructor(
    readonly filter = new Set<string>(),
    readonly score = new Set<string>(),
  ) {}

  clone(): Skipped {
    return new Skipped(new Set(this.filter), new Set(this.score));
  }
}
const SKIPPED = 'kubeling.dev/skipped-plugins';

function skipped(state: CycleState): Skipped {
  let s = state.read<Skipped>(SKIPPED);
  if (!s) state.write(SKIPPED, (s = new Skipped()));
  return s;
}

/** What PreFilter decided for the cycle. */
export interface PreFilterOutcome {
  readonly result: PreFilterResult | undefined;
  readonly status: Status;
  /** The plugins whose node names left nodes out: rejectors of those nodes, should the pod fit nowhere. */
  readonly narrowedBy: ReadonlySet<string>;
}

/** A pod's priority as the nominated-pods rule compares them. */
function priority(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

/** The framework of one profile; see the file comment. */
export class Framework implements Handle {
  readonly #plugins = new Map<string, AnyPlugin>();
  readonly api: SchedulerApi;
  /**
   * The cluster events each plugin that can reject a pod (PreFilter, Filter,
   * Reserve, Permit, PreBind) registered; the wildcard for one that does not
   * implement EnqueueExtensions.
   */
  readonly queueingHints: QueueingHintMap;
  readonly #waiting: WaitingPods;
  /** The Filter plugins in order, with their names. */
  readonly #filters: (readonly [string, AnyPlugin])[];

  constructor(
    readonly profile: Profile,
    private readonly deps: FrameworkDeps,
  ) {
    this.api = deps.api;
    this.#waiting = deps.waitingPods ?? new WaitingPods();
    const p = profile.plugins;
    const names = new Set([...p.queueSort, ...p.preFilter, ...p.filter, ...p.postFilter, ...p.preScore, ...p.score.map((s) => s.name), ...p.reserve, ...p.permit, ...p.preBind, ...p.bind, ...p.postBind]);
    for (const name of names) {
      const factory = deps.registry[name];
      if (!factory) throw new Error(`profile ${profile.schedulerName}: plugin ${name} is not registered`);
      this.#plugins.set(name, factory(profile.pluginConfig[name], this) as AnyPlugin);
    }
    if (p.queueSort.length !== 1) throw new Error(`profile ${profile.schedulerName}: exactly one queueSort plugin is needed, not ${p.queueSort.length}`);
    if (p.bind.length === 0) throw new Error(`profile ${profile.schedulerName}: at least one bind plugin is needed`);
    const missing = (point: string, list: readonly string[], method: keyof AnyPlugin): void => {
      for (const n of list) if (typeof this.#plugins.get(n)?.[method] !== 'function') throw new Error(`plugin ${n} does not extend ${point}`);
    };
    missing('QueueSort', p.queueSort, 'less');
    missing('PreFilter', p.preFilter, 'preFilter');
    missing('Filter', p.filter, 'filter');
    missing('PostFilter', p.postFilter, 'postFilter');
    missing('PreScore', p.preScore, 'preScore');
    missing('Score', p.score.map((s) => s.name), 'score');
    missing('Reserve', p.reserve, 'reserve');
    missing('Permit', p.permit, 'permit');
    missing('PreBind', p.preBind, 'preBind');
    missing('Bind', p.bind, 'bind');
    missing('PostBind', p.postBind, 'postBind');
    const hints = new Map<string, readonly ClusterEventWithHint[]>();
    for (const name of new Set([...p.preFilter, ...p.filter, ...p.reserve, ...p.permit, ...p.preBind])) {
      const plugin = this.#plugin(name);
      hints.set(name, plugin.eventsToRegister ? plugin.eventsToRegister() : [WILDCARD_REGISTRATION]);
    }
    this.queueingHints = hints;
    this.#filters = p.filter.map((name) => [name, this.#plugin(name)] as const);
  }

  #plugin(name: string): AnyPlugin {
    return this.#plugins.get(name)!;
  }

  snapshot(): NodeInfoLister {
    return this.deps.snapshot();
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.deps.namespaceLabels(namespace);
  }

  /** The queue order of the profile's QueueSort plugin. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return this.#plugin(this.profile.plugins.queueSort[0]!).less!(a, b);
  }

  /** PreFilter; see the file comment. */
  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): PreFilterOutcome {
    let names: Set<string> | undefined;
    const narrowedBy = new Set<string>();
    const skip = skipped(state);
    for (const name of this.profile.plugins.preFilter) {
      const { result, status } = this.#callFor(name, () => this.#plugin(name).preFilter!(state, pod, nodes));
      if (status.code === Code.Skip) {
        skip.filter.add(name);
        continue;
      }
      if (!status.isSuccess()) return { result: undefined, status: attribute(status, name), narrowedBy };
      if (result?.nodeNames) {
        narrowedBy.add(name);
        names = names ? new Set([...names].filter((n) => result.nodeNames!.has(n))) : new Set(result.nodeNames);
        if (names.size === 0) {
          const status = new Status(Code.UnschedulableAndUnresolvable, [`node(s) didn't satisfy plugin(s) [${name}] simultaneously`], name);
          return { result: { nodeNames: names }, status, narrowedBy };
        }
      }
    }
    return { result: names ? { nodeNames: names } : undefined, status: SUCCESS, narrowedBy };
  }

  /** Filter: the first plugin that rejects the node decides (its status names it). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    // called for every node of every cycle: a plain loop, one try for all the plugins
    const skip = state.read<Skipped>(SKIPPED)?.filter;
    const plugins = this.#filters;
    let i = 0;
    try {
      for (; i < plugins.length; i++) {
        const [name, plugin] = plugins[i]!;
        if (skip?.has(name)) continue;
        const status = plugin.filter!(state, pod, nodeInfo);
        if (!status.isSuccess()) return attribute(status, name);
      }
    } catch (e) {
      return attribute(asError(e), plugins[i]![0]);
    }
    return SUCCESS;
  }

  /**
   * Filter, with the nominated pods (kube-scheduler's
   * RunFilterPluginsWithNominatedPods). When pods of a priority at least the
   * pod's are nominated to the node, the filters run first on a copy of the
   * node and CycleState holding them (added through PreFilter's addPod), so
   * that the pod does not take the room preemption made for them; and, if
   * that passes, once more without them, since a nominated pod may end up
   * elsewhere and some filters (pod affinity) pass only with it there. The
   * pod must pass both. Pods of lower priority are not counted: the pod may
   * take room made for them (it could preempt them anyway).
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const nominated = this.deps.nominatedPodsForNode?.(nodeInfo.name);
    if (!nominated?.length) return this.runFilterPlugins(state, pod, nodeInfo);
    const uid = pod.metadata.uid;
    const counted = nominated.filter((p) => p.pod.metadata.uid !== uid && priority(p.pod) >= priority(pod));
    if (counted.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const withState = state.clone();
    const withNode = nodeInfo.clone();
    for (const p of counted) {
      withNode.addPodInfo(p);
      const s = this.runPreFilterAddPod(withState, pod, p.pod, withNode);
      if (!s.isSuccess()) return new Status(Code.Error, s.reasons, s.plugin); // as kube: a failing AddPod is an error
    }
    const first = this.runFilterPlugins(withState, pod, withNode);
    if (!first.isSuccess()) return first;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  runPreFilterAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    return this.#runPreFilterExtension(state, (p) => p.addPod?.(state, podToSchedule, podToAdd, nodeInfo));
  }

  runPreFilterRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    return this.#runPreFilterExtension(state, (p) => p.removePod?.(state, podToSchedule, podToRemove, nodeInfo));
  }

  #runPreFilterExtension(state: CycleState, f: (p: AnyPlugin) => Status | undefined): Status {
    const skip = state.read<Skipped>(SKIPPED);
    for (const name of this.profile.plugins.preFilter) {
      if (skip?.filter.has(name)) continue;
      const status = this.#call(name, () => f(this.#plugin(name)) ?? SUCCESS);
      if (!status.isSuccess()) return attribute(status, name);
    }
    return SUCCESS;
  }

  /**
   * PostFilter (preemption): the first plugin that succeeds nominates a node;
   * otherwise the last one's message, with the last nomination a failing
   * plugin asked for ('' clears the pod's nomination).
   */
  async runPostFilterPlugins(state: CycleState, pod: Pod, filtered: NodeToStatus): Promise<{ nominatedNodeName?: string; status: Status }> {
    let last: Status = new Status(Code.Unschedulable);
    let nomination: string | undefined;
    for (const name of this.profile.plugins.postFilter) {
      let r: { nominatedNodeName?: string; status: Status };
      try {
        r = await this.#plugin(name).postFilter!(state, pod, filtered);
      } catch (e) {
        return { status: attribute(asError(e), name) };
      }
      if (r.status.isSuccess()) return r;
      if (r.status.code === Code.Error) return { status: attribute(r.status, name) };
      last = attribute(r.status, name);
      if (r.nominatedNodeName !== undefined) nomination = r.nominatedNodeName;
    }
    return nomination === undefined ? { status: last } : { nominatedNodeName: nomination, status: last };
  }

  /** PreScore, then Score, NormalizeScore and weights: each node's total. */
  runScorePlugins(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { scores: NodeScore[]; status: Status } {
    const skip = skipped(state);
    for (const name of this.profile.plugins.preScore) {
      const status = this.#call(name, () => this.#plugin(name).preScore!(state, pod, nodes));
      if (status.code === Code.Skip) skip.score.add(name);
      else if (!status.isSuccess()) return { scores: [], status: attribute(status, name) };
    }
    const totals = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const { name, weight } of this.profile.plugins.score) {
      if (skip.score.has(name)) continue;
      const plugin = this.#plugin(name);
      const scores: NodeScore[] = new Array<NodeScore>(nodes.length);
      // called for every feasible node of every cycle: a plain loop, one try for all the nodes
      try {
        for (let i = 0; i < nodes.length; i++) {
          const n = nodes[i]!;
          const s = plugin.score!(state, pod, n);
          if (!s.status.isSuccess()) return { scores: [], status: attribute(s.status, name) };
          scores[i] = { name: n.name, score: s.score };
        }
      } catch (e) {
        return { scores: [], status: attribute(asError(e), name) };
      }
      if (plugin.normalizeScore) {
        const st = this.#call(name, () => plugin.normalizeScore!(state, pod, scores));
        if (!st.isSuccess()) return { scores: [], status: attribute(st, name) };
      }
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i]!.score;
        if (s > MAX_NODE_SCORE || s < MIN_NODE_SCORE) {
          return { scores: [], status: new Status(Code.Error, [`plugin "${name}" returns an invalid score ${s}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`], name) };
        }
        totals[i]!.score += s * weight;
      }
    }
    return { scores: totals, status: SUCCESS };
  }

  /** Reserve in order; on a failure, Unreserve of every Reserve plugin (as kube-scheduler) and the failure. */
  runReservePlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const name of this.profile.plugins.reserve) {
      const status = this.#call(name, () => this.#plugin(name).reserve!(state, pod, nodeName));
      if (!status.isSuccess()) {
        this.runUnreservePlugins(state, pod, nodeName);
        return attribute(status, name);
      }
    }
    return SUCCESS;
  }

  /** Unreserve in reverse order. */
  runUnreservePlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (const name of [...this.profile.plugins.reserve].reverse()) {
      try {
        this.#plugin(name).unreserve!(state, pod, nodeName);
      } catch {
        // Unreserve must not fail; a plugin that throws is ignored, as kube-scheduler logs it
      }
    }
  }

  /**
   * Permit (kube-scheduler's RunPermitPlugins): a refusal decides (an Error
   * is wrapped as kube words it); when none refuses and some plugins said
   * Wait, `pod` (as assumed) becomes a waiting pod with each of their
   * timeouts, and the answer is Wait.
   */
  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): Status {
    const timeouts = new Map<string, number>();
    for (const name of this.profile.plugins.permit) {
      let r: { status: Status; timeoutMs?: number };
      try {
        r = this.#plugin(name).permit!(state, pod, nodeName);
      } catch (e) {
        r = { status: asError(e) };
      }
      if (r.status.isSuccess()) continue;
      if (r.status.code === Code.Wait) timeouts.set(name, r.timeoutMs ?? 0);
      else if (r.status.isRejected()) return attribute(r.status, name);
      else return new Status(Code.Error, [`running Permit plugin "${name}": ${r.status.message()}`], name);
    }
    if (timeouts.size === 0) return SUCCESS;
    this.#waiting.add(pod, timeouts);
    return new Status(Code.Wait, [`one or more plugins asked to wait and no plugin rejected pod "${pod.metadata.name ?? ''}"`]);
  }

  /**
   * The binding cycle's first step (kube-scheduler's WaitOnPermit): Success
   * at once for a pod that does not wait; else, once decided, Success or
   * the rejection (Unschedulable, naming the plugin that rejected it).
   */
  waitOnPermit(pod: Pod): Promise<Status> {
    return this.#waiting.wait(pod);
  }

  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.#waiting.get(uid);
  }

  iterateOverWaitingPods(fn: (wp: WaitingPod) => void): void {
    this.#waiting.iterate(fn);
  }

  rejectWaitingPod(uid: string): boolean {
    return this.#waiting.reject(uid);
  }

  async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const name of this.profile.plugins.preBind) {
      const status = await this.#callAsync(name, () => this.#plugin(name).preBind!(state, pod, nodeName));
      if (!status.isSuccess()) return attribute(status, name);
    }
    return SUCCESS;
  }

  /** Bind: the first plugin that does not Skip binds. */
  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const name of this.profile.plugins.bind) {
      const status = await this.#callAsync(name, () => this.#plugin(name).bind!(state, pod, nodeName));
      if (status.code === Code.Skip) continue;
      return status.isSuccess() ? SUCCESS : attribute(status, name);
    }
    return SKIP;
  }

  runPostBindPlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (const name of this.profile.plugins.postBind) {
      try {
        this.#plugin(name).postBind!(state, pod, nodeName);
      } catch {
        // PostBind is informational; a failure changes nothing
      }
    }
  }

  /** Runs one plugin call that answers a Status; a throw is an Error status of that plugin. */
  #call(name: string, f: () => Status): Status {
    try {
      return f();
    } catch (e) {
      return attribute(asError(e), name);
    }
  }

  /** Runs one plugin call that answers a result with a Status; a throw is an Error status of that plugin. */
  #callFor<T extends { status: Status }>(name: string, f: () => T): T | { status: Status; result?: undefined } {
    try {
      return f();
    } catch (e) {
      return { status: attribute(asError(e), name) };
    }
  }

  async #callAsync(name: string, f: () => Promise<Status>): Promise<Status> {
    try {
      return await f();
    } catch (e) {
      return attribute(asError(e), name);
    }
  }
}

/** `status`, naming `plugin` when it names none (a copy: plugins may share their status objects). */
function attribute(status: Status, plugin: string): Status {
  if (status.plugin) return status;
  return new Status(status.code, status.reasons, plugin);
}

