/**
 * The leader's view of each member: how far its log is known to match, what
 * to send next, and the flow control that bounds messages in flight. Also the
 * membership (voters, learners) and the quorum arithmetic over it.
 */
import type { ConfState, NodeId } from './types.js';

/** How the leader is currently replicating to a member. */
export enum ProgressState {
  /** One append at a time until the member's match point is found. */
  Probe = 'Probe',
  /** Optimistic streaming, up to the in-flight bound. */
  Replicate = 'Replicate',
  /** A snapshot is on its way; nothing else is sent until it is reported. */
  Snapshot = 'Snapshot',
}

/** A bounded FIFO of the last indexes of appends in flight to one member. */
export class Inflights {
  private buf: number[] = [];
  private start = 0;

  constructor(readonly size: number) {}

  /** Records an append whose last entry is `index`. */
  add(index: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    this.buf.push(index);
  }

  /** Frees every append whose last index is <= `index` (acknowledged). */
  freeLE(index: number): void {
    let i = this.start;
    while (i < this.buf.length && (this.buf[i] ?? Infinity) <= index) i++;
    this.start = i;
    if (this.start > 64 && this.start * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
    }
  }

  count(): number {
    return this.buf.length - this.start;
  }

  full(): boolean {
    return this.count() >= this.size;
  }

  reset(): void {
    this.buf = [];
    this.start = 0;
  }
}

/** The leader's replication state for one member. */
export class Progress {
  // invariant: match < next
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum. */
  recentActive = false;
  /** In Probe state: an append was sent and not yet answered. */
  probeSent = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number, public isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement up to n: returns true if it moved match forward. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Records that entries up to `lastIndex` (count n) were just sent. */
  sentEntries(n: number, lastIndex: number): void {
    switch (this.state) {
      case ProgressState.Replicate:
        if (n > 0) {
          this.next = lastIndex + 1;
          this.inflights.add(lastIndex);
        }
        break;
      case ProgressState.Probe:
        this.probeSent = true;
        break;
      case ProgressState.Snapshot:
        throw new Error('sending entries in snapshot state');
    }
  }

  /**
   * A rejection of the append at `rejected`; `matchHint` is the follower's
   * hint. Returns false if the rejection is stale (out of order).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** True when nothing more should be sent to this member for now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}

/** The outcome of counting votes. */
export enum VoteResult {
  Pending = 'Pending',
  Lost = 'Lost',
  Won = 'Won',
}

/** Membership, per-member progress, and votes of the current election. */
export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();

  constructor(readonly maxInflight: number) {}

  /** The membership as a ConfState (sorted ids). */
  confState(): ConfState {
    return {
      voters: [...this.voters].sort((a, b) => a - b),
      learners: [...this.learners].sort((a, b) => a - b),
    };
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** The highest index a quorum of voters has: what may be committed. */
  committed(): number {
    if (this.voters.size === 0) return Number.MAX_SAFE_INTEGER;
    const matches: number[] = [];
    for (const id of this.voters) matches.push(this.progress.get(id)?.match ?? 0);
    matches.sort((a, b) => b - a);
    return matches[this.quorum() - 1] ?? 0;
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote (the first from each member counts). */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** Counts the recorded votes of voters. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: this.voteResult((id) => this.votes.get(id)) };
  }

  /** Won once a quorum said yes, Lost once a quorum can no longer say yes. */
  voteResult(vote: (id: NodeId) => boolean | undefined): VoteResult {
    if (this.voters.size === 0) return VoteResult.Won;
    let yes = 0;
    let missing = 0;
    for (const id of this.voters) {
      const v = vote(id);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = this.quorum();
    if (yes >= q) return VoteResult.Won;
    if (yes + missing >= q) return VoteResult.Pending;
    return VoteResult.Lost;
  }

  /** True if a quorum of voters (counting `self`) was recently active. */
  quorumActive(self: NodeId): boolean {
    return this.voteResult((id) => id === self || this.progress.get(id)?.recentActive === true) === VoteResult.Won;
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  /** Ids of every member, voters then learners, in ascending order. */
  members(): NodeId[] {
    return [...this.progress.keys()].sort((a, b) => a - b);
  }
}
