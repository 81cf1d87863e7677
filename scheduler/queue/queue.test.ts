import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../client/types.js';
import {
  ASSIGNED_POD_ADD, ASSIGNED_POD_DELETE, type ClusterEvent, NODE_ADD, nodeSchedulingPropertiesChange, UNSCHEDULABLE_TIMEOUT, UNSCHEDULED_POD_DELETE,
} from '../framework/events.js';
import { Framework } from '../framework/framework.js';
import type { QueuedPodInfo } from '../framework/interface.js';
import { DEFAULT_PROFILE } from '../framework/profile.js';
import { Snapshot } from '../framework/snapshot.js';
import { SUCCESS } from '../framework/status.js';
import { inTreeRegistry } from '../plugins/registry.js';
import { makeNode, makePod } from '../plugins/testing.js';
import { KeyedHeap } from './keyedheap.js';
import { SchedulingQueue } from './queue.js';
import type { ProfileHints } from './requeue.js';

const pod = (name: string, priority = 0, nodeSelector?: Record<string, string>): Pod => ({
  metadata: { name, namespace: 'default', uid: name },
  spec: { containers: [{ name: 'c' }], priority, ...(nodeSelector ? { nodeSelector } : {}) },
});
// PrioritySort's order: higher priority first, then the earlier timestamp
const less = (a: QueuedPodInfo, b: QueuedPodInfo): boolean => {
  const pa = a.pod.spec.priority ?? 0;
  const pb = b.pod.spec.priority ?? 0;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
};

/** The default profile's registrations, plus `Custom`, a Filter plugin that registers nothing. */
function defaultHints(): ProfileHints {
  const snap = new Snapshot([]);
  const p = DEFAULT_PROFILE.plugins;
  const fw = new Framework(
    { ...DEFAULT_PROFILE, plugins: { ...p, filter: [...p.filter, 'Custom'] } },
    {
      registry: { ...inTreeRegistry, Custom: () => ({ name: 'Custom', filter: () => SUCCESS }) },
      snapshot: () => snap,
      namespaceLabels: () => ({}),
      api: { bind: async () => {}, evict: async () => {}, preempted: () => {}, nominate: async () => {} },
    },
  );
  return new Map([['default-scheduler', fw.queueingHints]]);
}
const HINTS = defaultHints();

function queue(hints?: ProfileHints): { q: SchedulingQueue; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { q: new SchedulingQueue({ less, now: () => clock.t, ...(hints ? { hints } : {}) }), clock };
}

const names = async (q: SchedulingQueue, n: number): Promise<string[]> => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await q.pop())!.pod.metadata.name!);
  return out;
};

/** Adds `pods`, pops each and sends it back unschedulable, rejected by its plugins. */
async function unschedulable(q: SchedulingQueue, pods: readonly { pod: Pod; rejectedBy: readonly string[] }[]): Promise<void> {
  for (const { pod: p } of pods) q.add(p);
  for (let i = 0; i < pods.length; i++) {
    const popped = (await q.pop())!;
    const rejectedBy = pods.find((x) => x.pod.metadata.name === popped.pod.metadata.name)!.rejectedBy;
    q.addUnschedulable({ ...popped, unschedulablePlugins: new Set(rejectedBy) }, q.schedulingCycle);
  }
  assert.equal(q.pending.unschedulable, pods.length);
}

describe('keyed heap', () => {
  it('pops in order, and updates and deletes by key', () => {
    const h = new KeyedHeap<{ k: string; v: number }>((x) => x.k, (a, b) => a.v < b.v);
    for (const [k, v] of [['a', 5], ['b', 3], ['c', 8], ['d', 1], ['e', 9]] as const) h.push({ k, v });
    h.push({ k: 'c', v: 0 });
    assert.equal(h.delete('d')?.v, 1);
    assert.equal(h.get('a')?.v, 5);
    const out: string[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.k);
    assert.deepEqual(out, ['c', 'b', 'a', 'e']);
    assert.equal(h.size, 0);
  });
});

