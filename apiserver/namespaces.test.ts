/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * Namespace deletion as kube-apiserver does it: a DELETE marks the namespace
 * Terminating while finalizers hold it, /finalize changes spec.finalizers,
 * and the namespace goes once both finalizer lists are empty;
 * NamespaceLifecycle refuses content in a terminating or missing namespace
 * and the deletion of the immortal ones. No namespace controller runs here:
 * the test finalizes by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';

describe('namespace deletion and NamespaceLifecycle', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    await t?.stop();
  });
  const call = (...args: Parameters<TestApi['call']>) => t.call(...args);
  const mkns = async (name: string, extra: Record<string, unknown> = {}) => {
    const r = await call('POST', '/api/v1/namespaces', { metadata: { name }, ...extra });
    assert.equal(r.code, 201, JSON.stringify(r.body));
    return r.body;
  };

  it('creates a namespace Active with the kubernetes finalizer, which only /finalize changes', async () => {
    const a = await mkns('ns-a');
    assert.deepEqual([a.status, a.spec], [{ phase: 'Active' }, { finalizers: ['kubernetes'] }]);
    const b = await mkns('ns-b', { spec: { finalizers: ['example.com/keep'] } });
    assert.deepEqual(b.spec.finalizers, ['example.com/keep', 'kubernetes'], 'kubernetes is added to the finalizers given');

    const put = await call('PUT', '/api/v1/namespaces/ns-a', { ...a, metadata: { ...a.metadata, labels: { team: 'x' } }, spec: { finalizers: [] }, status: { phase: 'Terminating' } });
    assert.equal(put.code, 200);
    assert.deepEqual([put.body.metadata.labels.team, put.body.spec.finalizers, put.body.status.phase], ['x', ['kubernetes'], 'Active'], 'a write to the object keeps spec.finalizers and status');

    const bad = await call('PUT', '/api/v1/namespaces/ns-a/finalize', { ...put.body, spec: { finalizers: ['nope'] } });
    assert.equal(bad.code, 422);
    assert.equal(bad.body.message, 'Namespace "ns-a" is invalid: spec.finalizers[0]: Invalid value: "nope": name is neither a standard finalizer name nor is it fully qualified');

    const fin = await call('PUT', '/api/v1/namespaces/ns-a/finalize', { ...put.body, spec: { finalizers: ['example.com/other'] }, status: { phase: 'Gone' } });
    assert.equal(fin.code, 200);
    assert.deepEqual([fin.body.spec.finalizers, fin.body.status.phase], [['example.com/other'], 'Active'], '/finalize takes spec.finalizers, never the status');
    const stale = await call('PUT', '/api/v1/namespaces/ns-a/finalize', { ...put.body, spec: {} });
    assert.equal(stale.code, 409, 'a finalize names the resourceVersion it read');

    for (const method of ['GET', 'PATCH']) assert.equal((await call(method, '/api/v1/namespaces/ns-a/finalize', method === 'PATCH' ? {} : undefined, 'application/merge-patch+json')).code, 405);
    const res = await call('GET', '/api/v1');
    assert.deepEqual(res.body.resources.find((r: any) => r.name === 'namespaces/finalize'), { name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] });
  });

  it('marks a namespace Terminating on DELETE, refuses new content in it, and removes it once finalized', async () => {
    const ns = await mkns('ending');
    assert.equal((await call('POST', '/api/v1/namespaces/ending/configmaps', { metadata: { name: 'before' } })).code, 201);
    const dry = await call('DELETE', '/api/v1/namespaces/ending?dryRun=All');
    assert.equal(dry.code, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/ending')).body.status.phase, 'Active', 'a dry run marks nothing');

    const del = await call('DELETE', '/api/v1/namespaces/ending');
    assert.equal(del.code, 200);
    assert.equal(del.body.kind, 'Namespace');
    assert.equal(del.body.metadata.uid, ns.metadata.uid);
    assert.match(del.body.metadata.deletionTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, undefined, 'a namespace is marked, not graced');
    assert.deepEqual([del.body.status.phase, del.body.spec.finalizers], ['Terminating', ['kubernetes']]);
    const again = await call('DELETE', '/api/v1/namespaces/ending');
    assert.deepEqual([again.code, again.body.metadata.resourceVersion, again.body.metadata.deletionTimestamp], [200, del.body.metadata.resourceVersion, del.body.metadata.deletionTimestamp]);

    // at once after the DELETE: NamespaceLifecycle reads a just-deleted namespace from the store
    const refused = await call('POST', '/api/v1/namespaces/ending/configmaps', { metadata: { name: 'late' } });
    assert.deepEqual(refused, {
      code: 403,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'configmaps "late" is forbidden: unable to create new content in namespace ending because it is being terminated',
        reason: 'Forbidden',
        details: { name: 'late', kind: 'configmaps', causes: [{ reason: 'NamespaceTerminating', message: 'namespace ending is being terminated', field: 'metadata.namespace' }] },
        code: 403,
      },
    });
    const deployment = await call('POST', '/apis/apps/v1/namespaces/ending/deployments', { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    assert.deepEqual([deployment.code, deployment.body.details], [403, { name: 'd', group: 'apps', kind: 'deployments', causes: [{ reason: 'NamespaceTerminating', message: 'namespace ending is being terminated', field: 'metadata.namespace' }] }]);
    assert.equal((await call('PUT', '/api/v1/namespaces/ending/configmaps/before', { metadata: { name: 'before' }, data: { still: 'writable' } })).code, 200, 'existing content may still change');
    assert.equal((await call('GET', '/api/v1/namespaces/ending')).body.status.phase, 'Terminating');

    const current = (await call('GET', '/api/v1/namespaces/ending')).body;
    const fin = await call('PUT', '/api/v1/namespaces/ending/finalize', { ...current, spec: { finalizers: [] } });
    assert.equal(fin.code, 200);
    assert.deepEqual(fin.body.spec.finalizers, []);
    assert.equal((await call('GET', '/api/v1/namespaces/ending')).code, 404, 'no finalizer left: gone');
    assert.deepEqual((await call('GET', '/api/v1/namespaces/ending/configmaps/before')).code, 200, 'the API server leaves the content to the namespace controller');
  });

  it('keeps a terminating namespace while metadata.finalizers hold it, and deletes an already finalized one at once', async () => {
    await mkns('held', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const del = await call('DELETE', '/api/v1/namespaces/held');
    const fin = await call('PUT', '/api/v1/namespaces/held/finalize', { ...del.body, spec: {} });
    assert.deepEqual([fin.code, fin.body.status.phase, fin.body.metadata.finalizers], [200, 'Terminating', ['example.com/hold']]);
    assert.equal((await call('GET', '/api/v1/namespaces/held')).code, 200);
    const released = await call('PATCH', '/api/v1/namespaces/held', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(released.code, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/held')).code, 404);

    const free = await mkns('free');
    const finalized = await call('PUT', '/api/v1/namespaces/free/finalize', { ...free, spec: { finalizers: [] } });
    assert.equal(finalized.body.status.phase, 'Active');
    const gone = await call('DELETE', '/api/v1/namespaces/free');
    assert.equal(gone.code, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/free')).code, 404, 'nothing holds it: deleted at once');
  });

  it('refuses content in a missing namespace and the deletion of default, kube-system and kube-public', async () => {
    const missing = await call('POST', '/api/v1/namespaces/nowhere/secrets', { metadata: { name: 's' } });
    assert.deepEqual(missing, {
      code: 404,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'namespaces "nowhere" not found', reason: 'NotFound', details: { name: 'nowhere', kind: 'namespaces' }, code: 404 },
    });
    for (const name of ['default', 'kube-system', 'kube-public']) {
      assert.deepEqual(await call('DELETE', `/api/v1/namespaces/${name}`), {
        code: 403,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
          reason: 'Forbidden',
          details: { name, kind: 'namespaces' },
          code: 403,
        },
      });
      assert.equal((await call('GET', `/api/v1/namespaces/${name}`)).body.status.phase, 'Active');
    }
    assert.equal((await call('DELETE', '/api/v1/namespaces/kube-node-lease?dryRun=All')).code, 200, 'kube-node-lease is not immortal');
  });

  it('kubectl delete namespace prints it deleted, and kubectl get ns shows it Terminating', async () => {
    await mkns('by-kubectl');
    const del = await t.kubectl('delete', 'namespace', 'by-kubectl', '--wait=false');
    assert.equal(del.status, 0, del.stderr);
    assert.equal(del.stdout, 'namespace "by-kubectl" deleted\n');
    const get = await t.kubectl('get', 'ns', 'by-kubectl', '--no-headers');
    assert.match(get.stdout, /^by-kubectl +Terminating +\d+s\n$/);
    const immortal = await t.kubectl('delete', 'namespace', 'default');
    assert.equal(immortal.status, 1);
    assert.equal(immortal.stderr, 'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
  });
});
