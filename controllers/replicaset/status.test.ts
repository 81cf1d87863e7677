/**
 * A ReplicaSet's status from its pods: counts, and the ReplicaFailure
 * condition set on a failed create or delete and cleared by a good sync.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rfc3339 } from '../../client/clock.js';
import type { Pod } from '../../client/types.js';
import type { ReplicaSet } from '../internal/types.js';
import { calculateStatus, statusUpToDate } from './status.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');

function rs(replicas: number, status: ReplicaSet['status'] = { replicas: 0 }, minReadySeconds = 0): ReplicaSet {
  return {
    metadata: { name: 'web', namespace: 'ns', generation: 2 },
    spec: { replicas, minReadySeconds, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } },
    status,
  };
}

function pod(labels: Record<string, string>, readyForS?: number): Pod {
  return {
    metadata: { name: 'p', labels },
    spec: { containers: [] },
    status: readyForS === undefined ? {} : { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(NOW - readyForS * 1000) }] },
  };
}

describe('calculateStatus', () => {
  it('counts pods, fully labeled, ready and available (after minReadySeconds)', () => {
    const pods = [pod({ app: 'web', tier: 'fe' }, 60), pod({ app: 'web', tier: 'fe' }, 2), pod({ app: 'web' }), pod({ app: 'web', tier: 'fe', x: 'y' })];
    const s = calculateStatus(rs(4, { replicas: 0 }, 10), pods, undefined, NOW, rfc3339);
    assert.deepEqual(s, { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1 });
  });

  it('leaves zero counts out but replicas', () => {
    assert.deepEqual(calculateStatus(rs(1, { replicas: 3, readyReplicas: 3, availableReplicas: 3, fullyLabeledReplicas: 3 }), [], undefined, NOW, rfc3339), { replicas: 0 });
  });

  it('sets ReplicaFailure FailedCreate when pods are missing, FailedDelete when too many, and keeps an existing one', () => {
    const err = new Error('pods "web-" is forbidden: exceeded quota');
    const created = calculateStatus(rs(3), [pod({ app: 'web' })], err, NOW, rfc3339);
    assert.deepEqual(created.conditions, [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(NOW), reason: 'FailedCreate', message: err.message }]);
    assert.equal(calculateStatus(rs(0), [pod({ app: 'web' })], err, NOW, rfc3339).conditions?.[0]?.reason, 'FailedDelete');
    const again = calculateStatus(rs(3, created), [], new Error('another'), NOW + 5000, rfc3339);
    assert.deepEqual(again.conditions, created.conditions, 'the first failure stays until a good sync');
  });

  it('clears ReplicaFailure after a sync without an error', () => {
    const failed = calculateStatus(rs(1), [], new Error('x'), NOW, rfc3339);
    const ok = calculateStatus(rs(1, failed), [pod({ app: 'web' })], undefined, NOW, rfc3339);
    assert.equal(ok.conditions, undefined);
  });

  it('is up to date only when every count and the observed generation agree', () => {
    const status = { replicas: 1, fullyLabeledReplicas: 1 };
    assert.equal(statusUpToDate(rs(1, { ...status, observedGeneration: 2 }), status), true);
    assert.equal(statusUpToDate(rs(1, { ...status, observedGeneration: 1 }), status), false);
    assert.equal(statusUpToDate(rs(1, { ...status, observedGeneration: 2 }), { ...status, readyReplicas: 1 }), false);
  });
});
