import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hostname } from 'node:os';
import { TestApi } from '../test/apiserver.js';
import { FakeClock } from './clock.js';
import { EventRecorder, EventsV1Recorder, SERIES_FINISH_MS, SERIES_REFRESH_MS, type EventV1 } from './events.js';
import { RestClient } from './rest.js';
import type { Event, KubeObject } from './types.js';

describe('EventRecorder', () => {
  let t: TestApi;
  let c: RestClient;
  before(async () => {
    t = await TestApi.start();
    c = RestClient.fromKubeconfig(t.kubeconfig);
  });
  after(async () => {
    c?.close();
    await t?.stop();
  });

  it('writes core/v1 Events, folding repeats within 10 minutes into a count', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const rec = new EventRecorder(c, { component: 'default-scheduler', now: () => now });
    const pod = (await c.create({ resource: 'pods', namespace: 'default' }, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ev-pod' }, spec: { containers: [{ name: 'c', image: 'x' }] } })) as KubeObject;
    const node = (await c.create({ resource: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ev-node' } })) as KubeObject;
    rec.eventf(pod, 'Warning', 'FailedScheduling', '0/%d nodes are available', 3);
    now += 1000;
    rec.eventf(pod, 'Warning', 'FailedScheduling', '0/%d nodes are available', 3);
    now += 1000;
    rec.eventf(pod, 'Warning', 'FailedScheduling', '0/%d nodes are available', 3);
    rec.eventf(pod, 'Normal', 'Scheduled', 'Successfully assigned default/ev-pod to n1');
    rec.eventf(node, 'Normal', 'RegisteredNode', 'Node ev-node registered');
    now += 11 * 60 * 1000; // past the window: a new Event
    rec.eventf(pod, 'Warning', 'FailedScheduling', '0/%d nodes are available', 3);
    await rec.flush();
    const events = (await c.list<Event>({ resource: 'events', namespace: 'default' })).items;
    const failed = events.filter((e) => e.reason === 'FailedScheduling').sort((x, y) => (x.count ?? 0) - (y.count ?? 0));
    assert.equal(failed.length, 2);
    const [fresh, folded] = failed as [Event, Event];
    assert.equal(folded.count, 3);
    assert.equal(folded.firstTimestamp, '2030-01-01T00:00:00Z');
    assert.equal(folded.lastTimestamp, '2030-01-01T00:00:02Z');
    assert.equal(folded.message, '0/3 nodes are available');
    assert.equal(folded.type, 'Warning');
    assert.deepEqual(folded.source, { component: 'default-scheduler' });
    assert.equal(folded.reportingComponent, 'default-scheduler');
    assert.equal(folded.involvedObject.kind, 'Pod');
    assert.equal(folded.involvedObject.name, 'ev-pod');
    assert.equal(folded.involvedObject.uid, pod.metadata.uid);
    assert.match(folded.metadata.name!, /^ev-pod\.[0-9a-f]+$/);
    assert.equal(fresh.count, 1);
    assert.equal(events.filter((e) => e.reason === 'Scheduled').length, 1);
    const nodeEvents = (await c.list<Event>({ resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=ev-node' })).items;
    assert.equal(nodeEvents.length, 1, 'events of a cluster-scoped object go to default');
    // kubectl describe reads them
    const d = await t.kubectl('describe', 'pod', 'ev-pod');
    assert.match(d.stdout, /FailedScheduling/);
  });

  it('never throws into the caller, and recreates an Event deleted meanwhile', async () => {
    const logs: string[] = [];
    const rec = new EventRecorder(c, { component: 'kubelet', host: 'n1', log: (m) => logs.push(m) });
    const ghost: KubeObject = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'ghost', namespace: 'no-such-namespace' } };
    rec.eventf(ghost, 'Normal', 'Started', 'started');
    await rec.flush();
    assert.equal(logs.length, 1);
    const pod: KubeObject = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'again', namespace: 'default', uid: 'u1' } };
    rec.eventf(pod, 'Normal', 'Pulled', 'pulled');
    await rec.flush();
    await c.deleteCollection({ resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=again' });
    rec.eventf(pod, 'Normal', 'Pulled', 'pulled');
    await rec.flush();
    const evs = (await c.list<Event>({ resource: 'events', namespace: 'default' }, { fieldSelector: 'involvedObject.name=again' })).items;
    assert.equal(evs.length, 1);
    assert.equal(evs[0]!.count, 2);
    assert.deepEqual(evs[0]!.source, { component: 'kubelet', host: 'n1' });
    assert.equal(logs.length, 1);
  });
});

describe('EventsV1Recorder', () => {
  let t: TestApi;
  let c: RestClient;
  before(async () => {
    t = await TestApi.start();
    c = RestClient.fromKubeconfig(t.kubeconfig);
  });
  after(async () => {
    c?.close();
    await t?.stop();
  });
  const MIN = 60 * 1000;
  const V1 = { group: 'events.k8s.io', version: 'v1', resource: 'events', namespace: 'default' };
  const CORE = { resource: 'events', namespace: 'default' };
  /** The events about the object named `name`, through events.k8s.io/v1, oldest first. */
  const v1Events = async (name: string) =>
    (await c.list<EventV1>(V1, { fieldSelector: `regarding.name=${name}` })).items.sort((a, b) => (a.eventTime < b.eventTime ? -1 : 1));
  /** The same, through core/v1. */
  const coreEvents = async (name: string) =>
    (await c.list<Event & { series?: { count: number; lastObservedTime: string } }>(CORE, { fieldSelector: `involvedObject.name=${name}` })).items.sort((a, b) =>
      (a.eventTime ?? '') < (b.eventTime ?? '') ? -1 : 1,
    );
  const newPod = async (name: string) =>
    (await c.create({ resource: 'pods', namespace: 'default' }, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } })) as KubeObject;

  it('creates the first event, writes a repeat as a series at once, bumps later repeats in its cache, and finishes the series after 6 quiet minutes', async () => {
    const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
    const rec = new EventsV1Recorder(c, { reportingController: 'kubeling.io/scheduler', reportingInstance: 'scheduler-1', clock });
    const pod = await newPod('series-pod');
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n1-uid' } };
    const failed = () => rec.eventf(pod, node, 'Warning', 'FailedScheduling', 'Scheduling', '0/%d nodes are available', 3);
    failed();
    rec.eventf(pod, node, 'Warning', 'FailedScheduling', 'Scheduling', '0/%d nodes are available', 4); // another note: another event
    await rec.flush();
    const [created, other] = await v1Events('series-pod');
    let ev = created;
    assert.equal(other?.note, '0/4 nodes are available');
    assert.ok(ev);
    assert.equal(ev.eventTime, '2030-01-01T00:00:00.000000Z');
    assert.equal(ev.series, undefined);
    assert.deepEqual(
      [ev.reportingController, ev.reportingInstance, ev.action, ev.reason, ev.note, ev.type],
      ['kubeling.io/scheduler', 'scheduler-1', 'Scheduling', 'FailedScheduling', '0/3 nodes are available', 'Warning'],
    );
    assert.deepEqual(ev.regarding, { kind: 'Pod', apiVersion: 'v1', namespace: 'default', name: 'series-pod', uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion });
    assert.deepEqual(ev.related, { kind: 'Node', apiVersion: 'v1', name: 'n1', uid: 'n1-uid' });
    assert.match(ev.metadata.name!, /^series-pod\.[0-9a-f]+$/);
    // the same Event through core/v1
    const [core] = await coreEvents('series-pod');
    assert.deepEqual(
      [core?.metadata.name, core?.message, core?.reportingComponent, core?.reportingInstance, core?.action, core?.eventTime, core?.firstTimestamp, core?.count, core?.involvedObject.uid],
      [ev.metadata.name, '0/3 nodes are available', 'kubeling.io/scheduler', 'scheduler-1', 'Scheduling', '2030-01-01T00:00:00.000000Z', null, undefined, pod.metadata.uid],
    );

    clock.step(1000);
    failed(); // the first repeat: a series, written at once
    await rec.flush();
    [ev] = await v1Events('series-pod');
    assert.deepEqual(ev?.series, { count: 2, lastObservedTime: '2030-01-01T00:00:01.000000Z' });
    assert.deepEqual((await coreEvents('series-pod'))[0]?.series, { count: 2, lastObservedTime: '2030-01-01T00:00:01.000000Z' });

    clock.step(1000);
    failed();
    failed(); // only the cache counts these
    await rec.flush();
    assert.equal((await v1Events('series-pod'))[0]?.series?.count, 2);
    clock.step(SERIES_FINISH_MS - 2000); // the first look, 6 minutes in: the last repeat is 5m58s old
    await rec.flush();
    assert.equal((await v1Events('series-pod'))[0]?.series?.count, 2);
    clock.step(SERIES_FINISH_MS); // 12 minutes in: finished, with its last count
    await rec.flush();
    [ev] = await v1Events('series-pod');
    assert.deepEqual(ev?.series, { count: 4, lastObservedTime: '2030-01-01T00:00:02.000000Z' });

    failed(); // the series is over: a new Event
    await rec.flush();
    const all = await v1Events('series-pod');
    assert.equal(all.length, 3);
    assert.equal(all[2]!.eventTime, '2030-01-01T00:12:00.000000Z');
    assert.equal(all[2]!.series, undefined);
    assert.notEqual(all[2]!.metadata.name, ev?.metadata.name);
    rec.stop();
    assert.equal(clock.pending, 0);
  });

  it('writes every open series each 30 minutes', async () => {
    const clock = new FakeClock(Date.parse('2031-01-01T00:00:00Z'));
    const rec = new EventsV1Recorder(c, { reportingController: 'kubeling.io/kubelet', reportingInstance: 'n1', clock });
    const pod = await newPod('busy-pod');
    const backoff = () => rec.eventf(pod, undefined, 'Warning', 'BackOff', 'Restarting', 'Back-off restarting failed container');
    backoff();
    clock.step(1000);
    backoff();
    for (let i = 0; i < 5; i++) {
      clock.step(5 * MIN); // a repeat every 5 minutes keeps the series open
      backoff();
    }
    await rec.flush();
    let [ev] = await v1Events('busy-pod');
    assert.deepEqual(ev?.series, { count: 2, lastObservedTime: '2031-01-01T00:00:01.000000Z' });
    clock.step(SERIES_REFRESH_MS - 25 * MIN - 1000); // 30 minutes in
    await rec.flush();
    [ev] = await v1Events('busy-pod');
    assert.deepEqual(ev?.series, { count: 7, lastObservedTime: '2031-01-01T00:25:01.000000Z' });
    assert.equal((await v1Events('busy-pod')).length, 1);
    rec.stop();
  });

  it('never throws into the caller: a failed write is logged and dropped, a series whose Event is gone is created anew; after stop() nothing is recorded', async () => {
    const logs: string[] = [];
    const clock = new FakeClock(Date.parse('2032-01-01T00:00:00Z'));
    const rec = new EventsV1Recorder(c, { reportingController: 'kubeling.io/kubelet', clock, log: (m) => logs.push(m) });
    const ghost: KubeObject = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'ghost', namespace: 'no-such-namespace' } };
    rec.eventf(ghost, undefined, 'Normal', 'Started', 'Starting', 'started');
    rec.eventf(ghost, undefined, 'Odd' as 'Normal', 'Started', 'Starting', 'started');
    await rec.flush();
    assert.equal(logs.length, 2);
    assert.match(logs[0]!, /^kubeling\.io\/kubelet: unsupported event type "Odd": event Started dropped$/);
    assert.match(logs[1]!, /^kubeling\.io\/kubelet: could not write event Started: /);

    const pod: KubeObject = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'again', namespace: 'default', uid: 'u1' } };
    rec.eventf(pod, undefined, 'Normal', 'Pulled', 'Pulling', 'pulled');
    await rec.flush();
    const [first] = await v1Events('again');
    assert.equal(first?.reportingInstance, `kubeling.io/kubelet-${hostname()}`);
    await c.deleteCollection(CORE, { fieldSelector: 'involvedObject.name=again' });
    clock.step(1000);
    rec.eventf(pod, undefined, 'Normal', 'Pulled', 'Pulling', 'pulled');
    await rec.flush();
    const evs = await v1Events('again');
    assert.equal(evs.length, 1);
    assert.equal(evs[0]!.metadata.name, first?.metadata.name);
    assert.deepEqual(evs[0]!.series, { count: 2, lastObservedTime: '2032-01-01T00:00:01.000000Z' });
    assert.equal(evs[0]!.eventTime, '2032-01-01T00:00:00.000000Z');
    assert.equal(logs.length, 2);

    rec.stop();
    assert.equal(clock.pending, 0);
    rec.eventf(pod, undefined, 'Normal', 'Killing', 'Killing', 'stopping');
    await rec.flush();
    assert.deepEqual((await v1Events('again')).map((e) => e.reason), ['Pulled']);
    // with the process's clock, its timers do not keep the process alive
    new EventsV1Recorder(c, { reportingController: 'x' }).stop();
  });
});
