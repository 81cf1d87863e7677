import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.js';
import { DEFAULT_PROFILE } from './profile.js';

describe('KubeSchedulerConfiguration', () => {
  it('defaults to one default profile and leader election in kube-system/kube-scheduler', () => {
    const c = parseSchedulerConfig('apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n');
    assert.deepEqual(c.profiles, [DEFAULT_PROFILE]);
    assert.deepEqual(c.leaderElection, { leaderElect: true, resourceNamespace: 'kube-system', resourceName: 'kube-scheduler', leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 });
  });

  it('enables, disables and weights plugins per profile, with their args', () => {
    const c = parseSchedulerConfig(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: /etc/kubernetes/scheduler.conf}
leaderElection: {leaderElect: false, leaseDuration: 1m30s, retryPeriod: 500ms}
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  percentageOfNodesToScore: 100
  plugins:
    score:
      disabled: [{name: NodeResourcesBalancedAllocation}]
      enabled: [{name: NodeResourcesFit, weight: 5}]
    multiPoint:
      disabled: [{name: PodTopologySpread}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
`);
    assert.equal(c.kubeconfig, '/etc/kubernetes/scheduler.conf');
    assert.equal(c.leaderElection.leaderElect, false);
    assert.equal(c.leaderElection.leaseDurationMs, 90_000);
    assert.equal(c.leaderElection.retryPeriodMs, 500);
    assert.deepEqual(c.profiles.map((p) => p.schedulerName), ['default-scheduler', 'bin-packer']);
    const bp = c.profiles[1]!;
    assert.equal(bp.percentageOfNodesToScore, 100);
    assert.deepEqual(bp.plugins.score, [
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 5 },
    ]);
    assert.ok(!bp.plugins.filter.includes('PodTopologySpread'));
    assert.ok(!bp.plugins.preFilter.includes('PodTopologySpread'));
    assert.deepEqual(bp.pluginConfig.NodeResourcesFit, { scoringStrategy: { type: 'MostAllocated' } });
  });

  it('refuses what is not one, naming the field', () => {
    const head = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';
    assert.throws(() => parseSchedulerConfig('kind: Pod\n'), /kind: expected KubeSchedulerConfiguration/);
    assert.throws(() => parseSchedulerConfig(`${head}profiles: [{plugins: {sorting: {}}}]\n`), /profiles\[0\]\.plugins\.sorting: not an extension point/);
    assert.throws(() => parseSchedulerConfig(`${head}profiles: [{}, {}]\n`), /Duplicate value: "default-scheduler"/);
    assert.throws(() => parseSchedulerConfig(`${head}profiles: [{plugins: {score: {enabled: [{name: X, weight: 0}]}}}]\n`), /weight: 0 must be 1 to 100/);
    assert.throws(() => parseSchedulerConfig(`${head}leaderElection: {leaseDuration: soon}\n`), /leaseDuration: "soon" is not a duration/);
  });
});
