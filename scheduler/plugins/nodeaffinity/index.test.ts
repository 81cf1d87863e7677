import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Affinity, NodeSelectorTerm, Pod } from '../../../client/types.js';
import { CycleState } from '../../framework/cyclestate.js';
import { QueueingHint } from '../../framework/events.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, runFilter, runScore } from '../testing.js';
import { ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, NodeAffinity, type NodeAffinityArgs } from './index.js';

const required = (...nodeSelectorTerms: NodeSelectorTerm[]): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } },
});

describe('NodeAffinity.filter', () => {
  const cases: {
    name: string;
    pod: Pod;
    labels?: Record<string, string>;
    nodeName?: string;
    args?: NodeAffinityArgs;
    wantCode: Code;
    wantReason?: string;
    wantPreFilterCode?: Code;
    wantNodeNames?: string[];
  }[] = [
    { name: 'no selector', pod: makePod(), wantCode: Code.Success, wantPreFilterCode: Code.Skip },
    { name: 'missing labels', pod: makePod({ nodeSelector: { foo: 'bar' } }), wantCode: Code.UnschedulableAndUnresolvable, wantReason: ERR_REASON_POD },
    { name: 'same labels', pod: makePod({ nodeSelector: { foo: 'bar' } }), labels: { foo: 'bar' }, wantCode: Code.Success },
    { name: 'node labels are superset', pod: makePod({ nodeSelector: { foo: 'bar' } }), labels: { foo: 'bar', baz: 'blah' }, wantCode: Code.Success },
    { name: 'node labels are subset', pod: makePod({ nodeSelector: { foo: 'bar', baz: 'blah' } }), labels: { foo: 'bar' }, wantCode: Code.UnschedulableAndUnresolvable, wantReason: ERR_REASON_POD },
    {
      name: 'Pod with matchExpressions using In operator that matches the existing node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar', 'value2'] }] }) }),
      labels: { foo: 'bar' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with matchExpressions using Gt operator that matches the existing node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'kernel-version', operator: 'Gt', values: ['0204'] }] }) }),
      labels: { 'kernel-version': '0206' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with matchExpressions using NotIn operator that matches the existing node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'mem-type', operator: 'NotIn', values: ['DDR', 'DDR2'] }] }) }),
      labels: { 'mem-type': 'DDR3' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with matchExpressions using Exists operator that matches the existing node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'GPU', operator: 'Exists' }] }) }),
      labels: { GPU: 'NVIDIA-GRID-K1' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with affinity that don\'t match node\'s labels won\'t schedule onto the node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['value1', 'value2'] }] }) }),
      labels: { foo: 'bar' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Pod with a nil []NodeSelectorTerm in affinity, can\'t match the node\'s labels and won\'t schedule onto the node',
      pod: makePod({ affinity: required() }),
      labels: { foo: 'bar' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Pod with an empty []NodeSelectorTerm in affinity, can\'t match the node\'s labels and won\'t schedule onto the node',
      pod: makePod({ affinity: required({}) }),
      labels: { foo: 'bar' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Pod with no Affinity will schedule onto a node',
      pod: makePod({ affinity: {} }),
      labels: { foo: 'bar' },
      wantCode: Code.Success,
      wantPreFilterCode: Code.Skip,
    },
    {
      name: 'Pod with multiple NodeSelectorTerms ORed in affinity, matches the node\'s labels and will schedule onto the node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] }, { matchExpressions: [{ key: 'diffkey', operator: 'In', values: ['wrong'] }] }) }),
      labels: { foo: 'bar' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node',
      pod: makePod({ nodeSelector: { foo: 'bar' }, affinity: required({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }) }),
      labels: { foo: 'bar' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with an Affinity matches node\'s labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won\'t schedule onto the node',
      pod: makePod({ nodeSelector: { foo: 'bar' }, affinity: required({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }) }),
      labels: { foo: 'barrrrrr' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Pod with an invalid value in Affinity term won\'t be scheduled onto the node',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'foo', operator: 'NotIn', values: [] }] }) }),
      labels: { foo: 'bar' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Pod with matchFields using In operator that matches the existing node',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }) }),
      nodeName: 'node1',
      wantCode: Code.Success,
      wantNodeNames: ['node1'],
    },
    {
      name: 'Pod with matchFields using In operator that does not match the existing node',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }) }),
      nodeName: 'node2',
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
      wantNodeNames: ['node1'],
    },
    {
      name: 'Pod with two terms: matchFields does not match, but matchExpressions matches',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }, { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] }) }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      wantCode: Code.Success,
    },
    {
      name: 'Pod with one term: matchFields does not match, but matchExpressions matches',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }], matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] }) }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
      wantNodeNames: ['node1'],
    },
    {
      name: 'Pod with two terms: both matchFields and matchExpressions do not match',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }, { matchExpressions: [{ key: 'foo', operator: 'In', values: ['not-match-to-bar'] }] }) }),
      nodeName: 'node2',
      labels: { foo: 'bar' },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Pod with two terms of node.Name affinity',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node2'] }] }) }),
      nodeName: 'node2',
      wantCode: Code.Success,
      wantNodeNames: ['node1', 'node2'],
    },
    {
      name: 'Pod with two conflicting mach field requirements',
      pod: makePod({ affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }, { key: 'metadata.name', operator: 'In', values: ['node2'] }] }) }),
      nodeName: 'node2',
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_CONFLICT,
      wantPreFilterCode: Code.UnschedulableAndUnresolvable,
    },
    {
      name: 'Matches added affinity and Pod\'s node affinity',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['foo'] }] }) }),
      labels: { zone: 'foo' },
      nodeName: 'node1',
      args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }] } } },
      wantCode: Code.Success,
    },
    {
      name: 'Matches added affinity but not Pod\'s node affinity',
      pod: makePod({ affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['bar'] }] }) }),
      labels: { zone: 'foo' },
      nodeName: 'node1',
      args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }] } } },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_POD,
    },
    {
      name: 'Doesn\'t match added affinity',
      pod: makePod(),
      labels: { zone: 'foo' },
      nodeName: 'node1',
      args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['bar'] }] }] } } },
      wantCode: Code.UnschedulableAndUnresolvable,
      wantReason: ERR_REASON_ENFORCED,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plugin = new NodeAffinity(c.args);
      const ni = nodeInfo(makeNode({ name: c.nodeName ?? 'node', ...(c.labels ? { labels: c.labels } : {}) }));
      const state = new CycleState();
      const pre = plugin.preFilter(state, c.pod);
      assert.equal(pre.status.code, c.wantPreFilterCode ?? Code.Success);
      assert.deepEqual(pre.result?.nodeNames ? [...pre.result.nodeNames].sort() : undefined, c.wantNodeNames);
      const s = pre.status.isRejected() ? pre.status : runFilter(plugin, c.pod, ni);
      assert.equal(s.code, c.wantCode);
      assert.deepEqual(s.reasons, c.wantReason ? [c.wantReason] : []);
    });
  }
});

