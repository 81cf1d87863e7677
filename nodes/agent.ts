/**
 * One simulated kubelet's node-level work: registering its Node (or taking
 * over one of the same name, as a restarted kubelet does), and its two
 * heartbeats, as the kubelet has them:
 *
 * - the Lease kube-node-lease/<node>: made at start (or, there already,
 *   read and renewed), then renewed every leaseDuration/4 (10 s of 40 s) by
 *   an update of the last copy; a conflict or a missing Lease starts over;
 * - the Node's status: looked at every nodeStatusUpdateFrequency (10 s),
 *   written (PATCH of nodes/status) when it differs from what the kubelet
 *   would say (another writer marked it Unknown, say) or once every
 *   nodeStatusReportFrequency (5 min), with the conditions' lastHeartbeatTime.
 *
 * The first beat of each is spread over its period by the node's index, so
 * a fleet's nodes do not all renew in one burst. While the Node carries the
 * annotation `kubeling.dev/heartbeat: stopped` the agent is a dead kubelet:
 * no renewals, no status, no pod work (the fleet asks `active`). Heartbeat
 * writes of the whole fleet go through one Limiter.
 */
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import type { RestClient } from '../client/rest.js';
import type { Lease, Node } from '../client/types.js';
import { PodIPs } from './ipam.js';
import type { Limiter } from './limiter.js';
import { LEASE_NAMESPACE, conditionsCurrent, leaseObject, nodeLabels, nodeObject, nodeStatus, type NodeSpec } from './node.js';

/** What agents share. */
export interface AgentDeps {
  readonly client: RestClient;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** The Node as the fleet's informer last saw it. */
  readonly cached: (name: string) => Node | undefined;
  /** Bounds the heartbeat writes in flight. */
  readonly limiter: Limiter;
  readonly leaseDurationSeconds: number;
  readonly statusUpdateMs: number;
  readonly statusReportMs: number;
}

/** The longest wait before retrying a failed heartbeat (the kubelet's lease backoff caps at 7 s). */
const MAX_RETRY_MS = 7000;

/** One simulated node; see the file comment. */
export class NodeAgent {
  readonly ips: PodIPs;
  /** The Node's uid, once registered. */
  uid: string | undefined;
  #lease: Lease | undefined;
  #lastReport = -Infinity;
  #stopped = false;
  #gone = false;
  #closed = false;
  readonly #timers = new Map<'lease' | 'status', TimerHandle>();
  /** The heartbeat writes under way (close() waits for them). */
  readonly #inflight = new Set<Promise<void>>();
  readonly #failures = { lease: 0, status: 0 };

