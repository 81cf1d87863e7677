import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Affinity, LabelSelector, Node, Pod, PodAffinityTerm } from '../../../client/types.js';
import { CycleState } from '../../framework/cyclestate.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { Code, Status } from '../../framework/status.js';
import { fakeHandle, makeNode, makePod, nodeInfos, type PodOptions, runScore } from '../testing.js';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH as AFFINITY,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH as ANTI,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH as EXISTING,
  type InterPodAffinity,
  newInterPodAffinity,
} from './index.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const NAMESPACES: Record<string, Record<string, string>> = {
  default: { 'kubernetes.io/metadata.name': 'default' },
  'team-a': { team: 'a', env: 'prod' },
  'team-b': { team: 'b', env: 'dev' },
};

const zoned = (name: string, zone?: string): Node =>
  makeNode({ name, labels: { [HOST]: name, region: 'r1', ...(zone !== undefined ? { [ZONE]: zone } : {}) } });
const NODES = [zoned('node-a', 'zone1'), zoned('node-b', 'zone1'), zoned('node-x', 'zone2')];

const sel = (labels: Record<string, string>): LabelSelector => ({ matchLabels: labels });
const term = (labels: Record<string, string>, topologyKey: string, more: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: sel(labels),
  topologyKey,
  ...more,
});
const affinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const antiAffinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const on = (nodeName: string, o: PodOptions): Pod => makePod({ name: `${o.name ?? 'p'}-${nodeName}`, nodeName, ...o });

const ok = new Status(Code.Success);
const noAffinity = new Status(Code.UnschedulableAndUnresolvable, [AFFINITY]);
const noAnti = new Status(Code.Unschedulable, [ANTI]);
const noExisting = new Status(Code.Unschedulable, [EXISTING]);

interface FilterCase {
  name: string;
  pod: Pod;
  nodes?: Node[];
  existing?: Pod[];
  /** Whether PreFilter says Skip (then Filter is not run: every node fits). */
  skip?: boolean;
  want?: Record<string, Status>;
}

const db = (nodeName: string, more: PodOptions = {}): Pod => on(nodeName, { name: 'db', labels: { app: 'db' }, ...more });

