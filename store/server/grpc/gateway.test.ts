import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { Status } from './status.js';
import type { Observed, Served } from './testing/fixtures.js';
import { bytes, post, serve, toyHandlers } from './testing/fixtures.js';

const HEADER_JSON = '{"cluster_id":"1099511627783","member_id":"42","revision":"9","raft_term":"3"}';

/** A streaming POST: write request lines when you like, read response lines as they come. */
function openStream(port: number, path: string): { write(line: string): void; end(): void; abort(): void; nextLine(): Promise<string>; done: Promise<{ status: number; rest: string }> } {
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let buffer = '';
  let rest = '';
  let resolveDone: (v: { status: number; rest: string }) => void = () => {};
  const done = new Promise<{ status: number; rest: string }>((r) => (resolveDone = r));
  const req = http.request({ host: '127.0.0.1', port, path, method: 'POST' }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w(line);
        } else lines.push(line);
      }
      rest = buffer;
    });
    res.on('end', () => resolveDone({ status: res.statusCode ?? 0, rest }));
    res.on('error', () => resolveDone({ status: res.statusCode ?? 0, rest }));
  });
  req.on('error', () => {});
  req.flushHeaders();
  return {
    write: (line) => req.write(`${line}\n`),
    end: () => req.end(),
    abort: () => req.destroy(),
    nextLine: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => (waiting = r))),
    done,
  };
}

