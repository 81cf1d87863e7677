/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { RestClient, userAgent } from '../../client/rest.js';
import type { Watch } from '../../client/watch.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { TestApi } from '../../test/apiserver.js';
import { until, waitUntil } from '../../test/proc.js';
import type { KubeObject } from '../api/meta.js';
import type { ObservedWatcher, ObservedWrite } from '../http/observe.js';
import { componentOf, createFlow, FlowRecorder, MAX_DELIVERIES, type FlowEntry } from './flow.js';
import { stateOf, summarize } from './flowsummary.js';
import { uiServer } from './index.js';

/** The user agents of kubeling's components, as they send them. */
const KUBECTL = 'kubectl/v1.32.4-dispatcher (linux/amd64) kubernetes/4cb5f07'; // kubectl 1.32's (what `kubectl version` builds)
const SCHEDULER = Scheduler.userAgent(); // scheduler/scheduler.ts
const CONTROLLER_MANAGER = `kubeling-controller-manager/v0.1.0 (${process.platform}/${process.arch}) kube-controller-manager`; // cli/controller-manager.ts
const KUBELET = userAgent('kubelet'); // cli/nodes.ts
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('flow: components from user agents', () => {
  it("names kubectl, kubeling's and kube's components, the dashboard and others", () => {
    const cases: [string | undefined, string][] = [
      [KUBECTL, 'kubectl'],
      ['kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9', 'kubectl'],
      ['kubectl.exe/v1.32.0 (windows/amd64) kubernetes/70d3cc9', 'kubectl'],
      [SCHEDULER, 'kube-scheduler'],
      ['kube-scheduler/v1.32.0 (linux/amd64) kubernetes/70d3cc9/scheduler', 'kube-scheduler'],
      [CONTROLLER_MANAGER, 'kube-controller-manager'],
      ['kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/system:serviceaccount:kube-system:replicaset-controller', 'kube-controller-manager/replicaset-controller'],
      ['kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/shared-informers', 'kube-controller-manager/shared-informers'],
      [`kubeling-controller-manager/v0.1.0 (linux/x64) kube-controller-manager/deployment-controller`, 'kube-controller-manager/deployment-controller'],
      [KUBELET, 'kubelet'],
      ['kubelet/v1.32.0 (linux/amd64) kubernetes/70d3cc9', 'kubelet'],
      [BROWSER, 'dashboard'],
      [userAgent('kubeling'), 'kubeling'],
      ['curl/8.5.0', 'curl'],
      ['Go-http-client/1.1', 'Go-http-client'],
      ['', 'unknown'],
      [undefined, 'unknown'],
    ];
    for (const [ua, want] of cases) assert.equal(componentOf(ua), want, String(ua));
  });
});

/** A recorder on a clock the test moves. */
function recorder(capacity?: number): { r: FlowRecorder; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { r: new FlowRecorder({ ...(capacity ? { capacity } : {}), now: () => clock.t }), clock };
}

const watcher = (userAgent: string, resource = 'pods'): ObservedWatcher => ({ user: 'u', userAgent, resource });

function pod(rv: number, extra: { nodeName?: string; phase?: string; deleting?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'default',
      uid: 'pod-uid',
      resourceVersion: String(rv),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs', uid: 'rs-uid', controller: true }],
      ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}) },
    status: { phase: extra.phase ?? 'Pending' },
  };
}

function w(o: Partial<ObservedWrite> & { startedAt: number }): ObservedWrite {
  return { verb: 'create', resource: 'pods', group: '', kind: 'Pod', namespace: 'default', name: 'web-1', code: 201, user: 'u', userAgent: CONTROLLER_MANAGER, durationMs: 2, ...o };
}

