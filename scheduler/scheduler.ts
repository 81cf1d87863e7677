/**
 * The scheduler (kube-scheduler's Scheduler and scheduleOne): informers on
 * pods, nodes and namespaces feed the cache and the queue; one loop pops a
 * pod, decides its node against a snapshot, assumes it there at once, and
 * binds it in the background, so the next decision already counts it:
 *
 * ```
 *  pop → schedulePod ─ok→ assume → Reserve → Permit ─► (async) wait on Permit → PreBind → Bind → PostBind, event Scheduled
 *              │                                                 └ rejected or failed: Unreserve, forget, back to the queue
 *              └ FitError → PostFilter (preemption) → PodScheduled=False, event FailedScheduling,
 *                           back to the queue (unschedulable until a cluster event may help)
 * ```
 *
 * A pod that Permit told to wait stays assumed (its room counted) while it
 * waits, in the background like any binding. Rejected (by a plugin, by its
 * timeout, by preemption, or because it was deleted), it fails as a pod
 * that fits nowhere does (`0/1 nodes are available: 1 rejected due to
 * timeout after waiting 5s at plugin P.`, unschedulable with that plugin),
 * and the room it held is offered to the other pods (AssignedPodDelete).
 * stop() ends the waits without a word to the API: the pods stay pending
 * there, for the next scheduler.
 *
 * Informer events become cluster events for the queue (framework/events.ts):
 * a node added, changed (one event per kind of change: labels, taints,
 * allocatable ...) or deleted; a pod bound, changed or deleted; the queue
 * retries only the pods that a plugin which rejected them says the event may
 * help. Preemption's nominations are kept in a Nominator, which every cycle
 * counts (Framework.runFilterPluginsWithNominatedPods).
 *
 * Pods for other schedulers (spec.schedulerName) are left alone; bound pods
 * only feed the cache and the cluster events.
 */
import { hostname } from 'node:os';
import { EventsV1Recorder } from '../client/events.js';
import { Informer, stripManagedFields } from '../client/informer.js';
import { userAgent, type RestClient } from '../client/rest.js';
import type { Node, Pod } from '../client/types.js';
import { ApiWriter, asPod } from './api.js';
import { SchedulerCache } from './cache/cache.js';
import { CycleState } from './framework/cyclestate.js';
import {
  ASSIGNED_POD_ADD, ASSIGNED_POD_DELETE, NODE_ADD, NODE_DELETE, nodeSchedulingPropertiesChange, podSchedulingPropertiesChange, UNSCHEDULED_POD_DELETE,
} from './framework/events.js';
import { Framework } from './framework/framework.js';
import type { PluginFactory, QueuedPodInfo } from './framework/interface.js';
import { DEFAULT_PROFILE, type Profile } from './framework/profile.js';
import { Code, type Status } from './framework/status.js';
import { WaitingPods } from './framework/waiting.js';
import { inTreeRegistry } from './plugins/registry.js';
import { Nominator } from './queue/nominator.js';
import { SchedulingQueue } from './queue/queue.js';
import { FitError, NoNodesAvailableError, schedulePod, type ScheduleCursor } from './schedule.js';

/** How to build a Scheduler. */
export interface SchedulerOptions {
  readonly client: RestClient;
  /** The profiles, one per scheduler name (default: kube-scheduler's default profile). */
  readonly profiles?: readonly Profile[];
  readonly registry?: Readonly<Record<string, PluginFactory>>;
  readonly log?: (line: string) => void;
  readonly random?: () => number;
}

/** Counters a caller (a test, a benchmark, the dashboard) may read. */
export interface SchedulerStats {
  attempts: number;
  scheduled: number;
  unschedulable: number;
  errors: number;
  /** Bindings in flight. */
  binding: number;
}

