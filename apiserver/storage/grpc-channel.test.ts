import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initPki } from '../../store/server/pki.js';
import { TestCluster, freePort, pkiFiles } from '../../test/cluster.js';
import { until } from '../../test/proc.js';
import { Code, isChannelError, type ChannelError } from './channel.js';
import { EtcdStore, tlsFromFiles } from './etcd.js';
import { GrpcChannel } from './grpc-channel.js';

const framed = (...messages: string[]): Buffer =>
  Buffer.concat(
    messages.map((m) => {
      const b = Buffer.from(m);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(b.length, 1);
      return Buffer.concat([head, b]);
    }),
  );

/** Calls `each` with every framed message the client sends on `stream`, however its DATA frames split them. */
function messages(stream: ServerHttp2Stream, each: (text: string) => void): void {
  let buf = Buffer.alloc(0);
  stream.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
      const n = buf.readUInt32BE(1);
      each(buf.subarray(5, 5 + n).toString());
      buf = buf.subarray(5 + n);
    }
  });
}

const failure = async (p: Promise<unknown>): Promise<ChannelError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(isChannelError(e), `a ChannelError, not ${String(e)}`);
    return e;
  }
  assert.fail('the call succeeded');
};

/** An HTTP/2 server on loopback whose answer per path the test writes. */
async function serve(answer: (path: string, stream: ServerHttp2Stream) => void): Promise<{ server: Http2Server; url: string; resets: number[] }> {
  const resets: number[] = [];
  const server = createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.on('close', () => {
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) resets.push(stream.rstCode);
    });
    answer(String(headers[':path']), stream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, resets };
}

const OK_TRAILERS = { 'grpc-status': '0' };