const filterCases: FilterCase[] = [
  { name: 'no terms anywhere: Skip', pod: makePod({ labels: { app: 'web' } }), existing: [db('node-a')], skip: true },
  {
    name: 'affinity to a pod in the same zone',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE)) }),
    existing: [db('node-a')],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': noAffinity },
  },
  {
    name: 'affinity with an In expression on region: every node of the region',
    pod: makePod({ affinity: affinity({ labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'x'] }] }, topologyKey: 'region' }) }),
    existing: [db('node-x')],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok },
  },
  {
    name: 'affinity to a pod in another namespace does not match',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE)) }),
    existing: [db('node-a', { namespace: 'team-a' })],
    want: { 'node-a': noAffinity, 'node-b': noAffinity, 'node-x': noAffinity },
  },
  {
    name: 'affinity naming the namespace in namespaces',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE, { namespaces: ['team-a'] })) }),
    existing: [db('node-a', { namespace: 'team-a' })],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': noAffinity },
  },
  {
    name: 'affinity with a namespaceSelector matching the pod namespace labels',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE, { namespaceSelector: sel({ team: 'a' }) })) }),
    existing: [db('node-a', { namespace: 'team-a' }), db('node-x', { namespace: 'team-b' })],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': noAffinity },
  },
  {
    name: 'affinity with an empty namespaceSelector: all namespaces',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE, { namespaceSelector: {} })) }),
    existing: [db('node-x', { namespace: 'team-b' })],
    want: { 'node-a': noAffinity, 'node-b': noAffinity, 'node-x': ok },
  },
  {
    name: 'affinity with a namespaceSelector for an unknown namespace matches nothing',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE, { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } })) }),
    existing: [db('node-a', { namespace: 'gone' })],
    want: { 'node-a': noAffinity, 'node-b': noAffinity, 'node-x': noAffinity },
  },
  {
    name: 'affinity: a node without the topology key never fits',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE)) }),
    nodes: [...NODES, zoned('node-n')],
    existing: [db('node-a'), db('node-n')],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': noAffinity, 'node-n': noAffinity },
  },
  {
    name: 'affinity with two terms: an existing pod must match both, each term in its own topology',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE), term({ tier: 'cache' }, HOST)) }),
    existing: [db('node-a', { labels: { app: 'db', tier: 'cache' } }), db('node-x')],
    want: { 'node-a': ok, 'node-b': noAffinity, 'node-x': noAffinity },
  },
  {
    name: 'self-affinity: the first pod of a group may go to any node with the key',
    pod: makePod({ labels: { app: 'web' }, affinity: affinity(term({ app: 'web' }, ZONE)) }),
    nodes: [...NODES, zoned('node-n')],
    existing: [db('node-a')],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': ok, 'node-n': noAffinity },
  },
  {
    name: 'self-affinity once a matching pod exists: only its zone',
    pod: makePod({ labels: { app: 'web' }, affinity: affinity(term({ app: 'web' }, ZONE)) }),
    existing: [on('node-x', { name: 'web', labels: { app: 'web' } })],
    want: { 'node-a': noAffinity, 'node-b': noAffinity, 'node-x': ok },
  },
  {
    name: 'affinity the pod does not match itself, no pod matches: nothing fits',
    pod: makePod({ labels: { app: 'web' }, affinity: affinity(term({ app: 'db' }, ZONE)) }),
    want: { 'node-a': noAffinity, 'node-b': noAffinity, 'node-x': noAffinity },
  },
  {
    name: 'anti-affinity on hostname',
    pod: makePod({ labels: { app: 'web' }, affinity: antiAffinity(term({ app: 'web' }, HOST)) }),
    existing: [on('node-a', { name: 'web', labels: { app: 'web' } })],
    want: { 'node-a': noAnti, 'node-b': ok, 'node-x': ok },
  },
  {
    name: 'anti-affinity on zone',
    pod: makePod({ affinity: antiAffinity(term({ app: 'db' }, ZONE)) }),
    existing: [db('node-b')],
    want: { 'node-a': noAnti, 'node-b': noAnti, 'node-x': ok },
  },
  {
    name: 'anti-affinity: a node without the topology key fits',
    pod: makePod({ affinity: antiAffinity(term({ app: 'db' }, ZONE)) }),
    nodes: [...NODES, zoned('node-n')],
    existing: [db('node-a'), db('node-n')],
    want: { 'node-a': noAnti, 'node-b': noAnti, 'node-x': ok, 'node-n': ok },
  },
  {
    name: 'symmetric anti-affinity from an existing pod on hostname',
    pod: makePod({ labels: { app: 'web' } }),
    existing: [db('node-a', { affinity: antiAffinity(term({ app: 'web' }, HOST)) })],
    want: { 'node-a': noExisting, 'node-b': ok, 'node-x': ok },
  },
  {
    name: 'symmetric anti-affinity from an existing pod on zone',
    pod: makePod({ labels: { app: 'web' } }),
    existing: [db('node-x', { affinity: antiAffinity(term({ app: 'web' }, ZONE)) })],
    want: { 'node-a': ok, 'node-b': ok, 'node-x': noExisting },
  },
  {
    name: "an existing pod's anti-affinity applies to its own namespace only",
    pod: makePod({ labels: { app: 'web' }, namespace: 'team-b' }),
    existing: [db('node-a', { affinity: antiAffinity(term({ app: 'web' }, HOST)) })],
    skip: true,
  },
  {
    name: "an existing pod's anti-affinity namespaceSelector matches the incoming pod's namespace labels",
    pod: makePod({ labels: { app: 'web' }, namespace: 'team-a' }),
    existing: [db('node-a', { affinity: antiAffinity(term({ app: 'web' }, HOST, { namespaceSelector: sel({ env: 'prod' }) })) })],
    want: { 'node-a': noExisting, 'node-b': ok, 'node-x': ok },
  },
  {
    name: "an existing pod's anti-affinity namespaceSelector not matching: Skip",
    pod: makePod({ labels: { app: 'web' }, namespace: 'team-b' }),
    existing: [db('node-a', { affinity: antiAffinity(term({ app: 'web' }, HOST, { namespaceSelector: sel({ env: 'prod' }) })) })],
    skip: true,
  },
  {
    name: 'affinity is checked before anti-affinity, then existing pods',
    pod: makePod({ labels: { app: 'web' }, affinity: { ...affinity(term({ app: 'db' }, ZONE)), ...antiAffinity(term({ app: 'cache' }, HOST)) } }),
    existing: [db('node-a'), on('node-b', { name: 'cache', labels: { app: 'cache' } }), on('node-a', { name: 'x', affinity: antiAffinity(term({ app: 'web' }, HOST)) })],
    want: { 'node-a': noExisting, 'node-b': noAnti, 'node-x': noAffinity },
  },
  {
    name: 'matchLabelKeys: only pods with the same value count',
    pod: makePod({ labels: { app: 'web', rev: '2' }, affinity: antiAffinity(term({ app: 'web' }, HOST, { matchLabelKeys: ['rev'] })) }),
    existing: [on('node-a', { name: 'old', labels: { app: 'web', rev: '1' } }), on('node-b', { name: 'new', labels: { app: 'web', rev: '2' } })],
    want: { 'node-a': ok, 'node-b': noAnti, 'node-x': ok },
  },
  {
    name: 'mismatchLabelKeys: only pods with another value count',
    pod: makePod({ labels: { tenant: 't1' }, affinity: antiAffinity({ labelSelector: {}, topologyKey: HOST, mismatchLabelKeys: ['tenant'] }) }),
    existing: [on('node-a', { name: 'mine', labels: { tenant: 't1' } }), on('node-b', { name: 'theirs', labels: { tenant: 't2' } })],
    want: { 'node-a': ok, 'node-b': noAnti, 'node-x': ok },
  },
];

