/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { TestApi } from '../test/apiserver.js';

const APPLY = 'application/apply-patch+yaml';
const CM = '/api/v1/namespaces/default/configmaps';

describe('server-side apply and managedFields', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    await t?.stop();
  });
  const call = (...args: Parameters<TestApi['call']>) => t.call(...args);
  const manifest = (file: string, body: string): string => {
    const p = join(t.dir, file);
    writeFileSync(p, body);
    return p;
  };
  const managers = (o: any): [string, string, string | undefined][] => (o.metadata.managedFields ?? []).map((e: any) => [e.manager, e.operation, e.subresource]);

  it('records Update entries for create, PUT and patch, by fieldManager or User-Agent, counting only what changed', async () => {
    const c = await call('POST', `${CM}?fieldManager=creator`, { metadata: { name: 'u1', labels: { app: 'x' } }, data: { a: '1' } });
    assert.equal(c.code, 201);
    const [entry] = c.body.metadata.managedFields;
    assert.deepEqual(Object.keys(entry), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    assert.deepEqual([entry.manager, entry.operation, entry.apiVersion, entry.fieldsType], ['creator', 'Update', 'v1', 'FieldsV1']);
    assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(entry.fieldsV1, { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } });

    const put = await call('PUT', `${CM}/u1`, { ...c.body, data: { a: '1', b: '2' } }, 'application/json', { 'user-agent': 'kubectl-edit/v1.32.4 (linux/amd64) kubernetes/abcdef' });
    assert.deepEqual(managers(put.body), [['creator', 'Update', undefined], ['kubectl-edit', 'Update', undefined]]);
    assert.deepEqual(put.body.metadata.managedFields[1].fieldsV1, { 'f:data': { 'f:b': {} } }, 'only the changed field');

    const patched = await call('PATCH', `${CM}/u1?fieldManager=creator`, { data: { b: '3' } }, 'application/merge-patch+json');
    assert.deepEqual(patched.body.metadata.managedFields.map((e: any) => [e.manager, e.fieldsV1]), [
      ['creator', { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } }],
    ], 'the same manager\'s entries merge; the field moves from kubectl-edit, whose entry goes when empty');

    const same = await call('PUT', `${CM}/u1`, { ...patched.body, metadata: { ...patched.body.metadata, managedFields: undefined } });
    assert.equal(same.body.metadata.resourceVersion, patched.body.metadata.resourceVersion, 'no managedFields in the body: the live ones stay, nothing is written');
    const reset = await call('PUT', `${CM}/u1`, { ...patched.body, metadata: { ...patched.body.metadata, managedFields: [] } });
    assert.equal(reset.body.metadata.managedFields, undefined, 'an empty list resets them');
  });

  it('refuses an apply without fieldManager, and force on another patch, as Kubernetes does', async () => {
    const r = await call('PATCH', `${CM}/nomanager`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nomanager' } }, APPLY);
    assert.equal(r.code, 422);
    assert.equal(r.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
    const f = await call('PATCH', `${CM}/nomanager?force=true`, {}, 'application/merge-patch+json');
    assert.equal(f.code, 422);
    assert.equal(f.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const v = await call('PATCH', `${CM}/nomanager?fieldManager=m`, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'nomanager' } }, APPLY);
    assert.deepEqual([v.code, v.body.message], [400, 'Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: v1']);
  });

  it('applies over HTTP: creates (201), conflicts (409 with FieldManagerConflict causes), forces, and prunes what the manager dropped', async () => {
    const cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a1', labels: { app: 'x' } }, data: { key: 'v1', other: 'o' } };
    const created = await call('PATCH', `${CM}/a1?fieldManager=mine`, cfg, APPLY);
    assert.equal(created.code, 201);
    assert.deepEqual(created.body.metadata.managedFields.map((e: any) => [e.manager, e.operation, e.apiVersion, e.fieldsV1]), [
      ['mine', 'Apply', 'v1', { 'f:data': { 'f:key': {}, 'f:other': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } }],
    ]);
    const yaml = await fetch(`${t.base}${CM}/a1?fieldManager=mine`, { method: 'PATCH', headers: { 'content-type': APPLY }, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a1\n  labels: {app: x}\ndata:\n  key: v1\n  other: o\n' });
    assert.equal(yaml.status, 200);

    await call('PATCH', `${CM}/a1?fieldManager=kubectl-client-side-apply`, { data: { key: 'theirs', more: 'm' } }, 'application/merge-patch+json');
    const conflict = await call('PATCH', `${CM}/a1?fieldManager=mine`, cfg, APPLY);
    assert.equal(conflict.code, 409);
    assert.deepEqual(conflict.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using v1', field: '.data.key' }] },
      code: 409,
    });
    const three = await call('PATCH', `${CM}/a1?fieldManager=third`, { ...cfg, data: { key: 'x', more: 'y', other: 'z' } }, APPLY);
    assert.equal(three.body.message, 'Apply failed with 3 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .data.key\n- .data.more\nconflicts with "mine":\n- .data.other');
    assert.deepEqual(three.body.details.causes.map((c: any) => c.message), ['conflict with "kubectl-client-side-apply" using v1', 'conflict with "kubectl-client-side-apply" using v1', 'conflict with "mine"']);

    const forced = await call('PATCH', `${CM}/a1?fieldManager=mine&force=true`, { ...cfg, data: { key: 'v2' } }, APPLY);
    assert.equal(forced.code, 200);
    assert.deepEqual(forced.body.data, { key: 'v2', more: 'm' }, '`other` pruned (only mine had it); `more` stays (theirs)');
    assert.deepEqual(managers(forced.body), [['mine', 'Apply', undefined], ['kubectl-client-side-apply', 'Update', undefined]]);
    assert.deepEqual(forced.body.metadata.managedFields[1].fieldsV1, { 'f:data': { 'f:more': {} } });

    const bad = await call('PATCH', `${CM}/a1?fieldManager=mine`, { ...cfg, metadata: { name: 'a1', managedFields: [] } }, APPLY);
    assert.deepEqual([bad.code, bad.body.message], [400, 'metadata.managedFields must be nil']);
  });

  it('kubectl apply --server-side: creates, reapplies, reports conflicts, forces, and removes dropped fields', async () => {
    const v1 = manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  key: one\n  drop: me\n');
    const first = await t.kubectl('apply', '--server-side', '-f', v1);
    assert.equal(first.stdout.trim(), 'configmap/ssa serverside-applied', first.stderr);
    const again = await t.kubectl('apply', '--server-side', '-f', v1);
    assert.equal(again.stdout.trim(), 'configmap/ssa serverside-applied', again.stderr);

    // an edit of the field (kubectl edit's PUT, as its User-Agent names it)
    const live = await call('GET', `${CM}/ssa`);
    const edited = await call('PUT', `${CM}/ssa`, { ...live.body, data: { ...live.body.data, key: 'edited' } }, 'application/json', { 'user-agent': 'kubectl-edit/v1.32.4 (linux/amd64)' });
    assert.equal(edited.code, 200);
    const conflict = await t.kubectl('apply', '--server-side', '-f', v1);
    assert.notEqual(conflict.status, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: \.data\.key/);
    assert.match(conflict.stderr, /--force-conflicts/);

    const forced = await t.kubectl('apply', '--server-side', '--force-conflicts', '-f', v1);
    assert.equal(forced.status, 0, forced.stderr);
    const v2 = manifest('cm2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  key: one\n');
    assert.equal((await t.kubectl('apply', '--server-side', '-f', v2)).status, 0);
    const shown = await t.kubectl('get', 'configmap', 'ssa', '-o', 'yaml', '--show-managed-fields');
    const obj = parseYaml(shown.stdout);
    assert.deepEqual(obj.data, { key: 'one' }, 'the dropped field is gone');
    assert.deepEqual(obj.metadata.managedFields.map((e: any) => ({ ...e, time: typeof e.time })), [
      { apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:key': {} } }, manager: 'kubectl', operation: 'Apply', time: 'string' },
    ]);
    const hidden = parseYaml((await t.kubectl('get', 'configmap', 'ssa', '-o', 'yaml')).stdout);
    assert.equal(hidden.metadata.managedFields, undefined, 'kubectl hides them without --show-managed-fields');
  });

  it('kubectl scale then apply: a conflict with the scale subresource\'s manager', async () => {
    const dep = manifest(
      'dep.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n        ports:\n        - containerPort: 80\n',
    );
    const applied = await t.kubectl('apply', '--server-side', '-f', dep);
    assert.equal(applied.stdout.trim(), 'deployment.apps/web serverside-applied', applied.stderr);
    const got = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.deepEqual(got.body.metadata.managedFields[0].fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } },
            },
          },
        },
      },
    });
    const scaled = await t.kubectl('scale', 'deployment', 'web', '--replicas=5');
    assert.equal(scaled.status, 0, scaled.stderr);
    const after = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    const scaleEntry = after.body.metadata.managedFields.find((e: any) => e.subresource === 'scale');
    assert.deepEqual([scaleEntry?.manager, scaleEntry?.operation, scaleEntry?.apiVersion, scaleEntry?.fieldsV1], ['kubectl', 'Update', 'apps/v1', { 'f:spec': { 'f:replicas': {} } }]);
    const conflict = await t.kubectl('apply', '--server-side', '-f', dep);
    assert.notEqual(conflict.status, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    const forced = await t.kubectl('apply', '--server-side', '--force-conflicts', '-f', dep);
    assert.equal(forced.status, 0, forced.stderr);
    const final = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal(final.body.spec.replicas, 2);
    assert.deepEqual(managers(final.body), [['kubectl', 'Apply', undefined]], 'the scale manager lost its only field');
  });

  it('migrates a client-side apply to server-side apply as kubectl 1.32 does', async () => {
    const v1 = manifest('csa.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\n  namespace: default\ndata:\n  key: one\n  old: field\n');
    const csa = await t.kubectl('apply', '-f', v1);
    assert.equal(csa.stdout.trim(), 'configmap/csa created', csa.stderr);
    const before = await call('GET', `${CM}/csa`);
    assert.deepEqual(before.body.metadata.managedFields.map((e: any) => [e.manager, e.operation, e.fieldsV1]), [
      [
        'kubectl-client-side-apply',
        'Update',
        { 'f:data': { '.': {}, 'f:key': {}, 'f:old': {} }, 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } },
      ],
    ]);
    // a changed value and a dropped field: no conflict with the client-side manager, whose fields kubectl takes over
    const v2 = manifest('csa2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\n  namespace: default\ndata:\n  key: two\n');
    const ssa = await t.kubectl('apply', '--server-side', '-f', v2);
    assert.equal(ssa.status, 0, ssa.stderr);
    assert.equal(ssa.stdout.trim(), 'configmap/csa serverside-applied');
    const got = await call('GET', `${CM}/csa`);
    assert.deepEqual(got.body.data, { key: 'two' }, 'the field only the client-side manifest had is gone after the migration');
    assert.deepEqual(managers(got.body).map(([m, op]) => `${m}/${op}`).sort(), ['kubectl-last-applied/Apply', 'kubectl/Apply']);
    const annotation = JSON.parse(got.body.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(annotation.data, { key: 'two' }, 'the client-side annotation follows the server-side apply');
  });
});
