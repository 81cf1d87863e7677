import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { eventPrinter, leasePrinter, priorityClassPrinter, secretPrinter, serviceAccountPrinter } from './misc.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace('.000Z', 'Z');
const obj = (o: Record<string, unknown>) => o as KubeObject;

describe('secret and serviceaccount rows', () => {
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['an Opaque secret with two keys', { type: 'Opaque', data: { username: 'YWRtaW4=', password: 'czNjcjN0' } }, ['db', 'Opaque', 2, '5m']],
    ['a TLS secret', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } }, ['db', 'kubernetes.io/tls', 2, '5m']],
    ['no data', { type: 'Opaque' }, ['db', 'Opaque', 0, '5m']],
    ['stringData counts once with data', { type: 'Opaque', data: { a: 'eA==' }, stringData: { a: 'x', b: 'y' } }, ['db', 'Opaque', 2, '5m']],
  ];
  for (const [title, o, want] of cases) {
    it(title, () => assert.deepEqual(secretPrinter.cells(obj({ metadata: { name: 'db', creationTimestamp: ago(300) }, ...o }), NOW), want));
  }

  it('counts a service account secrets', () => {
    assert.deepEqual(serviceAccountPrinter.cells(obj({ metadata: { name: 'default', creationTimestamp: ago(86400 * 3) } }), NOW), ['default', 0, '3d']);
    assert.deepEqual(serviceAccountPrinter.cells(obj({ metadata: { name: 'builder', creationTimestamp: ago(30) }, secrets: [{ name: 'builder-token' }] }), NOW), ['builder', 1, '30s']);
  });

  it('has the columns of kubectl get secrets and serviceaccounts', () => {
    assert.deepEqual(secretPrinter.columns.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(serviceAccountPrinter.columns.map((c) => c.name), ['Name', 'Secrets', 'Age']);
  });
});

describe('event rows', () => {
  it('has Last Seen, Type, Reason, Object, Message, and the wide columns where v1.32 puts them', () => {
    assert.deepEqual(
      eventPrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Last Seen', 0],
        ['Type', 0],
        ['Reason', 0],
        ['Object', 0],
        ['Subobject', 1],
        ['Source', 1],
        ['Message', 0],
        ['First Seen', 1],
        ['Count', 1],
        ['Name', 1],
      ],
    );
    assert.equal(eventPrinter.columns.at(-1)!.format, 'name');
  });

  const involved = { kind: 'Pod', namespace: 'default', name: 'web-7d4b9c8f6d-x2k8p', fieldPath: 'spec.containers{nginx}' };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    [
      'a kubelet event seen 4 times',
      { involvedObject: involved, reason: 'BackOff', message: 'Back-off restarting failed container nginx in pod web\n', type: 'Warning', source: { component: 'kubelet', host: 'kind-worker' }, firstTimestamp: ago(600), lastTimestamp: ago(45), count: 4 },
      ['45s', 'Warning', 'BackOff', 'pod/web-7d4b9c8f6d-x2k8p', 'spec.containers{nginx}', 'kubelet, kind-worker', 'Back-off restarting failed container nginx in pod web', '10m', 4],
    ],
    [
      'a scheduler event of the new API: eventTime, reporting controller, no count',
      { involvedObject: { kind: 'Pod', name: 'web-1' }, reason: 'Scheduled', message: 'Successfully assigned default/web-1 to kind-worker', type: 'Normal', eventTime: '2025-03-01T11:59:00.123456Z', reportingComponent: 'default-scheduler', reportingInstance: 'default-scheduler-kind-control-plane' },
      ['59s', 'Normal', 'Scheduled', 'pod/web-1', '', 'default-scheduler, default-scheduler-kind-control-plane', 'Successfully assigned default/web-1 to kind-worker', '59s', 1],
    ],
    [
      'a series: its last observation and count',
      { involvedObject: { kind: 'Node', name: 'kind-worker' }, reason: 'NodeNotReady', message: 'Node is not ready', type: 'Normal', eventTime: ago(3600), series: { count: 12, lastObservedTime: ago(20) }, reportingComponent: 'node-controller' },
      ['20s', 'Normal', 'NodeNotReady', 'node/kind-worker', '', 'node-controller', 'Node is not ready', '60m', 12],
    ],
    [
      'first seen but never again: last seen is the first',
      { involvedObject: { kind: 'Deployment', name: 'web' }, reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-7d4b9c8f6d to 3', type: 'Normal', source: { component: 'deployment-controller' }, firstTimestamp: ago(7200), count: 1 },
      ['120m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up replica set web-7d4b9c8f6d to 3', '120m', 1],
    ],
    [
      'no times at all, an object without a name',
      { involvedObject: { kind: 'ClusterRole' }, reason: 'Created', message: 'x', type: 'Normal' },
      ['<unknown>', 'Normal', 'Created', 'clusterrole', '', '', 'x', '<unknown>', 1],
    ],
  ];
  for (const [title, o, want] of cases) {
    it(title, () => assert.deepEqual(eventPrinter.cells(obj({ metadata: { name: 'web.17f3a', namespace: 'default' }, ...o }), NOW), [...want, 'web.17f3a']));
  }
});

describe('lease and priorityclass rows', () => {
  it('shows a lease holder, empty when none holds it', () => {
    const lease = (spec: unknown) => obj({ metadata: { name: 'kube-scheduler', namespace: 'kube-system', creationTimestamp: ago(7 * 86400 + 3600) }, spec });
    assert.deepEqual(leasePrinter.cells(lease({ holderIdentity: 'kind-control-plane_4c1d2e', leaseDurationSeconds: 15 }), NOW), ['kube-scheduler', 'kind-control-plane_4c1d2e', '7d1h']);
    assert.deepEqual(leasePrinter.cells(lease({ holderIdentity: null }), NOW), ['kube-scheduler', '', '7d1h']);
    assert.deepEqual(leasePrinter.columns.map((c) => c.name), ['Name', 'Holder', 'Age']);
  });

  it('shows a priority class with its preemption policy in the default columns', () => {
    const pc = obj({ metadata: { name: 'system-cluster-critical', creationTimestamp: ago(400 * 86400) }, value: 2000000000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority', description: 'Critical' });
    assert.deepEqual(priorityClassPrinter.cells(pc, NOW), ['system-cluster-critical', 2000000000, false, '400d', 'PreemptLowerPriority']);
    const def = obj({ metadata: { name: 'batch-low' }, value: -10, globalDefault: true, preemptionPolicy: 'Never' });
    assert.deepEqual(priorityClassPrinter.cells(def, NOW), ['batch-low', -10, true, '<unknown>', 'Never']);
    assert.deepEqual(
      priorityClassPrinter.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Value', 'integer', 0],
        ['Global-Default', 'boolean', 0],
        ['Age', 'string', 0],
        ['PreemptionPolicy', 'string', 0],
      ],
    );
  });
});
