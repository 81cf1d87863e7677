import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod, TopologySpreadConstraint } from '../../../client/types.js';
import { CycleState } from '../../framework/cyclestate.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { Code } from '../../framework/status.js';
import { fakeHandle, makePod, nodeInfos, runScore } from '../testing.js';
import { LABEL_HOSTNAME, LABEL_ZONE } from './common.js';
import { newPodTopologySpread, type PodTopologySpread } from './index.js';

import { ZONE, constraint, incoming, podsOn, zoned } from './testing.js';

interface ScoreCase {
  name: string;
  pod: Pod;
  nodes: Node[];
  existing?: Pod[];
  /** The feasible nodes (default: all). */
  filtered?: string[];
  args?: Record<string, unknown>;
  want: Record<string, number>;
}

const soft = (maxSkew: number, key: string, more: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint =>
  constraint(maxSkew, key, { whenUnsatisfiable: 'ScheduleAnyway', ...more });
const hosts = ['node-a', 'node-b', 'node-c', 'node-d'].map((n) => zoned(n, n < 'node-c' ? 'zone1' : 'zone2'));
const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1', controller: true };
const web = (name: string, nodeName?: string): Pod => {
  const p = makePod({ name, labels: { app: 'web', 'pod-template-hash': 'abc' }, ...(nodeName ? { nodeName } : {}) });
  p.metadata.ownerReferences = [owner];
  return p;
};

const scoreCases: ScoreCase[] = [
  {
    name: 'one constraint on node, no existing pods',
    pod: incoming({ topologySpreadConstraints: [soft(1, LABEL_HOSTNAME)] }),
    nodes: hosts.slice(0, 2),
    want: { 'node-a': 100, 'node-b': 100 },
  },
  {
    name: 'one constraint on node, all 4 nodes are candidates: 2/1/0/3',
    pod: incoming({ topologySpreadConstraints: [soft(1, LABEL_HOSTNAME)] }),
    nodes: hosts,
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-d', 3)],
    want: { 'node-a': 20, 'node-b': 60, 'node-c': 100, 'node-d': 0 },
  },
  {
    name: 'one constraint on node, null selector: all 100',
    pod: incoming({ topologySpreadConstraints: [soft(1, LABEL_HOSTNAME, { labelSelector: null })] }),
    nodes: hosts,
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-d', 3)],
    want: { 'node-a': 100, 'node-b': 100, 'node-c': 100, 'node-d': 100 },
  },
  {
    name: 'one constraint on node, 2/1/0/3, maxSkew 2',
    pod: incoming({ topologySpreadConstraints: [soft(2, LABEL_HOSTNAME)] }),
    nodes: hosts,
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-d', 3)],
    want: { 'node-a': 33, 'node-b': 66, 'node-c': 100, 'node-d': 16 },
  },
  {
    name: 'one constraint on node, 4/3/2/1, maxSkew 3',
    pod: incoming({ topologySpreadConstraints: [soft(3, LABEL_HOSTNAME)] }),
    nodes: hosts,
    existing: [...podsOn('node-a', 4), ...podsOn('node-b', 3), ...podsOn('node-c', 2), ...podsOn('node-d', 1)],
    want: { 'node-a': 44, 'node-b': 66, 'node-c': 77, 'node-d': 100 },
  },
  {
    name: 'one constraint on node, only node-a and node-b are candidates',
    pod: incoming({ topologySpreadConstraints: [soft(1, LABEL_HOSTNAME)] }),
    nodes: hosts,
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-d', 3)],
    filtered: ['node-a', 'node-b'],
    want: { 'node-a': 33, 'node-b': 100 },
  },
  {
    name: 'one constraint on zone: zone1 holds 3, zone2 holds 1',
    pod: incoming({ topologySpreadConstraints: [soft(1, ZONE)] }),
    nodes: hosts,
    existing: [...podsOn('node-a', 2), ...podsOn('node-b', 1), ...podsOn('node-d', 1)],
    want: { 'node-a': 25, 'node-b': 25, 'node-c': 100, 'node-d': 100 },
  },
  {
    name: 'a node missing the topology key scores 0',
    pod: incoming({ topologySpreadConstraints: [soft(1, ZONE)] }),
    nodes: [hosts[0]!, zoned('node-z', undefined)],
    existing: podsOn('node-a', 1),
    want: { 'node-a': 100, 'node-z': 0 },
  },
  {
    name: 'maxSkew waters down differences',
    pod: incoming({ topologySpreadConstraints: [soft(5, LABEL_HOSTNAME)] }),
    nodes: hosts.slice(0, 2),
    existing: podsOn('node-a', 2),
    want: { 'node-a': 57, 'node-b': 100 },
  },
  {
    name: 'system default constraints for a ReplicaSet pod, nodes without a zone still spread by host',
    pod: web('new'),
    nodes: [hosts[0]!, hosts[1]!, zoned('node-z', undefined)],
    existing: [web('w1', 'node-a'), web('w2', 'node-a')],
    want: { 'node-a': 16, 'node-b': 41, 'node-z': 100 },
  },
  {
    name: 'List defaulting with hostname maxSkew 1',
    pod: web('new'),
    nodes: hosts.slice(0, 2),
    existing: [web('w1', 'node-a'), web('w2', 'node-a')],
    args: { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway' }] },
    want: { 'node-a': 0, 'node-b': 100 },
  },
];

const newPlugin = (nodes: NodeInfo[], args?: Record<string, unknown>): PodTopologySpread => newPodTopologySpread(args, fakeHandle(nodes));

describe('PodTopologySpread Score', () => {
  for (const tc of scoreCases) {
    it(tc.name, () => {
      const all = nodeInfos(tc.nodes, tc.existing ?? []);
      const filtered = tc.filtered ? all.filter((n) => tc.filtered!.includes(n.name)) : all;
      const pl = newPlugin(all, tc.args);
      assert.equal(pl.preScore(new CycleState(), tc.pod, filtered).code, Code.Success);
      const scores = runScore(pl, tc.pod, filtered);
      assert.deepEqual(Object.fromEntries(scores.map((s) => [s.name, s.score])), tc.want);
    });
  }

  it('PreScore skips pods without ScheduleAnyway constraints or defaults', () => {
    const nodes = nodeInfos(hosts, []);
    const pl = newPlugin(nodes);
    for (const pod of [makePod({ name: 'plain', labels: { app: 'x' } }), incoming({ topologySpreadConstraints: [constraint(1, ZONE)] })]) {
      assert.equal(pl.preScore(new CycleState(), pod, nodes).code, Code.Skip, pod.metadata.name);
    }
    assert.equal(newPlugin([]).preScore(new CycleState(), web('w'), []).code, Code.Skip, 'no nodes');
  });

  it('uses the zone label constant for the system defaults', () => {
    const pl = newPlugin([]);
    assert.deepEqual(
      pl.defaultConstraints.map((c) => [c.topologyKey, c.maxSkew]),
      [
        [LABEL_HOSTNAME, 3],
        [LABEL_ZONE, 5],
      ],
    );
  });
});
