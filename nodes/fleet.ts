/**
 * A fleet of simulated kubelets in one process (the idea of kwok): N
 * NodeAgents over one RestClient, ONE Node informer and ONE pod informer
 * (field selector `spec.nodeName!=`, its pods dispatched by spec.nodeName),
 * one pool of pod workers (PodSync) and one container log server, so a
 * thousand nodes cost a thousand timers and records, not a thousand watches.
 *
 *   API server ──watch nodes──▶ node informer ──annotation──▶ NodeAgent.setStopped
 *              ──watch pods───▶ pod informer ──key──▶ PodSync queue ──▶ workers ──PATCH pods/status, DELETE──▶
 *              ◀──Lease PUT, nodes/status PATCH── NodeAgent heartbeats (through one Limiter)
 *   kube-apiserver's pods/log ──▶ log server (one port) ──▶ PodSync.view ──▶ lifecycle.logLines
 *
 * Start: the informers sync; each node takes a pod CIDR (a Node of that name
 * keeps its own, the others take the lowest free: see ipam.ts); the log
 * server listens (its port goes into every Node); the Nodes register (or are
 * taken over) a few at a time; heartbeats and pod work begin. Stop: the
 * heartbeats end and the Nodes stay, as a stopped kubelet leaves them.
 */
import { randomUUID } from 'node:crypto';
import { realClock, type Clock } from '../client/clock.js';
import { EventRecorder } from '../client/events.js';
import type { Informer } from '../client/informer.js';
import { InformerFactory } from '../client/informerfactory.js';
import type { RestClient } from '../client/rest.js';
import type { Node, Pod, Taint } from '../client/types.js';
import { NodeAgent, type AgentDeps } from './agent.js';
import { PodCIDRs } from './ipam.js';
import { DEFAULT_TIMINGS, type PodTimings } from './lifecycle.js';
import { Limiter } from './limiter.js';
import { startLogServer, type LogServer } from './logs.js';
import { HEARTBEAT, type NodeSpec } from './node.js';
import { PodSync } from './pods.js';

/** What a fleet simulates; every field but client and count has a default. */
export interface FleetOptions {
  readonly client: RestClient;
  readonly count: number;
  /** Node names are the prefix and the index (default kubeling-node-). */
  readonly namePrefix?: string;
  /** Each node's capacity (default cpu 4, memory 16Gi, pods 110, ephemeral-storage 100Gi); allocatable is the same. */
  readonly capacity?: Readonly<Record<string, string>>;
  /** topology.kubernetes.io/zone, round robin (default zone-a, zone-b, zone-c; empty: no zone label). */
  readonly zones?: readonly string[];
  readonly taints?: readonly Taint[];
  /** Every node's InternalIP, where the log server listens (default 127.0.0.1). */
  readonly nodeIP?: string;
  /** The log server's port (default 0: any free one). */
  readonly port?: number;
  /** The Leases' duration (default 40 s); they are renewed every quarter of it. */
  readonly leaseDurationSeconds?: number;
  /** How often the node status is looked at (default 10 s). */
  readonly statusUpdateMs?: number;
  /** How often it is written when unchanged (default 5 min). */
  readonly statusReportMs?: number;
  readonly timings?: Partial<PodTimings>;
  /** How many pods are synced at once (default 64; see PodSyncDeps.workers). */
  readonly workers?: number;
  /** How many registration and heartbeat writes are in flight at most (default 32). */
  readonly concurrency?: number;
  /** Record the kubelet's pod events (default true). */
  readonly events?: boolean;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
}

/** The capacity of a node unless told otherwise. */
export const DEFAULT_CAPACITY: Readonly<Record<string, string>> = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
/** The zones unless told otherwise. */
export const DEFAULT_ZONES: readonly string[] = ['zone-a', 'zone-b', 'zone-c'];

/** See the file comment. */
export class NodeFleet {
  readonly #o: FleetOptions;
  readonly #clock: Clock;
  readonly #log: (line: string) => void;
  readonly #factory: InformerFactory;
  readonly #nodes: Informer<Node>;
  readonly #pods: Informer<Pod>;
  readonly #agents = new Map<string, NodeAgent>();
  readonly #recorders = new Map<NodeAgent, EventRecorder>();
  #sync: PodSync | undefined;
  #server: LogServer | undefined;
  #stopped = false;

