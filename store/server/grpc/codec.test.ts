import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { etcdCodec } from './codec.js';
import { FrameDecoder, encodeFrame } from './framing.js';
import { GrpcError, Status, decodeGrpcMessage, encodeGrpcMessage } from './status.js';

const codec = etcdCodec();
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

function status(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GrpcError, `expected a GrpcError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected a throw');
}

describe('protos', () => {
  it('has etcd 3.4 methods with their streaming kinds', () => {
    assert.equal(codec.methods.size, 39);
    const streaming = [...codec.methods.values()].filter((m) => m.requestStream || m.responseStream).map((m) => [m.path, m.requestStream, m.responseStream]);
    assert.deepEqual(streaming, [
      ['/etcdserverpb.Watch/Watch', true, true],
      ['/etcdserverpb.Lease/LeaseKeepAlive', true, true],
      ['/etcdserverpb.Maintenance/Snapshot', false, true],
    ]);
    assert.equal(codec.method('/etcdserverpb.KV/Range')?.request.fullName, 'etcdserverpb.RangeRequest');
  });

  it('keeps etcd field numbers, names and oneofs (spot checks)', () => {
    const field = (type: string, name: string) => codec.message(type).fields.find((f) => f.name === name);
    assert.equal(field('etcdserverpb.Compare', 'range_end')?.id, 64);
    assert.equal(field('etcdserverpb.Compare', 'mod_revision')?.oneof, 'target_union');
    assert.equal(field('etcdserverpb.WatchResponse', 'events')?.id, 11);
    assert.equal(field('etcdserverpb.LeaseTimeToLiveResponse', 'grantedTTL')?.id, 4);
    assert.equal(field('etcdserverpb.RequestOp', 'request_txn')?.oneof, 'request');
    assert.equal(field('authpb.Permission', 'permType')?.enumType?.goName, 'authpb.Permission_Type');
    assert.equal(field('etcdserverpb.AlarmMember', 'alarm')?.enumType?.goName, 'etcdserverpb.AlarmType');
    assert.equal(field('etcdserverpb.LeaseCheckpoint', 'remaining_TTL')?.jsonName, 'remainingTTL');
  });
});

describe('codec', () => {
  it('decodes with proto3 defaults: scalars zero, messages absent, oneof only when set', () => {
    const wire = codec.encode('etcdserverpb.TxnRequest', {
      compare: [{ result: 0, target: 0, key: b('k'), version: 0 }],
      success: [{ requestPut: { key: b('k'), value: b('v') } }],
    });
    const txn = codec.decode('etcdserverpb.TxnRequest', wire);
    assert.deepEqual(txn, {
      compare: [{ result: 0, target: 0, key: b('k'), version: 0, rangeEnd: new Uint8Array(0) }],
      success: [{ requestPut: { key: b('k'), value: b('v'), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false } }],
      failure: [],
    });
    const header = codec.decode('etcdserverpb.RangeResponse', codec.encode('etcdserverpb.RangeResponse', {}));
    assert.deepEqual(header, { kvs: [], more: false, count: 0 }); // header: absent message → undefined
  });

  it('round-trips int64 edge values, negative ones included', () => {
    const res = { header: { clusterId: Number.MAX_SAFE_INTEGER, revision: 1 }, watchId: -1, compactRevision: 2 ** 40 };
    const back = codec.decode('etcdserverpb.WatchResponse', codec.encode('etcdserverpb.WatchResponse', res));
    assert.equal((back.header as { clusterId: number }).clusterId, Number.MAX_SAFE_INTEGER);
    assert.equal(back.watchId, -1);
    assert.equal(back.compactRevision, 2 ** 40);
  });

  it('writes canonical proto3: zero scalars left out, a zero oneof member kept', () => {
    assert.equal(codec.encode('etcdserverpb.RangeRequest', { key: b(''), limit: 0, serializable: false }).length, 0);
    const compare = codec.encode('etcdserverpb.Compare', { version: 0 });
    assert.deepEqual([...compare], [0x20, 0x00]); // field 4, varint 0
  });

  it('hands out fresh Uint8Arrays, not Buffer views into the frame', () => {
    const wire = Buffer.from(codec.encode('etcdserverpb.PutRequest', { key: b('key'), value: b('value') }));
    const put = codec.decode('etcdserverpb.PutRequest', wire);
    assert.equal(Object.getPrototypeOf(put.key), Uint8Array.prototype);
    wire.fill(0);
    assert.deepEqual(put.value, b('value'));
  });

  it('refuses int64 beyond 2^53-1 with INVALID_ARGUMENT', () => {
    const revision = Buffer.from('208080808080808010', 'hex'); // RangeRequest.revision = 2^53
    assert.deepEqual(status(() => codec.decode('etcdserverpb.RangeRequest', revision)), {
      code: Status.INVALID_ARGUMENT,
      message: 'kubeling: etcdserverpb.RangeRequest.revision = 9007199254740992 is beyond 2^53-1, the largest integer this server handles',
    });
    const uint64 = Buffer.from('08ffffffffffffffffff01', 'hex'); // MemberRemoveRequest.ID = 2^64-1
    assert.equal(status(() => codec.decode('etcdserverpb.MemberRemoveRequest', uint64)).code, Status.INVALID_ARGUMENT);
  });

  it('reports malformed protobuf as INTERNAL, wrong handler output as INTERNAL', () => {
    assert.equal(status(() => codec.decode('etcdserverpb.RangeRequest', Buffer.from('0a05', 'hex'))).code, Status.INTERNAL);
    assert.match(status(() => codec.encode('etcdserverpb.RangeRequest', { key: 'text' })).message, /RangeRequest\.key: expected a Uint8Array/);
    assert.match(status(() => codec.encode('etcdserverpb.RangeResponse', { count: 2 ** 60 })).message, /RangeResponse\.count: expected a safe integer/);
    assert.match(status(() => codec.encode('etcdserverpb.Member', { ID: -1 })).message, /Member\.ID: expected a safe non-negative integer/);
  });
});

describe('framing', () => {
  it('splits messages across and within chunks', () => {
    const a = encodeFrame(b('hello'));
    const c = encodeFrame(new Uint8Array(0));
    const all = Buffer.concat([a, c, encodeFrame(b('x'))]);
    const decoder = new FrameDecoder(100);
    const out = [...decoder.push(all.subarray(0, 3)), ...decoder.push(all.subarray(3, 12)), ...decoder.push(all.subarray(12))];
    assert.deepEqual(out.map((m) => Buffer.from(m).toString()), ['hello', '', 'x']);
    decoder.end();
  });

  it('refuses oversized, compressed and truncated messages as grpc-go does', () => {
    const big = Buffer.from([0, 0, 0, 1, 0]);
    assert.deepEqual(status(() => new FrameDecoder(255).push(big)), { code: Status.RESOURCE_EXHAUSTED, message: 'grpc: received message larger than max (256 vs. 255)' });
    const compressed = Buffer.from([1, 0, 0, 0, 1, 0]);
    assert.deepEqual(status(() => new FrameDecoder(100, 'gzip').push(compressed)), { code: Status.UNIMPLEMENTED, message: 'grpc: Decompressor is not installed for grpc-encoding "gzip"' });
    assert.equal(status(() => new FrameDecoder(100).push(compressed)).code, Status.INTERNAL);
    const cut = new FrameDecoder(100);
    cut.push(Buffer.from([0, 0, 0, 0, 9, 1]));
    assert.equal(status(() => cut.end()).code, Status.INTERNAL);
  });
});

describe('grpc-message', () => {
  it('percent-encodes non-printable ASCII and %', () => {
    assert.equal(encodeGrpcMessage('etcdserver: ünï 100%\n'), 'etcdserver: %C3%BCn%C3%AF 100%25%0A');
    assert.equal(decodeGrpcMessage(encodeGrpcMessage('etcdserver: ünï 100%\n')), 'etcdserver: ünï 100%\n');
  });
});
