/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The endpoints controller through a real API server: Services and pods
 * made with the API (pods bound to a node by hand, their status written as
 * a kubelet would), the controller run by a ControllerManager, and what a
 * user sees (the Endpoints object, `kubectl get endpoints`, `kubectl
 * describe service`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import type { KubeObject } from '../../client/types.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { runningStatus, setPodReady } from '../daemonset/testing/kubelet.js';
import { ControllerManager } from '../manager.js';
import { endpointsRegistration } from './endpoints.js';

describe('the endpoints controller over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  let m: ControllerManager;
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
    // an Endpoints object whose Service is gone, left from before the controller ran
    await client.create({ resource: 'endpoints', namespace: 'default' }, { metadata: { name: 'leftover' }, subsets: [{ addresses: [{ ip: '10.9.9.9' }] }] });
    m = new ControllerManager({ client, registry: new Map([['endpoints', endpointsRegistration]]), log: () => {} });
    await m.start();
  });
  after(async () => {
    await m?.stop();
    client?.close();
    await t?.stop();
  });

  const ns = 'default';
  const ep = async (name: string): Promise<any> => {
    const r = await t.call('GET', `/api/v1/namespaces/${ns}/endpoints/${name}`);
    return r.code === 200 ? r.body : undefined;
  };
  const ips = (list: any[] | undefined): string[] => (list ?? []).map((a) => a.ip as string).sort();
  let ip = 0;
  /** A pod bound to n1, running with an IP (ready or not), as its kubelet would report it. */
  const runPod = async (name: string, labels: Record<string, string>, o: { ready?: boolean; spec?: Record<string, unknown> } = {}): Promise<string> => {
    await client.create({ resource: 'pods', namespace: ns }, {
      metadata: { name, labels },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }], ...(o.spec ?? {}) },
    });
    const addr = `10.244.0.${++ip + 1}`;
    await client.patch({ resource: 'pods', namespace: ns, name, subresource: 'status' }, 'merge', { status: runningStatus(addr, o.ready ?? true) });
    return addr;
  };
  const service = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    client.create({ resource: 'services', namespace: ns }, { metadata: { name, ...(labels ? { labels } : {}) }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } });

  it('lists the selected pods, ready and not, with ports from named targetPorts, and follows them', async () => {
    await service('web', { selector: { app: 'web' } }, { team: 'a' });
    const empty = await until('the Endpoints of web', () => ep('web'));
    assert.equal(empty.subsets, undefined, 'no pods yet: an Endpoints object without subsets');
    assert.deepEqual(empty.metadata.labels, { team: 'a' }, "the service's labels");

    const a = await runPod('web-a', { app: 'web' });
    const b = await runPod('web-b', { app: 'web' }, { ready: false });
    await runPod('other', { app: 'other' });
    await runPod('web-h', { app: 'web' }, { spec: { hostname: 'h0', subdomain: 'web' } });
    const got = await until('three addresses', async () => {
      const e = await ep('web');
      const n = (e?.subsets ?? []).reduce((k: number, ss: any) => k + (ss.addresses?.length ?? 0) + (ss.notReadyAddresses?.length ?? 0), 0);
      return n === 3 ? e : undefined;
    });
    assert.equal(got.subsets.length, 1);
    const [ss] = got.subsets;
    assert.deepEqual(ss.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }], 'the named targetPort resolved to the container port');
    assert.deepEqual(ips(ss.notReadyAddresses), [b]);
    assert.equal(ss.addresses.length, 2);
    const addrA = ss.addresses.find((x: any) => x.ip === a);
    const pod = (await t.call('GET', `/api/v1/namespaces/${ns}/pods/web-a`)).body;
    assert.deepEqual(addrA, { ip: a, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: ns, name: 'web-a', uid: pod.metadata.uid } });
    assert.equal(ss.addresses.find((x: any) => x.targetRef.name === 'web-h').hostname, 'h0', 'the hostname of a pod whose subdomain is the service');
    assert.match(got.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // readiness moves an address; a deleted pod goes
    await setPodReady(client, ns, 'web-b', true);
    await until('web-b ready', async () => ((await ep('web'))?.subsets?.[0]?.notReadyAddresses === undefined ? true : undefined));
    await client.delete({ resource: 'pods', namespace: ns, name: 'web-a' }, { gracePeriodSeconds: 0 });
    const after = await until('web-a gone', async () => {
      const e = await ep('web');
      return ips(e?.subsets?.[0]?.addresses).includes(a) ? undefined : e;
    });
    assert.equal(after.subsets[0].addresses.length, 2);

    // what kubectl shows
    const get = await t.kubectl('get', 'endpoints', 'web');
    assert.equal(get.status, 0, get.stderr);
    assert.match(get.stdout, /^NAME\s+ENDPOINTS\s+AGE\nweb\s+10\.244\.0\.\d+:8080,10\.244\.0\.\d+:8080\s+\d+s\n$/);
  });

  it('publishes not-ready addresses as ready when the service asks', async () => {
    await runPod('db-0', { app: 'db' }, { ready: false });
    await service('db', { selector: { app: 'db' }, clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432, targetPort: 5432 }] });
    const e = await until('db endpoints', async () => ((await ep('db'))?.subsets ? ep('db') : undefined));
    assert.equal(e.subsets[0].addresses.length, 1);
    assert.equal(e.subsets[0].notReadyAddresses, undefined);
    assert.deepEqual(e.subsets[0].ports, [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    assert.equal(e.metadata.labels['service.kubernetes.io/headless'], '', 'a headless service is labelled so');
  });

  it('leaves a service without a selector alone, deletes the Endpoints of a deleted service and those left over', async () => {
    await service('external', {});
    await client.create({ resource: 'endpoints', namespace: ns }, { metadata: { name: 'external' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }] });
    await until('leftover endpoints deleted', async () => ((await ep('leftover')) ? undefined : true));
    await client.delete({ resource: 'services', namespace: ns, name: 'web' });
    await until('web endpoints deleted', async () => ((await ep('web')) ? undefined : true));
    const ext = await ep('external');
    assert.deepEqual(ips(ext.subsets[0].addresses), ['192.0.2.1'], "the user's endpoints are kept as written");
    assert.equal(ext.metadata.annotations, undefined);
  });

  it('kubectl describe service: what kubectl 1.32 shows against kubeling', async () => {
    await service('shown', { selector: { app: 'db' }, ports: [{ port: 5432 }] });
    await until('shown endpoints', async () => ((await ep('shown'))?.subsets ? true : undefined));
    const d = await t.kubectl('describe', 'service', 'shown', '-v=6');
    assert.equal(d.status, 0, d.stderr);
    // kubectl 1.32 reads the service's discovery.k8s.io/v1 EndpointSlices (label kubernetes.io/service-name),
    // not its Endpoints; only the endpoints controller runs here, so there are none and the Endpoints line
    // says <none> (endpointslice/endpointslice.test.ts shows it with the endpointslice controller)
    assert.match(d.stderr, /GET \S+\/apis\/discovery\.k8s\.io\/v1\/namespaces\/default\/endpointslices\?labelSelector=kubernetes\.io%2Fservice-name%3Dshown 200/);
    assert.match(d.stdout, /^Endpoints:\s+<none>$/m);
  });

  it('records nothing on the objects it reads', async () => {
    const events = (await t.call('GET', `/api/v1/namespaces/${ns}/events`)).body.items as KubeObject[];
    assert.deepEqual(events.filter((e: any) => e.source?.component === 'endpoint-controller'), [], 'no failed writes');
  });
});
