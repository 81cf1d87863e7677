import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, Taint, Toleration } from '../../../client/types.js';
import { QueueingHint } from '../../framework/events.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, runFilter, runScore } from '../testing.js';
import { isSchedulableAfterNodeChange, isSchedulableAfterPodTolerationChange, newTaintToleration } from './index.js';

const plugin = newTaintToleration(undefined, undefined as never);
const node = (name: string, taints: Taint[]) => nodeInfo(makeNode({ name, taints }));
const pod = (tolerations: Toleration[]): Pod => makePod({ tolerations });

describe('TaintToleration.filter', () => {
  const cases: { name: string; pod: Pod; taints: Taint[]; wantCode: Code; wantReason?: string }[] = [
    { name: 'A pod having no tolerations can\'t be scheduled onto a node with nonempty taints', pod: pod([]), taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }], wantCode: Code.UnschedulableAndUnresolvable, wantReason: 'node(s) had untolerated taint {dedicated: user1}' },
    { name: 'A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule', pod: pod([{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }]), taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }], wantCode: Code.Success },
    { name: 'A pod which can\'t be scheduled on a dedicated node assigned to user2 with effect NoSchedule', pod: pod([{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }]), taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }], wantCode: Code.UnschedulableAndUnresolvable, wantReason: 'node(s) had untolerated taint {dedicated: user1}' },
    { name: 'A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node', pod: pod([{ key: 'foo', operator: 'Exists', effect: 'NoSchedule' }]), taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }], wantCode: Code.Success },
    { name: 'A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node', pod: pod([{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }, { key: 'foo', operator: 'Exists', effect: 'NoSchedule' }]), taints: [{ key: 'dedicated', value: 'user2', effect: 'NoSchedule' }, { key: 'foo', value: 'bar', effect: 'NoSchedule' }], wantCode: Code.Success },
    { name: 'A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn\'t match, can\'t be scheduled onto the node', pod: pod([{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }]), taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }], wantCode: Code.UnschedulableAndUnresolvable, wantReason: 'node(s) had untolerated taint {foo: bar}' },
    { name: 'The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node', pod: pod([{ key: 'foo', operator: 'Equal', value: 'bar' }]), taints: [{ key: 'foo', value: 'bar', effect: 'NoSchedule' }], wantCode: Code.Success },
    { name: 'The pod has a toleration that key and value don\'t match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node', pod: pod([{ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }]), taints: [{ key: 'dedicated', value: 'user1', effect: 'PreferNoSchedule' }], wantCode: Code.Success },
    { name: 'The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node', pod: pod([]), taints: [{ key: 'dedicated', value: 'user1', effect: 'PreferNoSchedule' }], wantCode: Code.Success },
    { name: 'The pod has no toleration, and the node has a NoExecute taint without a value: named with an empty value', pod: pod([]), taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }], wantCode: Code.UnschedulableAndUnresolvable, wantReason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    { name: 'The first untolerated taint is named', pod: pod([{ key: 'a', operator: 'Exists' }]), taints: [{ key: 'a', value: '1', effect: 'NoSchedule' }, { key: 'b', value: '2', effect: 'NoSchedule' }, { key: 'c', value: '3', effect: 'NoExecute' }], wantCode: Code.UnschedulableAndUnresolvable, wantReason: 'node(s) had untolerated taint {b: 2}' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilter(plugin, c.pod, node('n', c.taints));
      assert.equal(s.code, c.wantCode);
      assert.deepEqual(s.reasons, c.wantReason ? [c.wantReason] : []);
    });
  }
});

describe('TaintToleration.score', () => {
  const cases: { name: string; pod: Pod; nodes: [string, Taint[]][]; want: number[] }[] = [
    {
      name: 'node with taints tolerated by the pod, gets a higher score than those node with intolerable taints',
      pod: pod([{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }]),
      nodes: [['nodeA', [{ key: 'foo', value: 'bar', effect: 'PreferNoSchedule' }]], ['nodeB', [{ key: 'foo', value: 'blah', effect: 'PreferNoSchedule' }]]],
      want: [100, 0],
    },
    {
      name: 'the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has',
      pod: pod([{ key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'PreferNoSchedule' }, { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'PreferNoSchedule' }]),
      nodes: [
        ['nodeA', []],
        ['nodeB', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }]],
        ['nodeC', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }, { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' }]],
      ],
      want: [100, 100, 100],
    },
    {
      name: 'the more intolerable taints a node has, the lower score it gets.',
      pod: pod([{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }]),
      nodes: [
        ['nodeA', []],
        ['nodeB', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }]],
        ['nodeC', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }, { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' }]],
      ],
      want: [100, 50, 0],
    },
    {
      name: 'only taints and tolerations that have effect PreferNoSchedule are checked by prioritizing function',
      pod: pod([{ key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'NoSchedule' }, { key: 'disk-type', operator: 'Equal', value: 'ssd' }]),
      nodes: [
        ['nodeA', []],
        ['nodeB', [{ key: 'cpu-type', value: 'arm64', effect: 'NoSchedule' }]],
        ['nodeC', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }, { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' }]],
      ],
      want: [100, 100, 0],
    },
    {
      name: 'Default behaviour No taints and tolerations, lands on node with no taints',
      pod: pod([]),
      nodes: [['nodeA', []], ['nodeB', [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }]]],
      want: [100, 0],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const scores = runScore(plugin, c.pod, c.nodes.map(([n, t]) => node(n, t)));
      assert.deepEqual(scores.map((s) => s.score), c.want);
    });
  }
});

describe('TaintToleration queueing hints', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const plain = pod([]);
  const tolerating = pod([{ key: 'dedicated', operator: 'Exists' }]);
  const cases: { name: string; pod: Pod; old?: Taint[]; new: Taint[]; queue: boolean }[] = [
    { name: 'a node added without taints', pod: plain, new: [], queue: true },
    { name: 'a node added with a taint the pod does not tolerate', pod: plain, new: [taint], queue: false },
    { name: 'a node added with a taint the pod tolerates', pod: tolerating, new: [taint], queue: true },
    { name: 'a PreferNoSchedule taint does not keep the pod away', pod: plain, new: [{ ...taint, effect: 'PreferNoSchedule' }], queue: true },
    { name: 'the untolerated taint removed', pod: plain, old: [taint], new: [], queue: true },
    { name: 'a taint added', pod: plain, old: [], new: [taint], queue: false },
    { name: 'one untolerated taint swapped for another', pod: plain, old: [taint], new: [{ key: 'other', effect: 'NoExecute' }], queue: false },
    { name: 'tolerated before and after', pod: tolerating, old: [taint], new: [], queue: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const old = c.old ? makeNode({ name: 'n', taints: c.old }) : undefined;
      assert.equal(isSchedulableAfterNodeChange(c.pod, old, makeNode({ name: 'n', taints: c.new })), c.queue ? QueueingHint.Queue : QueueingHint.QueueSkip);
    });
  }
  it('queues the pod itself when given tolerations, not when another pod is', () => {
    assert.equal(isSchedulableAfterPodTolerationChange(plain, plain, { ...plain, spec: { ...plain.spec, tolerations: tolerating.spec.tolerations! } }), QueueingHint.Queue);
    assert.equal(isSchedulableAfterPodTolerationChange(plain, undefined, makePod({ name: 'other', uid: 'other' })), QueueingHint.QueueSkip);
  });
});
