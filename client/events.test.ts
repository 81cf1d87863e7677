import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { EventRecorder } from './events.js';
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
