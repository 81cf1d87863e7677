/**
 * The pod work of every simulated node in the process, level-triggered as
 * the kubelet's pod workers are: one work queue of pod keys, fed by the
 * fleet's one pod informer and by timers, and a few workers that each take a
 * key and make the API agree with the pod's simulated life (lifecycle.ts):
 *
 * 1. The pod's node must be one of ours and up (`NodeAgent.active`); a pod
 *    the node has no record of is adopted: its startTime (if it has one) is
 *    where its timeline starts, its IP is kept if it has one in our CIDR.
 *    A pod already Succeeded or Failed is left alone.
 * 2. Its status now is computed; when it differs from the API's (and the
 *    informer is not behind our own last write), it is written with a
 *    strategic merge patch of pods/status carrying metadata.uid (so it never
 *    lands on a namesake), as the kubelet's status manager does. Events as
 *    the kubelet records them: Pulled, Created, Started; Killing.
 * 3. A deleted pod whose containers have all stopped (its terminal status
 *    written) is deleted with gracePeriodSeconds=0 and a uid precondition:
 *    the kubelet's final delete.
 * 4. The key is queued again for the next instant its status changes.
 *
 * Pod IPs come from the node's PodIPs and are freed when the pod's
 * containers have all stopped (the sandbox is gone) or it is deleted.
 */
import type { Clock } from '../client/clock.js';
import { isConflict, isNotFound } from '../client/errors.js';
import type { EventRecorder } from '../client/events.js';
import type { Informer } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import type { Pod } from '../client/types.js';
import { WorkQueue } from '../client/workqueue.js';
import type { NodeAgent } from './agent.js';
import { nextChange, planPod, podStatusAt, type KubeletPodStatus, type PodPlan, type PodTimings } from './lifecycle.js';

/** What the pod workers need. */
export interface PodSyncDeps {
  readonly client: RestClient;
  readonly clock: Clock;
  readonly informer: Informer<Pod>;
  readonly timings: PodTimings;
  /** Our agent of a node name, if the node is ours. */
  readonly agent: (node: string) => NodeAgent | undefined;
  /** The node's event recorder (undefined: no events). */
  readonly recorder: (agent: NodeAgent) => EventRecorder | undefined;
  readonly log: (line: string) => void;
  /**
   * How many pods are synced at once (default 64). Each sync waits on a
   * status write; with too few, a busy API server starves the status
   * writes behind the fleet's other writes (each node's events), as
   * `npm run bench:cluster` showed with 16.
   */
  readonly workers?: number;
}

/** What a node knows of one pod (keyed by namespace/name; a namesake with another uid replaces it). */
interface PodRecord {
  readonly uid: string;
  readonly agent: NodeAgent;
  readonly startedAt: number;
  deletionSeenAt?: number;
  /** The pod's address, shown in its status (kept after the address is freed). */
  ip?: string;
  noIP?: boolean;
  /** The address is held in the node's PodIPs. */
  holding: boolean;
  /** The resourceVersion of our last status write: an informer copy older than it is not yet ours. */
  sentRV?: number;
  /** The API has the pod's terminal status. */
  terminal: boolean;
  /** The final delete has been sent. */
  deleting: boolean;
  /** Containers whose start the events have told. */
  readonly announced: Set<string>;
}

/** A pod as the log server sees it. */
export interface PodView {
  readonly pod: Pod;
  readonly plan: PodPlan;
  readonly status: KubeletPodStatus;
  readonly agent: NodeAgent;
  readonly podIP?: string;
}

/** How many deleted pods are remembered for their logs. */
const GONE_KEPT = 1000;

/** The order the kubelet keeps pod conditions in. */
const CONDITION_ORDER = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type }));

/** See the file comment. */
export class PodSync {
  readonly #d: PodSyncDeps;
  readonly #queue: WorkQueue<string>;
  readonly #records = new Map<string, PodRecord>();
  /** The last deleted pods, by uid, with their records: a log follow's last lines come from them. */
  readonly #gone = new Map<string, { pod: Pod; rec: PodRecord }>();
  #workers: Promise<void>[] = [];

  constructor(deps: PodSyncDeps) {
    this.#d = deps;
    this.#queue = new WorkQueue<string>({ clock: deps.clock });
  }

  /** Starts the workers. */
  start(): void {
    const n = this.#d.workers ?? 64;
    for (let i = 0; i < n; i++) this.#workers.push(this.#work());
  }

