/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The scheduler through a real API server and store: nodes and pods made
 * with the API, the Scheduler in this process over a RestClient, and what a
 * user sees afterwards (spec.nodeName, PodScheduled, events).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../client/rest.js';
import type { Pod } from '../client/types.js';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PermitPlugin, PluginFactory, WaitingPod } from './framework/interface.js';
import { DEFAULT_PROFILE } from './framework/profile.js';
import { Code, SUCCESS, Status, unresolvable } from './framework/status.js';
import { inTreeRegistry } from './plugins/registry.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

/** A real API server and a Scheduler in this process over it (with `opts`), started before the describe's tests and stopped after. */
function overApiServer(opts: Omit<SchedulerOptions, 'client'> = {}): { t: TestApi; s: Scheduler } {
  const ctx = {} as { t: TestApi; s: Scheduler; client?: RestClient };
  before(async () => {
    ctx.t = await TestApi.start();
    ctx.client = RestClient.fromKubeconfig(ctx.t.kubeconfig, { userAgent: Scheduler.userAgent() });
    ctx.s = new Scheduler({ client: ctx.client, log: () => {}, ...opts });
    await ctx.s.start();
  });
  after(async () => {
    await ctx.s?.stop();
    ctx.client?.close();
    await ctx.t?.stop();
  });
  return ctx;
}

