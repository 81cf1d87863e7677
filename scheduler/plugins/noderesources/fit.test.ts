import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Node, Pod } from '../../../client/types.js';
import { ActionType, QueueingHint } from '../../framework/events.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, runFilter, runScore } from '../testing.js';
import { Fit, type NodeResourcesFitArgs } from './fit.js';

/** A pod requesting milliCPU and memory bytes (and extended resources), as kube's newResourcePod. */
const resourcePod = (milliCPU: number, memory: number, extended?: Record<string, number>): Pod =>
  makePod({ cpu: `${milliCPU}m`, memory, ...(extended ? { extended } : {}) });
const initContainer = (milliCPU: number, memory: number): Container => ({ name: 'init', resources: { requests: { cpu: `${milliCPU}m`, memory } } });

describe('NodeResourcesFit.filter', () => {
  // the node of kube's enoughRequestsTests: 10m CPU, 20 bytes, 32 pods, 5 example.com/aaa
  const node = () => makeNode({ name: 'machine1', cpu: '10m', memory: 20, pods: 32, extended: { 'example.com/aaa': 5 } });
  const cases: { name: string; pod: Pod; existing: Pod[]; args?: NodeResourcesFitArgs; pods?: number; wantReasons: string[] }[] = [
    { name: 'no resources requested always fits', pod: makePod(), existing: [resourcePod(10, 20)], wantReasons: [] },
    { name: 'too many resources fails', pod: resourcePod(1, 1), existing: [resourcePod(10, 20)], wantReasons: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'too many resources fails due to init container cpu', pod: { ...resourcePod(1, 1), spec: { ...resourcePod(1, 1).spec, initContainers: [initContainer(3, 1)] } }, existing: [resourcePod(8, 19)], wantReasons: ['Insufficient cpu'] },
    { name: 'too many resources fails due to highest init container cpu', pod: { ...resourcePod(1, 1), spec: { ...resourcePod(1, 1).spec, initContainers: [initContainer(3, 1), initContainer(2, 1)] } }, existing: [resourcePod(8, 19)], wantReasons: ['Insufficient cpu'] },
    { name: 'too many resources fails due to init container memory', pod: { ...resourcePod(1, 1), spec: { ...resourcePod(1, 1).spec, initContainers: [initContainer(1, 3)] } }, existing: [resourcePod(9, 19)], wantReasons: ['Insufficient memory'] },
    { name: 'init container fits because it\'s the max, not sum, of containers and init containers', pod: { ...resourcePod(1, 1), spec: { ...resourcePod(1, 1).spec, initContainers: [initContainer(1, 1)] } }, existing: [resourcePod(9, 19)], wantReasons: [] },
    { name: 'both resources fit', pod: resourcePod(1, 1), existing: [resourcePod(5, 5)], wantReasons: [] },
    { name: 'one resource memory fits', pod: resourcePod(2, 1), existing: [resourcePod(9, 5)], wantReasons: ['Insufficient cpu'] },
    { name: 'one resource cpu fits', pod: resourcePod(1, 2), existing: [resourcePod(5, 19)], wantReasons: ['Insufficient memory'] },
    { name: 'equal edge case', pod: resourcePod(5, 1), existing: [resourcePod(5, 19)], wantReasons: [] },
    { name: 'extended resource fits', pod: resourcePod(0, 0, { 'example.com/aaa': 1 }), existing: [resourcePod(0, 0)], wantReasons: [] },
    { name: 'extended resource capacity enforced', pod: resourcePod(0, 0, { 'example.com/aaa': 10 }), existing: [resourcePod(0, 0)], wantReasons: ['Insufficient example.com/aaa'] },
    { name: 'extended resource allocatable enforced', pod: resourcePod(0, 0, { 'example.com/aaa': 1 }), existing: [resourcePod(0, 0, { 'example.com/aaa': 5 })], wantReasons: ['Insufficient example.com/aaa'] },
    { name: 'extended resource allocatable enforced for unknown resource', pod: resourcePod(0, 0, { 'example.com/bbb': 1 }), existing: [resourcePod(0, 0)], wantReasons: ['Insufficient example.com/bbb'] },
    { name: 'skip checking ignored extended resource', pod: resourcePod(0, 0, { 'example.com/bbb': 1 }), existing: [resourcePod(0, 0)], args: { ignoredResources: ['example.com/bbb'] }, wantReasons: [] },
    { name: 'skip checking ignored extended resource via resource groups', pod: resourcePod(1, 1, { 'example.com/bbb': 1 }), existing: [resourcePod(0, 0)], args: { ignoredResourceGroups: ['example.com'] }, wantReasons: [] },
    { name: 'resources + pod overhead fits', pod: makePod({ cpu: '1m', memory: 1, overhead: { cpu: '3m', memory: 13 } }), existing: [resourcePod(5, 5)], wantReasons: [] },
    { name: 'requests + overhead does not fit for memory', pod: makePod({ cpu: '1m', memory: 1, overhead: { cpu: '1m', memory: 15 } }), existing: [resourcePod(5, 5)], wantReasons: ['Insufficient memory'] },
    { name: 'even without specified resources, predicate fails when there\'s no space for additional pod', pod: makePod(), existing: [resourcePod(10, 20)], pods: 1, wantReasons: ['Too many pods'] },
    { name: 'even if both resources fit, predicate fails when there\'s no space for additional pod', pod: resourcePod(1, 1), existing: [resourcePod(5, 5)], pods: 1, wantReasons: ['Too many pods'] },
    { name: 'even for equal edge case, predicate fails when there\'s no space for additional pod', pod: resourcePod(5, 1), existing: [resourcePod(5, 19)], pods: 1, wantReasons: ['Too many pods'] },
    { name: 'all reasons, Too many pods first', pod: resourcePod(11, 21, { 'example.com/aaa': 6 }), existing: [resourcePod(0, 0)], pods: 1, wantReasons: ['Too many pods', 'Insufficient cpu', 'Insufficient memory', 'Insufficient example.com/aaa'] },
    { name: 'ephemeral storage request exceeds allocatable', pod: makePod({ ephemeralStorage: 10 }), existing: [], wantReasons: ['Insufficient ephemeral-storage'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const n = node();
      if (c.pods !== undefined) n.status!.allocatable!.pods = c.pods;
      const s = runFilter(new Fit(c.args), c.pod, nodeInfo(n, ...c.existing));
      assert.equal(s.code, c.wantReasons.length === 0 ? Code.Success : Code.Unschedulable);
      assert.deepEqual(s.reasons, c.wantReasons);
    });
  }
});