  /** Stops taking work; resolves when the workers have finished what they were doing. */
  async stop(): Promise<void> {
    this.#queue.shutDown();
    await Promise.all(this.#workers);
  }

  /** Queues a pod's key. */
  enqueue(key: string): void {
    this.#queue.add(key);
  }

  /** A deleted pod (its last state): its address is freed and its record dropped. */
  forget(key: string, pod?: Pod): void {
    const rec = this.#records.get(key);
    if (!rec) return;
    this.#drop(key, rec);
    if (pod?.metadata.uid !== rec.uid) return;
    this.#gone.set(rec.uid, { pod, rec });
    if (this.#gone.size > GONE_KEPT) this.#gone.delete(this.#gone.keys().next().value!);
  }

  /**
   * Holds the addresses the node's running pods have (a restarted node),
   * before any new pod takes one.
   */
  reserve(agent: NodeAgent, pods: readonly Pod[]): void {
    for (const p of pods) {
      const phase = p.status?.phase;
      const ip = p.status?.podIP;
      if (ip && !p.spec.hostNetwork && phase !== 'Succeeded' && phase !== 'Failed' && p.metadata.uid) agent.ips.allocate(p.metadata.uid, ip);
    }
  }

  /**
   * A pod this process runs, with its plan and status now (for the log
   * server); with `uid`, that pod only, even if it was deleted lately.
   */
  view(namespace: string, name: string, uid?: string): PodView | undefined {
    const key = `${namespace}/${name}`;
    let pod = this.#d.informer.get(key);
    let rec = this.#records.get(key);
    if (uid !== undefined && (pod?.metadata.uid !== uid || rec?.uid !== uid)) ({ pod, rec } = this.#gone.get(uid) ?? {});
    if (!pod || !rec || rec.uid !== pod.metadata.uid) return undefined;
    const plan = this.#plan(pod, rec);
    const podIP = rec.ip;
    return { pod, plan, agent: rec.agent, status: podStatusAt(pod, plan, this.#d.clock.now(), { hostIP: rec.agent.spec.ip, ...(podIP ? { podIP } : {}) }), ...(podIP ? { podIP } : {}) };
  }

  /** How many pods the nodes hold records of. */
  get size(): number {
    return this.#records.size;
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        await this.#sync(key);
        this.#queue.forget(key);
      } catch (e) {
        if (!this.#queue.shuttingDown) {
          if (this.#queue.numRequeues(key) === 0) this.#d.log(`pod ${key}: ${(e as Error).message}; retrying`);
          this.#queue.addRateLimited(key);
        }
      } finally {
        this.#queue.done(key);
      }
    }
  }

  #plan(pod: Pod, rec: PodRecord): PodPlan {
    return planPod(pod, { startedAt: rec.startedAt, ...(rec.deletionSeenAt !== undefined ? { deletionSeenAt: rec.deletionSeenAt } : {}), ...(rec.noIP ? { noIP: true } : {}) }, this.#d.timings);
  }

  #drop(key: string, rec: PodRecord): void {
    if (rec.holding) rec.agent.ips.release(rec.uid);
    this.#records.delete(key);
  }

  async #sync(key: string): Promise<void> {
    const { clock, informer } = this.#d;
    const pod = informer.get(key);
    let rec = this.#records.get(key);
    if (rec && rec.uid !== pod?.metadata.uid) {
      this.#drop(key, rec);
      rec = undefined;
    }
    if (!pod?.spec.nodeName) return;
    const agent = this.#d.agent(pod.spec.nodeName);
    if (!agent?.active) return; // not ours, or its kubelet is down: resumed nodes queue their pods again
    const now = clock.now();
    if (!rec) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        if (pod.metadata.deletionTimestamp) await this.#finalDelete(pod);
        return;
      }
      rec = this.#adopt(key, pod, agent, now);
    }
    if (pod.metadata.deletionTimestamp && rec.deletionSeenAt === undefined) {
      this.#killing(pod, rec, now);
      rec.deletionSeenAt = now;
    }
    if (rec.noIP) this.#allocate(pod, rec);
    const plan = this.#plan(pod, rec);
    const desired = podStatusAt(pod, plan, now, { hostIP: agent.spec.ip, ...(rec.ip ? { podIP: rec.ip } : {}) });
    if (now >= plan.end && rec.holding) {
      agent.ips.release(rec.uid); // the sandbox is gone: its address may go to another pod
      rec.holding = false;
    }
    const terminal = desired.phase === 'Succeeded' || desired.phase === 'Failed';
    const behind = rec.sentRV !== undefined && Number(pod.metadata.resourceVersion) < rec.sentRV;
    const matches = statusMatches(pod.status, desired);
    if (matches && terminal) rec.terminal = true;
    if (!behind && !matches) {
      const ref = { resource: 'pods', namespace: pod.metadata.namespace!, name: pod.metadata.name!, subresource: 'status' };
      const body = { metadata: { uid: rec.uid }, status: { ...desired, '$setElementOrder/conditions': CONDITION_ORDER.filter((c) => c.type !== 'PodScheduled' || pod.status?.conditions?.some((x) => x.type === c.type)) } };
      const written = await this.#d.client.patch<Pod>(ref, 'strategic', body);
      rec.sentRV = Number(written.metadata.resourceVersion);
      if (terminal) rec.terminal = true;
      this.#announce(pod, rec, desired);
    }
    if (pod.metadata.deletionTimestamp && rec.terminal && !rec.deleting) {
      rec.deleting = true;
      await this.#finalDelete(pod).catch((e: unknown) => {
        rec.deleting = false; // tried again with the key
        throw e;
      });
    }
    const next = rec.noIP ? now + 5000 : nextChange(plan, now);
    if (next !== undefined) this.#queue.addAfter(key, next - now + 1);
  }

  #adopt(key: string, pod: Pod, agent: NodeAgent, now: number): PodRecord {
    const started = Date.parse(pod.status?.startTime ?? '');
    // startTime is whole seconds: a new pod's starts at the next second, so that a restarted node recomputes the same timeline
    const rec: PodRecord = { uid: pod.metadata.uid ?? '', agent, startedAt: Number.isNaN(started) ? Math.ceil(now / 1000) * 1000 : started, holding: false, terminal: false, deleting: false, announced: new Set() };
    // containers already running (a restarted node) were announced by the node before
    const statuses = [...((pod.status?.initContainerStatuses as { name: string; containerID?: string }[] | undefined) ?? []), ...((pod.status?.containerStatuses as { name: string; containerID?: string }[] | undefined) ?? [])];
    for (const s of statuses) if (s.containerID) rec.announced.add(s.name);
    this.#records.set(key, rec);
    this.#allocate(pod, rec);
    return rec;
  }

  /** Gives the pod its address: the node's for a host-network pod, else one of the node's pod IPs. */
  #allocate(pod: Pod, rec: PodRecord): void {
    if (pod.spec.hostNetwork) {
      rec.ip = rec.agent.spec.ip;
      rec.noIP = false;
      return;
    }
    const ip = rec.agent.ips.allocate(rec.uid, pod.status?.podIP);
    if (ip === undefined) {
      if (!rec.noIP) this.#event(pod, rec, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set: ${rec.agent.ips.cidr}`);
      rec.noIP = true;
      return;
    }
    rec.ip = ip;
    rec.holding = true;
    rec.noIP = false;
  }

  async #finalDelete(pod: Pod): Promise<void> {
    try {
      await this.#d.client.delete({ resource: 'pods', namespace: pod.metadata.namespace!, name: pod.metadata.name! }, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e; // gone already, or a namesake
    }
  }

  #event(pod: Pod, rec: PodRecord, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#d.recorder(rec.agent)?.eventf({ ...pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message);
  }

  /** The events of containers that started since the last write. */
  #announce(pod: Pod, rec: PodRecord, status: KubeletPodStatus): void {
    for (const s of [...(status.initContainerStatuses ?? []), ...status.containerStatuses]) {
      if (!s.containerID || rec.announced.has(s.name)) continue;
      rec.announced.add(s.name);
      const spec = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === s.name);
      this.#event(pod, rec, 'Normal', 'Pulled', `Container image "${spec?.image ?? ''}" already present on machine`);
      this.#event(pod, rec, 'Normal', 'Created', `Created container: ${s.name}`);
      this.#event(pod, rec, 'Normal', 'Started', `Started container: ${s.name}`);
    }
  }

  /** Killing events for the containers running when the deletion is seen (called before the record knows of it). */
  #killing(pod: Pod, rec: PodRecord, now: number): void {
    const before = podStatusAt(pod, this.#plan(pod, rec), now, { hostIP: rec.agent.spec.ip });
    for (const s of [...(before.initContainerStatuses ?? []), ...before.containerStatuses]) {
      if (s.state.running) this.#event(pod, rec, 'Normal', 'Killing', `Stopping container ${s.name}`);
    }
  }
}

/** A value with null, undefined, '' and empty objects and lists dropped, keys sorted: what two statuses are compared by. */
function normal(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (Array.isArray(v)) return v.length ? v.map((x) => normal(x) ?? null) : undefined;
  if (typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const n = normal((v as Record<string, unknown>)[k]);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Whether the API's status already says what `desired` says (conditions by type; other conditions are others'). */
export function statusMatches(current: Pod['status'], desired: KubeletPodStatus): boolean {
  const cur = (current ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(desired)) {
    if (k === 'conditions') {
      const have = (cur.conditions as { type: string }[] | undefined) ?? [];
      for (const c of desired.conditions) {
        if (JSON.stringify(normal(have.find((h) => h.type === c.type))) !== JSON.stringify(normal(c))) return false;
      }
    } else if (JSON.stringify(normal(cur[k])) !== JSON.stringify(normal(v))) {
      return false;
    }
  }
  return true;
}
