/**
 * JSON with bytes: Uint8Array values travel as {"$b": "<base64>"}. Used for
 * proposals in the Raft log and for requests between members.
 */

/** Encodes a value whose leaves may be Uint8Arrays. */
export function encodeJson(v: unknown): Uint8Array {
  return Buffer.from(
    JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
      // look at the holder's own value: a Buffer's toJSON has already run on `x`
      const orig = this[k];
      return orig instanceof Uint8Array ? { $b: Buffer.from(orig.buffer, orig.byteOffset, orig.byteLength).toString('base64') } : x;
    }),
  );
}

/** Decodes what encodeJson wrote. */
export function decodeJson<T>(data: Uint8Array): T {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'), (_k, x: unknown) => {
    if (x !== null && typeof x === 'object' && '$b' in x && typeof (x as { $b: unknown }).$b === 'string') {
      return new Uint8Array(Buffer.from((x as { $b: string }).$b, 'base64'));
    }
    return x;
  }) as T;
}
