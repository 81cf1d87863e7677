/**
 * How Raft messages travel between members: jsoncodec's JSON with raw
 * bytes (entry data is not inflated to base64), and the frames of the peer protocol
 * (a 4-byte big-endian length, a 1-byte kind, the body).
 */
import type { Message } from '../raft/types.js';
import { decodeJson, encodeJson } from './jsoncodec.js';

/** The kinds of frame on a peer connection. */
export enum FrameKind {
  /** First frame of a dialer: who it is and which cluster it belongs to. */
  Hello = 1,
  /** A batch of Raft messages (jsoncodec). */
  Messages = 2,
  /** A Raft snapshot message followed by the state machine's bytes. */
  Snapshot = 3,
  /** A request to the receiving member (jsoncodec), answered by a Response on the same connection. */
  Request = 4,
  Response = 5,
}

/** The largest frame accepted: a snapshot of a large store fits, a corrupted length does not. */
export const MAX_FRAME = 1 << 30;

/** Encodes Raft messages as a frame body: jsoncodec, so entry data travels as raw bytes. */
export function encodeMessages(msgs: readonly Message[]): Buffer {
  const b = encodeJson(msgs);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Decodes a frame body written by encodeMessages. Throws on malformed input. */
export function decodeMessages(body: Buffer): Message[] {
  const v = decodeJson<unknown>(body);
  if (!Array.isArray(v)) throw new Error('raft messages frame is not an array');
  for (const m of v as Partial<Message>[]) {
    if (typeof m !== 'object' || m === null || !Array.isArray(m.entries) || m.entries.some((e) => !(e.data instanceof Uint8Array))) {
      throw new Error('raft messages frame holds a malformed message');
    }
  }
  return v as Message[];
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
