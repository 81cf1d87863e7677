/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The node lifecycle and taint eviction controllers through a real API
 * server, on a fake clock: nodes and their Leases are written by hand (the
 * test plays the kubelets), monitor passes are run one at a time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock, rfc3339 } from '../../client/clock.js';
import { InformerFactory } from '../../client/informerfactory.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import { isConflict } from '../../client/errors.js';
import { RestClient, type ListOptions, type PatchType, type ResourceRef, type Watch, type WatchHandlers, type WriteOptions } from '../../client/rest.js';
import type { KubeObject } from '../../client/types.js';
import type { Node, Pod, Taint } from '../../client/types.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import type { ControllerContext } from '../controller.js';
import { allZonesDown, NodeLifecycleController, TAINT_UNREACHABLE } from './index.js';
import { evictionTime, TaintEvictionController } from './tainteviction.js';

describe('evictionTime', () => {
  const taint: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: rfc3339(1_000_000) };
  const pod = (tolerations?: Pod['spec']['tolerations']): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], ...(tolerations ? { tolerations } : {}) } });
  const cases: [string, Pod, 'now' | number | undefined][] = [
    ['no toleration: now', pod(), 'now'],
    ['tolerated for ever', pod([{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]), undefined],
    ['tolerated for 300 s from timeAdded', pod([{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]), 1_300_000],
    ['the shortest of two', pod([{ operator: 'Exists', tolerationSeconds: 60 }, { key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 300 }]), 1_060_000],
    ['a NoSchedule toleration does not count', pod([{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoSchedule' }]), 'now'],
  ];
  for (const [name, p, want] of cases) it(name, () => assert.equal(evictionTime(p, [taint, { key: 'x', effect: 'NoSchedule' }], 5), want));
});

describe('allZonesDown', () => {
  const node = (zone: string, ready: string): Node => ({ metadata: { name: zone + ready, labels: { 'topology.kubernetes.io/zone': zone } }, status: { conditions: [{ type: 'Ready', status: ready as 'True' }] } });
  it('is true only when no zone has a Ready node', () => {
    assert.equal(allZonesDown([node('a', 'Unknown'), node('b', 'True')]), false);
    assert.equal(allZonesDown([node('a', 'Unknown'), node('a', 'True')]), false);
    assert.equal(allZonesDown([node('a', 'Unknown'), node('b', 'False')]), true);
    assert.equal(allZonesDown([]), false);
  });
});

/** A client whose node watches can be held (the controller's informer then lags behind the writes), counting its patches' conflicts. */
class HeldNodeWatches extends RestClient {
  #held: (() => void)[] | undefined;
  conflicts = 0;

  override async patch<T extends KubeObject = KubeObject>(ref: ResourceRef & { name: string }, type: PatchType, body: unknown, o: WriteOptions & { force?: boolean } = {}): Promise<T> {
    try {
      return await super.patch<T>(ref, type, body, o);
    } catch (e) {
      if (isConflict(e)) this.conflicts++;
      throw e;
    }
  }

  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const queued = this.#held ?? [];
    this.#held = undefined;
    for (const f of queued) f();
  }

  override watch<T extends KubeObject = KubeObject>(ref: ResourceRef, o: ListOptions & { allowWatchBookmarks?: boolean }, h: WatchHandlers<T>): Watch {
    if (ref.resource !== 'nodes') return super.watch(ref, o, h);
    return super.watch<T>(ref, o, { ...h, onEvent: (e) => (this.#held ? void this.#held.push(() => h.onEvent(e)) : h.onEvent(e)) });
  }
}

describe('node lifecycle over a real API server', () => {
  let t: TestApi;
  let client: HeldNodeWatches;
  let informers: InformerFactory;
  const clock = new FakeClock(Date.parse('2026-12-06T12:00:00Z'));
  let lifecycle: NodeLifecycleController;
  let eviction: TaintEvictionController;
  let evicting: Promise<void>;
  before(async () => {
    t = await TestApi.start();
    client = new HeldNodeWatches(loadKubeconfig(t.kubeconfig));
    informers = new InformerFactory(client, { log: () => {} });
    const ctx: ControllerContext = { client, informers, clock, log: () => {} };
    lifecycle = new NodeLifecycleController(ctx, { gracePeriodMs: 50_000, evictionRate: 0.1 });
    eviction = new TaintEvictionController(ctx);
    informers.start();
    await informers.waitForSync(10_000);
    evicting = eviction.run(2);
  });
  after(async () => {
    eviction?.stop();
    await evicting;
    informers?.stop();
    client?.close();
    await t?.stop();
  });

  const get = async (path: string): Promise<any> => (await t.call('GET', path)).body;
  const heartbeat = async (name: string): Promise<void> => {
    const renewTime = new Date(clock.now()).toISOString().replace('Z', '000Z');
    const r = await t.call('PATCH', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`, { spec: { renewTime } }, 'application/merge-patch+json');
    assert.equal(r.code, 200, JSON.stringify(r.body));
  };
  const seen = (what: string, f: () => boolean): Promise<true> => until(what, () => (f() ? true : undefined));

  it('marks a silent node Unknown and taints it; evicts its pods when their toleration of that runs out (300 s by default)', async () => {
    for (const [name, zone] of [['n1', 'a'], ['n2', 'b']]) {
      const at = rfc3339(clock.now());
      const ready = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at };
      assert.equal((await t.call('POST', '/api/v1/nodes', { metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } }, status: { conditions: [ready] } })).code, 201);
      assert.equal((await t.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } })).code, 201);
    }
    const pod = async (name: string, tolerations?: object[]): Promise<void> => {
      const spec = { nodeName: 'n1', containers: [{ name: 'c', image: 'pause' }], ...(tolerations ? { tolerations } : {}) };
      assert.equal((await t.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name }, spec, status: {} })).code, 201);
      const r = await t.call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/strategic-merge-patch+json');
      assert.equal(r.code, 200, JSON.stringify(r.body));
    };
    await pod('plain');
    await pod('patient', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
    await pod('forever', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
    await seen('the informers have the pods', () => informers.informer<Pod>({ resource: { resource: 'pods' } }).list().length === 3);

    await lifecycle.monitor(); // first look: both reported
    clock.step(30_000);
    await heartbeat('n2');
    await seen('n2 renewed', () => informers.informer<any>({ resource: { group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' } }).get('kube-node-lease/n2')?.spec?.renewTime !== undefined);
    await lifecycle.monitor();
    clock.step(30_000); // n1 silent for 60 s, n2 for 30 s
    await lifecycle.monitor();

    const n1 = await until('n1 Unknown', async () => {
      const n = await get('/api/v1/nodes/n1');
      return n.status.conditions.find((c: any) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
    });
    const ready = n1.status.conditions.find((c: any) => c.type === 'Ready');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    assert.deepEqual(n1.status.conditions.filter((c: any) => c.status === 'Unknown').map((c: any) => c.type).sort(), ['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    assert.equal((await get('/api/v1/nodes/n2')).status.conditions.find((c: any) => c.type === 'Ready').status, 'True', 'n2 reported in time');
    assert.equal((await get('/api/v1/namespaces/default/pods/forever')).status.conditions.find((c: any) => c.type === 'Ready').status, 'False', "the silent node's pods are not Ready");

    // the next pass taints it (the informer must see Unknown first)
    await seen('Unknown seen', () => informers.informer<Node>({ resource: { resource: 'nodes' } }).get('n1')?.status?.conditions?.some((c) => c.status === 'Unknown') === true);
    await lifecycle.monitor();
    const taints = (await get('/api/v1/nodes/n1')).spec.taints ?? [];
    assert.deepEqual(taints.map((x: any) => `${x.key}:${x.effect}`).sort(), [`${TAINT_UNREACHABLE}:NoExecute`, `${TAINT_UNREACHABLE}:NoSchedule`]);
    assert.equal(taints.find((x: any) => x.effect === 'NoExecute').timeAdded, rfc3339(clock.now()));

    // evicted: deleted gracefully, so Terminating (its kubelet, silent, never confirms), with the DisruptionTarget condition
    const deleted = async (name: string): Promise<boolean> => (await get(`/api/v1/namespaces/default/pods/${name}`)).metadata.deletionTimestamp !== undefined;
    assert.equal(await deleted('plain'), false, 'plain has the default 300 s toleration (DefaultTolerationSeconds)');
    assert.equal(await deleted('patient'), false, 'patient tolerates for 30 s');
    clock.step(31_000);
    await until('patient evicted after its 30 s', async () => ((await deleted('patient')) ? true : undefined));
    assert.equal(await deleted('plain'), false);
    clock.step(270_000);
    await until('plain evicted after 300 s', async () => ((await deleted('plain')) ? true : undefined));
    // the event is recorded on its own, asynchronously
    await until('the TaintManagerEviction event', async () => {
      const events = (await get('/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dplain')).items;
      return events.some((e: any) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/plain') ? true : undefined;
    });
    const target = (await get('/api/v1/namespaces/default/pods/plain')).status.conditions.find((c: any) => c.type === 'DisruptionTarget');
    assert.deepEqual([target.status, target.reason], ['True', 'DeletionByTaintManager']);
    assert.equal(await deleted('forever'), false);

    // n1 reports again: Ready, untainted
    const at = rfc3339(clock.now());
    const back = await t.call('PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: at, lastTransitionTime: at }] } }, 'application/strategic-merge-patch+json');
    assert.equal(back.code, 200, JSON.stringify(back.body));
    await seen('Ready seen', () => informers.informer<Node>({ resource: { resource: 'nodes' } }).get('n1')?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    // the pass's taint writes start from the informer's copy, which here has not seen a write made meanwhile (the watch
    // held): each conflicts, reads the node again and writes once more, as kube's AddOrUpdateTaintOnNode does
    client.hold();
    try {
      assert.equal((await t.call('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { touched: 'yes' } } }, 'application/merge-patch+json')).code, 200);
      client.conflicts = 0;
      await lifecycle.monitor();
      assert.ok(client.conflicts >= 1, 'a write from the stale copy conflicted');
      assert.equal((await get('/api/v1/nodes/n1')).spec.taints, undefined, 'both taints gone in that one pass');
    } finally {
      client.release();
    }
  });
});
