import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../client/types.js';
import type { Service } from '../endpoints/subsets.js';
import { addressTypesFor, reconcile, type Plan, type ReconcileInput } from './reconciler.js';
import type { Endpoint, EndpointSlice } from './types.js';

const UID = 'svc-uid';
const svc = (spec: Service['spec'] = {}, labels?: Record<string, string>): Service => ({
  metadata: { name: 'web', namespace: 'default', uid: UID, ...(labels ? { labels } : {}) },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

interface PodOptions {
  ready?: boolean;
  node?: string;
  deleting?: boolean;
  phase?: 'Running' | 'Succeeded' | 'Failed';
  ips?: string[];
  port?: string;
  hostname?: string;
}
const pod = (name: string, ip: string | undefined, o: PodOptions = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
  spec: {
    nodeName: o.node ?? 'n1',
    containers: [{ name: 'c', image: 'nginx', ports: [{ name: o.port ?? 'http', containerPort: 8080 }] }],
    ...(o.hostname ? { hostname: o.hostname, subdomain: 'web' } : {}),
  },
  status: {
    phase: o.phase ?? 'Running',
    ...(ip ? { podIP: ip, podIPs: (o.ips ?? [ip]).map((x) => ({ ip: x })) } : {}),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});
const nodes: Record<string, Node> = {
  n1: { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } },
  n2: { metadata: { name: 'n2' } },
};
const input = (o: Partial<ReconcileInput>): ReconcileInput => ({ service: svc(), pods: [], node: (n) => nodes[n], slices: [], maxEndpointsPerSlice: 100, ...o });

const LABELS = { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
const OWNER = [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: UID, controller: true, blockOwnerDeletion: true }];
const HTTP = [{ name: 'http', port: 8080, protocol: 'TCP' }];
const READY = { ready: true, serving: true, terminating: false };
const ep = (name: string, ip: string, extra: Partial<Endpoint> = {}): Endpoint => ({
  addresses: [ip],
  conditions: READY,
  targetRef: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` },
  nodeName: 'n1',
  zone: 'zone-a',
  ...extra,
});
/** A slice as the API server would hold it. */
const stored = (name: string, endpoints: Endpoint[] | null, ports: EndpointSlice['ports'] = HTTP, o: { labels?: Record<string, string>; owner?: string; addressType?: string } = {}): EndpointSlice => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', generation: 1, labels: o.labels ?? LABELS, ownerReferences: [{ ...OWNER[0]!, uid: o.owner ?? UID }] },
  addressType: o.addressType ?? 'IPv4',
  endpoints,
  ports,
});
const names = (slices: EndpointSlice[]) => slices.map((s) => s.metadata.name ?? `(new ${s.metadata.generateName})`);
const summary = (p: Plan) => ({ create: names(p.create), update: names(p.update), delete: names(p.delete) });
const NOTHING = { create: [], update: [], delete: [] };

describe('endpointslice reconciler', () => {
  it('a service without pods gets one placeholder slice: no endpoints, no ports', () => {
    const plan = reconcile(input({}));
    assert.deepEqual(plan.create, [
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { generateName: 'web-', namespace: 'default', labels: LABELS, ownerReferences: OWNER }, addressType: 'IPv4', endpoints: [], ports: [] },
    ]);
    assert.deepEqual([plan.update, plan.delete, plan.skipped], [[], [], []]);
    assert.deepEqual(summary(reconcile(input({ slices: [stored('web-p', null, null)] }))), NOTHING, 'the placeholder is there: nothing to write');
  });

  it('one endpoint per pod: conditions, node, zone, pod, hostname; ports from named targetPorts', () => {
    const pods = [pod('b', '10.244.0.6', { ready: false }), pod('a', '10.244.0.5', { hostname: 'a0' }), pod('c', '10.244.1.7', { node: 'n2', deleting: true })];
    const plan = reconcile(input({ pods }));
    assert.equal(plan.create.length, 1);
    const [s] = plan.create;
    assert.deepEqual(s!.ports, HTTP);
    assert.deepEqual(s!.endpoints, [
      ep('a', '10.244.0.5', { hostname: 'a0' }),
      ep('b', '10.244.0.6', { conditions: { ready: false, serving: false, terminating: false } }),
      { addresses: ['10.244.1.7'], conditions: { ready: false, serving: true, terminating: true }, targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: 'uid-c' }, nodeName: 'n2' },
    ]);
  });

  it('publishNotReadyAddresses: every endpoint ready', () => {
    const plan = reconcile(input({ service: svc({ publishNotReadyAddresses: true }), pods: [pod('a', '10.244.0.5', { ready: false, deleting: true })] }));
    assert.deepEqual(plan.create[0]!.endpoints![0]!.conditions, { ready: true, serving: false, terminating: true });
  });

  it('leaves out finished pods and pods without an IP', () => {
    const pods = [pod('done', '10.244.0.5', { phase: 'Succeeded' }), pod('failed', '10.244.0.6', { phase: 'Failed' }), pod('pending', undefined)];
    assert.deepEqual(reconcile(input({ pods })).create[0]!.endpoints, [], 'only the placeholder');
  });

  it('fills slices up to --max-endpoints-per-slice', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((n, i) => pod(n, `10.244.0.${i + 1}`));
    const plan = reconcile(input({ pods, maxEndpointsPerSlice: 2 }));
    assert.deepEqual(
      plan.create.map((s) => s.endpoints!.map((e) => e.targetRef!.name)),
      [['a', 'b'], ['c', 'd'], ['e']],
    );
  });

  it('writes nothing when the slices are as they should be', () => {
    const pods = [pod('a', '10.244.0.5'), pod('b', '10.244.0.6')];
    const slices = [stored('web-x', [ep('b', '10.244.0.6'), ep('a', '10.244.0.5')])];
    assert.deepEqual(summary(reconcile(input({ pods, slices }))), NOTHING);
  });

  it('updates a slice in place when an endpoint changes or goes', () => {
    const slices = [stored('web-x', [ep('a', '10.244.0.5'), ep('b', '10.244.0.6')])];
    const plan = reconcile(input({ pods: [pod('a', '10.244.0.5', { ready: false })], slices }));
    assert.deepEqual(summary(plan), { create: [], update: ['web-x'], delete: [] });
    assert.deepEqual(plan.update[0]!.endpoints, [ep('a', '10.244.0.5', { conditions: { ready: false, serving: false, terminating: false } })]);
    assert.equal(plan.update[0]!.metadata.resourceVersion, '7', 'guarded by the version it replaces');
    assert.deepEqual(slices[0]!.endpoints!.length, 2, 'the cached slice is left as it was');
  });

  it('the last endpoint going turns the slice into the placeholder (an update, not a delete and a create)', () => {
    const plan = reconcile(input({ slices: [stored('web-x', [ep('a', '10.244.0.5')])] }));
    assert.deepEqual(summary(plan), { create: [], update: ['web-x'], delete: [] });
    assert.deepEqual([plan.update[0]!.endpoints, plan.update[0]!.ports], [[], []]);
  });

  it('a new endpoint goes into the existing slice it fits best, else a new one', () => {
    const full = stored('web-full', [ep('a', '10.244.0.1'), ep('b', '10.244.0.2')]);
    const room = stored('web-room', [ep('c', '10.244.0.3')]);
    const pods = ['a', 'b', 'c', 'd'].map((n, i) => pod(n, `10.244.0.${i + 1}`));
    const plan = reconcile(input({ pods, slices: [full, room], maxEndpointsPerSlice: 2 }));
    assert.deepEqual(summary(plan), { create: [], update: ['web-room'], delete: [] });
    assert.deepEqual(plan.update[0]!.endpoints!.map((e) => e.targetRef!.name), ['c', 'd']);
    const more = reconcile(input({ pods: [...pods, pod('e', '10.244.0.9')], slices: [full, room], maxEndpointsPerSlice: 2 }));
    assert.deepEqual(summary(more), { create: ['(new web-)'], update: [], delete: [] }, 'two new endpoints fit no existing slice');
  });

  it("follows the service's labels, without letting them override the reserved ones", () => {
    const service = svc({}, { team: 'a', 'kubernetes.io/service-name': 'other' });
    const plan = reconcile(input({ service, pods: [pod('a', '10.244.0.5')], slices: [stored('web-x', [ep('a', '10.244.0.5')])] }));
    assert.deepEqual(summary(plan), { create: [], update: ['web-x'], delete: [] });
    assert.deepEqual(plan.update[0]!.metadata.labels, { team: 'a', ...LABELS });
  });

  it('a headless service: the headless label, and endpoints without ports when it has none', () => {
    const plan = reconcile(input({ service: svc({ clusterIP: 'None', ports: [] }), pods: [pod('a', '10.244.0.5')] }));
    assert.deepEqual(plan.create[0]!.metadata.labels, { 'service.kubernetes.io/headless': '', ...LABELS });
    assert.deepEqual([plan.create[0]!.ports, plan.create[0]!.endpoints!.length], [[], 1]);
  });

  it('groups pods by the ports they serve: a pod without the named port gets a slice of its own', () => {
    const plan = reconcile(input({ pods: [pod('a', '10.244.0.5'), pod('b', '10.244.0.6', { port: 'web' })] }));
    assert.deepEqual(
      plan.create.map((s) => [s.ports, s.endpoints!.map((e) => e.targetRef!.name)]),
      [
        [HTTP, ['a']],
        [[], ['b']],
      ],
    );
  });

  it('deletes slices the service does not own and slices of address types it no longer has', () => {
    const pods = [pod('a', '10.244.0.5')];
    const slices = [stored('web-x', [ep('a', '10.244.0.5')]), stored('web-old', [ep('a', '10.244.0.5')], HTTP, { owner: 'old-uid' }), stored('web-v6', [ep('a', 'fd00::5')], HTTP, { addressType: 'IPv6' })];
    assert.deepEqual(summary(reconcile(input({ pods, slices }))), { create: [], update: [], delete: ['web-v6', 'web-old'] });
  });

  it('address types come from ipFamilies, else the cluster IP, else both (headless)', () => {
    assert.deepEqual(addressTypesFor(svc({ ipFamilies: ['IPv6', 'IPv4'] })), ['IPv6', 'IPv4']);
    assert.deepEqual(addressTypesFor(svc({ ipFamilies: [], clusterIP: 'fd00:10:96::a' })), ['IPv6']);
    assert.deepEqual(addressTypesFor(svc({ ipFamilies: [], clusterIP: 'None' })), ['IPv4', 'IPv6']);
    const dual = reconcile(input({ service: svc({ ipFamilies: ['IPv4', 'IPv6'] }), pods: [pod('a', '10.244.0.5', { ips: ['10.244.0.5', 'fd00::5'] })] }));
    assert.deepEqual(
      dual.create.map((s) => [s.addressType, s.endpoints![0]!.addresses]),
      [
        ['IPv4', ['10.244.0.5']],
        ['IPv6', ['fd00::5']],
      ],
    );
  });

  it('a pod on a node the cache lacks is left out and reported, unless not-ready addresses are published', () => {
    const pods = [pod('a', '10.244.0.5'), pod('lost', '10.244.0.6', { node: 'gone' })];
    const plan = reconcile(input({ pods }));
    assert.deepEqual(plan.create[0]!.endpoints!.map((e) => e.targetRef!.name), ['a']);
    assert.deepEqual(plan.skipped, ['skipping Pod lost for Service default/web: node "gone" not found']);
    const published = reconcile(input({ service: svc({ publishNotReadyAddresses: true }), pods }));
    assert.deepEqual([published.create[0]!.endpoints!.length, published.skipped], [2, []]);
    assert.equal(published.create[0]!.endpoints![1]!.zone, undefined);
  });
});
