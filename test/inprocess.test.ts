/**
 * `kubeling apiserver --in-process-store DIR` as a user runs it: one process
 * holding the API server and a single-member store; it serves, stops on
 * SIGTERM, and a restart on the same directory still has what was written.
 * With --in-process-store-client-url, etcdctl reads the same keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { etcdctl, freePort, haveEtcd } from './cluster.js';
import { startKubeling, type KubelingProc } from './proc.js';

const start = (args: string[]): KubelingProc => startKubeling('apiserver', args);

/** One JSON call. */
function call(port: number, method: string, path: string, body?: unknown): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((res, rej) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, headers: data ? { 'content-type': 'application/json' } : {} }, (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => res({ code: r.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', rej);
    req.end(data);
  });
}

/** Resolves once the server answers GET /api/v1/namespaces with 200; rejects if it exits first. */
async function serving(p: KubelingProc, port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await call(port, 'GET', '/api/v1/namespaces').then((r) => r.code === 200, () => false);
    if (ok) return;
    const code = await Promise.race([p.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
    if (code !== 'wait') throw new Error(`the apiserver exited (${code}) before serving:\n${p.out}`);
    if (Date.now() > deadline) throw new Error(`the apiserver did not serve within 30 s:\n${p.out}`);
  }
}

describe('kubeling apiserver --in-process-store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-inprocess-'));
  const running: KubelingProc[] = [];
  after(() => {
    for (const p of running) p.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves, stops on SIGTERM, and a restart on the same directory has the objects', async () => {
    const port = await freePort();
    const first = start(['--in-process-store', dir, '--insecure-port', String(port)]);
    running.push(first);
    await serving(first, port);
    const names = (r: { body: Record<string, unknown> }): string[] => (r.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
    assert.equal((await call(port, 'GET', '/api/v1/namespaces')).body.kind, 'NamespaceList');
    const created = await call(port, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kept' } });
    assert.equal(created.code, 201, JSON.stringify(created.body));
    assert.match(first.out, /over the in-process store in /);

    first.proc.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.out);

    const port2 = await freePort();
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const second = start(['--in-process-store', dir, '--insecure-port', String(port2), '--in-process-store-client-url', clientUrl]);
    running.push(second);
    await serving(second, port2);
    assert.ok(names(await call(port2, 'GET', '/api/v1/namespaces')).includes('kept'));
    const got = await call(port2, 'GET', '/api/v1/namespaces/kept');
    assert.equal((got.body.metadata as { resourceVersion: string }).resourceVersion, (created.body.metadata as { resourceVersion: string }).resourceVersion);
    if (haveEtcd()) {
      const keys = etcdctl(clientUrl, ['get', '--prefix', '--keys-only', '/registry/namespaces/']).stdout;
      assert.match(keys, /^\/registry\/namespaces\/kept$/m, 'etcdctl reads the same store through the client URL');
    }
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.out);
  });

  it('refuses --etcd-servers with --in-process-store', async () => {
    const p = start(['--in-process-store', dir, '--etcd-servers', 'http://127.0.0.1:2379', '--insecure-port', '0']);
    running.push(p);
    assert.equal(await p.exited, 1);
    assert.match(p.out, /--etcd-servers and --in-process-store exclude each other/);
  });
});
