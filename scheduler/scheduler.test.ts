/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The scheduler through a real API server and store: nodes and pods made
 * with the API, the Scheduler in this process over a RestClient, and what a
 * user sees afterwards (spec.nodeName, PodScheduled, events).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../client/rest.js';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';
import { Scheduler } from './scheduler.js';

/** A real API server and a Scheduler in this process over it, started before the describe's tests and stopped after. */
function overApiServer(): { t: TestApi; s: Scheduler } {
  const ctx = {} as { t: TestApi; s: Scheduler; client?: RestClient };
  before(async () => {
    ctx.t = await TestApi.start();
    ctx.client = RestClient.fromKubeconfig(ctx.t.kubeconfig, { userAgent: Scheduler.userAgent() });
    ctx.s = new Scheduler({ client: ctx.client, log: () => {} });
    await ctx.s.start();
  });
  after(async () => {
    await ctx.s?.stop();
    ctx.client?.close();
    await ctx.t?.stop();
  });
  return ctx;
}

describe('the scheduler over a real API server', () => {
  const ctx = overApiServer();

  const node = async (name: string, cpu: string, extra: Record<string, any> = {}): Promise<void> => {
    const r = await ctx.t.call('POST', '/api/v1/nodes', {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
      spec: extra.spec ?? {},
      status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, capacity: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };
  const pod = async (name: string, cpu: string, spec: Record<string, any> = {}): Promise<void> => {
    const r = await ctx.t.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }], ...spec } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };
  const get = async (name: string): Promise<any> => (await ctx.t.call('GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  const boundTo = (name: string): Promise<string> => until(`${name} bound`, async () => (await get(name)).spec.nodeName as string | undefined);
  const events = async (name: string): Promise<any[]> => (await ctx.t.call('GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${name}`)).body.items;

  it('binds pods to nodes with room, never over-commits, and says why a pod fits nowhere until a node is added', async () => {
    await node('cp', '8', { spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } });
    await node('w1', '2');
    await node('w2', '2');
    for (const n of ['a', 'b', 'c', 'd']) await pod(n, '1');
    const hosts = await Promise.all(['a', 'b', 'c', 'd'].map(boundTo));
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

  const pod = async (name: string, cpu: string, spec: Record<string, any> = {}): Promise<void> => {
    const r = await ctx.t.call('POST', '/api/v1/namespaces/default/pods', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }], ...spec } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };
  const get = async (name: string): Promise<any> => (await ctx.t.call('GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  const boundTo = (name: string): Promise<string> => until(`${name} bound`, async () => (await get(name)).spec.nodeName as string | undefined);

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
    await until('sneaky unschedulable', () => (ctx.s.queue.where({ metadata: { namespace: 'default', name: 'sneaky' }, spec: { containers: [] } }) === 'unschedulable' ? true : undefined));
    // one victim goes: 1 cpu is free on the node, but it is vip's (waiting for b), not sneaky's
    const attempts = ctx.s.stats.attempts;
    await ctx.t.call('DELETE', '/api/v1/namespaces/default/pods/a?gracePeriodSeconds=0');
    await until('vip and sneaky retried', () => (ctx.s.stats.attempts >= attempts + 2 ? true : undefined));
    await until('both back in the queue', () =>
      ['vip', 'sneaky'].every((n) => ctx.s.queue.where({ metadata: { namespace: 'default', name: n }, spec: { containers: [] } }) === 'unschedulable') ? true : undefined,
    );
    assert.equal((await get('sneaky')).spec.nodeName, undefined, 'the lower-priority pod did not take the nominated room');
    assert.equal((await get('vip')).status?.nominatedNodeName, 'only', 'vip still waits for its other victim');
    await ctx.t.call('DELETE', '/api/v1/namespaces/default/pods/b?gracePeriodSeconds=0');
    assert.equal(await boundTo('vip'), 'only');
    assert.equal((await get('sneaky')).spec.nodeName, undefined);
  });
});