describe('GrpcChannel (gRPC over node:http2)', () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  let ch: GrpcChannel;
  /** Requests the server saw, by path: the bytes of the request side. */
  const seen = new Map<string, Buffer>();

  before(async () => {
    srv = await serve((path, stream) => {
      const body: Buffer[] = [];
      stream.on('data', (c: Buffer) => body.push(c));
      stream.on('end', () => seen.set(path, Buffer.concat(body)));
      const ok = (): void => stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      switch (path) {
        case '/echo/Split': {
          // the answer split across DATA frames, inside the length prefix and the message
          ok();
          stream.on('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
          stream.on('end', () => {
            const all = framed(`echo:${Buffer.concat(body).subarray(5).toString()}`);
            stream.write(all.subarray(0, 3));
            setImmediate(() => {
              stream.write(all.subarray(3, 9));
              setImmediate(() => stream.end(all.subarray(9)));
            });
          });
          return;
        }
        case '/big/Range': {
          // 24 MiB in 16 KiB writes: past the stream's and the connection's windows
          ok();
          stream.on('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
          const all = framed('x'.repeat(24 << 20));
          let at = 0;
          const more = (): void => {
            while (at < all.length) {
              const piece = all.subarray(at, (at += 16 << 10));
              if (at >= all.length) return void stream.end(piece);
              if (!stream.write(piece)) return void stream.once('drain', more);
            }
          };
          more();
          return;
        }
        case '/err/TrailersOnly':
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '9', 'grpc-message': 'etcdserver: 100%25 sure%2C not ready' }, { endStream: true });
          return;
        case '/err/NotGrpc':
          stream.respond({ ':status': 404, 'content-type': 'text/plain' });
          stream.end('no such thing');
          return;
        case '/err/Two':
          ok();
          stream.on('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
          stream.end(framed('one', 'two'));
          return;
        case '/err/Silent':
          return; // never answers
        case '/err/Refused':
          stream.close(constants.NGHTTP2_REFUSED_STREAM);
          return;
        case '/err/Drop':
          ok();
          stream.write(framed('half'));
          setImmediate(() => stream.session?.destroy());
          return;
        case '/bidi/Echo':
          ok();
          stream.on('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
          messages(stream, (text) => {
            if (text === 'bye') stream.end();
            else stream.write(framed(`re:${text}`));
          });
          return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' }, { endStream: true });
    });
    ch = new GrpcChannel(srv.url);
  });
  after(() => {
    ch.close();
    srv.server.close();
  });

  it('frames the request and takes an answer split across DATA frames', async () => {
    const res = await ch.unary('/echo/Split', Buffer.from('hello'), Date.now() + 5000);
    assert.equal(Buffer.from(res).toString(), 'echo:hello');
    assert.deepEqual([...seen.get('/echo/Split')!], [0, 0, 0, 0, 5, ...Buffer.from('hello')]);
  });

  it('takes a message of many MiB in thousands of chunks', async () => {
    const res = await ch.unary('/big/Range', Buffer.from('x'), Date.now() + 30_000);
    assert.equal(res.byteLength, 24 << 20);
    assert.ok(Buffer.from(res).every((b) => b === 0x78));
  });

  it("a trailers-only error is the server's code and decoded message, worded as grpc-js", async () => {
    const e = await failure(ch.unary('/err/TrailersOnly', Buffer.from('x'), Date.now() + 5000));
    assert.equal(e.code, 9);
    assert.equal(e.details, 'etcdserver: 100% sure, not ready');
    assert.equal(e.message, '9 FAILED_PRECONDITION: etcdserver: 100% sure, not ready');
  });

  it("an answer that is not gRPC's maps its HTTP status (404: UNIMPLEMENTED)", async () => {
    const e = await failure(ch.unary('/err/NotGrpc', Buffer.from('x'), Date.now() + 5000));
    assert.equal(e.code, 12);
    assert.match(e.message, /^12 UNIMPLEMENTED: .*404/);
  });

  it('two answers to a unary call are an error', async () => {
    assert.equal((await failure(ch.unary('/err/Two', Buffer.from('x'), Date.now() + 5000))).code, Code.UNKNOWN);
  });

  it('a call past its deadline is DEADLINE_EXCEEDED, and the server sees it cancelled', async () => {
    const before = srv.resets.length;
    const e = await failure(ch.unary('/err/Silent', Buffer.from('x'), Date.now() + 200));
    assert.equal(e.code, Code.DEADLINE_EXCEEDED);
    await until('the server to see the reset', () => (srv.resets.slice(before).includes(constants.NGHTTP2_CANCEL) ? true : undefined));
    assert.equal((await failure(ch.unary('/echo/Split', Buffer.from('x'), Date.now() - 1))).code, Code.DEADLINE_EXCEEDED, 'a deadline already past');
  });

  it('a stream the server refused is UNAVAILABLE and unsent (it may be sent again)', async () => {
    const e = await failure(ch.unary('/err/Refused', Buffer.from('x'), Date.now() + 5000));
    assert.deepEqual([e.code, e.details, e.unsent], [Code.UNAVAILABLE, 'Stream refused by server', true]);
  });

  it('a connection lost in the middle of a call is UNAVAILABLE; the next call reconnects', async () => {
    const e = await failure(ch.unary('/err/Drop', Buffer.from('x'), Date.now() + 5000));
    assert.equal(e.code, Code.UNAVAILABLE);
    assert.equal(e.unsent, undefined, 'the server had the call: it may have been applied');
    assert.equal(Buffer.from(await ch.unary('/echo/Split', Buffer.from('again'), Date.now() + 5000)).toString(), 'echo:again');
  });

  it('a stream delivers its messages in order, then ends with OK; its listener is never called from inside write()', async () => {
    const got: string[] = [];
    let inside = false;
    const ended = new Promise<string>((resolve) => {
      const s = ch.bidi('/bidi/Echo', {
        data: (m) => {
          assert.equal(inside, false);
          got.push(Buffer.from(m).toString());
          if (got.length === 2) {
            inside = true;
            s.write(Buffer.from('bye'));
            inside = false;
          }
        },
        error: (e) => resolve(`error ${e.message}`),
        end: () => resolve('end'),
      });
      s.write(Buffer.from('a'));
      s.write(Buffer.from('b'));
    });
    assert.equal(await ended, 'end');
    assert.deepEqual(got, ['re:a', 're:b']);
  });

  it('cancel() reports CANCELLED in a later turn, once, and resets the stream', async () => {
    const before = srv.resets.length;
    const events: string[] = [];
    let done!: () => void;
    const over = new Promise<void>((r) => (done = r));
    const s = ch.bidi('/bidi/Echo', {
      data: (m) => {
        events.push(`data ${Buffer.from(m).toString()}`);
        s.cancel();
        events.push('cancel returned');
        s.cancel();
      },
      error: (e) => {
        events.push(`error ${e.code}`);
        done();
      },
      end: () => events.push('end'),
    });
    s.write(Buffer.from('a'));
    await over;
    s.write(Buffer.from('ignored'));
    assert.deepEqual(events, ['data re:a', 'cancel returned', `error ${Code.CANCELLED}`]);
    await until('the server to see the reset', () => (srv.resets.slice(before).includes(constants.NGHTTP2_CANCEL) ? true : undefined));
  });

  it('close() ends the calls in progress with CANCELLED; later calls fail UNAVAILABLE', async () => {
    const c = new GrpcChannel(srv.url);
    const ended = new Promise<number>((resolve) => {
      c.bidi('/bidi/Echo', { data: () => {}, error: (e) => resolve(e.code), end: () => resolve(-1) });
    });
    const pending = failure(c.unary('/err/Silent', Buffer.from('x'), Date.now() + 60_000));
    c.close();
    assert.equal(await ended, Code.CANCELLED);
    assert.equal((await pending).code, Code.CANCELLED);
    assert.equal((await failure(c.unary('/echo/Split', Buffer.from('x'), Date.now() + 5000))).code, Code.UNAVAILABLE);
  });
});

describe('GrpcChannel connecting', () => {
  it('nothing listening: UNAVAILABLE, naming the connection error; once a server is there, it connects (after its backoff)', async () => {
    const port = await freePort();
    const c = new GrpcChannel(`http://127.0.0.1:${port}`);
    try {
      const first = await failure(c.unary('/echo/Split', Buffer.from('x'), Date.now() + 10_000));
      assert.equal(first.code, Code.UNAVAILABLE);
      assert.match(first.details, /No connection established.*ECONNREFUSED/);
      assert.equal(first.unsent, true, 'nothing was sent: safe to send again');
      const backingOff = await failure(c.unary('/echo/Split', Buffer.from('x'), Date.now() + 10_000));
      assert.deepEqual([backingOff.code, backingOff.unsent], [Code.UNAVAILABLE, true]);
      const server = createServer();
      server.on('stream', (stream) => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
        stream.end(framed('up'));
      });
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      try {
        const answer = await until('the channel to connect after its backoff', async () => {
          try {
            return Buffer.from(await c.unary('/any/Call', Buffer.from('x'), Date.now() + 5000)).toString();
          } catch (e) {
            assert.equal((e as ChannelError).code, Code.UNAVAILABLE, 'only UNAVAILABLE while backing off');
            return undefined;
          }
        });
        assert.equal(answer, 'up');
      } finally {
        c.close();
        server.close();
      }
    } finally {
      c.close();
    }
  });

  it('speaks TLS with a client certificate to a kubeling store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-channel-tls-'));
    let cluster: TestCluster | undefined;
    try {
      await initPki(dir, { hostname: 'localhost' });
      const files = pkiFiles(dir);
      cluster = await TestCluster.start('kubeling', 1, { tls: files });
      const store = new EtcdStore({ endpoints: [cluster.members[0]!.clientUrl], tls: tlsFromFiles({ ca: files.ca, cert: files.clientCert, key: files.clientKey }) });
      try {
        await store.create('/registry/tls-check', new TextEncoder().encode('v'));
        assert.equal(Buffer.from((await store.get('/registry/tls-check')).value!.value).toString(), 'v');
      } finally {
        store.close();
      }
      const anonymous = new EtcdStore({ endpoints: [cluster.members[0]!.clientUrl], tls: tlsFromFiles({ ca: files.ca }), timeoutMs: 3000 });
      try {
        await assert.rejects(anonymous.get('/registry/tls-check'), 'a client without a certificate is refused');
      } finally {
        anonymous.close();
      }
    } finally {
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
