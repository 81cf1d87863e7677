/**
 * JSON with bytes attached: the structure as JSON, in which each Uint8Array
 * is a placeholder {"$b": n}, followed by the byte strings themselves, raw.
 * Used for proposals in the Raft log and for requests between members.
 *
 *   0x01 | u32 JSON length | JSON (UTF-8) | for each byte string: u32 length | bytes
 *
 * Raw bytes rather than base64 inside the JSON: a 1 KiB value stays 1 KiB in
 * the log, on the wire and on every member's disk, and costs no base64 work.
 * decodeJson also reads the older form, plain JSON with {"$b": "<base64>"}.
 */

const TAG = 0x01;

/** Encodes a value whose leaves may be Uint8Arrays (undefined properties are left out, as JSON does). */
export function encodeJson(v: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  const json = Buffer.from(JSON.stringify(strip(v, blobs)) ?? 'null');
  let size = 5 + json.length;
  for (const b of blobs) size += 4 + b.byteLength;
  const out = Buffer.allocUnsafe(size);
  out[0] = TAG;
  out.writeUInt32BE(json.length, 1);
  json.copy(out, 5);
  let at = 5 + json.length;
  for (const b of blobs) {
    out.writeUInt32BE(b.byteLength, at);
    out.set(b, at + 4);
    at += 4 + b.byteLength;
  }
  return out;
}

/** Decodes what encodeJson wrote; throws on anything else. */
export function decodeJson<T>(data: Uint8Array): T {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf[0] !== TAG) return decodeLegacy(buf);
  if (buf.length < 5) throw new Error('jsoncodec: truncated header');
  const jsonEnd = 5 + buf.readUInt32BE(1);
  if (jsonEnd > buf.length) throw new Error('jsoncodec: truncated JSON');
  const blobs: Uint8Array[] = [];
  for (let at = jsonEnd; at < buf.length; ) {
    if (at + 4 > buf.length) throw new Error('jsoncodec: truncated length');
    const end = at + 4 + buf.readUInt32BE(at);
    if (end > buf.length) throw new Error('jsoncodec: truncated bytes');
    blobs.push(new Uint8Array(buf.subarray(at + 4, end))); // a copy: never keep a whole frame alive
    at = end;
  }
  return restore(JSON.parse(buf.toString('utf8', 5, jsonEnd)), blobs) as T;
}

/** `v` with each Uint8Array replaced by a placeholder, the arrays collected in `blobs`. */
function strip(v: unknown, blobs: Uint8Array[]): unknown {
  if (v instanceof Uint8Array) {
    blobs.push(v);
    return { $b: blobs.length - 1 };
  }
  if (Array.isArray(v)) return v.map((x) => strip(x, blobs));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = strip(x, blobs);
    }
    return o;
  }
  return v;
}

/** `v` with each placeholder replaced by its byte string. */
function restore(v: unknown, blobs: readonly Uint8Array[]): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = restore(v[i], blobs);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const n = o.$b;
    if (typeof n === 'number') {
      const b = blobs[n];
      if (b === undefined) throw new Error(`jsoncodec: no byte string ${n}`);
      return b;
    }
    for (const k in o) o[k] = restore(o[k], blobs);
  }
  return v;
}

/** The older encoding: plain JSON with {"$b": "<base64>"} for bytes. */
function decodeLegacy<T>(buf: Buffer): T {
  return JSON.parse(buf.toString('utf8'), (_k, x: unknown) => {
    if (x !== null && typeof x === 'object' && '$b' in x && typeof (x as { $b: unknown }).$b === 'string') {
      return new Uint8Array(Buffer.from((x as { $b: string }).$b, 'base64'));
    }
    return x;
  }) as T;
}
