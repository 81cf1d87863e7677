import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../client/clock.js';
import type { Pod } from '../../../client/types.js';
import { CycleState } from '../../framework/cyclestate.js';
import { Framework } from '../../framework/framework.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { DEFAULT_PROFILE } from '../../framework/profile.js';
import { Snapshot } from '../../framework/snapshot.js';
import { Code } from '../../framework/status.js';
import { WaitingPods } from '../../framework/waiting.js';
import { inTreeRegistry } from '../registry.js';
import { FitError, schedulePod } from '../../schedule.js';
import { makeNode, makePod, nodeInfo } from '../testing.js';
import { DefaultPreemption, pickOne, type Candidate } from './index.js';

/** A framework with the default profile over `nodes`, recording the evictions and the Preempted events (`waiting`: the pods waiting on Permit). */
function setup(nodes: NodeInfo[], waiting?: WaitingPods): { fw: Framework; snap: Snapshot; evicted: string[]; preempted: string[] } {
  const snap = new Snapshot(nodes);
  const evicted: string[] = [];
  const preempted: string[] = [];
  const fw = new Framework(DEFAULT_PROFILE, {
    registry: inTreeRegistry,
    snapshot: () => snap,
    namespaceLabels: () => ({}),
    api: {
      bind: async () => {},
      evict: async (p) => void evicted.push(p.metadata.name!),
      preempted: (p) => void preempted.push(p.metadata.name!),
      nominate: async () => {},
    },
    ...(waiting ? { waitingPods: waiting } : {}),
  });
  return { fw, snap, evicted, preempted };
}

const t = (min: number): string => new Date(Date.UTC(2026, 0, 1, 0, min)).toISOString();

/** Schedules `pod`, runs PostFilter on the FitError as the scheduler does, and returns what preemption said. */
async function preempt(fw: Framework, snap: Snapshot, pod: Pod): Promise<{ nominatedNodeName?: string; message: string; fit: FitError }> {
  const state = new CycleState();
  try {
    schedulePod(fw, state, pod, snap, { nextStartNodeIndex: 0, random: () => 0 });
  } catch (e) {
    if (!(e instanceof FitError)) throw e;
    const r = await fw.runPostFilterPlugins(state, pod, e.statuses);
    if (!r.status.isSuccess()) e.postFilterMsg = r.status.message();
    return { ...(r.nominatedNodeName ? { nominatedNodeName: r.nominatedNodeName } : {}), message: e.message, fit: e };
  }
  throw new Error('the pod fitted');
}

