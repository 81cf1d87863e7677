import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJson, encodeJson } from './jsoncodec.js';

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

describe('jsoncodec', () => {
  it('round-trips structures with byte strings anywhere, raw rather than base64', () => {
    const value = new Uint8Array(1024).fill(7);
    const v = {
      rid: 'm1r2',
      body: { txn: { compare: [{ key: bytes(1, 2), value: bytes() }], success: [{ requestPut: { key: bytes(0, 255), value } }] } },
      list: [bytes(9), 'x', 3, null, true],
    };
    const enc = encodeJson(v);
    assert.ok(enc.byteLength < 1024 + 300, `encoded in ${enc.byteLength} bytes`);
    assert.deepEqual(decodeJson(enc), v);
  });

  it('leaves out undefined properties, as JSON does', () => {
    assert.deepEqual(decodeJson(encodeJson({ a: 1, b: undefined, c: { d: undefined } })), { a: 1, c: {} });
  });

  it('decodes byte strings as copies, not views of the frame', () => {
    const enc = encodeJson({ k: bytes(1, 2, 3) });
    const out = decodeJson<{ k: Uint8Array }>(enc);
    assert.equal(out.k.byteOffset, 0);
    assert.equal(out.k.buffer.byteLength, 3);
  });

  it('reads the older form: plain JSON with base64', () => {
    const legacy = Buffer.from(JSON.stringify({ rid: 'r', body: { put: { key: { $b: Buffer.from('k').toString('base64') } } } }));
    assert.deepEqual(decodeJson(legacy), { rid: 'r', body: { put: { key: new Uint8Array(Buffer.from('k')) } } });
  });

  it('refuses truncated input with an error', () => {
    const enc = encodeJson({ k: bytes(1, 2, 3) });
    for (const cut of [3, 8, enc.byteLength - 1]) assert.throws(() => decodeJson(enc.subarray(0, cut)), /jsoncodec: truncated|JSON/);
  });
});