const newPlugin = (nodes: NodeInfo[], args?: Record<string, unknown>): InterPodAffinity => newInterPodAffinity(args, fakeHandle(nodes, NAMESPACES));

describe('InterPodAffinity Filter', () => {
  for (const tc of filterCases) {
    it(tc.name, () => {
      const nodes = nodeInfos(tc.nodes ?? NODES, tc.existing ?? []);
      const pl = newPlugin(nodes);
      const state = new CycleState();
      const { status } = pl.preFilter(state, tc.pod, nodes);
      assert.equal(status.code, tc.skip ? Code.Skip : Code.Success);
      if (tc.skip) return;
      assert.deepEqual(Object.fromEntries(nodes.map((n) => [n.name, pl.filter(state, tc.pod, n)])), tc.want);
    });
  }

  it('Filter without PreFilter state is an Error', () => {
    const nodes = nodeInfos(NODES, []);
    assert.equal(newPlugin(nodes).filter(new CycleState(), makePod(), nodes[0]!).code, Code.Error);
  });
});

interface UpdateCase {
  name: string;
  pod: Pod;
  existing: Pod[];
  ops: { op: 'add' | 'remove'; pod: Pod }[];
  want: Record<string, Code>;
}

const guard = db('node-a', { name: 'guard', affinity: antiAffinity(term({ app: 'web' }, ZONE)) });
const dbA = db('node-a');
const updateCases: UpdateCase[] = [
  {
    name: "removing the existing pod whose anti-affinity bars the zone",
    pod: makePod({ labels: { app: 'web' }, affinity: antiAffinity(term({ app: 'none' }, HOST)) }),
    existing: [guard],
    ops: [{ op: 'remove', pod: guard }],
    want: { 'node-a': Code.Success, 'node-b': Code.Success, 'node-x': Code.Success },
  },
  {
    name: "adding a pod whose anti-affinity matches the incoming pod",
    pod: makePod({ labels: { app: 'web' }, affinity: antiAffinity(term({ app: 'none' }, HOST)) }),
    existing: [],
    ops: [{ op: 'add', pod: { ...guard, spec: { ...guard.spec, nodeName: 'node-x' } } }],
    want: { 'node-a': Code.Success, 'node-b': Code.Success, 'node-x': Code.Unschedulable },
  },
  {
    name: 'removing the only pod the incoming pod has affinity to',
    pod: makePod({ affinity: affinity(term({ app: 'db' }, ZONE)) }),
    existing: [dbA],
    ops: [{ op: 'remove', pod: dbA }],
    want: { 'node-a': Code.UnschedulableAndUnresolvable, 'node-b': Code.UnschedulableAndUnresolvable, 'node-x': Code.UnschedulableAndUnresolvable },
  },
  {
    name: 'adding a pod the incoming pod is anti-affine to',
    pod: makePod({ affinity: antiAffinity(term({ app: 'db' }, ZONE)) }),
    existing: [],
    ops: [{ op: 'add', pod: db('node-x') }],
    want: { 'node-a': Code.Success, 'node-b': Code.Success, 'node-x': Code.Unschedulable },
  },
];

