import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Rand } from '../../raft/rand.js';
import { AuthorityFilter } from './h2-filter.js';
import { HTTP2_PREFACE } from './listener.js';

/** An HTTP/2 frame: 9-byte header and payload. */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** Feeds `input` to a filter in the given chunk sizes; returns what it passed on, piece by piece. */
async function through(input: Buffer, sizes: number[]): Promise<Buffer[]> {
  const socket = new PassThrough();
  const filter = new AuthorityFilter(socket);
  const pieces: Buffer[] = [];
  filter.on('data', (b: Buffer) => pieces.push(Buffer.from(b)));
  const ended = new Promise((r) => filter.once('end', r));
  let at = 0;
  for (const n of sizes) {
    socket.write(input.subarray(at, at + n));
    at += n;
  }
  socket.write(input.subarray(at));
  socket.end();
  await ended;
  return pieces;
}

describe('AuthorityFilter', () => {
  // HEADERS (END_HEADERS) whose block is ":method: POST" (static index 3) and ":authority: a:1" (literal, index 1)
  const headers = frame(1, 0x4, 1, Buffer.from([0x83, 0x41, 0x03, 0x61, 0x3a, 0x31]));
  const input = Buffer.concat([
    HTTP2_PREFACE,
    frame(4, 0, 0, Buffer.alloc(12, 1)), // SETTINGS
    headers,
    frame(0, 0, 1, Buffer.alloc(300, 2)), // DATA
    frame(0, 1, 1, Buffer.alloc(5, 3)), // DATA, END_STREAM
    frame(6, 0, 0, Buffer.alloc(8, 4)), // PING
  ]);

  it('passes every byte through in order, however the input is cut', async () => {
    const rand = new Rand(7);
    for (let trial = 0; trial < 50; trial++) {
      const sizes = Array.from({ length: 1 + rand.int(8) }, () => 1 + rand.int(60));
      const out = await through(input, sizes);
      assert.ok(Buffer.concat(out).equals(input), `cut at ${sizes.join(',')}`);
    }
  });

  it('repairs an :authority nghttp2 would refuse, in place, even in a header block cut into pieces', async () => {
    const block = Buffer.concat([Buffer.from([0x83, 0x41, 10]), Buffer.from('http://a:1', 'latin1')]);
    const bad = Buffer.concat([HTTP2_PREFACE, frame(1, 0x4, 1, block), frame(0, 1, 1, Buffer.alloc(3))]);
    const out = Buffer.concat(await through(bad, [30, 2, 3]));
    assert.equal(out.length, bad.length);
    const authority = out.subarray(HTTP2_PREFACE.length + 9 + 3, HTTP2_PREFACE.length + 9 + 13).toString('latin1');
    assert.doesNotMatch(authority, /\//, authority);
    assert.ok(out.subarray(HTTP2_PREFACE.length + 9 + 13).equals(bad.subarray(HTTP2_PREFACE.length + 9 + 13)), 'the rest passes unchanged');
  });
});
