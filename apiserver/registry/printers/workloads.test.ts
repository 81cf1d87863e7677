import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta.js';
import { daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter } from './workloads.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace('.000Z', 'Z');
const obj = (o: Record<string, unknown>) => o as KubeObject;

const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.3' },
    ],
  },
};

describe('deployment rows', () => {
  it('has the columns of kubectl get deployments', () => {
    assert.deepEqual(
      deploymentPrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Ready', 0],
        ['Up-to-date', 0],
        ['Available', 0],
        ['Age', 0],
        ['Containers', 1],
        ['Images', 1],
        ['Selector', 1],
      ],
    );
  });

  const cases: [string, Record<string, unknown>, unknown[]][] = [
    [
      'a rolled-out deployment',
      { spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 } },
      ['web', '3/3', 3, 3, '2d', 'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', 'app=web'],
    ],
    [
      'a new one with no status yet',
      { spec: { replicas: 2, selector: { matchLabels: { app: 'web', tier: 'fe' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] }, template } },
      ['web', '0/2', 0, 0, '2d', 'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', 'app=web,env in (canary,prod),tier=fe'],
    ],
    ['an empty selector shows empty', { spec: { replicas: 1, selector: {}, template: { spec: { containers: [] } } } }, ['web', '0/1', 0, 0, '2d', '', '', '']],
    [
      'a selector that does not convert is <invalid>',
      { spec: { replicas: 1, selector: { matchExpressions: [{ key: 'app', operator: 'Matches', values: ['x'] }] }, template } },
      ['web', '0/1', 0, 0, '2d', 'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', '<invalid>'],
    ],
  ];
  for (const [title, o, want] of cases) {
    it(title, () => assert.deepEqual(deploymentPrinter.cells(obj({ metadata: { name: 'web', creationTimestamp: ago(2 * 86400) }, ...o }), NOW), want));
  }
});

describe('replicaset rows', () => {
  it('counts desired, current and ready, with the selector formatted', () => {
    const rs = obj({
      metadata: { name: 'web-7d4b9c8f6d', creationTimestamp: ago(90) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c8f6d' } }, template },
      status: { replicas: 3, readyReplicas: 1 },
    });
    assert.deepEqual(replicaSetPrinter.cells(rs, NOW), ['web-7d4b9c8f6d', 3, 3, 1, '90s', 'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', 'app=web,pod-template-hash=7d4b9c8f6d']);
    assert.deepEqual(
      replicaSetPrinter.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Desired', 'integer', 0],
        ['Current', 'integer', 0],
        ['Ready', 'integer', 0],
        ['Age', 'string', 0],
        ['Containers', 'string', 1],
        ['Images', 'string', 1],
        ['Selector', 'string', 1],
      ],
    );
  });

  it('shows <none> for an empty selector and <error> for one that does not convert', () => {
    const cells = (selector: unknown) => replicaSetPrinter.cells(obj({ metadata: { name: 'rs' }, spec: { replicas: 0, selector, template } }), NOW).at(-1);
    assert.equal(cells({}), '<none>');
    assert.equal(cells(undefined), '<none>');
    assert.equal(cells({ matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }), '<error>');
    assert.equal(cells({ matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }), '<error>');
    assert.equal(cells({ matchExpressions: [{ key: 'app', operator: 'Exists' }, { key: 'canary', operator: 'DoesNotExist' }, { key: 'env', operator: 'NotIn', values: ['dev'] }] }), 'app,!canary,env notin (dev)');
  });
});

describe('daemonset rows', () => {
  it('fills the counts, the node selector and the template', () => {
    const ds = obj({
      metadata: { name: 'kube-proxy', namespace: 'kube-system', creationTimestamp: ago(40 * 86400) },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux', 'disktype': 'ssd' }, containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.32.2' }] } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    });
    assert.deepEqual(daemonSetPrinter.cells(ds, NOW), ['kube-proxy', 3, 3, 2, 3, 2, 'disktype=ssd,kubernetes.io/os=linux', '40d', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.32.2', 'k8s-app=kube-proxy']);
    assert.deepEqual(
      daemonSetPrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Desired', 0],
        ['Current', 0],
        ['Ready', 0],
        ['Up-to-date', 0],
        ['Available', 0],
        ['Node Selector', 0],
        ['Age', 0],
        ['Containers', 1],
        ['Images', 1],
        ['Selector', 1],
      ],
    );
  });

  it('shows <none> without a node selector and zeros without a status', () => {
    const ds = obj({ metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } });
    assert.deepEqual(daemonSetPrinter.cells(ds, NOW), ['agent', 0, 0, 0, 0, 0, '<none>', '<unknown>', 'agent', 'agent:2', 'app=agent']);
  });
});

