/**
 * How a proposal is written into a Raft entry. Every member decodes every
 * entry it applies, so the common request, a put, has a binary form of its
 * own; every other request is jsoncodec's JSON with raw bytes.
 *
 *   put:   0x02 | u16 rid length | rid (UTF-8) | u8 present | u8 flags | f64 lease
 *                | u32 key length | key | u32 value length | value
 *   other: jsoncodec (first byte 0x01; older logs may hold plain JSON)
 *
 * `present` has a bit per optional field of the PutRequest that was set
 * (value, lease, prevKv, ignoreValue, ignoreLease), so a put decodes to the
 * object that was proposed; `flags` holds the three booleans. Integers are
 * big-endian. Decoded byte strings are copies.
 */
import { EMPTY } from '../mvcc/keys.js';
import type { PutRequest } from '../mvcc/types.js';
import { decodeJson, encodeJson } from './jsoncodec.js';

/** A request that travels through the Raft log. `rid` ties it to the waiting caller. */
export interface Proposal {
  readonly rid: string;
  readonly body: unknown;
}

const PUT = 0x02;

const VALUE = 1;
const LEASE = 2;
const PREV_KV = 4;
const IGNORE_VALUE = 8;
const IGNORE_LEASE = 16;

/** Encodes a proposal as entry data. */
export function encodeProposal(p: Proposal): Uint8Array {
  const put = putOf(p.body);
  if (put === undefined) return encodeJson(p);
  const rid = Buffer.from(p.rid, 'utf8');
  const value = put.value ?? EMPTY;
  const b = Buffer.allocUnsafe(1 + 2 + rid.length + 2 + 8 + 4 + put.key.byteLength + 4 + value.byteLength);
  let at = b.writeUInt8(PUT, 0);
  at = b.writeUInt16BE(rid.length, at);
  at += rid.copy(b, at);
  let present = 0;
  if (put.value !== undefined) present |= VALUE;
  if (put.lease !== undefined) present |= LEASE;
  if (put.prevKv !== undefined) present |= PREV_KV;
  if (put.ignoreValue !== undefined) present |= IGNORE_VALUE;
  if (put.ignoreLease !== undefined) present |= IGNORE_LEASE;
  at = b.writeUInt8(present, at);
  at = b.writeUInt8((put.prevKv ? PREV_KV : 0) | (put.ignoreValue ? IGNORE_VALUE : 0) | (put.ignoreLease ? IGNORE_LEASE : 0), at);
  at = b.writeDoubleBE(put.lease ?? 0, at);
  at = b.writeUInt32BE(put.key.byteLength, at);
  b.set(put.key, at);
  at += put.key.byteLength;
  at = b.writeUInt32BE(value.byteLength, at);
  b.set(value, at);
  return b;
}

/** Decodes what encodeProposal wrote; throws on anything else. */
export function decodeProposal(data: Uint8Array): Proposal {
  if (data[0] !== PUT) return decodeJson<Proposal>(data);
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 1;
  const need = (n: number): void => {
    if (at + n > b.length) throw new Error('proposal: truncated put');
  };
  need(2);
  const ridLen = b.readUInt16BE(at);
  at += 2;
  need(ridLen + 2 + 8 + 4);
  const rid = b.toString('utf8', at, at + ridLen);
  at += ridLen;
  const present = b[at]!;
  const flags = b[at + 1]!;
  const lease = b.readDoubleBE(at + 2);
  at += 10;
  const bytes = (): Uint8Array => {
    need(4);
    const n = b.readUInt32BE(at);
    need(4 + n);
    at += 4 + n;
    // a copy: keys and values end up in watch events, which may wait a long
    // time, and must not keep the entry's message buffer alive
    return new Uint8Array(b.subarray(at - n, at));
  };
  const key = bytes();
  const value = bytes();
  if (at !== b.length) throw new Error('proposal: trailing bytes after a put');
  const put: { -readonly [K in keyof PutRequest]: PutRequest[K] } = { key };
  if (present & VALUE) put.value = value;
  if (present & LEASE) put.lease = lease;
  if (present & PREV_KV) put.prevKv = (flags & PREV_KV) !== 0;
  if (present & IGNORE_VALUE) put.ignoreValue = (flags & IGNORE_VALUE) !== 0;
  if (present & IGNORE_LEASE) put.ignoreLease = (flags & IGNORE_LEASE) !== 0;
  return { rid, body: { put } };
}

/** The put request of a `{ put }` body with a byte-string key, or undefined. */
function putOf(body: unknown): PutRequest | undefined {
  if (typeof body !== 'object' || body === null || Object.keys(body).length !== 1) return undefined;
  const put = (body as { put?: PutRequest }).put;
  if (put === undefined || !(put.key instanceof Uint8Array)) return undefined;
  if (put.value !== undefined && !(put.value instanceof Uint8Array)) return undefined;
  if (put.lease !== undefined && !Number.isSafeInteger(put.lease)) return undefined;
  return put;
}
