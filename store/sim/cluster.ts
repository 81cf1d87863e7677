/**
 * The deterministic simulator: N members in one process on a virtual clock,
 * a network that drops, delays, reorders and duplicates messages and can be
 * partitioned (also one way), crashes and restarts, membership changes and
 * leader transfers, and clients whose every call and response is recorded.
 * Everything random comes from one seed, so a run replays exactly.
 */
import { Rand } from '../raft/rand.js';
import { bootstrapState } from '../raft/bootstrap.js';
import { MessageType, type Message, type NodeId } from '../raft/types.js';
import { EventHeap } from './heap.js';
import { RaftInvariants } from './invariants.js';
import type { Operation } from './linearizability.js';
import { SimNode, memoryDisk, type Disk, type FaultPoint, type NodeConfig, type NodeHooks } from './node.js';

/** The network's behaviour; changed by faults as the run goes on. */
export interface NetworkConditions {
  drop: number;
  duplicate: number;
  /** Delivery delay in ms, uniform in [minDelay, maxDelay]; different delays reorder messages. */
  minDelay: number;
  maxDelay: number;
}

type Event =
  | { time: number; seq: number; kind: 'tick'; node: NodeId }
  | { time: number; seq: number; kind: 'deliver'; msg: Message }
  | { time: number; seq: number; kind: 'snapStatus'; leader: NodeId; to: NodeId; ok: boolean }
  | { time: number; seq: number; kind: 'request'; node: NodeId; opIndex: number }
  | { time: number; seq: number; kind: 'response'; opIndex: number; value?: string | null; failed?: boolean }
  | { time: number; seq: number; kind: 'clientNext'; client: number }
  | { time: number; seq: number; kind: 'timeout'; opIndex: number }
  | { time: number; seq: number; kind: 'action'; run: () => void };

type EventBody = Event extends infer E ? (E extends Event ? Omit<E, 'time' | 'seq'> : never) : never;

/** A client operation as recorded, with where it was sent. */
interface ClientOp extends Operation {
  readonly id: string;
  done: boolean;
  failed: boolean;
}

/** Options of one simulated cluster. */
export interface ClusterOptions {
  readonly seed: number;
  readonly members: number;
  readonly tickMs: number;
  readonly node: NodeConfig;
  readonly net: NetworkConditions;
  readonly clients: number;
  readonly keys: number;
  /** A client gives up on a request after this long: its outcome is then unknown. */
  readonly clientTimeoutMs: number;
  readonly trace: boolean;
  /** Where members keep their durable state (default: memory). */
  readonly disk?: Disk;
}

/** A running simulation. The scenario (store/sim/run.ts) schedules faults on it. */
export class Cluster {
  readonly rand: Rand;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly invariants = new RaftInvariants();
  readonly trace: string[] = [];
  readonly ops: ClientOp[] = [];
  private opIndex = new Map<string, number>();
  net: NetworkConditions;
  now = 0;
  /** Directed links that deliver nothing: "a>b" blocks a to b. */
  readonly blocked = new Set<string>();
  clientsActive = true;
  stats = { messages: 0, dropped: 0, elections: 0, crashes: 0, snapshotsSent: 0 };
  /** Crashes armed for a member's next fault point. */
  readonly armed = new Map<NodeId, FaultPoint>();
  private events = new EventHeap<Event>();
  private seq = 0;
  private nextNodeSeed = 0;
  private onLeader: ((id: NodeId, term: number) => void) | undefined;
  /** Called at every fault point of every member: a scripted scenario acts here (partition, crash...). */
  onFaultPoint: ((node: SimNode, point: FaultPoint) => void) | undefined;
  private onResponse: ((op: ClientOp) => void) | undefined;
  private fatal: string | undefined;

  private readonly disk: Disk;

