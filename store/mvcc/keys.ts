/**
 * Byte keys and key spans. Keys compare byte-wise (memcmp, then length), in
 * JS and in SQLite alike, because SQLite compares BLOBs that way and every
 * key is bound as a BLOB.
 */
import type { KeyValue } from './types.js';

/** An empty byte string (shared; never written to). */
export const EMPTY = new Uint8Array(0);

/**
 * What a request's (key, rangeEnd) selects, with etcd's conventions: no or an
 * empty rangeEnd is the single key, rangeEnd "\0" is every key >= key, anything
 * else is [key, rangeEnd) (empty when rangeEnd <= key).
 */
export type KeySpan =
  | { readonly kind: 'key'; readonly key: Buffer }
  | { readonly kind: 'range'; readonly key: Buffer; readonly end: Buffer }
  | { readonly kind: 'from'; readonly key: Buffer };

/** A Buffer view of `b` (no copy), for binding as a BLOB and for Buffer.compare. */
export function buf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A plain Uint8Array view of a Buffer (no copy), so results compare equal to plain arrays. */
export function bytes(b: Buffer): Uint8Array {
  return b.byteLength === 0 ? EMPTY : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Byte-wise comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(buf(a), buf(b));
}

/** The span a (key, rangeEnd) pair selects; see {@link KeySpan}. */
export function keySpan(key: Uint8Array, rangeEnd?: Uint8Array): KeySpan {
  if (rangeEnd === undefined || rangeEnd.byteLength === 0) return { kind: 'key', key: buf(key) };
  if (rangeEnd.byteLength === 1 && rangeEnd[0] === 0) return { kind: 'from', key: buf(key) };
  return { kind: 'range', key: buf(key), end: buf(rangeEnd) };
}

/** Whether `key` lies in `span`. */
export function spanContains(span: KeySpan, key: Uint8Array): boolean {
  const c = compareBytes(key, span.key);
  switch (span.kind) {
    case 'key':
      return c === 0;
    case 'from':
      return c >= 0;
    case 'range':
      return c >= 0 && compareBytes(key, span.end) < 0;
  }
}

/** A string with one char per byte, usable as a Map key (latin1 round-trips every byte). */
export function keyString(key: Uint8Array): string {
  return buf(key).toString('latin1');
}

/** The tombstone KeyValue etcd puts in a delete event: only the key and the deletion's revision. */
export function tombstone(key: Uint8Array, revision: number): KeyValue {
  return { key, createRevision: 0, modRevision: revision, version: 0, value: EMPTY, lease: 0 };
}
