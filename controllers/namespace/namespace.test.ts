/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The namespace controller (with the garbage collector beside it, as
 * kube-controller-manager runs them) through a real API server and the real
 * kubectl: a deleted namespace is emptied of everything it holds, with its
 * conditions telling what remains (a pod on a node, which this test deletes
 * as its kubelet would once its grace period starts; an object held by a
 * finalizer), and goes once empty.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { garbageCollectorRegistration as gc } from '../garbagecollector/index.js';
import { ControllerManager, type Registration } from '../manager.js';
import { NamespaceController } from './index.js';

describe('namespace controller over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  let m: ControllerManager;
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
    const namespace: Registration = { factory: (ctx) => new NamespaceController(ctx, { deletionDelayMs: 20 }), workers: 10 };
    m = new ControllerManager({ client, registry: new Map([['garbage-collector', gc], ['namespace', namespace]]), log: () => {} });
    await m.start();
  });
  after(async () => {
    await m?.stop();
    client?.close();
    await t?.stop();
  });

  const post = async (path: string, body: unknown): Promise<any> => {
    const r = await t.call('POST', path, body);
    assert.equal(r.code, 201, JSON.stringify(r.body));
    return r.body;
  };
  const items = async (path: string): Promise<any[]> => (await t.call('GET', path)).body.items;
  const condition = (ns: any, type: string) => (ns.status.conditions ?? []).find((c: any) => c.type === type);
  const owned = (o: any) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true });

  it('deletes configmaps, secrets, pods and deployments, waits for a pod on its way out, then removes the namespace', async () => {
    const ns = 'doomed';
    await post('/api/v1/namespaces', { metadata: { name: ns } });
    const labels = { app: 'web' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    for (let i = 0; i < 3; i++) await post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `cm-${i}` }, data: { i: String(i) } });
    await post(`/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'token' }, stringData: { t: 'x' } });
    const d = await post(`/apis/apps/v1/namespaces/${ns}/deployments`, { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: labels }, template } });
    const rs = await post(`/apis/apps/v1/namespaces/${ns}/replicasets`, { metadata: { name: 'web-1', labels, ownerReferences: [owned(d)] }, spec: { replicas: 1, selector: { matchLabels: labels }, template } });
    await post(`/api/v1/namespaces/${ns}/pods`, { metadata: { name: 'web-1-a', labels, ownerReferences: [owned(rs)] }, spec: template.spec });
    await post(`/api/v1/namespaces/${ns}/pods`, { metadata: { name: 'slow' }, spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 4, containers: [{ name: 'c', image: 'nginx' }] } });

    const deleting = t.kubectl('delete', 'namespace', ns, '--timeout=30s');
    // the pod on a node is deleted gracefully: it stays until its kubelet (this test) confirms
    const slow = await until('the pod on a node being deleted', async () => {
      const p = (await t.call('GET', `/api/v1/namespaces/${ns}/pods/slow`)).body;
      return p.metadata?.deletionTimestamp ? p : undefined;
    });
    assert.equal(slow.metadata.deletionGracePeriodSeconds, 4);
    const terminating = await until('the namespace to report the remaining pod', async () => {
      const n = (await t.call('GET', `/api/v1/namespaces/${ns}`)).body;
      return condition(n, 'NamespaceContentRemaining')?.status === 'True' ? n : undefined;
    });
    assert.equal(terminating.status.phase, 'Terminating');
    assert.deepEqual(terminating.spec.finalizers, ['kubernetes']);
    assert.deepEqual(
      terminating.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]),
      [
        ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'],
        ['NamespaceDeletionGVParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
        ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
        ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain', 'Some resources are remaining: pods. has 1 resource instances'],
        ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
      ],
    );
    const get = await t.kubectl('get', 'namespace', ns, '--no-headers');
    assert.match(get.stdout, /^doomed +Terminating +\d+s\n$/);
    assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'late' } })).code, 403);
    for (const path of ['/api/v1/namespaces/doomed/configmaps', '/api/v1/namespaces/doomed/secrets', '/apis/apps/v1/namespaces/doomed/deployments', '/apis/apps/v1/namespaces/doomed/replicasets']) {
      assert.deepEqual(await items(path), [], `${path} emptied`);
    }
    assert.deepEqual((await items('/api/v1/namespaces/doomed/pods')).map((p) => p.metadata.name), ['slow']);

    assert.equal((await t.call('DELETE', `/api/v1/namespaces/${ns}/pods/slow?gracePeriodSeconds=0`)).code, 200, 'the kubelet confirms');
    const r = await deleting;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `namespace "${ns}" deleted\n`);
    assert.equal((await t.call('GET', `/api/v1/namespaces/${ns}`)).code, 404);
  });

  it('keeps a namespace whose content a finalizer holds, saying so, until the finalizer goes', async () => {
    const ns = 'held';
    await post('/api/v1/namespaces', { metadata: { name: ns } });
    await post(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'pinned', finalizers: ['example.com/hold'] } });
    assert.equal((await t.call('DELETE', `/api/v1/namespaces/${ns}`)).code, 200);
    const n = await until('the finalizer reported', async () => {
      const body = (await t.call('GET', `/api/v1/namespaces/${ns}`)).body;
      return condition(body, 'NamespaceFinalizersRemaining')?.status === 'True' ? body : undefined;
    });
    assert.deepEqual(condition(n, 'NamespaceFinalizersRemaining').message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.deepEqual(condition(n, 'NamespaceContentRemaining').message, 'Some resources are remaining: configmaps. has 1 resource instances');
    const pinned = (await t.call('GET', `/api/v1/namespaces/${ns}/configmaps/pinned`)).body;
    assert.ok(pinned.metadata.deletionTimestamp, 'deleted, held by its finalizer');
    assert.equal((await t.call('PATCH', `/api/v1/namespaces/${ns}/configmaps/pinned`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).code, 200);
    // the controller looks again after half the finalizer estimate (15 s): up to 7.5 s, then the deletion itself
    await until('the namespace gone', async () => ((await t.call('GET', `/api/v1/namespaces/${ns}`)).code === 404 ? true : undefined), 30_000);
  });
});
