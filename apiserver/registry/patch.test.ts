import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchError, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';

const doc = { metadata: { name: 'a', labels: { x: '1', y: '2' }, finalizers: ['f1'] }, data: { k: 'v' }, list: [1, 2, 3] };

describe('mergePatch (RFC 7386)', () => {
  const cases: [string, unknown, unknown][] = [
    ['sets and deletes keys, merging objects', { metadata: { labels: { x: null, z: '3' } }, data: { k2: 'v2' } }, { ...doc, metadata: { ...doc.metadata, labels: { y: '2', z: '3' } }, data: { k: 'v', k2: 'v2' } }],
    ['replaces lists whole', { list: [9] }, { ...doc, list: [9] }],
    ['a non-object patch replaces the document', 5, 5],
  ];
  for (const [name, patch, want] of cases) it(name, () => assert.deepEqual(mergePatch(structuredClone(doc) as never, patch as never), want));
});

describe('jsonPatch (RFC 6902)', () => {
  it('add, replace, remove, move, copy and test, in order', () => {
    const out = jsonPatch(doc as never, [
      { op: 'add', path: '/metadata/labels/z', value: '3' },
      { op: 'replace', path: '/data/k', value: 'w' },
      { op: 'remove', path: '/metadata/labels/x' },
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'move', from: '/data/k', path: '/data/moved' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'test', path: '/list', value: [0, 1, 2, 3, 4] },
    ] as never);
    assert.deepEqual(out, { metadata: { name: 'a', labels: { y: '2', z: '3', name: 'a' }, finalizers: ['f1'] }, data: { moved: 'w' }, list: [0, 1, 2, 3, 4] });
    assert.deepEqual(doc.list, [1, 2, 3], 'the input is not changed');
  });

  const failures: [string, unknown, boolean][] = [
    ['a failed test is invalid', [{ op: 'test', path: '/data/k', value: 'nope' }], true],
    ['removing a missing key is invalid', [{ op: 'remove', path: '/data/nope' }], true],
    ['replacing past the end of a list is invalid', [{ op: 'replace', path: '/list/3', value: 1 }], true],
    ['an unknown op is malformed', [{ op: 'frobnicate', path: '/a' }], false],
    ['a patch that is not a list is malformed', { op: 'add' }, false],
    ['a pointer without a leading slash is malformed', [{ op: 'add', path: 'a', value: 1 }], false],
  ];
  for (const [name, ops, invalid] of failures) {
    it(name, () => assert.throws(() => jsonPatch(doc as never, ops as never), (e: unknown) => e instanceof PatchError && e.invalid === invalid));
  }
});

describe('strategicMergePatch', () => {
  const pod = {
    metadata: { finalizers: ['a'], labels: { app: 'web' } },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }], args: ['x', 'y'] },
        { name: 'side', image: 'busybox' },
      ],
    },
  };
  const keys = { 'metadata.finalizers': '', 'spec.containers': 'name', 'spec.containers[].env': 'name' };
  const cases: [string, unknown, unknown][] = [
    [
      'merges a keyed list element by element, recursing into nested keyed lists; other lists are replaced',
      { spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '2' }], args: ['z'] }, { name: 'new', image: 'alpine' }] } },
      {
        ...pod,
        spec: {
          containers: [
            { name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], args: ['z'] },
            { name: 'side', image: 'busybox' },
            { name: 'new', image: 'alpine' },
          ],
        },
      },
    ],
    ['$patch: delete removes a keyed element', { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }, { ...pod, spec: { containers: [pod.spec.containers[0]] } }],
    ['$patch: replace as a list element replaces the list', { spec: { containers: [{ name: 'only' }, { $patch: 'replace' }] } }, { ...pod, spec: { containers: [{ name: 'only' }] } }],
    ['$patch: replace replaces a map', { metadata: { labels: { $patch: 'replace', tier: 'db' } } }, { ...pod, metadata: { ...pod.metadata, labels: { tier: 'db' } } }],
    ['$patch: delete deletes a map', { metadata: { labels: { $patch: 'delete' } } }, { ...pod, metadata: { finalizers: ['a'] } }],
    ['a primitive set merges as a union; $deleteFromPrimitiveList removes', { metadata: { finalizers: ['b', 'a'], '$deleteFromPrimitiveList/finalizers': ['a'] } }, { ...pod, metadata: { ...pod.metadata, finalizers: ['b'] } }],
    ['null deletes a key', { metadata: { labels: { app: null } } }, { ...pod, metadata: { ...pod.metadata, labels: {} } }],
    ['$retainKeys keeps only the keys it lists', { spec: { $retainKeys: ['containers'] , extra: 1 } }, pod],
    [
      '$setElementOrder orders a merged list',
      { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] } },
      { ...pod, spec: { containers: [pod.spec.containers[1], pod.spec.containers[0]] } },
    ],
  ];
  for (const [name, patch, want] of cases) it(name, () => assert.deepEqual(strategicMergePatch(structuredClone(pod) as never, patch as never, keys), want));

  it('refuses an element of a keyed list without its key, and a patch that is not an object', () => {
    assert.throws(() => strategicMergePatch(pod as never, { spec: { containers: [{ image: 'x' }] } } as never, keys), /does not contain declared merge key: name/);
    assert.throws(() => strategicMergePatch(pod as never, [] as never, keys), PatchError);
  });
});
