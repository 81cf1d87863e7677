/**
 * The endpoints controller's pure logic: which pods a service's Endpoints
 * list and how (addresses, ports from targetPort, readiness, repacking,
 * truncation), change detection, and the trigger time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../client/types.js';
import { computeSubsets, findPort, MAX_CAPACITY, podToEndpointAddress, repackSubsets, subsetsKey, type Service } from './subsets.js';
import { rfc3339Nano, TriggerTimeTracker } from './triggertime.js';

const svc = (spec: Service['spec'] = {}, name = 'web'): Service => ({
  metadata: { name, namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

interface PodOpts {
  ip?: string;
  ready?: boolean;
  phase?: NonNullable<Pod['status']>['phase'];
  deleting?: boolean;
  node?: string;
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
  hostname?: string;
  subdomain?: string;
  readySince?: string;
}

const pod = (name: string, o: PodOpts = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: {
    nodeName: o.node ?? 'n1',
    containers: [{ name: 'c', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }] }],
    ...(o.hostname ? { hostname: o.hostname } : {}),
    ...(o.subdomain ? { subdomain: o.subdomain } : {}),
  },
  status: {
    phase: o.phase ?? 'Running',
    ...(o.ip === '' ? {} : { podIP: o.ip ?? `10.0.0.${name.length}` }),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2024-01-01T00:00:05Z' }],
  },
});

describe('findPort', () => {
  const p = pod('a', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  const cases: [string, Parameters<typeof findPort>[1], number | undefined][] = [
    ['a number is taken as is', { port: 80, targetPort: 9000 }, 9000],
    ['unset targetPort is the port', { port: 80 }, 80],
    ['a numeric string is a number', { port: 80, targetPort: '9001' }, 9001],
    ['a name is looked up', { port: 80, targetPort: 'http' }, 8080],
    ['a name needs the same protocol', { port: 53, targetPort: 'dns' }, undefined],
    ['a name of another protocol', { port: 53, targetPort: 'dns', protocol: 'UDP' }, 53],
    ['an unknown name', { port: 80, targetPort: 'nope' }, undefined],
  ];
  for (const [name, sp, want] of cases) it(name, () => assert.equal(findPort(p, sp), want));
  it('finds a named port of a restartable init container (a sidecar)', () => {
    const q = pod('q');
    q.spec.initContainers = [{ name: 'side', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }];
    assert.equal(findPort(q, { port: 1, targetPort: 'proxy' }), 15001);
  });
});

describe('podToEndpointAddress', () => {
  it('carries the IP, node and a targetRef; the hostname only when the subdomain is the service', () => {
    assert.deepEqual(podToEndpointAddress(svc(), pod('a', { ip: '10.0.0.1', hostname: 'h', subdomain: 'other' })), {
      ip: '10.0.0.1',
      nodeName: 'n1',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
    });
    assert.equal(podToEndpointAddress(svc(), pod('a', { hostname: 'h', subdomain: 'web' }))?.hostname, 'h');
  });
  it('picks the IP of the service family', () => {
    const p = pod('a', { ip: '10.0.0.1' });
    p.status!.podIPs = [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }];
    assert.equal(podToEndpointAddress(svc({ ipFamilies: ['IPv6'] }), p)?.ip, 'fd00::1');
    assert.equal(podToEndpointAddress(svc({ ipFamilies: ['IPv4'] }), p)?.ip, '10.0.0.1');
  });
});

describe('computeSubsets', () => {
  it('puts ready pods in addresses, others in notReadyAddresses, by the ports they serve; leaves out pods it must', () => {
    const pods = [
      pod('a', { ip: '10.0.0.3' }),
      pod('b', { ip: '10.0.0.1' }),
      pod('c', { ip: '10.0.0.2', ready: false }),
      pod('d', { ip: '10.0.0.4', ports: [{ name: 'metrics', containerPort: 9090 }] }), // no http port
      pod('e', { ip: '' }), // no IP yet
      pod('f', { ip: '10.0.0.6', phase: 'Succeeded' }),
      pod('g', { ip: '10.0.0.7', deleting: true }),
    ];
    const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' }] });
    const { subsets, truncated } = computeSubsets(s, pods);
    assert.equal(truncated, false);
    const ips = (l?: { ip: string }[]) => (l ?? []).map((a) => a.ip);
    // a numeric targetPort is served by every pod, a named one only by pods with that port: two subsets
    assert.equal(subsets.length, 2, JSON.stringify(subsets));
    const http = subsets.find((ss) => ss.ports?.[0]?.name === 'http')!;
    assert.deepEqual(ips(http.addresses), ['10.0.0.1', '10.0.0.3'], 'sorted by IP');
    assert.deepEqual(ips(http.notReadyAddresses), ['10.0.0.2']);
    assert.deepEqual(http.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const metrics = subsets.find((ss) => ss.ports?.[0]?.name === 'metrics')!;
    assert.deepEqual(ips(metrics.addresses), ['10.0.0.1', '10.0.0.3', '10.0.0.4']);
    assert.deepEqual(ips(metrics.notReadyAddresses), ['10.0.0.2']);
    assert.deepEqual(metrics.ports, [{ name: 'metrics', port: 9090, protocol: 'TCP' }]);
    assert.equal(computeSubsets(svc(), pods.slice(0, 3)).subsets.length, 1, 'pods serving the same ports share a subset');
  });
  it('with publishNotReadyAddresses lists every pod as ready, those being deleted too', () => {
    const { subsets } = computeSubsets(svc({ publishNotReadyAddresses: true }), [pod('a', { ready: false }), pod('bb', { deleting: true })]);
    assert.deepEqual(subsets.map((ss) => [ss.addresses?.length, ss.notReadyAddresses]), [[2, undefined]]);
  });
  it('lists a headless service without ports by address only', () => {
    const { subsets } = computeSubsets(svc({ clusterIP: 'None', ports: [] }), [pod('a')]);
    assert.deepEqual(subsets, [{ addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }] }]);
    assert.deepEqual(computeSubsets(svc({ ports: [] }), [pod('a')]).subsets, [], 'a service with a cluster IP and no ports lists nothing');
  });
  it('truncates past MAX_CAPACITY, ready addresses first', () => {
    const pods: Pod[] = [];
    for (let i = 0; i < MAX_CAPACITY + 10; i++) pods.push(pod(`p${i}`, { ip: `10.1.${Math.floor(i / 250)}.${i % 250}`, ready: i >= 20 }));
    const { subsets, truncated } = computeSubsets(svc(), pods);
    assert.equal(truncated, true);
    const ready = subsets.reduce((n, ss) => n + (ss.addresses?.length ?? 0), 0);
    const notReady = subsets.reduce((n, ss) => n + (ss.notReadyAddresses?.length ?? 0), 0);
    assert.deepEqual([ready, notReady], [MAX_CAPACITY - 10, 10], 'all 990 ready kept, then 10 of the 20 not ready');
  });
});

describe('repackSubsets and subsetsKey', () => {
  const a = { ip: '10.0.0.1' };
  const b = { ip: '10.0.0.2' };
  it('merges an address listed twice, not ready winning', () => {
    const out = repackSubsets([{ addresses: [a], ports: [{ port: 80 }] }, { notReadyAddresses: [a], addresses: [b], ports: [{ port: 80 }] }]);
    assert.deepEqual(out, [{ addresses: [b], notReadyAddresses: [a], ports: [{ port: 80 }] }]);
  });
  it('is blind to order and targetRef resourceVersions', () => {
    const x = [{ addresses: [{ ...a, targetRef: { kind: 'Pod', uid: 'u', resourceVersion: '5' } }, b], ports: [{ port: 80, protocol: 'TCP' }, { port: 81 }] }];
    const y = [{ addresses: [b, { ...a, targetRef: { kind: 'Pod', uid: 'u' } }], ports: [{ port: 81, protocol: 'TCP' }, { port: 80 }] }];
    assert.equal(subsetsKey(x), subsetsKey(y));
    assert.notEqual(subsetsKey(x), subsetsKey([{ addresses: [a], ports: [{ port: 80 }] }]));
    assert.equal(subsetsKey(undefined), subsetsKey([]));
  });
});

describe('TriggerTimeTracker', () => {
  it('gives a new service its creation time, then the earliest change since the last computation', () => {
    const t = new TriggerTimeTracker();
    const s = svc();
    assert.equal(t.compute(s, [pod('a')]), Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(t.compute(s, [pod('a')]), undefined, 'nothing moved');
    const later = [pod('a', { readySince: '2024-01-01T00:01:00Z' }), pod('b', { readySince: '2024-01-01T00:00:30Z' })];
    assert.equal(t.compute(s, later), Date.parse('2024-01-01T00:00:30Z'));
    t.forget('default', 'web');
    assert.equal(t.compute(s, later), Date.parse('2024-01-01T00:00:00Z'), 'forgotten: new again');
  });
  it('writes times as Go RFC3339Nano', () => {
    assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:00:00Z')), '2024-01-01T00:00:00Z');
    assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:00:00.120Z')), '2024-01-01T00:00:00.12Z');
  });
});