describe('the scheduling queue', () => {
  it('pops by priority, then by arrival, and waits for a pod when empty', async () => {
    const { q, clock } = queue();
    q.add(pod('low'));
    clock.t++;
    q.add(pod('high', 100));
    clock.t++;
    q.add(pod('low2'));
    assert.deepEqual(await names(q, 3), ['high', 'low', 'low2']);
    const waiting = q.pop();
    q.add(pod('late'));
    assert.equal((await waiting)?.pod.metadata.name, 'late');
    assert.equal(q.schedulingCycle, 4);
    q.close();
    assert.equal(await q.pop(), undefined);
  });

  it('keeps a failed pod unschedulable until an event may help it, then backs it off 1 s doubling to 10 s', async () => {
    const { q, clock } = queue(HINTS);
    const p = makePod({ name: 'p', cpu: '2' });
    await unschedulable(q, [{ pod: p, rejectedBy: ['NodeResourcesFit'] }]);
    q.moveAllToActiveOrBackoff(NODE_ADD, undefined, makeNode({ name: 'small', cpu: '1' }));
    assert.deepEqual(q.pending, { active: 0, backoff: 0, unschedulable: 1 }, 'a node too small cannot help it');
    q.moveAllToActiveOrBackoff(NODE_ADD, undefined, makeNode({ name: 'big', cpu: '4' }));
    assert.deepEqual(q.pending, { active: 0, backoff: 1, unschedulable: 0 }, 'backing off: it failed just now');
    clock.t += 999;
    q.flushBackoffCompleted();
    assert.equal(q.pending.backoff, 1);
    clock.t += 1;
    q.flushBackoffCompleted();
    assert.deepEqual(q.pending, { active: 1, backoff: 0, unschedulable: 0 });
    const again = (await q.pop())!;
    assert.equal(again.attempts, 2);
    assert.equal(again.unschedulablePlugins.size, 0, 'a new attempt forgets the last rejectors');
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('leaves alone the pods a preCheck turns down (a rejected waiting pod is not moved by its own room)', async () => {
    const { q } = queue(HINTS);
    const [a, b] = [makePod({ name: 'a', cpu: '2' }), makePod({ name: 'b', cpu: '2' })];
    await unschedulable(q, [{ pod: a, rejectedBy: ['NodeResourcesFit'] }, { pod: b, rejectedBy: ['NodeResourcesFit'] }]);
    q.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE, makePod({ name: 'a', cpu: '2', nodeName: 'n' }), undefined, (p) => p.metadata.uid !== a.metadata.uid);
    assert.deepEqual([q.where(a), q.where(b)], ['unschedulable', 'backoff']);
  });

  it('sends a pod that no plugin rejected (an error) straight to backoff', async () => {
    const { q } = queue(HINTS);
    q.add(pod('p'));
    const p = (await q.pop())!;
    q.addUnschedulable(p, q.schedulingCycle);
    assert.deepEqual(q.pending, { active: 0, backoff: 1, unschedulable: 0 });
  });

  it('checks a failing pod against the events that came while it was in flight', async () => {
    const { q } = queue(HINTS);
    for (const n of ['a', 'b']) q.add(makePod({ name: n, cpu: '2' }));
    const a = (await q.pop())!;
    q.moveAllToActiveOrBackoff(NODE_ADD, undefined, makeNode({ name: 'small', cpu: '1' }));
    const b = (await q.pop())!;
    assert.deepEqual(q.inFlight, { pods: 2, events: 1 });
    q.moveAllToActiveOrBackoff(NODE_ADD, undefined, makeNode({ name: 'big', cpu: '4' }));
    q.addUnschedulable({ ...b, unschedulablePlugins: new Set(['NodeResourcesFit']) }, q.schedulingCycle);
    assert.equal(q.where(b.pod), 'backoff', 'the big node came while b was in flight');
    assert.deepEqual(q.inFlight, { pods: 1, events: 2 });
    q.addUnschedulable({ ...a, unschedulablePlugins: new Set(['TaintToleration']) }, q.schedulingCycle);
    assert.equal(q.where(a.pod), 'backoff', 'a node without taints came while a was in flight');
    assert.deepEqual(q.inFlight, { pods: 0, events: 0 }, 'no pod in flight: no events kept');
    q.add(makePod({ name: 'c', cpu: '2' }));
    const c = (await q.pop())!;
    q.moveAllToActiveOrBackoff(NODE_ADD, undefined, makeNode({ name: 'small2', cpu: '1' }));
    q.addUnschedulable({ ...c, unschedulablePlugins: new Set(['NodeResourcesFit']) }, q.schedulingCycle);
    assert.equal(q.where(c.pod), 'unschedulable', 'a node too small came: it cannot help');
  });

  it('forgets a pod done with its cycle, and the events only it needed', async () => {
    const { q } = queue(HINTS);
    q.add(pod('p'));
    const p = (await q.pop())!;
    q.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD, undefined, makePod({ name: 'x', nodeName: 'n' }));
    assert.deepEqual(q.inFlight, { pods: 1, events: 1 });
    q.done(p.pod);
    assert.deepEqual(q.inFlight, { pods: 0, events: 0 });
    q.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD, undefined, makePod({ name: 'y', nodeName: 'n' }));
    assert.deepEqual(q.inFlight, { pods: 0, events: 0 });
  });

  it("moves an unschedulable pod on its own update only when a rejecting plugin's hint says so", async () => {
    const { q } = queue(HINTS);
    const p = makePod({ name: 'p' });
    await unschedulable(q, [{ pod: p, rejectedBy: ['TaintToleration'] }]);
    const withStatus: Pod = { ...p, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } };
    q.update(p, withStatus);
    assert.equal(q.where(p), 'unschedulable', 'a status update helps nothing');
    const tolerating: Pod = { ...withStatus, spec: { ...p.spec, tolerations: [{ key: 'x', operator: 'Exists' }] } };
    q.update(withStatus, tolerating);
    assert.equal(q.where(p), 'backoff', 'a toleration added may');
  });

  it('keeps the update of a pod in flight among its events rather than queueing it again', async () => {
    const { q } = queue(HINTS);
    const p = makePod({ name: 'p' });
    q.add(p);
    const popped = (await q.pop())!;
    q.update(p, { ...p, spec: { ...p.spec, tolerations: [{ key: 'x', operator: 'Exists' }] } });
    assert.equal(q.where(p), 'inFlight');
    q.addUnschedulable({ ...popped, unschedulablePlugins: new Set(['TaintToleration']) }, q.schedulingCycle);
    assert.equal(q.where(p), 'backoff', 'its toleration came while it was being scheduled');
  });

  it('moves every pod on every event without hints, and retries a pod left unschedulable 5 minutes', async () => {
    const { q, clock } = queue();
    await unschedulable(q, [
      { pod: pod('a'), rejectedBy: ['NodeResourcesFit'] },
      { pod: pod('b'), rejectedBy: ['TaintToleration'] },
    ]);
    clock.t += 2000;
    q.update(pod('a'), pod('a', 0, { disk: 'ssd' }));
    assert.deepEqual(q.pending, { active: 1, backoff: 0, unschedulable: 1 }, 'no hints: any update may help');
    clock.t += 5 * 60_000;
    q.flushUnschedulableLeftover();
    assert.deepEqual(q.pending, { active: 2, backoff: 0, unschedulable: 0 });
    q.delete(pod('a'));
    assert.deepEqual(q.pending, { active: 1, backoff: 0, unschedulable: 0 });
    assert.equal(q.has(pod('b')), true);
  });

  it('lets the event loop turn between pops, so that a long activeQ does not starve I/O', async () => {
    const { q } = queue();
    for (const n of ['a', 'b', 'c']) q.add(pod(n));
    let turned = false;
    setImmediate(() => (turned = true)); // as an I/O callback would be: a macrotask
    assert.deepEqual((await names(q, 3)).sort(), ['a', 'b', 'c']);
    assert.equal(turned, true, 'resolved on microtasks alone, the loop would have run to the end first');
  });
});