describe('NodeAffinity.score', () => {
  const pref = (...terms: { weight: number; preference: NodeSelectorTerm }[]): Affinity => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } });
  const affinity1 = pref({ weight: 2, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } });
  const affinity2 = pref(
    { weight: 2, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
    { weight: 4, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } },
    { weight: 5, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }, { key: 'key', operator: 'In', values: ['value'] }, { key: 'az', operator: 'In', values: ['az1'] }] } },
  );
  const label1 = { foo: 'bar' };
  const label2 = { key: 'value' };
  const label5 = { foo: 'bar', key: 'value', az: 'az1' };
  const cases: { name: string; pod: Pod; nodes: [string, Record<string, string>][]; args?: NodeAffinityArgs; want: number[] }[] = [
    { name: 'all nodes are same priority as NodeAffinity is nil', pod: makePod(), nodes: [['node1', label1], ['node2', label2]], want: [0, 0] },
    { name: 'no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes\' priority is zero', pod: makePod({ affinity: affinity1 }), nodes: [['node1', { key: 'value' }], ['node2', { az: 'az1' }]], want: [0, 0] },
    { name: 'only node1 matches the preferred scheduling requirements of pod', pod: makePod({ affinity: affinity1 }), nodes: [['node1', label1], ['node2', label2]], want: [100, 0] },
    { name: 'all nodes matches the preferred scheduling requirements of pod but with different priorities ', pod: makePod({ affinity: affinity2 }), nodes: [['node1', label1], ['node5', label5], ['node2', label2]], want: [18, 100, 36] },
    {
      name: 'Added affinity',
      pod: makePod(),
      nodes: [['node1', label1], ['node2', label2]],
      args: { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } }] } },
      want: [0, 100],
    },
    {
      name: 'Added affinity and pod has default affinity',
      pod: makePod({ affinity: affinity1 }),
      nodes: [['node1', label1], ['node2', label2], ['node3', label5]],
      args: { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } }] } },
      want: [40, 60, 100],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const scores = runScore(new NodeAffinity(c.args), c.pod, c.nodes.map(([n, labels]) => nodeInfo(makeNode({ name: n, labels }))));
      assert.deepEqual(scores.map((s) => s.score), c.want);
    });
  }

  it('PreScore fails on an invalid preferred term', () => {
    const pod = makePod({ affinity: pref({ weight: 1, preference: { matchExpressions: [{ key: 'foo', operator: 'Gt', values: ['x'] }] } }) });
    const status = new NodeAffinity().preScore(new CycleState(), pod, [nodeInfo(makeNode({ name: 'n' }))]);
    assert.equal(status.code, Code.Error);
  });
});

