/**
 * The graph builder, event by event: nodes and owner links, virtual owners,
 * what goes to attemptToDelete and attemptToOrphan, the absent-owner cache,
 * and references that disagree with what was observed.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { KubeObject, OwnerReference } from '../../client/types.js';
import type { Node } from './graph.js';
import { GraphBuilder, type GraphEvent } from './graphbuilder.js';

const TS = '2026-01-01T00:00:00Z';
const ref = (uid: string, o: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid, ...o });
const cm = (uid: string, o: { ns?: string; owners?: OwnerReference[]; deleting?: boolean; finalizers?: string[] } = {}): KubeObject => ({
  metadata: {
    name: uid,
    uid,
    namespace: o.ns ?? 'a',
    ...(o.owners ? { ownerReferences: o.owners } : {}),
    ...(o.deleting ? { deletionTimestamp: TS } : {}),
    ...(o.finalizers ? { finalizers: o.finalizers } : {}),
  },
});

describe('GraphBuilder', () => {
  let g: GraphBuilder;
  let toDelete: string[];
  let rateLimited: string[];
  let toOrphan: string[];
  let invalid: [string, string][];
  const ev = (type: GraphEvent['type'], obj: KubeObject, oldObj?: KubeObject): void => g.process({ type, obj, ...(oldObj ? { oldObj } : {}), apiVersion: 'v1', kind: 'ConfigMap' });
  const node = (uid: string): Node => g.uidToNode.get(uid)!;
  const deps = (uid: string): string[] => [...node(uid).dependents].map((d) => d.identity.uid).sort();
  const drain = (): string[] => toDelete.splice(0).sort();
  beforeEach(() => {
    [toDelete, rateLimited, toOrphan, invalid] = [[], [], [], []];
    g = new GraphBuilder({
      attemptToDelete: (n, rl) => (rl ? rateLimited : toDelete).push(n.identity.uid),
      attemptToOrphan: (n) => toOrphan.push(n.identity.uid),
      invalidNamespaceOwnerRef: (d, uid) => invalid.push([d.identity.uid, uid]),
    });
  });

  it('links a dependent under its owner, making a virtual owner (to be looked up) until the owner is seen', () => {
    ev('add', cm('child', { owners: [ref('parent')] }));
    assert.equal(node('parent').virtual, true);
    assert.deepEqual(node('parent').identity, { apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid: 'parent', namespace: 'a' });
    assert.deepEqual(drain(), ['parent'], 'the virtual owner is looked up in the API');
    ev('add', cm('parent'));
    assert.equal(node('parent').virtual, false);
    assert.deepEqual(deps('parent'), ['child']);
    assert.deepEqual(drain(), [], 'an observed owner that matches: nothing to check');
    ev('add', cm('sibling', { owners: [ref('parent')] }));
    assert.deepEqual([deps('parent'), drain()], [['child', 'sibling'], []]);
  });

  it('moves a dependent between owners on update, and a removed blocking reference wakes its owner', () => {
    ev('add', cm('p1'));
    ev('add', cm('p2'));
    const before = cm('c', { owners: [ref('p1', { blockOwnerDeletion: true })] });
    ev('add', before);
    drain();
    ev('update', cm('c', { owners: [ref('p2')] }), before);
    assert.deepEqual([deps('p1'), deps('p2')], [[], ['c']]);
    assert.deepEqual(drain(), ['p1'], 'p1 may have been waiting for c');
    const blocking = cm('c', { owners: [ref('p2', { blockOwnerDeletion: true })] });
    ev('update', blocking, cm('c', { owners: [ref('p2')] }));
    assert.deepEqual(drain(), []);
    ev('update', cm('c', { owners: [ref('p2', { blockOwnerDeletion: false })] }), blocking);
    assert.deepEqual(drain(), ['p2'], 'unblocked');
  });

  it('on a delete, removes the node, records the owner absent and sends its dependents and foreground owners to attemptToDelete', () => {
    ev('add', cm('owner', { deleting: true, finalizers: ['foregroundDeletion'] }));
    assert.equal(node('owner').deletingDependents, true);
    ev('add', cm('mid', { owners: [ref('owner')] }));
    ev('add', cm('leaf', { owners: [ref('mid')] }));
    drain();
    ev('delete', cm('mid', { owners: [ref('owner')] }));
    assert.equal(g.uidToNode.has('mid'), false);
    assert.deepEqual(deps('owner'), []);
    assert.deepEqual(drain(), ['leaf', 'owner']);
    assert.equal(g.absentOwners.has({ apiVersion: 'v1', kind: 'ConfigMap', name: 'mid', uid: 'mid', namespace: 'a' }), true);
  });

  it('queues orphaning, and foreground deletion of the owner and its dependents, when the deletion starts', () => {
    ev('add', cm('o'));
    ev('add', cm('d', { owners: [ref('o')] }));
    drain();
    ev('update', cm('o', { deleting: true, finalizers: ['orphan'] }), cm('o'));
    assert.deepEqual([toOrphan, drain()], [['o'], []]);
    ev('update', cm('o', { deleting: true, finalizers: ['orphan'] }), cm('o', { deleting: true, finalizers: ['orphan'] }));
    assert.deepEqual(toOrphan, ['o'], 'only when it starts');
    ev('add', cm('f'));
    ev('add', cm('fd', { owners: [ref('f')] }));
    drain();
    ev('update', cm('f', { deleting: true, finalizers: ['foregroundDeletion'] }), cm('f'));
    assert.equal(node('f').deletingDependents, true);
    assert.equal(node('f').beingDeleted, true);
    assert.deepEqual(drain(), ['f', 'fd']);
  });

  it('removes a virtual owner on a virtual delete and queues its dependents', () => {
    ev('add', cm('c', { owners: [ref('ghost')] }));
    drain();
    g.virtualDelete(node('ghost').identity);
    assert.equal(g.uidToNode.has('ghost'), false);
    assert.deepEqual(drain(), ['c']);
  });

  it('reports a dependent naming an owner observed in another namespace, and sends it to be checked', () => {
    ev('add', cm('owner', { ns: 'b' }));
    ev('add', cm('stray', { ns: 'a', owners: [ref('owner')] }));
    assert.deepEqual(invalid, [['stray', 'owner']]);
    assert.deepEqual(drain(), ['stray']);
  });

  it('checks dependents that named a virtual owner otherwise than the informer then shows it', () => {
    ev('add', cm('stray', { ns: 'a', owners: [ref('owner')] }));
    ev('add', cm('wrongname', { ns: 'b', owners: [ref('owner', { name: 'other' })] }));
    drain();
    ev('add', cm('owner', { ns: 'b' }));
    assert.deepEqual(node('owner').identity.namespace, 'b', 'the observed identity replaces the virtual one');
    assert.deepEqual(invalid, [['stray', 'owner']], 'another namespace is reported');
    assert.deepEqual(drain(), ['stray', 'wrongname']);
  });

  it('keeps a virtual owner under another identity when a virtual delete verifies only one of those its dependents give', () => {
    ev('add', cm('d1', { ns: 'a', owners: [ref('o')] }));
    ev('add', cm('d2', { ns: 'b', owners: [ref('o')] }));
    drain();
    const first = node('o').identity;
    assert.equal(first.namespace, 'a');
    g.virtualDelete(first);
    assert.equal(g.uidToNode.has('o'), true);
    assert.equal(node('o').identity.namespace, 'b', 'the identity d2 gives');
    assert.deepEqual([drain(), rateLimited], [['d1'], ['o']]);
    assert.equal(g.absentOwners.has(first), true);
  });

  it('ignores a virtual delete that disagrees with an observed node, but for the dependents naming the absent identity', () => {
    ev('add', cm('o', { ns: 'b' }));
    ev('add', cm('d', { ns: 'a', owners: [ref('o')] }));
    drain();
    g.virtualDelete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: 'o', namespace: 'a' });
    assert.equal(node('o').virtual, false);
    assert.deepEqual(drain(), ['d']);
  });
});
