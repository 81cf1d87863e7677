/**
 * The pod predicates and kube's deletion order (ActivePodsWithRanks), rule
 * by rule, and the choice of pods to delete.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../client/types.js';
import { compareForDeletion, deletionCost, isPodActive, isPodAvailable, isPodReady, podsToDelete } from './pods.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

interface PodOpts {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
  readySince?: number;
  cost?: string;
  restarts?: number;
  created?: number;
  uid?: string;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: o.uid ?? name,
      ...(o.created !== undefined ? { creationTimestamp: ago(o.created) } : {}),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
      ...(o.deleting ? { deletionTimestamp: ago(0) } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.readySince !== undefined ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.readySince) }] } : {}),
      ...(o.restarts !== undefined ? { containerStatuses: [{ name: 'c', restartCount: o.restarts }] } : {}),
    },
  };
}

describe('pod predicates', () => {
  it('active: not finished and not being deleted', () => {
    assert.equal(isPodActive(pod('a')), true);
    assert.equal(isPodActive(pod('a', { phase: 'Succeeded' })), false);
    assert.equal(isPodActive(pod('a', { phase: 'Failed' })), false);
    assert.equal(isPodActive(pod('a', { deleting: true })), false);
  });
  it('available: ready for minReadySeconds, strictly before now', () => {
    assert.equal(isPodReady(pod('a', { readySince: 5 })), true);
    assert.equal(isPodAvailable(pod('a'), 0, NOW), false, 'not ready');
    assert.equal(isPodAvailable(pod('a', { readySince: 0 }), 0, NOW), true);
    assert.equal(isPodAvailable(pod('a', { readySince: 5 }), 5, NOW), false, 'exactly minReadySeconds is not yet');
    assert.equal(isPodAvailable(pod('a', { readySince: 6 }), 5, NOW), true);
  });
  it('deletion cost: an int32, else 0', () => {
    assert.deepEqual(['-5', '100', 'x', '99999999999', undefined].map((c) => deletionCost(pod('a', c === undefined ? {} : { cost: c }))), [-5, 100, 0, 0, 0]);
  });
});

describe('the deletion order', () => {
  const cases: { name: string; first: Pod; second: Pod; firstRank?: number; secondRank?: number }[] = [
    { name: '1. not on a node before on a node', first: pod('a', { phase: 'Running', readySince: 9 }), second: pod('b', { node: 'n', phase: 'Pending' }) },
    { name: '2. Pending before Unknown', first: pod('a', { node: 'n', phase: 'Pending' }), second: pod('b', { node: 'n', phase: 'Unknown' }) },
    { name: '2. Unknown before Running', first: pod('a', { node: 'n', phase: 'Unknown' }), second: pod('b', { node: 'n', phase: 'Running' }) },
    { name: '3. not ready before ready', first: pod('a', { node: 'n', restarts: 0 }), second: pod('b', { node: 'n', readySince: 1, restarts: 9 }) },
    { name: '4. lower deletion cost first', first: pod('a', { node: 'n', readySince: 9000, cost: '-1' }), second: pod('b', { node: 'n', readySince: 1 }) },
    { name: '5. more related pods on its node first', first: pod('a', { node: 'n', readySince: 9000 }), second: pod('b', { node: 'm', readySince: 1 }), firstRank: 3, secondRank: 1 },
    { name: '6. ready for less time first', first: pod('a', { node: 'n', readySince: 10 }), second: pod('b', { node: 'n', readySince: 1000 }) },
    { name: '6. same log2 bucket of ready time: by UID', first: pod('a', { node: 'n', readySince: 1000, uid: 'u1' }), second: pod('b', { node: 'n', readySince: 1001, uid: 'u2' }) },
    { name: '7. more restarts first', first: pod('a', { node: 'n', restarts: 3, created: 1000 }), second: pod('b', { node: 'n', restarts: 1, created: 1 }) },
    { name: '8. created later first', first: pod('a', { node: 'n', created: 10 }), second: pod('b', { node: 'n', created: 1000 }) },
    { name: '8. no creation time first', first: pod('a', { node: 'n' }), second: pod('b', { node: 'n', created: 1 }) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [a, b] = [{ pod: c.first, rank: c.firstRank ?? 0 }, { pod: c.second, rank: c.secondRank ?? 0 }];
      assert.ok(compareForDeletion(a, b, NOW) < 0, 'first before second');
      assert.ok(compareForDeletion(b, a, NOW) > 0, 'and not the other way');
    });
  }
  it('without a reference time, times compare exactly', () => {
    const [a, b] = [pod('a', { node: 'n', readySince: 1000, uid: 'u2' }), pod('b', { node: 'n', readySince: 1001, uid: 'u1' })];
    assert.ok(compareForDeletion({ pod: a, rank: 0 }, { pod: b, rank: 0 }) < 0, 'the later ready first');
    assert.ok(compareForDeletion({ pod: a, rank: 0 }, { pod: b, rank: 0 }, NOW) > 0, 'on the log scale they tie: by UID');
  });
  it('equal pods compare 0', () => assert.equal(compareForDeletion({ pod: pod('a', { node: 'n' }), rank: 1 }, { pod: pod('a', { node: 'n' }), rank: 1 }, NOW), 0));
});

describe('podsToDelete', () => {
  it('picks the doubled-up pods among equals, counting active related pods on each node', () => {
    const mine = [pod('a', { node: 'n1', readySince: 100 }), pod('b', { node: 'n2', readySince: 100 }), pod('c', { node: 'n3', readySince: 100 })];
    const sibling = [pod('x', { node: 'n2', readySince: 100 }), pod('y', { node: 'n2', deleting: true }), pod('z', { node: 'n3', phase: 'Succeeded' })];
    assert.deepEqual(podsToDelete(mine, [...mine, ...sibling], 1, NOW).map((p) => p.metadata.name), ['b']);
  });
  it('all of them without sorting when the surplus is everything', () => {
    const mine = [pod('a'), pod('b')];
    assert.deepEqual(podsToDelete(mine, mine, 5, NOW).map((p) => p.metadata.name), ['a', 'b']);
  });
  it('the unready and unscheduled first', () => {
    const mine = [pod('ready', { node: 'n', readySince: 100 }), pod('unready', { node: 'n' }), pod('pending', { phase: 'Pending' })];
    assert.deepEqual(podsToDelete(mine, mine, 2, NOW).map((p) => p.metadata.name), ['pending', 'unready']);
  });
});
