import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Message } from './codec.js';
import { encodeFrame } from './framing.js';
import { Handlers } from './handlers.js';
import { Status } from './status.js';
import type { Observed, Served } from './testing/fixtures.js';
import { HEADER, bytes, grpcClient, serve, toyHandlers, unary } from './testing/fixtures.js';

type Client = ReturnType<typeof grpcClient>;

function collect(stream: grpc.ClientReadableStream<Message>): Promise<{ messages: Message[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const messages: Message[] = [];
    stream.on('data', (m: Message) => messages.push(m));
    stream.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages }));
  });
}

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  assert.fail('expected the call to fail');
}

/** Waits until `check` holds (polling), for effects that trail a client-side event. */
async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('gRPC server with grpc-js clients', () => {
  const observed: Observed = { aborts: [] };
  let served: Served;
  let kv: Client;
  let watch: Client;
  let lease: Client;
  let maintenance: Client;

  before(async () => {
    served = await serve(toyHandlers(observed), { maxReceiveMessageBytes: 64 * 1024 });
    kv = grpcClient(served.port, 'KV');
    watch = grpcClient(served.port, 'Watch');
    lease = grpcClient(served.port, 'Lease');
    maintenance = grpcClient(served.port, 'Maintenance');
  });
  after(async () => {
    for (const c of [kv, watch, lease, maintenance]) c.close();
    await served.close();
  });

  it('serves a unary call and passes metadata', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('token', 'secret');
    const res = await unary(kv, 'Range', { key: bytes('foo') }, {}, metadata);
    assert.deepEqual(res, {
      header: HEADER,
      kvs: [{ key: bytes('foo'), value: bytes('bar'), createRevision: 2, modRevision: 5, version: 3, lease: 0 }],
      more: false,
      count: 1,
    });
    assert.equal(observed.lastMetadata?.token, 'secret');
  });

  it('answers handler errors with their code and (percent-encoded) message', async () => {
    const err = await rejection(unary(kv, 'Put', { key: bytes('boom') }));
    assert.equal(err.code, Status.FAILED_PRECONDITION);
    assert.equal(err.details, 'etcdserver: boom ünïcode 100%');
    const plain = await rejection(unary(kv, 'Put', { key: bytes('plain-error') }));
    assert.equal(plain.code, Status.UNKNOWN);
    assert.equal(plain.details, 'something broke');
  });

  it('answers UNIMPLEMENTED for unregistered methods and services', async () => {
    const method = await rejection(unary(kv, 'DeleteRange', { key: bytes('x') }));
    assert.equal(method.code, Status.UNIMPLEMENTED);
    assert.equal(method.details, 'unknown method DeleteRange for service etcdserverpb.KV');
    const service = await rejection(unary(grpcClient(served.port, 'Auth'), 'AuthEnable', {}));
    assert.equal(service.code, Status.UNIMPLEMENTED);
    assert.equal(service.details, 'unknown service etcdserverpb.Auth');
  });

  it('streams server-side (Snapshot), and ends with an error mid-stream', async () => {
    const all = await collect(maintenance.Snapshot!({}) as grpc.ClientReadableStream<Message>);
    assert.equal(all.error, undefined);
    assert.deepEqual(all.messages.slice(0, 3).map((m) => Buffer.from(m.blob as Uint8Array).toString().replace(/\0+$/, '')), ['one', 'two', 'three']);
    assert.deepEqual(all.messages.map((m) => m.remainingBytes), [3, 2, 1, 0]);
    const metadata = new grpc.Metadata();
    metadata.set('fail-after', '1');
    const cut = await collect(maintenance.Snapshot!({}, metadata) as grpc.ClientReadableStream<Message>);
    assert.equal(cut.messages.length, 1);
    assert.equal(cut.error?.code, Status.NOT_FOUND);
    assert.equal(cut.error?.details, 'etcdserver: snapshot gone');
  });

  it('streams both ways (Watch, LeaseKeepAlive)', async () => {
    const stream = watch.Watch!() as grpc.ClientDuplexStream<object, Message>;
    const got = collect(stream);
    stream.write({ createRequest: { key: bytes('a') } });
    stream.write({ progressRequest: {} });
    stream.write({ cancelRequest: { watchId: 0 } });
    stream.end();
    const { messages, error } = await got;
    assert.equal(error, undefined);
    assert.deepEqual(messages.map((m) => [m.watchId, m.created, m.canceled, (m.events as unknown[]).length]), [
      [0, true, false, 0], [0, false, false, 1], [0, false, false, 1], [-1, false, false, 0], [0, false, true, 0],
    ]);
    const events = messages.slice(1, 3).map((m) => (m.events as Message[])[0]!);
    assert.deepEqual(events.map((e) => [e.type, Buffer.from((e.kv as Message).value as Uint8Array).toString()]), [[0, 'v0'], [1, '']]);

    const keepAlive = lease.LeaseKeepAlive!() as grpc.ClientDuplexStream<object, Message>;
    const replies = collect(keepAlive);
    for (const ID of [1, 2, 3]) keepAlive.write({ ID });
    keepAlive.end();
    assert.deepEqual((await replies).messages.map((m) => [m.ID, m.TTL]), [[1, 60], [2, 60], [3, 60]]);
  });

  it('honours the deadline: DEADLINE_EXCEEDED, and the handler signal aborts', async () => {
    observed.aborts.length = 0;
    const started = Date.now();
    const err = await rejection(unary(kv, 'Compact', { revision: 1 }, { deadline: Date.now() + 150 }));
    assert.equal(err.code, Status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 10_000, 'ended by the deadline, not by anything slower');
    // the server's timer and the client's reset race (as with grpc-go): either reason
    await eventually(() => observed.aborts.some((r) => r.code === Status.DEADLINE_EXCEEDED || r.code === Status.CANCELLED));
  });

  it('propagates client cancellation (RST_STREAM) to the handler signal as CANCELLED', async () => {
    observed.aborts.length = 0;
    const stream = watch.Watch!() as grpc.ClientDuplexStream<object, Message>;
    stream.on('error', () => {});
    stream.write({ createRequest: { key: bytes('a') } });
    await new Promise((resolve) => stream.once('data', resolve));
    stream.cancel();
    await eventually(() => observed.aborts.some((r) => r.code === Status.CANCELLED && r.message === 'context canceled'));
  });

  it('refuses messages over the receive limit with RESOURCE_EXHAUSTED', async () => {
    const err = await rejection(unary(kv, 'Put', { key: bytes('k'), value: new Uint8Array(70 * 1024) }));
    assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /^grpc: received message larger than max \(\d+ vs\. 65536\)$/);
  });

  it('refuses compressed messages with UNIMPLEMENTED', async () => {
    const gzip = grpcClient(served.port, 'KV', grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    const err = await rejection(unary(gzip, 'Range', { key: bytes('foo') }));
    gzip.close();
    assert.equal(err.code, Status.UNIMPLEMENTED);
    assert.equal(err.details, 'grpc: Decompressor is not installed for grpc-encoding "gzip"');
  });
});