/** The scheduler; see the file comment. */
export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly stats: SchedulerStats = { attempts: 0, scheduled: 0, unschedulable: 0, errors: 0, binding: 0 };
  readonly #frameworks = new Map<string, Framework>();
  /** Each profile's writer (the one its framework's plugins use). */
  readonly #writers = new Map<string, ApiWriter>();
  readonly #pods: Informer<Pod>;
  readonly #nodes: Informer<Node>;
  readonly #namespaces: Informer;
  /** Events as kube-scheduler records them: events.k8s.io/v1, repeats folded into series. */
  readonly #events: EventsV1Recorder;
  readonly #log: (line: string) => void;
  readonly #cursor: ScheduleCursor;
  #snapshot = this.cache.snapshot();
  /** The pods nominated to nodes (by preemption, or by their status), until they are assumed, bound or gone, or preemption gives up on them. */
  readonly #nominator = new Nominator();
  /** The pods waiting on Permit, by uid, shared by the profiles (assumed in the cache meanwhile). */
  readonly #waitingPods = new WaitingPods();
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    const { client } = opts;
    this.#log = opts.log ?? ((l) => void process.stderr.write(`${l}\n`));
    this.#cursor = { nextStartNodeIndex: 0, random: opts.random ?? Math.random };
    this.#events = new EventsV1Recorder(client, { reportingController: 'default-scheduler', reportingInstance: `default-scheduler-${hostname()}`, log: this.#log });
    const profiles = opts.profiles ?? [DEFAULT_PROFILE];
    for (const p of profiles) {
      const writer = new ApiWriter(client, this.#events, p.schedulerName);
      this.#writers.set(p.schedulerName, writer);
      this.#frameworks.set(
        p.schedulerName,
        new Framework(p, {
          registry: opts.registry ?? inTreeRegistry,
          snapshot: () => this.#snapshot,
          namespaceLabels: (ns) => this.#namespaceLabels(ns),
          api: writer,
          nominatedPodsForNode: (node) => this.#nominator.nominatedPodsForNode(node),
          waitingPods: this.#waitingPods,
        }),
      );
    }
    const first = this.#frameworks.values().next().value!;
    const hints = new Map([...this.#frameworks].map(([name, fw]) => [name, fw.queueingHints]));
    this.queue = new SchedulingQueue({ less: (a, b) => first.less(a, b), hints });
    const log = this.#log;
    // managedFields are stripped, as kube-scheduler's informers do: nothing here reads them, and they are most of a pod's bytes
    const transform = stripManagedFields;
    this.#pods = new Informer<Pod>(client, { resource: { resource: 'pods' }, log, transform });
    this.#nodes = new Informer<Node>(client, { resource: { resource: 'nodes' }, log, transform });
    this.#namespaces = new Informer(client, { resource: { resource: 'namespaces' }, log, transform });
    this.#wire();
  }

  /** Starts the informers, waits until they have listed, and runs the scheduling loop until stop(). */
  async start(): Promise<void> {
    this.#namespaces.start();
    this.#nodes.start();
    this.#pods.start();
    await Promise.all([this.#namespaces.waitForSync(), this.#nodes.waitForSync(), this.#pods.waitForSync()]);
    this.queue.run();
    this.#loop = this.#run();
  }

  /** Stops scheduling and the informers; bindings in flight finish, waits on Permit end (see the file comment). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.queue.close();
    await this.#loop;
    this.#waitingPods.close();
    this.#pods.stop();
    this.#nodes.stop();
    this.#namespaces.stop();
    this.#events.stop();
    await this.#events.flush();
  }

  /** The user agent a scheduler's client should send. */
  static userAgent(): string {
    return userAgent('kubeling-scheduler');
  }

  #namespaceLabels(ns: string): Record<string, string> | undefined {
    return this.#namespaces.get(ns)?.metadata.labels;
  }

  #responsible(pod: Pod): boolean {
    return this.#frameworks.has(pod.spec.schedulerName ?? 'default-scheduler');
  }

  /** Informer events → cache, nominations and queue, as cluster events (kube-scheduler's eventhandlers.go). */
  #wire(): void {
    const unassigned = (p: Pod): boolean => !p.spec.nodeName && !p.metadata.deletionTimestamp && this.#responsible(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
    const q = this.queue;
    this.#pods.addEventHandler({
      onAdd: (p) => {
        if (p.spec.nodeName) {
          this.cache.addPod(p);
          q.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD, undefined, p);
        } else if (unassigned(p)) {
          this.#nominator.add(p);
          q.add(p);
        }
      },
      onUpdate: (old, p) => {
        if (p.spec.nodeName) {
          this.cache.updatePod(p);
          if (!old.spec.nodeName) {
            // bound (by us, or by someone else): out of the queue, into the cluster
            q.delete(p);
            this.#nominator.delete(p);
            q.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD, undefined, p);
          } else for (const e of podSchedulingPropertiesChange(p, old)) q.moveAllToActiveOrBackoff(e, old, p);
        } else if (unassigned(p)) {
          if (this.cache.isAssumed(p)) return; // being bound: its scheduling is over
          this.#nominator.update(old, p);
          q.update(old, p);
        } else {
          q.delete(p);
          this.#nominator.delete(p);
        }
      },
      onDelete: (p) => {
        if (p.spec.nodeName) {
          this.cache.removePod(p);
          q.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE, p, undefined); // its room is free
          return;
        }
        q.delete(p);
        // a pod waiting on Permit is rejected ("removed"), as kube-scheduler does; its binding cycle gives its room back
        if (this.#waitingPods.reject(p.metadata.uid ?? '')) q.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE, p, undefined);
        const nominated = this.#nominator.nominatedNodeName(p) ?? p.status?.nominatedNodeName;
        this.#nominator.delete(p);
        // the room lower-priority pods left it on its nominated node is free
        if (nominated) q.moveAllToActiveOrBackoff(UNSCHEDULED_POD_DELETE, { ...p, status: { ...p.status, nominatedNodeName: nominated } }, undefined);
      },
    });
    this.#nodes.addEventHandler({
      onAdd: (n) => {
        this.cache.addNode(n);
        q.moveAllToActiveOrBackoff(NODE_ADD, undefined, n);
      },
      onUpdate: (old, n) => {
        this.cache.updateNode(n);
        for (const e of nodeSchedulingPropertiesChange(n, old)) q.moveAllToActiveOrBackoff(e, old, n);
      },
      onDelete: (n) => {
        this.cache.removeNode(n);
        q.moveAllToActiveOrBackoff(NODE_DELETE, n, undefined);
      },
    });
  }

  async #run(): Promise<void> {
    for (;;) {
      const q = await this.queue.pop();
      if (!q || this.#stopped) return;
      try {
        await this.scheduleOne(q);
      } catch (e) {
        this.queue.done(q.pod);
        this.stats.errors++;
        this.#log(`scheduling ${q.pod.metadata.namespace}/${q.pod.metadata.name}: ${(e as Error).message}`);
      }
    }
  }

  /** One scheduling cycle for `q`, and its binding cycle started in the background. */
  async scheduleOne(q: QueuedPodInfo): Promise<void> {
    const live = this.#pods.get(`${q.pod.metadata.namespace}/${q.pod.metadata.name}`);
    if (!live || live.spec.nodeName || live.metadata.deletionTimestamp || live.metadata.uid !== q.pod.metadata.uid) {
      this.queue.done(q.pod); // gone or bound meanwhile
      return;
    }
    const nominated = live.status?.nominatedNodeName ?? this.#nominator.nominatedNodeName(live);
    const pod: Pod = nominated ? { ...live, status: { ...live.status, nominatedNodeName: nominated } } : live;
    const fw = this.#frameworks.get(pod.spec.schedulerName ?? 'default-scheduler')!;
    const cycle = this.queue.schedulingCycle;
    this.stats.attempts++;
    this.#snapshot = this.cache.snapshot();
    const state = new CycleState();
    let host: string;
    try {
      host = schedulePod(fw, state, pod, this.#snapshot, this.#cursor).suggestedHost;
    } catch (e) {
      const nomination = e instanceof FitError ? await this.#preempt(fw, state, pod, e) : undefined;
      await this.#failed(fw, q, pod, e, cycle, nomination);
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec, nodeName: host } };
    this.cache.assume(assumed);
    this.#nominator.delete(assumed); // counted on its node now; a nomination would count it twice
    const reserve = fw.runReservePlugins(state, assumed, host);
    const permit = reserve.isSuccess() ? fw.runPermitPlugins(state, assumed, host) : reserve;
    if (!permit.isSuccess() && permit.code !== Code.Wait) {
      if (reserve.isSuccess()) fw.runUnreservePlugins(state, assumed, host);
      this.cache.forget(assumed);
      await this.#failed(fw, q, pod, refusal(pod, host, permit), cycle, 'clear');
      return;
    }
    this.stats.binding++;
    void this.#bind(fw, state, q, assumed, host, cycle).finally(() => this.stats.binding--);
  }

  /** The binding cycle (kube-scheduler's bindingCycle, in the background): wait on Permit, then bind. */
  async #bind(fw: Framework, state: CycleState, q: QueuedPodInfo, assumed: Pod, host: string, cycle: number): Promise<void> {
    const permit = await fw.waitOnPermit(assumed);
    if (!permit.isSuccess()) return this.#permitRefused(fw, state, q, assumed, host, permit, cycle);
    let status = await fw.runPreBindPlugins(state, assumed, host);
    if (status.isSuccess()) status = await fw.runBindPlugins(state, assumed, host);
    if (!status.isSuccess()) {
      fw.runUnreservePlugins(state, assumed, host);
      this.cache.forget(assumed);
      this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE, assumed, undefined); // its room is free again
      await this.#failed(fw, q, q.pod, new Error(`binding rejected: ${status.message()}`), cycle, 'clear');
      return;
    }
    this.queue.done(assumed);
    this.stats.scheduled++;
    this.#events.eventf(asPod(assumed), undefined, 'Normal', 'Scheduled', 'Binding', 'Successfully assigned %s/%s to %s', assumed.metadata.namespace, assumed.metadata.name, host);
    fw.runPostBindPlugins(state, assumed, host);
  }

  /**
   * A waiting pod rejected (or its wait ended by stop()): Unreserve, forget,
   * and, unless stopping, a failure like any other; then its room goes to the
   * other unschedulable pods, not to itself (kube-scheduler's deferred
   * AssignedPodDelete, which leaves the rejected pod where it went).
   */
  async #permitRefused(fw: Framework, state: CycleState, q: QueuedPodInfo, assumed: Pod, host: string, status: Status, cycle: number): Promise<void> {
    fw.runUnreservePlugins(state, assumed, host);
    this.cache.forget(assumed);
    if (this.#stopped) {
      this.queue.done(assumed);
      return;
    }
    await this.#failed(fw, q, q.pod, refusal(q.pod, host, status), cycle, 'clear');
    const uid = assumed.metadata.uid;
    this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE, assumed, undefined, (p) => p.metadata.uid !== uid);
  }

  /** PostFilter (preemption) for a pod that fits nowhere: the nomination it makes or clears; its message ends the FitError's. */
  async #preempt(fw: Framework, state: CycleState, pod: Pod, e: FitError): Promise<NominationChange> {
    const r = await fw.runPostFilterPlugins(state, pod, e.statuses);
    if (r.nominatedNodeName) {
      this.#nominator.add(pod, r.nominatedNodeName);
      return { node: r.nominatedNodeName };
    }
    if (r.status.reasons.length && r.status.code !== Code.Error) e.postFilterMsg = r.status.message();
    // preemption found nothing: the room held for the pod goes back (kube-scheduler clears the nomination)
    return r.nominatedNodeName === '' ? 'clear' : undefined;
  }

  /** A pod that could not be placed or bound: its condition and event, its nomination, and back to the queue. */
  async #failed(fw: Framework, q: QueuedPodInfo, pod: Pod, e: unknown, cycle: number, nomination: NominationChange): Promise<void> {
    let reason = 'Unschedulable';
    if (e instanceof FitError) q.unschedulablePlugins = new Set(e.unschedulablePlugins);
    if (e instanceof FitError || e instanceof NoNodesAvailableError) this.stats.unschedulable++;
    else {
      reason = 'SchedulerError';
      this.stats.errors++;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.#events.eventf(asPod(pod), undefined, 'Warning', 'FailedScheduling', 'Scheduling', message);
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    let clear = false;
    if (nomination === 'clear') {
      clear = !!this.#pods.get(key)?.status?.nominatedNodeName;
      this.#nominator.delete(pod);
    }
    const writer = this.#writers.get(fw.profile.schedulerName)!;
    try {
      await writer.unschedulable(pod, reason, message, typeof nomination === 'object' ? nomination.node : undefined);
      if (clear) await writer.nominate(pod, undefined);
    } catch (err) {
      this.#log(`updating the status of ${key}: ${(err as Error).message}`);
    }
    // a pod gone meanwhile is not queued again
    const live = this.#pods.get(key);
    if (live && !live.spec.nodeName && live.metadata.uid === pod.metadata.uid) this.queue.addUnschedulable({ ...q, pod: live }, cycle);
    else this.queue.done(pod);
  }
}

/** How a failure changes the pod's nomination: the node preemption nominated, or clearing the one it had. */
type NominationChange = { readonly node: string } | 'clear' | undefined;

/**
 * Why Reserve or Permit (at once, or while the pod waited) refused `pod` on
 * `host`: a rejection is a FitError over that one node, naming the plugin,
 * as kube-scheduler makes it (`0/1 nodes are available: 1 <reason>.`); an
 * Error is an error.
 */
function refusal(pod: Pod, host: string, status: Status): Error {
  if (!status.isRejected()) return new Error(status.message() || `plugin ${status.plugin ?? ''} failed`);
  return new FitError(pod, 1, new Map([[host, status]]), new Set(status.plugin ? [status.plugin] : []));
}
