/**
 * The Raft consensus algorithm as a pure state machine (Ongaro & Ousterhout,
 * "In Search of an Understandable Consensus Algorithm", and the Raft thesis).
 *
 * Inputs are `step(message)` and `tick()`; outputs accumulate in `msgs`, the
 * unstable log and `readStates`, which RawNode hands to the driver as a Ready.
 * Nothing here does I/O, reads a clock or calls Math.random(): time is ticks
 * and randomness comes from the seeded `Rand` in the config.
 *
 * Each role has its own step function (stepLeader, stepCandidate,
 * stepFollower); `step` first handles what is common to all: terms, votes.
 */
import { RaftLog } from './log.js';
import { ReadOnly, type ReadState } from './readonly.js';
import type { Rand } from './rand.js';
import { LogCompactedError, LogUnavailableError, SnapshotTemporarilyUnavailableError, type Storage } from './storage.js';
import { Progress, ProgressState, ProgressTracker, VoteResult } from './tracker.js';
import {
  EntryType,
  MessageType,
  NONE,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Snapshot,
} from './types.js';

/** The role a member plays. */
export enum StateType {
  Follower = 'Follower',
  PreCandidate = 'PreCandidate',
  Candidate = 'Candidate',
  Leader = 'Leader',
}

/** Configuration of one member's Raft core. */
export interface Config {
  /** This member's id (> 0). */
  readonly id: NodeId;
  /** Ticks without hearing from a leader before campaigning; the actual timeout is random in [electionTick, 2*electionTick). */
  readonly electionTick: number;
  /** Ticks between a leader's heartbeats. invariant: heartbeatTick < electionTick. */
  readonly heartbeatTick: number;
  readonly storage: Storage;
  /** The last applied index when restarting (entries up to it are not handed out again). */
  readonly applied?: number;
  /** Bytes of entries in one append message (at least one entry is always sent). */
  readonly maxSizePerMsg?: number;
  /** Bytes of committed entries handed out in one Ready. */
  readonly maxCommittedSizePerReady?: number;
  /** Appends in flight to one follower in Replicate state. */
  readonly maxInflightMsgs?: number;
  /** The leader steps down when a quorum has not been heard from for an election timeout. */
  readonly checkQuorum?: boolean;
  /** Campaign only after a pre-vote round shows a quorum would vote for us (thesis §9.6). */
  readonly preVote?: boolean;
  /** The seeded randomness for election timeouts. */
  readonly rand: Rand;
  /** Called with a line per state change, for traces. */
  readonly logger?: (line: string) => void;
  /**
   * A planted bug for testing the checkers: commit by counting replicas even
   * for entries of older terms (the error Figure 8 of the paper shows). Never
   * set outside tests.
   */
  readonly unsafeCommitOlderTerms?: boolean;
}

/** A proposal was not accepted (no leader, leadership transfer under way, removed member...). */
export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

const CAMPAIGN_TRANSFER = 'transfer';

/** True for messages that only ever come from the local driver. */
export function isLocalMsg(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus ||
    t === MessageType.CheckQuorum
  );
}

/** True for messages that answer a request of the leader's. */
export function isResponseMsg(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.Unreachable ||
    t === MessageType.PreVoteResp
  );
}

