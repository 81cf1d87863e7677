import assert from 'node:assert/strict';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { waitUntil } from '../test/proc.js';
import { Informer, keyOf, stripManagedFields } from './informer.js';
import { InformerFactory } from './informerfactory.js';
import { RestClient } from './rest.js';
import type { KubeObject, Pod } from './types.js';

const cms = { resource: 'configmaps', namespace: 'default' } as const;
const pods = { resource: 'pods', namespace: 'default' } as const;
const pod = (name: string, nodeName?: string): Pod => ({ metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });

/** A handler recording what it was told, as `add x`, `update x`, `delete x`. */
function recorder(): { log: string[]; h: Parameters<Informer['addEventHandler']>[0] } {
  const log: string[] = [];
  return {
    log,
    h: {
      onAdd: (o, initial) => log.push(`add${initial ? '0' : ''} ${o.metadata.name}`),
      onUpdate: (_o, n) => log.push(`update ${n.metadata.name}`),
      onDelete: (o) => log.push(`delete ${o.metadata.name}`),
    },
  };
}

describe('Informer', () => {
  let t: TestApi;
  let c: RestClient;
  const quiet = (): void => {};
  before(async () => {
    t = await TestApi.start({ watchCacheSize: 20 });
    c = RestClient.fromKubeconfig(t.kubeconfig);
  });
  after(async () => {
    c?.close();
    await t?.stop();
  });

  it('lists in pages, then watches; several handlers; a late handler gets the current objects', async () => {
    for (let i = 0; i < 5; i++) await c.create(cms, { metadata: { name: `i-${i}`, labels: { app: 'inf' } } });
    const inf = new Informer(c, { resource: cms, labelSelector: 'app=inf', pageSize: 2, log: quiet });
    const a = recorder();
    inf.addEventHandler(a.h);
    assert.equal(inf.hasSynced(), false);
    inf.start();
    await inf.waitForSync(10_000);
    assert.equal(inf.list().length, 5);
    assert.deepEqual(a.log.sort(), [0, 1, 2, 3, 4].map((i) => `add0 i-${i}`));
    assert.equal(inf.get('default/i-3')?.metadata.name, 'i-3');
    a.log.length = 0;
    await c.create(cms, { metadata: { name: 'i-5', labels: { app: 'inf' } } });
    await c.patch({ ...cms, name: 'i-0' }, 'merge', { data: { x: '1' } });
    await c.delete({ ...cms, name: 'i-1' });
    await c.create(cms, { metadata: { name: 'other' } }); // not selected
    await waitUntil(() => a.log.length >= 3);
    assert.deepEqual(a.log, ['add i-5', 'update i-0', 'delete i-1']);
    assert.deepEqual((inf.get('default/i-0') as KubeObject).data, { x: '1' });
    assert.equal(inf.get('default/i-1'), undefined);
    const b = recorder();
    const remove = inf.addEventHandler(b.h);
    assert.deepEqual(b.log.sort(), ['add0 i-0', 'add0 i-2', 'add0 i-3', 'add0 i-4', 'add0 i-5']);
    remove();
    await c.delete({ ...cms, name: 'i-2' });
    await waitUntil(() => a.log.length >= 4);
    assert.equal(b.log.length, 5, 'a removed handler hears nothing more');
    inf.stop();
  });

  it('applies a transform to listed and watched objects (stripManagedFields), and a factory shares one informer per resource', async () => {
    await c.create(cms, { metadata: { name: 'tr-0', labels: { app: 'tr' } } });
    const factory = new InformerFactory(c, { log: quiet });
    const spec = { resource: cms, labelSelector: 'app=tr', transform: stripManagedFields };
    const inf = factory.informer(spec);
    assert.equal(factory.informer({ resource: { ...cms }, labelSelector: 'app=tr' }), inf, 'the same resource and selector: the same informer');
    assert.notEqual(factory.informer({ resource: cms, labelSelector: 'app=other' }), inf);
    const seen: KubeObject[] = [];
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n) });
    factory.start();
    await factory.waitForSync(10_000);
    await c.patch({ ...cms, name: 'tr-0' }, 'merge', { data: { x: '1' } });
    const late = factory.informer<KubeObject>({ resource: { resource: 'secrets', namespace: 'default' } });
    await late.waitForSync(10_000); // made after start(): started at once
    await waitUntil(() => seen.length >= 2);
    assert.ok((await c.get<KubeObject>({ ...cms, name: 'tr-0' })).metadata.managedFields, 'the server has managedFields');
    for (const o of [...seen, inf.get('default/tr-0')!]) assert.equal(o.metadata.managedFields, undefined);
    factory.stop();
  });

  it('indexes pods by node', async () => {
    const inf = new Informer<Pod>(c, { resource: pods, log: quiet });
    inf.addIndexer('node', (p) => (p.spec.nodeName ? [p.spec.nodeName] : []));
    inf.start();
    await inf.waitForSync(10_000);
    await c.create(pods, pod('p1', 'n1'));
    await c.create(pods, pod('p2', 'n1'));
    await c.create(pods, pod('p3', 'n2'));
    await c.create(pods, pod('p4'));
    await waitUntil(() => inf.list().length === 4);
    assert.deepEqual(inf.byIndex('node', 'n1').map(keyOf).sort(), ['default/p1', 'default/p2']);
    assert.deepEqual(inf.byIndex('node', 'n2').map(keyOf), ['default/p3']);
    await c.delete({ ...pods, name: 'p2' }, { gracePeriodSeconds: 0 });
    await waitUntil(() => inf.byIndex('node', 'n1').length === 1);
    inf.addIndexer('phase', (p) => [p.status?.phase ?? '']);
    assert.equal(inf.byIndex('phase', 'Pending').length, 3, 'a late index covers the cached objects');
    assert.throws(() => inf.byIndex('nope', 'x'));
    inf.stop();
  });

  it('resumes a cut watch from the last resourceVersion, and relists with the differences on 410', async () => {
    // the informer reaches the server through a proxy the test can cut and hold shut
    const sockets = new Set<Socket>();
    let shut = false;
    const target = new URL(t.base);
    const proxy = createNetServer((s) => {
      if (shut) return void s.destroy();
      const up = connect(Number(target.port), target.hostname);
      for (const x of [s, up]) {
        sockets.add(x);
        x.on('close', () => sockets.delete(x));
        x.on('error', () => {});
      }
      s.pipe(up).pipe(s);
      s.on('close', () => up.destroy());
      up.on('close', () => s.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const cut = (): void => sockets.forEach((x) => x.destroy());
    const ic = new RestClient({ server: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });

    const logs: string[] = [];
    for (let i = 0; i < 4; i++) await c.create(cms, { metadata: { name: `g-${i}`, labels: { app: 'gone' } } });
    const inf = new Informer(ic, { resource: cms, labelSelector: 'app=gone', log: (m) => logs.push(m), backoff: { initialMs: 20, maxMs: 200 } });
    const a = recorder();
    inf.addEventHandler(a.h);
    inf.start();
    await inf.waitForSync(10_000);
    a.log.length = 0;
    const gone = (): number => logs.filter((l) => l.includes('410')).length;

    // a dropped connection: the informer resumes without a relist and misses nothing
    cut();
    await c.patch({ ...cms, name: 'g-0' }, 'merge', { data: { v: '1' } });
    await waitUntil(() => a.log.includes('update g-0'));
    assert.equal(gone(), 0);
    assert.deepEqual(a.log, ['update g-0']);
    a.log.length = 0;

    // cut and held off while more than the watch cache's 20 events happen: 410, relist, differences
    shut = true;
    cut();
    await c.delete({ ...cms, name: 'g-1' }); // gone
    await c.patch({ ...cms, name: 'g-2' }, 'merge', { data: { v: '2' } }); // changed
    await c.create(cms, { metadata: { name: 'g-new', labels: { app: 'gone' } } }); // new
    for (let i = 0; i < 25; i++) await c.patch({ ...cms, name: 'other' }, 'merge', { data: { n: String(i) } }); // churn
    assert.deepEqual(a.log, [], 'nothing heard while cut off');
    shut = false;
    await waitUntil(() => gone() > 0 && a.log.length >= 3);
    assert.deepEqual(a.log.sort(), ['add g-new', 'delete g-1', 'update g-2']);
    assert.deepEqual(inf.list().map((o) => o.metadata.name).sort(), ['g-0', 'g-2', 'g-3', 'g-new']);
    // and it watches on after the relist
    await c.delete({ ...cms, name: 'g-3' });
    await waitUntil(() => a.log.includes('delete g-3'));
    inf.stop();
    ic.close();
    cut();
    proxy.close();
  });
});
