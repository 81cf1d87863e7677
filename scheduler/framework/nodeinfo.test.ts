import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from '../../client/types.js';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, hostPortsOf, NodeInfo, podRequests } from './nodeinfo.js';

const c = (name: string, cpu?: string, restartPolicy?: string): Container => ({
  name,
  ...(cpu ? { resources: { requests: { cpu } } } : {}),
  ...(restartPolicy ? { restartPolicy } : {}),
});
const pod = (containers: Container[], initContainers: Container[] = [], overhead?: Record<string, string>): Pod => ({
  metadata: { name: 'p', uid: 'p' },
  spec: { containers, initContainers, ...(overhead ? { overhead } : {}) },
});

describe('podRequests', () => {
  const cases: { name: string; pod: Pod; wantMilliCPU: number; wantNonZeroMilliCPU?: number }[] = [
    { name: 'containers are summed', pod: pod([c('a', '100m'), c('b', '200m')]), wantMilliCPU: 300 },
    { name: 'an init container larger than the containers wins', pod: pod([c('a', '100m')], [c('i', '1')]), wantMilliCPU: 1000 },
    { name: 'sidecars run beside the containers', pod: pod([c('a', '100m')], [c('s', '50m', 'Always')]), wantMilliCPU: 150 },
    { name: 'an init container runs beside the sidecars started before it', pod: pod([c('a', '100m')], [c('s', '50m', 'Always'), c('i', '1')]), wantMilliCPU: 1050 },
    { name: 'a sidecar started after an init container does not add to it', pod: pod([c('a', '100m')], [c('i', '1'), c('s', '50m', 'Always')]), wantMilliCPU: 1000 },
    { name: 'overhead is added', pod: pod([c('a', '100m')], [], { cpu: '10m' }), wantMilliCPU: 110 },
    { name: 'a container without requests counts the default in non-zero', pod: pod([c('a'), c('b', '0')]), wantMilliCPU: 0, wantNonZeroMilliCPU: DEFAULT_MILLI_CPU_REQUEST },
  ];
  for (const t of cases) {
    it(t.name, () => {
      assert.equal(podRequests(t.pod).milliCPU, t.wantMilliCPU);
      if (t.wantNonZeroMilliCPU !== undefined) assert.equal(podRequests(t.pod, true).milliCPU, t.wantNonZeroMilliCPU);
    });
  }
  it('non-zero memory defaults to 200Mi', () => assert.equal(podRequests(pod([c('a')]), true).memory, DEFAULT_MEMORY_REQUEST));
});

describe('hostPortsOf', () => {
  const cases: { name: string; pod: Pod; want: string[] }[] = [
    { name: 'containers\' host ports, with defaults', pod: pod([{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }]), want: ['TCP/0.0.0.0/8080'] },
    {
      name: 'sidecars\' host ports count, other init containers\' do not',
      pod: pod([], [{ name: 'i', ports: [{ containerPort: 1, hostPort: 1 }] }, { name: 's', restartPolicy: 'Always', ports: [{ containerPort: 2, hostPort: 2, protocol: 'UDP', hostIP: '10.0.0.1' }] }]),
      want: ['UDP/10.0.0.1/2'],
    },
  ];
  for (const t of cases) it(t.name, () => assert.deepEqual(hostPortsOf(t.pod).map((p) => `${p.protocol}/${p.ip}/${p.port}`), t.want));

  it('NodeInfo.removePod frees the pod\'s ports', () => {
    const ni = new NodeInfo({ metadata: { name: 'n' } });
    ni.addPod(pod([{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }] }]));
    assert.equal(ni.usedPorts.size, 1);
    assert.equal(ni.removePod('p'), true);
    assert.equal(ni.usedPorts.size, 0);
  });
});
