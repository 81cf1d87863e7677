import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { componentKind, createdPods, followPod, formatMs, reactionsTo } from './chain.js';
import type { FlowEntry } from './types.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
let seq = 0;
/** An entry at `ms` after T0. */
function entry(ms: number, e: Partial<FlowEntry> & Pick<FlowEntry, 'verb' | 'resource' | 'name' | 'component'>): FlowEntry {
  return { seq: ++seq, time: new Date(T0 + ms).toISOString(), durationMs: 3, code: e.verb === 'create' ? 201 : 200, user: 'u', userAgent: e.component, owners: [], deliveries: [], namespace: 'default', ...e };
}

/** kubectl apply of Deployment web, and what follows until pod web-abc-1 runs (with noise in between). */
function story(): FlowEntry[] {
  seq = 0;
  return [
    entry(0, { verb: 'create', resource: 'deployments', name: 'web', uid: 'd1', component: 'kubectl', deliveries: [{ component: 'kube-controller-manager', userAgent: 'kcm', resource: 'deployments', atMs: 2 }] }),
    entry(5, { verb: 'update', resource: 'leases', namespace: 'kube-node-lease', name: 'n1', component: 'kubelet' }),
    entry(10, {
      verb: 'create',
      resource: 'replicasets',
      name: 'web-abc',
      uid: 'r1',
      component: 'kube-controller-manager/deployment-controller',
      owners: [{ kind: 'Deployment', name: 'web', uid: 'd1' }],
      deliveries: [{ component: 'kube-controller-manager', userAgent: 'kcm', resource: 'replicasets', atMs: 1 }],
    }),
    entry(12, { verb: 'update', resource: 'deployments', subresource: 'status', name: 'web', uid: 'd1', component: 'kube-controller-manager' }),
    entry(20, {
      verb: 'create',
      resource: 'pods',
      name: 'web-abc-1',
      uid: 'p1',
      component: 'kube-controller-manager/replicaset-controller',
      owners: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'r1' }],
      deliveries: [
        { component: 'kube-scheduler', userAgent: 's', resource: 'pods', atMs: 4 },
        { component: 'kubelet', userAgent: 'k', resource: 'pods', atMs: 5 },
      ],
    }),
    entry(21, { verb: 'create', resource: 'pods', name: 'web-abc-2', uid: 'p2', component: 'kube-controller-manager', owners: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'r1' }] }),
    entry(40, { verb: 'create', resource: 'pods', subresource: 'binding', name: 'web-abc-1', component: 'kube-scheduler', summary: 'bound to n1', deliveries: [{ component: 'kubelet', userAgent: 'k', resource: 'pods', atMs: 3 }] }),
    entry(60, { verb: 'update', resource: 'pods', subresource: 'status', name: 'web-abc-1', uid: 'p1', component: 'kubelet', summary: 'phase Pending' }),
    entry(560, { verb: 'update', resource: 'pods', subresource: 'status', name: 'web-abc-1', uid: 'p1', component: 'kubelet', summary: 'phase Running' }),
  ];
}

