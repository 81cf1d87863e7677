// Wire compatibility with etcd's own clients: the real etcdctl (Go, grpc-go)
// and the etcd3 npm client (grpc-js with etcd's protos), against the toy
// handler table over a real socket.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import type { Served } from './testing/fixtures.js';
import { serve, toyHandlers } from './testing/fixtures.js';

function etcdctl(port: number, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('etcdctl', ['--endpoints', `http://127.0.0.1:${port}`, '--command-timeout', '5s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('etcdctl 3.4 against our server', () => {
  let served: Served;
  before(async () => (served = await serve(toyHandlers())));
  after(() => served.close());

  it('get -w json prints our canned answer', async () => {
    const { code, stdout, stderr } = await etcdctl(served.port, 'get', 'foo', '-w', 'json');
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), {
      header: { cluster_id: 2 ** 40 + 7, member_id: 42, revision: 9, raft_term: 3 },
      kvs: [{ key: 'Zm9v', create_revision: 2, mod_revision: 5, version: 3, value: 'YmFy' }],
      count: 1,
    });
  });

  it('put reports our status code and message', async () => {
    const { code, stderr } = await etcdctl(served.port, 'put', 'boom', 'x');
    assert.notEqual(code, 0);
    assert.match(stderr, /Error: rpc error: code = FailedPrecondition desc = etcdserver: boom ünïcode 100%/);
  });

  it('endpoint status works (its :authority is a URL, which nghttp2 alone would refuse)', async () => {
    const { code, stdout, stderr } = await etcdctl(served.port, 'endpoint', 'status', '-w', 'json');
    assert.equal(code, 0, stderr);
    const [status] = JSON.parse(stdout) as { Status: { version: string; leader: number } }[];
    assert.equal(status?.Status.version, '3.4.23');
    assert.equal(status?.Status.leader, 42);
  });

  it('watch streams events (bidi)', async () => {
    const child = spawn('etcdctl', ['--endpoints', `http://127.0.0.1:${served.port}`, 'watch', 'a'], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        // (the bound includes starting etcdctl and dialling, on a machine that may be busy)
        const timer = setTimeout(() => reject(new Error(`no events; got ${JSON.stringify(out)}`)), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          // the event's lines may arrive in separate chunks: wait for the key after DELETE
          if (out.includes('DELETE\na\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      child.kill(); // our own child, by its handle, whatever happened
    }
    assert.deepEqual(out.split('\n').slice(0, 5), ['PUT', 'a', 'v0', 'DELETE', 'a']);
  });

  it('lease keep-alive --once (bidi)', async () => {
    const { code, stdout, stderr } = await etcdctl(served.port, 'lease', 'keep-alive', '--once', '5');
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), 'lease 0000000000000005 keepalived with TTL(60)');
  });

  it('snapshot save downloads the stream (server streaming)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-snap-'));
    const file = join(dir, 'snap.db');
    const { code, stdout, stderr } = await etcdctl(served.port, 'snapshot', 'save', file);
    const saved = readFileSync(file, { flag: 'r' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Snapshot saved at/);
    assert.equal(saved.subarray(0, 11).toString(), 'onetwothree');
  });
});

describe('etcd3 npm client against our server', () => {
  let served: Served;
  let client: Etcd3;
  before(async () => {
    served = await serve(toyHandlers());
    client = new Etcd3({ hosts: `http://127.0.0.1:${served.port}` });
  });
  after(async () => {
    client.close();
    await served.close();
  });

  it('get and maintenance status', async () => {
    assert.equal(await client.get('foo').string(), 'bar');
    const status = await client.maintenance.status();
    assert.equal(status.version, '3.4.23');
    assert.equal(status.header.cluster_id, String(2 ** 40 + 7));
  });

  it('put errors carry our message', async () => {
    await assert.rejects(client.put('boom').value('x').exec(), /etcdserver: boom ünïcode 100%/);
  });

  it('watch receives put and delete events', async () => {
    const watcher = await client.watch().key('a').create();
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      watcher.on('put', (kv) => events.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
      watcher.on('delete', (kv) => {
        events.push(`delete ${kv.key.toString()}`);
        resolve();
      });
    });
    await watcher.cancel();
    assert.deepEqual(events, ['put a=v0', 'delete a']);
  });
});
