/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The pod garbage collector: its rules alone, then each sweep through a
 * real API server on a fake clock (the test plays the kubelets: nodes and
 * pod phases are written by hand; a pass runs when the test steps the
 * clock by the 20 s period).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock, rfc3339 } from '../../client/clock.js';
import { InformerFactory } from '../../client/informerfactory.js';
import { RestClient } from '../../client/rest.js';
import type { Node, Pod } from '../../client/types.js';
import { TestApi } from '../../test/apiserver.js';
import { until, waitUntil } from '../../test/proc.js';
import type { ControllerContext } from '../controller.js';
import { enabledControllers } from '../manager.js';
import { CONTROLLERS } from '../registry.js';
import { PodGCController, type PodGCOptions } from './index.js';
import { compareForGC, isPodTerminated, TAINT_OUT_OF_SERVICE, terminatedToDelete, terminatingOutOfService, unscheduledTerminating } from './rules.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');

describe('pod GC rules', () => {
  const pod = (name: string, o: { phase?: string; reason?: string; created?: number; node?: string; deleting?: boolean } = {}): Pod => ({
    metadata: { name, creationTimestamp: rfc3339(o.created ?? T0), ...(o.deleting ? { deletionTimestamp: rfc3339(T0) } : {}) },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: { ...(o.phase ? { phase: o.phase as 'Failed' } : {}), ...(o.reason ? { reason: o.reason } : {}) },
  });

  it('counts as terminated every phase but Pending, Running and Unknown (a missing one too, as kube)', () => {
    assert.deepEqual(
      ['Pending', 'Running', 'Unknown', 'Succeeded', 'Failed', undefined].map((phase) => isPodTerminated(pod('p', phase ? { phase } : {}))),
      [false, false, false, true, true, true],
    );
  });

  it('orders evicted pods first, then the oldest, then by name', () => {
    const pods = [
      pod('b', { phase: 'Succeeded', created: T0 }),
      pod('a', { phase: 'Succeeded', created: T0 }),
      pod('old', { phase: 'Failed', created: T0 - 60_000 }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: T0 + 60_000 }),
      pod('failed-other', { phase: 'Failed', reason: 'DeadlineExceeded', created: T0 + 30_000 }),
    ];
    assert.deepEqual(
      [...pods].sort(compareForGC).map((p) => p.metadata.name),
      ['evicted', 'old', 'a', 'b', 'failed-other'],
    );
  });

  it('picks the terminated pods beyond the threshold; none at 0 or less', () => {
    const pods = [pod('run', { phase: 'Running', created: T0 - 1e6 }), pod('x', { phase: 'Succeeded', created: T0 }), pod('y', { phase: 'Failed', created: T0 - 1000 }), pod('z', { phase: 'Succeeded', created: T0 + 1000 })];
    assert.deepEqual(terminatedToDelete(pods, 1).map((p) => p.metadata.name), ['y', 'x']);
    assert.deepEqual(terminatedToDelete(pods, 3), []);
    assert.deepEqual(terminatedToDelete(pods, 0), []);
    assert.deepEqual(terminatedToDelete(pods, -1), []);
  });

  it('picks terminating pods on NotReady nodes with the out-of-service taint', () => {
    const node = (name: string, ready: string, tainted: boolean): Node => ({
      metadata: { name },
      spec: tainted ? { taints: [{ key: TAINT_OUT_OF_SERVICE, value: 'nodeshutdown', effect: 'NoExecute' }] } : {},
      status: { conditions: [{ type: 'Ready', status: ready as 'True' }] },
    });
    const nodes = new Map([node('down', 'False', true), node('unknown', 'Unknown', true), node('up', 'True', true), node('plain', 'False', false)].map((n) => [n.metadata.name!, n]));
    const pods = [
      pod('on-down', { node: 'down', deleting: true }),
      pod('on-unknown', { node: 'unknown', deleting: true, created: T0 - 1000 }),
      pod('on-down-live', { node: 'down' }),
      pod('on-up', { node: 'up', deleting: true }),
      pod('on-plain', { node: 'plain', deleting: true }),
      pod('on-missing', { node: 'missing', deleting: true }),
      pod('unbound', { deleting: true }),
    ];
    assert.deepEqual(terminatingOutOfService(pods, (n) => nodes.get(n)).map((p) => p.metadata.name), ['on-unknown', 'on-down']);
    assert.deepEqual(unscheduledTerminating(pods).map((p) => p.metadata.name), ['unbound']);
  });

  it('is registered under its name and alias, on by default', () => {
    assert.deepEqual(enabledControllers(CONTROLLERS, ['podgc']), ['pod-garbage-collector-controller']);
    assert.ok(enabledControllers(CONTROLLERS).includes('pod-garbage-collector-controller'));
  });
});

