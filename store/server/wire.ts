/**
 * How Raft messages travel between members: a compact binary form (entry data
 * raw, numbers as float64, which holds every safe integer), and the frames of
 * the peer protocol (a 4-byte big-endian length, a 1-byte kind, the body).
 *
 * A Messages body: u32 count, then per message
 *   u8 type | f64 to, from, term, logTerm, index, commit, rejectHint | u8 flags
 *   [flags&2: u32 length, UTF-8 context]
 *   [flags&4: f64 index, term | u32 n, f64 voters[n] | u32 n, f64 learners[n] | u32 length, data]
 *   u32 entry count, per entry: f64 term, f64 index, u8 type, u32 length, data
 * (flags&1: reject). All integers are big-endian.
 */
import { MessageType, type Entry, type Message, type Snapshot } from '../raft/types.js';

/** The kinds of frame on a peer connection. */
export enum FrameKind {
  /** First frame of a dialer: who it is and which cluster it belongs to. */
  Hello = 1,
  /** A batch of Raft messages (the binary form above). */
  Messages = 2,
  /** A Raft snapshot message followed by the state machine's bytes. */
  Snapshot = 3,
  /** A request to the receiving member (jsoncodec), answered by a Response on the same connection. */
  Request = 4,
  Response = 5,
}

/** The largest frame accepted: a snapshot of a large store fits, a corrupted length does not. */
export const MAX_FRAME = 1 << 30;

/** Message types by their code on the wire (the position in this list): append only, never reorder. */
const TYPES: readonly MessageType[] = [
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Prop,
  MessageType.App,
  MessageType.AppResp,
  MessageType.Vote,
  MessageType.VoteResp,
  MessageType.PreVote,
  MessageType.PreVoteResp,
  MessageType.Snap,
  MessageType.Heartbeat,
  MessageType.HeartbeatResp,
  MessageType.Unreachable,
  MessageType.SnapStatus,
  MessageType.CheckQuorum,
  MessageType.TransferLeader,
  MessageType.TimeoutNow,
  MessageType.ReadIndex,
  MessageType.ReadIndexResp,
];
const CODE = new Map(TYPES.map((t, i) => [t, i]));

const REJECT = 1;
const CONTEXT = 2;
const SNAPSHOT = 4;

/** The encoded size of `m`. */
function sizeOf(m: Message): number {
  let n = 1 + 7 * 8 + 1 + 4;
  if (m.context !== undefined) n += 4 + Buffer.byteLength(m.context);
  const s = m.snapshot;
  if (s !== undefined) n += 16 + 8 + 8 * (s.metadata.confState.voters.length + s.metadata.confState.learners.length) + 4 + s.data.byteLength;
  for (const e of m.entries) n += 21 + e.data.byteLength;
  return n;
}

/** Encodes Raft messages as a frame body. */
export function encodeMessages(msgs: readonly Message[]): Buffer {
  let size = 4;
  for (const m of msgs) size += sizeOf(m);
  const b = Buffer.allocUnsafe(size);
  let at = b.writeUInt32BE(msgs.length, 0);
  for (const m of msgs) {
    const code = CODE.get(m.type);
    if (code === undefined) throw new Error(`raft message type ${String(m.type)} cannot be sent`);
    at = b.writeUInt8(code, at);
    at = b.writeDoubleBE(m.to, at);
    at = b.writeDoubleBE(m.from, at);
    at = b.writeDoubleBE(m.term, at);
    at = b.writeDoubleBE(m.logTerm, at);
    at = b.writeDoubleBE(m.index, at);
    at = b.writeDoubleBE(m.commit, at);
    at = b.writeDoubleBE(m.rejectHint, at);
    at = b.writeUInt8((m.reject ? REJECT : 0) | (m.context !== undefined ? CONTEXT : 0) | (m.snapshot !== undefined ? SNAPSHOT : 0), at);
    if (m.context !== undefined) {
      const n = b.write(m.context, at + 4, 'utf8');
      b.writeUInt32BE(n, at);
      at += 4 + n;
    }
    if (m.snapshot !== undefined) at = writeSnapshot(b, at, m.snapshot);
    at = b.writeUInt32BE(m.entries.length, at);
    for (const e of m.entries) {
      at = b.writeDoubleBE(e.term, at);
      at = b.writeDoubleBE(e.index, at);
      at = b.writeUInt8(e.type, at);
      at = b.writeUInt32BE(e.data.byteLength, at);
      b.set(e.data, at);
      at += e.data.byteLength;
    }
  }
  return b;
}

function writeSnapshot(b: Buffer, at: number, s: Snapshot): number {
  const { index, term, confState } = s.metadata;
  at = b.writeDoubleBE(index, at);
  at = b.writeDoubleBE(term, at);
  for (const ids of [confState.voters, confState.learners]) {
    at = b.writeUInt32BE(ids.length, at);
    for (const id of ids) at = b.writeDoubleBE(id, at);
  }
  at = b.writeUInt32BE(s.data.byteLength, at);
  b.set(s.data, at);
  return at + s.data.byteLength;
}

