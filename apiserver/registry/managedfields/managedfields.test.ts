/* eslint-disable @typescript-eslint/no-explicit-any -- tables of JSON objects */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { ApplyConflictError } from '../errors.js';
import { FieldSet, pathString } from './fieldset.js';
import { decodeManaged, encodeManaged, isReset } from './managers.js';
import { merge, prune } from './merge.js';
import { applySchema } from './schema.js';
import { apply, managerOf, update, type Context } from './track.js';
import { compare, toFieldSet } from './walk.js';

const schema = applySchema({
  'metadata.finalizers': '',
  'metadata.ownerReferences': 'uid',
  'spec.template.spec.containers': 'name',
  'spec.template.spec.containers[].ports': 'containerPort',
  'spec.template.spec.containers[].env': 'name',
});
const ctx: Context = { schema, apiVersion: 'apps/v1', now: '2026-01-02T03:04:05Z', ignored: [['f:status']] };

describe('toFieldSet: fieldsV1 of an applied configuration', () => {
  const cases: { name: string; obj: any; want: any }[] = [
    { name: 'scalars and maps', obj: { data: { a: '1' }, metadata: { labels: { app: 'x' } } }, want: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } } },
    { name: 'empty objects and atomic lists are leaves', obj: { spec: { resources: {}, args: ['a'] } }, want: { 'f:spec': { 'f:args': {}, 'f:resources': {} } } },
    { name: 'an atomic selector', obj: { spec: { selector: { matchLabels: { a: 'b' } } } }, want: { 'f:spec': { 'f:selector': {} } } },
    {
      name: 'keyed lists: elements with `.`, ports keyed with their protocol defaulted',
      obj: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] } } } },
      want: {
        'f:spec': {
          'f:template': {
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } },
              },
            },
          },
        },
      },
    },
    { name: 'sets of primitives', obj: { metadata: { finalizers: ['b', 'a'] } }, want: { 'f:metadata': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} } } } },
    { name: 'atomic elements', obj: { metadata: { ownerReferences: [{ uid: 'u1', name: 'o' }] } }, want: { 'f:metadata': { 'f:ownerReferences': { 'k:{"uid":"u1"}': {} } } } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(toFieldSet(c.obj, schema).toJSON(), c.want));
  }

  it('refuses a keyed list whose element lacks its key', () => {
    assert.throws(() => toFieldSet({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } } as any, schema), /omits key field "name"/);
  });
});

describe('FieldSet: fieldsV1 round trip, set algebra, paths', () => {
  const v1 = { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } };
  it('decodes and encodes fieldsV1', () => assert.deepEqual(FieldSet.fromJSON(v1).toJSON(), v1));
  it('refuses bad path elements', () => assert.throws(() => FieldSet.fromJSON({ 'x:y': {} })));
  const cases: { name: string; got: () => FieldSet; want: any }[] = [
    { name: 'union', got: () => FieldSet.of(['f:a']).union(FieldSet.of(['f:b', 'f:c'])), want: { 'f:a': {}, 'f:b': { 'f:c': {} } } },
    { name: 'difference keeps children', got: () => FieldSet.fromJSON(v1).difference(FieldSet.of(['f:data'], ['f:data', 'f:a'])), want: { 'f:data': { 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } } },
    { name: 'intersection', got: () => FieldSet.fromJSON(v1).intersection(FieldSet.of(['f:data', 'f:b'], ['f:zz'])), want: { 'f:data': { 'f:b': {} } } },
    { name: 'without a subtree', got: () => FieldSet.fromJSON(v1).without(['f:data']), want: { 'f:metadata': { 'f:labels': { 'f:x': {} } } } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(c.got().toJSON(), c.want));
  it('prints paths as Kubernetes does', () => {
    assert.deepEqual(
      [['f:data', 'f:key'], ['f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'], ['f:metadata', 'f:finalizers', 'v:"x"'], ['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']].map(pathString),
      ['.data.key', '.spec.containers[name="nginx"].image', '.metadata.finalizers[="x"]', '.ports[containerPort=80,protocol="TCP"]'],
    );
  });
});

describe('compare: what an update changed', () => {
  const cases: { name: string; before: any; after: any; added: any; modified: any; removed: any }[] = [
    { name: 'a new map is added itself', before: { metadata: {} }, after: { metadata: {}, data: { a: '1' } }, added: { 'f:data': { '.': {}, 'f:a': {} } }, modified: {}, removed: {} },
    { name: 'a changed value', before: { data: { a: '1', b: '2' } }, after: { data: { a: '3', b: '2' } }, added: {}, modified: { 'f:data': { 'f:a': {} } }, removed: {} },
    { name: 'a removed map goes with its fields', before: { data: { a: '1' } }, after: {}, added: {}, modified: {}, removed: { 'f:data': { '.': {}, 'f:a': {} } } },
    {
      name: 'keyed elements',
      before: { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }] } } } },
      after: { spec: { template: { spec: { containers: [{ name: 'a', image: '2' }, { name: 'b', image: '1' }] } } } },
      added: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } },
      modified: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { 'f:image': {} } } } } } },
      removed: {},
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = compare(c.before, c.after, schema);
      assert.deepEqual([r.added.toJSON(), r.modified.toJSON(), r.removed.toJSON()], [c.added, c.modified, c.removed]);
    });
  }
});

