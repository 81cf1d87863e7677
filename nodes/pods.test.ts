/** When a pod's status in the API already says what the node would write (so it is not written again). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../client/types.js';
import { planPod, podStatusAt } from './lifecycle.js';
import { Limiter } from './limiter.js';
import { statusMatches } from './pods.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
const desired = podStatusAt(pod, planPod(pod, { startedAt: T0 }), T0 + 5000, { hostIP: '127.0.0.1', podIP: '10.244.0.2' });

describe('statusMatches', () => {
  it('holds for the status as the API server gives it back: other conditions, nulls and empty objects aside', () => {
    const api = JSON.parse(JSON.stringify({ ...desired, qosClass: 'BestEffort', conditions: [...desired.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' }] })) as Pod['status'];
    assert.equal(statusMatches(api, desired), true);
  });

  it('fails when a field the kubelet owns differs: another writer marked the pod not Ready, a container state moved', () => {
    const notReady = { ...desired, conditions: desired.conditions.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady' } : c)) };
    assert.equal(statusMatches(notReady, desired), false);
    assert.equal(statusMatches({ ...desired, phase: 'Pending' }, desired), false);
    assert.equal(statusMatches(undefined, desired), false);
  });
});

describe('Limiter', () => {
  it('runs at most max tasks at once, in order', async () => {
    const l = new Limiter(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        l.run(async () => {
          most = Math.max(most, ++running);
          await Promise.resolve();
          order.push(i);
          running--;
        }),
      ),
    );
    assert.equal(most, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  });
});