/** The calls the tests make to the API server of `ctx` (pods in namespace default). */
function calls(ctx: { t: TestApi }) {
  /** Creates a node of `cpu` (and 8Gi); `extra` adds labels and a spec. */
  const node = async (name: string, cpu: string, extra: Record<string, any> = {}): Promise<void> => {
    const r = await ctx.t.call('POST', '/api/v1/nodes', {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
      spec: extra.spec ?? {},
      status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, capacity: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };
  /** Creates a pod requesting `cpu`, with the rest of its `spec`, and `labels`. */
  const pod = async (name: string, cpu: string, spec: Record<string, any> = {}, labels?: Record<string, string>): Promise<void> => {
    const r = await ctx.t.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name, ...(labels ? { labels } : {}) },
      spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }], ...spec },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };
  const get = async (name: string): Promise<any> => (await ctx.t.call('GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  /** The node the pod is bound to, once it is (within `ms`). */
  const boundTo = (name: string, ms?: number): Promise<string> => until(`${name} bound`, async () => (await get(name)).spec.nodeName as string | undefined, ms);
  const events = async (name: string): Promise<any[]> => (await ctx.t.call('GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${name}`)).body.items;
  return { node, pod, get, boundTo, events };
}

/** A pod as the queue knows it, by name (namespace default). */
function named(name: string): Pod {
  return { metadata: { namespace: 'default', name }, spec: { containers: [] } };
}

describe('the scheduler over a real API server', () => {
  const ctx = overApiServer();
  const { node, pod, get, boundTo, events } = calls(ctx);

  it('binds pods to nodes with room, never over-commits, and says why a pod fits nowhere until a node is added', async () => {
    await node('cp', '8', { spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } });
    await node('w1', '2');
    await node('w2', '2');
    for (const n of ['a', 'b', 'c', 'd']) await pod(n, '1');
    const hosts = await Promise.all(['a', 'b', 'c', 'd'].map((n) => boundTo(n)));
    assert.deepEqual([...hosts].sort(), ['w1', 'w1', 'w2', 'w2'], 'two on each worker, none on the tainted control plane');
    const scheduled = await until('a Scheduled event', async () => (await events('a')).find((e) => e.reason === 'Scheduled'));
    assert.equal(scheduled.message, `Successfully assigned default/a to ${hosts[0]}`);
    // recorded as kube-scheduler records it: through events.k8s.io/v1
    const v1 = (await ctx.t.call('GET', `/apis/events.k8s.io/v1/namespaces/default/events/${scheduled.metadata.name}`)).body;
    assert.equal(v1.reportingController, 'default-scheduler');
    assert.match(v1.reportingInstance, /^default-scheduler-/);
    assert.equal(v1.action, 'Binding');
    assert.equal(v1.note, scheduled.message);
    assert.deepEqual([v1.regarding.kind, v1.regarding.namespace, v1.regarding.name, v1.regarding.uid], ['Pod', 'default', 'a', (await get('a')).metadata.uid]);
    const bound = await get('a');
    assert.equal(bound.status.conditions.find((c: any) => c.type === 'PodScheduled')?.status, 'True');

    await pod('e', '1');
    const failed = await until('a FailedScheduling event', async () => (await events('e')).find((e) => e.reason === 'FailedScheduling'));
    const message = '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    assert.equal(failed.message, message);
    assert.equal(failed.type, 'Warning');
    const cond = await until('PodScheduled=False', async () => (await get('e')).status.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False'));
    assert.deepEqual([cond.reason, cond.message], ['Unschedulable', message]);

    await node('w3', '2');
    assert.equal(await boundTo('e'), 'w3', 'a node was added: the pod fits now');
  });

  it('preempts a lower-priority pod for a higher-priority one and nominates its node', async () => {
    await ctx.t.call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'urgent' }, value: 1000 });
    // w3 has 1 cpu left: fill it, then the whole cluster is full
    await pod('filler', '1');
    assert.equal(await boundTo('filler'), 'w3');
    await pod('vip', '2', { priorityClassName: 'urgent' });
    const nominated = await until('a nomination', async () => (await get('vip')).status?.nominatedNodeName as string | undefined);
    assert.ok(['w1', 'w2', 'w3'].includes(nominated));
    // the victims are terminating: play the kubelet, which confirms their end (kubeling's nodes come with issue 6)
    const terminating = await until('the victims marked for deletion', async () => {
      const items = (await ctx.t.call('GET', '/api/v1/namespaces/default/pods')).body.items.filter((p: any) => p.metadata.deletionTimestamp);
      return items.length === 2 ? items : undefined;
    });
    for (const v of terminating) {
      assert.equal(v.spec.nodeName, nominated);
      assert.equal(v.status.conditions.find((c: any) => c.type === 'DisruptionTarget')?.reason, 'PreemptionByScheduler');
      await ctx.t.call('DELETE', `/api/v1/namespaces/default/pods/${v.metadata.name}?gracePeriodSeconds=0`);
    }
    assert.equal(await boundTo('vip'), nominated, 'bound where room was made');
    const preempted = (await ctx.t.call('GET', '/api/v1/namespaces/default/events?fieldSelector=reason%3DPreempted')).body.items;
    assert.equal(preempted.length, 2, 'two pods of 1 cpu made room for 2 cpu');
    assert.match(preempted[0].message, /^Preempted by pod [0-9a-f-]+ on node w\d$/);
  });

  it('leaves pods for another scheduler alone', async () => {
    await node('w4', '1');
    await pod('other', '100m', { schedulerName: 'my-scheduler' });
    await pod('mine', '100m');
    await boundTo('mine');
    assert.equal((await get('other')).spec.nodeName, undefined);
    assert.equal((await events('other')).length, 0);
  });
});

