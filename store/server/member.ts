/**
 * A store member: the driver loop around the Raft core, its SQLite log, the
 * MVCC state machine and the peer transport.
 *
 * The loop (drive) follows the Ready contract of store/raft/rawnode.ts:
 *   1. persist the Ready's snapshot, entries and hard state (one fsync, or
 *      none when only the commit index moved: Ready.mustSync);
 *   2. send its messages (snapshots with the state machine's bytes);
 *      a leader sends first and persists while its followers do (Raft
 *      thesis §10.2.1): every answer to what it sent is handled in a later
 *      turn of the event loop, after this synchronous persist, so the
 *      leader never counts its own entries before they are on its disk;
 *   3. apply its snapshot and committed entries, answer the waiting
 *      proposals, and serve the linearizable reads whose index is applied;
 *   4. advance.
 * Inputs (ticks, peer messages, proposals, reads) only step the RawNode and
 * schedule one drive for the current turn of the event loop, so every
 * proposal that arrives in that turn shares one disk sync (group commit).
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  EntryType,
  coalesceAppends,
  ProposalDroppedError,
  Rand,
  RawNode,
  StateType,
  decodeConfChange,
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
  type Ready,
} from '../raft/index.js';
import type { SqliteStorage } from '../storage/sqlite.js';
import { decodeJson, encodeJson } from './jsoncodec.js';
import type { MemberInfo } from './identity.js';
import { decodeProposal, encodeProposal } from './proposal.js';
import type { PeerTransport } from './transport.js';

/** The most entry data one MsgApp carries (etcd's --max-request-bytes sized messages fit). */
const MAX_SIZE_PER_MSG = 1024 * 1024;

/** A member announcing its name and client URLs once it has started (etcd's publish). */
export interface PublishRequest {
  readonly publish: { readonly id: NodeId; readonly name: string; readonly clientURLs: readonly string[] };
}

function isPublish(b: unknown): b is PublishRequest {
  return typeof b === 'object' && b !== null && 'publish' in b;
}

/**
 * Thrown by a StateMachine when an entry cannot be applied for a reason other
 * than the request itself (a disk error): applying it later, or not at all,
 * would make this member differ from the others, so the member stops (as an
 * etcd member panics) and a restart replays the log from what is on disk.
 */
export class StateMachineFailure extends Error {
  override readonly name = 'StateMachineFailure';
}

/** What the member applies committed requests to (the MVCC store behind an adapter). */
export interface StateMachine {
  /** The index of the last entry applied; entries at or below it are skipped after a restart. */
  consistentIndex(): number;
  /** Applies a request at `index`; returns its response, throws a domain error for the caller, or StateMachineFailure. */
  apply(body: unknown, index: number): unknown;
  /** Runs `f`, the applies of one Ready, as one commit to disk; an error it throws is fatal. */
  batch<T>(f: () => T): T;
  /** The whole state, to send to a member that needs a snapshot. */
  snapshotBytes(): Uint8Array;
  /** Replaces the state with bytes from snapshotBytes() (only if they are ahead of ours). */
  restoreBytes(bytes: Uint8Array): void;
  /** Makes everything applied durable (before the Raft log is compacted behind it). */
  sync(): void;
}

/** Errors a client sees (the gRPC edge maps them to etcd's codes and messages). */
export class NoLeaderError extends Error {
  constructor() {
    super('no leader');
    this.name = 'NoLeaderError';
  }
}

export class RequestTimeoutError extends Error {
  constructor() {
    super('request timed out');
    this.name = 'RequestTimeoutError';
  }
}

export class StoppedError extends Error {
  constructor() {
    super('server stopped');
    this.name = 'StoppedError';
  }
}

