/** Attempt-to-delete decisions, table-driven: what becomes of an object given what its owners are. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, OwnerReference } from '../../client/types.js';
import { classifyOwner, decide, type Classification, type Decision } from './decide.js';
import { Node } from './graph.js';

const ref = (uid: string): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid });
const obj = (finalizers: string[] = []): KubeObject => ({ metadata: { name: 'x', uid: 'x', finalizers } });
const withDependents = (...deleting: boolean[]): Pick<Node, 'dependents'> => {
  const n = new Node({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'x', namespace: 'a' });
  deleting.forEach((d, i) => n.dependents.add(new Node({ apiVersion: 'v1', kind: 'ConfigMap', name: `d${i}`, uid: `d${i}`, namespace: 'a' }, [], false, d, d)));
  return n;
};
const c = (solid: string[], dangling: string[], waiting: string[]): Classification => ({ solid: solid.map(ref), dangling: dangling.map(ref), waiting: waiting.map(ref) });

describe('classifyOwner', () => {
  it('is dangling without an owner or with another uid, waiting while the owner deletes in the foreground, else solid', () => {
    assert.equal(classifyOwner(ref('o'), undefined), 'dangling');
    assert.equal(classifyOwner(ref('o'), { metadata: { uid: 'other' } }), 'dangling');
    assert.equal(classifyOwner(ref('o'), { metadata: { uid: 'o' } }), 'solid');
    assert.equal(classifyOwner(ref('o'), { metadata: { uid: 'o', deletionTimestamp: 't', finalizers: ['foregroundDeletion'] } }), 'waiting');
    assert.equal(classifyOwner(ref('o'), { metadata: { uid: 'o', deletionTimestamp: 't', finalizers: ['orphan'] } }), 'solid', 'an owner orphaning its dependents still owns them');
    assert.equal(classifyOwner(ref('o'), { metadata: { uid: 'o', finalizers: ['foregroundDeletion'] } }), 'solid', 'not being deleted');
  });
});

describe('decide', () => {
  const cases: [string, Pick<Node, 'dependents'>, KubeObject, Classification, Decision][] = [
    ['a solid owner keeps it', withDependents(), obj(), c(['a'], [], []), { action: 'keep' }],
    ['a solid owner keeps it; dangling and waiting references go', withDependents(), obj(), c(['a'], ['b'], ['w']), { action: 'removeReferences', uids: ['b', 'w'] }],
    ['every owner dangling: deleted in the background', withDependents(), obj(), c([], ['b', 'c'], []), { action: 'delete', policy: 'Background' }],
    ['every owner dangling, its own orphan finalizer: deleted orphaning', withDependents(), obj(['orphan']), c([], ['b'], []), { action: 'delete', policy: 'Orphan' }],
    ['every owner dangling, its own foreground finalizer: deleted in the foreground', withDependents(), obj(['foregroundDeletion']), c([], ['b'], []), { action: 'delete', policy: 'Foreground' }],
    ['a waiting owner and no dependents: deleted', withDependents(), obj(), c([], [], ['w']), { action: 'delete', policy: 'Background' }],
    ['a waiting owner and dependents: deleted in the foreground', withDependents(false), obj(), c([], ['b'], ['w']), { action: 'deleteForeground', unblockFirst: false }],
    ['a waiting owner and a dependent deleting its own: unblocked first', withDependents(false, true), obj(), c([], [], ['w']), { action: 'deleteForeground', unblockFirst: true }],
  ];
  for (const [name, item, latest, classified, want] of cases) it(name, () => assert.deepEqual(decide(item, latest, classified), want));
});
