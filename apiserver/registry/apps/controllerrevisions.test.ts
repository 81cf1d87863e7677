import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { dropNulls } from '../bodies.js';
import { applySchema } from '../managedfields/schema.js';
import { controllerRevisionPrinter } from '../printers/workloads.js';
import { controllerrevisions, goUnknown } from './controllerrevisions.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are untyped JSON
type Json = any;

const DATA = { spec: { template: { $patch: 'replace', metadata: { creationTimestamp: null, labels: { app: 'fluentd' } }, spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1', resources: {} }] } } } };

function revision(change?: (o: Json) => void): KubeObject {
  const obj: Json = { metadata: { name: 'fluentd-6b9c7c8d5f', namespace: 'kube-system', labels: { app: 'fluentd', 'controller-revision-hash': '6b9c7c8d5f' } }, data: structuredClone(DATA), revision: 1 };
  change?.(obj);
  controllerrevisions.defaults(obj as KubeObject);
  return obj as KubeObject;
}

const messages = (obj: KubeObject, old?: KubeObject) => controllerrevisions.validate(obj, old).map((e) => e.message);

describe('controllerrevisions: defaults', () => {
  it('sets a missing revision to 0 (Go writes it always) and keeps a given one', () => {
    assert.equal(revision((o) => delete o.revision).revision, 0);
    assert.equal(revision((o) => (o.revision = 7)).revision, 7);
  });
});

describe('controllerrevisions: validation', () => {
  const cases: [string, (o: Json) => void, string[]][] = [
    ['a revision of a DaemonSet', () => {}, []],
    ['revision 0 and data of any JSON shape', (o) => Object.assign(o, { revision: 0, data: [1, 'two', null] }), []],
    ['data that is an empty object is set', (o) => (o.data = {}), []],
    ['no data', (o) => delete o.data, ['data: Required value: data is mandatory']],
    ['null data (a nil RawExtension)', (o) => (o.data = null), ['data: Required value: data is mandatory']],
    ['a negative revision', (o) => (o.revision = -1), ['revision: Invalid value: -1: must be greater than or equal to 0']],
    [
      'a name that is no DNS subdomain, and a bad label',
      (o) => {
        o.metadata.name = 'Fluentd_1';
        o.metadata.labels = { 'controller-revision-hash': 'not ok!' };
      },
      [
        `metadata.name: Invalid value: "Fluentd_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        `metadata.labels: Invalid value: "not ok!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(messages(revision(change)), want));
});

describe('controllerrevisions: updates', () => {
  it('lets the revision number, labels and owner references change', () => {
    const old = revision();
    const obj = revision((o) => {
      o.revision = 4;
      o.metadata.labels.extra = 'yes';
      o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'u1', controller: true, blockOwnerDeletion: true }];
    });
    assert.deepEqual(messages(obj, old), []);
  });

  it('refuses other data, shown as Go prints the *runtime.Unknown it holds', () => {
    const old = revision();
    assert.deepEqual(messages(revision((o) => (o.data = { a: 1 })), old), [
      'data: Invalid value: runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d}, ContentEncoding:"", ContentType:"application/json"}: field is immutable',
    ]);
  });

  it('refuses data taken away twice: required, and immutable (a nil value shows as "null")', () => {
    assert.deepEqual(messages(revision((o) => delete o.data), revision()), ['data: Required value: data is mandatory', 'data: Invalid value: "null": field is immutable']);
  });

  it('compares the bytes: the same data with its keys in another order is a change, as in Kubernetes', () => {
    const old = revision((o) => (o.data = { a: 1, b: 2 }));
    assert.deepEqual(messages(revision((o) => (o.data = { a: 1, b: 2 })), old), []);
    assert.equal(messages(revision((o) => (o.data = { b: 2, a: 1 })), old).length, 1);
  });

  it('prints multi-byte characters as their UTF-8 bytes', () => {
    assert.match(goUnknown('é'), /Raw:\[\]uint8\{0x22, 0xc3, 0xa9, 0x22\}/);
  });
});

describe('controllerrevisions: schema, raw data and info', () => {
  it('keeps every field of a revision the DaemonSet controller writes, and the nulls inside data', () => {
    const manifest = parseYaml(`
apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: fluentd-6b9c7c8d5f
  namespace: kube-system
  labels: {app: fluentd, controller-revision-hash: 6b9c7c8d5f}
  annotations: {deprecated.daemonset.template.generation: "2"}
  ownerReferences:
  - {apiVersion: apps/v1, kind: DaemonSet, name: fluentd, uid: 0e4a1c52-8d0f-4a39-9d7e-2f8d0c7b6a11, controller: true, blockOwnerDeletion: true}
data:
  spec:
    template:
      $patch: replace
      metadata:
        creationTimestamp: null
        labels: {app: fluentd}
      spec:
        containers:
        - {name: fluentd, image: "fluentd:v1", resources: {}}
revision: 2
`) as Json;
    assert.deepEqual(controllerrevisions.schema.parse(dropNulls(manifest, controllerrevisions.rawFields)), manifest);
    assert.equal((dropNulls(manifest) as Json).data.spec.template.metadata.creationTimestamp, undefined, 'without rawFields, nulls are unset fields');
    assert.equal((dropNulls({ data: null }, ['data']) as Json).data, undefined, 'a null data is unset all the same');
  });

  it('holds data as one atomic value for server-side apply (Kubernetes leaves a RawExtension untyped)', () => {
    const schema = applySchema({}, controllerrevisions.rawFields);
    assert.deepEqual([schema.atomic('data'), schema.atomic('data.spec'), schema.atomic('metadata.labels')], [true, false, false]);
  });

  it('names the resource as discovery does: namespaced, no short names or categories, no status or generation', () => {
    assert.deepEqual(controllerrevisions.info, { group: 'apps', version: 'v1', kind: 'ControllerRevision', resource: 'controllerrevisions', singular: 'controllerrevision', namespaced: true });
    assert.equal('status' in controllerrevisions || 'hasGeneration' in controllerrevisions || 'scale' in controllerrevisions, false);
  });
});

describe('controllerrevision rows', () => {
  const NOW = new Date('2025-03-01T12:00:00Z');
  const at = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace('.000Z', 'Z');
  const ref = (apiVersion: string, kind: string, name: string, controller = true) => ({ apiVersion, kind, name, uid: 'u1', controller });

  it('has the columns of kubectl get controllerrevisions', () => {
    assert.deepEqual(
      controllerRevisionPrinter.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Controller', 'string', 0],
        ['Revision', 'string', 0],
        ['Age', 'string', 0],
      ],
    );
  });

  const cases: [string, Json, unknown[]][] = [
    ['a DaemonSet revision', { ownerReferences: [ref('apps/v1', 'DaemonSet', 'fluentd')], revision: 3 }, ['r', 'daemonset.apps/fluentd', 3, '5m']],
    ['a StatefulSet revision', { ownerReferences: [ref('apps/v1', 'StatefulSet', 'web')], revision: 1 }, ['r', 'statefulset.apps/web', 1, '5m']],
    ['a core kind has no group', { ownerReferences: [ref('v1', 'Pod', 'p')], revision: 1 }, ['r', 'pod/p', 1, '5m']],
    ['only the controller counts', { ownerReferences: [ref('apps/v1', 'DaemonSet', 'fluentd', false)], revision: 2 }, ['r', '<none>', 2, '5m']],
    ['no owner, no revision', {}, ['r', '<none>', 0, '5m']],
    ['an empty apiVersion and kind leave the name', { ownerReferences: [ref('', '', 'bare')], revision: 1 }, ['r', 'bare', 1, '5m']],
  ];
  for (const [title, o, want] of cases) {
    it(title, () => {
      const { ownerReferences, ...rest } = o as { ownerReferences?: unknown[] };
      const obj = { metadata: { name: 'r', creationTimestamp: at(300), ...(ownerReferences ? { ownerReferences } : {}) }, ...rest } as KubeObject;
      assert.deepEqual(controllerRevisionPrinter.cells(obj, NOW), want);
    });
  }

  it('fails on an apiVersion that is no group version, as Kubernetes does', () => {
    const obj = { metadata: { name: 'r', ownerReferences: [ref('a/b/c', 'Thing', 'x')] }, revision: 1 } as KubeObject;
    assert.throws(() => controllerRevisionPrinter.cells(obj, NOW), /unexpected GroupVersion string: a\/b\/c/);
  });
});
