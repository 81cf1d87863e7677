/**
 * The Deployment arithmetic: surge and unavailability (kube's fencepost
 * examples), the new ReplicaSet's growth, proportional scaling (the example
 * of Kubernetes' documentation), revisions and their annotations, and the
 * rollout's complete / timed-out tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, IntOrString, ReplicaSet } from '../internal/types.js';
import * as u from './util.js';

function deployment(replicas: number, maxSurge: IntOrString = '25%', maxUnavailable: IntOrString = '25%', extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'ns', generation: 1, annotations: { team: 'a', 'deployment.kubernetes.io/revision': '9' } },
    spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } }, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, ...extra },
  };
}

function rs(name: string, replicas: number, o: { created?: number; revision?: string; available?: number; max?: number; desired?: number; image?: string } = {}): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (o.revision !== undefined) annotations[u.REVISION] = o.revision;
  if (o.max !== undefined) annotations[u.MAX_REPLICAS] = String(o.max);
  if (o.desired !== undefined) annotations[u.DESIRED_REPLICAS] = String(o.desired);
  return {
    metadata: { name, uid: name, creationTimestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, o.created ?? 0)).toISOString(), annotations },
    spec: { replicas, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'nginx' }] } } },
    status: { replicas, availableReplicas: o.available ?? 0 },
  };
}

describe('resolveFenceposts', () => {
  // Kubernetes' examples: desired, maxSurge, maxUnavailable → surge, unavailable
  const cases: [number, IntOrString, IntOrString, number, number][] = [
    [2, '0%', '1%', 0, 1],
    [1, '0%', '1%', 0, 1],
    [2, '1%', '25%', 1, 0],
    [1, '1%', '25%', 1, 0],
    [2, '1%', '0%', 1, 0],
    [10, '25%', '25%', 3, 2],
    [10, 3, 2, 3, 2],
    [4, 0, 0, 0, 1],
  ];
  for (const [desired, surge, unavailable, ws, wu] of cases) {
    it(`${desired} desired, surge ${surge}, unavailable ${unavailable}: ${ws} and ${wu}`, () => assert.deepEqual(u.resolveFenceposts(surge, unavailable, desired), [ws, wu]));
  }
  it('maxUnavailable never above replicas, 0 for none or Recreate', () => {
    assert.equal(u.maxUnavailable(deployment(1, 0, '100%')), 1);
    assert.equal(u.maxUnavailable(deployment(0)), 0);
    assert.equal(u.maxSurge({ ...deployment(10), spec: { replicas: 10, strategy: { type: 'Recreate' } } }), 0);
  });
  it('refuses a string that is not a percentage', () => assert.throws(() => u.scaledValue('5', 10, true), /not a percentage/));
});

describe('newRSNewReplicas', () => {
  it('grows the new ReplicaSet up to spec.replicas + maxSurge in all, never past spec.replicas', () => {
    const d = deployment(10, 3, 2);
    const fresh = rs('new', 0);
    assert.equal(u.newRSNewReplicas(d, [rs('old', 10), fresh], fresh), 3);
    assert.equal(u.newRSNewReplicas(d, [rs('old', 8), rs('new', 3)], rs('new', 3)), 5);
    assert.equal(u.newRSNewReplicas(d, [rs('old', 10), rs('new', 3)], rs('new', 3)), 3, 'at the surge limit');
    assert.equal(u.newRSNewReplicas(d, [rs('old', 0), rs('new', 9)], rs('new', 9)), 10);
  });
  it('Recreate: all of spec.replicas at once', () => {
    const d: Deployment = { metadata: {}, spec: { replicas: 4, strategy: { type: 'Recreate' } } };
    assert.equal(u.newRSNewReplicas(d, [rs('new', 0)], rs('new', 0)), 4);
  });
});

describe('proportionalSizes', () => {
  it("spreads a scale-up over the ReplicaSets by size (Kubernetes' documented example: 10 → 15, old 8 and new 5 become 11 and 7)", () => {
    const d = deployment(15, 3, 2);
    const sizes = u.proportionalSizes(d, [rs('old', 8, { max: 13, created: 0 }), rs('new', 5, { max: 13, created: 10 })]);
    assert.deepEqual(sizes.map(({ rs: r, size }) => [r.metadata.name, size]), [['old', 11], ['new', 7]]);
  });
  it('takes a scale-down from the larger and older first, the leftover from the first', () => {
    const d = deployment(5, 1, 0);
    const sizes = u.proportionalSizes(d, [rs('new', 4, { max: 11, created: 10 }), rs('old', 7, { max: 11, created: 0 })]);
    // allowed 6: old 7*6/11 = 3.8 → 4 (-3), new 4*6/11 = 2.2 → 2 (-2), leftover 0
    assert.deepEqual(sizes.map(({ rs: r, size }) => [r.metadata.name, size]), [['old', 4], ['new', 2]]);
  });
  it('scaling to 0 takes everything', () => {
    const sizes = u.proportionalSizes(deployment(0), [rs('a', 3, { max: 5 }), rs('b', 2, { max: 5, created: 5 })]);
    assert.deepEqual(sizes.map((x) => x.size), [0, 0]);
  });
  it('getProportion falls back to the status replicas without max-replicas, and stays within what is left to add', () => {
    const d = { ...deployment(20, 0, 1), status: { replicas: 10 } };
    assert.equal(u.getProportion(rs('a', 5), d, 10, 0), 5);
    assert.equal(u.getProportion(rs('a', 5), d, 10, 8), 2);
    assert.equal(u.getProportion(rs('a', 0), d, 10, 0), 0);
  });
});

describe('revisions and annotations', () => {
  it('max and last revision, unreadable ones skipped', () => {
    const rss = [rs('a', 0, { revision: '3' }), rs('b', 0, { revision: 'x' }), rs('c', 0, { revision: '7' }), rs('d', 0)];
    assert.equal(u.maxRevision(rss), 7);
    assert.equal(u.lastRevision(rss), 3);
  });
  it('a new ReplicaSet gets the revision, the replicas annotations and the Deployment annotations but the skipped ones', () => {
    const d = deployment(4, 1, 0);
    const r = rs('new', 1);
    assert.equal(u.setNewReplicaSetAnnotations(d, r, 5, false), true);
    assert.deepEqual(r.metadata.annotations, { team: 'a', [u.REVISION]: '5', [u.DESIRED_REPLICAS]: '4', [u.MAX_REPLICAS]: '5' });
    assert.equal(u.setNewReplicaSetAnnotations(d, r, 5, true), false, 'nothing to change');
  });
  it('a ReplicaSet rolled back to keeps its former revisions, trimmed from the oldest', () => {
    const d = deployment(1);
    const r = rs('old', 0, { revision: '2' });
    u.setNewReplicaSetAnnotations(d, r, 4, true);
    assert.deepEqual([r.metadata.annotations![u.REVISION], r.metadata.annotations![u.REVISION_HISTORY]], ['4', '2']);
    u.setNewReplicaSetAnnotations(d, r, 6, true);
    assert.equal(r.metadata.annotations![u.REVISION_HISTORY], '2,4');
    u.setNewReplicaSetAnnotations(d, r, 8, true, 4);
    assert.equal(r.metadata.annotations![u.REVISION_HISTORY], '4,6', 'at most 4 characters: the oldest went');
    assert.equal(u.setNewReplicaSetAnnotations(d, r, 3, true), false, 'a revision never goes down');
  });
  it('rolling back takes the ReplicaSet annotations and keeps the skipped ones', () => {
    const d = deployment(1);
    const r = rs('old', 0, { revision: '2', desired: 1 });
    r.metadata.annotations![u.CHANGE_CAUSE] = 'kubectl set image';
    assert.deepEqual(u.deploymentAnnotationsFrom(d, r), { [u.REVISION]: '9', [u.CHANGE_CAUSE]: 'kubectl set image' });
  });
});

describe('which ReplicaSet is new', () => {
  it('the oldest whose template equals the Deployment, but for the hash label', () => {
    const d = { ...deployment(1), spec: { ...deployment(1).spec, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [] }] } } } };
    const rss = [rs('b', 1, { created: 5 }), rs('a', 1, { created: 1 }), rs('c', 1, { image: 'other' })];
    assert.equal(u.findNewReplicaSet(d, rss)?.metadata.name, 'a');
    const { old, allOld } = u.findOldReplicaSets(d, [...rss, rs('z', 0, { image: 'x' })]);
    assert.deepEqual([old.map((r) => r.metadata.name), allOld.map((r) => r.metadata.name)], [['b', 'c'], ['b', 'c', 'z']]);
  });
  it('findActiveOrLatest: the only active one, else the newest, else none', () => {
    assert.equal(u.findActiveOrLatest(rs('new', 0, { created: 9 }), [rs('old', 3)])?.metadata.name, 'old');
    assert.equal(u.findActiveOrLatest(undefined, [rs('a', 0, { created: 1 }), rs('b', 0, { created: 5 })])?.metadata.name, 'b');
    assert.equal(u.findActiveOrLatest(rs('new', 2), [rs('old', 3)]), undefined);
  });
  it('isSaturated: all replicas, agreed by the annotation, available', () => {
    const d = deployment(3);
    assert.equal(u.isSaturated(d, rs('n', 3, { desired: 3, available: 3 })), true);
    assert.equal(u.isSaturated(d, rs('n', 3, { desired: 2, available: 3 })), false);
    assert.equal(u.isSaturated(d, rs('n', 3, { desired: 3, available: 2 })), false);
  });
});

describe('rollout progress', () => {
  const now = Date.parse('2025-01-01T00:10:00Z');
  const progressing = (reason: string, at: string): Deployment['status'] => ({ conditions: [{ type: 'Progressing', status: 'True', reason, lastUpdateTime: at, lastTransitionTime: at }] });
  it('complete: every replica updated and available, none old, generation observed', () => {
    const d = deployment(3);
    assert.equal(u.deploymentComplete(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 }), true);
    assert.equal(u.deploymentComplete(d, { replicas: 4, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 }), false);
    assert.equal(u.deploymentComplete(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 0 }), false);
  });
  it('timed out: no progress for progressDeadlineSeconds since the last update, unless complete', () => {
    const d = deployment(3, 1, 0, { progressDeadlineSeconds: 60 });
    assert.equal(u.deploymentTimedOut(d, progressing(u.Reason.ReplicaSetUpdated, '2025-01-01T00:09:00Z')!, now), false, 'exactly the deadline is not yet');
    assert.equal(u.deploymentTimedOut(d, progressing(u.Reason.ReplicaSetUpdated, '2025-01-01T00:08:59Z')!, now), true);
    assert.equal(u.deploymentTimedOut(d, progressing(u.Reason.NewRSAvailable, '2025-01-01T00:00:00Z')!, now), false);
    assert.equal(u.deploymentTimedOut({ ...d, spec: { ...d.spec, progressDeadlineSeconds: 2147483647 } }, progressing(u.Reason.ReplicaSetUpdated, '2025-01-01T00:00:00Z')!, now), false);
  });
  it('progressing: more updated, ready or available pods, or fewer old ones', () => {
    const d = { ...deployment(3), status: { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 } };
    assert.equal(u.deploymentProgressing(d, { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }), false);
    assert.equal(u.deploymentProgressing(d, { replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }), true);
    assert.equal(u.deploymentProgressing(d, { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 }), true);
  });
});
