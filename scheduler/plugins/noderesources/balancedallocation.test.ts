import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../../client/types.js';
import { makeNode, makePod, nodeInfo, runScore } from '../testing.js';
import { BalancedAllocation, type BalancedAllocationArgs } from './balancedallocation.js';

const resourcePod = (milliCPU: number, memory: number): Pod => makePod({ cpu: `${milliCPU}m`, memory });
const node = (name: string, milliCPU: number, memory: number, ephemeralStorage?: number) =>
  makeNode({ name, cpu: `${milliCPU}m`, memory, ...(ephemeralStorage !== undefined ? { ephemeralStorage } : {}) });

describe('NodeResourcesBalancedAllocation.score', () => {
  const cases: { name: string; pod: Pod; nodes: ReturnType<typeof nodeInfo>[]; args?: BalancedAllocationArgs; want: number[] }[] = [
    {
      name: 'nothing scheduled, nothing requested',
      pod: makePod(),
      nodes: [nodeInfo(node('node1', 4000, 10000)), nodeInfo(node('node2', 4000, 10000))],
      want: [100, 100],
    },
    {
      name: 'nothing scheduled, resources requested, differently sized nodes',
      pod: resourcePod(3000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000)), nodeInfo(node('node2', 6000, 10000))],
      want: [87, 100],
    },
    {
      name: 'no resources requested, pods scheduled with resources (requests as written, not the non-zero defaults)',
      pod: makePod(),
      nodes: [nodeInfo(node('node1', 4000, 10000), resourcePod(3000, 0)), nodeInfo(node('node2', 4000, 10000), resourcePod(3000, 5000))],
      want: [62, 87],
    },
    {
      name: 'resources requested, pods scheduled with resources',
      pod: resourcePod(1000, 2000),
      nodes: [nodeInfo(node('node1', 10000, 20000), resourcePod(2000, 4000)), nodeInfo(node('node2', 10000, 20000), resourcePod(6000, 2000))],
      want: [100, 75],
    },
    {
      name: 'requested resources at node capacity: fractions are capped at 1',
      pod: resourcePod(8000, 5000),
      nodes: [nodeInfo(node('node1', 4000, 10000))],
      want: [75],
    },
    {
      name: 'three resources: the standard deviation of all fractions',
      pod: makePod({ cpu: '3000m', memory: 5000, ephemeralStorage: 1000 }),
      nodes: [nodeInfo(node('node1', 4000, 10000, 4000))],
      args: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'ephemeral-storage', weight: 1 }] },
      want: [79],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const scores = runScore(new BalancedAllocation(c.args), c.pod, c.nodes);
      assert.deepEqual(scores.map((s) => s.score), c.want);
    });
  }
});