  constructor(
    readonly spec: NodeSpec,
    /** Where the first beats fall in their periods, in [0, 1). */
    readonly phase: number,
    readonly deps: AgentDeps,
  ) {
    this.ips = new PodIPs(spec.podCIDR);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Whether the kubelet is up: registered, not stopped by annotation, its Node not deleted, the agent not closed. */
  get active(): boolean {
    return this.uid !== undefined && !this.#stopped && !this.#gone && !this.#closed;
  }

  /** Whether its heartbeats are stopped by the annotation. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Registers the Node; `existing` (its current object, if any) is taken over. */
  async register(existing?: Node): Promise<void> {
    const { client, clock } = this.deps;
    const now = clock.now();
    if (!existing) {
      try {
        const n = await client.create<Node>({ resource: 'nodes' }, nodeObject(this.spec, now));
        this.uid = n.metadata.uid;
        this.#lastReport = now;
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        existing = await client.get<Node>({ resource: 'nodes', name: this.name });
      }
    }
    // a restarted kubelet: its default labels brought up to date, a pod CIDR if the Node has none, and its status
    const spec = existing.spec?.podCIDR ? {} : { spec: { podCIDR: this.spec.podCIDR, podCIDRs: [this.spec.podCIDR] } };
    const n = await client.patch<Node>({ resource: 'nodes', name: this.name }, 'strategic', { metadata: { labels: nodeLabels(this.spec) }, ...spec });
    this.uid = n.metadata.uid;
    await this.#writeStatus(n);
  }

  /** Starts both heartbeats: a lease at once (the kubelet makes it at start), then beats spread over their periods. */
  startHeartbeats(): void {
    this.#schedule('lease', 0);
    this.#schedule('status', this.deps.statusUpdateMs * (0.5 + this.phase));
  }

  /** Applies the heartbeat annotation; on a resume, beats at once. Returns whether the state changed. */
  setStopped(stopped: boolean): boolean {
    if (stopped === this.#stopped || this.#closed) return false;
    this.#stopped = stopped;
    if (!stopped && this.uid !== undefined && !this.#gone) {
      this.#schedule('lease', 0);
      this.#schedule('status', 0);
    }
    return true;
  }

  /** The Node was deleted: the agent stops (a kubelet whose Node is gone cannot post status). */
  markGone(): void {
    this.#gone = true;
    this.#cancel();
  }

  /** Stops the heartbeats for good; resolves once the writes under way have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancel();
    await Promise.all(this.#inflight);
  }

  #cancel(): void {
    for (const h of this.#timers.values()) this.deps.clock.clearTimeout(h);
    this.#timers.clear();
  }

  #schedule(kind: 'lease' | 'status', ms: number): void {
    const { clock } = this.deps;
    const old = this.#timers.get(kind);
    if (old !== undefined) clock.clearTimeout(old);
    this.#timers.set(kind, clock.setTimeout(() => void this.#beat(kind), Math.max(0, ms)));
  }

  async #beat(kind: 'lease' | 'status'): Promise<void> {
    this.#timers.delete(kind);
    if (!this.active) return;
    const renewMs = (this.deps.leaseDurationSeconds * 1000) / 4;
    const period = kind === 'lease' ? renewMs : this.deps.statusUpdateMs;
    const first = kind === 'lease' && this.#lease === undefined;
    const started = this.deps.clock.now();
    try {
      // a beat waiting for its turn may find the node stopped by then
      const write = this.deps.limiter.run(() => (!this.active ? Promise.resolve() : kind === 'lease' ? this.#renew() : this.#syncStatus()));
      this.#inflight.add(write);
      await write.finally(() => this.#inflight.delete(write));
      if (this.#failures[kind] > 0) this.deps.log(`node ${this.name}: ${kind} heartbeat works again`);
      this.#failures[kind] = 0;
    } catch (e) {
      if (this.#closed) return;
      if (isNotFound(e) && kind === 'status') {
        this.deps.log(`node ${this.name}: the Node is gone; its agent stops`);
        this.markGone();
        return;
      }
      if (this.#failures[kind]++ === 0) this.deps.log(`node ${this.name}: ${kind} heartbeat failed: ${(e as Error).message}`);
      if (this.active) this.#schedule(kind, Math.min(period, MAX_RETRY_MS, 200 * 2 ** this.#failures[kind]));
      return;
    }
    if (!this.active || this.#timers.has(kind)) return;
    // the first renewal after the lease is made falls at a point of the period given by the node's phase: a fleet's renewals spread over it
    const next = first ? renewMs * this.phase : period - (this.deps.clock.now() - started);
    this.#schedule(kind, next);
  }

  /** Renews the Lease (see the file comment). */
  async #renew(): Promise<void> {
    const { client, clock, leaseDurationSeconds } = this.deps;
    const ref = { group: 'coordination.k8s.io', resource: 'leases', namespace: LEASE_NAMESPACE, name: this.name };
    if (this.#lease) {
      try {
        this.#lease = await client.update<Lease>(ref, leaseObject(this.name, this.uid!, leaseDurationSeconds, clock.now(), this.#lease));
        return;
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
        this.#lease = undefined;
      }
    }
    // no copy (a start, or one gone stale): make the Lease, or renew the one there is
    try {
      this.#lease = await client.create<Lease>({ group: ref.group, resource: ref.resource, namespace: ref.namespace }, leaseObject(this.name, this.uid!, leaseDurationSeconds, clock.now()));
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const current = await client.get<Lease>(ref);
    this.#lease = await client.update<Lease>(ref, leaseObject(this.name, this.uid!, leaseDurationSeconds, clock.now(), current));
  }

  /** Writes the status if it differs from the kubelet's or the report period has passed. */
  async #syncStatus(): Promise<void> {
    const current = this.deps.cached(this.name);
    const now = this.deps.clock.now();
    const port = (current?.status?.daemonEndpoints as { kubeletEndpoint?: { Port?: number } } | undefined)?.kubeletEndpoint?.Port;
    const same = current !== undefined && conditionsCurrent(current.status?.conditions) && port === this.spec.port;
    if (same && now - this.#lastReport < this.deps.statusReportMs) return;
    await this.#writeStatus(current);
  }

  async #writeStatus(current: Node | undefined): Promise<void> {
    const now = this.deps.clock.now();
    const status = nodeStatus(this.spec, now, current?.status?.conditions ?? []);
    await this.deps.client.patch({ resource: 'nodes', name: this.name, subresource: 'status' }, 'strategic', { status });
    this.#lastReport = now;
  }
}
