import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { waitUntil } from '../test/proc.js';
import { ApiError, isAlreadyExists, isConflict, isGone, isNotFound } from './errors.js';
import { RestClient, resourcePath, userAgent } from './rest.js';
import type { KubeObject, WatchEvent } from './types.js';

/** Polls `f` until it holds, failing after `ms`. */
const cms = { resource: 'configmaps', namespace: 'default' } as const;

describe('RestClient against an HTTPS API server, from its admin kubeconfig', () => {
  let t: TestApi;
  let c: RestClient;
  before(async () => {
    t = await TestApi.start({ tls: true });
    c = RestClient.fromKubeconfig(t.kubeconfig, { userAgent: userAgent('kubeling-test') });
  });
  after(async () => {
    c?.close();
    await t?.stop();
  });

  it('builds paths from pieces', () => {
    assert.equal(resourcePath({ resource: 'pods', namespace: 'a', name: 'p', subresource: 'status' }), '/api/v1/namespaces/a/pods/p/status');
    assert.equal(resourcePath({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }), '/apis/coordination.k8s.io/v1/leases');
    assert.throws(() => resourcePath({ resource: 'pods', subresource: 'status' }));
  });

  it('creates, gets, updates and deletes, with typed errors', async () => {
    const cm = await c.create(cms, { metadata: { name: 'one' }, data: { a: '1' } });
    assert.equal(cm.metadata.name, 'one');
    const got = await c.get({ ...cms, name: 'one' });
    assert.deepEqual(got.data, { a: '1' });
    await assert.rejects(c.create(cms, { metadata: { name: 'one' } }), (e) => isAlreadyExists(e) && !isConflict(e));
    const updated = await c.update({ ...cms, name: 'one' }, { ...got, data: { a: '2' } });
    await assert.rejects(c.update({ ...cms, name: 'one' }, { ...got, data: { a: '3' } }), (e) => isConflict(e) && (e as ApiError).status.code === 409);
    assert.deepEqual(updated.data, { a: '2' });
    await c.delete({ ...cms, name: 'one' });
    await assert.rejects(c.get({ ...cms, name: 'one' }), (e: unknown) => {
      assert.ok(isNotFound(e) && e instanceof ApiError);
      assert.equal(e.status.reason, 'NotFound');
      assert.equal(e.status.details?.name, 'one');
      assert.match(e.message, /not found/);
      return true;
    });
  });

  it('patches: merge, strategic, json and server-side apply', async () => {
    await c.create(cms, { metadata: { name: 'p' }, data: { a: '1' } });
    const ref = { ...cms, name: 'p' };
    assert.deepEqual((await c.patch(ref, 'merge', { data: { b: '2' } })).data, { a: '1', b: '2' });
    assert.deepEqual((await c.patch(ref, 'strategic', { metadata: { labels: { x: 'y' } } })).metadata.labels, { x: 'y' });
    assert.deepEqual((await c.patch(ref, 'json', [{ op: 'remove', path: '/data/a' }])).data, { b: '2' });
    const applied = await c.patch(ref, 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p' }, data: { c: '3' } }, { fieldManager: 'tester' });
    assert.equal((applied.data as Record<string, string>).c, '3');
    assert.ok(applied.metadata.managedFields);
    assert.throws(() => c.patch(ref, 'apply', {}));
  });

  it('lists with selectors, pages through a whole list, deletes a collection', async () => {
    for (let i = 0; i < 7; i++) await c.create(cms, { metadata: { name: `page-${i}`, labels: { set: 'paged', odd: String(i % 2) } } });
    const page = await c.list(cms, { limit: 3 });
    assert.equal(page.items.length, 3);
    assert.ok(page.metadata.continue);
    const unpaged = await c.list(cms);
    const paged = await c.listAll(cms, { pageSize: 2 });
    assert.deepEqual(paged.items.map((o) => o.metadata.name), unpaged.items.map((o) => o.metadata.name));
    const all = await c.listAll(cms, { labelSelector: 'set=paged', pageSize: 3 });
    assert.deepEqual(all.items.map((o) => o.metadata.name).sort(), [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    assert.ok(all.metadata.resourceVersion);
    assert.equal((await c.list(cms, { labelSelector: 'set=paged,odd=1' })).items.length, 3);
    assert.equal((await c.list(cms, { fieldSelector: 'metadata.name=page-4' })).items.length, 1);
    await c.deleteCollection(cms, { labelSelector: 'odd=0' });
    assert.equal((await c.listAll(cms, { labelSelector: 'set=paged' })).items.length, 3);
  });

  it('watches from a resourceVersion, reporting events and the end', async () => {
    const rv = (await c.list(cms)).metadata.resourceVersion!;
    const events: WatchEvent[] = [];
    let end: Error | undefined | null = null;
    const w = c.watch(cms, { resourceVersion: rv, allowWatchBookmarks: true }, { onEvent: (e) => events.push(e), onEnd: (e) => (end = e) });
    await c.create(cms, { metadata: { name: 'w1' } });
    await c.patch({ ...cms, name: 'w1' }, 'merge', { data: { k: 'v' } });
    await c.delete({ ...cms, name: 'w1' });
    await waitUntil(() => events.length >= 3);
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    w.stop();
    assert.equal(await w.done, undefined);
    assert.equal(end, undefined);
  });

  it('reports a refused watch as an ApiError at its end', async () => {
    const w = c.watch({ resource: 'nosuchthings' }, {}, { onEvent: () => assert.fail('no events') });
    const err = await w.done;
    assert.ok(err instanceof ApiError && err.code === 404);
  });
});

describe('RestClient against a fake server (wire details)', () => {
  let server: Server;
  let base: string;
  const seen: IncomingHttpHeaders[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url?.startsWith('/api/v1/pods?watch=true')) {
        // an event split across chunks, a UTF-8 character split in two, two events in one chunk, then the end
        res.writeHead(200, { 'content-type': 'application/json' });
        const ev = (name: string): string => JSON.stringify({ type: 'ADDED', object: { metadata: { name, resourceVersion: '5' } } }) + '\n';
        const bytes = Buffer.from(ev('hé') + ev('b') + ev('c'));
        const cut = bytes.indexOf(Buffer.from('é')) + 1;
        res.write(bytes.subarray(0, 10));
        setTimeout(() => res.write(bytes.subarray(10, cut)), 20);
        setTimeout(() => res.write(bytes.subarray(cut)), 40);
        setTimeout(() => res.end(), 60);
        return;
      }
      if (req.url === '/api/v1/gone') return void res.writeHead(410).end('too old');
      if (req.url === '/api/v1/slow') return void setTimeout(() => res.end('{}'), 2000);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"metadata":{}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('parses a watch stream incrementally, however the chunks fall', async () => {
    const c = new RestClient({ server: base });
    const names: string[] = [];
    const w = c.watch<KubeObject>({ resource: 'pods' }, {}, { onEvent: (e) => names.push(e.object.metadata.name!) });
    assert.equal(await w.done, undefined);
    assert.deepEqual(names, ['hé', 'b', 'c']);
    c.close();
  });

  it('sends the user agent and bearer token; makes a Status of a bare error; times out', async () => {
    const c = new RestClient({ server: base, token: 'tok', userAgent: 'kubeling-scheduler/v0.1.0', timeoutMs: 300, qps: 1000 });
    await c.request('GET', '/api/v1/x');
    assert.equal(seen.at(-1)?.['user-agent'], 'kubeling-scheduler/v0.1.0');
    assert.equal(seen.at(-1)?.authorization, 'Bearer tok');
    // a controller's own client: another user agent, the same token
    await c.withUserAgent('kubeling-scheduler/v0.1.0/binder').request('GET', '/api/v1/x');
    assert.equal(seen.at(-1)?.['user-agent'], 'kubeling-scheduler/v0.1.0/binder');
    assert.equal(seen.at(-1)?.authorization, 'Bearer tok');
    assert.equal(seen.at(-1)?.connection, 'keep-alive');
    await assert.rejects(c.request('GET', '/api/v1/gone'), (e) => isGone(e) && (e as ApiError).status.message === 'too old');
    await assert.rejects(c.request('GET', '/api/v1/slow'), /within 300 ms/);
    c.close();
    assert.match(userAgent('kubeling-scheduler'), /^kubeling-scheduler\/v0\.1\.0 /);
  });
});