describe('JSON gateway over HTTP/1.1', () => {
  const observed: Observed = { aborts: [] };
  let served: Served;
  before(async () => (served = await serve(toyHandlers(observed), { maxReceiveMessageBytes: 64 * 1024 })));
  after(() => served.close());

  it('answers a unary call as etcd does: proto names, int64 strings, base64, defaults left out', async () => {
    const res = await post(served.port, '/v3/kv/range', '{"key":"Zm9v"}');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['grpc-metadata-content-type'], 'application/grpc');
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)));
    assert.equal(res.body, `{"header":${HEADER_JSON},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"5","version":"3","value":"YmFy"}],"count":"1"}`);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal((await post(served.port, '/v3beta/kv/range', '{"key":"Zm9v"}')).status, 200);
  });

  it('decodes oneofs from snake_case and camelCase alike, and writes them back', async () => {
    const res = await post(served.port, '/v3/kv/txn', '{"compare":[{"target":"VALUE","key":"Zm9v","value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}],"failure":[{"requestRange":{"key":"Zm9v"}}]}');
    assert.equal(res.body, `{"header":${HEADER_JSON},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"10"}}}]}`);
    const txn = observed.lastRequest!;
    assert.deepEqual((txn.compare as object[])[0], { result: 0, target: 3, key: bytes('foo'), value: bytes('bar'), rangeEnd: new Uint8Array(0) });
    assert.deepEqual(Object.keys((txn.success as object[])[0]!), ['requestPut']);
    assert.deepEqual(Object.keys((txn.failure as object[])[0]!), ['requestRange']);
  });

  it('answers handler errors with the mapped status, etcd error body and trailer', async () => {
    const res = await post(served.port, '/v3/kv/put', '{"key":"Ym9vbQ=="}');
    assert.equal(res.status, 412);
    assert.equal(res.headers.trailer, 'Grpc-Trailer-Content-Type');
    assert.equal(res.body, '{"error":"etcdserver: boom ünïcode 100%","message":"etcdserver: boom ünïcode 100%","code":9}');
    assert.deepEqual(res.trailers, { 'grpc-trailer-content-type': 'application/grpc' });
    const plain = await post(served.port, '/v3/kv/put', `{"key":"${Buffer.from('plain-error').toString('base64')}"}`);
    assert.deepEqual([plain.status, JSON.parse(plain.body).code], [500, Status.UNKNOWN]);
    const missing = await post(served.port, '/v3/kv/deleterange', '{"key":"Zm9v"}');
    assert.deepEqual([missing.status, JSON.parse(missing.body)], [501, { error: 'unknown method DeleteRange for service etcdserverpb.KV', message: 'unknown method DeleteRange for service etcdserverpb.KV', code: 12 }]);
  });

  it("answers bad JSON with 400, code 3 and Go's message, without trailer", async () => {
    const res = await post(served.port, '/v3/kv/range', '{bad');
    assert.equal(res.status, 400);
    assert.equal(res.headers.trailer, undefined);
    assert.equal(res.body, `{"error":"invalid character 'b' looking for beginning of object key string","message":"invalid character 'b' looking for beginning of object key string","code":3}`);
  });

  it('answers unknown paths, wrong methods and OPTIONS as etcd does', async () => {
    const notFound = await post(served.port, '/v3/kv/nothing', '{}');
    assert.deepEqual([notFound.status, notFound.headers['content-type'], notFound.body], [404, 'text/plain; charset=utf-8', 'Not Found\n']);
    const get = await post(served.port, '/v3/kv/range', '', { method: 'GET' });
    assert.deepEqual([get.status, get.body], [405, 'Method Not Allowed\n']);
    const outside = await post(served.port, '/health', '', { method: 'GET' });
    assert.deepEqual([outside.status, outside.body], [404, '404 page not found\n']);
    const options = await post(served.port, '/v3/kv/range', '', { method: 'OPTIONS' });
    assert.equal(options.status, 200);
    assert.equal(options.headers['access-control-allow-headers'], 'accept, content-type, authorization');
  });

  it('forwards Authorization and Grpc-Metadata-* headers as metadata', async () => {
    await post(served.port, '/v3/kv/range', '{"key":"Zm9v"}', { headers: { authorization: 'tok', 'grpc-metadata-hasleader': 'true', 'x-other': '1' } });
    assert.deepEqual(observed.lastMetadata, { authorization: 'tok', hasleader: 'true' });
  });

  it('refuses requests over the receive limit (429) and honours grpc-timeout (504)', async () => {
    const big = await post(served.port, '/v3/kv/put', JSON.stringify({ key: 'Zm9v', value: Buffer.alloc(70 * 1024).toString('base64') }));
    assert.equal(big.status, 429);
    assert.match(JSON.parse(big.body).message, /^grpc: received message larger than max \(\d+ vs\. 65536\)$/);
    const slow = await post(served.port, '/v3/kv/compaction', '{"revision":"1"}', { headers: { 'grpc-timeout': '100m' } });
    assert.deepEqual([slow.status, JSON.parse(slow.body).code], [504, Status.DEADLINE_EXCEEDED]);
  });

  it('streams a watch: newline-delimited requests in, {"result":...} lines out, as they happen', async () => {
    const stream = openStream(served.port, '/v3/watch');
    stream.write('{"create_request":{"key":"YQ==","prev_kv":true}}');
    assert.equal(await stream.nextLine(), `{"result":{"header":${HEADER_JSON},"created":true}}`);
    assert.equal(await stream.nextLine(), `{"result":{"header":{"cluster_id":"1099511627783","member_id":"42","revision":"10","raft_term":"3"},"events":[{"kv":{"key":"YQ==","mod_revision":"10","value":"djA="}}]}}`);
    assert.match(await stream.nextLine(), /"events":\[\{"type":"DELETE","kv":\{"key":"YQ==","mod_revision":"11"\}\}\]/);
    stream.write('{"progressRequest":{}}'); // the request body is still open: true streaming
    assert.equal(await stream.nextLine(), `{"result":{"header":${HEADER_JSON},"watch_id":"-1"}}`);
    stream.write('{"cancel_request":{"watch_id":"0"}}');
    assert.equal(await stream.nextLine(), `{"result":{"header":${HEADER_JSON},"canceled":true}}`);
    stream.end();
    assert.deepEqual(await stream.done, { status: 200, rest: '' });
  });

  it('streams lease keep-alives from one body with several requests', async () => {
    const res = await post(served.port, '/v3/lease/keepalive', ['{"ID":"1"}\n', '{"ID":2}\n{"ID":"3"}'], { gapMs: 20 });
    assert.deepEqual(res.body.trim().split('\n').map((l) => JSON.parse(l).result.ID), ['1', '2', '3']);
    assert.equal(res.headers['grpc-metadata-content-type'], 'application/grpc');
  });

  it('ends a stream with an error line, or answers its status when nothing was sent', async () => {
    const cut = await post(served.port, '/v3/maintenance/snapshot', '{}', { headers: { 'grpc-metadata-fail-after': '1' } });
    const lines = cut.body.split('\n');
    assert.equal(cut.status, 200);
    assert.equal(lines.length, 2);
    assert.equal(lines[1], '{"error":{"grpc_code":5,"http_code":404,"message":"etcdserver: snapshot gone","http_status":"Not Found"}}');
    const none = await post(served.port, '/v3/maintenance/snapshot', '{}', { headers: { 'grpc-metadata-fail-after': '0' } });
    assert.deepEqual([none.status, none.body], [404, '{"error":{"grpc_code":5,"http_code":404,"message":"etcdserver: snapshot gone","http_status":"Not Found"}}']);
  });

  it('answers a bad first message of a bidi stream with 500 code 2, as etcd', async () => {
    const res = await post(served.port, '/v3/watch', '{bad');
    assert.equal(res.status, 500);
    assert.equal(JSON.parse(res.body).code, Status.UNKNOWN);
  });

  it('aborts the handler (CANCELLED) when the client goes away mid-stream', async () => {
    observed.aborts.length = 0;
    const stream = openStream(served.port, '/v3/watch');
    stream.write('{"create_request":{"key":"YQ=="}}');
    await stream.nextLine();
    stream.abort();
    const end = Date.now() + 2000;
    while (!observed.aborts.some((r) => r.code === Status.CANCELLED) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.ok(observed.aborts.some((r) => r.code === Status.CANCELLED));
  });
});

describe('JSON gateway over HTTP/2 (non-gRPC requests on an h2 connection)', () => {
  it('serves /v3/kv/range to an HTTP/2 client, as curl over TLS would reach it', async () => {
    const served = await serve(toyHandlers());
    const session = http2.connect(`http://127.0.0.1:${served.port}`);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/v3/kv/range', 'content-type': 'application/json' });
      let body = '';
      let status = 0;
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (c: Buffer) => (body += c.toString()));
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.end('{"key":"Zm9v"}');
    });
    session.close();
    await served.close();
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).kvs[0].value, 'YmFy');
  });
});
