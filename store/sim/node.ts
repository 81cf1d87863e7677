/**
 * One simulated member: a RawNode over a MemoryStorage (its "disk"), the KV
 * state machine, and the driver loop. The loop follows the rule of
 * store/raft/rawnode.ts: persist, then send, then apply, then advance.
 * Named fault points let the simulator crash the member at exactly the wrong
 * moment: before the Ready is persisted, or after it is persisted but before
 * its messages are sent.
 */
import { Rand } from '../raft/rand.js';
import { RawNode } from '../raft/rawnode.js';
import { ProposalDroppedError, StateType } from '../raft/raft.js';
import { EntryType, decodeConfChange, type ConfChange, type ConfState, type Entry, type Message, type NodeId } from '../raft/types.js';
import { MemoryStorage } from '../storage/memory.js';
import { SqliteStorage } from '../storage/sqlite.js';
import type { RaftStorage } from '../storage/storage.js';
import { KvStateMachine, decodeCommand, encodeCommand, type KvCommand } from './kv.js';
import type { LogView } from './invariants.js';

/** Where a scheduled crash strikes. */
export type FaultPoint = 'beforePersist' | 'afterPersist';

/** Raft timing and behaviour shared by all members of a simulation. */
export interface NodeConfig {
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Create a snapshot every this many applied entries. */
  readonly snapshotEvery: number;
  /** Entries kept behind a snapshot when compacting. */
  readonly keepEntries: number;
  /** Bytes of entries in one append (at least one entry is always sent). */
  readonly maxSizePerMsg: number;
  /** Planted bugs, for showing that the checkers catch them. */
  readonly bugs: { readonly commitOlderTerms?: boolean; readonly staleReads?: boolean };
}

/** What a member reports back to the simulation. */
export interface NodeHooks {
  send(m: Message): void;
  /** A client request finished: output for reads, or `failed` if it certainly had no effect. */
  respond(opId: string, result: { value?: string | null; failed?: boolean }): void;
  becameLeader(node: SimNode, term: number): void;
  applied(node: SimNode, e: Entry): void;
  confChanged(node: SimNode, cc: ConfChange): void;
  /** Called at a fault point: return true to crash here. */
  crashAt(node: SimNode, point: FaultPoint): boolean;
  log(line: string): void;
}

/** A member of the simulated cluster. */
export class SimNode {
  /** The member's disk. invariant: open while the member is up. */
  storage: RaftStorage;
  raw: RawNode | undefined;
  kv = new KvStateMachine();
  // invariant: applied <= raw's committed index
  applied = 0;
  removed = false;
  private pendingWrites = new Map<string, true>();
  private pendingReads = new Map<string, string>(); // ctx -> key
  private readyReads: { index: number; opId: string; key: string }[] = [];
  private incarnation = 0;
  private closed = false;

  constructor(
    readonly id: NodeId,
    private readonly cfg: NodeConfig,
    private readonly hooks: NodeHooks,
    private readonly seed: number,
    private readonly disk: Disk,
  ) {
    this.storage = disk.open(id);
  }

  get up(): boolean {
    return this.raw !== undefined && !this.removed;
  }

  /** Starts (or restarts) the member from its storage alone. */
  start(): void {
    if (this.closed) {
      this.storage = this.disk.open(this.id);
      this.closed = false;
    }
    const snap = this.storage.snapshot();
    this.kv = new KvStateMachine();
    this.kv.restore(snap.data);
    this.applied = snap.metadata.index;
    this.incarnation++;
    this.raw = new RawNode({
      id: this.id,
      electionTick: this.cfg.electionTick,
      heartbeatTick: this.cfg.heartbeatTick,
      storage: this.storage,
      applied: this.applied,
      preVote: this.cfg.preVote,
      checkQuorum: this.cfg.checkQuorum,
      maxSizePerMsg: this.cfg.maxSizePerMsg,
      maxInflightMsgs: 16,
      rand: new Rand(this.seed * 7919 + this.id * 104729 + this.incarnation),
      logger: (line) => this.hooks.log(line),
      unsafeCommitOlderTerms: this.cfg.bugs.commitOlderTerms ?? false,
    });
  }

  /** Loses everything not on disk: the Raft core, the state machine, pending requests. */
  crash(): void {
    if (this.disk.closeOnCrash && !this.closed) {
      // what was saved is committed to the file; the process's handle dies with it
      this.storage.close();
      this.closed = true;
    }
    this.raw = undefined;
    this.pendingWrites.clear();
    this.pendingReads.clear();
    this.readyReads = [];
  }

  tick(): void {
    this.raw?.tick();
    this.drive();
  }