  constructor(readonly opts: ClusterOptions) {
    this.rand = new Rand(opts.seed);
    this.disk = opts.disk ?? memoryDisk();
    this.net = { ...opts.net };
    const ids = Array.from({ length: opts.members }, (_, i) => i + 1);
    const boot = bootstrapState(ids);
    for (const id of ids) {
      const n = this.addNode(id);
      n.storage.save({ entries: boot.entries, hardState: boot.hardState });
      n.start();
    }
    for (let c = 0; c < opts.clients; c++) this.schedule(this.rand.int(20), { kind: 'clientNext', client: c });
  }

  /** A line in the trace (kept only when tracing). */
  log(line: string): void {
    if (this.opts.trace) this.trace.push(`[${String(this.now).padStart(6)}ms] ${line}`);
  }

  schedule(delay: number, e: EventBody): void {
    this.events.push({ ...e, time: this.now + Math.max(0, delay), seq: this.seq++ } as Event);
  }

  /** Runs a callback at a later time. */
  at(delay: number, run: () => void): void {
    this.schedule(delay, { kind: 'action', run });
  }

  private hooks(): NodeHooks {
    return {
      send: (m) => this.send(m),
      respond: (opId, r) => {
        const i = this.opIndex.get(opId);
        if (i !== undefined) this.schedule(1 + this.rand.int(3), { kind: 'response', opIndex: i, ...r });
      },
      becameLeader: (node, term) => {
        this.stats.elections++;
        this.log(`n${node.id} is leader of term ${term}`);
        const v = node.logView();
        if (v) this.invariants.onLeader(term, v);
        this.onLeader?.(node.id, term);
      },
      applied: (node, e) => this.invariants.onApply(node.id, e),
      confChanged: (node, cc) => {
        if ((cc.type === 'addNode' || cc.type === 'addLearner') && !this.nodes.has(cc.nodeId)) {
          // the new member starts empty and learns everything from the leader
          this.log(`n${cc.nodeId} starts as a new, empty member`);
          const n = this.addNode(cc.nodeId);
          n.start();
        }
        const gone = cc.type === 'removeNode' ? this.nodes.get(cc.nodeId) : undefined;
        if (gone && !gone.removed) {
          // the removal is committed: the operator stops the member, which
          // may never learn of it itself (it may be down or cut off)
          this.log(`n${gone.id} was removed from the cluster and stops`);
          gone.removed = true;
          gone.crash();
        }
      },
      crashAt: (node, point) => {
        this.onFaultPoint?.(node, point);
        if (this.armed.get(node.id) !== point) return false;
        this.armed.delete(node.id);
        this.log(`n${node.id} crashes at fault point ${point}`);
        this.stats.crashes++;
        return true;
      },
      log: (line) => this.log(line),
    };
  }

  private addNode(id: NodeId): SimNode {
    const n = new SimNode(id, this.opts.node, this.hooks(), this.opts.seed + this.nextNodeSeed++, this.disk);
    this.nodes.set(id, n);
    // members tick out of phase, as real clocks do
    this.schedule(1 + this.rand.int(this.opts.tickMs), { kind: 'tick', node: id });
    return n;
  }

  // ---- network ----

  private send(m: Message): void {
    this.stats.messages++;
    if (this.opts.trace) this.log(`n${m.from} -> n${m.to} ${describe(m)}`);
    const to = this.nodes.get(m.to);
    const linkDown = this.blocked.has(`${m.from}>${m.to}`);
    if (!to || linkDown || this.rand.chance(this.net.drop)) {
      this.stats.dropped++;
      if (m.type === MessageType.Snap) this.schedule(this.delay(), { kind: 'snapStatus', leader: m.from, to: m.to, ok: false });
      if (linkDown) this.at(this.delay(), () => this.nodes.get(m.from)?.reportUnreachable(m.to));
      return;
    }
    this.schedule(this.delay(), { kind: 'deliver', msg: m });
    if (m.type === MessageType.Snap) {
      this.stats.snapshotsSent++;
      this.schedule(this.delay() + this.delay(), { kind: 'snapStatus', leader: m.from, to: m.to, ok: true });
    } else if (this.rand.chance(this.net.duplicate)) {
      this.schedule(this.delay(), { kind: 'deliver', msg: m });
    }
  }