/** Timing and sizes of a member. */
export interface MemberOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** Ms per Raft tick (etcd's --heartbeat-interval). */
  readonly tickMs: number;
  /** Ticks per election timeout (etcd's --election-timeout / --heartbeat-interval). */
  readonly electionTicks: number;
  /** Applied entries between Raft snapshots (etcd's --snapshot-count). */
  readonly snapshotCount: number;
  /** Entries kept behind a snapshot for slow followers. */
  readonly catchUpEntries: number;
  /** How long a proposal may wait to be applied. */
  readonly requestTimeoutMs: number;
  readonly log: (line: string) => void;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

interface ReadWaiter {
  resolve(): void;
  reject(e: unknown): void;
}

/** The driver of one member. Events: 'leader' (id, term), 'applied' (index), 'removed'. */
export class MemberDriver extends EventEmitter {
  readonly node: RawNode;
  /** The cluster's members as the applied log says. */
  readonly members = new Map<NodeId, MemberInfo>();
  private scheduled = false;
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  private waiters = new Map<string, Waiter>();
  /** Proposals of this turn, not yet given to Raft. */
  private proposals: { rid: string; data: Uint8Array }[] = [];
  private nextRid = 0;
  private readonly ridPrefix: string;
  // linearizable reads: those queued for the next ReadIndex, and those waiting on one
  private readQueue: ReadWaiter[] = [];
  private readsInFlight = new Map<string, { waiters: ReadWaiter[]; sentAt: number }>();
  private readsReady: { index: number; waiters: ReadWaiter[] }[] = [];
  private snapshotIndex: number;

  constructor(
    readonly opts: MemberOptions,
    readonly storage: SqliteStorage,
    readonly sm: StateMachine,
    readonly transport: PeerTransport,
    initialMembers: readonly MemberInfo[],
  ) {
    super();
    this.ridPrefix = `${opts.id.toString(16)}.${randomInt(2 ** 32).toString(16)}.`;
    for (const m of initialMembers) this.members.set(m.id, m);
    const snap = storage.snapshot();
    this.snapshotIndex = snap.metadata.index;
    if (snap.metadata.index > 0 && snap.data.length > 0) {
      for (const m of decodeJson<MemberInfo[]>(snap.data)) this.members.set(m.id, m);
    }
    this.node = new RawNode({
      id: opts.id,
      electionTick: opts.electionTicks,
      heartbeatTick: 1,
      storage,
      applied: snap.metadata.index,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: MAX_SIZE_PER_MSG,
      maxInflightMsgs: 256,
      maxCommittedSizePerReady: 16 * 1024 * 1024,
      rand: new Rand(randomInt(2 ** 31)),
      logger: (line) => {
        if (/became|transfer|snapshot|stepped down|removed/.test(line)) opts.log(`raft: ${line}`);
      },
    });
  }

  /** Starts ticking. */
  start(): void {
    this.ticker = setInterval(() => {
      this.node.tick();
      this.retryReads();
      this.schedule();
    }, this.opts.tickMs);
    this.schedule();
  }

  /** Stops ticking and fails everything waiting. */
  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(new StoppedError());
    }
    this.waiters.clear();
    this.proposals = [];
    for (const r of [...this.readQueue, ...[...this.readsInFlight.values()].flatMap((f) => f.waiters), ...this.readsReady.flatMap((r) => r.waiters)]) {
      r.reject(new StoppedError());
    }
    this.readQueue = [];
    this.readsInFlight.clear();
    this.readsReady = [];
  }

  get leader(): NodeId {
    return this.node.raft.lead;
  }

  get isLeader(): boolean {
    return this.node.raft.state === StateType.Leader;
  }

  get term(): number {
    return this.node.raft.term;
  }

  /** Feeds messages from peers. */
  receive(msgs: readonly Message[]): void {
    if (this.stopped) return;
    for (const m of msgs) {
      try {
        this.node.step(m);
      } catch (e) {
        if (!(e instanceof ProposalDroppedError)) throw e;
      }
    }
    this.schedule();
  }

  /**
   * Proposes a request through Raft and resolves with its result once
   * applied here. The proposals of one turn of the event loop go to Raft
   * together (flushProposals): one MsgProp from a follower, one round of
   * appends from the leader.
   */
  propose(body: unknown): Promise<unknown> {
    if (this.stopped) return Promise.reject(new StoppedError());
    const rid = this.ridPrefix + (this.nextRid++).toString(36);
    const data = encodeProposal({ rid, body });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(rid);
        reject(new RequestTimeoutError());
      }, this.opts.requestTimeoutMs);
      this.waiters.set(rid, { resolve, reject, timer });
      this.proposals.push({ rid, data });
      this.schedule();
    });
  }

  private flushProposals(): void {
    if (this.proposals.length === 0) return;
    const batch = this.proposals;
    this.proposals = [];
    try {
      this.node.proposeAll(batch.map((p) => p.data));
    } catch (e) {
      const err = e instanceof ProposalDroppedError ? new NoLeaderError() : e;
      for (const { rid } of batch) {
        const w = this.waiters.get(rid);
        if (!w) continue;
        this.waiters.delete(rid);
        clearTimeout(w.timer);
        w.reject(err);
      }
    }
  }

  /** Proposes a membership change; resolves when it is applied here. */
  proposeConfChange(cc: ConfChange): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('confChange', onApplied);
        reject(new RequestTimeoutError());
      }, this.opts.requestTimeoutMs);
      const onApplied = (applied: ConfChange): void => {
        if (applied.type === cc.type && applied.nodeId === cc.nodeId) {
          clearTimeout(timer);
          this.off('confChange', onApplied);
          resolve();
        }
      };
      this.on('confChange', onApplied);
      try {
        this.node.proposeConfChange(cc);
      } catch (e) {
        clearTimeout(timer);
        this.off('confChange', onApplied);
        reject(e instanceof ProposalDroppedError ? new NoLeaderError() : e);
        return;
      }
      this.schedule();
    });
  }

  /**
   * Waits until this member's state is at least as new as the cluster's at
   * the time of the call (ReadIndex), for a linearizable read. Concurrent
   * reads share one ReadIndex round.
   */
  linearizableBarrier(): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppedError());
    return new Promise((resolve, reject) => {
      this.readQueue.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Asks the leader to hand leadership to `to`. */
  transferLeader(to: NodeId): void {
    this.node.transferLeader(to);
    this.schedule();
  }

  /** The snapshot frame from a peer: restore the state machine if it is ahead, then step. */
  receiveSnapshot(m: Message, db: Uint8Array): void {
    if (this.stopped) return;
    this.sm.restoreBytes(db);
    this.receive([m]);
  }

  reportUnreachable(id: NodeId): void {
    this.node.reportUnreachable(id);
    this.schedule();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.node.reportSnapshot(id, ok);
    this.schedule();
  }

  // ---- the loop ----

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drive();
    });
  }

  private startReadIndex(): void {
    if (this.readQueue.length === 0) return;
    const ctx = `${this.ridPrefix}r${(this.nextRid++).toString(36)}`;
    this.readsInFlight.set(ctx, { waiters: this.readQueue, sentAt: Date.now() });
    this.readQueue = [];
    this.node.readIndex(ctx);
  }

  /** ReadIndex requests can be lost with a leader change: ask again after a while. */
  private retryReads(): void {
    const now = Date.now();
    for (const [ctx, f] of this.readsInFlight) {
      if (now - f.sentAt < 500) continue;
      this.readsInFlight.delete(ctx);
      this.readQueue.push(...f.waiters);
    }
  }

  private drive(): void {
    if (this.stopped) return;
    this.flushProposals();
    this.startReadIndex();
    while (this.node.hasReady()) {
      const rd = this.node.ready();
      // 1. persist and 2. send (a leader sends first; see the file comment)
      const leading = this.node.raft.state === StateType.Leader;
      if (leading) {
        this.send(rd);
        this.transport.flush();
      }
      this.storage.save({
        ...(rd.hardState ? { hardState: rd.hardState } : {}),
        ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
        entries: rd.entries,
        sync: rd.mustSync || rd.snapshot !== undefined,
      });
      if (!leading) this.send(rd);
      if (rd.softState) this.emit('leader', rd.softState.lead, this.node.raft.term, rd.softState.state);
      // 3. apply
      if (rd.snapshot) this.applySnapshotMembers(rd.snapshot.data);
      if (rd.committedEntries.length > 0) this.sm.batch(() => rd.committedEntries.forEach((e) => this.apply(e)));
      for (const rs of rd.readStates) {
        const f = this.readsInFlight.get(rs.requestCtx);
        if (!f) continue;
        this.readsInFlight.delete(rs.requestCtx);
        this.readsReady.push({ index: rs.index, waiters: f.waiters });
      }
      // 4. advance
      this.node.advance(rd);
      this.serveReads();
      this.maybeSnapshot();
      if (this.stopped) return;
    }
  }

  private send(rd: Ready): void {
    const normal: Message[] = [];
    // the state machine is serialised once per Ready, however many members need it
    let db: Uint8Array | undefined;
    for (const m of rd.messages) {
      if (m.snapshot) this.transport.sendSnapshot(m, (db ??= this.sm.snapshotBytes()));
      else normal.push(m);
    }
    if (normal.length > 0) this.transport.send(coalesceAppends(normal, MAX_SIZE_PER_MSG));
  }

  private applied(): number {
    return this.node.raft.raftLog.applied;
  }

  private serveReads(): void {
    if (this.readsReady.length === 0) return;
    const applied = this.applied();
    const still: typeof this.readsReady = [];
    for (const r of this.readsReady) {
      if (r.index <= applied) for (const w of r.waiters) w.resolve();
      else still.push(r);
    }
    this.readsReady = still;
  }

  private apply(e: Entry): void {
    if (e.type === EntryType.ConfChange) {
      this.applyConfChange(decodeConfChange(e.data));
      return;
    }
    if (e.data.length === 0) return; // a new leader's empty entry
    const p = decodeProposal(e.data);
    const w = this.waiters.get(p.rid);
    if (w) {
      this.waiters.delete(p.rid);
      clearTimeout(w.timer);
    }
    if (isPublish(p.body)) {
      // membership attributes live beside Raft's conf state, not in the MVCC
      // store: applied again on every replay, like conf changes
      this.publish(p.body.publish.id, p.body.publish.name, p.body.publish.clientURLs);
      w?.resolve(undefined);
      return;
    }
    if (e.index <= this.sm.consistentIndex()) {
      // applied before a restart (or restored from a snapshot): already in the state
      w?.reject(new RequestTimeoutError());
      return;
    }
    let result: unknown;
    try {
      result = this.sm.apply(p.body, e.index);
    } catch (err) {
      if (err instanceof StateMachineFailure) throw err; // out of drive(): fatal
      w?.reject(err);
      return;
    }
    w?.resolve(result);
  }

  private applyConfChange(cc: ConfChange): void {
    this.node.applyConfChange(cc);
    if (cc.type === 'removeNode') {
      this.members.delete(cc.nodeId);
      this.transport.removePeer(cc.nodeId);
    } else {
      const ctx = cc.context ? (JSON.parse(cc.context) as Partial<MemberInfo>) : {};
      const prev = this.members.get(cc.nodeId);
      const info: MemberInfo = {
        id: cc.nodeId,
        name: prev?.name ?? ctx.name ?? '',
        peerURLs: ctx.peerURLs ?? prev?.peerURLs ?? [],
        clientURLs: prev?.clientURLs ?? ctx.clientURLs ?? [],
        isLearner: cc.type === 'addLearner',
      };
      this.members.set(cc.nodeId, info);
      const url = info.peerURLs[0];
      if (url && cc.nodeId !== this.opts.id) this.transport.addPeer(cc.nodeId, url);
    }
    this.emit('confChange', cc);
    if (cc.type === 'removeNode' && cc.nodeId === this.opts.id) {
      this.opts.log('this member was removed from the cluster; stopping');
      this.emit('removed');
    }
  }

  /** Records a member's name and client URLs (applied from a 'publish' request). */
  publish(id: NodeId, name: string, clientURLs: readonly string[]): void {
    const prev = this.members.get(id);
    if (!prev) return;
    this.members.set(id, { ...prev, name, clientURLs: [...clientURLs] });
  }

  private applySnapshotMembers(data: Uint8Array): void {
    if (data.length === 0) return;
    this.members.clear();
    for (const m of decodeJson<MemberInfo[]>(data)) {
      this.members.set(m.id, m);
      const url = m.peerURLs[0];
      if (url && m.id !== this.opts.id) this.transport.addPeer(m.id, url);
    }
  }

  private maybeSnapshot(): void {
    const applied = this.applied();
    if (applied - this.snapshotIndex < this.opts.snapshotCount) return;
    // the Raft log may only be compacted behind what the state machine has on disk
    this.sm.sync();
    this.storage.createSnapshot(applied, this.node.raft.trk.confState(), encodeJson([...this.members.values()]));
    this.snapshotIndex = applied;
    const compactTo = applied - this.opts.catchUpEntries;
    if (compactTo > this.storage.firstIndex() - 1) this.storage.compact(compactTo);
    this.opts.log(`raft: snapshot at ${applied}, log compacted to ${Math.max(compactTo, this.storage.firstIndex() - 1)}`);
  }
}