describe('NodeAffinity queueing hints', () => {
  const ssd = makePod({ name: 'p', nodeSelector: { disk: 'ssd' } });
  const inZone = makePod({ name: 'p', affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }) });
  const named = makePod({ name: 'p', affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }) });
  const node = (labels: Record<string, string>, name = 'n') => makeNode({ name, labels });
  const cases: { name: string; pod: Pod; old?: Record<string, string>; new: Record<string, string>; nodeName?: string; args?: NodeAffinityArgs; queue: boolean }[] = [
    { name: 'a node added that matches the selector', pod: ssd, new: { disk: 'ssd' }, queue: true },
    { name: 'a node added that does not', pod: ssd, new: { disk: 'hdd' }, queue: false },
    { name: 'a node relabelled to match', pod: ssd, old: { disk: 'hdd' }, new: { disk: 'ssd' }, queue: true },
    { name: 'a node that matched relabelled, still matching', pod: ssd, old: { disk: 'ssd' }, new: { disk: 'ssd', other: 'x' }, queue: false },
    { name: 'a node relabelled into the required zone', pod: inZone, old: { zone: 'z2' }, new: { zone: 'z1' }, queue: true },
    { name: 'a node relabelled out of it', pod: inZone, old: { zone: 'z1' }, new: { zone: 'z2' }, queue: false },
    { name: 'the node the required fields name added', pod: named, new: {}, nodeName: 'n2', queue: true },
    { name: 'another node added', pod: named, new: {}, nodeName: 'n3', queue: false },
    {
      name: 'a node the profile-enforced affinity rules out',
      pod: ssd,
      new: { disk: 'ssd' },
      args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'Exists' }] }] } } },
      queue: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plugin = new NodeAffinity(c.args);
      const old = c.old ? node(c.old, c.nodeName) : undefined;
      assert.equal(plugin.isSchedulableAfterNodeChange(c.pod, old, node(c.new, c.nodeName)), c.queue ? QueueingHint.Queue : QueueingHint.QueueSkip);
    });
  }
});