describe('DefaultPreemption', () => {
  it('evicts the fewest, least important pods of lower priority on the best node, and nominates it', async () => {
    const a = nodeInfo(
      makeNode({ name: 'a', cpu: '2', memory: '4Gi' }),
      makePod({ name: 'old-low', nodeName: 'a', cpu: '1', priority: 0, creationTimestamp: t(1) }),
      makePod({ name: 'new-low', nodeName: 'a', cpu: '1', priority: 0, creationTimestamp: t(2) }),
    );
    const b = nodeInfo(makeNode({ name: 'b', cpu: '2', memory: '4Gi' }), makePod({ name: 'vip', nodeName: 'b', cpu: '2', priority: 1000 }));
    const { fw, snap, evicted } = setup([a, b]);
    const r = await preempt(fw, snap, makePod({ name: 'mid', cpu: '1', priority: 100 }));
    assert.equal(r.nominatedNodeName, 'a');
    assert.deepEqual(evicted, ['new-low'], 'one victim is enough: the one that started later goes');
  });

  it("explains a node nothing can be evicted from, and one preemption cannot help, in kube-scheduler's words", async () => {
    const busy = nodeInfo(makeNode({ name: 'busy', cpu: '1' }), makePod({ name: 'vip', nodeName: 'busy', cpu: '1', priority: 1000 }));
    const tainted = nodeInfo(makeNode({ name: 'cp', cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
    const { fw, snap, evicted } = setup([busy, tainted]);
    const r = await preempt(fw, snap, makePod({ name: 'p', cpu: '1', priority: 10 }));
    assert.equal(r.nominatedNodeName, undefined);
    assert.equal(
      r.message,
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
    assert.deepEqual(evicted, []);
  });

  it('does not preempt for a pod whose preemptionPolicy is Never, nor evict pods that would not make room', async () => {
    const a = nodeInfo(makeNode({ name: 'a', cpu: '2' }), makePod({ name: 'low', nodeName: 'a', cpu: '1', priority: 0 }), makePod({ name: 'high', nodeName: 'a', cpu: '1', priority: 500 }));
    const { fw, snap, evicted } = setup([a]);
    const never = makePod({ name: 'never', cpu: '1', priority: 100 });
    never.spec.preemptionPolicy = 'Never';
    const r1 = await preempt(fw, snap, never);
    assert.equal(r1.nominatedNodeName, undefined);
    assert.match(r1.message, /not eligible due to preemptionPolicy=Never\.$/);
    const big = await preempt(fw, snap, makePod({ name: 'big', cpu: '2', priority: 100 }));
    assert.equal(big.nominatedNodeName, undefined, 'evicting "low" alone frees 1 cpu, not 2');
    assert.match(big.message, /preemption: 0\/1 nodes are available: 1 Insufficient cpu\.$/);
    assert.deepEqual(evicted, []);
  });

  it('waits, rather than preempting again, while its victims on the nominated node are terminating', async () => {
    const going = makePod({ name: 'going', nodeName: 'a', cpu: '1', priority: 0 });
    going.metadata.deletionTimestamp = t(5);
    const a = nodeInfo(makeNode({ name: 'a', cpu: '1' }), going);
    const b = nodeInfo(makeNode({ name: 'b', cpu: '1' }), makePod({ name: 'other', nodeName: 'b', cpu: '1', priority: 0 }));
    const { fw, snap, evicted } = setup([a, b]);
    const p = makePod({ name: 'p', cpu: '1', priority: 100 });
    p.status = { nominatedNodeName: 'a' };
    const r = await preempt(fw, snap, p);
    assert.equal(r.nominatedNodeName, undefined);
    assert.match(r.message, /not eligible due to a terminating pod on the nominated node\.$/);
    assert.deepEqual(evicted, [], 'no second round of victims on b');
  });

  it('rejects a victim that waits on Permit ("preempted") rather than deleting it, with its Preempted event', async () => {
    const parked = makePod({ name: 'parked', nodeName: 'a', cpu: '1', priority: 0 });
    const a = nodeInfo(makeNode({ name: 'a', cpu: '2' }), parked, makePod({ name: 'running', nodeName: 'a', cpu: '1', priority: 0, creationTimestamp: t(1) }));
    const waiting = new WaitingPods(new FakeClock());
    waiting.add(parked, new Map([['Gate', 60_000]]));
    const { fw, snap, evicted, preempted } = setup([a], waiting);
    const r = await preempt(fw, snap, makePod({ name: 'vip', cpu: '2', priority: 100 }));
    assert.equal(r.nominatedNodeName, 'a');
    assert.deepEqual(evicted, ['running'], 'the bound victim is deleted');
    assert.deepEqual(preempted.sort(), ['parked'], 'the waiting one only gets the event here');
    const decision = await waiting.wait(parked);
    assert.deepEqual([decision.code, decision.message(), decision.plugin], [Code.Unschedulable, 'preempted', 'DefaultPreemption']);
  });

  it('picks the candidate whose victims matter least', () => {
    const v = (name: string, priority: number, min = 0): Pod => makePod({ name, priority, creationTimestamp: t(min) });
    const cases: { name: string; candidates: Candidate[]; want: string }[] = [
      { name: 'lowest highest priority', candidates: [{ nodeName: 'x', victims: [v('a', 10)] }, { nodeName: 'y', victims: [v('b', 5), v('c', 5)] }], want: 'y' },
      { name: 'lowest sum', candidates: [{ nodeName: 'x', victims: [v('a', 5), v('b', 5)] }, { nodeName: 'y', victims: [v('c', 5), v('d', 1)] }], want: 'y' },
      { name: 'fewest', candidates: [{ nodeName: 'x', victims: [v('a', 5), v('b', 0), v('c', 0)] }, { nodeName: 'y', victims: [v('d', 5), v('e', 0)] }], want: 'y' },
      { name: 'latest started', candidates: [{ nodeName: 'x', victims: [v('a', 5, 1)] }, { nodeName: 'y', victims: [v('b', 5, 9)] }], want: 'y' },
      { name: 'first when all tie', candidates: [{ nodeName: 'x', victims: [v('a', 5, 1)] }, { nodeName: 'y', victims: [v('b', 5, 1)] }], want: 'x' },
    ];
    for (const c of cases) assert.equal(pickOne(c.candidates).nodeName, c.want, c.name);
  });

  it('dry-runs at least 10% of the nodes (at least 100) from a random offset', () => {
    const nodes = Array.from({ length: 300 }, (_, i) => nodeInfo(makeNode({ name: `n${i}`, cpu: '1' }), makePod({ name: `low${i}`, nodeName: `n${i}`, cpu: '1', priority: 0 })));
    const { fw } = setup(nodes);
    const pl = new DefaultPreemption(fw, {}, () => 0.5);
    const pod = makePod({ name: 'p', cpu: '1', priority: 9 });
    const state = new CycleState();
    assert.ok(fw.runPreFilterPlugins(state, pod, nodes).status.isSuccess());
    const filtered = new Map(nodes.map((n) => [n.name, fw.runFilterPlugins(state, pod, n)]));
    const { candidates } = pl.findCandidates(state, pod, nodes, filtered);
    assert.equal(candidates.length, 100);
    assert.equal(candidates[0]!.nodeName, 'n150');
  });
});