/** The Raft state machine of one member. */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  state: StateType = StateType.Follower;
  isLearner = false;
  /** Outgoing messages, drained by RawNode.ready(). */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  lead: NodeId = NONE;
  /** The member leadership is being handed to, or NONE. */
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change proposed by this leader; a new one waits until it is applied. */
  pendingConfIndex = 0;
  private readOnly = new ReadOnly();
  /** ReadIndex requests received before this leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  private readonly heartbeatTimeout: number;
  private readonly electionTimeout: number;
  // invariant: electionTimeout <= randomizedElectionTimeout < 2*electionTimeout
  private randomizedElectionTimeout = 0;
  private readonly maxMsgSize: number;
  private readonly rand: Rand;
  private readonly logger: (line: string) => void;
  private readonly unsafeCommitOlderTerms: boolean;
  private tickFn: () => void;
  private stepFn: (m: Message) => void;

  constructor(c: Config) {
    if (c.id === NONE) throw new Error('cannot use none as id');
    if (c.heartbeatTick <= 0 || c.electionTick <= c.heartbeatTick) {
      throw new Error('election tick must be greater than heartbeat tick, which must be positive');
    }
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady);
    this.trk = new ProgressTracker(c.maxInflightMsgs ?? 256);
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.heartbeatTimeout = c.heartbeatTick;
    this.electionTimeout = c.electionTick;
    this.rand = c.rand;
    this.logger = c.logger ?? (() => {});
    this.unsafeCommitOlderTerms = c.unsafeCommitOlderTerms ?? false;
    this.tickFn = this.tickElection;
    this.stepFn = this.stepFollower;

    const { hardState, confState } = c.storage.initialState();
    this.applyConfState(confState);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
  }

  // ---- state reported to RawNode ----

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): { lead: NodeId; state: StateType } {
    return { lead: this.lead, state: this.state };
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new Error(`${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // ---- sending ----

  private send(m: Partial<Message> & Pick<Message, 'type' | 'to'>): void {
    const t = m.type;
    let term = m.term ?? 0;
    if (t === MessageType.Vote || t === MessageType.VoteResp || t === MessageType.PreVote || t === MessageType.PreVoteResp) {
      if (term === 0) throw new Error(`term should be set when sending ${t}`);
    } else {
      if (m.term !== undefined && m.term !== 0) throw new Error(`term should not be set when sending ${t}`);
      // Prop and ReadIndex are forwarded as local messages: no term
      if (t !== MessageType.Prop && t !== MessageType.ReadIndex) term = this.term;
    }
    // a forwarded TransferLeader keeps its `from` (the transferee)
    const from = m.from !== undefined && m.from !== NONE ? m.from : this.id;
    this.msgs.push(message({ ...m, from, term }));
  }

  /** Sends an append (or a snapshot) to `to` if its progress allows. */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends what `to` needs next: entries from its next index, or a snapshot if
   * those were compacted. With sendIfEmpty false, sends nothing when there are
   * no new entries. Returns whether a message was sent.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (e) {
      if (!(e instanceof LogCompactedError || e instanceof LogUnavailableError)) throw e;
      return this.sendSnapshot(to, pr);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ type: MessageType.App, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed });
    const last = ents[ents.length - 1];
    pr.sentEntries(ents.length, last ? last.index : prevIndex);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    let snap: Snapshot;
    try {
      snap = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    if (snap.metadata.index === 0) throw new Error('need non-empty snapshot');
    this.logger(`${this.id} sends snapshot [index ${snap.metadata.index}, term ${snap.metadata.term}] to ${to}`);
    pr.becomeSnapshot(snap.metadata.index);
    this.send({ type: MessageType.Snap, to, snapshot: snap });
    return true;
  }

  private sendHeartbeat(to: NodeId, ctx: string | undefined): void {
    // never tell a follower to commit beyond what it is known to have
    const commit = Math.min(this.trk.progress.get(to)?.match ?? 0, this.raftLog.committed);
    this.send({ type: MessageType.Heartbeat, to, commit, ...(ctx !== undefined ? { context: ctx } : {}) });
  }

  private forEachPeer(f: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.trk.members()) {
      const pr = this.trk.progress.get(id);
      if (id !== this.id && pr) f(id, pr);
    }
  }

  /** Sends appends to every member that is not paused. */
  bcastAppend(): void {
    this.forEachPeer((id) => this.sendAppend(id));
  }

  private bcastHeartbeat(ctx: string | undefined = this.readOnly.lastPendingRequestCtx()): void {
    this.forEachPeer((id) => this.sendHeartbeat(id, ctx));
  }

  // ---- log ----

  /** Commits what a quorum has; true if the commit index moved. */
  maybeCommit(): boolean {
    const mci = this.trk.committed();
    if (this.unsafeCommitOlderTerms) {
      if (mci > this.raftLog.committed && mci <= this.raftLog.lastIndex()) {
        this.raftLog.commitTo(mci);
        return true;
      }
      return false;
    }
    return this.raftLog.maybeCommit(mci, this.term);
  }

  private appendEntry(es: { type: EntryType; data: Uint8Array }[]): void {
    let li = this.raftLog.lastIndex();
    const ents: Entry[] = es.map((e) => ({ term: this.term, index: ++li, type: e.type, data: e.data }));
    li = this.raftLog.append(ents);
    // the leader's own append counts toward the quorum: the driver persists
    // it before sending the messages that could lead to a commit
    this.trk.progress.get(this.id)?.maybeUpdate(li);
    this.maybeCommit();
  }

  // ---- roles ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      const n = new Progress(last + 1, this.trk.maxInflight, pr.isLearner);
      if (id === this.id) n.match = last;
      this.trk.progress.set(id, n);
    }
    this.pendingConfIndex = 0;
    // reads queued by a leader are dropped with its leadership: their clients retry
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.stepFn = this.stepFollower;
    this.reset(term);
    this.tickFn = this.tickElection;
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger(`${this.id} became follower at term ${this.term}${lead !== NONE ? `, leader ${lead}` : ''}`);
  }

  becomeCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('invalid transition [leader -> candidate]');
    this.stepFn = this.stepCandidate;
    this.reset(this.term + 1);
    this.tickFn = this.tickElection;
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger(`${this.id} became candidate at term ${this.term}`);
  }

  becomePreCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('invalid transition [leader -> pre-candidate]');
    // neither term nor vote changes: a pre-vote disturbs nobody
    this.stepFn = this.stepCandidate;
    this.trk.resetVotes();
    this.tickFn = this.tickElection;
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.logger(`${this.id} became pre-candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    if (this.state === StateType.Follower) throw new Error('invalid transition [follower -> leader]');
    this.stepFn = this.stepLeader;
    this.reset(this.term);
    this.tickFn = this.tickHeartbeat;
    this.lead = this.id;
    this.state = StateType.Leader;
    this.trk.progress.get(this.id)?.becomeReplicate();
    // conservatively, any conf change in the uncommitted log may be pending
    this.pendingConfIndex = this.raftLog.lastIndex();
    // an empty entry of this term lets earlier entries commit (§5.4.2) and ReadIndex start
    this.appendEntry([{ type: EntryType.Normal, data: new Uint8Array(0) }]);
    this.logger(`${this.id} became leader at term ${this.term}`);
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.rand.int(this.electionTimeout);
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** True if this member may become leader: a voter with no snapshot pending. */
  promotable(): boolean {
    return this.trk.isVoter(this.id) && !this.raftLog.hasPendingSnapshot();
  }

  // ---- ticks ----

  /** Advances logical time by one tick. */
  tick(): void {
    this.tickFn();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(message({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(message({ type: MessageType.CheckQuorum, from: this.id }));
      // a transfer that did not finish within an election timeout is abandoned
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- elections ----

  private hup(transfer: boolean): void {
    if (this.state === StateType.Leader) return;
    if (!this.promotable()) return;
    // a conf change committed but not applied may remove us: wait for it
    const pending = this.raftLog.slice(this.raftLog.applied + 1, this.raftLog.committed + 1);
    if (pending.some((e) => e.type === EntryType.ConfChange)) {
      this.logger(`${this.id} cannot campaign at term ${this.term}: pending conf change`);
      return;
    }
    if (this.preVote && !transfer) this.campaign('pre');
    else this.campaign(transfer ? 'transfer' : 'election');
  }

  private campaign(kind: 'pre' | 'election' | 'transfer'): void {
    let voteMsg: MessageType;
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteMsg = MessageType.PreVote;
      term = this.term + 1; // the term we would have
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.Vote;
      term = this.term;
    }
    const respType = kind === 'pre' ? MessageType.PreVoteResp : MessageType.VoteResp;
    if (this.poll(this.id, respType, true) === VoteResult.Won) {
      // a single voter wins at once
      if (kind === 'pre') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of [...this.trk.voters].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.logger(`${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}] sent ${voteMsg} request to ${id} at term ${term}`);
      this.send({
        type: voteMsg,
        to: id,
        term,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
        ...(kind === 'transfer' ? { context: CAMPAIGN_TRANSFER } : {}),
      });
    }
  }

  private poll(id: NodeId, t: MessageType, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- the common step ----

  /** Feeds one message (from a peer, or a local one) into the state machine. */
  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = m.context === CAMPAIGN_TRANSFER;
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // we heard from a leader within the minimum election timeout: a
          // disruptive member must not depose it (thesis §4.2.3)
          this.logger(`${this.id} ignored ${m.type} from ${m.from} at term ${m.term}: lease is not expired`);
          return;
        }
      }
      if (m.type === MessageType.PreVote) {
        // never change our term in response to a pre-vote
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // the term in a granted pre-vote response is the one we would campaign at
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // a stale leader (e.g. after a partition healed) learns our term and
        // steps down; otherwise, with CheckQuorum or PreVote, it could keep
        // us from ever campaigning successfully
        this.send({ type: MessageType.AppResp, to: m.from });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(false);
        return;
      case MessageType.Vote:
      case MessageType.PreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.PreVote && m.term > this.term);
        const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.logger(`${this.id} cast ${m.type} for ${m.from} at term ${this.term}`);
          // answer with the message's term: a pre-vote response at our own
          // (lower) term would be dropped by the pre-candidate as stale
          this.send({ type: respType, to: m.from, term: m.term });
          if (m.type === MessageType.Vote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.logger(`${this.id} rejected ${m.type} from ${m.from} at term ${this.term}`);
          this.send({ type: respType, to: m.from, term: this.term, reject: true });
        }
        return;
      }
      default:
        this.stepFn(m);
    }
  }

  // ---- leader ----

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive(this.id)) {
          this.logger(`${this.id} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
        }
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return;
      case MessageType.Prop:
        this.stepLeaderProp(m);
        return;
      case MessageType.ReadIndex:
        if (this.trk.isSingleton()) {
          this.respondToReadIndex(m, this.raftLog.committed);
        } else if (!this.committedEntryInCurrentTerm()) {
          // the commit index may be stale until we commit an entry of our term
          this.pendingReadIndexMessages.push(m);
        } else {
          this.readOnly.addRequest(this.raftLog.committed, m);
          this.readOnly.recvAck(this.id, m.context ?? '');
          this.bcastHeartbeat(m.context ?? '');
        }
        return;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp: {
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from);
        if (m.context === undefined) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks || this.trk.voteResult((id) => acks.has(id)) !== VoteResult.Won) return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // wait for the next heartbeat response (or append response) before probing
        pr.probeSent = true;
        return;
      case MessageType.Unreachable:
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  private stepLeaderProp(m: Message): void {
    if (m.entries.length === 0) throw new Error(`${this.id} stepped empty MsgProp`);
    if (!this.trk.progress.has(this.id)) throw new ProposalDroppedError('this member was removed from the cluster');
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}`);
    const base = this.raftLog.lastIndex();
    // pendingConfIndex moves inside the loop, so a second conf change in the same batch is refused too
    const es = m.entries.map((e, i) => {
      if (e.type !== EntryType.ConfChange) return { type: e.type, data: e.data };
      if (this.pendingConfIndex > this.raftLog.applied) {
        // one membership change at a time: refuse this one by turning it into a no-op
        this.logger(`${this.id} ignoring conf change: previous change at ${this.pendingConfIndex} not applied yet`);
        return { type: EntryType.Normal, data: new Uint8Array(0) };
      }
      this.pendingConfIndex = base + i + 1;
      return { type: e.type, data: e.data };
    });
    this.appendEntry(es);
    this.bcastAppend();
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // fast back-off: skip every entry of the follower's conflicting term at once
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    // a probe answered at exactly the known match point also ends probing
    const probeMatched = pr.match === m.index && pr.state === ProgressState.Probe;
    if (!pr.maybeUpdate(m.index) && !probeMatched) return;
    switch (pr.state) {
      case ProgressState.Probe:
        pr.becomeReplicate();
        break;
      case ProgressState.Snapshot:
        if (pr.match + 1 >= this.raftLog.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case ProgressState.Replicate:
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    // keep the pipeline full
    while (this.maybeSendAppend(m.from, false)) {
      // loop until paused or caught up
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.logger(`${this.id} sent TimeoutNow to ${m.from} after its log caught up`);
      this.send({ type: MessageType.TimeoutNow, to: m.from });
    }
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) return;
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    this.logger(`${this.id} starts to transfer leadership to ${transferee}`);
    // the transfer must finish within an election timeout
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) this.send({ type: MessageType.TimeoutNow, to: transferee });
    else this.sendAppend(transferee);
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.zeroTermOnOutOfBounds(this.raftLog.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.stepLeader(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    const ctx = req.context ?? '';
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: ctx });
    } else {
      this.send({ type: MessageType.ReadIndexResp, to: req.from, index, context: ctx });
    }
  }

  // ---- candidate ----

  private stepCandidate(m: Message): void {
    const myVoteRespType = this.state === StateType.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        throw new ProposalDroppedError('no leader');
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteRespType: {
        const res = this.poll(m.from, m.type, !m.reject);
        if (res === VoteResult.Won) {
          if (this.state === StateType.PreCandidate) {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === VoteResult.Lost) {
          // a pre-vote response carries a higher term only if granted; a
          // rejection at our own term means stay a follower at this term
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        return;
    }
  }

  // ---- follower ----

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) throw new ProposalDroppedError('no leader');
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.TimeoutNow:
        this.logger(`${this.id} received TimeoutNow from ${m.from}: campaigning to take leadership`);
        this.hup(true);
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, requestCtx: m.context ?? '' });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: MessageType.AppResp, to: m.from, index: lastNew });
      return;
    }
    // the consistency check failed: hint where our log could match
    const hint = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    this.send({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(Math.min(m.commit, this.raftLog.lastIndex()));
    this.send({ type: MessageType.HeartbeatResp, to: m.from, ...(m.context !== undefined ? { context: m.context } : {}) });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s && this.restore(s)) {
      this.logger(`${this.id} restored snapshot [index ${s.metadata.index}, term ${s.metadata.term}]`);
      this.send({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() });
    } else {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed });
    }
  }

  /** Installs a snapshot from the leader; false if it is not newer than what we have. */
  private restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.state !== StateType.Follower) {
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const member = confState.voters.includes(this.id) || confState.learners.includes(this.id);
    if (!member) return false;
    if (this.raftLog.matchTerm(index, term)) {
      // we already have the entries: just fast-forward the commit index
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    this.trk.progress.clear();
    this.trk.voters.clear();
    this.trk.learners.clear();
    this.applyConfState(confState);
    return true;
  }

  // ---- membership ----

  private applyConfState(cs: ConfState): void {
    for (const id of cs.voters) this.addMember(id, false);
    for (const id of cs.learners) this.addMember(id, true);
  }

  private addMember(id: NodeId, learner: boolean): void {
    const pr = this.trk.progress.get(id);
    if (pr) {
      if (!learner && pr.isLearner) {
        // promotion of a learner to voter
        pr.isLearner = false;
        this.trk.learners.delete(id);
        this.trk.voters.add(id);
      }
      // demoting a voter to a learner in one step is not supported
    } else {
      const n = new Progress(this.raftLog.lastIndex() + 1, this.trk.maxInflight, learner);
      // a new member counts as active so that CheckQuorum gives it time to catch up
      n.recentActive = true;
      this.trk.progress.set(id, n);
      if (learner) this.trk.learners.add(id);
      else this.trk.voters.add(id);
    }
    if (id === this.id) this.isLearner = this.trk.learners.has(id);
  }

  /** Applies a committed membership change; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    switch (cc.type) {
      case 'addNode':
        this.addMember(cc.nodeId, false);
        break;
      case 'addLearner':
        this.addMember(cc.nodeId, true);
        break;
      case 'removeNode':
        if (cc.nodeId === this.id) this.isLearner = false;
        this.trk.progress.delete(cc.nodeId);
        this.trk.voters.delete(cc.nodeId);
        this.trk.learners.delete(cc.nodeId);
        break;
    }
    this.logger(`${this.id} applied conf change ${cc.type} ${cc.nodeId}: voters ${[...this.trk.voters].join(',')}`);
    if (this.state !== StateType.Leader) return this.trk.confState();
    if (!this.trk.isVoter(this.id)) {
      // a leader removed from the cluster steps down; the rest elect a new one
      this.becomeFollower(this.term, NONE);
      return this.trk.confState();
    }
    if (this.leadTransferee !== NONE && !this.trk.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    // the quorum changed: entries may be committed now, and new members need the log
    if (this.maybeCommit()) this.releasePendingReadIndexMessages();
    this.bcastAppend();
    return this.trk.confState();
  }
}