  private delay(): number {
    return this.net.minDelay + this.rand.int(this.net.maxDelay - this.net.minDelay + 1);
  }

  // ---- clients ----

  private clientNext(client: number): void {
    if (!this.clientsActive) return;
    const members = [...this.nodes.values()].filter((n) => !n.removed);
    const target = this.rand.pick(members);
    const key = `k${this.rand.int(this.opts.keys)}`;
    const isWrite = this.rand.chance(0.5);
    const id = `c${client}.${this.ops.length}`;
    this.issue(client, target.id, id, key, isWrite);
  }

  /** Issues one client request to a member; returns the op's index in the history. */
  issue(client: number, node: NodeId, id: string, key: string, isWrite: boolean): number {
    const op: ClientOp = {
      id,
      clientId: client,
      kind: isWrite ? 'put' : 'get',
      key,
      ...(isWrite ? { value: id } : {}),
      call: this.now,
      return: null,
      done: false,
      failed: false,
    };
    this.ops.push(op);
    const i = this.ops.length - 1;
    this.opIndex.set(id, i);
    this.log(`client ${client} ${op.kind} ${key}${isWrite ? `=${id}` : ''} at n${node} (${id})`);
    this.schedule(1 + this.rand.int(3), { kind: 'request', node, opIndex: i });
    this.schedule(this.opts.clientTimeoutMs, { kind: 'timeout', opIndex: i });
    return i;
  }

  /** Sets a callback for every completed (or failed) client op. */
  watchResponses(f: (op: ClientOp) => void): void {
    this.onResponse = f;
  }

  /** Sets a callback for every new leader. */
  watchLeaders(f: (id: NodeId, term: number) => void): void {
    this.onLeader = f;
  }

  private finishOp(i: number, r: { value?: string | null; failed?: boolean } | undefined): void {
    const op = this.ops[i];
    if (!op || op.done) return;
    op.done = true;
    if (r === undefined) {
      this.log(`client ${op.clientId} gave up on ${op.id}: outcome unknown`);
    } else if (r.failed) {
      op.failed = true;
      this.log(`client ${op.clientId} ${op.id} failed (no effect)`);
    } else {
      op.return = this.now;
      if (op.kind === 'get') op.output = { value: r.value ?? null };
      this.log(`client ${op.clientId} ${op.id} ok${op.kind === 'get' ? ` = ${String(r.value)}` : ''}`);
    }
    this.onResponse?.(op);
    if (op.id.startsWith('c')) this.schedule(this.rand.int(10), { kind: 'clientNext', client: op.clientId });
  }

  /** The recorded history for the linearizability checker (failed ops had no effect and are left out). */
  history(): Operation[] {
    return this.ops
      .filter((o) => !o.failed)
      .map((o) => ({
        clientId: o.clientId,
        kind: o.kind,
        key: o.key,
        ...(o.value !== undefined ? { value: o.value } : {}),
        ...(o.output ? { output: o.output } : {}),
        call: o.call,
        return: o.return,
      }));
  }

  // ---- faults ----