describe('NodeResourcesFit.score', () => {
  const node = (name: string, milliCPU: number, memory: number, extended?: Record<string, number>) =>
    makeNode({ name, cpu: `${milliCPU}m`, memory, ...(extended ? { extended } : {}) });
  const shapeLeast = { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] };
  const shapeMost = { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] };
  const cases: { name: string; pod: Pod; nodes: ReturnType<typeof nodeInfo>[]; args?: NodeResourcesFitArgs; want: number[] }[] = [
    {
      name: 'LeastAllocated: nothing scheduled, resources requested, differently sized nodes',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000)), nodeInfo(node('node2', 6000, 10000))],
      want: [37, 50],
    },
    {
      name: 'LeastAllocated: resources requested, pods scheduled with resources',
      pod: resourcePod(1000, 2000),
      nodes: [nodeInfo(node('node1', 4000, 10000), resourcePod(1000, 2000)), nodeInfo(node('node2', 4000, 10000))],
      want: [55, 77],
    },
    {
      name: 'LeastAllocated: nothing requested counts the non-zero defaults (100m, 200Mi)',
      pod: makePod(),
      nodes: [nodeInfo(makeNode({ name: 'node1', cpu: 1, memory: '1Gi' }))],
      want: [85],
    },
    {
      name: 'LeastAllocated: requested resources exceed node capacity',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 2000, 10000))],
      want: [25],
    },
    {
      name: 'LeastAllocated: resources with weights',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000))],
      args: { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } },
      want: [31],
    },
    {
      name: 'LeastAllocated: an extended resource counts on the nodes that offer it',
      pod: resourcePod(3000, 5000, { 'intel.com/foo': 2 }),
      nodes: [nodeInfo(node('node1', 4000, 10000, { 'intel.com/foo': 4 })), nodeInfo(node('node2', 4000, 10000))],
      args: { scoringStrategy: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'intel.com/foo', weight: 1 }] } },
      want: [41, 37],
    },
    {
      name: 'LeastAllocated: an extended resource the pod does not request is left out',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000, { 'intel.com/foo': 4 }))],
      args: { scoringStrategy: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'intel.com/foo', weight: 1 }] } },
      want: [37],
    },
    {
      name: 'MostAllocated: nothing scheduled, resources requested, differently sized nodes',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000)), nodeInfo(node('node2', 6000, 10000))],
      args: { scoringStrategy: { type: 'MostAllocated' } },
      want: [62, 50],
    },
    {
      name: 'MostAllocated: requested resources exceed node capacity are capped',
      pod: resourcePod(5000, 10000),
      nodes: [nodeInfo(node('node1', 4000, 10000))],
      args: { scoringStrategy: { type: 'MostAllocated' } },
      want: [100],
    },
    {
      name: 'RequestedToCapacityRatio: a falling shape favours the least allocated',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000)), nodeInfo(node('node2', 6000, 10000))],
      args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: shapeLeast } },
      want: [38, 50],
    },
    {
      name: 'RequestedToCapacityRatio: a rising shape packs (bin packing)',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000)), nodeInfo(node('node2', 6000, 10000))],
      args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: shapeMost } },
      want: [63, 50],
    },
    {
      name: 'RequestedToCapacityRatio: over capacity scores the shape at 100%',
      pod: resourcePod(5000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000))],
      args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 50, score: 5 }, { utilization: 100, score: 7 }] } } },
      want: [60],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const scores = runScore(new Fit(c.args), c.pod, c.nodes);
      assert.deepEqual(scores.map((s) => s.score), c.want);
    });
  }

  const invalid: { name: string; args: NodeResourcesFitArgs }[] = [
    { name: 'weight out of range', args: { scoringStrategy: { resources: [{ name: 'cpu', weight: 0 }] } } },
    { name: 'duplicate resource', args: { scoringStrategy: { resources: [{ name: 'cpu', weight: 1 }, { name: 'cpu', weight: 2 }] } } },
    { name: 'RequestedToCapacityRatio without shape', args: { scoringStrategy: { type: 'RequestedToCapacityRatio' } } },
    { name: 'shape not increasing', args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 50, score: 1 }, { utilization: 50, score: 2 }] } } } },
    { name: 'shape score out of range', args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 50, score: 11 }] } } } },
  ];
  for (const c of invalid) it(`invalid args: ${c.name}`, () => assert.throws(() => new Fit(c.args)));
});

