/**
 * etcd's HashKV, byte for byte: a CRC-32C (Castagnoli) over the bucket name
 * "key" and then, for each history row in (rev, sub) order, etcd's 17-byte
 * revision key (8-byte big-endian main, '_', 8-byte big-endian sub, plus 't'
 * for a tombstone) and the row's mvccpb.KeyValue in protobuf encoding. So a
 * kubeling member and an etcd member with the same history report the same
 * hash, and members of one cluster can be compared with `etcdctl endpoint hashkv`.
 */
import type { ValueRow } from './schema.js';

/** CRC-32C lookup tables for slicing-by-8: TABLE[k * 256 + b] is byte b's contribution k bytes earlier. */
const TABLE = (() => {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) t[k * 256 + i] = (t[(k - 1) * 256 + i]! >>> 8) ^ t[t[(k - 1) * 256 + i]! & 0xff]!;
  }
  return t;
})();

/** An incremental CRC-32C. */
export class Crc32c {
  /** The running register (inverted). */
  #crc = ~0;

  /** Adds `data`. */
  update(data: Uint8Array): this {
    const t = TABLE;
    let c = this.#crc;
    let i = 0;
    for (const end8 = data.length - 8; i <= end8; i += 8) {
      c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      c =
        t[7 * 256 + (c & 0xff)]! ^
        t[6 * 256 + ((c >>> 8) & 0xff)]! ^
        t[5 * 256 + ((c >>> 16) & 0xff)]! ^
        t[4 * 256 + (c >>> 24)]! ^
        t[3 * 256 + data[i + 4]!]! ^
        t[2 * 256 + data[i + 5]!]! ^
        t[256 + data[i + 6]!]! ^
        t[data[i + 7]!]!;
    }
    for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    this.#crc = c;
    return this;
  }

  /** The checksum of everything added so far, as an unsigned 32-bit number. */
  digest(): number {
    return ~this.#crc >>> 0;
  }
}

/** Protobuf's varint encoding of a non-negative safe integer (negative int64s take ten bytes). */
function varint(out: number[], n: number): void {
  if (n < 0) {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return;
  }
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/**
 * Emits the row's mvccpb.KeyValue as gogo/protobuf marshals it (fields in
 * order, zero values omitted), in chunks: the key and value bytes are passed
 * through uncopied.
 */
function encodeKeyValue(r: ValueRow, emit: (chunk: Uint8Array) => void): void {
  const head: number[] = [];
  const bytesField = (tag: number, b: Uint8Array): void => {
    if (b.length === 0) return;
    head.push(tag);
    varint(head, b.length);
    emit(Uint8Array.from(head));
    head.length = 0;
    emit(b);
  };
  const intField = (tag: number, n: number): void => {
    if (n === 0) return;
    head.push(tag);
    varint(head, n);
  };
  bytesField(0x0a, r.key);
  intField(0x10, r.create_rev);
  intField(0x18, r.mod_rev);
  intField(0x20, r.version);
  if (head.length > 0) emit(Uint8Array.from(head));
  head.length = 0;
  bytesField(0x2a, r.value);
  intField(0x30, r.lease);
  if (head.length > 0) emit(Uint8Array.from(head));
}

/** The row's mvccpb.KeyValue in protobuf encoding. */
export function marshalKeyValue(r: ValueRow): Uint8Array {
  const chunks: Uint8Array[] = [];
  encodeKeyValue(r, (c) => chunks.push(c));
  return Buffer.concat(chunks);
}

/** etcd's revision key of a history row. */
export function revisionKey(rev: number, sub: number, isTombstone: boolean): Uint8Array {
  const b = Buffer.alloc(isTombstone ? 18 : 17);
  b.writeBigUInt64BE(BigInt(rev), 0);
  b[8] = 0x5f; // '_'
  b.writeBigUInt64BE(BigInt(sub), 9);
  if (isTombstone) b[17] = 0x74; // 't'
  return b;
}

/**
 * Hashes history rows (in (rev, sub) order) as etcd's HashByRev does. `skip`
 * says which rows etcd leaves out: those at or below the compact revision that
 * a compaction at the hashed revision would remove.
 */
export function hashHistory<R extends ValueRow>(rows: Iterable<R>, skip: (r: R) => boolean): number {
  const h = new Crc32c().update(Buffer.from('key'));
  for (const r of rows) {
    if (skip(r)) continue;
    h.update(revisionKey(r.mod_rev, r.sub, r.version === 0));
    encodeKeyValue(r.version === 0 ? { ...r, create_rev: 0, mod_rev: 0, lease: 0 } : r, (c) => h.update(c));
  }
  return h.digest();
}
