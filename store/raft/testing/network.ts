/**
 * A deterministic, synchronous network of Raft members for unit tests (after
 * etcd-io/raft's `newNetwork`). Each member is a RawNode over its own
 * MemoryStorage with its own seeded Rand. `send` delivers messages breadth
 * first until no member has anything left to say; faults are filters on
 * delivery (isolate, cut, drop, ignore, dropIf) and `recover` lifts them all.
 *
 * The driver rule, applied to a member after every input it is given:
 *
 *   1. persist the Ready: storage.save({ hardState, entries, snapshot });
 *   2. route its messages (through the filters, to the back of the queue);
 *   3. apply its snapshot and committed entries (applyConfChange for
 *      ConfChange entries) and collect its read states;
 *   4. advance, and repeat while the member has a Ready.
 *
 * Not modelled: a lost Snap is not reported back to its sender (a real
 * transport would call reportSnapshot(to, false)); tests that lose one call
 * member.node.reportSnapshot themselves.
 *
 * Test support only: this folder is the one place under store/raft allowed to
 * import store/storage.
 */
import { MemoryStorage } from '../../storage/memory.js';
import { Rand } from '../rand.js';
import { ProposalDroppedError, Raft, StateType, isLocalMsg, type Config } from '../raft.js';
import { RawNode } from '../rawnode.js';
import type { ReadState } from '../readonly.js';
import {
  EntryType,
  MessageType,
  NONE,
  decodeConfChange,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Snapshot,
} from '../types.js';

/** The election tick the tests use unless told otherwise. */
export const ELECTION_TICK = 10;
/** The heartbeat tick the tests use unless told otherwise. */
export const HEARTBEAT_TICK = 1;

/** The knobs of one member's Raft core that tests vary. */
export interface MemberOptions {
  readonly electionTick?: number;
  readonly heartbeatTick?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Any other Config field (maxSizePerMsg, unsafeCommitOlderTerms...). */
  readonly config?: Partial<Config>;
}

/** How to build a Network. */
export interface NetworkOptions extends MemberOptions {
  /** The initial voters; each gets a member. */
  readonly voters: readonly NodeId[];
  /** The initial learners; each gets a member. */
  readonly learners?: readonly NodeId[];
  /** Seeds every member's Rand and the network's own (for drop). Default 1. */
  readonly seed?: number;
  /** A member's starting storage (see storageWithLog); by default an empty one holding the initial membership. */
  readonly storage?: (id: NodeId) => MemoryStorage | undefined;
  /** Per-member overrides, applied over the shared options. */
  readonly member?: (id: NodeId) => MemberOptions | undefined;
}

/** One member: its node, its storage and what its state machine has seen. */
export interface Member {
  readonly id: NodeId;
  /** Replaced by Network.restart. */
  node: RawNode;
  readonly storage: MemoryStorage;
  readonly rand: Rand;
  /** Committed entries handed to the state machine, in order. */
  readonly applied: Entry[];
  /** Snapshots handed to the state machine, in order. */
  readonly snapshots: Snapshot[];
  /** Read states the member's Ready reported, in order. */
  readonly readStates: ReadState[];
  /** The index of the last entry (or snapshot) applied. invariant: appliedIndex <= the node's commit index. */
  appliedIndex: number;
  readonly options: MemberOptions;
}

/** A delivery filter: true means the message is lost. */
export type Filter = (m: Message) => boolean;

/** A message that was stepped but refused as a proposal (ProposalDroppedError). */
export interface DroppedProposal {
  readonly message: Message;
  readonly error: ProposalDroppedError;
}

/** A deterministic in-memory network of Raft members. */
export class Network {
  readonly members = new Map<NodeId, Member>();
  /** Every message delivered, in delivery order (clear it with `trace.length = 0`). */
  readonly trace: Message[] = [];
  /** Every message a filter lost, in order. */
  readonly lost: Message[] = [];
  /** Proposals refused by the member they reached. */
  readonly droppedProposals: DroppedProposal[] = [];
  private filters: Filter[] = [];
  private readonly queue: Message[] = [];
  private readonly rand: Rand;
  private readonly seed: number;

  constructor(private readonly opts: NetworkOptions) {
    this.seed = opts.seed ?? 1;
    this.rand = new Rand(this.seed * 7919);
    const conf: ConfState = { voters: [...opts.voters], learners: [...(opts.learners ?? [])] };
    for (const id of [...conf.voters, ...conf.learners]) {
      this.addMember(id, conf, opts.storage?.(id));
    }
  }

  // ---- members ----

