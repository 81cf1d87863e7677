/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The endpointslice controller through a real API server: Services, Nodes
 * and pods made with the API (pods bound by hand, their status written as a
 * kubelet would), the controller run by a ControllerManager (at most 3
 * endpoints a slice, so that a few pods fill several), and what a user sees:
 * the slices, `kubectl get endpointslices`, `kubectl describe service`,
 * `kubectl api-resources`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { createNode, runningStatus, setPodReady } from '../daemonset/testing/kubelet.js';
import type { ControllerContext } from '../controller.js';
import { ControllerManager } from '../manager.js';
import { EndpointSliceController } from './endpointslice.js';
import type { EndpointSlice } from './types.js';

/** The controller, counting the syncs each key has had (a barrier for "it looked and wrote nothing"). */
class Counted extends EndpointSliceController {
  readonly syncs = new Map<string, number>();
  constructor(ctx: ControllerContext) {
    super(ctx, { maxEndpointsPerSlice: 3 });
  }
  protected override async sync(key: string): Promise<void> {
    try {
      await super.sync(key);
    } finally {
      this.syncs.set(key, (this.syncs.get(key) ?? 0) + 1);
    }
  }
}

describe('the endpointslice controller over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  let m: ControllerManager;
  let controller: Counted;
  const logged: string[] = [];
  const ns = 'default';
  const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: ns } as const;
  const MANAGED = { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };

  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
    await createNode(client, 'n1', { labels: { 'topology.kubernetes.io/zone': 'zone-a' } });
    await createNode(client, 'n2', { labels: { 'topology.kubernetes.io/zone': 'zone-b' } });
    // a slice of this controller's whose Service is gone, left from before it ran
    await client.create(SLICES, { metadata: { name: 'gone-abcde', labels: { 'kubernetes.io/service-name': 'gone', ...MANAGED } }, addressType: 'IPv4' });
    m = new ControllerManager({ client, registry: new Map([['endpointslice-controller', { factory: (ctx) => (controller = new Counted(ctx)), workers: 5 }]]), log: (l) => logged.push(l) });
    await m.start();
  });
  after(async () => {
    await m?.stop();
    client?.close();
    await t?.stop();
  });

  const slicesOf = async (service: string): Promise<EndpointSlice[]> =>
    (await client.list<EndpointSlice>(SLICES, { labelSelector: `kubernetes.io/service-name=${service}` })).items.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const endpointsOf = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints ?? []);
  const count = async (service: string, n: number): Promise<EndpointSlice[]> => until(`${n} endpoints of ${service}`, async () => {
    const s = await slicesOf(service);
    return endpointsOf(s).length === n ? s : undefined;
  });
  let ip = 0;
  /** A pod bound to `node`, running with an IP (ready or not), as its kubelet would report it. */
  const runPod = async (name: string, labels: Record<string, string>, o: { ready?: boolean; node?: string } = {}): Promise<string> => {
    await client.create({ resource: 'pods', namespace: ns }, { metadata: { name, labels }, spec: { nodeName: o.node ?? 'n1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } });
    const addr = `10.244.0.${++ip + 1}`;
    await client.patch({ resource: 'pods', namespace: ns, name, subresource: 'status' }, 'merge', { status: runningStatus(addr, o.ready ?? true) });
    return addr;
  };
  const service = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    client.create<any>({ resource: 'services', namespace: ns }, { metadata: { name, ...(labels ? { labels } : {}) }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } });

  it('serves discovery.k8s.io/v1 endpointslices, as kubectl api-resources shows', async () => {
    const res = await t.kubectl('api-resources', '--api-group=discovery.k8s.io', '--no-headers');
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice\n$/);
    const legacy = await t.call('GET', '/apis/discovery.k8s.io/v1');
    assert.deepEqual(
      legacy.body.resources.map((r: any) => [r.name, r.singularName, r.namespaced, r.kind, r.shortNames]),
      [['endpointslices', 'endpointslice', true, 'EndpointSlice', undefined]],
    );
    assert.ok((await t.call('GET', '/apis')).body.groups.some((g: any) => g.name === 'discovery.k8s.io' && g.preferredVersion.groupVersion === 'discovery.k8s.io/v1'));
  });

  it('a service without pods gets a placeholder slice; pods fill it in place, with their conditions, nodes and zones', async () => {
    const svc = await service('web', { selector: { app: 'web' } }, { team: 'a' });
    const [placeholder] = await until('the placeholder', async () => ((await slicesOf('web')).length === 1 ? slicesOf('web') : undefined));
    assert.match(placeholder!.metadata.name!, /^web-[a-z0-9]{5}$/);
    assert.deepEqual([placeholder!.addressType, placeholder!.endpoints, placeholder!.ports], ['IPv4', null, null]);
    assert.deepEqual(placeholder!.metadata.labels, { team: 'a', 'kubernetes.io/service-name': 'web', ...MANAGED });
    assert.deepEqual(placeholder!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const empty = await t.kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web');
    assert.match(empty.stdout, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\nweb-\w{5}\s+IPv4\s+<unset>\s+<unset>\s+\d+s\n$/);

    const a = await runPod('web-a', { app: 'web' });
    const b = await runPod('web-b', { app: 'web' }, { ready: false, node: 'n2' });
    await runPod('other', { app: 'other' });
    const [slice] = await count('web', 2);
    assert.equal(slice!.metadata.name, placeholder!.metadata.name, 'the placeholder was updated, not replaced');
    assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }], 'the named targetPort resolved to the container port');
    const pod = (await t.call('GET', `/api/v1/namespaces/${ns}/pods/web-a`)).body;
    const byName = new Map(endpointsOf([slice!]).map((e) => [e.targetRef!.name, e]));
    assert.deepEqual(byName.get('web-a'), { addresses: [a], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: ns, name: 'web-a', uid: pod.metadata.uid }, nodeName: 'n1', zone: 'zone-a' });
    assert.deepEqual(byName.get('web-b')!.conditions, { ready: false, serving: false, terminating: false });
    assert.deepEqual([byName.get('web-b')!.addresses, byName.get('web-b')!.zone], [[b], 'zone-b']);
    assert.match(slice!.metadata.annotations!['endpoints.kubernetes.io/last-change-trigger-time']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // readiness is followed in place
    await setPodReady(client, ns, 'web-b', true);
    await until('web-b ready', async () => (endpointsOf(await slicesOf('web')).every((e) => e.conditions?.ready) ? true : undefined));

    // what kubectl shows: kubectl 1.32's describe reads the slices (ready endpoints only)
    const d = await t.kubectl('describe', 'service', 'web');
    assert.equal(d.status, 0, d.stderr);
    const line = /^Endpoints:\s+(\S+)$/m.exec(d.stdout);
    assert.deepEqual(line?.[1]?.split(',').sort(), [`${a}:8080`, `${b}:8080`].sort(), d.stdout);
    const get = await t.kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web');
    assert.equal(get.status, 0, get.stderr);
    assert.match(get.stdout, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\nweb-\w{5}\s+IPv4\s+8080\s+10\.244\.0\.\d+,10\.244\.0\.\d+\s+\d+s\n$/);
  });

  it('a terminating pod stays, serving but not ready, until it is gone', async () => {
    await client.delete({ resource: 'pods', namespace: ns, name: 'web-a' }, { gracePeriodSeconds: 30 });
    await until('web-a terminating', async () => {
      const e = endpointsOf(await slicesOf('web')).find((x) => x.targetRef?.name === 'web-a');
      return e?.conditions?.terminating ? e : undefined;
    }).then((e) => assert.deepEqual(e.conditions, { ready: false, serving: true, terminating: true }));
    const d = await t.kubectl('describe', 'service', 'web');
    assert.doesNotMatch(d.stdout, new RegExp(`^Endpoints:.*${(await slicesOf('web'))[0]!.endpoints!.find((x) => x.targetRef?.name === 'web-a')!.addresses![0]!.replace(/\./g, '\\.')}:`, 'm'));
    await client.delete({ resource: 'pods', namespace: ns, name: 'web-a' }, { gracePeriodSeconds: 0 });
    const [slice] = await count('web', 1);
    assert.equal(slice!.endpoints![0]!.targetRef!.name, 'web-b');
  });

  it('spreads endpoints over slices of at most --max-endpoints-per-slice, and writes nothing when nothing changed', async () => {
    await service('many', { selector: { app: 'many' } });
    for (const n of ['m1', 'm2', 'm3', 'm4', 'm5']) await runPod(n, { app: 'many' });
    const slices = await count('many', 5);
    assert.deepEqual(slices.map((s) => s.endpoints!.length).sort(), [2, 3]);
    const get = await t.kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=many', '--no-headers');
    assert.match(get.stdout, /10\.244\.0\.\d+,10\.244\.0\.\d+,10\.244\.0\.\d+\s+\d+s\n/, 'a full slice lists its three addresses');

    // a sync that finds everything as it should be writes nothing
    const before = slices.map((s) => s.metadata.resourceVersion);
    const synced = controller.syncs.get(`${ns}/many`) ?? 0;
    await client.patch({ resource: 'services', namespace: ns, name: 'many' }, 'merge', { metadata: { annotations: { touched: 'yes' } } });
    await until('another sync of many', () => ((controller.syncs.get(`${ns}/many`) ?? 0) > synced ? true : undefined));
    assert.deepEqual((await slicesOf('many')).map((s) => s.metadata.resourceVersion), before);

    // a label on the service is carried to every slice
    await client.patch({ resource: 'services', namespace: ns, name: 'many' }, 'merge', { metadata: { labels: { tier: 'db' } } });
    await until('relabelled slices', async () => ((await slicesOf('many')).every((s) => s.metadata.labels?.tier === 'db') ? true : undefined));
  });

  it('brings back a slice someone deleted, and reports pods on a node it does not know', async () => {
    const [slice] = await slicesOf('web');
    await client.delete({ ...SLICES, name: slice!.metadata.name! });
    await until('a new slice of web', async () => {
      const s = await slicesOf('web');
      return s.length === 1 && s[0]!.metadata.name !== slice!.metadata.name && endpointsOf(s).length === 1 ? true : undefined;
    });

    await runPod('web-lost', { app: 'web' }, { node: 'n3' });
    const event = await until('a FailedToUpdateEndpointSlices event', async () => {
      const items = (await t.call('GET', `/api/v1/namespaces/${ns}/events`)).body.items as any[];
      return items.find((e) => e.reason === 'FailedToUpdateEndpointSlices');
    });
    assert.equal(event.type, 'Warning');
    assert.equal(event.involvedObject.name, 'web');
    assert.equal(event.message, 'Error updating Endpoint Slices for Service default/web: skipping Pod web-lost for Service default/web: node "n3" not found');
    await createNode(client, 'n3', { labels: { 'topology.kubernetes.io/zone': 'zone-c' } });
    const slices = await count('web', 2);
    assert.equal(endpointsOf(slices).find((e) => e.targetRef?.name === 'web-lost')?.zone, 'zone-c');
  });

  it('deletes the slices of a deleted service, of a service that lost its selector, and those left over', async () => {
    await until('the leftover slice deleted', async () => ((await slicesOf('gone')).length === 0 ? true : undefined));
    await client.delete({ resource: 'services', namespace: ns, name: 'web' });
    await until('the slices of web deleted', async () => ((await slicesOf('web')).length === 0 ? true : undefined));
    await client.patch({ resource: 'services', namespace: ns, name: 'many' }, 'json', [{ op: 'remove', path: '/spec/selector' }]);
    await until('the slices of many deleted', async () => ((await slicesOf('many')).length === 0 ? true : undefined));
    // a slice of a service without a selector is the user's
    await service('external', {});
    await client.create(SLICES, { metadata: { name: 'external-1', labels: { 'kubernetes.io/service-name': 'external' } }, addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.1'] }], ports: [{ port: 80 }] });
    const synced = controller.syncs.get(`${ns}/external`) ?? 0;
    await client.patch({ resource: 'services', namespace: ns, name: 'external' }, 'merge', { metadata: { annotations: { touched: 'yes' } } });
    await until('another sync of external', () => ((controller.syncs.get(`${ns}/external`) ?? 0) > synced ? true : undefined));
    const [mine] = await slicesOf('external');
    assert.deepEqual(mine!.ports, [{ name: '', port: 80, protocol: 'TCP' }], 'kept, with the defaults');
  });

  it('retried nothing but the pod on the unknown node (and a cache behind its own writes)', () => {
    const retries = logged.filter((l) => l.includes('retrying'));
    assert.ok(retries.some((l) => l.includes('node "n3" not found')));
    assert.deepEqual(retries.filter((l) => !/node "n3" not found|informer cache is out of date/.test(l)), []);
  });
});
