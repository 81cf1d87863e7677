/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The garbage collector through a real API server, run by the controller
 * manager, driven by the real kubectl: background deletion of ownership
 * chains (owners checked by uid), foreground deletion (the owner stays until
 * its blocking dependents are gone), orphan deletion (dependents live on
 * without the reference), a hand-made Deployment → ReplicaSet → Pod chain,
 * and references the collector cannot honour (another namespace, an unknown
 * kind, a cluster-scoped object naming a namespaced owner).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { ControllerManager } from '../manager.js';
import { garbageCollectorRegistration } from './index.js';

const NS = 'gc';

describe('garbage collector over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  let m: ControllerManager;
  const lines: string[] = [];
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
    for (const ns of [NS, 'gc-other']) assert.equal((await t.call('POST', '/api/v1/namespaces', { metadata: { name: ns } })).code, 201);
    m = new ControllerManager({ client, registry: new Map([['garbage-collector', garbageCollectorRegistration]]), log: (l) => lines.push(l) });
    await m.start();
  });
  after(async () => {
    await m?.stop();
    client?.close();
    await t?.stop();
  });

  type Owner = { apiVersion: string; kind: string; metadata: { name: string; uid: string } };
  const owned = (o: Owner, extra: Record<string, unknown> = {}) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, ...extra });
  const post = async (path: string, body: unknown): Promise<any> => {
    const r = await t.call('POST', path, body);
    assert.equal(r.code, 201, JSON.stringify(r.body));
    return r.body;
  };
  const cm = (name: string, refs: unknown[] = [], meta: Record<string, unknown> = {}, ns = NS) => post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name, ownerReferences: refs, ...meta } });
  const cmPath = (name: string, ns = NS) => `/api/v1/namespaces/${ns}/configmaps/${name}`;
  const gone = (path: string, ms?: number) => until(`${path} gone`, async () => ((await t.call('GET', path)).code === 404 ? true : undefined), ms);
  const get = async (path: string): Promise<any> => (await t.call('GET', path)).body;
  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await t.kubectl('-n', NS, ...args);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it('deletes in the background: a chain goes link by link, a dependent with another live owner only loses the reference, owners are checked by uid', async () => {
    const keep = await cm('keep');
    const a = await cm('a');
    const b = await cm('b', [owned(a)]);
    await cm('c', [owned(b)]);
    await cm('shared', [owned(a), owned(keep)]);
    await cm('impostor-child', [owned({ ...keep, metadata: { name: 'keep', uid: '00000000-0000-0000-0000-000000000000' } })]);
    assert.equal(await kubectl('delete', 'configmap', 'a', '--cascade=background'), 'configmap "a" deleted\n');
    await gone(cmPath('b'));
    await gone(cmPath('c'));
    await gone(cmPath('impostor-child'));
    const shared = await until('shared loses its dangling reference', async () => {
      const s = await get(cmPath('shared'));
      return s.metadata.ownerReferences?.length === 1 ? s : undefined;
    });
    assert.deepEqual(shared.metadata.ownerReferences, [owned(keep)]);
    assert.equal((await t.call('GET', cmPath('keep'))).code, 200);
  });

  it('deletes in the foreground: the owner stays, marked, until its blocking dependents are gone', async () => {
    const f = await cm('f');
    await cm('held', [owned(f, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
    await cm('free', [owned(f)]);
    const deleting = t.kubectl('-n', NS, 'delete', 'configmap', 'f', '--cascade=foreground', '--timeout=30s');
    const held = await until('the blocking dependent marked', async () => {
      const h = await get(cmPath('held'));
      return h.metadata?.deletionTimestamp ? h : undefined;
    });
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold']);
    await gone(cmPath('free'));
    const owner = await get(cmPath('f'));
    assert.ok(owner.metadata.deletionTimestamp, 'the owner is being deleted ...');
    assert.deepEqual(owner.metadata.finalizers, ['foregroundDeletion'], '... and waits for its dependents');
    assert.equal((await t.call('PATCH', cmPath('held'), { metadata: { finalizers: null } }, 'application/merge-patch+json')).code, 200);
    const r = await deleting;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'configmap "f" deleted\n');
    assert.equal((await t.call('GET', cmPath('f'))).code, 404);
    assert.equal((await t.call('GET', cmPath('held'))).code, 404);

    await cm('lone');
    assert.equal(await kubectl('delete', 'configmap', 'lone', '--cascade=foreground', '--timeout=30s'), 'configmap "lone" deleted\n', 'no dependents: the finalizer goes at once');
  });

  it('deletes orphaning: the dependents live on without the reference', async () => {
    const keep = await get(cmPath('keep'));
    const o = await cm('o');
    await cm('o1', [owned(o, { controller: true, blockOwnerDeletion: true })]);
    await cm('o2', [owned(o), owned({ apiVersion: 'v1', kind: 'ConfigMap', metadata: keep.metadata })]);
    assert.equal(await kubectl('delete', 'configmap', 'o', '--cascade=orphan', '--timeout=30s'), 'configmap "o" deleted\n');
    assert.equal((await t.call('GET', cmPath('o'))).code, 404);
    const o1 = await get(cmPath('o1'));
    assert.deepEqual(o1.metadata.ownerReferences ?? [], []);
    assert.deepEqual((await get(cmPath('o2'))).metadata.ownerReferences.map((r: any) => r.name), ['keep']);
  });

  it('deletes a hand-made Deployment → ReplicaSet → Pod chain in the foreground and in the background', async () => {
    const labels = { app: 'web' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const chain = async (name: string) => {
      const d = await post(`/apis/apps/v1/namespaces/${NS}/deployments`, { metadata: { name }, spec: { replicas: 2, selector: { matchLabels: labels }, template } });
      const rs = await post(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
        metadata: { name: `${name}-rs`, labels, ownerReferences: [owned(d, { controller: true, blockOwnerDeletion: true })] },
        spec: { replicas: 2, selector: { matchLabels: labels }, template },
      });
      const pods = [];
      for (const i of [0, 1]) {
        pods.push(await post(`/api/v1/namespaces/${NS}/pods`, { metadata: { name: `${name}-rs-${i}`, labels, ownerReferences: [owned(rs, { controller: true, blockOwnerDeletion: true })] }, spec: template.spec }));
      }
      return { d, rs, pods };
    };
    const fg = await chain('fg');
    assert.equal(await kubectl('delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=30s'), 'deployment.apps "fg" deleted\n');
    // the deployment went last: by then its dependents, and theirs, were gone
    assert.equal((await t.call('GET', `/apis/apps/v1/namespaces/${NS}/replicasets/fg-rs`)).code, 404);
    for (const p of fg.pods) assert.equal((await t.call('GET', `/api/v1/namespaces/${NS}/pods/${p.metadata.name}`)).code, 404);

    await chain('bg');
    assert.equal(await kubectl('delete', 'deployment', 'bg'), 'deployment.apps "bg" deleted\n', 'kubectl deletes in the background by default');
    await gone(`/apis/apps/v1/namespaces/${NS}/replicasets/bg-rs`);
    for (const i of [0, 1]) await gone(`/api/v1/namespaces/${NS}/pods/bg-rs-${i}`);
  });

  it('treats an owner in another namespace as absent and reports it; leaves alone references to unknown kinds and a cluster-scoped dependent of a namespaced owner', async () => {
    const elsewhere = await cm('elsewhere', [], {}, 'gc-other');
    const stray = await cm('stray', [owned(elsewhere)]);
    await gone(cmPath('stray'));
    assert.equal((await t.call('GET', cmPath('elsewhere', 'gc-other'))).code, 200, 'the owner itself is untouched');
    const events = async (ns: string, reason: string) => (await get(`/api/v1/namespaces/${ns}/events`)).items.filter((e: any) => e.reason === reason);
    const [ev] = await until('an OwnerRefInvalidNamespace event', async () => ((await events(NS, 'OwnerRefInvalidNamespace')).length ? events(NS, 'OwnerRefInvalidNamespace') : undefined));
    assert.deepEqual(
      [ev.type, ev.source, ev.involvedObject, ev.message],
      [
        'Warning',
        { component: 'garbage-collector-controller' },
        { kind: 'ConfigMap', apiVersion: 'v1', namespace: NS, name: 'stray', uid: stray.metadata.uid },
        `ownerRef [v1/ConfigMap, namespace: ${NS}, name: elsewhere, uid: ${elsewhere.metadata.uid}] does not exist in namespace "${NS}"`,
      ],
    );

    await cm('widget-part', [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: '11111111-1111-1111-1111-111111111111' }]);
    await until('the collector to fail to map Widget', () => (lines.some((l) => l.includes('no matches for kind "Widget" in version "example.com/v1"')) ? true : undefined));
    assert.equal((await t.call('GET', cmPath('widget-part'))).code, 200, 'an owner of an unknown kind is not taken for absent');

    const keep = await get(cmPath('keep'));
    const pc = await post('/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'owned-by-a-configmap', ownerReferences: [owned({ apiVersion: 'v1', kind: 'ConfigMap', metadata: keep.metadata })] }, value: 7 });
    const [pcEvent] = await until('the cluster-scoped dependent reported', async () => {
      const e = (await events('default', 'OwnerRefInvalidNamespace')).filter((x: any) => x.involvedObject.name === 'owned-by-a-configmap');
      return e.length ? e : undefined;
    });
    assert.deepEqual(pcEvent.involvedObject, { kind: 'PriorityClass', apiVersion: 'scheduling.k8s.io/v1', name: 'owned-by-a-configmap', uid: pc.metadata.uid });
    assert.equal(pcEvent.message, `ownerRef [v1/ConfigMap, namespace: , name: keep, uid: ${keep.metadata.uid}] does not exist in namespace ""`);
    assert.equal((await t.call('GET', '/apis/scheduling.k8s.io/v1/priorityclasses/owned-by-a-configmap')).code, 200, 'kept');
  });
});