  /** The member `id`; throws if there is none. */
  member(id: NodeId): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** The Raft core of member `id`. */
  raft(id: NodeId): Raft {
    return this.member(id).node.raft;
  }

  /**
   * Adds a member that starts from `confState` (or from `storage` when given):
   * a new member knows the membership it joins, as etcd's learners do.
   */
  addMember(id: NodeId, confState: ConfState, storage?: MemoryStorage): Member {
    if (this.members.has(id)) throw new Error(`member ${id} exists`);
    const st = storage ?? new MemoryStorage(confState);
    const options = { ...this.opts, ...this.opts.member?.(id) };
    const rand = new Rand(this.seed * 1_000_003 + id);
    const m: Member = {
      id,
      node: newNode(id, st, rand, options, 0),
      storage: st,
      rand,
      applied: [],
      snapshots: [],
      readStates: [],
      appliedIndex: 0,
      options,
    };
    // a member starting from a prepared log or snapshot has applied up to its first index - 1
    m.appliedIndex = m.node.raft.raftLog.applied;
    this.members.set(id, m);
    return m;
  }

  /**
   * Crashes and restarts `id` from its storage: a new RawNode (fresh Rand
   * draw, volatile state lost), the state machine kept as applied, and the
   * conf changes it had applied beyond the storage's snapshot replayed.
   */
  restart(id: NodeId): Member {
    const m = this.member(id);
    m.node = newNode(id, m.storage, m.rand, m.options, m.appliedIndex);
    const from = Math.max(m.storage.firstIndex(), m.storage.snapshot().metadata.index + 1);
    if (m.appliedIndex >= from) {
      for (const e of m.storage.entries(from, m.appliedIndex + 1)) {
        if (e.type === EntryType.ConfChange) m.node.applyConfChange(decodeConfChange(e.data));
      }
    }
    return m;
  }

  /** The leader with the highest term, or NONE. */
  leader(): NodeId {
    let best: Raft | undefined;
    for (const m of this.members.values()) {
      const r = m.node.raft;
      if (r.state === StateType.Leader && (!best || r.term > best.term)) best = r;
    }
    return best?.id ?? NONE;
  }

  // ---- faults ----

  /** Loses every message to or from `id`. */
  isolate(id: NodeId): void {
    this.filters.push((m) => m.from === id || m.to === id);
  }

  /** Loses every message between `a` and `b`, both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.filters.push((m) => (m.from === a && m.to === b) || (m.from === b && m.to === a));
  }

  /** Loses each message from `from` to `to` with probability `p` (seeded). */
  drop(from: NodeId, to: NodeId, p: number): void {
    this.filters.push((m) => m.from === from && m.to === to && this.rand.chance(p));
  }

  /** Loses every message of type `t`. */
  ignore(t: MessageType): void {
    this.filters.push((m) => m.type === t);
  }

  /** Loses every message `f` picks. */
  dropIf(f: Filter): void {
    this.filters.push(f);
  }

  /** Lifts every fault. */
  recover(): void {
    this.filters = [];
  }

  // ---- inputs ----

  /**
   * Delivers `msgs` (unfiltered: the test chose them) and then everything
   * they cause, breadth first, until the network is quiet.
   */
  send(...msgs: Message[]): void {
    this.queue.push(...msgs);
    this.pump();
  }

