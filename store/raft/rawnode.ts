/**
 * RawNode: the driver's handle on the Raft core. The driver feeds it ticks,
 * proposals and messages, and collects its output as a Ready:
 *
 *   1. persist rd.snapshot, rd.entries and rd.hardState (one durable write);
 *   2. send rd.messages;
 *   3. apply rd.snapshot, then rd.committedEntries, to the state machine
 *      (calling applyConfChange for ConfChange entries), and serve rd.readStates
 *      once applied >= their index;
 *   4. call advance(rd).
 *
 * Sending only after persisting is what makes the leader's own vote for its
 * entries safe to count before they are on its disk (see Raft.appendEntry).
 */
import { Raft, StateType, isLocalMsg, isResponseMsg, type Config } from './raft.js';
import type { ReadState } from './readonly.js';
import {
  EntryType,
  MessageType,
  encodeConfChange,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Snapshot,
} from './types.js';

/** Volatile state: who leads and our role. Not persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly state: StateType;
}

/** Everything the driver must do after a batch of inputs. */
export interface Ready {
  /** Set when lead or role changed. */
  readonly softState?: SoftState;
  /** Set when term, vote or commit changed: persist it with the entries. */
  readonly hardState?: HardState;
  /** Entries to persist before sending messages. */
  readonly entries: readonly Entry[];
  /** A snapshot to persist and apply. */
  readonly snapshot?: Snapshot;
  /** Entries to apply: committed, and persisted by the time they are applied. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting. */
  readonly messages: readonly Message[];
  /** Linearizable reads that may be served once applied >= index. */
  readonly readStates: readonly ReadState[];
  /** True when the write must be synced to disk (entries, or a term or vote change). */
  readonly mustSync: boolean;
}

/** A summary of a member's state, for status pages and tests. */
export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly lead: NodeId;
  readonly state: StateType;
  readonly leadTransferee: NodeId;
  readonly confState: ConfState;
  /** Leader only: each member's replication progress. */
  readonly progress?: ReadonlyMap<NodeId, { match: number; next: number; state: string }>;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** A Raft member driven through Ready/advance. */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoft = this.raft.softState();
    this.prevHard = this.raft.hardState();
  }

  /** Advances logical time by one tick (the driver calls it every tick interval). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (bypasses the election timeout). */
  campaign(): void {
    this.raft.step(message({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** Proposes data to be appended. Throws ProposalDroppedError when it cannot be accepted. */
  propose(data: Uint8Array): void {
    this.proposeAll([data]);
  }

  /**
   * Proposes several entries as one MsgProp: one append and one round of
   * MsgApps however many there are. All are accepted, or none (ProposalDroppedError).
   */
  proposeAll(data: readonly Uint8Array[]): void {
    if (data.length === 0) return;
    const entries = data.map((d) => ({ term: 0, index: 0, type: EntryType.Normal, data: d }));
    this.raft.step(message({ type: MessageType.Prop, from: this.raft.id, entries }));
  }

  /** Proposes a membership change (one at a time: a second before the first applies becomes a no-op). */
  proposeConfChange(cc: ConfChange): void {
    const data = encodeConfChange(cc);
    this.raft.step(
      message({ type: MessageType.Prop, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data }] }),
    );
  }

  /** Applies a committed membership change. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Feeds a message received from a peer. Local message types are refused. */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw new Error(`raft: cannot step raft local message ${m.type}`);
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) return; // from a removed member
    this.raft.step(m);
  }

  /** Requests a linearizable read; its ReadState (with `ctx`) comes in a later Ready. */
  readIndex(ctx: string): void {
    this.raft.step(message({ type: MessageType.ReadIndex, context: ctx }));
  }

  /** Asks the leader to hand leadership to `transferee`. */
  transferLeader(transferee: NodeId): void {
    this.raft.step(message({ type: MessageType.TransferLeader, from: transferee }));
  }

  /** Tells the core a message to `id` could not be delivered. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: MessageType.Unreachable, from: id }));
  }

  /** Tells the core whether the snapshot sent to `id` was applied. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  /** True when ready() has something for the driver. */
  hasReady(): boolean {
    const r = this.raft;
    const soft = r.softState();
    if (soft.lead !== this.prevSoft.lead || soft.state !== this.prevSoft.state) return true;
    const hs = r.hardState();
    if (hs.term !== 0 && !sameHardState(hs, this.prevHard)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0 || r.raftLog.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /** Collects the pending output. Call advance() with it once it is handled. */
  ready(): Ready {
    const r = this.raft;
    const soft = r.softState();
    const hs = r.hardState();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.state !== this.prevSoft.state;
    const hardChanged = !sameHardState(hs, this.prevHard);
    const entries = [...r.raftLog.unstableEntries()];
    const rd: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hs } : {}),
      ...(r.raftLog.unstable.snapshot ? { snapshot: r.raftLog.unstable.snapshot } : {}),
      entries,
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: entries.length > 0 || hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    if (softChanged) this.prevSoft = soft;
    return rd;
  }

  /** Marks a Ready as handled: its entries persisted and its committed entries applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.hardState) this.prevHard = rd.hardState;
    const lastEnt = rd.entries[rd.entries.length - 1];
    if (lastEnt) r.raftLog.stableTo(lastEnt.index, lastEnt.term);
    if (rd.snapshot) r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
    let applied = rd.snapshot ? rd.snapshot.metadata.index : 0;
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) applied = Math.max(applied, lastCommitted.index);
    if (applied > 0) r.raftLog.appliedTo(applied);
  }

  /** The member's state now. */
  status(): Status {
    const r = this.raft;
    let progress: Map<NodeId, { match: number; next: number; state: string }> | undefined;
    if (r.state === StateType.Leader) {
      progress = new Map();
      for (const [id, pr] of r.trk.progress) progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.raftLog.committed,
      applied: r.raftLog.applied,
      lastIndex: r.raftLog.lastIndex(),
      lead: r.lead,
      state: r.state,
      leadTransferee: r.leadTransferee,
      confState: r.trk.confState(),
      ...(progress ? { progress } : {}),
    };
  }
}