describe('InterPodAffinity PreFilter addPod/removePod', () => {
  for (const tc of updateCases) {
    it(tc.name, () => {
      const nodes = nodeInfos(NODES, tc.existing);
      const pl = newPlugin(nodes);
      const original = new CycleState();
      assert.equal(pl.preFilter(original, tc.pod, nodes).status.code, Code.Success);
      const before = nodes.map((n) => pl.filter(original, tc.pod, n).code);
      const state = original.clone();
      for (const { op, pod } of tc.ops) {
        const ni = nodes.find((n) => n.name === pod.spec.nodeName)!;
        assert.equal((op === 'add' ? pl.addPod(state, tc.pod, pod, ni) : pl.removePod(state, tc.pod, pod, ni)).code, Code.Success);
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

const preferred = (weight: number, t: PodAffinityTerm) => [{ weight, podAffinityTerm: t }];

interface ScoreCase {
  name: string;
  pod: Pod;
  existing?: Pod[];
  args?: Record<string, unknown>;
  skip?: boolean;
  want?: Record<string, number>;
}

const scoreCases: ScoreCase[] = [
  { name: 'no terms anywhere: Skip', pod: makePod({ labels: { app: 'web' } }), existing: [db('node-a')], skip: true },
  {
    name: 'preferred affinity: the zone of the matching pod',
    pod: makePod({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(5, term({ app: 'db' }, ZONE)) } } }),
    existing: [db('node-a')],
    want: { 'node-a': 100, 'node-b': 100, 'node-x': 0 },
  },
  {
    name: 'preferred anti-affinity: away from the matching pod host',
    pod: makePod({ affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(5, term({ app: 'db' }, HOST)) } } }),
    existing: [db('node-a')],
    want: { 'node-a': 0, 'node-b': 100, 'node-x': 100 },
  },
  {
    name: 'preferred affinity and anti-affinity together order the nodes',
    pod: makePod({
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(8, term({ app: 'db' }, ZONE)) },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(2, term({ app: 'db' }, HOST)) },
      },
    }),
    existing: [db('node-a')],
    want: { 'node-a': 75, 'node-b': 100, 'node-x': 0 },
  },
  {
    name: 'preferred affinity with a namespaceSelector',
    pod: makePod({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(5, term({ app: 'db' }, ZONE, { namespaceSelector: sel({ team: 'b' }) })) } } }),
    existing: [db('node-a', { namespace: 'team-a' }), db('node-x', { namespace: 'team-b' })],
    want: { 'node-a': 0, 'node-b': 0, 'node-x': 100 },
  },
  {
    name: "an existing pod's required affinity counts hardPodAffinityWeight (1)",
    pod: makePod({ labels: { app: 'web' } }),
    existing: [db('node-x', { affinity: affinity(term({ app: 'web' }, ZONE)) })],
    want: { 'node-a': 0, 'node-b': 0, 'node-x': 100 },
  },
  {
    name: 'hardPodAffinityWeight 0 turns that off',
    pod: makePod({ labels: { app: 'web' } }),
    existing: [db('node-x', { affinity: affinity(term({ app: 'web' }, ZONE)) })],
    args: { hardPodAffinityWeight: 0 },
    skip: true,
  },
  {
    name: "an existing pod's preferred affinity and anti-affinity to the incoming pod",
    pod: makePod({ labels: { app: 'web' } }),
    existing: [
      db('node-a', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(4, term({ app: 'web' }, HOST)) } } }),
      db('node-x', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(4, term({ app: 'web' }, ZONE)) } } }),
    ],
    want: { 'node-a': 100, 'node-b': 50, 'node-x': 0 },
  },
  {
    name: "ignorePreferredTermsOfExistingPods skips pods without preferred terms",
    pod: makePod({ labels: { app: 'web' } }),
    existing: [db('node-a', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred(4, term({ app: 'web' }, HOST)) } } })],
    args: { ignorePreferredTermsOfExistingPods: true },
    skip: true,
  },
];

describe('InterPodAffinity Score', () => {
  for (const tc of scoreCases) {
    it(tc.name, () => {
      const nodes = nodeInfos(NODES, tc.existing ?? []);
      const pl = newPlugin(nodes, tc.args);
      assert.equal(pl.preScore(new CycleState(), tc.pod, nodes).code, tc.skip ? Code.Skip : Code.Success);
      if (tc.skip) return;
      const scores = runScore(pl, tc.pod, nodes);
      assert.deepEqual(Object.fromEntries(scores.map((s) => [s.name, s.score])), tc.want);
    });
  }

  it('rejects hardPodAffinityWeight out of range', () => {
    assert.throws(() => newPlugin([], { hardPodAffinityWeight: 101 }), /not in valid range/);
  });
});
