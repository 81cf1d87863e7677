import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from '../../api/core/node.js';
import type { KubeObject } from '../../api/meta.js';
import { nodePrinter } from './nodes.js';

const NOW = new Date('2025-03-01T12:00:00Z');

/** A kind-style node created 3 days 4 hours before NOW. */
function node(over: { labels?: Record<string, string>; ready?: string | null; unschedulable?: boolean; addresses?: { type: string; address: string }[]; info?: Record<string, string> } = {}): KubeObject {
  const n: Node = {
    metadata: { name: 'kind-worker', creationTimestamp: '2025-02-26T08:00:00Z', labels: { 'kubernetes.io/hostname': 'kind-worker', ...over.labels } },
    spec: { podCIDR: '10.244.1.0/24', ...(over.unschedulable ? { unschedulable: true } : {}) },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        ...(over.ready === null ? [] : [{ type: 'Ready', status: over.ready ?? 'True', reason: 'KubeletReady' }]),
      ],
      addresses: over.addresses ?? [
        { type: 'InternalIP', address: '172.18.0.3' },
        { type: 'Hostname', address: 'kind-worker' },
      ],
      nodeInfo: over.info ?? { kubeletVersion: 'v1.32.2', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.8.0-51-generic', containerRuntimeVersion: 'containerd://2.0.2' },
    },
  };
  return n as KubeObject;
}

describe('node rows', () => {
  it('has the columns of kubectl get nodes, addresses and machine wide', () => {
    assert.deepEqual(
      nodePrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Status', 0],
        ['Roles', 0],
        ['Age', 0],
        ['Version', 0],
        ['Internal-IP', 1],
        ['External-IP', 1],
        ['OS-Image', 1],
        ['Kernel-Version', 1],
        ['Container-Runtime', 1],
      ],
    );
  });

  it('fills every cell of a ready worker', () => {
    assert.deepEqual(nodePrinter.cells(node(), NOW), [
      'kind-worker',
      'Ready',
      '<none>',
      '3d4h',
      'v1.32.2',
      '172.18.0.3',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.8.0-51-generic',
      'containerd://2.0.2',
    ]);
  });

  const cases: [string, KubeObject, string, string][] = [
    ['ready', node(), 'Ready', '<none>'],
    ['not ready', node({ ready: 'False' }), 'NotReady', '<none>'],
    ['ready unknown is not ready', node({ ready: 'Unknown' }), 'NotReady', '<none>'],
    ['no Ready condition yet', node({ ready: null }), 'Unknown', '<none>'],
    ['cordoned', node({ unschedulable: true }), 'Ready,SchedulingDisabled', '<none>'],
    ['cordoned and down', node({ ready: 'False', unschedulable: true }), 'NotReady,SchedulingDisabled', '<none>'],
    ['control plane', node({ labels: { 'node-role.kubernetes.io/control-plane': '' } }), 'Ready', 'control-plane'],
    [
      'roles sorted, from both labels, without duplicates',
      node({ labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/etcd': 'true', 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': '' } }),
      'Ready',
      'etcd,worker',
    ],
    ['an empty kubernetes.io/role is no role', node({ labels: { 'kubernetes.io/role': '' } }), 'Ready', '<none>'],
  ];
  for (const [title, obj, status, roles] of cases) {
    it(title, () => assert.deepEqual(nodePrinter.cells(obj, NOW).slice(1, 3), [status, roles]));
  }

  it('takes the first address of each type, and <unknown> for what the kubelet did not report', () => {
    const obj = node({
      addresses: [
        { type: 'Hostname', address: 'n1' },
        { type: 'ExternalIP', address: '203.0.113.9' },
        { type: 'InternalIP', address: '10.0.0.4' },
        { type: 'InternalIP', address: '10.0.0.5' },
      ],
      info: {},
    });
    assert.deepEqual(nodePrinter.cells(obj, NOW).slice(4), ['', '10.0.0.4', '203.0.113.9', '<unknown>', '<unknown>', '<unknown>']);
  });
});