describe('merge and prune', () => {
  it('merges keyed lists by key, keeping the live order and fields', () => {
    const live = { spec: { template: { spec: { containers: [{ name: 'a', image: '1', imagePullPolicy: 'Always' }, { name: 'b', image: '1' }] } } } };
    const config = { spec: { template: { spec: { containers: [{ name: 'c', image: '3' }, { name: 'a', image: '2' }] } } } };
    assert.deepEqual(merge(live as any, config as any, schema).spec, {
      template: { spec: { containers: [{ name: 'c', image: '3' }, { name: 'a', image: '2', imagePullPolicy: 'Always' }, { name: 'b', image: '1' }] } },
    });
  });
  it('replaces atomic lists and selectors', () => {
    assert.deepEqual(merge({ spec: { args: ['a', 'b'], selector: { matchLabels: { a: '1' } } } }, { spec: { args: ['c'], selector: { matchLabels: { b: '2' } } } }, schema), {
      spec: { args: ['c'], selector: { matchLabels: { b: '2' } } },
    });
  });
  it('removes what the manager applied before and no one keeps', () => {
    const obj = { data: { a: '1', b: '2', c: '3' }, metadata: { name: 'n', labels: { x: '1' } } };
    const last = FieldSet.of(['f:data', 'f:a'], ['f:data', 'f:b'], ['f:metadata', 'f:labels', 'f:x']);
    const keep = FieldSet.of(['f:data', 'f:a'], ['f:data', 'f:b']).without(['f:data', 'f:b']).union(FieldSet.of(['f:data', 'f:a']));
    assert.deepEqual(prune(obj, last, keep, schema), { data: { a: '1', c: '3' }, metadata: { name: 'n' } });
  });
});

describe('update and apply: the bookkeeping', () => {
  const cm = (data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data, ...extra });
  const v1: Context = { ...ctx, apiVersion: 'v1' };

  it('records a create as an Update of the fields it set, and merges the same manager\'s later updates', () => {
    const created = update(undefined, cm({ a: '1' }), undefined, { manager: 'kubectl-create' }, v1);
    assert.deepEqual(created, [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: v1.now, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } }]);
    const live = cm({ a: '1' }, {});
    live.metadata.managedFields = created as any;
    const next = update(live, cm({ a: '1', b: '2' }), live.metadata.managedFields, { manager: 'kubectl-create' }, v1);
    assert.deepEqual(next[0]!.fieldsV1, { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } });
    assert.deepEqual(update(live, cm({ a: '1' }), [], { manager: 'x' }, v1), [], 'an empty list resets');
  });

  it('conflicts with another manager\'s field, and force takes it', () => {
    const live = cm({ key: 'old' });
    live.metadata.managedFields = update(undefined, live, undefined, { manager: 'kubectl-client-side-apply' }, v1) as any;
    assert.throws(
      () => apply(live, cm({ key: 'new' }), { manager: 'mine' }, false, v1),
      (e: unknown) =>
        e instanceof ApplyConflictError &&
        e.message === 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key' &&
        e.conflicts[0]!.field === '.data.key',
    );
    const forced = apply(live, cm({ key: 'new' }), { manager: 'mine' }, true, v1);
    assert.equal(forced.object.data && (forced.object.data as any).key, 'new');
    assert.deepEqual(
      forced.managedFields.map((e) => [e.manager, e.operation, e.fieldsV1]),
      [['mine', 'Apply', { 'f:data': { 'f:key': {} } }], ['kubectl-client-side-apply', 'Update', { 'f:data': {} }]],
    );
    const same = apply(live, cm({ key: 'old' }), { manager: 'mine' }, false, v1);
    assert.equal(same.managedFields.length, 2, 'the same value is shared, without conflict');
  });

  it('removes a field the manager applied before and omits now', () => {
    const first = apply(undefined, cm({ a: '1', b: '2' }), { manager: 'm' }, false, v1);
    const live = { ...first.object, metadata: { ...first.object.metadata, managedFields: first.managedFields as any } } as KubeObject;
    const second = apply(live, cm({ a: '1' }), { manager: 'm' }, false, v1);
    assert.deepEqual(second.object.data, { a: '1' });
  });

  it('reads and writes managedFields entries', () => {
    const entries = [
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
      { manager: 'a', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:x': {} } },
    ];
    assert.deepEqual(encodeManaged(decodeManaged(entries)).map((e) => e.manager), ['a', 'b']);
    assert.throws(() => decodeManaged([{ manager: 'a', operation: 'Other', fieldsType: 'FieldsV1', fieldsV1: {} }]));
    assert.deepEqual([isReset([]), isReset([{}]), isReset(undefined), isReset(entries)], [true, true, false, false]);
    assert.deepEqual([managerOf(undefined, 'kubectl-edit/v1.32.4 (linux/amd64) kubernetes/abc'), managerOf('mine', 'kubectl/v1'), managerOf(undefined, undefined)], ['kubectl-edit', 'mine', '']);
  });
});
