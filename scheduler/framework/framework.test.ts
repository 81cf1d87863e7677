import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../client/types.js';
import { inTreeRegistry } from '../plugins/registry.js';
import { makeNode, makePod, nodeInfo } from '../plugins/testing.js';
import { Nominator } from '../queue/nominator.js';
import { schedulePod } from '../schedule.js';
import { CycleState } from './cyclestate.js';
import { ActionType, WILDCARD_REGISTRATION } from './events.js';
import { Framework } from './framework.js';
import type { NodeInfo } from './nodeinfo.js';
import { DEFAULT_PROFILE } from './profile.js';
import { Snapshot } from './snapshot.js';
import { SUCCESS } from './status.js';

/** The default profile over `nodes`, with `nominator`'s nominations. */
function setup(nodes: NodeInfo[], nominator: Nominator, registry = inTreeRegistry, profile = DEFAULT_PROFILE): { fw: Framework; snap: Snapshot } {
  const snap = new Snapshot(nodes);
  const fw = new Framework(profile, {
    registry,
    snapshot: () => snap,
    namespaceLabels: () => ({}),
    api: { bind: async () => {}, evict: async () => {}, nominate: async () => {} },
    nominatedPodsForNode: (n) => nominator.nominatedPodsForNode(n),
  });
  return { fw, snap };
}

/** PreFilter, then Filter with the nominated pods, on `node`: the reasons it gives ([] when the pod fits). */
function filterWithNominated(fw: Framework, pod: Pod, node: NodeInfo): string[] {
  const state = new CycleState();
  const pre = fw.runPreFilterPlugins(state, pod, [node]);
  assert.ok(pre.status.isSuccess(), pre.status.message());
  return [...fw.runFilterPluginsWithNominatedPods(state, pod, node).reasons];
}

describe('Filter with nominated pods', () => {
  // n has 4 cpu, all free; `big` (priority 100, 3 cpu) preempted there and waits for its victims to go
  const big = makePod({ name: 'big', cpu: '3', priority: 100, labels: { app: 'big' } });
  const nominator = new Nominator();
  nominator.add(big, 'n');
  const n = nodeInfo(makeNode({ name: 'n', cpu: '4', labels: { 'kubernetes.io/hostname': 'n' } }));
  const { fw } = setup([n], nominator);

  const cases: { name: string; pod: Pod; reasons: string[] }[] = [
    { name: 'a lower-priority pod may not take the room made for it', pod: makePod({ name: 'low', cpu: '2', priority: 10 }), reasons: ['Insufficient cpu'] },
    { name: 'nor may one of equal priority', pod: makePod({ name: 'peer', cpu: '2', priority: 100 }), reasons: ['Insufficient cpu'] },
    { name: 'a higher-priority pod may (it could preempt the nominated one)', pod: makePod({ name: 'vip', cpu: '2', priority: 1000 }), reasons: [] },
    { name: 'a lower-priority pod that fits beside it may', pod: makePod({ name: 'small', cpu: '1', priority: 10 }), reasons: [] },
    { name: 'the nominated pod itself is not in its own way', pod: big, reasons: [] },
    {
      name: 'a pod that fits only with the nominated pod there fails the second pass, without it',
      pod: makePod({
        name: 'follower',
        priority: 100,
        affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'big' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      }),
      reasons: ["node(s) didn't match pod affinity rules"],
    },
    {
      name: 'a pod that shuns it may not go there (it counts in PreFilter state too)',
      pod: makePod({
        name: 'shy',
        priority: 100,
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'big' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      }),
      reasons: ["node(s) didn't match pod anti-affinity rules"],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(filterWithNominated(fw, c.pod, n), c.reasons));

  it('counts nothing when no pod is nominated to the node', () => {
    const other = nodeInfo(makeNode({ name: 'other', cpu: '4' }));
    assert.deepEqual(filterWithNominated(fw, makePod({ name: 'low', cpu: '2', priority: 10 }), other), []);
  });

  it('sends a lower-priority pod elsewhere, and lets a higher-priority one choose the nominated node', () => {
    const busy = nodeInfo(makeNode({ name: 'busy', cpu: '4' }), makePod({ name: 'x', nodeName: 'busy', cpu: '1' }));
    const s = setup([n, busy], nominator);
    const cursor = { nextStartNodeIndex: 0, random: () => 0 };
    const low = schedulePod(s.fw, new CycleState(), makePod({ name: 'low', cpu: '2', priority: 10 }), s.snap, cursor);
    assert.deepEqual([low.suggestedHost, low.feasibleNodes], ['busy', 1]);
    const vip = schedulePod(s.fw, new CycleState(), makePod({ name: 'vip', cpu: '2', priority: 1000 }), s.snap, cursor);
    assert.equal(vip.feasibleNodes, 2);
  });

  it('follows the nominations as they change', () => {
    const nm = new Nominator();
    const p = makePod({ name: 'p', cpu: '3', priority: 100 });
    nm.add(p, 'n');
    const { fw: f } = setup([n], nm);
    const low = makePod({ name: 'low', cpu: '2', priority: 10 });
    assert.deepEqual(filterWithNominated(f, low, n), ['Insufficient cpu']);
    nm.update(p, { ...p, metadata: { ...p.metadata, labels: { x: 'y' } } });
    assert.equal(nm.nominatedNodeName(p), 'n', 'kept while the API has not shown the nomination yet');
    nm.update({ ...p, status: { nominatedNodeName: 'n' } }, p);
    assert.equal(nm.nominatedNodeName(p), undefined, 'cleared through the API');
    assert.deepEqual(filterWithNominated(f, low, n), []);
  });
});

describe("the framework's cluster-event registrations", () => {
  it('gathers those of the plugins that can reject, the wildcard for one that registers nothing', () => {
    const registry = { ...inTreeRegistry, Quiet: () => ({ name: 'Quiet', filter: () => SUCCESS }) };
    const p = DEFAULT_PROFILE.plugins;
    const { fw } = setup([], new Nominator(), registry, { ...DEFAULT_PROFILE, plugins: { ...p, filter: [...p.filter, 'Quiet'] } });
    assert.deepEqual([...fw.queueingHints.keys()].sort(), [...new Set([...p.preFilter, ...p.filter, 'Quiet'])].sort());
    assert.deepEqual(fw.queueingHints.get('Quiet'), [WILDCARD_REGISTRATION]);
    assert.deepEqual(fw.queueingHints.get('NodeUnschedulable')?.map((r) => r.event), [
      { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeTaint },
      { resource: 'UnscheduledPod', actionType: ActionType.UpdatePodToleration },
    ]);
  });
});
