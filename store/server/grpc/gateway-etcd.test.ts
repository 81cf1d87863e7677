// Differential test: the same HTTP requests to a real etcd 3.4 (started here
// on loopback in a temp dir) and to our gateway must get byte-identical
// answers (status, content type, trailer, body). The corpus covers what does
// not depend on stored data: bodies that fail to parse (Go's error texts),
// and handler errors, which our table below raises as etcd's server would.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../../test/cluster.js';
import type { Message } from './codec.js';
import { GrpcError, Status } from './status.js';
import type { HttpAnswer, Served } from './testing/fixtures.js';
import { post, serve, toyHandlers } from './testing/fixtures.js';

/** Requests whose answers must match: [path, body] (GET when the body is null). */
const CORPUS: [string, string | null][] = [
  ['/v3/kv/range', '{bad'], ['/v3/kv/range', '{"key":"Zm9v"'], ['/v3/kv/range', '{"key":"Zm9v!"}'], ['/v3/kv/range', '{"key":"Zm9"}'],
  ['/v3/kv/range', '{"key":"Z==="}'], ['/v3/kv/range', '{"key":"Zg==x"}'], ['/v3/kv/range', '{"key":123}'], ['/v3/kv/range', '{"key":{}}'],
  ['/v3/kv/range', '{"key":[1,2,300]}'], ['/v3/kv/range', '{"key":["a"]}'], ['/v3/kv/range', '{"key":"Zm9v","limit":"abc"}'],
  ['/v3/kv/range', '{"key":"Zm9v","limit":5.5}'], ['/v3/kv/range', '{"key":"Zm9v","limit":"5.5"}'], ['/v3/kv/range', '{"key":"Zm9v","limit":""}'],
  ['/v3/kv/range', '{"key":"Zm9v","limit":"5 6"}'], ['/v3/kv/range', '{"key":"Zm9v","limit":"1e3"}'], ['/v3/kv/range', '{"key":"Zm9v","limit":"{}"}'],
  ['/v3/kv/range', '{"key":"Zm9v","limit":"99999999999999999999"}'], ['/v3/kv/range', '{"key":"Zm9v","sort_order":"BOGUS"}'],
  ['/v3/kv/range', '{"key":"Zm9v","sort_order":"2"}'], ['/v3/kv/range', '{"key":"Zm9v","sort_order":3000000000}'], ['/v3/kv/range', '{"key":"Zm9v","sort_order":true}'],
  ['/v3/kv/range', '[]'], ['/v3/kv/range', '"x"'], ['/v3/kv/range', '5'], ['/v3/kv/range', '{"key":"Zm9v","keys_only":"true"}'],
  ['/v3/kv/range', '{"key":"Zm9v",}'], ['/v3/kv/range', '{"key" "Zm9v"}'], ['/v3/kv/range', '{"key":"Zm9v" x}'], ['/v3/kv/range', '{"key":tru}'],
  ['/v3/kv/range', '{"key":nul}'], ['/v3/kv/range', '{"key":-}'], ['/v3/kv/range', '{"key":1.}'], ['/v3/kv/range', '{"key":1e}'],
  ['/v3/kv/range', '{"key":"\\x"}'], ['/v3/kv/range', '{"key":"\\u12g4"}'], ['/v3/kv/range', '{"key":"a\tb"}'], ['/v3/kv/range', "{'key':1}"],
  ['/v3/kv/range', '{"a":[1 2]}'], ['/v3/kv/range', '\u00e9'], ['/v3/kv/range', '\u0001'], ['/v3/kv/range', '{"key":"Zm9v","limit":"\u0080"}'],
  ['/v3/cluster/member/remove', '{"ID":"-1"}'], ['/v3/kv/txn', '{"compare":5}'], ['/v3/kv/txn', '{"compare":[5]}'],
  ['/v3/kv/txn', '{"success":[{"request_put":5}]}'], ['/v3/kv/txn', '{"compare":[{"target":"NOPE"}]}'], ['/v3/kv/txn', '{"compare":[{"version":"x"}]}'],
  ['/v3/auth/role/grant', '{"perm":{"permType":"NOPE"}}'], ['/v3/maintenance/alarm', '{"alarm":"X"}'],
  ['/v3/watch', '{bad'], ['/v3/watch', '[]'], ['/v3/watch', '{"create_request":5}'], ['/v3/lease/keepalive', '{"ID":"x"}'],
  // handler errors, raised by the table below as etcd's server raises them
  ['/v3/kv/range', '{}'], ['/v3/kv/range', ''], ['/v3/kv/range', 'null'], ['/v3/kv/range', '{"key":null}'],
  ['/v3/kv/range', '{"key":"Zm9v","revision":"100"}'], ['/v3/lease/revoke', '{"ID":"1"}'], ['/v3/maintenance/transfer-leadership', '{}'],
  // routing
  ['/v3/kv/nothing', '{}'], ['/v3/kv/range', null], ['/v3beta/kv/range', '{bad'],
];

describe('gateway answers match a real etcd 3.4', () => {
  let etcd: ChildProcess;
  let dir: string;
  let etcdPort: number;
  let served: Served;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeling-etcd-'));
    etcdPort = await freePort();
    const peer = `http://127.0.0.1:${await freePort()}`;
    const client = `http://127.0.0.1:${etcdPort}`;
    etcd = spawn('etcd', ['--data-dir', join(dir, 'data'), '--name', 'ref', '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `ref=${peer}`], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await post(etcdPort, '/v3/maintenance/status', '{}').then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('etcd did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    // errors etcd's server raises for these requests (its v3rpc messages)
    const handlers = toyHandlers()
      .unary('/etcdserverpb.KV/Range', (req: Message) => {
        if ((req.key as Uint8Array).length === 0) throw new GrpcError(Status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
        throw new GrpcError(Status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
      })
      .unary('/etcdserverpb.Lease/LeaseRevoke', () => {
        throw new GrpcError(Status.NOT_FOUND, 'etcdserver: requested lease not found');
      })
      .unary('/etcdserverpb.Maintenance/MoveLeader', () => {
        throw new GrpcError(Status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee');
      });
    served = await serve(handlers);
  });

  after(async () => {
    etcd?.kill(); // our own child, by its handle
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('for every request of the corpus', async () => {
    const view = (a: HttpAnswer) => ({ status: a.status, type: a.headers['content-type'], trailer: a.headers.trailer, trailers: a.trailers, body: a.body });
    const mismatches: string[] = [];
    for (const [path, body] of CORPUS) {
      const options = body === null ? { method: 'GET' } : {};
      const [theirs, ours] = await Promise.all([post(etcdPort, path, body ?? '', options), post(served.port, path, body ?? '', options)]);
      try {
        assert.deepEqual(view(ours), view(theirs));
      } catch {
        mismatches.push(`${path} ${JSON.stringify(body)}\n  etcd: ${JSON.stringify(view(theirs))}\n  ours: ${JSON.stringify(view(ours))}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });
});