describe('gRPC server on the wire (raw HTTP/2)', () => {
  let served: Served;
  let session: http2.ClientHttp2Session;
  before(async () => {
    served = await serve(toyHandlers());
    session = http2.connect(`http://127.0.0.1:${served.port}`);
  });
  after(async () => {
    session.close();
    await served.close();
  });

  function call(headers: http2.OutgoingHttpHeaders, body: Buffer): Promise<{ headers: http2.IncomingHttpHeaders; flags: number; trailers?: http2.IncomingHttpHeaders; data: Buffer }> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
      const chunks: Buffer[] = [];
      let response: { headers: http2.IncomingHttpHeaders; flags: number } | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      stream.on('response', (h, flags) => (response = { headers: h, flags }));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('close', () => (response ? resolve({ ...response, ...(trailers ? { trailers } : {}), data: Buffer.concat(chunks) }) : reject(new Error('no response'))));
      stream.end(body);
    });
  }

  it('sends errors as Trailers-Only: one HEADERS frame with END_STREAM', async () => {
    const res = await call({ ':path': '/etcdserverpb.KV/Nope' }, encodeFrame(new Uint8Array(0)));
    assert.equal(res.headers['grpc-status'], String(Status.UNIMPLEMENTED));
    assert.equal(res.headers['grpc-message'], 'unknown method Nope for service etcdserverpb.KV');
    assert.equal(res.flags & http2.constants.NGHTTP2_FLAG_END_STREAM, http2.constants.NGHTTP2_FLAG_END_STREAM);
  });

  it('answers with application/grpc (echoing +proto), data frames, then grpc-status 0 trailers', async () => {
    const res = await call({ ':path': '/etcdserverpb.Maintenance/Status', 'content-type': 'application/grpc+proto' }, encodeFrame(new Uint8Array(0)));
    assert.equal(res.headers['content-type'], 'application/grpc+proto');
    assert.equal(res.trailers?.['grpc-status'], '0');
    assert.equal(res.data[0], 0);
    assert.equal(res.data.readUInt32BE(1), res.data.length - 5);
  });

  it('ends a call whose grpc-timeout passes with DEADLINE_EXCEEDED, by its own timer', async () => {
    const started = Date.now();
    const res = await call({ ':path': '/etcdserverpb.KV/Compact', 'grpc-timeout': '100m' }, encodeFrame(new Uint8Array(0)));
    assert.equal(res.headers['grpc-status'], String(Status.DEADLINE_EXCEEDED));
    assert.equal(res.headers['grpc-message'], 'context deadline exceeded');
    assert.ok(Date.now() - started >= 90);
  });

  it('refuses a malformed grpc-timeout and a non-gRPC content-type', async () => {
    const timeout = await call({ ':path': '/etcdserverpb.Maintenance/Status', 'grpc-timeout': '10x' }, encodeFrame(new Uint8Array(0)));
    assert.equal(timeout.headers['grpc-status'], String(Status.INTERNAL));
    const json = await call({ ':path': '/etcdserverpb.Maintenance/Status', 'content-type': 'text/plain' }, Buffer.alloc(0));
    assert.equal(json.headers[':status'], 404); // not gRPC: handed to the gateway, which knows no such path
  });
});

