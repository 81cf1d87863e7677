/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';

describe('API server over a kubeling store: CRUD, lists and Status errors', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    await t?.stop();
  });
  const call = (...args: Parameters<TestApi['call']>) => t.call(...args);

  it('creates, reads, lists, updates with a resourceVersion guard, and deletes a ConfigMap', async () => {
    const c = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', labels: { app: 'x' } }, data: { a: '1' }, junk: 1 });
    assert.equal(c.code, 201);
    assert.equal(c.body.metadata.namespace, 'default');
    assert.match(c.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(c.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(c.body.junk, undefined, 'unknown fields are dropped');
    const rv = c.body.metadata.resourceVersion as string;

    const got = await call('GET', '/api/v1/namespaces/default/configmaps/c1');
    assert.deepEqual(got.body, c.body);

    const list = await call('GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(list.body.kind, 'ConfigMapList');
    assert.deepEqual(list.body.items.map((i: any) => [i.metadata.name, i.kind]), [['c1', undefined]]);
    assert.ok(Number(list.body.metadata.resourceVersion) >= Number(rv));

    const updated = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', { ...c.body, data: { a: '2', b: 'x' } });
    assert.equal(updated.code, 200);
    assert.ok(Number(updated.body.metadata.resourceVersion) > Number(rv));
    assert.equal(updated.body.metadata.uid, c.body.metadata.uid);
    const same = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', updated.body);
    assert.equal(same.body.metadata.resourceVersion, updated.body.metadata.resourceVersion, 'an unchanged object is not written');
    const { metadata, ...rest } = updated.body;
    const reordered = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', { ...rest, data: { b: 'x', a: '2' }, metadata: Object.fromEntries(Object.entries(metadata).reverse()) });
    assert.equal(reordered.body.metadata.resourceVersion, updated.body.metadata.resourceVersion, 'the same object in another key order is not written either');

    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', { ...c.body, data: { a: '3' } });
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal(stale.body.message, 'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again');

    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/c1');
    assert.deepEqual(del.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'c1', kind: 'configmaps', uid: c.body.metadata.uid } });
    const gone = await call('GET', '/api/v1/namespaces/default/configmaps/c1');
    assert.deepEqual(gone, {
      code: 404,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "c1" not found', reason: 'NotFound', details: { name: 'c1', kind: 'configmaps' }, code: 404 },
    });
  });

  it("a PUT's uid is a precondition (409 for another object's); a patch or an apply may not change the uid (422)", async () => {
    const path = '/api/v1/namespaces/default/pods/uid-check';
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'uid-check' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const c = await call('POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(c.code, 201);
    const uid = c.body.metadata.uid as string;
    const other = '00000000-0000-0000-0000-000000000000';
    const precondition = `Operation cannot be fulfilled on pods "uid-check": Precondition failed: UID in precondition: ${other}, UID in object meta: ${uid}`;

    const put = await call('PUT', path, { ...c.body, metadata: { ...c.body.metadata, uid: other, labels: { a: '1' } } });
    assert.deepEqual([put.code, put.body.reason, put.body.message], [409, 'Conflict', precondition]);
    const unguarded = await call('PUT', path, { ...pod, metadata: { name: 'uid-check', uid: other, labels: { a: '1' } } });
    assert.deepEqual([unguarded.code, unguarded.body.message], [409, precondition], 'without a resourceVersion too: not retried');
    const status = await call('PUT', `${path}/status`, { ...c.body, metadata: { ...c.body.metadata, uid: other } });
    assert.deepEqual([status.code, status.body.message], [409, precondition], 'the status subresource alike');

    const same = await call('PUT', path, { ...c.body, metadata: { ...c.body.metadata, labels: { a: '1' } } });
    assert.deepEqual([same.code, same.body.metadata.uid, same.body.metadata.labels], [200, uid, { a: '1' }]);
    const meta = { ...same.body.metadata, labels: { a: '2' } };
    delete meta.uid;
    delete meta.resourceVersion;
    const none = await call('PUT', path, { ...same.body, metadata: meta });
    assert.deepEqual([none.code, none.body.metadata.uid], [200, uid], 'a body without a uid keeps the stored one');

    const immutable = `Pod "uid-check" is invalid: metadata.uid: Invalid value: "${other}": field is immutable`;
    const merge = await call('PATCH', path, { metadata: { uid: other } }, 'application/merge-patch+json');
    assert.deepEqual([merge.code, merge.body.reason, merge.body.message], [422, 'Invalid', immutable]);
    const apply = await call('PATCH', `${path}?fieldManager=t`, { ...pod, metadata: { name: 'uid-check', uid: other } }, 'application/apply-patch+yaml');
    assert.deepEqual([apply.code, apply.body.message], [422, immutable]);
    const kept = await call('GET', path);
    assert.deepEqual([kept.body.metadata.uid, kept.body.metadata.labels], [uid, { a: '2' }]);
    await call('DELETE', `${path}?gracePeriodSeconds=0`);
  });

  it('names from generateName, refuses duplicates and invalid names with Kubernetes\' Status', async () => {
    const g = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    assert.match(g.body.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const dup = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: g.body.metadata.name } });
    assert.equal(dup.code, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    const bad = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'Bad_Name' }, data: { 'no/slash': 'x' } });
    assert.equal(bad.code, 422);
    assert.equal(bad.body.reason, 'Invalid');
    assert.deepEqual(bad.body.details.causes.map((c: any) => [c.reason, c.field]), [['FieldValueInvalid', 'metadata.name'], ['FieldValueInvalid', 'data[no/slash]']]);
    assert.match(bad.body.message, /^ConfigMap "Bad_Name" is invalid: \[metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    const wrongNs = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x', namespace: 'other' } });
    assert.equal(wrongNs.code, 400);
    assert.equal(wrongNs.body.message, 'the namespace of the provided object does not match the namespace sent on the request');
    const proto = await call('POST', '/api/v1/namespaces/default/configmaps', {}, 'application/vnd.kubernetes.protobuf');
    assert.deepEqual([proto.code, proto.body.reason], [400, 'BadRequest'], 'a protobuf body without its k8s magic number');
    const yaml = await fetch(`${t.base}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: 'metadata:\n  name: from-yaml\ndata:\n  k: v\n', headers: { 'content-type': 'application/yaml' } });
    assert.equal(yaml.status, 201);
    assert.deepEqual(((await yaml.json()) as any).data, { k: 'v' });
    const text = await call('POST', '/api/v1/namespaces/default/configmaps', {}, 'text/plain');
    assert.equal(text.code, 415);
    const notJson = await fetch(`${t.base}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: '{"metadata":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const unknown = await call('GET', '/api/v1/widgets');
    assert.equal(unknown.code, 404);
    assert.equal(unknown.body.kind, 'Status');
    const big = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024) } });
    assert.equal(big.code, 413);
    assert.equal(big.body.reason, 'RequestEntityTooLarge');
  });

  it('patches with JSON patch, merge patch and strategic merge patch', async () => {
    const path = '/api/v1/namespaces/default/configmaps/patched';
    const c = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'patched', labels: { a: '1' }, finalizers: ['x/one'] }, data: { k: 'v' } });
    const merge = await call('PATCH', path, { metadata: { labels: { a: null, b: '2' } }, data: { k2: 'v2' } }, 'application/merge-patch+json');
    assert.equal(merge.code, 200);
    assert.deepEqual([merge.body.metadata.labels, merge.body.data], [{ b: '2' }, { k: 'v', k2: 'v2' }]);
    assert.equal(merge.body.metadata.uid, c.body.metadata.uid);
    const json = await call('PATCH', path, [{ op: 'replace', path: '/data/k', value: 'w' }, { op: 'remove', path: '/data/k2' }], 'application/json-patch+json');
    assert.deepEqual(json.body.data, { k: 'w' });
    const smp = await call('PATCH', path, { metadata: { finalizers: ['x/two'] } }, 'application/strategic-merge-patch+json');
    assert.deepEqual(smp.body.metadata.finalizers, ['x/one', 'x/two'], 'finalizers merge as a set');
    const failed = await call('PATCH', path, [{ op: 'test', path: '/data/k', value: 'nope' }], 'application/json-patch+json');
    assert.equal(failed.code, 422);
    const stale = await call('PATCH', path, { metadata: { resourceVersion: c.body.metadata.resourceVersion }, data: { k: 'x' } }, 'application/merge-patch+json');
    assert.equal(stale.code, 409);
    const rename = await call('PATCH', path, { metadata: { name: 'other' } }, 'application/merge-patch+json');
    assert.equal(rename.code, 422);
    const apply = await call('PATCH', path, {}, 'application/apply-patch+yaml');
    assert.equal(apply.code, 422, 'server-side apply needs a fieldManager (apply.test.ts tests apply)');
    const missing = await call('PATCH', '/api/v1/namespaces/default/configmaps/nope', {}, 'application/merge-patch+json');
    assert.equal(missing.code, 404);

    // finalizers keep a deleted object, marked, until the last is removed
    const marked = await call('DELETE', path);
    assert.equal(marked.code, 200);
    assert.match(marked.body.metadata.deletionTimestamp, /Z$/);
    assert.equal((await call('GET', path)).code, 200);
    const released = await call('PATCH', path, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(released.code, 200);
    assert.equal((await call('GET', path)).code, 404, 'the last finalizer gone, so is the object');
  });

  it('lists in pages with continue tokens at one resourceVersion', async () => {
    for (const n of ['p1', 'p2', 'p3']) await call('POST', '/api/v1/namespaces/kube-public/configmaps', { metadata: { name: n } });
    const first = await call('GET', '/api/v1/namespaces/kube-public/configmaps?limit=2');
    assert.deepEqual(first.body.items.map((i: any) => i.metadata.name), ['p1', 'p2']);
    assert.equal(first.body.metadata.remainingItemCount, 1);
    await call('DELETE', '/api/v1/namespaces/kube-public/configmaps/p3');
    const second = await call('GET', `/api/v1/namespaces/kube-public/configmaps?limit=2&continue=${first.body.metadata.continue}`);
    assert.deepEqual(second.body.items.map((i: any) => i.metadata.name), ['p3'], 'the second page reads the first page\'s snapshot');
    assert.equal(second.body.metadata.continue, undefined);
    const bad = await call('GET', '/api/v1/namespaces/kube-public/configmaps?limit=2&continue=garbage');
    assert.equal(bad.code, 400);
  });

  it('deletes with propagation policies as the garbage collector\'s finalizers, and an object goes when its last finalizer does', async () => {
    const ns = 'kube-node-lease';
    const mk = async (name: string) => (await call('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name } })).body;
    const o = await mk('orphaned');
    const marked = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/orphaned`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    assert.equal(marked.code, 200);
    assert.deepEqual(marked.body.metadata.finalizers, ['orphan']);
    assert.match(marked.body.metadata.deletionTimestamp, /Z$/);
    assert.equal(marked.body.metadata.deletionGracePeriodSeconds, 0);
    assert.equal(marked.body.metadata.uid, o.metadata.uid);
    const again = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/orphaned?propagationPolicy=Foreground`);
    assert.deepEqual(again.body.metadata.finalizers, ['foregroundDeletion'], 'a later delete changes the policy');
    assert.equal(again.body.metadata.deletionTimestamp, marked.body.metadata.deletionTimestamp);
    const blocked = await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/orphaned`, { metadata: { finalizers: ['example.com/hold'] } }, 'application/merge-patch+json');
    assert.deepEqual(blocked.body.metadata.finalizers, ['example.com/hold']);
    const released = await call('PATCH', `/api/v1/namespaces/${ns}/configmaps/orphaned`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(released.code, 200);
    assert.equal((await call('GET', `/api/v1/namespaces/${ns}/configmaps/orphaned`)).code, 404, 'the last finalizer removed, the object is gone');

    await mk('kept');
    const dry = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/kept?dryRun=All`);
    assert.equal(dry.code, 200);
    assert.equal((await call('GET', `/api/v1/namespaces/${ns}/configmaps/kept`)).code, 200, 'a dry run deletes nothing');
    const bad = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/kept`, { propagationPolicy: 'Sideways' });
    assert.equal(bad.code, 422);
    assert.equal(bad.body.message, 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan"');
    const pre = await call('DELETE', `/api/v1/namespaces/${ns}/configmaps/kept`, { preconditions: { uid: 'not-it' } });
    assert.equal(pre.code, 409);
    assert.match(pre.body.message, /Precondition failed: UID in precondition: not-it/);
  });

  it('refuses creates in a namespace that does not exist or is being deleted (NamespaceLifecycle)', async () => {
    const missing = await call('POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } });
    assert.deepEqual([missing.code, missing.body.reason, missing.body.message], [404, 'NotFound', 'namespaces "nope" not found']);
    const ns = await call('POST', '/api/v1/namespaces', { metadata: { name: 'ending' } });
    assert.equal(ns.code, 201);
    // a DELETE marks it (the kubernetes finalizer holds it); a create right after it is refused even if the
    // watch cache has not seen the DELETE yet (the namespace is then read from the store)
    const marked = await call('DELETE', '/api/v1/namespaces/ending');
    assert.deepEqual([marked.code, marked.body.status.phase, marked.body.spec.finalizers], [200, 'Terminating', ['kubernetes']]);
    const refused = await call('POST', '/api/v1/namespaces/ending/configmaps', { metadata: { name: 'x' } });
    assert.deepEqual([refused.code, refused.body.reason], [403, 'Forbidden']);
    assert.equal(refused.body.message, 'configmaps "x" is forbidden: unable to create new content in namespace ending because it is being terminated');
    // finalizing it with nothing left removes it
    const finalized = await call('PUT', '/api/v1/namespaces/ending/finalize', { ...marked.body, spec: {} });
    assert.equal(finalized.code, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/ending')).code, 404);
  });

  it('serves aggregated discovery (v2, v2beta1) when asked, legacy discovery otherwise', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const r = await fetch(`${t.base}/api`, { headers: { accept } });
    assert.equal(r.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const core = (await r.json()) as any;
    assert.equal(core.kind, 'APIGroupDiscoveryList');
    assert.equal(core.items[0].metadata.name, '');
    const cm = core.items[0].versions[0].resources.find((x: any) => x.resource === 'configmaps');
    assert.deepEqual(cm, {
      resource: 'configmaps',
      responseKind: { group: '', version: 'v1', kind: 'ConfigMap' },
      scope: 'Namespaced',
      singularResource: 'configmap',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['cm'],
    });
    const ns = core.items[0].versions[0].resources.find((x: any) => x.resource === 'namespaces');
    assert.deepEqual(ns.subresources, [
      { subresource: 'finalize', responseKind: { group: '', version: 'v1', kind: 'Namespace' }, verbs: ['update'] },
      { subresource: 'status', responseKind: { group: '', version: 'v1', kind: 'Namespace' }, verbs: ['get', 'patch', 'update'] },
    ]);
    const beta = await fetch(`${t.base}/apis`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' } });
    assert.equal(((await beta.json()) as any).apiVersion, 'apidiscovery.k8s.io/v2beta1');
    const legacy = await call('GET', '/api');
    assert.deepEqual(legacy.body.versions, ['v1']);
  });

  it('validates fields as fieldValidation asks: Strict refuses unknown ones, Warn (the default) warns, Ignore drops them', async () => {
    const body = { metadata: { name: 'fv', labelz: { a: 'b' } }, data: { a: '1' }, extra: true };
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', body);
    assert.deepEqual([strict.code, strict.body.reason], [400, 'BadRequest']);
    assert.equal(strict.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.labelz", unknown field "extra"');
    const warned = await fetch(`${t.base}/api/v1/namespaces/default/configmaps`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    assert.equal(warned.status, 201);
    assert.equal(warned.headers.get('warning'), '299 - "unknown field \\"metadata.labelz\\"", 299 - "unknown field \\"extra\\""');
    const ignored = await fetch(`${t.base}/api/v1/namespaces/default/configmaps/fv?fieldValidation=Ignore`, { method: 'PUT', body: JSON.stringify({ ...body, data: { a: '2' } }), headers: { 'content-type': 'application/json' } });
    assert.deepEqual([ignored.status, ignored.headers.get('warning')], [200, null]);
    const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/fv?fieldValidation=Strict', { spec: { x: 1 } }, 'application/merge-patch+json');
    assert.equal(patched.code, 400);
    const bad = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loose', body);
    assert.equal(bad.code, 400);

    const file = join(t.dir, 'typo.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndatta:\n  a: "1"\n');
    const applied = await t.kubectl('apply', '-f', file);
    assert.notEqual(applied.status, 0);
    assert.match(applied.stderr, /strict decoding error: unknown field "datta"/);
  });

  it('answers in a Table, or with metadata only, when the Accept header asks, as kubectl get does', async () => {
    await call('POST', '/api/v1/namespaces/kube-system/configmaps', { metadata: { name: 't1', labels: { a: 'b' } }, data: { x: '1', y: '2' }, binaryData: { z: 'AA==' } });
    const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const list = await call('GET', '/api/v1/namespaces/kube-system/configmaps', undefined, undefined, { accept: TABLE });
    assert.equal(list.body.kind, 'Table');
    assert.equal(list.body.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(list.body.columnDefinitions.map((c: any) => [c.name, c.type, c.priority]), [['Name', 'string', 0], ['Data', 'string', 0], ['Age', 'string', 0]]);
    assert.deepEqual(list.body.rows[0].cells.slice(0, 2), ['t1', 3]);
    assert.match(list.body.rows[0].cells[2], /^\d+s$/);
    assert.deepEqual(list.body.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: list.body.rows[0].object.metadata });
    assert.deepEqual(list.body.rows[0].object.metadata.labels, { a: 'b' });
    assert.match(list.body.metadata.resourceVersion, /^\d+$/);
    const withObject = await call('GET', '/api/v1/namespaces/kube-system/configmaps/t1?includeObject=Object', undefined, undefined, { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' });
    assert.equal(withObject.body.apiVersion, 'meta.k8s.io/v1beta1');
    assert.deepEqual(withObject.body.rows[0].object.data, { x: '1', y: '2' });
    assert.equal(withObject.body.rows[0].object.kind, 'ConfigMap');
    const meta = await call('GET', '/api/v1/namespaces/kube-system/configmaps', undefined, undefined, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
    assert.equal(meta.body.kind, 'PartialObjectMetadataList');
    assert.equal(meta.body.items[0].metadata.name, 't1');
    assert.equal(meta.body.items[0].data, undefined);
    const refused = await call('GET', '/api/v1/namespaces', undefined, undefined, { accept: 'application/yaml' });
    assert.deepEqual([refused.code, refused.body.reason], [406, 'NotAcceptable']);

    const got = await t.kubectl('get', 'cm', '-n', 'kube-system', '--show-labels');
    assert.equal(got.status, 0, got.stderr);
    assert.match(got.stdout, /^NAME\s+DATA\s+AGE\s+LABELS\nt1\s+3\s+\d+s\s+a=b\n$/);
    const ns = await t.kubectl('get', 'ns', '--sort-by=.metadata.name', '-l', 'kubernetes.io/metadata.name in (kube-system,default)');
    assert.match(ns.stdout, /^NAME\s+STATUS\s+AGE\ndefault\s+Active\s+\S+\nkube-system\s+Active\s+\S+\n$/);
  });

  it('the real kubectl discovers the resources, lists namespaces, reads objects, applies a file and explains a kind', async () => {
    const kubectl = (...args: string[]) => t.kubectl(...args);
    const ns = await kubectl('get', 'ns', '-o', 'name');
    assert.equal(ns.status, 0, ns.stderr);
    assert.deepEqual(ns.stdout.trim().split('\n'), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
    const res = await kubectl('api-resources', '--no-headers');
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    const missing = await kubectl('get', 'cm', 'nope');
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): configmaps "nope" not found');
    const p1 = await kubectl('get', 'cm', 'p1', '-n', 'kube-public', '-o', 'jsonpath={.metadata.name}');
    assert.equal(p1.stdout, 'p1');

    // apply: kubectl learns from OpenAPI v3 that the server validates fields, then creates; the same file again is unchanged
    const file = join(t.dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: fast\n');
    const created = await kubectl('apply', '-f', file);
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'configmap/applied created');
    const again = await kubectl('apply', '-f', file);
    assert.equal(again.stdout.trim(), 'configmap/applied unchanged');
    const annotation = await kubectl('get', 'cm', 'applied', '-o', 'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}');
    assert.match(annotation.stdout, /"mode":"fast"/);
    const explain = await kubectl('explain', 'configmap.data');
    assert.equal(explain.status, 0, explain.stderr);
    assert.match(explain.stdout, /^KIND:\s+ConfigMap$/m);
    assert.match(explain.stdout, /^FIELD:\s+data <map\[string\]string>$/m);
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: slow\n  extra: "1"\n');
    const changed = await kubectl('apply', '-f', file);
    assert.equal(changed.stdout.trim(), 'configmap/applied configured', changed.stderr);
    const labelled = await kubectl('label', 'cm', 'applied', 'tier=db');
    assert.equal(labelled.stdout.trim(), 'configmap/applied labeled', labelled.stderr);
    const patched = await kubectl('patch', 'cm', 'applied', '--type=json', '-p', '[{"op":"remove","path":"/data/extra"}]');
    assert.equal(patched.stdout.trim(), 'configmap/applied patched', patched.stderr);
    const shown = await kubectl('get', 'cm', 'applied', '-o', 'jsonpath={.data.mode} {.data.extra} {.metadata.labels.tier}');
    assert.equal(shown.stdout, 'slow  db');
    const deleted = await kubectl('delete', '-f', file);
    assert.equal(deleted.stdout.trim(), 'configmap "applied" deleted');
  });
});