describe('which unschedulable pods a cluster event moves (default profile hints)', () => {
  const pods = [
    { pod: makePod({ name: 'fit', cpu: '2' }), rejectedBy: ['NodeResourcesFit'] },
    { pod: makePod({ name: 'taint' }), rejectedBy: ['TaintToleration'] },
    { pod: makePod({ name: 'affinity', nodeSelector: { disk: 'ssd' } }), rejectedBy: ['NodeAffinity'] },
    { pod: makePod({ name: 'cordon' }), rejectedBy: ['NodeUnschedulable'] },
    { pod: makePod({ name: 'ports', ports: [{ hostPort: 8080 }] }), rejectedBy: ['NodePorts'] },
    { pod: makePod({ name: 'fit+taint', cpu: '2' }), rejectedBy: ['NodeResourcesFit', 'TaintToleration'] },
    {
      pod: makePod({
        name: 'near-db',
        affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' }] } },
      }),
      rejectedBy: ['InterPodAffinity'],
    },
    { pod: makePod({ name: 'unknown' }), rejectedBy: ['NotInTheProfile'] },
    { pod: makePod({ name: 'custom' }), rejectedBy: ['Custom'] },
  ];
  const node = makeNode({ name: 'n', cpu: '1', taints: [{ key: 'x', effect: 'NoSchedule' }], unschedulable: true });
  const change = (over: (n: Node) => void): [Node, Node] => {
    const after = structuredClone(node);
    over(after);
    return [node, after];
  };
  const nodeUpdate = (over: (n: Node) => void): { events: ClusterEvent[]; old: Node; new: Node } => {
    const [o, n] = change(over);
    return { events: nodeSchedulingPropertiesChange(n, o), old: o, new: n };
  };
  const cases: { name: string; events: ClusterEvent[]; old?: unknown; new?: unknown; moved: string[] }[] = [
    {
      name: 'a small plain node added',
      events: [NODE_ADD],
      new: makeNode({ name: 'small', cpu: '1' }),
      moved: ['taint', 'cordon', 'ports', 'fit+taint', 'unknown', 'custom'],
    },
    {
      name: 'a big tainted ssd node added',
      events: [NODE_ADD],
      new: makeNode({ name: 'big', cpu: '4', labels: { disk: 'ssd' }, taints: [{ key: 'x', effect: 'NoSchedule' }] }),
      moved: ['fit', 'affinity', 'cordon', 'ports', 'fit+taint', 'unknown', 'custom'],
    },
    { name: 'allocatable up (UpdateNodeAllocatable)', ...nodeUpdate((n) => (n.status!.allocatable!.cpu = '4')), moved: ['fit', 'fit+taint', 'unknown', 'custom'] },
    { name: 'allocatable down', ...nodeUpdate((n) => (n.status!.allocatable!.cpu = '500m')), moved: ['unknown', 'custom'] },
    { name: 'label disk=ssd added (UpdateNodeLabel)', ...nodeUpdate((n) => (n.metadata.labels = { disk: 'ssd' })), moved: ['affinity', 'unknown', 'custom'] },
    { name: 'taint removed (UpdateNodeTaint)', ...nodeUpdate((n) => (n.spec!.taints = [])), moved: ['taint', 'fit+taint', 'unknown', 'custom'] },
    { name: 'uncordoned (UpdateNodeTaint)', ...nodeUpdate((n) => (n.spec!.unschedulable = false)), moved: ['cordon', 'unknown', 'custom'] },
    { name: 'nothing a scheduler reads changed: no event', ...nodeUpdate((n) => (n.spec!.podCIDR = '10.0.0.0/24')), moved: [] },
    {
      name: 'a condition appeared (UpdateNodeCondition): no in-tree plugin hears it',
      ...nodeUpdate((n) => (n.status!.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'now' }])),
      moved: ['unknown', 'custom'],
    },
    { name: 'a node gets a zone (UpdateNodeLabel)', ...nodeUpdate((n) => (n.metadata.labels = { zone: 'z1' })), moved: ['near-db', 'unknown', 'custom'] },
    { name: 'a bound app=db pod added', events: [ASSIGNED_POD_ADD], new: makePod({ name: 'db', nodeName: 'n', labels: { app: 'db' } }), moved: ['near-db', 'unknown', 'custom'] },
    { name: 'a bound app=web pod added', events: [ASSIGNED_POD_ADD], new: makePod({ name: 'web', nodeName: 'n', labels: { app: 'web' } }), moved: ['unknown', 'custom'] },
    { name: 'a bound pod of 1 cpu deleted', events: [ASSIGNED_POD_DELETE], old: makePod({ name: 'gone', nodeName: 'n', cpu: '1' }), moved: ['fit', 'fit+taint', 'unknown', 'custom'] },
    {
      name: 'a bound pod holding port 8080 deleted',
      events: [ASSIGNED_POD_DELETE],
      old: makePod({ name: 'gone', nodeName: 'n', ports: [{ hostPort: 8080 }] }),
      moved: ['fit', 'ports', 'fit+taint', 'unknown', 'custom'],
    },
    { name: 'an unbound pod deleted that held no nomination', events: [UNSCHEDULED_POD_DELETE], old: makePod({ name: 'gone', cpu: '1' }), moved: ['unknown', 'custom'] },
    { name: 'the periodic flush', events: [UNSCHEDULABLE_TIMEOUT], moved: pods.map((p) => p.pod.metadata.name!) },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { q } = queue(HINTS);
      await unschedulable(q, pods);
      for (const e of c.events) q.moveAllToActiveOrBackoff(e, c.old, c.new);
      const moved = pods.map((p) => p.pod).filter((p) => q.where(p) !== 'unschedulable').map((p) => p.metadata.name);
      assert.deepEqual(moved, c.moved);
    });
  }

  it('reads a heartbeat alone as no event at all', () => {
    const withReady = structuredClone(node);
    withReady.status!.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: 't1' }];
    const later = structuredClone(withReady);
    later.status!.conditions![0]!.lastHeartbeatTime = 't2';
    assert.deepEqual(nodeSchedulingPropertiesChange(later, withReady), []);
  });
});