describe('flow: the recorder', () => {
  it('follows a pod: created, bound, Running, deleted; deliveries before and after the answer; causes', () => {
    const { r, clock } = recorder();
    const sched = watcher(SCHEDULER);
    const kubelet = watcher(KUBELET);
    // the controller manager creates the pod: the scheduler's event goes out before the create's answer is done
    clock.t = 1001;
    r.delivered(sched, 'ADDED', pod(10));
    r.write(w({ startedAt: 1000, object: pod(10) }));
    // the scheduler binds it (the answer is a Status: the write is matched to its event by object)
    r.write(w({ startedAt: 1005, userAgent: SCHEDULER, subresource: 'binding', request: { target: { kind: 'Node', name: 'node-1' } } }));
    clock.t = 1007;
    r.delivered(kubelet, 'ADDED', pod(11, { nodeName: 'node-1' }));
    r.delivered(sched, 'MODIFIED', pod(11, { nodeName: 'node-1' }));
    // the kubelet reports it Running
    r.write(w({ startedAt: 1010, verb: 'patch', code: 200, userAgent: KUBELET, subresource: 'status', object: pod(12, { nodeName: 'node-1', phase: 'Running' }) }));
    clock.t = 1012.25;
    r.delivered(sched, 'MODIFIED', pod(12, { nodeName: 'node-1', phase: 'Running' }));
    r.delivered(kubelet, 'MODIFIED', pod(12, { nodeName: 'node-1', phase: 'Running' }));
    // a refused write: recorded, with its message
    r.write(w({ startedAt: 1015, verb: 'update', code: 409, userAgent: KUBELET, failure: { reason: 'Conflict', message: 'the object has been modified' } }));
    // the kubelet deletes it: the answer is the pod as it was
    r.write(w({ startedAt: 1020, verb: 'delete', code: 200, userAgent: KUBELET, object: pod(12, { nodeName: 'node-1', phase: 'Running' }), deleted: true }));
    clock.t = 1021;
    r.delivered(sched, 'DELETED', pod(13, { nodeName: 'node-1', phase: 'Running' }));

    const { entries, next } = r.list();
    assert.equal(next, 5);
    const pick = (e: FlowEntry) => [e.seq, e.verb, e.subresource, e.component, e.revision, e.summary, e.cause, e.deliveries.map((d) => `${d.component} ${d.type} ${d.atMs}`)];
    assert.deepEqual(entries.map(pick), [
      [1, 'create', undefined, 'kube-controller-manager', 10, 'created', undefined, ['kube-scheduler ADDED 1']],
      [2, 'create', 'binding', 'kube-scheduler', 11, 'bound to node-1', 1, ['kubelet ADDED 2', 'kube-scheduler MODIFIED 2']],
      [3, 'patch', 'status', 'kubelet', 12, 'phase Running', 2, ['kube-scheduler MODIFIED 2.3', 'kubelet MODIFIED 2.3']],
      [4, 'update', undefined, 'kubelet', undefined, 'the object has been modified', undefined, []],
      [5, 'delete', undefined, 'kubelet', 13, 'deleted', 3, ['kube-scheduler DELETED 1']],
    ]);
    const first = entries[0]!;
    assert.equal(first.time, new Date(1000).toISOString());
    assert.equal(first.durationMs, 2);
    assert.deepEqual(first.owners, [{ kind: 'ReplicaSet', name: 'web-rs', uid: 'rs-uid' }]);
    assert.equal(first.uid, 'pod-uid');
    assert.equal(entries[1]!.uid, 'pod-uid', 'a binding names the pod it bound (remembered from the create)');
    assert.deepEqual(entries[1]!.owners, first.owners);
    assert.deepEqual(first.deliveries[0], { component: 'kube-scheduler', userAgent: SCHEDULER, user: 'u', resource: 'pods', type: 'ADDED', atMs: 1 });
  });

  it('relates writes through owners: a ReplicaSet made for a Deployment, a pod for the ReplicaSet', () => {
    const { r, clock } = recorder();
    const cm = watcher(CONTROLLER_MANAGER, 'deployments');
    const meta = (name: string, uid: string, rv: number, owner?: { kind: string; name: string; uid: string }) => ({
      name,
      namespace: 'default',
      uid,
      resourceVersion: String(rv),
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...owner }] } : {}),
    });
    r.write(w({ startedAt: 100, resource: 'deployments', kind: 'Deployment', name: 'web', userAgent: KUBECTL, object: { kind: 'Deployment', metadata: meta('web', 'd', 5), spec: { replicas: 1 } } }));
    clock.t = 101;
    r.delivered(cm, 'ADDED', { metadata: meta('web', 'd', 5) });
    r.write(w({ startedAt: 102, resource: 'replicasets', kind: 'ReplicaSet', name: 'web-x', object: { kind: 'ReplicaSet', metadata: meta('web-x', 'rs', 6, { kind: 'Deployment', name: 'web', uid: 'd' }) } }));
    clock.t = 103;
    r.delivered(watcher(CONTROLLER_MANAGER, 'replicasets'), 'ADDED', { metadata: meta('web-x', 'rs', 6) });
    r.write(w({ startedAt: 104, name: 'web-x-1', object: { kind: 'Pod', metadata: meta('web-x-1', 'p', 7, { kind: 'ReplicaSet', name: 'web-x', uid: 'rs' }) } }));
    // the ReplicaSet's status, after its pod: the pod is owned by it
    clock.t = 105;
    r.delivered(watcher(CONTROLLER_MANAGER), 'ADDED', { metadata: meta('web-x-1', 'p', 7) });
    r.write(
      w({
        startedAt: 106,
        verb: 'update',
        code: 200,
        subresource: 'status',
        resource: 'replicasets',
        kind: 'ReplicaSet',
        name: 'web-x',
        object: { kind: 'ReplicaSet', metadata: meta('web-x', 'rs', 8, { kind: 'Deployment', name: 'web', uid: 'd' }), status: { replicas: 1, readyReplicas: 0 } },
      }),
    );
    // a scale by kubectl
    r.write(w({ startedAt: 107, verb: 'patch', code: 200, subresource: 'scale', resource: 'deployments', kind: 'Deployment', name: 'web', userAgent: KUBECTL, object: { kind: 'Scale', metadata: meta('web', 'd', 9), spec: { replicas: 3 } } }));
    const got = r.list().entries.map((e) => [e.seq, e.component, e.summary, e.cause]);
    assert.deepEqual(got, [
      [1, 'kubectl', 'created', undefined],
      [2, 'kube-controller-manager', 'created', 1],
      [3, 'kube-controller-manager', 'created', 2],
      [4, 'kube-controller-manager', 'ready 0/1', 3],
      [5, 'kubectl', 'replicas 3', undefined],
    ]);
    assert.equal(r.list().entries[4]!.uid, 'd');
    assert.equal(r.list().entries[4]!.revision, 9);
  });

  it('keeps the last N entries: older ones and their revisions go', () => {
    const { r, clock } = recorder(3);
    for (let i = 1; i <= 5; i++) r.write(w({ startedAt: i, name: `p${i}`, object: { metadata: { name: `p${i}`, namespace: 'default', resourceVersion: String(100 + i) } } }));
    assert.deepEqual(
      r.list().entries.map((e) => e.seq),
      [3, 4, 5],
    );
    assert.deepEqual(r.list(0, 2), { entries: r.list().entries.slice(0, 2), next: 4 });
    assert.deepEqual(r.list(4).entries.map((e) => e.seq), [5]);
    assert.deepEqual(r.list(5), { entries: [], next: 5 });
    assert.deepEqual(r.list(99), { entries: [], next: 5 }, 'a since from before a restart resumes from now');
    clock.t = 10;
    r.delivered(watcher(SCHEDULER), 'ADDED', { metadata: { name: 'p1', namespace: 'default', resourceVersion: '101' } });
    r.delivered(watcher(SCHEDULER), 'ADDED', { metadata: { name: 'p5', namespace: 'default', resourceVersion: '105' } });
    assert.deepEqual(
      r.list().entries.map((e) => e.deliveries.length),
      [0, 0, 1],
    );
  });

  it('finds causes only among the kept entries, through a wrap of the ring', () => {
    const { r, clock } = recorder(3);
    const sched = watcher(SCHEDULER);
    const named = (name: string, rv: number): KubeObject => ({ metadata: { name, namespace: 'default', uid: `${name}-uid`, resourceVersion: String(rv) } });
    const cycle = (name: string, rv: number, t: number): void => {
      r.write(w({ startedAt: t, name, object: named(name, rv) }));
      clock.t = t + 1;
      r.delivered(sched, 'ADDED', named(name, rv));
      r.write(w({ startedAt: t + 2, verb: 'update', code: 200, name, userAgent: SCHEDULER, object: named(name, rv + 1) }));
    };
    cycle('a', 10, 100); // seqs 1, 2
    cycle('b', 20, 110); // seqs 3, 4: 1 goes
    cycle('a', 30, 120); // seqs 5, 6: 2 and 3 go
    assert.deepEqual(r.list().entries.map((e) => [e.seq, e.name, e.cause]), [[4, 'b', 3], [5, 'a', undefined], [6, 'a', 5]]);
    // the scheduler writes a again: its event (seq 5) is the cause; seq 1, which also reached it, is gone
    r.write(w({ startedAt: 130, verb: 'update', code: 200, name: 'a', userAgent: SCHEDULER, object: named('a', 40) }));
    assert.equal(r.list().entries.at(-1)!.cause, 5);
    for (let i = 0; i < 3; i++) r.write(w({ startedAt: 140 + i, name: `x${i}`, object: named(`x${i}`, 50 + i) }));
    r.write(w({ startedAt: 150, verb: 'update', code: 200, name: 'a', userAgent: SCHEDULER, object: named('a', 60) }));
    assert.equal(r.list().entries.at(-1)!.cause, undefined, 'every write on a has left the ring');
  });

  it('a write that changed nothing does not take the revision of the one before; deliveries are capped', () => {
    const { r, clock } = recorder();
    r.write(w({ startedAt: 1, object: pod(10) }));
    r.write(w({ startedAt: 2, verb: 'update', code: 200, object: pod(10) }));
    clock.t = 3;
    for (let i = 0; i < MAX_DELIVERIES + 5; i++) r.delivered(watcher(`client-${i}/v1`), 'ADDED', pod(10));
    const [a, b] = r.list().entries;
    assert.equal(a!.revision, 10);
    assert.equal(a!.deliveries.length, MAX_DELIVERIES);
    assert.equal(a!.moreDeliveries, 5);
    assert.equal(b!.revision, undefined);
    assert.equal(b!.deliveries.length, 0);
  });

  it('a deletecollection claims the event of each object it deleted', () => {
    const { r, clock } = recorder();
    const cm = (name: string, rv: number): KubeObject => ({ metadata: { name, namespace: 'default', resourceVersion: String(rv) } });
    r.write(w({ startedAt: 1, resource: 'configmaps', kind: 'ConfigMap', name: 'a', object: cm('a', 10) }));
    r.write(w({ startedAt: 2, resource: 'configmaps', kind: 'ConfigMap', name: 'b', object: cm('b', 11) }));
    clock.t = 4;
    r.delivered(watcher(KUBECTL, 'configmaps'), 'DELETED', cm('a', 12)); // before the answer
    r.write(w({ startedAt: 3, verb: 'deletecollection', code: 200, resource: 'configmaps', kind: 'ConfigMap', name: undefined, items: [cm('a', 10), cm('b', 11)] }));
    r.delivered(watcher(KUBECTL, 'configmaps'), 'DELETED', cm('b', 13));
    const e = r.list().entries[2]!;
    assert.equal(e.name, '');
    assert.equal(e.summary, 'deleted 2');
    assert.equal(e.revision, undefined);
    assert.deepEqual(e.deliveries.map((d) => d.type), ['DELETED', 'DELETED']);
  });

  it('tells subscribers of each new entry and each change, a batch of deliveries as one', async () => {
    const { r, clock } = recorder();
    const seen: [number, number][] = [];
    const stop = r.subscribe((e) => seen.push([e.seq, e.deliveries.length]));
    r.write(w({ startedAt: 1, object: pod(10) }));
    clock.t = 2;
    r.delivered(watcher(SCHEDULER), 'ADDED', pod(10));
    r.delivered(watcher(KUBELET), 'ADDED', pod(10));
    await Promise.resolve();
    assert.deepEqual(seen, [[1, 2]]);
    r.delivered(watcher(BROWSER), 'ADDED', pod(10));
    await Promise.resolve();
    assert.deepEqual(seen, [
      [1, 2],
      [1, 3],
    ]);
    stop();
    r.write(w({ startedAt: 3, object: pod(11) }));
    await Promise.resolve();
    assert.equal(seen.length, 2);
  });

  it('summaries: nodes, leases, workloads, events, evictions, marks', () => {
    const node = (ready: string): KubeObject => ({ kind: 'Node', metadata: { name: 'n', resourceVersion: '1' }, status: { conditions: [{ type: 'Ready', status: ready }] } });
    const lease = (holder: string): KubeObject => ({ kind: 'Lease', metadata: { name: 'l', resourceVersion: '1' }, spec: { holderIdentity: holder } });
    const base = w({ startedAt: 0, verb: 'update', code: 200 });
    assert.equal(summarize({ ...base, subresource: 'status' }, stateOf(node('True')), stateOf(node('False'))), 'Ready False');
    assert.equal(summarize({ ...base, subresource: 'status' }, undefined, stateOf(node('True'))), 'Ready True');
    assert.equal(summarize(base, stateOf(node('True')), stateOf(node('True'))), undefined);
    assert.equal(summarize(base, stateOf(lease('a')), stateOf(lease('a'))), 'renewed');
    assert.equal(summarize(base, stateOf(lease('a')), stateOf(lease('b'))), 'holder b');
    const dep = (replicas: number, generation: number): KubeObject => ({ kind: 'Deployment', metadata: { name: 'd', generation }, spec: { replicas, paused: false } });
    assert.equal(summarize(base, stateOf(dep(1, 1)), stateOf(dep(3, 2))), 'replicas 3');
    assert.equal(summarize(base, stateOf(dep(1, 1)), stateOf(dep(1, 2))), 'generation 2');
    assert.equal(summarize(base, stateOf(pod(1)), stateOf(pod(2, { deleting: true }))), 'marked for deletion');
    assert.equal(summarize({ ...base, verb: 'create', subresource: 'eviction', code: 201 }, undefined, undefined), 'evicted');
    assert.equal(summarize({ ...base, verb: 'delete', deleted: false }, undefined, undefined), 'marked for deletion');
    const event = { kind: 'Event', metadata: { name: 'e' }, reason: 'Scheduled', message: 'Successfully assigned default/web-1 to node-1' };
    assert.equal(summarize({ ...base, verb: 'create', code: 201, object: event }, undefined, undefined), 'Scheduled: Successfully assigned default/web-1 to node-1');
    assert.equal(summarize({ ...base, code: 422, failure: { reason: 'Invalid' } }, undefined, undefined), 'Invalid');
  });
});

