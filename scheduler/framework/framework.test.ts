import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.js';
import type { Pod } from '../../client/types.js';
import { inTreeRegistry } from '../plugins/registry.js';
import { makeNode, makePod, nodeInfo } from '../plugins/testing.js';
import { Nominator } from '../queue/nominator.js';
import { schedulePod } from '../schedule.js';
import { CycleState } from './cyclestate.js';
import { ActionType, WILDCARD_REGISTRATION } from './events.js';
import { Framework } from './framework.js';
import type { PluginFactory } from './interface.js';
import type { NodeInfo } from './nodeinfo.js';
import { DEFAULT_PROFILE } from './profile.js';
import { Snapshot } from './snapshot.js';
import { Code, SUCCESS, Status, unschedulable } from './status.js';
import { WaitingPods } from './waiting.js';

/** The default profile over `nodes`, with `nominator`'s nominations. */
function setup(nodes: NodeInfo[], nominator: Nominator, registry = inTreeRegistry, profile = DEFAULT_PROFILE): { fw: Framework; snap: Snapshot } {
  const snap = new Snapshot(nodes);
  const fw = new Framework(profile, {
    registry,
    snapshot: () => snap,
    namespaceLabels: () => ({}),
    api: { bind: async () => {}, evict: async () => {}, preempted: () => {}, nominate: async () => {} },
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

  it("counts the nominated pods on a pod's own nominated node, tried first: one that must yield there goes elsewhere", () => {
    const busy = nodeInfo(makeNode({ name: 'busy', cpu: '4' }), makePod({ name: 'x', nodeName: 'busy', cpu: '1' }));
    const s = setup([n, busy], nominator);
    const cursor = { nextStartNodeIndex: 0, random: () => 0 };
    const nominatedToN = (name: string, priority: number): Pod => ({ ...makePod({ name, cpu: '2', priority }), status: { nominatedNodeName: 'n' } });
    const low = schedulePod(s.fw, new CycleState(), nominatedToN('low', 10), s.snap, cursor);
    assert.deepEqual([low.suggestedHost, low.evaluatedNodes], ['busy', 2], "n holds big's room: the full search");
    const vip = schedulePod(s.fw, new CycleState(), nominatedToN('vip', 1000), s.snap, cursor);
    assert.deepEqual([vip.suggestedHost, vip.evaluatedNodes], ['n', 1], 'big yields to vip: n at once');
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

describe('Permit and the waiting pods', () => {
  const wait = (timeoutMs: number): { status: Status; timeoutMs: number } => ({ status: new Status(Code.Wait), timeoutMs });
  const permits: Record<string, PluginFactory> = {
    ...inTreeRegistry,
    Yes: () => ({ name: 'Yes', permit: () => ({ status: SUCCESS }) }),
    Later: () => ({ name: 'Later', permit: () => wait(500) }),
    Forever: () => ({ name: 'Forever', permit: () => wait(60 * 60_000) }),
    No: () => ({ name: 'No', permit: () => ({ status: unschedulable('not now') }) }),
    Broken: () => ({
      name: 'Broken',
      permit: () => {
        throw new Error('boom');
      },
    }),
  };

  /** A framework whose Permit plugins are `permit`, its waiting pods on a fake clock. */
  function permitFramework(permit: string[]): { fw: Framework; clock: FakeClock } {
    const clock = new FakeClock();
    const fw = new Framework(
      { ...DEFAULT_PROFILE, plugins: { ...DEFAULT_PROFILE.plugins, permit } },
      {
        registry: permits,
        snapshot: () => new Snapshot([]),
        namespaceLabels: () => ({}),
        api: { bind: async () => {}, evict: async () => {}, preempted: () => {}, nominate: async () => {} },
        waitingPods: new WaitingPods(clock),
      },
    );
    return { fw, clock };
  }

  const pod = makePod({ name: 'p', nodeName: 'n' });
  const cases: { name: string; permit: string[]; want: [Code, string, string | undefined]; waitingOn?: string[] }[] = [
    { name: 'every plugin content: on to binding', permit: ['Yes'], want: [Code.Success, '', undefined] },
    {
      name: 'one asks to wait: the pod waits on it',
      permit: ['Yes', 'Later'],
      want: [Code.Wait, 'one or more plugins asked to wait and no plugin rejected pod "p"', undefined],
      waitingOn: ['Later'],
    },
    { name: 'two ask to wait: it waits on both', permit: ['Later', 'Forever'], want: [Code.Wait, 'one or more plugins asked to wait and no plugin rejected pod "p"', undefined], waitingOn: ['Later', 'Forever'] },
    { name: 'one refuses: the refusal decides, and nothing waits', permit: ['Later', 'No'], want: [Code.Unschedulable, 'not now', 'No'] },
    { name: 'one fails: an Error in kube-scheduler\'s words', permit: ['Broken', 'Later'], want: [Code.Error, 'running Permit plugin "Broken": boom', 'Broken'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { fw } = permitFramework(c.permit);
      const s = fw.runPermitPlugins(new CycleState(), pod, 'n');
      assert.deepEqual([s.code, s.message(), s.plugin], c.want);
      assert.deepEqual(fw.getWaitingPod('uid-p')?.getPendingPlugins(), c.waitingOn);
      let n = 0;
      fw.iterateOverWaitingPods(() => n++);
      assert.equal(n, c.waitingOn ? 1 : 0);
    });
  }

  it('lets the binding cycle go on once the plugins allow the pod through the Handle', async () => {
    const { fw, clock } = permitFramework(['Later', 'Forever']);
    fw.runPermitPlugins(new CycleState(), pod, 'n');
    const waited = fw.waitOnPermit(pod);
    fw.getWaitingPod('uid-p')!.allow('Forever');
    fw.iterateOverWaitingPods((wp) => wp.allow('Later'));
    assert.ok((await waited).isSuccess());
    assert.equal(fw.getWaitingPod('uid-p'), undefined, 'no longer waiting');
    assert.equal(clock.pending, 0, 'no timer left');
  });

  it('rejects the pod when a timeout runs out (capped at 15 minutes), or when a plugin rejects it by uid', async () => {
    const timedOut = permitFramework(['Later', 'Forever']);
    timedOut.fw.runPermitPlugins(new CycleState(), pod, 'n');
    timedOut.fw.getWaitingPod('uid-p')!.allow('Later');
    timedOut.clock.step(15 * 60_000);
    const t = await timedOut.fw.waitOnPermit(pod);
    assert.deepEqual([t.code, t.message(), t.plugin], [Code.Unschedulable, 'rejected due to timeout after waiting 15m0s at plugin Forever', 'Forever']);

    const removed = permitFramework(['Forever']);
    removed.fw.runPermitPlugins(new CycleState(), pod, 'n');
    assert.equal(removed.fw.rejectWaitingPod('uid-p'), true);
    assert.equal(removed.fw.rejectWaitingPod('uid-other'), false);
    const r = await removed.fw.waitOnPermit(pod);
    assert.deepEqual([r.code, r.message(), r.plugin], [Code.Unschedulable, 'removed', undefined]);
  });

  it('answers Success at once for a pod that does not wait', async () => {
    const { fw } = permitFramework(['Yes']);
    assert.ok((await fw.waitOnPermit(pod)).isSuccess());
  });
});