describe('a nominated pod over a real API server', () => {
  const ctx = overApiServer();

  const { pod, get, boundTo } = calls(ctx);

  it('keeps the room preemption made for a pod from a lower-priority pod scheduled while its victims go', async () => {
    await ctx.t.call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'urgent' }, value: 1000 });
    const resources = { cpu: '2', memory: '8Gi', pods: '110' };
    await ctx.t.call('POST', '/api/v1/nodes', { metadata: { name: 'only', labels: { 'kubernetes.io/hostname': 'only' } }, status: { allocatable: resources, capacity: resources } });
    await pod('a', '1');
    await pod('b', '1');
    assert.deepEqual([await boundTo('a'), await boundTo('b')], ['only', 'only']);
    await pod('vip', '2', { priorityClassName: 'urgent' });
    assert.equal(await until('a nomination', async () => (await get('vip')).status?.nominatedNodeName as string | undefined), 'only');
    await until('a and b terminating', async () => ((await get('a')).metadata.deletionTimestamp && (await get('b')).metadata.deletionTimestamp ? true : undefined));
    await pod('sneaky', '1');
    await until('sneaky unschedulable', () => (ctx.s.queue.where(named('sneaky')) === 'unschedulable' ? true : undefined));
    // one victim goes: 1 cpu is free on the node, but it is vip's (waiting for b), not sneaky's
    const attempts = ctx.s.stats.attempts;
    await ctx.t.call('DELETE', '/api/v1/namespaces/default/pods/a?gracePeriodSeconds=0');
    await until('vip and sneaky retried', () => (ctx.s.stats.attempts >= attempts + 2 ? true : undefined));
    await until('both back in the queue', () =>
      ['vip', 'sneaky'].every((n) => ctx.s.queue.where(named(n)) === 'unschedulable') ? true : undefined,
    );
    assert.equal((await get('sneaky')).spec.nodeName, undefined, 'the lower-priority pod did not take the nominated room');
    assert.equal((await get('vip')).status?.nominatedNodeName, 'only', 'vip still waits for its other victim');
    await ctx.t.call('DELETE', '/api/v1/namespaces/default/pods/b?gracePeriodSeconds=0');
    assert.equal(await boundTo('vip'), 'only');
    assert.equal((await get('sneaky')).spec.nodeName, undefined);
  });
});

