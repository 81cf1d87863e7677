import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../../client/types.js';
import { CycleState } from '../../framework/cyclestate.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { Code, Status } from '../../framework/status.js';
import { fakeHandle, makePod, nodeInfos } from '../testing.js';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH as NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH as MISSING } from './common.js';
import { newPodTopologySpread, type PodTopologySpread } from './index.js';
import { NODE, ZONE, constraint, incoming, podsOn, zoned } from './testing.js';

/** Two zones of two nodes each: zone1 holds node-a and node-b, zone2 node-x and node-y. */
const FOUR_NODES: Node[] = [zoned('node-a', 'zone1'), zoned('node-b', 'zone1'), zoned('node-x', 'zone2'), zoned('node-y', 'zone2')];
const ok = new Status(Code.Success);
const no = new Status(Code.Unschedulable, [NOT_MATCH]);
const missing = new Status(Code.UnschedulableAndUnresolvable, [MISSING]);

interface FilterCase {
  name: string;
  pod: Pod;
  nodes?: Node[];
  existing?: Pod[];
  want: Record<string, Status>;
}

const filterCases: FilterCase[] = [
  {
    name: 'no existing pods',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE)] }),
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'no existing pods, incoming pod does not match itself',
    pod: incoming({ labels: { bar: '' }, topologySpreadConstraints: [constraint(1, ZONE)] }),
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'existing pods in a different namespace do not count',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE)] }),
    existing: [...podsOn('node-a', 1, { namespace: 'ns1' }), ...podsOn('node-b', 1, { namespace: 'ns2' }), ...podsOn('node-x', 1)],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': no, 'node-y': no },
  },
  {
    name: 'pods spread across zones as 3/3, all nodes fit',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE)] }),
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 2), ...podsOn('node-x', 2), ...podsOn('node-y', 1)],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE)] }),
    nodes: [zoned('node-a', 'zone1'), zoned('node-b', undefined), zoned('node-x', 'zone2'), zoned('node-y', 'zone2')],
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1), ...podsOn('node-x', 1), ...podsOn('node-y', 1)],
    want: { 'node-a': ok, 'node-b': missing, 'node-x': no, 'node-y': no },
  },
  {
    name: "pod cannot be scheduled as all nodes don't have label 'rack'",
    pod: incoming({ topologySpreadConstraints: [constraint(1, 'rack')] }),
    want: { 'node-a': missing, 'node-b': missing, 'node-x': missing, 'node-y': missing },
  },
  {
    name: 'pods spread across nodes as 2/1/0/3, only node-x fits',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-y', 3)],
    want: { 'node-a': no, 'node-b': no, 'node-x': ok, 'node-y': no },
  },
  {
    name: 'pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit',
    pod: incoming({ topologySpreadConstraints: [constraint(2, NODE)] }),
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-y', 3)],
    want: { 'node-a': no, 'node-b': ok, 'node-x': ok, 'node-y': no },
  },
  {
    name: "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
    pod: incoming({ labels: { bar: '' }, topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-y', 3)],
    want: { 'node-a': no, 'node-b': ok, 'node-x': ok, 'node-y': no },
  },
  {
    name: 'terminating pods do not count',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1).map((p) => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }))],
    want: { 'node-a': no, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'two constraints: zones 3/3 fit everywhere, nodes 2/1/0/3 only node-x',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE), constraint(1, NODE)] }),
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-y', 3)],
    want: { 'node-a': no, 'node-b': no, 'node-x': ok, 'node-y': no },
  },
  {
    name: 'two constraints: zones 1/3 only zone1, nodes 0/1/1/2 only node-a',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE), constraint(1, NODE)] }),
    existing: [...podsOn('node-b', 1), ...podsOn('node-x', 1), ...podsOn('node-y', 2)],
    want: { 'node-a': ok, 'node-b': no, 'node-x': no, 'node-y': no },
  },
  {
    name: 'nodeAffinityPolicy Honor (default): nodes outside the nodeSelector are not domains',
    pod: incoming({ nodeSelector: { [ZONE]: 'zone1' }, topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1)],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'nodeAffinityPolicy Ignore: every node is a domain',
    pod: incoming({ nodeSelector: { [ZONE]: 'zone1' }, topologySpreadConstraints: [constraint(1, NODE, { nodeAffinityPolicy: 'Ignore' })] }),
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1)],
    want: { 'node-a': no, 'node-b': no, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'nodeTaintsPolicy Ignore (default): a tainted node is a domain',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    nodes: [zoned('node-a', 'zone1'), zoned('node-b', 'zone1'), zoned('node-x', 'zone2', { taints: [{ key: 'k', effect: 'NoSchedule' }] })],
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1)],
    want: { 'node-a': no, 'node-b': no, 'node-x': ok },
  },
  {
    name: 'nodeTaintsPolicy Honor: an untolerated tainted node is not a domain',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE, { nodeTaintsPolicy: 'Honor' })] }),
    nodes: [zoned('node-a', 'zone1'), zoned('node-b', 'zone1'), zoned('node-x', 'zone2', { taints: [{ key: 'k', effect: 'NoSchedule' }] })],
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1)],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok },
  },
  {
    name: 'nodeTaintsPolicy Honor: a tolerated tainted node is a domain',
    pod: incoming({ tolerations: [{ key: 'k', operator: 'Exists' }], topologySpreadConstraints: [constraint(1, NODE, { nodeTaintsPolicy: 'Honor' })] }),
    nodes: [zoned('node-a', 'zone1'), zoned('node-b', 'zone1'), zoned('node-x', 'zone2', { taints: [{ key: 'k', effect: 'NoSchedule' }] })],
    existing: [...podsOn('node-a', 1), ...podsOn('node-b', 1)],
    want: { 'node-a': no, 'node-b': no, 'node-x': ok },
  },
  {
    name: 'minDomains 2 with 2 zones holding 1/1: all fit',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE, { minDomains: 2 })] }),
    existing: [...podsOn('node-a', 1), ...podsOn('node-x', 1)],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'minDomains 3 with 2 zones holding 1/1: the global minimum is 0, nothing fits',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE, { minDomains: 3 })] }),
    existing: [...podsOn('node-a', 1), ...podsOn('node-x', 1)],
    want: { 'node-a': no, 'node-b': no, 'node-x': no, 'node-y': no },
  },
  {
    name: 'minDomains 3 with 2 zones holding 0/1: only zone1 fits',
    pod: incoming({ topologySpreadConstraints: [constraint(1, ZONE, { minDomains: 3 })] }),
    existing: [...podsOn('node-x', 1)],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': no, 'node-y': no },
  },
  {
    name: 'without matchLabelKeys, other revisions count',
    pod: incoming({ labels: { foo: '', rev: '2' }, topologySpreadConstraints: [constraint(1, ZONE)] }),
    existing: podsOn('node-a', 2, { labels: { foo: '', rev: '1' } }),
    want: { 'node-a': no, 'node-b': no, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'matchLabelKeys: only pods of the same revision count',
    pod: incoming({ labels: { foo: '', rev: '2' }, topologySpreadConstraints: [constraint(1, ZONE, { matchLabelKeys: ['rev'] })] }),
    existing: podsOn('node-a', 2, { labels: { foo: '', rev: '1' } }),
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
  {
    name: 'a constraint without labelSelector matches no pod, not even the incoming one',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE, { labelSelector: null })] }),
    existing: podsOn('node-a', 3),
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-y': ok },
  },
];