describe('NodeResourcesFit queueing hints', () => {
  const want = (q: boolean): QueueingHint => (q ? QueueingHint.Queue : QueueingHint.QueueSkip);
  const target = makePod({ name: 'target', cpu: '2' });
  const withNomination = (p: Pod, node: string): Pod => ({ ...p, status: { nominatedNodeName: node } });

  describe('a pod deleted or scaled down', () => {
    const cases: { name: string; old: Pod; new?: Pod; queue: boolean }[] = [
      { name: 'a bound pod deleted frees its room', old: makePod({ name: 'x', nodeName: 'n', cpu: '1' }), queue: true },
      { name: 'an unbound pod deleted held no room', old: makePod({ name: 'x', cpu: '1' }), queue: false },
      { name: 'an unbound but nominated pod deleted held room for itself', old: withNomination(makePod({ name: 'x', cpu: '1' }), 'n'), queue: true },
      { name: 'the pod itself asks for less', old: target, new: makePod({ name: 'target', cpu: '1' }), queue: true },
      { name: 'an unbound pod asks for less', old: makePod({ name: 'x', cpu: '2' }), new: makePod({ name: 'x', cpu: '1' }), queue: false },
      { name: 'a bound pod gives back cpu, which the pod wants', old: makePod({ name: 'x', nodeName: 'n', cpu: '2' }), new: makePod({ name: 'x', nodeName: 'n', cpu: '1' }), queue: true },
      {
        name: 'a bound pod gives back memory, which the pod does not ask for',
        old: makePod({ name: 'x', nodeName: 'n', cpu: '1', memory: '2Gi' }),
        new: makePod({ name: 'x', nodeName: 'n', cpu: '1', memory: '1Gi' }),
        queue: false,
      },
    ];
    const plugin = new Fit();
    for (const c of cases) it(c.name, () => assert.equal(plugin.isSchedulableAfterPodEvent(target, c.old, c.new), want(c.queue)));
  });

  describe('a node added or its allocatable changed', () => {
    const cases: { name: string; pod?: Pod; old?: Node; new: Node; args?: NodeResourcesFitArgs; queue: boolean }[] = [
      { name: 'a node added where the pod fits', new: makeNode({ name: 'n', cpu: '4' }), queue: true },
      { name: 'a node added too small for the pod', new: makeNode({ name: 'n', cpu: '1' }), queue: false },
      { name: 'a node added that takes no pods', new: makeNode({ name: 'n', cpu: '4', pods: 0 }), queue: false },
      { name: 'cpu up, and the pod fits', old: makeNode({ name: 'n', cpu: '1' }), new: makeNode({ name: 'n', cpu: '2' }), queue: true },
      { name: 'cpu up, still too small', old: makeNode({ name: 'n', cpu: '500m' }), new: makeNode({ name: 'n', cpu: '1' }), queue: false },
      { name: 'memory up: the pod asks for cpu only', old: makeNode({ name: 'n', cpu: '4', memory: '1Gi' }), new: makeNode({ name: 'n', cpu: '4', memory: '2Gi' }), queue: false },
      { name: 'more pods allowed', old: makeNode({ name: 'n', cpu: '4', pods: 1 }), new: makeNode({ name: 'n', cpu: '4', pods: 2 }), queue: true },
      { name: 'cpu down', old: makeNode({ name: 'n', cpu: '4' }), new: makeNode({ name: 'n', cpu: '3' }), queue: false },
      {
        name: 'a node added without an ignored extended resource',
        pod: makePod({ name: 'gpu', cpu: '1', extended: { 'example.com/gpu': 1 } }),
        new: makeNode({ name: 'n', cpu: '4' }),
        args: { ignoredResources: ['example.com/gpu'] },
        queue: true,
      },
      { name: 'a node added without a wanted extended resource', pod: makePod({ name: 'gpu', cpu: '1', extended: { 'example.com/gpu': 1 } }), new: makeNode({ name: 'n', cpu: '4' }), queue: false },
    ];
    for (const c of cases) it(c.name, () => assert.equal(new Fit(c.args).isSchedulableAfterNodeChange(c.pod ?? target, c.old, c.new), want(c.queue)));
  });

  it('registers pod deletes and scale-downs, node adds and allocatable changes', () => {
    const events = new Fit().eventsToRegister().map((r) => r.event);
    assert.deepEqual(events, [
      { resource: 'Pod', actionType: ActionType.Delete | ActionType.UpdatePodScaleDown },
      { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeAllocatable },
    ]);
  });
});
