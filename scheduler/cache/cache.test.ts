import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../client/types.js';
import { SchedulerCache } from './cache.js';

const node = (name: string, cpu = '4'): Node => ({ metadata: { name }, status: { allocatable: { cpu, memory: '8Gi', pods: '110' } } });
const pod = (name: string, nodeName: string, cpu = '1'): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu } } }] },
});
const cpuOn = (c: SchedulerCache, n: string): number | undefined => c.snapshot().get(n)?.requested.milliCPU;

describe("the scheduler's cache", () => {
  it('counts an assumed pod at once, and once only when the informer confirms it', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.assume(pod('p', 'a'));
    assert.equal(cpuOn(c, 'a'), 1000);
    assert.equal(c.isAssumed(pod('p', 'a')), true);
    c.addPod(pod('p', 'a'));
    assert.equal(cpuOn(c, 'a'), 1000, 'confirmed, not counted twice');
    assert.equal(c.isAssumed(pod('p', 'a')), false);
    assert.deepEqual(c.size, { nodes: 1, pods: 1, assumed: 0 });
    c.removePod(pod('p', 'a'));
    assert.equal(cpuOn(c, 'a'), 0);
  });

  it('gives back the place of a pod whose binding failed, and refuses to assume a pod twice', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.assume(pod('p', 'a', '2'));
    assert.throws(() => c.assume(pod('p', 'a')), /is in the cache, so can't be assumed/);
    c.forget(pod('p', 'a'));
    assert.equal(cpuOn(c, 'a'), 0);
    c.assume(pod('p', 'a'));
    assert.equal(cpuOn(c, 'a'), 1000);
  });

  it('keeps counting the pods of a node seen before the node, and of a node removed with pods on it', () => {
    const c = new SchedulerCache();
    c.addPod(pod('early', 'b'));
    assert.equal(c.snapshot().list().length, 0, 'no node yet');
    c.addNode(node('b'));
    assert.equal(cpuOn(c, 'b'), 1000);
    c.removeNode(node('b'));
    assert.equal(c.snapshot().get('b'), undefined);
    c.addNode(node('b'));
    assert.equal(cpuOn(c, 'b'), 1000, 'its pod is still counted');
  });

  it('snapshots are stable, and reuse the NodeInfos that did not change', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.addNode(node('b'));
    const s1 = c.snapshot();
    c.assume(pod('p', 'a'));
    assert.equal(s1.get('a')!.requested.milliCPU, 0, 'an older snapshot does not see later changes');
    const s2 = c.snapshot();
    assert.equal(s2.get('a')!.requested.milliCPU, 1000);
    assert.notEqual(s2.get('a'), s1.get('a'));
    assert.equal(s2.get('b'), s1.get('b'), 'unchanged: the same clone');
    c.updateNode(node('b', '8'));
    assert.equal(c.snapshot().get('b')!.allocatable.milliCPU, 8000);
  });
});
