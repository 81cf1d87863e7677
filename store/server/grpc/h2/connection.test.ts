import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeFrame } from '../framing.js';
import { Handlers } from '../handlers.js';
import { type Served, serve, toyHandlers } from '../testing/fixtures.js';
import { Duplex } from 'node:stream';
import { H2Connection, PREFACE } from './connection.js';
import { encodeHeaders } from './hpack.js';

/** Sends raw bytes after the preface; resolves with the frames' (type, error code of GOAWAY) until the server closes. */
function raw(port: number, bytes: Buffer): Promise<{ type: number; code?: number }[]> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([PREFACE, bytes])));
    let got = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => (got = Buffer.concat([got, c])));
    socket.on('error', () => {});
    socket.on('close', () => {
      const frames: { type: number; code?: number }[] = [];
      for (let pos = 0; pos + 9 <= got.length; ) {
        const length = got.readUIntBE(pos, 3);
        const type = got[pos + 3]!;
        frames.push(type === 7 ? { type, code: got.readUInt32BE(pos + 13) } : { type });
        pos += 9 + length;
      }
      resolve(frames);
    });
  });
}

function frame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(id, 5);
  return Buffer.concat([h, payload]);
}

describe('HTTP/2 server side (h2/connection.ts)', () => {
  let served: Served;
  before(async () => {
    const h = toyHandlers();
    // 4 MiB in 64 KiB messages, more than any window the client opens
    h.serverStream('/etcdserverpb.Maintenance/Snapshot', async (_req, call) => {
      for (let i = 0; i < 64; i++) await call.send({ remainingBytes: 63 - i, blob: new Uint8Array(65_536).fill(i) });
    });
    served = await serve(h);
  });
  after(() => served.close());

  it('takes the :authority values etcd clients send (a URL, "#initially=[...]")', async () => {
    for (const authority of ['#initially=[http://127.0.0.1:2379]', 'http://127.0.0.1:2379']) {
      const session = http2.connect(`http://127.0.0.1:${served.port}`);
      const status = await new Promise<string>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.Maintenance/Status', ':authority': authority, 'content-type': 'application/grpc' });
        stream.on('response', (headers) => resolve(String(headers[':status'])));
        stream.on('error', (err: Error) => resolve(err.message));
        stream.end(encodeFrame(new Uint8Array(0)));
      });
      session.destroy();
      assert.equal(status, '200', authority);
    }
  });

  it('streams more than the client\'s windows allow at once, waiting for its WINDOW_UPDATEs; answers PING', async () => {
    const session = http2.connect(`http://127.0.0.1:${served.port}`, { settings: { initialWindowSize: 16_384 } });
    await new Promise((resolve) => session.once('connect', resolve));
    const pingMs = await new Promise<number>((resolve, reject) => session.ping((err, ms) => (err ? reject(err) : resolve(ms))));
    assert.ok(pingMs >= 0);
    const { bytes, trailers } = await new Promise<{ bytes: number; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.Maintenance/Snapshot', 'content-type': 'application/grpc' });
      let bytes = 0;
      stream.on('data', (c: Buffer) => (bytes += c.length));
      stream.on('trailers', (t) => resolve({ bytes, trailers: t }));
      stream.on('error', reject);
      stream.end(encodeFrame(new Uint8Array(0)));
    });
    session.destroy();
    assert.equal(trailers['grpc-status'], '0');
    assert.ok(bytes > 64 * 65_536, `${bytes} bytes`);
  });

  it('ends the connection with GOAWAY on a protocol error: PROTOCOL_ERROR, COMPRESSION_ERROR, FRAME_SIZE_ERROR', async () => {
    const settings = frame(4, 0, 0, Buffer.alloc(0));
    const cases: [string, Buffer, number][] = [
      ['DATA on stream 0', frame(0, 0, 0, Buffer.from('x')), 1],
      ['a header block that is not HPACK', frame(1, 0x5, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 9],
      ['a frame larger than 16 KiB', frame(0, 0, 1, Buffer.alloc(20_000)), 6],
      ['HEADERS on an even stream', frame(1, 0x5, 2, Buffer.from([0x83, 0x84])), 1],
      // a 4 KB field indexed, then referred to 300 times: a 4 KB block that would expand to 1.2 MB
      ['a header list that expands past 1 MiB', frame(1, 0x5, 1, Buffer.concat([Buffer.from([0x40, 0x01, 0x78, 0x7f, 0xa1, 0x1e]), Buffer.alloc(4000, 0x61), Buffer.alloc(300, 0xbe)])), 9],
      ['empty CONTINUATION frames without end', Buffer.concat([frame(1, 0x1, 1, Buffer.from([0x83])), ...Array.from({ length: 30_000 }, () => frame(9, 0, 1, Buffer.alloc(0)))]), 1],
    ];
    for (const [name, bytes, code] of cases) {
      const frames = await raw(served.port, Buffer.concat([settings, bytes]));
      assert.deepEqual(frames.at(-1), { type: 7, code }, name);
    }
  });

  it('resets a stream whose headers its handler cannot take, and serves the next', async () => {
    // GET /x with a header value HTTP/1.1 forbids (a control character): the gateway bridge refuses it
    const bad = Buffer.from([0x82, 0x84, 0x86, 0x00, 0x01, 0x78, 0x01, 0x01]);
    const frames = await new Promise<number[]>((resolve) => {
      const socket = net.connect(served.port, '127.0.0.1', () => socket.write(Buffer.concat([PREFACE, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x5, 1, bad)])));
      const types: number[] = [];
      socket.on('data', (c: Buffer) => {
        for (let pos = 0; pos + 9 <= c.length; pos += 9 + c.readUIntBE(pos, 3)) types.push(c[pos + 3]!);
        if (types.includes(3)) {
          socket.destroy();
          resolve(types);
        }
      });
    });
    assert.ok(frames.includes(3), 'RST_STREAM');
    assert.ok(!frames.includes(7), 'no GOAWAY: the connection lives on');
  });

  it('credits a stream\'s window as its handler reads: one that does not read stops the client at 1 MiB', async () => {
    const h = new Handlers();
    let got = 0;
    h.bidi('/etcdserverpb.Watch/Watch', async (_requests, call) => {
      got++;
      await new Promise((resolve) => call.signal.addEventListener('abort', resolve)); // never reads
    });
    const s = await serve(h);
    const headers = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.Watch/Watch'], [':authority', 'x'], ['content-type', 'application/grpc']]);
    const message = Buffer.alloc(16_384); // one gRPC message of 16379 bytes per DATA frame
    message.writeUInt32BE(16_379, 1);
    const frames: { type: number; id: number; code: number }[] = [];
    await new Promise<void>((resolve) => {
      const socket = net.connect(s.port, '127.0.0.1', () => {
        const data = Array.from({ length: 65 }, () => frame(0, 0, 1, message)); // 64 fill the 1 MiB window
        socket.write(Buffer.concat([PREFACE, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x4, 1, headers), ...data]));
      });
      let buf = Buffer.alloc(0);
      socket.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        for (let pos = 0; pos + 9 <= buf.length && pos + 9 + buf.readUIntBE(pos, 3) <= buf.length; pos += 9 + buf.readUIntBE(pos, 3)) {
          const f = { type: buf[pos + 3]!, id: buf.readUInt32BE(pos + 5), code: buf.readUIntBE(pos, 3) >= 4 ? buf.readUInt32BE(pos + 9) : -1 };
          if (!frames.some((g) => g.type === f.type && g.id === f.id && g.code === f.code)) frames.push(f);
        }
        if (frames.some((f) => f.type === 3)) {
          socket.destroy();
          resolve();
        }
      });
    });
    await s.close();
    assert.equal(got, 1);
    assert.deepEqual(frames.filter((f) => f.id === 1), [{ type: 3, id: 1, code: 3 }], 'no WINDOW_UPDATE for the stream; the 65th frame overran it: FLOW_CONTROL_ERROR');
  });

  it('takes a request larger than a stream\'s window (credited as the message is assembled)', async () => {
    const h = new Handlers();
    h.unary('/etcdserverpb.KV/Put', (req: { value?: Uint8Array }) => ({ header: { revision: req.value?.length ?? 0 } }));
    const s = await serve(h);
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    const codec = h.codec;
    const method = codec.method('/etcdserverpb.KV/Put')!;
    const body = encodeFrame(codec.encode(method.request, { key: Buffer.from('k'), value: Buffer.alloc(1_900_000, 1) }));
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.KV/Put', 'content-type': 'application/grpc' });
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => resolve(Buffer.concat(parts)));
      stream.on('error', reject);
      stream.end(body);
    });
    session.destroy();
    await s.close();
    const decoded = codec.decode(method.response, reply.subarray(5)) as { header: { revision: number } };
    assert.equal(decoded.header.revision, 1_900_000);
  });

  it('stops sending, and reading, while the socket holds over 1 MiB unsent (a client that does not read)', async () => {
    const sink = new Duplex({ read() {}, write() {} }); // takes bytes and never finishes writing them
    let accepted = 0;
    const conn = new H2Connection(sink, (stream) => {
      stream.respond([[':status', '200']]);
      for (let i = 0; i < 100 && stream.write(Buffer.alloc(65_536)); i++) accepted++;
    });
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(0x4, 0);
    settings.writeUInt32BE(2 ** 31 - 1, 2); // windows as large as HTTP/2 allows
    const update = Buffer.alloc(4);
    update.writeUInt32BE(2 ** 31 - 1 - 65_535, 0);
    const headers = encodeHeaders([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']]);
    sink.push(Buffer.concat([PREFACE, frame(4, 0, 0, settings), frame(8, 0, 0, update), frame(1, 0x5, 1, headers)]));
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(accepted >= 15 && accepted <= 18, `${accepted} writes of 64 KiB accepted: about 1 MiB to the socket, 64 KiB queued`);
    assert.ok(sink.writableLength < 1.2 * 2 ** 20, `${sink.writableLength} bytes in the socket`);
    assert.equal(sink.isPaused(), true, 'reading stops until the socket drains');
    assert.equal(conn.streams, 1);
    conn.destroy();
  });

  it('refuses a connection that does not start with the preface', async () => {
    const closed = await new Promise<string>((resolve) => {
      const socket = net.connect(served.port, '127.0.0.1', () => socket.write('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'));
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => resolve('closed'));
    });
    assert.equal(closed, 'closed');
  });

  it('serves gRPC and plain HTTP/2 requests on one connection (the latter through the HTTP/1.1 bridge)', async () => {
    const h = new Handlers();
    const s = await serve(h);
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    const ask = (headers: http2.OutgoingHttpHeaders): Promise<string> =>
      new Promise((resolve) => {
        const stream = session.request(headers);
        stream.on('response', (r) => resolve(String(r[':status'])));
        stream.end();
      });
    assert.equal(await ask({ ':method': 'GET', ':path': '/version' }), '404');
    assert.equal(await ask({ ':method': 'GET', ':path': '/x', 'content-type': 'application/grpc' }), '405');
    session.destroy();
    await s.close();
  });
});