describe('graceful close', () => {
  it('lets a unary call in progress finish and ends open streams with UNAVAILABLE', async () => {
    let release: () => void = () => {};
    const handlers = toyHandlers().unary('/etcdserverpb.KV/DeleteRange', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { header: HEADER, deleted: 1 };
    });
    const served = await serve(handlers);
    const kv = grpcClient(served.port, 'KV');
    const watch = grpcClient(served.port, 'Watch');
    const stream = watch.Watch!() as grpc.ClientDuplexStream<object, Message>;
    const streamed = collect(stream);
    stream.write({ createRequest: { key: bytes('a') } });
    const slow = unary(kv, 'DeleteRange', { key: bytes('x') });
    await eventually(() => served.grpc.activeCalls === 2);
    const closing = served.close(300);
    release(); // in the same turn: the call is still in progress when close() starts, however slow the machine
    assert.equal((await slow).deleted, 1);
    const { error } = await streamed;
    assert.equal(error?.code, Status.UNAVAILABLE);
    assert.equal(error?.details, 'etcdserver: server stopped');
    await closing;
    const refused = await rejection(unary(kv, 'Range', { key: bytes('foo') }, { deadline: Date.now() + 10_000 }));
    assert.equal(refused.code, Status.UNAVAILABLE);
    kv.close();
    watch.close();
  });

  it('rejects registering a handler whose kind disagrees with the protos', () => {
    assert.throws(() => new Handlers().unary('/etcdserverpb.Watch/Watch', () => ({})), /streams requests: true/);
    assert.throws(() => new Handlers().unary('/etcdserverpb.KV/Nope', () => ({})), /no method/);
  });
});