describe('followPod', () => {
  it('follows a pod from kubectl to Running, with the gaps and watch delays', () => {
    const r = followPod(story(), 'default', 'web-abc-1');
    assert.equal(r.running, true);
    assert.deepEqual(
      r.steps.map((s) => [s.step, s.entry?.seq, s.gapMs, s.deliveredMs]),
      [
        ['deployment', 1, undefined, undefined],
        ['replicaset', 3, 10, 2],
        ['pod', 5, 10, 1],
        ['binding', 7, 20, 4],
        ['running', 9, 520, 3],
      ],
    );
    assert.equal(r.totalMs, 560);
  });

  it('says which steps are missing and what the pod is doing', () => {
    const es = story().slice(0, 8); // not Running yet
    const r = followPod(es, 'default', 'web-abc-1');
    assert.equal(r.running, false);
    assert.equal(r.latestStatus, 'phase Pending');
    assert.equal(r.steps[4]!.missing, 'not Running yet');

    const unbound = followPod(story(), 'default', 'web-abc-2');
    assert.deepEqual(
      unbound.steps.map((s) => s.entry?.seq ?? s.missing),
      [1, 3, 6, 'not bound yet', 'not Running yet'],
    );
  });

  it('handles a bare pod and an unknown one', () => {
    seq = 100;
    const bare = followPod([entry(0, { verb: 'create', resource: 'pods', name: 'solo', component: 'kubectl' })], 'default', 'solo');
    assert.equal(bare.steps[0]!.missing, 'the pod has no ReplicaSet owner');
    assert.equal(bare.steps[2]!.label, 'Pod created');
    const none = followPod(story(), 'default', 'nope');
    assert.ok(none.steps.every((s) => s.entry === undefined));
    assert.equal(none.totalMs, undefined);
  });

  it('takes the latest creation of a pod name that was recreated', () => {
    seq = 200;
    const es = [
      entry(0, { verb: 'create', resource: 'pods', name: 'p', component: 'kubectl' }),
      entry(5, { verb: 'create', resource: 'pods', subresource: 'binding', name: 'p', component: 'kube-scheduler' }),
      entry(10, { verb: 'delete', resource: 'pods', name: 'p', component: 'kubectl' }),
      entry(20, { verb: 'create', resource: 'pods', name: 'p', component: 'kubectl' }),
    ];
    const r = followPod(es, 'default', 'p');
    assert.equal(r.steps[2]!.entry?.seq, 204);
    assert.equal(r.steps[3]!.entry, undefined, 'the old binding is not this pod\'s');
  });
});

describe('reactionsTo', () => {
  it('finds the next write of each component that got the event, on the object or one it owns', () => {
    const es = story();
    assert.deepEqual(
      reactionsTo(es, es[0]!).map((r) => [r.component, r.entry.seq, r.deliveredMs]),
      [
        ['kube-controller-manager/deployment-controller', 3, 2],
        ['kube-controller-manager', 4, 2],
      ],
      'a controller counts as its manager, which got the event',
    );
    const pod = es[4]!;
    assert.deepEqual(
      reactionsTo(es, pod).map((r) => [r.component, r.entry.seq]),
      [
        ['kube-scheduler', 7],
        ['kubelet', 8],
      ],
    );
    assert.deepEqual(reactionsTo(es, es[1]!), [], 'no deliveries, no reactions');
  });

  it('takes the recorder\'s cause when it gives one', () => {
    const es = story();
    const binding = es[6]!;
    // the recorder says the kubelet's first status write answers the pod's creation, not the binding
    es[7] = { ...es[7]!, cause: 5 };
    assert.deepEqual(reactionsTo(es, binding).map((r) => r.entry.seq), [9], 'the next write without another cause');
    assert.deepEqual(reactionsTo(es, es[4]!).map((r) => [r.component, r.entry.seq]), [['kube-scheduler', 7], ['kubelet', 8]]);
    es[8] = { ...es[8]!, cause: 2 };
    assert.deepEqual(reactionsTo(es, binding), [], 'a write caused by another entry is not a reaction to this one');
  });
});

describe('helpers', () => {
  it('classifies components', () => {
    assert.equal(componentKind('kubectl'), 'kubectl');
    assert.equal(componentKind('kube-scheduler'), 'scheduler');
    assert.equal(componentKind('kube-controller-manager'), 'controller-manager');
    assert.equal(componentKind('kubelet'), 'kubelet');
    assert.equal(componentKind('curl'), 'other');
  });

  it('lists created pods newest first', () => {
    assert.deepEqual(createdPods(story()), ['default/web-abc-2', 'default/web-abc-1']);
  });

  it('formats durations', () => {
    assert.equal(formatMs(12.4), '12 ms');
    assert.equal(formatMs(1250), '1.25 s');
    assert.equal(formatMs(12_500), '12.5 s');
    assert.equal(formatMs(125_000), '2 min 5 s');
  });
});