function preFilter(pl: PodTopologySpread, state: CycleState, pod: Pod, nodes: NodeInfo[]): Status {
  return pl.preFilter(state, pod, nodes).status;
}

function newPlugin(nodes: NodeInfo[], args?: Record<string, unknown>): PodTopologySpread {
  return newPodTopologySpread(args, fakeHandle(nodes));
}

describe('PodTopologySpread Filter', () => {
  for (const tc of filterCases) {
    it(tc.name, () => {
      const nodes = nodeInfos(tc.nodes ?? FOUR_NODES, tc.existing ?? []);
      const pl = newPlugin(nodes);
      const state = new CycleState();
      assert.equal(preFilter(pl, state, tc.pod, nodes).code, Code.Success);
      const got = Object.fromEntries(nodes.map((n) => [n.name, pl.filter(state, tc.pod, n)]));
      assert.deepEqual(got, tc.want);
    });
  }

  it('PreFilter skips pods without DoNotSchedule constraints (and pods with only defaults)', () => {
    const nodes = nodeInfos(FOUR_NODES, []);
    const pl = newPlugin(nodes);
    const cases: Pod[] = [
      makePod({ name: 'plain' }),
      incoming({ topologySpreadConstraints: [constraint(1, ZONE, { whenUnsatisfiable: 'ScheduleAnyway' })] }),
      makePod({ name: 'owned', labels: { app: 'web' } }),
    ];
    cases[2]!.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs', controller: true }];
    for (const pod of cases) assert.equal(preFilter(pl, new CycleState(), pod, nodes).code, Code.Skip, pod.metadata.name);
  });

  it('Filter without PreFilter state is an Error', () => {
    const nodes = nodeInfos(FOUR_NODES, []);
    assert.equal(newPlugin(nodes).filter(new CycleState(), incoming({}), nodes[0]!).code, Code.Error);
  });
});

