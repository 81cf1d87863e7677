import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GrpcChannel } from '../../../apiserver/storage/grpc-channel.js';
import type { Message } from './codec.js';
import { etcdCodec } from './codec.js';
import type { StreamCall } from './handlers.js';
import { Handlers } from './handlers.js';
import type { InProcessChannel, InProcessError } from './inproc.js';
import { inProcessChannel } from './inproc.js';
import { GrpcError, Status } from './status.js';
import type { Observed, Served } from './testing/fixtures.js';
import { HEADER, bytes, serve, toyHandlers } from './testing/fixtures.js';

const codec = etcdCodec();
const enc = (type: string, v: object): Uint8Array => codec.encode(`etcdserverpb.${type}`, v);
const dec = (type: string, b: Uint8Array): Message => codec.decode(`etcdserverpb.${type}`, b);
const soon = (): number => Date.now() + 5000;

/** The outcome of a unary call: the decoded response, or the error's code and details. */
async function outcome(p: Promise<Uint8Array>, responseType: string): Promise<Message | { code: number; details: string }> {
  try {
    return dec(responseType, await p);
  } catch (e) {
    const err = e as InProcessError;
    return { code: err.code, details: err.details };
  }
}

/** A stream's listener that records what it heard, with a promise of its end. */
function recorder(): { got: (Message | string)[]; ended: Promise<InProcessError | undefined>; listener: Parameters<InProcessChannel['bidi']>[1]; inside: { now: boolean } } {
  const got: (Message | string)[] = [];
  const inside = { now: false };
  let done!: (e: InProcessError | undefined) => void;
  const ended = new Promise<InProcessError | undefined>((r) => (done = r));
  return {
    got,
    ended,
    inside,
    listener: {
      data: (m) => {
        assert.equal(inside.now, false, 'a listener is never called from inside the caller');
        got.push(dec('WatchResponse', m));
      },
      error: (e) => {
        got.push(`error ${e.code} ${e.details}`);
        done(e);
      },
      end: () => {
        got.push('end');
        done(undefined);
      },
    },
  };
}

describe('the in-process channel answers as the gRPC server does', () => {
  const maxReceiveMessageBytes = 64 * 1024;
  let served: Served;
  let grpc: GrpcChannel;
  let inproc: InProcessChannel;
  const observed: Observed = { aborts: [] };

  before(async () => {
    const handlers = toyHandlers(observed);
    served = await serve(handlers, { maxReceiveMessageBytes });
    grpc = new GrpcChannel(`http://127.0.0.1:${served.port}`);
    inproc = inProcessChannel(handlers, { maxReceiveMessageBytes });
  });
  after(async () => {
    grpc.close();
    inproc.close();
    await served.close();
  });

  const cases: [string, string, Uint8Array, string][] = [
    ['a response', '/etcdserverpb.KV/Range', enc('RangeRequest', { key: bytes('foo') }), 'RangeResponse'],
    ["a handler's status, message as is", '/etcdserverpb.KV/Put', enc('PutRequest', { key: bytes('boom') }), 'PutResponse'],
    ['a plain error: UNKNOWN', '/etcdserverpb.KV/Put', enc('PutRequest', { key: bytes('plain-error') }), 'PutResponse'],
    ['an unknown method', '/etcdserverpb.KV/Nope', new Uint8Array(0), 'PutResponse'],
    ['an unknown service', '/etcdserverpb.Nope/Range', new Uint8Array(0), 'PutResponse'],
    ['a request over the limit', '/etcdserverpb.KV/Put', enc('PutRequest', { key: bytes('k'), value: new Uint8Array(maxReceiveMessageBytes) }), 'PutResponse'],
    ['bytes that are no message', '/etcdserverpb.KV/Range', Uint8Array.of(0x0a, 0x05, 0x01), 'RangeResponse'],
  ];
  for (const [name, path, request, responseType] of cases) {
    it(`unary: ${name}`, async () => {
      const want = await outcome(grpc.unary(path, request, soon()), responseType);
      const got = await outcome(inproc.unary(path, request, soon()), responseType);
      assert.deepEqual(got, want);
    });
  }

  it('the handler sees the in-process peer, no metadata and the deadline', async () => {
    const deadline = soon();
    await inproc.unary('/etcdserverpb.KV/Range', enc('RangeRequest', { key: bytes('who') }), deadline);
    assert.deepEqual(observed.lastPeer, { address: 'in-process', port: 0 });
    assert.deepEqual(observed.lastMetadata, {});
    assert.deepEqual(observed.lastRequest?.key, bytes('who'));
  });

  it('a deadline: DEADLINE_EXCEEDED for the caller, the handler\'s signal aborted with it', async () => {
    observed.aborts.length = 0;
    const err = (await inproc.unary('/etcdserverpb.KV/Compact', enc('CompactionRequest', { revision: 1 }), Date.now() + 50).catch((e: unknown) => e)) as InProcessError;
    assert.equal(err.code, Status.DEADLINE_EXCEEDED);
    assert.equal(err.details, 'context deadline exceeded');
    assert.match(err.message, /^4 DEADLINE_EXCEEDED: /);
    assert.deepEqual(observed.aborts.map((a) => a.code), [Status.DEADLINE_EXCEEDED]);
    const past = (await inproc.unary('/etcdserverpb.KV/Range', enc('RangeRequest', {}), Date.now() - 1).catch((e: unknown) => e)) as InProcessError;
    assert.equal(past.code, Status.DEADLINE_EXCEEDED);
  });

  it('a watch stream: responses in order, after write() has returned; cancel aborts the handler and reports CANCELLED', async () => {
    observed.aborts.length = 0;
    const r = recorder();
    const call = inproc.bidi('/etcdserverpb.Watch/Watch', r.listener);
    r.inside.now = true;
    call.write(enc('WatchRequest', { createRequest: { key: bytes('a') } }));
    call.write(enc('WatchRequest', { progressRequest: {} }));
    r.inside.now = false;
    while (r.got.length < 4) await new Promise((res) => setImmediate(res));
    assert.deepEqual(
      r.got.map((m) => (typeof m === 'string' ? m : `${String(m.watchId)} created=${String(m.created)} events=${(m.events as unknown[]).length}`)),
      ['0 created=true events=0', '0 created=false events=1', '0 created=false events=1', '-1 created=false events=0'],
    );
    assert.deepEqual((r.got[2] as Message).header, { ...HEADER, revision: 11 });
    r.inside.now = true;
    call.cancel();
    r.inside.now = false;
    const err = await r.ended;
    assert.equal(err?.code, Status.CANCELLED);
    assert.deepEqual(observed.aborts.map((a) => [a.code, a.message]), [[Status.CANCELLED, 'context canceled']]);
    call.write(enc('WatchRequest', { progressRequest: {} })); // ignored
    call.cancel();
    await new Promise((res) => setImmediate(res));
    assert.equal(r.got.length, 5, 'nothing after the end');
  });

  it('close(): calls in progress and later ones fail with CANCELLED, as grpc-go\'s closing connection', async () => {
    const c = inProcessChannel(toyHandlers());
    const pending = c.unary('/etcdserverpb.KV/Compact', enc('CompactionRequest', { revision: 1 }), soon());
    const r = recorder();
    c.bidi('/etcdserverpb.Watch/Watch', r.listener);
    await new Promise((res) => setImmediate(res));
    c.close();
    const closing = { code: Status.CANCELLED, details: 'grpc: the client connection is closing' };
    assert.deepEqual(await outcome(pending, 'CompactionResponse'), closing);
    assert.equal((await r.ended)?.code, Status.CANCELLED);
    assert.deepEqual(await outcome(c.unary('/etcdserverpb.KV/Range', enc('RangeRequest', {}), soon()), 'RangeResponse'), closing);
    const late = recorder();
    c.bidi('/etcdserverpb.Watch/Watch', late.listener);
    assert.equal((await late.ended)?.details, closing.details);
  });
});