describe('job rows', () => {
  it('has the v1.32 columns (Status first)', () => {
    assert.deepEqual(
      jobPrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Status', 0],
        ['Completions', 0],
        ['Duration', 0],
        ['Age', 0],
        ['Containers', 1],
        ['Images', 1],
        ['Selector', 1],
      ],
    );
  });

  const cond = (type: string, status = 'True') => ({ type, status });
  const base = { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'a1b2' } }, template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }], restartPolicy: 'Never' } } };
  /** [title, spec, status, deleting, Status, Completions, Duration] */
  const cases: [string, Record<string, unknown>, Record<string, unknown> | undefined, boolean, string, string, string][] = [
    ['not started', { completions: 1, parallelism: 1 }, undefined, false, 'Running', '0/1', ''],
    ['running for 95s', { completions: 1, parallelism: 1 }, { startTime: ago(95), active: 1 }, false, 'Running', '0/1', '95s'],
    ['complete after 3m12s', { completions: 1, parallelism: 1 }, { startTime: ago(600), completionTime: ago(408), succeeded: 1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }, false, 'Complete', '1/1', '3m12s'],
    ['failed', { completions: 1, parallelism: 1, backoffLimit: 6 }, { startTime: ago(4000), failed: 7, conditions: [cond('FailureTarget'), cond('Failed')] }, false, 'Failed', '0/1', '66m'],
    ['failing', { completions: 1 }, { startTime: ago(30), failed: 7, conditions: [cond('FailureTarget')] }, false, 'FailureTarget', '0/1', '30s'],
    ['suspended', { completions: 5, parallelism: 2, suspend: true }, { conditions: [cond('Suspended')] }, false, 'Suspended', '0/5', ''],
    ['resumed: a false Suspended condition', { completions: 5, parallelism: 2 }, { startTime: ago(10), conditions: [cond('Suspended', 'False')] }, false, 'Running', '0/5', '10s'],
    ['success criteria met, not yet complete (v1.32 shows Running)', { completions: 3, completionMode: 'Indexed' }, { startTime: ago(20), succeeded: 1, conditions: [cond('SuccessCriteriaMet')] }, false, 'Running', '1/3', '20s'],
    ['being deleted', { completions: 1 }, { startTime: ago(20), active: 1 }, true, 'Terminating', '0/1', '20s'],
    ['complete wins over the deletion', { completions: 1 }, { startTime: ago(20), completionTime: ago(10), succeeded: 1, conditions: [cond('Complete')] }, true, 'Complete', '1/1', '10s'],
    ['work queue with parallelism 3', { parallelism: 3 }, { startTime: ago(20), active: 3, succeeded: 0 }, false, 'Running', '0/1 of 3', '20s'],
    ['no completions, parallelism 1', { parallelism: 1 }, { startTime: ago(20), succeeded: 1, completionTime: ago(5), conditions: [cond('Complete')] }, false, 'Complete', '1/1', '15s'],
    ['indexed with 10 completions', { completions: 10, parallelism: 3, completionMode: 'Indexed' }, { startTime: ago(3 * 3600 + 1800), succeeded: 4 }, false, 'Running', '4/10', '3h30m'],
  ];
  for (const [title, spec, status, deleting, want, completions, duration] of cases) {
    it(title, () => {
      const job = obj({ metadata: { name: 'pi', creationTimestamp: ago(5 * 3600), ...(deleting ? { deletionTimestamp: ago(1) } : {}) }, spec: { ...base, ...spec }, ...(status ? { status } : {}) });
      assert.deepEqual(jobPrinter.cells(job, NOW), ['pi', want, completions, duration, '5h', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=a1b2']);
    });
  }
});
