/**
 * The data types of the Raft core: entries, messages, hard state, snapshots
 * and membership. Plain objects so that the driver can serialise them any way
 * it likes (JSON in the simulator, protobuf or a compact binary on the wire).
 *
 * Member ids are positive integers; 0 means "none" (no vote, no leader).
 */

/** A member id. 0 is never a member: it stands for "none". */
export type NodeId = number;

/** The id meaning "no member" (no vote cast, no leader known). */
export const NONE: NodeId = 0;

/** What an entry carries. */
export enum EntryType {
  /** Application data (or empty: the no-op a new leader appends). */
  Normal = 0,
  /** A membership change, encoded with {@link encodeConfChange}. */
  ConfChange = 1,
}

/** One log entry. invariant: index >= 1, term >= 1. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Owned by whoever holds the entry; never mutated after creation. */
  readonly data: Uint8Array;
}

/** What must be on disk before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  /** Whom this member voted for in `term`, or NONE. */
  readonly vote: NodeId;
  /** The highest index known to be committed. invariant: commit <= last index. */
  readonly commit: number;
}

/** The membership of the cluster: voters decide, learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  /** The last log index the snapshot covers, and its term. */
  readonly index: number;
  readonly term: number;
  /** The membership as of `index`. */
  readonly confState: ConfState;
}

/** A state-machine snapshot at an index: what replaces the log up to it. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/** The kinds of Raft message, local ones (Hup, Beat, Prop...) included. */
export enum MessageType {
  /** Local: start an election (or a pre-election). */
  Hup = 'Hup',
  /** Local: the leader should send heartbeats. */
  Beat = 'Beat',
  /** Local on the leader, or forwarded by a follower: append these entries. */
  Prop = 'Prop',
  App = 'App',
  AppResp = 'AppResp',
  Vote = 'Vote',
  VoteResp = 'VoteResp',
  PreVote = 'PreVote',
  PreVoteResp = 'PreVoteResp',
  Snap = 'Snap',
  Heartbeat = 'Heartbeat',
  HeartbeatResp = 'HeartbeatResp',
  /** Local: a message to `from` could not be delivered. */
  Unreachable = 'Unreachable',
  /** Local: the snapshot sent to `from` was applied or failed (`reject`). */
  SnapStatus = 'SnapStatus',
  /** Local on the leader: check that a quorum is still active. */
  CheckQuorum = 'CheckQuorum',
  /** Local, or forwarded to the leader: hand leadership to `from`. */
  TransferLeader = 'TransferLeader',
  /** From the leader to the transferee: campaign now, skipping pre-vote. */
  TimeoutNow = 'TimeoutNow',
  /** Local, or forwarded to the leader: a linearizable read request. */
  ReadIndex = 'ReadIndex',
  ReadIndexResp = 'ReadIndexResp',
}

/** A Raft message. Fields unused by a type are left at their zero value. */
export interface Message {
  readonly type: MessageType;
  readonly to: NodeId;
  readonly from: NodeId;
  readonly term: number;
  /** App: the term of the entry before `entries`; Vote: the candidate's last term. */
  readonly logTerm: number;
  /** App: the index before `entries`; AppResp: the index matched (or rejected). */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly snapshot?: Snapshot;
  readonly reject: boolean;
  /** AppResp reject: the follower's hint for the leader's next probe. */
  readonly rejectHint: number;
  /** Opaque context: the read request id for ReadIndex/Heartbeat, 'transfer' on a forced Vote. */
  readonly context?: string;
}

/** A membership change, carried in a ConfChange entry. */
export type ConfChangeType = 'addNode' | 'addLearner' | 'removeNode';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque to Raft; the driver keeps the new member's address here. */
  readonly context?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a ConfChange as entry data. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

/** Decodes entry data written by {@link encodeConfChange}. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  const v = JSON.parse(decoder.decode(data)) as ConfChange;
  if (v.type !== 'addNode' && v.type !== 'addLearner' && v.type !== 'removeNode') {
    throw new Error(`invalid conf change type ${String(v.type)}`);
  }
  return v;
}

/** A message with every optional field at its zero value, overridden by `m`. */
export function message(m: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...m,
  };
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

/** True when a hard state carries nothing (a fresh member). */
export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

/** True for a snapshot that stands for "no snapshot". */
export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
  data: new Uint8Array(0),
};