  /** Advances `id`'s clock by `n` ticks, delivering what each tick causes. */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.input(id, (node) => node.tick());
  }

  /** Advances every member's clock by `n` ticks, in id order within a round. */
  tickAll(n = 1): void {
    const ids = [...this.members.keys()].sort((a, b) => a - b);
    for (let i = 0; i < n; i++) for (const id of ids) this.tick(id);
  }

  /** Makes `id` start an election now. */
  campaign(id: NodeId): void {
    this.send(message({ type: MessageType.Hup, from: id, to: id }));
  }

  /** Proposes `data` on `id`. Throws ProposalDroppedError if `id` refuses it. */
  propose(id: NodeId, data: Uint8Array | string = 'x'): void {
    this.input(id, (node) => node.propose(typeof data === 'string' ? bytes(data) : data));
  }

  /** Proposes a membership change on `id`. */
  proposeConfChange(id: NodeId, cc: ConfChange): void {
    this.input(id, (node) => node.proposeConfChange(cc));
  }

  /** Requests a linearizable read on `id`. */
  readIndex(id: NodeId, ctx: string): void {
    this.input(id, (node) => node.readIndex(ctx));
  }

  /** Asks member `via` (the leader, or a follower that forwards) to hand leadership to `transferee`. */
  transferLeader(via: NodeId, transferee: NodeId): void {
    this.input(via, (node) => node.transferLeader(transferee));
  }

  /** Runs `f` on `id`'s node, then the driver rule, then delivery until quiet. */
  input(id: NodeId, f: (node: RawNode) => void): void {
    const m = this.member(id);
    f(m.node);
    this.drain(m);
    this.pump();
  }

  // ---- delivery ----

  private pump(): void {
    // breadth first: what a message causes goes to the back of the queue
    for (let m = this.queue.shift(); m !== undefined; m = this.queue.shift()) {
      const to = this.members.get(m.to);
      if (!to) continue;
      this.trace.push(m);
      try {
        if (isLocalMsg(m.type)) to.node.raft.step(m);
        else to.node.step(m);
      } catch (e) {
        if (!(e instanceof ProposalDroppedError)) throw e;
        this.droppedProposals.push({ message: m, error: e });
      }
      this.drain(to);
    }
  }

  /** The driver rule (see the file comment) for one member. */
  private drain(m: Member): void {
    while (m.node.hasReady()) {
      const rd = m.node.ready();
      m.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
      for (const out of rd.messages) {
        if (this.filters.some((f) => f(out))) this.lost.push(out);
        else this.queue.push(out);
      }
      if (rd.snapshot) {
        m.snapshots.push(rd.snapshot);
        m.appliedIndex = rd.snapshot.metadata.index;
      }
      for (const e of rd.committedEntries) {
        if (e.type === EntryType.ConfChange) m.node.applyConfChange(decodeConfChange(e.data));
        m.applied.push(e);
        m.appliedIndex = e.index;
      }
      m.readStates.push(...rd.readStates);
      m.node.advance(rd);
    }
  }
}

function newNode(id: NodeId, storage: MemoryStorage, rand: Rand, o: MemberOptions, applied: number): RawNode {
  return new RawNode({
    id,
    storage,
    rand,
    electionTick: o.electionTick ?? ELECTION_TICK,
    heartbeatTick: o.heartbeatTick ?? HEARTBEAT_TICK,
    preVote: o.preVote ?? false,
    checkQuorum: o.checkQuorum ?? false,
    applied,
    ...o.config,
  });
}

// ---- helpers for building logs and lone members ----

const encoder = new TextEncoder();

/** The UTF-8 bytes of `s`. */
export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Normal entries with the given terms at indexes first, first+1, ... */
export function entriesWithTerms(terms: readonly number[], first = 1): Entry[] {
  return terms.map((term, i) => ({ term, index: first + i, type: EntryType.Normal, data: bytes(`${first + i}@${term}`) }));
}

/**
 * A MemoryStorage for membership `conf` whose log holds entries of `terms`
 * (index 1 on), with hard state `hs` (term defaults to the last entry's).
 */
export function storageWithLog(conf: ConfState, terms: readonly number[], hs: Partial<HardState> = {}): MemoryStorage {
  const st = new MemoryStorage(conf);
  st.save({
    entries: entriesWithTerms(terms),
    hardState: { term: hs.term ?? terms[terms.length - 1] ?? 0, vote: hs.vote ?? NONE, commit: hs.commit ?? 0 },
  });
  return st;
}

/** Options for a lone Raft core driven by hand (no network, no driver). */
export interface TestRaftOptions extends MemberOptions {
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  readonly storage?: MemoryStorage;
  readonly seed?: number;
}

/** A Raft core over a MemoryStorage, for tests that step messages by hand. */
export function newTestRaft(id: NodeId, o: TestRaftOptions): Raft {
  const storage = o.storage ?? new MemoryStorage({ voters: [...o.voters], learners: [...(o.learners ?? [])] });
  return new Raft({
    id,
    storage,
    rand: new Rand((o.seed ?? 1) * 1_000_003 + id),
    electionTick: o.electionTick ?? ELECTION_TICK,
    heartbeatTick: o.heartbeatTick ?? HEARTBEAT_TICK,
    preVote: o.preVote ?? false,
    checkQuorum: o.checkQuorum ?? false,
    ...o.config,
  });
}

/** Takes (and clears) the messages `r` has queued. */
export function takeMessages(r: Raft): Message[] {
  const ms = r.msgs;
  r.msgs = [];
  return ms;
}

/** The terms of the entries in `r`'s log, from its first index to its last. */
export function logTerms(r: Raft): number[] {
  const log = r.raftLog;
  return log.slice(log.firstIndex(), log.lastIndex() + 1).map((e) => e.term);
}