  constructor(o: FleetOptions) {
    if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`count must be a positive integer, not ${o.count}`);
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#log = o.log ?? ((line) => console.error(line));
    this.#factory = new InformerFactory(o.client, { log: this.#log });
    this.#nodes = this.#factory.informer<Node>({ resource: { resource: 'nodes' } });
    this.#pods = this.#factory.informer<Pod>({ resource: { resource: 'pods' }, fieldSelector: 'spec.nodeName!=' });
    this.#pods.addIndexer('node', (p) => [p.spec.nodeName ?? '']);
  }

  /** The node names, in index order. */
  get names(): string[] {
    const prefix = this.#o.namePrefix ?? 'kubeling-node-';
    return Array.from({ length: this.#o.count }, (_, i) => `${prefix}${i}`);
  }

  /** The log server's port (once started). */
  get port(): number {
    return this.#server?.port ?? 0;
  }

  /** The agent of a node of this fleet. */
  agent(name: string): NodeAgent | undefined {
    return this.#agents.get(name);
  }

  /** How many pods the fleet's nodes hold records of. */
  get pods(): number {
    return this.#sync?.size ?? 0;
  }

  /** Starts the fleet (see the file comment); resolves once every Node is registered. */
  async start(): Promise<void> {
    const o = this.#o;
    this.#factory.start();
    await this.#factory.waitForSync();
    const names = this.names;
    const ours = new Set(names);
    const existing = new Map(this.#nodes.list().filter((n) => ours.has(n.metadata.name!)).map((n) => [n.metadata.name!, n]));
    const cidrs = new PodCIDRs(this.#nodes.list().flatMap((n) => (n.spec?.podCIDR ? [n.spec.podCIDR] : [])));
    const host = o.nodeIP ?? '127.0.0.1';
    this.#sync = new PodSync({
      client: o.client,
      clock: this.#clock,
      informer: this.#pods,
      timings: { ...DEFAULT_TIMINGS, ...o.timings },
      agent: (name) => this.#agents.get(name),
      recorder: (a) => this.#recorder(a),
      log: this.#log,
      ...(o.workers ? { workers: o.workers } : {}),
    });
    const sync = this.#sync;
    this.#server = await startLogServer((ns, name, uid) => sync.view(ns, name, uid), { host, port: o.port ?? 0, clock: this.#clock });
    const limiter = new Limiter(o.concurrency ?? 32);
    const deps: AgentDeps = {
      client: o.client,
      clock: this.#clock,
      log: this.#log,
      cached: (name) => this.#nodes.get(name),
      limiter,
      leaseDurationSeconds: o.leaseDurationSeconds ?? 40,
      statusUpdateMs: o.statusUpdateMs ?? 10_000,
      statusReportMs: o.statusReportMs ?? 300_000,
    };
    const zones = o.zones ?? DEFAULT_ZONES;
    const bootID = randomUUID();
    names.forEach((name, i) => {
      const spec: NodeSpec = {
        name,
        capacity: { ...DEFAULT_CAPACITY, ...o.capacity },
        ...(zones.length ? { zone: zones[i % zones.length]! } : {}),
        taints: o.taints ?? [],
        podCIDR: existing.get(name)?.spec?.podCIDR ?? cidrs.take(),
        ip: host,
        port: this.#server!.port,
        bootID,
      };
      this.#agents.set(name, new NodeAgent(spec, i / names.length, deps));
    });
    this.#nodes.addEventHandler({
      onAdd: (n) => this.#nodeSeen(n),
      onUpdate: (_old, n) => this.#nodeSeen(n),
      onDelete: (n) => this.#agents.get(n.metadata.name!)?.markGone(),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#podSeen(p),
      onUpdate: (_old, p) => this.#podSeen(p),
      onDelete: (p) => sync.forget(`${p.metadata.namespace}/${p.metadata.name}`, p),
    });
    sync.start();
    await Promise.all(names.map((name) => limiter.run(() => this.#register(this.#agents.get(name)!, existing.get(name)))));
  }

  /** Registers one node, retrying until it works or the fleet stops, then starts its heartbeats and pods. */
  async #register(agent: NodeAgent, existing: Node | undefined): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        await agent.register(existing);
        break;
      } catch (e) {
        if (attempt === 0) this.#log(`node ${agent.name}: cannot register: ${(e as Error).message}; retrying`);
        existing = undefined;
        await new Promise((res) => this.#clock.setTimeout(() => res(undefined), Math.min(5000, 500 * 2 ** attempt)));
      }
    }
    if (this.#stopped) return;
    agent.setStopped(this.#nodes.get(agent.name)?.metadata.annotations?.[HEARTBEAT] === 'stopped');
    agent.startHeartbeats();
    this.#sync?.reserve(agent, this.#pods.byIndex('node', agent.name));
    this.#queuePods(agent.name);
  }

  #nodeSeen(n: Node): void {
    const agent = this.#agents.get(n.metadata.name!);
    if (!agent || agent.uid === undefined) return;
    const stop = n.metadata.annotations?.[HEARTBEAT] === 'stopped';
    if (!agent.setStopped(stop)) return;
    this.#log(`node ${agent.name}: ${stop ? `heartbeat stopped (${HEARTBEAT}: stopped): no Lease renewals, node status or pod updates` : 'heartbeat resumed'}`);
    if (!stop) this.#queuePods(agent.name);
  }

  #podSeen(p: Pod): void {
    if (p.spec.nodeName && this.#agents.has(p.spec.nodeName)) this.#sync?.enqueue(`${p.metadata.namespace}/${p.metadata.name}`);
  }

  #queuePods(node: string): void {
    for (const p of this.#pods.byIndex('node', node)) this.#sync?.enqueue(`${p.metadata.namespace}/${p.metadata.name}`);
  }

  #recorder(agent: NodeAgent): EventRecorder | undefined {
    if (this.#o.events === false) return undefined;
    let r = this.#recorders.get(agent);
    if (!r) {
      r = new EventRecorder(this.#o.client, { component: 'kubelet', host: agent.name, now: () => this.#clock.now(), log: this.#log });
      this.#recorders.set(agent, r);
    }
    return r;
  }

  /** Stops heartbeats, pod work, informers and the log server; the Nodes stay. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all([...this.#agents.values()].map((a) => a.close()));
    await this.#sync?.stop();
    this.#factory.stop();
    await this.#server?.close();
    await Promise.all([...this.#recorders.values()].map((r) => r.flush()));
  }
}
