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

  it('derives each snapshot from the last: the changed nodes replaced, the same object when nothing changed, the affinity lists kept current', () => {
    const c = new SchedulerCache();
    for (const n of ['a', 'b', 'c']) c.addNode(node(n));
    const s1 = c.snapshot();
    assert.equal(c.snapshot(), s1, 'nothing changed: the same snapshot');
    c.assume(pod('p', 'b'));
    const s2 = c.snapshot();
    assert.deepEqual(s2.list().map((n) => n.name), ['a', 'b', 'c'], 'the same order');
    assert.equal(s2.list()[1], s2.get('b'));
    assert.equal(s2.get('b')!.requested.milliCPU, 1000);
    assert.equal(s1.get('b')!.requested.milliCPU, 0, 'the last one is unchanged');
    assert.equal(s2.get('c'), s1.get('c'));
    assert.deepEqual(s2.havePodsWithAffinity(), []);
    const anti: Pod = { ...pod('q', 'c'), spec: { ...pod('q', 'c').spec, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] } } } };
    c.addPod(anti);
    const s3 = c.snapshot();
    assert.deepEqual(s3.havePodsWithAffinity().map((n) => n.name), ['c']);
    assert.deepEqual(s3.havePodsWithRequiredAntiAffinity(), [s3.get('c')]);
    c.assume(pod('r', 'a'));
    assert.deepEqual(c.snapshot().havePodsWithRequiredAntiAffinity(), [s3.get('c')], 'kept while no node with affinity pods changed');
    c.removePod(anti);
    assert.deepEqual(c.snapshot().havePodsWithAffinity(), []);
    c.removeNode(node('a'));
    c.addNode(node('d'));
    const s4 = c.snapshot();
    assert.deepEqual(s4.list().map((n) => n.name), ['b', 'c', 'd'], 'the nodes changed: rebuilt (a, with a pod on it, is a ghost now)');
    assert.equal(s4.get('a'), undefined);
    assert.equal(s4.get('d')?.name, 'd');
  });
});
