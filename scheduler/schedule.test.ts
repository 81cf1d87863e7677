import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../client/types.js';
import { CycleState } from './framework/cyclestate.js';
import { Framework, type FrameworkDeps } from './framework/framework.js';
import type { AnyPlugin, PluginFactory } from './framework/interface.js';
import { NodeInfo } from './framework/nodeinfo.js';
import { DEFAULT_PROFILE, numFeasibleNodesToFind, type Profile } from './framework/profile.js';
import { Snapshot } from './framework/snapshot.js';
import { Code, SUCCESS, Status, unresolvable, unschedulable } from './framework/status.js';
import { FitError, NoNodesAvailableError, schedulePod, selectHost } from './schedule.js';

const node = (name: string, labels: Record<string, string> = {}): NodeInfo => new NodeInfo({ metadata: { name, labels }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } } as Node);
const pod = (name: string, labels: Record<string, string> = {}): Pod => ({ metadata: { name, namespace: 'default', uid: name, labels }, spec: { containers: [{ name: 'c' }] } });

/** Toy plugins, each keyed on node labels, so the framework's rules show alone. */
const toys: Record<string, (args: Record<string, unknown> | undefined) => AnyPlugin> = {
  Sort: () => ({ name: 'Sort', less: (a, b) => a.timestamp < b.timestamp }),
  Tainted: () => ({ name: 'Tainted', filter: (_s, _p, n) => (n.node.metadata.labels?.taint ? unresolvable(`node(s) had untolerated taint {${n.node.metadata.labels.taint}: }`) : SUCCESS) }),
  Small: () => ({ name: 'Small', filter: (_s, _p, n) => (n.node.metadata.labels?.small ? unschedulable('Insufficient cpu') : SUCCESS) }),
  OnlyZone: (args) => ({
    name: 'OnlyZone',
    preFilter: (_s, p, nodes) => {
      const zone = p.metadata.labels?.zone;
      if (zone === 'nowhere') return { status: unresolvable("node(s) didn't match Pod's node affinity/selector") };
      if (zone === undefined) return { status: new Status(Code.Skip) };
      return { result: { nodeNames: new Set(nodes.filter((n) => n.node.metadata.labels?.zone === zone).map((n) => n.name)) }, status: SUCCESS };
    },
    filter: () => (args?.failFilter ? unschedulable('skipped filters must not run') : SUCCESS),
  }),
  Rank: () => ({ name: 'Rank', score: (_s, _p, n) => ({ score: Number(n.node.metadata.labels?.rank ?? 0), status: SUCCESS }), normalizeScore: (_s, _p, scores) => {
    const max = Math.max(...scores.map((s) => s.score), 1);
    for (const s of scores) s.score = Math.floor((s.score * 100) / max);
    return SUCCESS;
  } }),
  Flat: () => ({ name: 'Flat', score: () => ({ score: 10, status: SUCCESS }) }),
  Bind: () => ({ name: 'Bind', bind: async () => SUCCESS }),
};
const registry: Record<string, PluginFactory> = Object.fromEntries(Object.entries(toys).map(([k, f]) => [k, (args) => f(args)]));

/** The FitError `f` throws. */
function fitErrorOf(f: () => unknown): FitError {
  try {
    f();
  } catch (e) {
    if (e instanceof FitError) return e;
    throw e;
  }
  assert.fail('no FitError');
}

function framework(nodes: NodeInfo[], over: Partial<Profile['plugins']> = {}, config: Profile['pluginConfig'] = {}): { fw: Framework; snap: Snapshot } {
  const snap = new Snapshot(nodes);
  const deps: FrameworkDeps = {
    registry,
    snapshot: () => snap,
    namespaceLabels: () => ({}),
    api: { bind: async () => {}, evict: async () => {}, preempted: () => {}, nominate: async () => {} },
  };
  const plugins: Profile['plugins'] = {
    ...DEFAULT_PROFILE.plugins,
    queueSort: ['Sort'],
    preFilter: ['OnlyZone'],
    filter: ['Tainted', 'Small', 'OnlyZone'],
    postFilter: [],
    preScore: [],
    score: [{ name: 'Rank', weight: 2 }, { name: 'Flat', weight: 1 }],
    bind: ['Bind'],
    ...over,
  };
  return { fw: new Framework({ ...DEFAULT_PROFILE, plugins, pluginConfig: config }, deps), snap };
}

