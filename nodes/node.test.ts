/** The Node, its status and its Lease as a simulated kubelet writes them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsCurrent, leaseObject, nodeObject, nodeStatus, parseTaint, type NodeSpec } from './node.js';

const spec: NodeSpec = {
  name: 'n1',
  capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
  zone: 'zone-b',
  taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  podCIDR: '10.244.1.0/24',
  ip: '127.0.0.1',
  port: 10250,
  bootID: 'boot',
};
const T0 = Date.parse('2025-01-01T00:00:00Z');

describe('a simulated node', () => {
  it('registers with kubelet\'s labels, its taints, pod CIDR, capacity, addresses and system info', () => {
    const n = nodeObject(spec, T0);
    assert.deepEqual(n.metadata.labels, {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'n1',
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': 'kubeling.4cpu-16Gi',
      'topology.kubernetes.io/zone': 'zone-b',
    });
    assert.deepEqual(n.spec, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'], taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const st = n.status!;
    assert.equal(st.capacity!.cpu, '4');
    assert.deepEqual(st.allocatable, st.capacity);
    assert.deepEqual(st.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'n1' }]);
    assert.deepEqual(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.deepEqual(
      st.conditions!.map((c) => [c.type, c.status, c.reason, c.message, c.lastHeartbeatTime, c.lastTransitionTime]),
      [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
        ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'],
      ],
    );
  });

  it('keeps a condition\'s transition time while its status holds, and moves it when the status changes (a NotReady node coming back)', () => {
    const before = nodeStatus(spec, T0).conditions!;
    const later = nodeStatus(spec, T0 + 60_000, before).conditions!;
    assert.deepEqual([later[3]!.lastTransitionTime, later[3]!.lastHeartbeatTime], ['2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z']);
    const unknown = before.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : c));
    assert.equal(conditionsCurrent(before), true);
    assert.equal(conditionsCurrent(unknown), false);
    assert.equal(nodeStatus(spec, T0 + 60_000, unknown).conditions![3]!.lastTransitionTime, '2025-01-01T00:01:00Z');
  });

  it('renews a Lease held by the node, owned by its Node', () => {
    const l = leaseObject('n1', 'uid-n1', 40, T0);
    assert.deepEqual(l.metadata, { name: 'n1', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1' }] });
    assert.deepEqual(l.spec, { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.000000Z' });
    const renewed = leaseObject('n1', 'uid-n1', 40, T0 + 10_000, { ...l, metadata: { ...l.metadata, resourceVersion: '7' } });
    assert.equal(renewed.metadata.resourceVersion, '7', 'an update is guarded by the copy it renews');
    assert.equal(renewed.spec!.renewTime, '2025-01-01T00:00:10.000000Z');
  });

  it('parses taints as kubelet --register-with-taints', () => {
    assert.deepEqual(parseTaint('dedicated=gpu:NoSchedule'), { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' });
    assert.deepEqual(parseTaint('example.com/spot:PreferNoSchedule'), { key: 'example.com/spot', effect: 'PreferNoSchedule' });
    assert.throws(() => parseTaint('a=b'), /expected key=value:Effect/);
    assert.throws(() => parseTaint('a=b:Sometimes'), /the effect must be one of/);
  });
});
