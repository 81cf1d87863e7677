/**
 * The daemonset controller's pure decisions: which nodes should run a
 * daemon pod, what a daemon pod looks like, what each node needs, one step
 * of a rolling update (with and without surge), and the status counters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod, Taint } from '../../client/types.js';
import { affinityForNode, daemonPodTemplate, isPodUpdated, nodeShouldRunDaemonPod, scaledValue, targetNodeName, withDaemonTolerations } from './placement.js';
import { computeStatus, podsShouldBeOnNode, rollingUpdatePlan } from './plan.js';
import type { DaemonSet } from './types.js';

const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node => ({ metadata: { name, labels }, spec: { taints } });

const ds = (spec: Partial<DaemonSet['spec']> = {}, podSpec: Partial<Pod['spec']> = {}): DaemonSet => ({
  metadata: { name: 'd', namespace: 'default', uid: 'u', generation: 2, annotations: { 'deprecated.daemonset.template.generation': '2' } },
  spec: {
    selector: { matchLabels: { app: 'd' } },
    template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c' }], ...podSpec } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    ...spec,
  },
});

const NOW = Date.parse('2024-01-01T01:00:00Z');
let seq = 0;
const pod = (nodeName: string, o: { hash?: string; ready?: boolean; phase?: NonNullable<Pod['status']>['phase']; deleting?: boolean; created?: string } = {}): Pod => ({
  metadata: {
    name: `p${++seq}`,
    creationTimestamp: o.created ?? `2024-01-01T00:00:${String(seq % 60).padStart(2, '0')}Z`,
    labels: { app: 'd', 'controller-revision-hash': o.hash ?? 'new' },
    ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:59:00Z' } : {}),
  },
  spec: { nodeName, containers: [{ name: 'c' }] },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
});

describe('placement', () => {
  it('runs on nodes matching the selector and affinity whose NoSchedule/NoExecute taints are tolerated', () => {
    const cases: [string, Node, DaemonSet, boolean, boolean][] = [
      ['a plain node', node('a'), ds(), true, true],
      ['a nodeSelector it matches', node('a', { role: 'edge' }), ds({}, { nodeSelector: { role: 'edge' } }), true, true],
      ['a nodeSelector it does not match', node('a'), ds({}, { nodeSelector: { role: 'edge' } }), false, false],
      ['a NoSchedule taint: not placed, but may keep running', node('a', {}, [{ key: 'k', effect: 'NoSchedule' }]), ds(), false, true],
      ['a NoExecute taint: evicted', node('a', {}, [{ key: 'k', effect: 'NoExecute' }]), ds(), false, false],
      ['a PreferNoSchedule taint does not count', node('a', {}, [{ key: 'k', effect: 'PreferNoSchedule' }]), ds(), true, true],
      ['a tolerated taint', node('a', {}, [{ key: 'k', effect: 'NoSchedule' }]), ds({}, { tolerations: [{ key: 'k', operator: 'Exists' }] }), true, true],
      ['cordoned (unschedulable taint): daemon pods tolerate it', node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), ds(), true, true],
      ['not ready: tolerated', node('a', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), ds(), true, true],
      ['network unavailable: only host network pods tolerate it', node('a', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), ds(), false, true],
      ['... a host network pod', node('a', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), ds({}, { hostNetwork: true }), true, true],
      ['a template nodeName of another node', node('a'), ds({}, { nodeName: 'b' }), false, false],
      [
        'a required node affinity it does not match',
        node('a', { zone: 'x' }),
        ds({}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['y'] }] }] } } } }),
        false,
        false,
      ],
    ];
    for (const [what, n, d, run, keep] of cases) assert.deepEqual(nodeShouldRunDaemonPod(n, d), { shouldRun: run, shouldContinueRunning: keep }, what);
  });
  it('adds the daemon tolerations once, replacing one the template already has', () => {
    const t = withDaemonTolerations([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }, { key: 'mine', operator: 'Exists' }], false);
    assert.equal(t.length, 7);
    assert.deepEqual(t[0], { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
    assert.equal(withDaemonTolerations([], true).length, 7, 'host network: network-unavailable too');
  });
  it('pins a pod to its node with a metadata.name affinity, keeping other affinity', () => {
    const a = affinityForNode({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [] }, nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'z', operator: 'Exists' }] }] } } }, 'n1');
    assert.deepEqual(a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] });
    assert.ok(a.podAffinity);
    const p: Pod = { metadata: {}, spec: { containers: [], affinity: a } };
    assert.equal(targetNodeName(p), 'n1');
    assert.equal(targetNodeName({ ...p, spec: { ...p.spec, nodeName: 'n2' } }), 'n2');
  });
  it('labels pods with the hash and generation, and knows an updated pod by either', () => {
    const t = daemonPodTemplate(ds(), 'h1');
    assert.deepEqual(t.metadata?.labels, { app: 'd', 'pod-template-generation': '2', 'controller-revision-hash': 'h1' });
    const p = { metadata: { labels: t.metadata!.labels! }, spec: { containers: [] } } as Pod;
    assert.equal(isPodUpdated(p, 'h1', 7), true);
    assert.equal(isPodUpdated(p, 'other', 2), true);
    assert.equal(isPodUpdated(p, 'other', 3), false);
  });
  it('scales maxUnavailable and maxSurge, rounding up', () => {
    assert.equal(scaledValue('25%', 10, 1), 3);
    assert.equal(scaledValue(2, 10, 1), 2);
    assert.equal(scaledValue(undefined, 10, 1), 1);
    assert.throws(() => scaledValue('abc', 10, 1));
  });
});

describe('podsShouldBeOnNode', () => {
  it('creates on a node without a pod, keeps the oldest of several, deletes failed and misplaced pods', () => {
    assert.deepEqual(podsShouldBeOnNode(node('a'), undefined, ds(), 'new', NOW), { create: true, remove: [], failed: [] });
    const old = pod('a', { created: '2024-01-01T00:00:01Z' });
    const young = pod('a', { created: '2024-01-01T00:00:02Z' });
    assert.deepEqual(podsShouldBeOnNode(node('a'), [young, old], ds(), 'new', NOW).remove, [young]);
    const failed = pod('a', { phase: 'Failed' });
    assert.deepEqual(podsShouldBeOnNode(node('a'), [failed], ds(), 'new', NOW), { create: false, remove: [], failed: [failed] });
    const p = pod('a');
    assert.deepEqual(podsShouldBeOnNode(node('a', {}, [{ key: 'k', effect: 'NoExecute' }]), [p], ds(), 'new', NOW).remove, [p]);
    assert.deepEqual(podsShouldBeOnNode(node('a'), [pod('a', { deleting: true })], ds(), 'new', NOW), { create: false, remove: [], failed: [] }, 'waits for a pod being deleted');
  });
  it('with surge keeps an old pod beside the new one until the new one is available', () => {
    const surge = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const oldPod = pod('a', { hash: 'old', created: '2024-01-01T00:00:01Z' });
    const newPod = pod('a', { hash: 'new', ready: false, created: '2024-01-01T00:00:02Z' });
    assert.deepEqual(podsShouldBeOnNode(node('a'), [oldPod, newPod], surge, 'new', NOW).remove, []);
    const ready = { ...newPod, status: { ...newPod.status, conditions: [{ type: 'Ready', status: 'True' as const, lastTransitionTime: '2024-01-01T00:00:03Z' }] } };
    assert.deepEqual(podsShouldBeOnNode(node('a'), [oldPod, ready], surge, 'new', NOW).remove, [oldPod]);
  });
});

describe('rollingUpdatePlan', () => {
  const nodes = [node('a'), node('b'), node('c')];
  it('without surge deletes old available pods while under maxUnavailable, and any old unavailable one', () => {
    const m = new Map([
      ['a', [pod('a', { hash: 'old' })]],
      ['b', [pod('b', { hash: 'old' })]],
      ['c', [pod('c', { hash: 'old', ready: false })]],
    ]);
    const plan = rollingUpdatePlan(ds(), nodes, m, 'new', NOW);
    assert.equal(plan.remove.length, 1, 'c is unavailable already: it may go, and uses up maxUnavailable');
    assert.equal(plan.remove[0], m.get('c')![0]!.metadata.name);
    const m2 = new Map([
      ['a', [pod('a', { hash: 'old' })]],
      ['b', [pod('b', { hash: 'old' })]],
      ['c', [pod('c', { hash: 'new' })]],
    ]);
    assert.equal(rollingUpdatePlan(ds(), nodes, m2, 'new', NOW).remove.length, 1);
    const m3 = new Map([['a', [pod('a', { hash: 'old' })]], ['b', [pod('b', { hash: 'new', ready: false })]]]);
    assert.deepEqual(rollingUpdatePlan(ds(), nodes, m3, 'new', NOW), { remove: [], createOn: [] }, 'b unavailable and c without a pod: no room');
  });
  it('with surge creates beside available old pods up to maxSurge, and deletes old pods whose new one is available', () => {
    const surge = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const m = new Map([
      ['a', [pod('a', { hash: 'old' })]],
      ['b', [pod('b', { hash: 'old' })]],
      ['c', [pod('c', { hash: 'old' }), pod('c', { hash: 'new' })]],
    ]);
    const plan = rollingUpdatePlan(surge, nodes, m, 'new', NOW);
    assert.deepEqual(plan.remove, [m.get('c')![0]!.metadata.name], 'c: the new pod is available, the old one goes');
    assert.deepEqual(plan.createOn, ['a'], 'one surge pod at a time');
  });
});

describe('computeStatus', () => {
  it('counts desired, scheduled, ready, available, updated and misscheduled pods', () => {
    const nodes = [node('a'), node('b'), node('c', {}, [{ key: 'k', effect: 'NoSchedule' }]), node('d')];
    const m = new Map([
      ['a', [pod('a', { hash: 'new' })]],
      ['b', [pod('b', { hash: 'old', ready: false })]],
      ['c', [pod('c', { hash: 'new' })]],
    ]);
    assert.deepEqual(computeStatus(ds(), nodes, m, 'new', NOW), {
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      desiredNumberScheduled: 3,
      numberReady: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });
  it('counts a pod available only minReadySeconds after it became ready', () => {
    const m = new Map([['a', [pod('a')]]]);
    assert.equal(computeStatus(ds({ minReadySeconds: 3600 }), [node('a')], m, 'new', NOW).numberAvailable, 0);
    assert.equal(computeStatus(ds({ minReadySeconds: 3599 }), [node('a')], m, 'new', NOW).numberAvailable, 1);
  });
});