describe('in-process streams', () => {
  /** A channel whose Watch method is `fn`. */
  const channel = (fn: (requests: AsyncIterable<Message>, call: StreamCall) => Promise<void>): InProcessChannel =>
    inProcessChannel(new Handlers().bidi('/etcdserverpb.Watch/Watch', fn));

  it('a handler that returns: every response, then end; one that throws: the responses sent, then its status', async () => {
    const ok = recorder();
    channel(async (_requests, call) => {
      for (let i = 0; i < 50; i++) void call.send({ watchId: i });
    }).bidi('/etcdserverpb.Watch/Watch', ok.listener);
    assert.equal(await ok.ended, undefined);
    assert.deepEqual(ok.got.slice(0, -1).map((m) => (m as Message).watchId), [...Array(50).keys()]);
    assert.equal(ok.got.at(-1), 'end');

    const failed = recorder();
    channel(async (_requests, call) => {
      await call.send({ watchId: 7 });
      throw new GrpcError(Status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
    }).bidi('/etcdserverpb.Watch/Watch', failed.listener);
    assert.equal((await failed.ended)?.code, Status.OUT_OF_RANGE);
    assert.deepEqual(failed.got.map((m) => (typeof m === 'string' ? m : m.watchId)), [7, `error ${Status.OUT_OF_RANGE} etcdserver: mvcc: required revision has been compacted`]);
  });

  it('send() resolves once the listener has the message; cancel ends the request iterator and rejects sends', async () => {
    const seen: string[] = [];
    let iteratorEnded!: () => void;
    const ended = new Promise<void>((r) => (iteratorEnded = r));
    let sendAfterCancel: Promise<unknown> | undefined;
    const c = channel(async (requests, call) => {
      for await (const req of requests) {
        await call.send({ watchId: (req.cancelRequest as Message).watchId });
        seen.push('sent');
      }
      iteratorEnded();
      sendAfterCancel = call.send({ watchId: 99 }).catch((e: unknown) => e);
    });
    const call = c.bidi('/etcdserverpb.Watch/Watch', {
      data: () => seen.push('delivered'),
      error: (e) => seen.push(`error ${e.code}`),
      end: () => seen.push('end'),
    });
    call.write(enc('WatchRequest', { cancelRequest: { watchId: 1 } }));
    call.write(enc('WatchRequest', { cancelRequest: { watchId: 2 } }));
    while (seen.length < 4) await new Promise((res) => setImmediate(res));
    assert.deepEqual(seen, ['delivered', 'sent', 'delivered', 'sent']);
    call.cancel();
    await ended;
    assert.ok((await sendAfterCancel) instanceof GrpcError);
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(seen.slice(4), [`error ${Status.CANCELLED}`]);
  });

  it('an unknown stream method, or a unary one: the status, asynchronously', async () => {
    const c = inProcessChannel(toyHandlers());
    const r = recorder();
    r.inside.now = true;
    c.bidi('/etcdserverpb.Watch/Nope', r.listener);
    r.inside.now = false;
    assert.deepEqual([(await r.ended)?.code, (await r.ended)?.details], [Status.UNIMPLEMENTED, 'unknown method Nope for service etcdserverpb.Watch']);
    const u = recorder();
    c.bidi('/etcdserverpb.KV/Range', u.listener);
    assert.equal((await u.ended)?.code, Status.INTERNAL);
    c.close();
  });
});