describe('scheduling one pod: the framework and schedulePod', () => {
  it("words a pod that fits nowhere as kube-scheduler's FitError, reasons counted and sorted", () => {
    const nodes = [node('cp', { taint: 'node-role.kubernetes.io/control-plane' }), node('a', { small: '1' }), node('b', { small: '1' })];
    const { fw, snap } = framework(nodes);
    const f = fitErrorOf(() => schedulePod(fw, new CycleState(), pod('p'), snap, { nextStartNodeIndex: 0, random: Math.random }));
    assert.equal(f.message, '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
    assert.deepEqual([...f.unschedulablePlugins].sort(), ['Small', 'Tainted']);
    f.postFilterMsg = 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    assert.equal(f.message, '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  });

  it('sorts the histogram as strings, as Go does (10 before 2)', () => {
    const nodes = [...Array.from({ length: 10 }, (_, i) => node(`s${i}`, { small: '1' })), node('t1', { taint: 'x' }), node('t2', { taint: 'x' })];
    const { fw, snap } = framework(nodes);
    assert.throws(() => schedulePod(fw, new CycleState(), pod('p'), snap, { nextStartNodeIndex: 0, random: Math.random }), {
      message: '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) had untolerated taint {x: }.',
    });
  });

  it('lets a PreFilter rejection stand for every node, and narrows the nodes by its names', () => {
    const nodes = [node('a', { zone: 'z1', rank: '1' }), node('b', { zone: 'z2', rank: '9' }), node('c', { zone: 'z1', rank: '5' })];
    const { fw, snap } = framework(nodes);
    assert.throws(() => schedulePod(fw, new CycleState(), pod('p', { zone: 'nowhere' }), snap, { nextStartNodeIndex: 0, random: Math.random }), {
      message: "0/3 nodes are available: node(s) didn't match Pod's node affinity/selector.",
    });
    const r = schedulePod(fw, new CycleState(), pod('p', { zone: 'z1' }), snap, { nextStartNodeIndex: 0, random: Math.random });
    assert.equal(r.suggestedHost, 'c', 'the best in z1; b ranks higher but is in z2');
    assert.equal(r.feasibleNodes, 2);
  });

  it("skips a plugin's Filter when its PreFilter said Skip", () => {
    const { fw, snap } = framework([node('a'), node('b')], {}, { OnlyZone: { failFilter: true } });
    assert.equal(schedulePod(fw, new CycleState(), pod('p'), snap, { nextStartNodeIndex: 0, random: () => 0.99 }).feasibleNodes, 2);
    assert.throws(() => schedulePod(fw, new CycleState(), pod('p', { zone: 'z' }), snap, { nextStartNodeIndex: 0, random: Math.random }), FitError);
  });

  it('weights normalised scores and breaks ties at random among the best', () => {
    const nodes = [node('a', { rank: '2' }), node('b', { rank: '4' }), node('c', { rank: '4' })];
    const { fw } = framework(nodes);
    const { scores } = fw.runScorePlugins(new CycleState(), pod('p'), nodes);
    assert.deepEqual(scores, [
      { name: 'a', score: 50 * 2 + 10 },
      { name: 'b', score: 100 * 2 + 10 },
      { name: 'c', score: 100 * 2 + 10 },
    ]);
    assert.equal(selectHost(scores, () => 0.9), 'b');
    assert.equal(selectHost(scores, () => 0.1), 'c');
  });

  it('filters round-robin from where the last cycle stopped, and only as many nodes as it needs', () => {
    assert.equal(numFeasibleNodesToFind(0, 50), 50);
    assert.equal(numFeasibleNodesToFind(0, 1000), 420);
    assert.equal(numFeasibleNodesToFind(0, 5000), 500);
    assert.equal(numFeasibleNodesToFind(0, 10000), 500);
    assert.equal(numFeasibleNodesToFind(0, 200), 100);
    assert.equal(numFeasibleNodesToFind(30, 1000), 300);
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`n${i}`));
    const { fw, snap } = framework(nodes);
    const cursor = { nextStartNodeIndex: 0, random: Math.random };
    const r = schedulePod(fw, new CycleState(), pod('p'), snap, cursor);
    assert.equal(r.evaluatedNodes, 420);
    assert.equal(cursor.nextStartNodeIndex, 420);
    schedulePod(fw, new CycleState(), pod('q'), snap, cursor);
    assert.equal(cursor.nextStartNodeIndex, 840);
    schedulePod(fw, new CycleState(), pod('r'), snap, cursor);
    assert.equal(cursor.nextStartNodeIndex, 260, 'wraps around');
  });

  describe('a pod nominated to a node (evaluateNominatedNode)', () => {
    const nominatedTo = (node: string, labels: Record<string, string> = {}): Pod => ({ ...pod('p', labels), status: { nominatedNodeName: node } });
    const nodes = [node('best', { rank: '9' }), node('nominated', { rank: '1' }), node('other', { rank: '5' }), node('full', { small: '1', rank: '9' })];

    const cases: { name: string; pod: Pod; want: string; evaluated: number }[] = [
      { name: 'goes to its node when it fits there, though another scores higher, filtering no other node', pod: nominatedTo('nominated'), want: 'nominated', evaluated: 1 },
      { name: 'goes through the normal search when its node does not fit', pod: nominatedTo('full'), want: 'best', evaluated: 4 },
      { name: 'goes through the normal search when its node is gone', pod: nominatedTo('gone'), want: 'best', evaluated: 4 },
      { name: 'goes through the normal search without a nomination', pod: pod('p'), want: 'best', evaluated: 4 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const { fw, snap } = framework(nodes);
        const r = schedulePod(fw, new CycleState(), c.pod, snap, { nextStartNodeIndex: 0, random: () => 0 });
        assert.deepEqual([r.suggestedHost, r.evaluatedNodes], [c.want, c.evaluated]);
      });
    }

    it('leaves the round-robin cursor where it was when the nominated node fits, and moves it when it does not', () => {
      const many = Array.from({ length: 1000 }, (_, i) => node(`n${i}`, i === 7 ? { small: '1' } : {}));
      const { fw, snap } = framework(many);
      const cursor = { nextStartNodeIndex: 0, random: Math.random };
      assert.equal(schedulePod(fw, new CycleState(), nominatedTo('n500'), snap, cursor).suggestedHost, 'n500');
      assert.equal(cursor.nextStartNodeIndex, 0);
      const r = schedulePod(fw, new CycleState(), nominatedTo('n7'), snap, cursor);
      assert.deepEqual([r.evaluatedNodes, cursor.nextStartNodeIndex], [421, 421], 'n7 rejected the pod: 420 feasible nodes sought over all');
    });

    it('runs PreFilter first: its rejection stands, and its Skip skips the Filter on the nominated node too', () => {
      const { fw, snap } = framework(nodes, {}, { OnlyZone: { failFilter: true } });
      assert.throws(() => schedulePod(fw, new CycleState(), nominatedTo('nominated', { zone: 'nowhere' }), snap, { nextStartNodeIndex: 0, random: Math.random }), {
        message: "0/4 nodes are available: node(s) didn't match Pod's node affinity/selector.",
      });
      assert.equal(schedulePod(fw, new CycleState(), nominatedTo('nominated'), snap, { nextStartNodeIndex: 0, random: Math.random }).suggestedHost, 'nominated');
    });

    it("words a pod that fits nowhere, its nominated node included, as any FitError", () => {
      const { fw, snap } = framework([node('a', { small: '1' }), node('b', { taint: 'x' })]);
      const f = fitErrorOf(() => schedulePod(fw, new CycleState(), nominatedTo('a'), snap, { nextStartNodeIndex: 0, random: Math.random }));
      assert.equal(f.message, '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {x: }.');
      assert.deepEqual([...f.unschedulablePlugins].sort(), ['Small', 'Tainted']);
    });
  });

  it('refuses a profile naming a plugin the registry lacks, or one that does not extend its point', () => {
    assert.throws(() => framework([], { filter: ['Nope'] }), /plugin Nope is not registered/);
    assert.throws(() => framework([], { score: [{ name: 'Tainted', weight: 1 }] }), /plugin Tainted does not extend Score/);
    const { fw, snap } = framework([]);
    assert.throws(() => schedulePod(fw, new CycleState(), pod('p'), snap, { nextStartNodeIndex: 0, random: Math.random }), NoNodesAvailableError);
  });
});
