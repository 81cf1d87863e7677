import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { describe, it } from 'node:test';
import { fixAuthority, huffmanDecode, huffmanEncode, isAuthorityChar, sanitizeSymbols } from './authority.js';
import { encodeFrame } from './framing.js';
import { serve, toyHandlers } from './testing/fixtures.js';

const chars = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const text = (symbols: readonly number[]): string => Buffer.from(symbols).toString('latin1');

/** An HPACK block: ":authority" (literal with incremental indexing, static name 1) then ":path: /" (indexed 4). */
function block(value: string, huffman: boolean): Buffer {
  const body = huffman ? Buffer.from(huffmanEncode(chars(value))) : Buffer.from(value, 'latin1');
  assert.ok(body.length < 127);
  return Buffer.from([0x41, (huffman ? 0x80 : 0) | body.length, ...body, 0x84]);
}

function authorityOf(b: Buffer): string {
  const huffman = (b[1]! & 0x80) !== 0;
  const raw = b.subarray(2, 2 + (b[1]! & 0x7f));
  return huffman ? text(huffmanDecode(raw)!) : raw.toString('latin1');
}

describe(':authority repair (HPACK)', () => {
  it('Huffman-codes as RFC 7541 C.4.1 says, and decodes every symbol back', () => {
    assert.equal(Buffer.from(huffmanEncode(chars('www.example.com'))).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    const all = [...Array(256).keys()];
    assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
    assert.equal(huffmanDecode(Buffer.from([0x00])), undefined); // padding must be ones
  });

  it('keeps character count and code bits, changing only invalid characters when it can', () => {
    const fixed = sanitizeSymbols(chars('http://127.0.0.1:2379'))!;
    assert.equal(text(fixed), 'http:--127.0.0.1:2379');
    const initially = sanitizeSymbols(chars('#initially=[https://10.0.0.1:2379]'))!;
    assert.ok(initially.every(isAuthorityChar));
    assert.equal(initially.length, 34);
    assert.equal(huffmanEncode(initially).length, huffmanEncode(chars('#initially=[https://10.0.0.1:2379]')).length);
  });

  it('rewrites a Huffman or raw :authority literal in place, same length, other fields untouched', () => {
    for (const huffman of [true, false]) {
      for (const value of ['http://127.0.0.1:2379', '#initially=[https://a:2379;https://b:2379]', 'user@host:1', 'ok.example:443']) {
        const b = block(value, huffman);
        const before = Buffer.from(b);
        fixAuthority(b);
        assert.equal(b.length, before.length);
        const after = authorityOf(b);
        assert.equal(after.length, value.length);
        assert.ok(chars(after).every(isAuthorityChar), `${value} → ${after}`);
        if (chars(value).every(isAuthorityChar)) assert.deepEqual(b, before);
        assert.equal(b[b.length - 1], 0x84);
      }
    }
  });

  it('leaves blocks that do not parse alone', () => {
    const broken = Buffer.from([0x41, 0x85, 0x01]);
    fixAuthority(broken);
    assert.deepEqual(broken, Buffer.from([0x41, 0x85, 0x01]));
  });

  it('lets a call with "#initially=[...]" through (and nghttp2 alone would reset it)', async () => {
    for (const fix of [true, false]) {
      const served = await serve(toyHandlers(), { fixAuthority: fix });
      const session = http2.connect(`http://127.0.0.1:${served.port}`);
      const outcome = await new Promise<string>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.Maintenance/Status', ':authority': '#initially=[http://127.0.0.1:2379]', 'content-type': 'application/grpc' });
        stream.on('response', (headers) => resolve(`status ${String(headers[':status'])}`));
        stream.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
        stream.on('close', () => resolve(`closed ${stream.rstCode}`));
        stream.end(encodeFrame(new Uint8Array(0)));
      });
      session.destroy();
      await served.close();
      assert.equal(outcome, fix ? 'status 200' : 'ERR_HTTP2_STREAM_ERROR');
    }
  });
});