describe("Permit's waiting pods over a real API server", () => {
  /** The Handle the Gate plugin was built with: the test allows waiting pods through it, as a plugin would. */
  let handle: Handle | undefined;
  /** A Permit plugin: a pod labelled gate=<ms> waits that long; registering no event, a pod it rejected is retried only by the periodic flush. */
  const gate: PluginFactory = (_args, h) => {
    handle = h;
    const plugin: PermitPlugin & EnqueueExtensions = {
      name: 'Gate',
      permit: (_state, p) => {
        const ms = p.metadata.labels?.gate;
        return ms === undefined ? { status: SUCCESS } : { status: new Status(Code.Wait), timeoutMs: Number(ms) };
      },
      eventsToRegister: () => [],
    };
    return plugin;
  };
  const ctx = overApiServer({ registry: { ...inTreeRegistry, Gate: gate }, profiles: [{ ...DEFAULT_PROFILE, plugins: { ...DEFAULT_PROFILE.plugins, permit: ['Gate'] } }] });
  const { node, pod, get, boundTo, events } = calls(ctx);

  /** The waiting pods' names. */
  const waitingNames = (): string[] => {
    const names: string[] = [];
    handle!.iterateOverWaitingPods((wp) => names.push(wp.pod.metadata.name!));
    return names.sort();
  };
  /** The pod named `name` once it waits on Permit. */
  const waiting = (name: string): Promise<WaitingPod> =>
    until(`${name} waiting on Permit`, async () => {
      const uid = (await get(name)).metadata.uid as string;
      return handle!.getWaitingPod(uid);
    });
  /** The FailedScheduling message of `name` once its PodScheduled=False condition (reason Unschedulable) says it too. */
  const unschedulable = async (name: string): Promise<string> => {
    const cond = await until(`${name} PodScheduled=False`, async () => (await get(name)).status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False'));
    assert.equal(cond.reason, 'Unschedulable');
    await until(`a FailedScheduling event for ${name} saying ${JSON.stringify(cond.message)}`, async () => (await events(name)).find((e) => e.reason === 'FailedScheduling' && e.message === cond.message));
    return cond.message as string;
  };

  it("holds a waiting pod's room, binds it once allowed, fails one whose time runs out, and frees the room of one deleted", async () => {
    await node('gated', '3');
    await pod('first', '1', {}, { gate: '60000' });
    await pod('held', '1', {}, { gate: '60000' });
    const first = await waiting('first');
    await waiting('held');
    assert.deepEqual(first.getPendingPlugins(), ['Gate']);
    assert.equal(first.pod.spec.nodeName, 'gated', 'assumed on its node');
    assert.equal((await get('first')).spec.nodeName, undefined, 'not bound while it waits');

    // the waiting pods' room is counted: 1 cpu of 3 is left
    await pod('big', '2');
    assert.equal(await unschedulable('big'), '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');

    first.allow('Gate');
    assert.equal(await boundTo('first'), 'gated');
    await until('a Scheduled event for first', async () => ((await events('first')).some((e) => e.reason === 'Scheduled') ? true : undefined));

    await pod('late', '500m', {}, { gate: '200' });
    assert.equal(await unschedulable('late'), '0/1 nodes are available: 1 rejected due to timeout after waiting 200ms at plugin Gate.');
    assert.equal((await get('late')).spec.nodeName, undefined);
    await until('late unschedulable in the queue, Gate its rejector', () => (ctx.s.queue.where(named('late')) === 'unschedulable' ? true : undefined));
    assert.deepEqual(waitingNames(), ['held']);

    // deleted while it waits: rejected ("removed"), its room goes back and big fits (after its backoff)
    assert.equal((await ctx.t.call('DELETE', '/api/v1/namespaces/default/pods/held')).code, 200);
    assert.equal(await boundTo('big', 20_000), 'gated');
    assert.deepEqual(waitingNames(), []);
    await until('no binding in flight', () => (ctx.s.stats.binding === 0 ? true : undefined));
    assert.equal(ctx.s.cache.size.assumed, 0, 'nothing left assumed');
  });

  it('ends the waits when the scheduler stops, leaving the pod pending in the API for the next scheduler', async () => {
    await node('spare', '1');
    await pod('parked', '100m', {}, { gate: String(15 * 60_000) });
    await waiting('parked');
    const failures = (await events('parked')).length;
    await ctx.s.stop();
    assert.deepEqual(waitingNames(), []);
    await until('no binding in flight', () => (ctx.s.stats.binding === 0 ? true : undefined));
    const parked = await get('parked');
    assert.equal(parked.spec.nodeName, undefined);
    assert.equal(parked.status?.conditions?.find((c: any) => c.type === 'PodScheduled'), undefined, 'no condition written');
    assert.equal((await events('parked')).length, failures, 'no FailedScheduling');
  });
});

describe('a preempting pod goes to its nominated node first, over a real API server', () => {
  /**
   * A Filter plugin that keeps pods off `roomy` while the pod `low` is on
   * `only`: so `roomy` becomes feasible exactly when `low`, preemption's
   * victim there, is gone, and, roomier, would then win the scoring.
   */
  const afterVictims: PluginFactory = (_args, h) => {
    const plugin: FilterPlugin & EnqueueExtensions = {
      name: 'AfterVictims',
      filter: (_state, _pod, n) => (n.name === 'roomy' && h.snapshot().get('only')?.pods.some((q) => q.pod.metadata.name === 'low') ? unresolvable('node(s) waited for the victim') : SUCCESS),
      eventsToRegister: () => [],
    };
    return plugin;
  };
  const p = DEFAULT_PROFILE.plugins;
  const ctx = overApiServer({ registry: { ...inTreeRegistry, AfterVictims: afterVictims }, profiles: [{ ...DEFAULT_PROFILE, plugins: { ...p, filter: [...p.filter, 'AfterVictims'] } }] });
  const { node, pod, get, boundTo } = calls(ctx);

  it('binds it where preemption made room, though a roomier node fits it as well by then', async () => {
    await ctx.t.call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'urgent' }, value: 1000 });
    await node('only', '2');
    await node('roomy', '16');
    await pod('low', '2', { nodeName: 'only' });
    await pod('vip', '2', { priorityClassName: 'urgent' });
    assert.equal(await until('a nomination', async () => (await get('vip')).status?.nominatedNodeName as string | undefined), 'only');
    await until('the victim terminating', async () => ((await get('low')).metadata.deletionTimestamp ? true : undefined));
    // the victim goes (as its kubelet would confirm it): vip is retried, and only and roomy both fit it
    await ctx.t.call('DELETE', '/api/v1/namespaces/default/pods/low?gracePeriodSeconds=0');
    assert.equal(await boundTo('vip', 20_000), 'only', 'its nominated node, tried first');
    // a pod like it with no nomination goes through the search over every node, and scores roomy higher
    await pod('twin', '2', { priorityClassName: 'urgent' });
    assert.equal(await boundTo('twin'), 'roomy');
  });
});