describe('flow: through the API server', () => {
  let t: TestApi;
  const flow = createFlow();
  const clients: RestClient[] = [];
  const watches: Watch[] = [];
  const client = (ua: string): RestClient => {
    const c = new RestClient({ server: t.base, userAgent: ua });
    clients.push(c);
    return c;
  };
  const entriesOf = (name: string): FlowEntry[] => flow.recorder.list(0, 5000).entries.filter((e) => e.name === name);
  before(async () => {
    t = await TestApi.start({ ui: uiServer([flow.part]) });
  });
  after(async () => {
    for (const x of watches) x.stop();
    for (const c of clients) c.close();
    await t?.stop();
  });

  it('follows a pod: created by the controller manager, bound by the scheduler, Running by its kubelet', async () => {
    const cm = client(CONTROLLER_MANAGER);
    const scheduler = client(SCHEDULER);
    const kubelet = client(KUBELET);
    const rv = (await cm.list({ resource: 'pods', namespace: 'default' })).metadata.resourceVersion;
    const errors: unknown[] = [];
    // the scheduler binds each new unbound pod; the node-1 kubelet runs each pod bound to it
    watches.push(
      scheduler.watch({ resource: 'pods', namespace: 'default' }, { resourceVersion: rv }, {
        onEvent: (e) => {
          if (e.type !== 'ADDED' || (e.object.spec as { nodeName?: string }).nodeName) return;
          const name = e.object.metadata.name!;
          scheduler
            .create({ resource: 'pods', namespace: 'default', name, subresource: 'binding' }, { kind: 'Binding', apiVersion: 'v1', metadata: { name }, target: { kind: 'Node', name: 'node-1' } })
            .catch((err: unknown) => errors.push(err));
        },
      }),
    );
    watches.push(
      kubelet.watch({ resource: 'pods', namespace: 'default' }, { resourceVersion: rv, fieldSelector: 'spec.nodeName=node-1' }, {
        onEvent: (e) => {
          if (e.type !== 'ADDED') return;
          kubelet.patch({ resource: 'pods', namespace: 'default', name: e.object.metadata.name!, subresource: 'status' }, 'merge', { status: { phase: 'Running' } }).catch((err: unknown) => errors.push(err));
        },
      }),
    );
    const created = await cm.create(
      { resource: 'pods', namespace: 'default' },
      {
        metadata: { name: 'web-1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: '3f7c9a52-0000-4000-8000-000000000001', controller: true }] },
        spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
      },
    );
    // until the Running status has reached both watchers
    const [create, bind, run] = await until('the three writes with their deliveries', () => {
      const es = entriesOf('web-1');
      return es.length === 3 && es[2]!.deliveries.length >= 2 && es[1]!.revision !== undefined ? es : undefined;
    });
    assert.deepEqual(errors, []);
    const running = await cm.get({ resource: 'pods', namespace: 'default', name: 'web-1' });

    assert.ok(create!.seq < bind!.seq && bind!.seq < run!.seq);
    assert.deepEqual(
      [create, bind, run].map((e) => [e!.verb, e!.resource, e!.subresource, e!.namespace, e!.code, e!.component, e!.userAgent, e!.user, e!.uid, e!.summary]),
      [
        ['create', 'pods', undefined, 'default', 201, 'kube-controller-manager', CONTROLLER_MANAGER, 'system:unsecured', created.metadata.uid, 'created'],
        ['create', 'pods', 'binding', 'default', 201, 'kube-scheduler', SCHEDULER, 'system:unsecured', created.metadata.uid, 'bound to node-1'],
        ['patch', 'pods', 'status', 'default', 200, 'kubelet', KUBELET, 'system:unsecured', created.metadata.uid, 'phase Running'],
      ],
    );
    assert.equal(create!.revision, Number(created.metadata.resourceVersion));
    assert.equal(run!.revision, Number(running.metadata.resourceVersion));
    assert.ok(create!.revision! < bind!.revision! && bind!.revision! < run!.revision!, 'the binding is matched to its event');
    assert.deepEqual(create!.owners, [{ kind: 'ReplicaSet', name: 'web-7d9f', uid: '3f7c9a52-0000-4000-8000-000000000001' }]);
    assert.equal(create!.kind, 'Pod');
    assert.equal(bind!.cause, create!.seq);
    assert.equal(run!.cause, bind!.seq);
    const to = (e: FlowEntry) => e.deliveries.map((d) => `${d.component} ${d.type}`).sort();
    assert.deepEqual(to(create!), ['kube-scheduler ADDED'], 'the kubelet watches only its node: the new pod is not its');
    assert.deepEqual(to(bind!), ['kube-scheduler MODIFIED', 'kubelet ADDED']);
    assert.deepEqual(to(run!), ['kube-scheduler MODIFIED', 'kubelet MODIFIED']);
    for (const e of [create!, bind!, run!]) {
      assert.ok(e.durationMs >= 0 && e.durationMs < 10_000);
      for (const d of e.deliveries) assert.ok(d.atMs >= 0 && d.resource === 'pods' && d.user === 'system:unsecured');
    }
    const kubeletGot = bind!.deliveries.find((d) => d.component === 'kubelet')!;
    assert.ok(Date.parse(bind!.time) + kubeletGot.atMs <= Date.parse(run!.time) + 1, 'the kubelet got the binding before it wrote');
  });

  it("records kubectl's writes; a delete is matched to its event; the dashboard's WebSocket watch is a delivery", async () => {
    const rv = (await client(KUBECTL).list({ resource: 'configmaps', namespace: 'default' })).metadata.resourceVersion;
    // a browser's watch over the API's WebSocket
    const ws = new WebSocket(`ws://127.0.0.1:${t.api.port}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, { headers: { 'user-agent': BROWSER } });
    const events: any[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    try {
      const made = await t.kubectl('create', 'configmap', 'flow-cm', '--from-literal=a=b');
      assert.equal(made.status, 0, made.stderr);
      const deleted = await t.kubectl('delete', 'configmap', 'flow-cm');
      assert.equal(deleted.status, 0, deleted.stderr);
      await waitUntil(() => events.length === 2);
      const [create, del] = await until('the delete matched to its event', () => {
        const es = entriesOf('flow-cm');
        return es.length === 2 && es[1]!.deliveries.length === 1 ? es : undefined;
      });
      assert.deepEqual([create!.verb, create!.component, create!.summary, del!.verb, del!.component, del!.summary], ['create', 'kubectl', 'created', 'delete', 'kubectl', 'deleted']);
      assert.match(create!.userAgent, /^kubectl\/v1\.\d+/);
      assert.equal(del!.revision, Number(events[1].object.metadata.resourceVersion));
      assert.deepEqual(
        [...create!.deliveries, ...del!.deliveries].map((d) => [d.component, d.userAgent, d.type]),
        [
          ['dashboard', BROWSER, 'ADDED'],
          ['dashboard', BROWSER, 'DELETED'],
        ],
      );
    } finally {
      ws.close();
    }
  });

  it('serves GET /ui/api/flow by pages, and refuses a bad since', async () => {
    const all = flow.recorder.list(0, 5000).entries;
    const first = await t.call('GET', '/ui/api/flow?since=0&limit=2');
    assert.equal(first.code, 200);
    assert.deepEqual(
      first.body.entries.map((e: any) => e.seq),
      all.slice(0, 2).map((e) => e.seq),
    );
    assert.equal(first.body.next, all[1]!.seq);
    const rest = await t.call('GET', `/ui/api/flow?since=${first.body.next}`);
    assert.deepEqual(
      rest.body.entries.map((e: any) => e.seq),
      all.slice(2).map((e) => e.seq),
    );
    assert.deepEqual(rest.body.entries.at(-1), JSON.parse(JSON.stringify(all.at(-1))));
    const bad = await t.call('GET', '/ui/api/flow?since=-1');
    assert.equal(bad.code, 400);
    assert.equal(bad.body.kind, 'Status');
  });

  it('streams entries over the WebSocket: those after since, then new ones and their updates', async () => {
    const token = Buffer.from('any-token').toString('base64url');
    const ws = new WebSocket(`ws://127.0.0.1:${t.api.port}/ui/api/flow/watch?since=1`, ['kubeling.ui', `base64url.bearer.authorization.k8s.io.${token}`]);
    const got: FlowEntry[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m)) as FlowEntry));
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    try {
      assert.equal(ws.protocol, 'kubeling.ui');
      const before = flow.recorder.seq;
      await waitUntil(() => got.length >= before - 1);
      assert.deepEqual(
        got.slice(0, before - 1).map((e) => e.seq),
        Array.from({ length: before - 1 }, (_, i) => i + 2),
      );
      // a new write, and its event to a watcher: the entry, then (or at once) the entry again with the delivery
      const c = client(KUBELET);
      const rv = (await c.list({ resource: 'configmaps', namespace: 'default' })).metadata.resourceVersion;
      const seen: string[] = [];
      watches.push(c.watch({ resource: 'configmaps', namespace: 'default' }, { resourceVersion: rv }, { onEvent: (e) => seen.push(e.type) }));
      await client(SCHEDULER).create({ resource: 'configmaps', namespace: 'default' }, { metadata: { name: 'live' }, data: { a: 'b' } });
      const live = await until('the live entry with its delivery', () => got.find((e) => e.name === 'live' && e.deliveries.length === 1));
      assert.equal(live.seq, before + 1);
      assert.equal(live.component, 'kube-scheduler');
      assert.deepEqual(
        live.deliveries.map((d) => [d.component, d.type]),
        [['kubelet', 'ADDED']],
      );
      // the delivery is recorded as it is sent: the client's own stream may not have it yet
      await until("the kubelet's watch got it", () => (seen.length ? true : undefined));
      assert.deepEqual(seen, ['ADDED']);
    } finally {
      ws.close();
    }
    const bad = await new Promise<number>((res) => {
      const w2 = new WebSocket(`ws://127.0.0.1:${t.api.port}/ui/api/flow/watch?since=x`, ['kubeling.ui']);
      w2.on('unexpected-response', (_req, r) => res(r.statusCode ?? 0));
      w2.on('error', () => {});
    });
    assert.equal(bad, 400);
  });
});
