/** The graph's pure helpers: reference diffs, partitions by identity, alternate identities, the absent-owner cache. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OwnerReference } from '../../client/types.js';
import { Node, ReferenceCache, alternateOwnerIdentity, partitionDependents, referencesDiff, startsDeletingWith, type Identity } from './graph.js';

const ref = (uid: string, o: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `cm-${uid}`, uid, ...o });
const id = (uid: string, namespace = 'a', o: Partial<Identity> = {}): Identity => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `cm-${uid}`, uid, namespace, ...o });
const dep = (uid: string, namespace: string, owners: OwnerReference[]): Node => new Node(id(uid, namespace), owners);

describe('referencesDiff', () => {
  it('finds added, removed and changed references by uid', () => {
    const d = referencesDiff([ref('1'), ref('2', { blockOwnerDeletion: true }), ref('3')], [ref('2'), ref('3'), ref('4')]);
    assert.deepEqual(d.added, [ref('4')]);
    assert.deepEqual(d.removed, [ref('1')]);
    assert.deepEqual(d.changed, [{ old: ref('2', { blockOwnerDeletion: true }), now: ref('2') }]);
    assert.deepEqual(referencesDiff([ref('1')], [ref('1')]), { added: [], removed: [], changed: [] });
  });
});

describe('startsDeletingWith', () => {
  const obj = (deleting: boolean, finalizers: string[]) => ({ metadata: { ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}), finalizers } });
  it('is true only on the change into deletion with the finalizer', () => {
    assert.equal(startsDeletingWith(undefined, obj(true, ['orphan']), 'orphan'), true, 'first seen already deleting');
    assert.equal(startsDeletingWith(obj(false, ['orphan']), obj(true, ['orphan']), 'orphan'), true);
    assert.equal(startsDeletingWith(obj(true, []), obj(true, ['orphan']), 'orphan'), true, 'the finalizer added later');
    assert.equal(startsDeletingWith(obj(true, ['orphan']), obj(true, ['orphan']), 'orphan'), false, 'already under way');
    assert.equal(startsDeletingWith(undefined, obj(false, ['orphan']), 'orphan'), false, 'not being deleted');
    assert.equal(startsDeletingWith(undefined, obj(true, ['foregroundDeletion']), 'orphan'), false);
  });
});

describe('partitionDependents', () => {
  it('matches dependents naming the owner by its coordinates in its namespace', () => {
    const good = dep('d1', 'a', [ref('o')]);
    const otherNs = dep('d2', 'b', [ref('o')]);
    const otherName = dep('d3', 'a', [ref('o', { name: 'else' })]);
    const both = dep('d4', 'a', [ref('o'), ref('o', { kind: 'Secret' })]);
    const p = partitionDependents([good, otherNs, otherName, both], id('o', 'a'));
    assert.deepEqual(p.matching, [good, both]);
    assert.deepEqual(p.nonmatching, [otherNs, otherName, both]);
  });
  it('matches a cluster-scoped owner from any namespace', () => {
    const p = partitionDependents([dep('d1', 'a', [ref('o', { kind: 'Node', name: 'n' })]), dep('d2', '', [ref('o', { kind: 'Node', name: 'n' })])], id('o', '', { kind: 'Node', name: 'n' }));
    assert.equal(p.matching.length, 2);
    assert.equal(p.nonmatching.length, 0);
  });
});

describe('alternateOwnerIdentity', () => {
  it('gives the first identity after the absent one, else the first of all, else none', () => {
    const absent = id('o', 'b');
    const deps = [dep('d1', 'a', [ref('o')]), dep('d2', 'c', [ref('o')]), dep('d3', 'b', [ref('o')])];
    assert.deepEqual(alternateOwnerIdentity(deps, absent), id('o', 'c'), 'c follows b');
    assert.deepEqual(alternateOwnerIdentity(deps.slice(0, 1), absent), id('o', 'a'), 'nothing follows b: the first');
    assert.equal(alternateOwnerIdentity([deps[2]!], absent), undefined, 'every dependent names the absent identity');
  });
  it('drops the namespace of a kind the absent identity shows to be cluster-scoped', () => {
    const absent = id('o', '', { kind: 'Node', apiVersion: 'v1', name: 'n1' });
    const alt = alternateOwnerIdentity([dep('d1', 'a', [ref('o', { kind: 'Node', name: 'n2' })])], absent);
    assert.deepEqual(alt, id('o', '', { kind: 'Node', name: 'n2' }));
  });
});

describe('ReferenceCache', () => {
  it('forgets the least recently used identity beyond its capacity', () => {
    const c = new ReferenceCache(2);
    c.add(id('1'));
    c.add(id('2'));
    assert.equal(c.has(id('1')), true); // 1 is now the most recent
    c.add(id('3'));
    assert.deepEqual([c.has(id('1')), c.has(id('2')), c.has(id('3'))], [true, false, true]);
    assert.equal(c.has(id('1', 'other')), false, 'the namespace is part of the identity');
  });
});