interface UpdateCase {
  name: string;
  pod: Pod;
  existing: Pod[];
  /** Applied in order on a clone of the PreFilter state. */
  ops: { op: 'add' | 'remove'; pod: Pod }[];
  want: Record<string, Code>;
}

const [a1, a2] = podsOn('node-a', 2) as [Pod, Pod];
const updateCases: UpdateCase[] = [
  {
    name: 'no change: node-a holds 2, node-b 0',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [a1, a2],
    ops: [],
    want: { 'node-a': Code.Unschedulable, 'node-b': Code.Success },
  },
  {
    name: 'removing one pod from node-a is not enough',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [a1, a2],
    ops: [{ op: 'remove', pod: a1 }],
    want: { 'node-a': Code.Unschedulable, 'node-b': Code.Success },
  },
  {
    name: 'removing both pods from node-a makes it fit',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [a1, a2],
    ops: [
      { op: 'remove', pod: a1 },
      { op: 'remove', pod: a2 },
    ],
    want: { 'node-a': Code.Success, 'node-b': Code.Success },
  },
  {
    name: 'adding a pod to node-b raises the minimum',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [a1],
    ops: [{ op: 'add', pod: makePod({ name: 'new', nodeName: 'node-b', labels: { foo: '' } }) }],
    want: { 'node-a': Code.Success, 'node-b': Code.Success },
  },
  {
    name: 'pods of another namespace or not matching change nothing',
    pod: incoming({ topologySpreadConstraints: [constraint(1, NODE)] }),
    existing: [a1],
    ops: [
      { op: 'add', pod: makePod({ name: 'other-ns', namespace: 'ns2', nodeName: 'node-b', labels: { foo: '' } }) },
      { op: 'add', pod: makePod({ name: 'unlabelled', nodeName: 'node-b' }) },
    ],
    want: { 'node-a': Code.Unschedulable, 'node-b': Code.Success },
  },
];

describe('PodTopologySpread PreFilter addPod/removePod', () => {
  for (const tc of updateCases) {
    it(tc.name, () => {
      const nodes = nodeInfos([zoned('node-a', 'zone1'), zoned('node-b', 'zone1')], tc.existing);
      const pl = newPlugin(nodes);
      const original = new CycleState();
      preFilter(pl, original, tc.pod, nodes);
      const before = nodes.map((n) => pl.filter(original, tc.pod, n).code);
      const state = original.clone();
      for (const { op, pod } of tc.ops) {
        const ni = nodes.find((n) => n.name === pod.spec.nodeName)!;
        const s = op === 'add' ? pl.addPod(state, tc.pod, pod, ni) : pl.removePod(state, tc.pod, pod, ni);
        assert.equal(s.code, Code.Success);
      }
      assert.deepEqual(Object.fromEntries(nodes.map((n) => [n.name, pl.filter(state, tc.pod, n).code])), tc.want);
      assert.deepEqual(
        nodes.map((n) => pl.filter(original, tc.pod, n).code),
        before,
        'the original state is unchanged',
      );
    });
  }
});