  crash(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n?.up) return;
    this.stats.crashes++;
    this.log(`n${id} crashes`);
    n.crash();
  }

  restart(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n || n.raw || n.removed) return;
    this.log(`n${id} restarts from its storage`);
    n.start();
    n.drive();
  }

  /** Blocks the links between two groups, both ways or only from `a` to `b`. */
  partition(a: readonly NodeId[], b: readonly NodeId[], oneWay = false): void {
    this.log(`partition ${a.join(',')} ${oneWay ? '-/->' : '<-/->'} ${b.join(',')}`);
    for (const x of a) {
      for (const y of b) {
        this.blocked.add(`${x}>${y}`);
        if (!oneWay) this.blocked.add(`${y}>${x}`);
      }
    }
  }

  heal(): void {
    if (this.blocked.size > 0) this.log('partitions healed');
    this.blocked.clear();
  }

  /** Members that are not removed (up or down). */
  members(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.removed);
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.up && n.isLeader() && (!best || (n.raw?.raft.term ?? 0) > (best.raw?.raft.term ?? 0))) best = n;
    }
    return best;
  }

  /** A fatal error (an exception inside a member) ends the run as a violation. */
  get fatalError(): string | undefined {
    return this.fatal;
  }

  // ---- the event loop ----

  /** Runs events until virtual time `until` (or until `stop` says so). */
  runUntil(until: number, stop?: () => boolean): void {
    while (!this.fatal) {
      const e = this.events.peek();
      if (!e || e.time > until) break;
      this.events.pop();
      this.now = e.time;
      try {
        this.handle(e);
      } catch (err) {
        this.fatal = `member panicked at ${this.now}ms: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        this.log(this.fatal);
        return;
      }
      if (stop?.()) return;
    }
    this.now = Math.max(this.now, until);
  }

  private handle(e: Event): void {
    switch (e.kind) {
      case 'tick': {
        const n = this.nodes.get(e.node);
        if (!n || n.removed) return;
        n.tick();
        this.schedule(this.opts.tickMs, { kind: 'tick', node: e.node });
        return;
      }
      case 'deliver': {
        const n = this.nodes.get(e.msg.to);
        if (!n?.up) return;
        // a partition that starts while a message is in flight drops it too
        if (this.blocked.has(`${e.msg.from}>${e.msg.to}`)) return;
        n.deliver(e.msg);
        return;
      }
      case 'snapStatus':
        this.nodes.get(e.leader)?.reportSnapshot(e.to, e.ok && this.nodes.get(e.to)?.up === true);
        return;
      case 'request': {
        const op = this.ops[e.opIndex];
        const n = this.nodes.get(e.node);
        if (!op || op.done || !n?.up) return;
        if (op.kind === 'put') n.write(op.id, { id: op.id, op: 'put', key: op.key, value: op.value ?? '' });
        else n.read(op.id, op.key);
        return;
      }
      case 'response':
        this.finishOp(e.opIndex, e.failed ? { failed: true } : { value: e.value ?? null });
        return;
      case 'timeout':
        this.finishOp(e.opIndex, undefined);
        return;
      case 'clientNext':
        this.clientNext(e.client);
        return;
      case 'action':
        e.run();
        return;
    }
  }

  /** Closes every member's storage (SQLite files) at the end of a run. */
  close(): void {
    for (const n of this.nodes.values()) n.crash();
  }

  /** Checks log matching across the live members. */
  checkLogs(): void {
    const views = [...this.nodes.values()].flatMap((n) => {
      const v = n.up ? n.logView() : undefined;
      return v ? [v] : [];
    });
    this.invariants.checkLogMatching(views);
  }
}

/** A one-line description of a message for traces. */
export function describe(m: Message): string {
  const parts = [`${m.type} t${m.term}`];
  if (m.type === MessageType.App) parts.push(`prev=${m.index}/${m.logTerm} n=${m.entries.length} commit=${m.commit}`);
  else if (m.type === MessageType.AppResp) parts.push(m.reject ? `reject ${m.index} hint=${m.rejectHint}/${m.logTerm}` : `ok ${m.index}`);
  else if (m.type === MessageType.Vote || m.type === MessageType.PreVote) parts.push(`last=${m.index}/${m.logTerm}`);
  else if (m.type === MessageType.VoteResp || m.type === MessageType.PreVoteResp) parts.push(m.reject ? 'rejected' : 'granted');
  else if (m.type === MessageType.Heartbeat) parts.push(`commit=${m.commit}`);
  else if (m.type === MessageType.Snap) parts.push(`snapshot@${m.snapshot?.metadata.index ?? 0}`);
  if (m.context !== undefined) parts.push(`ctx=${m.context}`);
  return parts.join(' ');
}
