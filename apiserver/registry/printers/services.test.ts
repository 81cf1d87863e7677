import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { endpointsPrinter, servicePrinter } from './services.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const CREATED = '2025-03-01T11:15:00Z';
const obj = (o: Record<string, unknown>) => o as KubeObject;

describe('service rows', () => {
  it('has the columns of kubectl get services, Selector wide', () => {
    assert.deepEqual(
      servicePrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Type', 0],
        ['Cluster-IP', 0],
        ['External-IP', 0],
        ['Port(s)', 0],
        ['Age', 0],
        ['Selector', 1],
      ],
    );
  });

  const tcp = (port: number, nodePort?: number) => ({ port, protocol: 'TCP', targetPort: port, ...(nodePort ? { nodePort } : {}) });
  const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, unknown[]][] = [
    [
      'a ClusterIP service',
      { type: 'ClusterIP', clusterIP: '10.96.12.34', clusterIPs: ['10.96.12.34'], selector: { app: 'web', tier: 'frontend' }, ports: [tcp(80), { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }] },
      undefined,
      ['web', 'ClusterIP', '10.96.12.34', '<none>', '80/TCP,53/UDP', '45m', 'app=web,tier=frontend'],
    ],
    [
      'headless, without a selector or ports',
      { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] },
      undefined,
      ['web', 'ClusterIP', 'None', '<none>', '<none>', '45m', '<none>'],
    ],
    [
      'ClusterIP with external IPs',
      { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], externalIPs: ['198.51.100.7', '198.51.100.8'], ports: [tcp(443)] },
      undefined,
      ['web', 'ClusterIP', '10.96.0.10', '198.51.100.7,198.51.100.8', '443/TCP', '45m', '<none>'],
    ],
    [
      'dual-stack: the first cluster IP',
      { type: 'ClusterIP', clusterIP: 'fd00:10:96::a', clusterIPs: ['fd00:10:96::a', '10.96.0.20'], ports: [tcp(80)] },
      undefined,
      ['web', 'ClusterIP', 'fd00:10:96::a', '<none>', '80/TCP', '45m', '<none>'],
    ],
    [
      'a NodePort service',
      { type: 'NodePort', clusterIP: '10.96.44.1', clusterIPs: ['10.96.44.1'], selector: { app: 'web' }, ports: [tcp(80, 30080), tcp(443, 30443)] },
      undefined,
      ['web', 'NodePort', '10.96.44.1', '<none>', '80:30080/TCP,443:30443/TCP', '45m', 'app=web'],
    ],
    [
      'a LoadBalancer waiting for its address',
      { type: 'LoadBalancer', clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'], ports: [tcp(80, 31000)] },
      { loadBalancer: {} },
      ['web', 'LoadBalancer', '10.96.7.7', '<pending>', '80:31000/TCP', '45m', '<none>'],
    ],
    [
      'a LoadBalancer with addresses, sorted and long ones kept whole',
      { type: 'LoadBalancer', clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'], ports: [tcp(80, 31000)] },
      { loadBalancer: { ingress: [{ ip: '203.0.113.20' }, { hostname: 'a1b2c3-123456789.us-east-1.elb.amazonaws.com' }, { ip: '203.0.113.10' }, { ip: '203.0.113.10' }] } },
      ['web', 'LoadBalancer', '10.96.7.7', '203.0.113.10,203.0.113.20,a1b2c3-123456789.us-east-1.elb.amazonaws.com', '80:31000/TCP', '45m', '<none>'],
    ],
    [
      'a LoadBalancer with external IPs after its addresses',
      { type: 'LoadBalancer', clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'], externalIPs: ['198.51.100.1'], ports: [tcp(80, 31000)] },
      { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
      ['web', 'LoadBalancer', '10.96.7.7', '203.0.113.10,198.51.100.1', '80:31000/TCP', '45m', '<none>'],
    ],
    [
      'a LoadBalancer with only external IPs',
      { type: 'LoadBalancer', clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'], externalIPs: ['198.51.100.1'], ports: [tcp(80, 31000)] },
      undefined,
      ['web', 'LoadBalancer', '10.96.7.7', '198.51.100.1', '80:31000/TCP', '45m', '<none>'],
    ],
    ['an ExternalName service', { type: 'ExternalName', externalName: 'db.example.com' }, undefined, ['web', 'ExternalName', '<none>', 'db.example.com', '<none>', '45m', '<none>']],
  ];
  for (const [title, spec, status, want] of cases) {
    it(title, () => assert.deepEqual(servicePrinter.cells(obj({ metadata: { name: 'web', creationTimestamp: CREATED }, spec, ...(status ? { status } : {}) }), NOW), want));
  }
});

describe('endpoints rows', () => {
  const ep = (subsets: unknown) => obj({ metadata: { name: 'web', creationTimestamp: CREATED }, ...(subsets === undefined ? {} : { subsets }) });
  const addrs = (...ips: string[]) => ips.map((ip) => ({ ip }));
  const cases: [string, KubeObject, string][] = [
    ['no subsets', ep(undefined), '<none>'],
    ['an empty list of subsets', ep([]), '<none>'],
    ['two endpoints', ep([{ addresses: addrs('10.244.1.5', '10.244.2.9'), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]), '10.244.1.5:8080,10.244.2.9:8080'],
    ['only not-ready endpoints', ep([{ notReadyAddresses: addrs('10.244.1.5'), ports: [{ port: 8080, protocol: 'TCP' }] }]), ''],
    ['a headless service without ports', ep([{ addresses: addrs('10.244.1.5', '10.244.2.9') }]), '10.244.1.5,10.244.2.9'],
    ['exactly three', ep([{ addresses: addrs('10.0.0.1', '10.0.0.2', '10.0.0.3'), ports: [{ port: 80 }] }]), '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80'],
    ['five: three and 2 more', ep([{ addresses: addrs('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'), ports: [{ port: 80 }] }]), '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...'],
    [
      'each port of each subset counts',
      ep([
        { addresses: addrs('10.0.0.1', '10.0.0.2'), ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] },
        { addresses: addrs('10.0.1.1'), ports: [{ port: 9090 }] },
      ]),
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...',
    ],
    ['IPv6 in brackets', ep([{ addresses: addrs('fd00::5'), ports: [{ port: 80 }] }]), '[fd00::5]:80'],
  ];
  for (const [title, o, want] of cases) {
    it(title, () => assert.deepEqual(endpointsPrinter.cells(o, NOW), ['web', want, '45m']));
  }
  it('has Name, Endpoints, Age', () => assert.deepEqual(endpointsPrinter.columns.map((c) => c.name), ['Name', 'Endpoints', 'Age']));
});