describe('pod GC over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
  });
  after(async () => {
    client?.close();
    await t?.stop();
  });

  /** A controller on its own fake clock and informers, its first pass done; `pass()` steps to the next one and waits for its end. */
  const startGC = async (o: PodGCOptions = {}) => {
    const clock = new FakeClock(T0);
    const informers = new InformerFactory(client, { log: () => {} });
    const lines: string[] = [];
    const ctx: ControllerContext = { client, informers, clock, log: (l) => lines.push(l) };
    const gc = new PodGCController(ctx, o);
    informers.start();
    await informers.waitForSync(10_000);
    const running = gc.run();
    const idle = (): Promise<void> => waitUntil(() => clock.pending === 1); // the next pass is scheduled: none under way
    await idle();
    return {
      clock,
      lines,
      pods: informers.informer<Pod>({ resource: { resource: 'pods' } }),
      nodes: informers.informer<Node>({ resource: { resource: 'nodes' } }),
      pass: async (): Promise<void> => {
        await idle();
        clock.step(20_000);
        await idle();
      },
      stop: async (): Promise<void> => {
        gc.stop();
        await running;
        informers.stop();
      },
    };
  };

  const get = async (name: string): Promise<any> => {
    const r = await t.call('GET', `/api/v1/namespaces/default/pods/${name}`);
    return r.code === 404 ? undefined : r.body;
  };
  const node = async (name: string, ready: 'True' | 'False' | 'Unknown', taints?: object[]): Promise<void> => {
    const at = rfc3339(Date.now());
    const r = await t.call('POST', '/api/v1/nodes', { metadata: { name }, spec: taints ? { taints } : {}, status: { conditions: [{ type: 'Ready', status: ready, lastHeartbeatTime: at, lastTransitionTime: at }] } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };
  /** A pod as a kubelet would have left it: bound to `node`, in `phase`, created at `created` (written straight to the store). */
  const pod = async (name: string, o: { node?: string; phase?: string; reason?: string; hold?: boolean; created?: number } = {}): Promise<void> => {
    const metadata = { name, ...(o.hold ? { finalizers: ['kubeling.test/hold'] } : {}) };
    const r = await t.call('POST', '/api/v1/namespaces/default/pods', { metadata, spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [{ name: 'c', image: 'pause' }] } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
    if (o.phase) {
      const s = await t.call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, { status: { phase: o.phase, ...(o.reason ? { reason: o.reason } : {}) } }, 'application/strategic-merge-patch+json');
      assert.equal(s.code, 200, JSON.stringify(s.body));
    }
    if (o.created !== undefined) {
      const key = `/registry/pods/default/${name}`;
      const { value } = await t.store.get(key);
      const obj = JSON.parse(Buffer.from(value!.value).toString());
      obj.metadata.creationTimestamp = rfc3339(o.created);
      await t.store.update(key, new TextEncoder().encode(JSON.stringify(obj)), value!.modRevision);
    }
  };
  const del = async (name: string): Promise<void> => {
    const r = await t.call('DELETE', `/api/v1/namespaces/default/pods/${name}`);
    assert.equal(r.code, 200, JSON.stringify(r.body));
  };
  /** Removes every pod (finalizers first) and node. */
  const cleanUp = async (): Promise<void> => {
    for (const p of (await t.call('GET', '/api/v1/namespaces/default/pods')).body.items) {
      const name = p.metadata.name;
      if (p.metadata.finalizers) await t.call('PATCH', `/api/v1/namespaces/default/pods/${name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
      await t.call('DELETE', `/api/v1/namespaces/default/pods/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    }
    for (const n of (await t.call('GET', '/api/v1/nodes')).body.items) await t.call('DELETE', `/api/v1/nodes/${n.metadata.name}`);
    await until('all gone', async () => ((await t.call('GET', '/api/v1/namespaces/default/pods')).body.items.length === 0 ? true : undefined));
  };
  const byPodGC = (p: any): boolean => (p.metadata.managedFields ?? []).some((f: any) => f.manager === 'PodGC' && f.operation === 'Apply' && f.subresource === 'status');
  const condition = (p: any, type: string): any => (p.status.conditions ?? []).find((c: any) => c.type === type);

  it('deletes the terminated pods beyond the threshold: evicted ones first, then the oldest', async () => {
    const gc = await startGC({ terminatedPodGCThreshold: 3 });
    try {
      await node('n1', 'True');
      const min = 60_000;
      // names sort the other way round from age, so only the creation time can give this order
      await pod('p1', { node: 'n1', phase: 'Failed', created: T0 - 10 * min });
      await pod('p2', { node: 'n1', phase: 'Succeeded', created: T0 - 20 * min });
      await pod('p3', { node: 'n1', phase: 'Succeeded', created: T0 - 30 * min });
      await pod('p4', { node: 'n1', phase: 'Failed', created: T0 - 40 * min });
      await pod('p5', { node: 'n1', phase: 'Succeeded', created: T0 - 50 * min });
      await pod('x-evicted', { node: 'n1', phase: 'Failed', reason: 'Evicted', created: T0 - min });
      await pod('running', { node: 'n1', phase: 'Running', created: T0 - 60 * min });
      await pod('pending', { created: T0 - 60 * min });
      const created = { p1: 10, p2: 20, p3: 30, p4: 40, p5: 50, 'x-evicted': 1, running: 60, pending: 60 };
      await waitUntil(() => Object.entries(created).every(([name, ago]) => gc.pods.get(`default/${name}`)?.metadata.creationTimestamp === rfc3339(T0 - ago * min)) && gc.pods.list().filter(isPodTerminated).length === 6);

      await gc.pass();
      const left = await until('three deleted', async () => {
        const items: any[] = (await t.call('GET', '/api/v1/namespaces/default/pods')).body.items;
        return items.length === 5 ? items.map((p) => p.metadata.name).sort() : undefined;
      });
      assert.deepEqual(left, ['p1', 'p2', 'p3', 'pending', 'running'], 'the evicted pod and the two oldest terminated ones went');
      assert.equal((await get('running')).status.phase, 'Running');

      await gc.pass(); // at the threshold now: nothing more goes
      assert.equal((await t.call('GET', '/api/v1/namespaces/default/pods')).body.items.length, 5);
    } finally {
      await gc.stop();
      await cleanUp();
    }
  });

  it('deletes orphaned pods once their node is still gone after the quarantine; a node back within it keeps its pods', async () => {
    const gc = await startGC();
    try {
      await node('n1', 'True');
      await node('back', 'True');
      await pod('on-n1', { node: 'n1', phase: 'Running' });
      await pod('on-back', { node: 'back', phase: 'Running' });
      await pod('orphan', { node: 'ghost', phase: 'Running' });
      await pod('orphan-held', { node: 'ghost', phase: 'Running', hold: true });
      await pod('orphan-done', { node: 'ghost', phase: 'Succeeded', hold: true });
      assert.equal((await t.call('DELETE', '/api/v1/nodes/back')).code, 200);
      await waitUntil(() => gc.pods.list().length === 5 && gc.pods.get('default/orphan-done')?.status?.phase === 'Succeeded' && !gc.nodes.get('back'));

      await gc.pass(); // t0+20 s: ghost and back missing, quarantined until t0+60 s
      await node('back', 'True');
      await waitUntil(() => gc.nodes.get('back') !== undefined);
      await gc.pass(); // t0+40 s: still in quarantine
      assert.ok(await get('orphan'), 'kept during the quarantine');
      assert.equal((await get('orphan-held')).metadata.deletionTimestamp, undefined);

      await gc.pass(); // t0+60 s: ghost is looked up (404); back is in the informer again
      await until('the orphan deleted', async () => ((await get('orphan')) === undefined ? true : undefined));
      const held = await until('orphan-held marked and deleted', async () => {
        const p = await get('orphan-held');
        return p?.metadata.deletionTimestamp ? p : undefined;
      });
      assert.equal(held.metadata.deletionGracePeriodSeconds, 0, 'force deleted');
      assert.equal(held.status.phase, 'Failed');
      const target = condition(held, 'DisruptionTarget');
      assert.deepEqual(
        { status: target?.status, reason: target?.reason, message: target?.message, lastTransitionTime: target?.lastTransitionTime },
        { status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: rfc3339(gc.clock.now()) },
      );
      assert.ok(byPodGC(held), JSON.stringify(held.metadata.managedFields));
      const done = await until('orphan-done deleted', async () => {
        const p = await get('orphan-done');
        return p?.metadata.deletionTimestamp ? p : undefined;
      });
      assert.equal(done.status.phase, 'Succeeded', 'a terminal orphan is deleted as it is (kube 1.28)');
      assert.equal(condition(done, 'DisruptionTarget'), undefined);
      assert.ok((await get('on-back')).metadata.deletionTimestamp === undefined, 'its node came back within the quarantine');
      assert.ok((await get('on-n1')).metadata.deletionTimestamp === undefined);
      assert.ok(gc.lines.some((l) => l.includes('default/orphan is bound to node ghost, which no longer exists')), gc.lines.join('\n'));
    } finally {
      await gc.stop();
      await cleanUp();
    }
  });

  it('deletes terminating pods bound to no node, marked Failed', async () => {
    const gc = await startGC();
    try {
      await node('n1', 'True');
      await pod('unbound', { hold: true });
      await pod('unbound-live');
      await pod('bound', { node: 'n1', phase: 'Running' });
      await del('unbound');
      await del('bound'); // graceful: 30 s, its kubelet's to finish
      await waitUntil(() => gc.pods.get('default/unbound')?.metadata.deletionTimestamp !== undefined && gc.pods.get('default/bound')?.metadata.deletionTimestamp !== undefined);

      await gc.pass();
      const unbound = await until('unbound marked Failed', async () => {
        const p = await get('unbound');
        return p?.status.phase === 'Failed' ? p : undefined;
      });
      assert.ok(byPodGC(unbound));
      assert.equal(condition(unbound, 'DisruptionTarget'), undefined, 'only orphans get the condition');
      assert.equal((await get('unbound-live')).status.phase, 'Pending');
      const bound = await get('bound');
      assert.deepEqual([bound.status.phase, bound.metadata.deletionGracePeriodSeconds], ['Running', 30], 'a pod on a live node is its kubelet’s');
    } finally {
      await gc.stop();
      await cleanUp();
    }
  });

  it('force-deletes terminating pods on NotReady nodes tainted out-of-service', async () => {
    const gc = await startGC();
    try {
      const taint = { key: TAINT_OUT_OF_SERVICE, value: 'nodeshutdown', effect: 'NoExecute' };
      await node('oos', 'False', [taint]);
      await node('oos-ready', 'True', [taint]);
      await node('down', 'Unknown');
      for (const [name, n, hold] of [['oos-1', 'oos', true], ['oos-2', 'oos', false], ['oos-live', 'oos', false], ['ready-term', 'oos-ready', false], ['down-term', 'down', false]] as const) {
        await pod(name, { node: n, phase: 'Running', hold });
      }
      for (const name of ['oos-1', 'oos-2', 'ready-term', 'down-term']) await del(name);
      await waitUntil(() => gc.pods.list().filter((p) => p.metadata.deletionTimestamp).length === 4 && gc.nodes.list().length === 3);

      await gc.pass();
      await until('oos-2 gone', async () => ((await get('oos-2')) === undefined ? true : undefined));
      const held = await until('oos-1 force deleted', async () => {
        const p = await get('oos-1');
        return p?.metadata.deletionGracePeriodSeconds === 0 ? p : undefined;
      });
      assert.equal(held.status.phase, 'Failed');
      assert.equal(condition(held, 'DisruptionTarget'), undefined);
      assert.equal((await get('oos-live')).metadata.deletionTimestamp, undefined, 'only terminating pods');
      for (const name of ['ready-term', 'down-term']) assert.equal((await get(name)).metadata.deletionGracePeriodSeconds, 30, `${name}: its node is Ready or not out of service`);
    } finally {
      await gc.stop();
      await cleanUp();
    }
  });
});
