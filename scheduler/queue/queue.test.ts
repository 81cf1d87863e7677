import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../client/types.js';
import type { QueuedPodInfo } from '../framework/interface.js';
import { KeyedHeap } from './keyedheap.js';
import { SchedulingQueue } from './queue.js';

const pod = (name: string, priority = 0, nodeSelector?: Record<string, string>): Pod => ({
  metadata: { name, namespace: 'default', uid: name },
  spec: { containers: [{ name: 'c' }], priority, ...(nodeSelector ? { nodeSelector } : {}) },
});
// PrioritySort's order: higher priority first, then the earlier timestamp
const less = (a: QueuedPodInfo, b: QueuedPodInfo): boolean => {
  const pa = a.pod.spec.priority ?? 0;
  const pb = b.pod.spec.priority ?? 0;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
};

function queue(): { q: SchedulingQueue; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { q: new SchedulingQueue({ less, now: () => clock.t }), clock };
}

const names = async (q: SchedulingQueue, n: number): Promise<string[]> => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await q.pop())!.pod.metadata.name!);
  return out;
};

describe('keyed heap', () => {
  it('pops in order, and updates and deletes by key', () => {
    const h = new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
    for (const [k, v] of [['a', 5], ['b', 3], ['c', 8], ['d', 1], ['e', 9]] as const) h.push({ k, v });
    h.push({ k: 'c', v: 0 });
    assert.equal(h.delete('d')?.v, 1);
    assert.equal(h.get('a')?.v, 5);
    const out: string[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.k);
    assert.deepEqual(out, ['c', 'b', 'a', 'e']);
    assert.equal(h.size, 0);
  });
});

describe('the scheduling queue', () => {
  it('pops by priority, then by arrival, and waits for a pod when empty', async () => {
    const { q, clock } = queue();
    q.add(pod('low'));
    clock.t++;
    q.add(pod('high', 100));
    clock.t++;
    q.add(pod('low2'));
    assert.deepEqual(await names(q, 3), ['high', 'low', 'low2']);
    const waiting = q.pop();
    q.add(pod('late'));
    assert.equal((await waiting)?.pod.metadata.name, 'late');
    assert.equal(q.schedulingCycle, 4);
    q.close();
    assert.equal(await q.pop(), undefined);
  });

  it('keeps a failed pod unschedulable until an event may help it, then backs it off 1 s doubling to 10 s', async () => {
    const { q, clock } = queue();
    q.add(pod('p'));
    let p = (await q.pop())!;
    q.addUnschedulable({ ...p, unschedulablePlugins: new Set(['NodeResourcesFit']) }, q.schedulingCycle);
    assert.deepEqual(q.pending, { active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff((x) => x.unschedulablePlugins.has('TaintToleration'));
    assert.deepEqual(q.pending, { active: 0, backoff: 0, unschedulable: 1 }, 'an event that cannot help it leaves it');
    q.moveAllToActiveOrBackoff((x) => x.unschedulablePlugins.has('NodeResourcesFit'));
    assert.deepEqual(q.pending, { active: 0, backoff: 1, unschedulable: 0 }, 'backing off: it failed just now');
    clock.t += 999;
    q.flushBackoffCompleted();
    assert.equal(q.pending.backoff, 1);
    clock.t += 1;
    q.flushBackoffCompleted();
    assert.deepEqual(q.pending, { active: 1, backoff: 0, unschedulable: 0 });
    p = (await q.pop())!;
    assert.equal(p.attempts, 2);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('sends a pod that failed while an event came to backoff, not to the unschedulable pods', async () => {
    const { q } = queue();
    q.add(pod('p'));
    const p = (await q.pop())!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff(); // a node was added while p was being scheduled
    q.addUnschedulable(p, cycle);
    assert.deepEqual(q.pending, { active: 0, backoff: 1, unschedulable: 0 });
  });

  it('retries an unschedulable pod whose spec changed, and one left for 5 minutes', async () => {
    const { q, clock } = queue();
    q.add(pod('a'));
    q.add(pod('b'));
    const [a, b] = [(await q.pop())!, (await q.pop())!];
    q.addUnschedulable(a, q.schedulingCycle);
    q.addUnschedulable(b, q.schedulingCycle);
    clock.t += 2000;
    q.update(pod('a'));
    assert.equal(q.pending.unschedulable, 2, 'the same spec: still unschedulable');
    q.update(pod('a', 0, { disk: 'ssd' }));
    assert.deepEqual(q.pending, { active: 1, backoff: 0, unschedulable: 1 });
    clock.t += 5 * 60_000;
    q.flushUnschedulableLeftover();
    assert.deepEqual(q.pending, { active: 2, backoff: 0, unschedulable: 0 });
    q.delete(pod('a'));
    assert.deepEqual(q.pending, { active: 1, backoff: 0, unschedulable: 0 });
    assert.equal(q.has(pod('b')), true);
  });

  it('lets the event loop turn between pops, so that a long activeQ does not starve I/O', async () => {
    const { q } = queue();
    for (const n of ['a', 'b', 'c']) q.add(pod(n));
    let turned = false;
    setImmediate(() => (turned = true)); // as an I/O callback would be: a macrotask
    assert.deepEqual((await names(q, 3)).sort(), ['a', 'b', 'c']);
    assert.equal(turned, true, 'resolved on microtasks alone, the loop would have run to the end first');
  });
});