/** Reads a frame body front to back; every read checks that the bytes are there. */
class Reader {
  at = 0;
  constructor(readonly b: Buffer) {}

  need(n: number): void {
    if (this.at + n > this.b.length) throw new Error('raft messages frame is truncated');
  }
  u8(): number {
    this.need(1);
    return this.b[this.at++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.b.readDoubleBE(this.at);
    this.at += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new Error('raft messages frame holds a malformed number');
    return v;
  }
  /** The next `n` bytes, as a view into the frame. */
  bytes(n: number): Buffer {
    this.need(n);
    this.at += n;
    return this.b.subarray(this.at - n, this.at);
  }
}

/**
 * Decodes a frame body written by encodeMessages. Throws on malformed input.
 * Entry data is copied out of the frame, one allocation per message.
 */
export function decodeMessages(body: Buffer): Message[] {
  const r = new Reader(body);
  const count = r.u32();
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[r.u8()];
    if (type === undefined) throw new Error('raft messages frame holds an unknown message type');
    const to = r.f64();
    const from = r.f64();
    const term = r.f64();
    const logTerm = r.f64();
    const index = r.f64();
    const commit = r.f64();
    const rejectHint = r.f64();
    const flags = r.u8();
    const m: { -readonly [K in keyof Message]: Message[K] } = { type, to, from, term, logTerm, index, entries: [], commit, reject: (flags & REJECT) !== 0, rejectHint };
    if (flags & CONTEXT) m.context = r.bytes(r.u32()).toString('utf8');
    if (flags & SNAPSHOT) m.snapshot = readSnapshot(r);
    m.entries = readEntries(r);
    out.push(m);
  }
  if (r.at !== body.length) throw new Error('raft messages frame has trailing bytes');
  return out;
}

function readSnapshot(r: Reader): Snapshot {
  const index = r.f64();
  const term = r.f64();
  const ids = (): number[] => {
    const n = r.u32();
    r.need(8 * n);
    return Array.from({ length: n }, () => r.f64());
  };
  const voters = ids();
  const learners = ids();
  return { metadata: { index, term, confState: { voters, learners } }, data: new Uint8Array(r.bytes(r.u32())) };
}

function readEntries(r: Reader): Entry[] {
  const n = r.u32();
  if (n === 0) return [];
  // first pass: where each entry's data lies; then one copy of them all
  const heads: { term: number; index: number; type: number; from: number; to: number }[] = [];
  const start = r.at;
  for (let i = 0; i < n; i++) {
    const term = r.f64();
    const index = r.f64();
    const type = r.u8();
    if (type !== 0 && type !== 1) throw new Error('raft messages frame holds an unknown entry type');
    const len = r.u32();
    r.need(len);
    heads.push({ term, index, type, from: r.at - start, to: r.at - start + len });
    r.at += len;
  }
  const copy = new Uint8Array(r.b.subarray(start, r.at)); // entries outlive the frame: never keep it alive
  return heads.map((h) => ({ term: h.term, index: h.index, type: h.type, data: new Uint8Array(copy.buffer, copy.byteOffset + h.from, h.to - h.from) }));
}

/** Encodes a snapshot message with the state machine's bytes. */
export function encodeSnapshot(m: Message, db: Uint8Array): Buffer {
  const head = encodeMessages([m]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, Buffer.from(db.buffer, db.byteOffset, db.byteLength)]);
}

/** Decodes a frame body written by encodeSnapshot. */
export function decodeSnapshot(body: Buffer): { msg: Message; db: Uint8Array } {
  if (body.length < 4) throw new Error('snapshot frame too short');
  const n = body.readUInt32BE(0);
  const [msg] = decodeMessages(body.subarray(4, 4 + n));
  if (!msg) throw new Error('snapshot frame without a message');
  return { msg, db: new Uint8Array(body.subarray(4 + n)) };
}

/** Builds one frame. */
export function frame(kind: FrameKind, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head.writeUInt8(kind, 4);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames. Feed it chunks; it calls `onFrame` for each whole frame. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (kind: FrameKind, body: Buffer) => void) {}

  /** Adds bytes; throws on a frame that is too large or of an unknown kind. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n < 1 || n > MAX_FRAME) throw new Error(`bad peer frame length ${n}`);
      if (this.buf.length < 4 + n) return;
      const kind = this.buf.readUInt8(4) as FrameKind;
      if (!(kind in FrameKind)) throw new Error(`unknown peer frame kind ${kind}`);
      const body = this.buf.subarray(5, 4 + n);
      this.buf = this.buf.subarray(4 + n);
      this.onFrame(kind, body);
    }
  }
}