  deliver(m: Message): void {
    if (!this.raw) return;
    try {
      this.raw.step(m);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    this.drive();
  }

  /** A client write: proposed through Raft, answered when applied here. */
  write(opId: string, cmd: KvCommand): void {
    if (!this.raw) return;
    try {
      this.raw.propose(encodeCommand(cmd));
      this.pendingWrites.set(opId, true);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
      this.hooks.respond(opId, { failed: true });
    }
    this.drive();
  }

  /** A client read: linearizable through ReadIndex (or, with the planted bug, local and possibly stale). */
  read(opId: string, key: string): void {
    if (!this.raw) return;
    if (this.cfg.bugs.staleReads) {
      this.hooks.respond(opId, { value: this.kv.get(key) });
      return;
    }
    this.pendingReads.set(opId, key);
    this.raw.readIndex(opId);
    this.drive();
  }

  transferLeader(to: NodeId): void {
    this.raw?.transferLeader(to);
    this.drive();
  }

  proposeConfChange(cc: ConfChange): void {
    if (!this.raw) return;
    try {
      this.raw.proposeConfChange(cc);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    this.drive();
  }

  reportSnapshot(to: NodeId, ok: boolean): void {
    this.raw?.reportSnapshot(to, ok);
    this.drive();
  }

  reportUnreachable(to: NodeId): void {
    this.raw?.reportUnreachable(to);
    this.drive();
  }

  isLeader(): boolean {
    return this.raw?.raft.state === StateType.Leader;
  }

  /** The driver loop: persist, send, apply, advance, until nothing is ready. */
  drive(): void {
    while (this.raw && !this.removed && this.raw.hasReady()) {
      const raw = this.raw;
      const rd = raw.ready();
      if (this.hooks.crashAt(this, 'beforePersist')) return this.crash();
      this.storage.save({
        ...(rd.hardState ? { hardState: rd.hardState } : {}),
        ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
        entries: rd.entries,
      });
      if (rd.softState?.state === StateType.Leader) this.hooks.becameLeader(this, raw.raft.term);
      if (this.hooks.crashAt(this, 'afterPersist')) return this.crash();
      for (const m of rd.messages) this.hooks.send(m);
      if (rd.snapshot) {
        this.kv.restore(rd.snapshot.data);
        this.applied = rd.snapshot.metadata.index;
      }
      for (const e of rd.committedEntries) this.apply(e);
      for (const rs of rd.readStates) {
        const key = this.pendingReads.get(rs.requestCtx);
        if (key === undefined) continue;
        this.pendingReads.delete(rs.requestCtx);
        this.readyReads.push({ index: rs.index, opId: rs.requestCtx, key });
      }
      raw.advance(rd);
      this.serveReads();
      this.maybeSnapshot();
    }
  }

  private apply(e: Entry): void {
    const raw = this.raw;
    if (!raw) return;
    this.applied = e.index;
    this.hooks.applied(this, e);
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      const cs = raw.applyConfChange(cc);
      // a snapshot right after each membership change: a member added later
      // always finds itself in the snapshot it may be sent
      this.snapshotAt(e.index, cs);
      if (cc.type === 'removeNode' && cc.nodeId === this.id) this.removed = true;
      this.hooks.confChanged(this, cc);
      return;
    }
    if (e.data.length === 0) return; // a new leader's empty entry
    const cmd = decodeCommand(e.data);
    this.kv.apply(cmd);
    if (this.pendingWrites.delete(cmd.id)) this.hooks.respond(cmd.id, {});
  }

  private serveReads(): void {
    if (this.readyReads.length === 0) return;
    const waiting: typeof this.readyReads = [];
    for (const r of this.readyReads) {
      if (r.index <= this.applied) this.hooks.respond(r.opId, { value: this.kv.get(r.key) });
      else waiting.push(r);
    }
    this.readyReads = waiting;
  }

  private snapshotAt(index: number, cs: ConfState): void {
    if (index <= this.storage.snapshot().metadata.index) return;
    this.storage.createSnapshot(index, cs, this.kv.snapshot());
  }

  private maybeSnapshot(): void {
    const raw = this.raw;
    if (!raw) return;
    const snapIndex = this.storage.snapshot().metadata.index;
    // snapshot only entries this member has persisted
    const index = Math.min(this.applied, this.storage.lastIndex());
    if (index - snapIndex < this.cfg.snapshotEvery) return;
    this.snapshotAt(index, raw.raft.trk.confState());
    const compactTo = index - this.cfg.keepEntries;
    if (compactTo > this.storage.firstIndex() - 1) this.storage.compact(compactTo);
  }

  /** This member's log (stable and unstable), for the invariant checkers. */
  logView(): LogView | undefined {
    const raw = this.raw;
    if (!raw) return undefined;
    const log = raw.raft.raftLog;
    return {
      id: this.id,
      firstIndex: () => log.firstIndex(),
      lastIndex: () => log.lastIndex(),
      term: (i) => {
        if (i < log.firstIndex() || i > log.lastIndex()) return undefined;
        return log.term(i);
      },
      entry: (i) => {
        if (i < log.firstIndex() || i > log.lastIndex()) return undefined;
        return log.slice(i, i + 1)[0];
      },
    };
  }
}

/** Where members keep their durable state. */
export interface Disk {
  open(id: NodeId): RaftStorage;
  /** True when a crash must close the storage (a file handle), and a restart reopen it. */
  readonly closeOnCrash: boolean;
}

/** In-memory disks: a MemoryStorage per member that outlives its crashes. */
export function memoryDisk(): Disk {
  const disks = new Map<NodeId, MemoryStorage>();
  return {
    closeOnCrash: false,
    open(id) {
      const s = disks.get(id) ?? new MemoryStorage();
      disks.set(id, s);
      return s;
    },
  };
}

/** Real SQLite files in `dir`, one per member, closed at a crash and reopened at a restart. */
export function sqliteDisk(dir: string, clusterId: string): Disk {
  return {
    closeOnCrash: true,
    open: (id) => SqliteStorage.open(`${dir}/member-${id}.db`, { clusterId, memberId: id }),
  };
}
