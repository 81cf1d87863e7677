/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * Two `kubeling scheduler` processes under leader election, as two
 * kube-schedulers run: one leads and schedules, the other waits; the leader
 * is killed with SIGKILL half-way through two thousand pods, the other takes
 * over once the Lease expires, and at the end every pod is bound and no
 * node holds more than it can (requests against allocatable, pod count).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestApi } from './apiserver.js';
import { startKubeling, until, type KubelingProc } from './proc.js';

const NODES = 40;
const PODS = 2000;

describe('two schedulers under leader election', () => {
  let t: TestApi;
  const procs: KubelingProc[] = [];
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    await t?.stop();
  });

  it('one schedules at a time, the other takes over from a killed leader, and no node is over-committed', async () => {
    const config = join(t.dir, 'scheduler.yaml');
    writeFileSync(
      config,
      `apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection: {kubeconfig: ${t.kubeconfig}}\nleaderElection: {leaderElect: true, leaseDuration: 2s, renewDeadline: 1500ms, retryPeriod: 200ms}\n`,
    );
    for (let i = 0; i < NODES; i++) {
      const status = { allocatable: { cpu: '5', memory: '16Gi', pods: '110' }, capacity: { cpu: '5', memory: '16Gi', pods: '110' } };
      assert.equal((await t.call('POST', '/api/v1/nodes', { metadata: { name: `n${i}`, labels: { 'kubernetes.io/hostname': `n${i}` } }, status })).code, 201);
    }
    const a = startKubeling('scheduler', ['--config', config]);
    const b = startKubeling('scheduler', ['--config', config]);
    procs.push(a, b);
    const leader = await until('a leader', () => [a, b].find((p) => p.out.includes('leading as')), 30_000);
    const follower = leader === a ? b : a;
    await until('the follower waiting', () => (/waiting to lead \(Lease kube-system\/kube-scheduler\)/.test(follower.out) ? true : undefined));
    assert.doesNotMatch(follower.out, /leading as/);

    // exactly as many 100m pods as the nodes hold by cpu (50 each): any over-commit leaves one unbound
    const create = async (from: number, to: number): Promise<void> => {
      const body = (i: number) => ({ metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '100m', memory: '10Mi' } } }] } });
      for (let i = from; i < to; i += 50) await Promise.all(Array.from({ length: Math.min(50, to - i) }, (_, k) => t.call('POST', '/api/v1/namespaces/default/pods', body(i + k))));
    };
    const bound = async (): Promise<any[]> => (await t.call('GET', '/api/v1/namespaces/default/pods')).body.items.filter((p: any) => p.spec.nodeName);
    await create(0, PODS / 2);
    await until('some pods bound by the leader', async () => ((await bound()).length >= PODS / 4 ? true : undefined), 30_000);
    leader.proc.kill('SIGKILL');
    await create(PODS / 2, PODS);
    await until('the follower leads', () => (follower.out.includes('leading as') ? true : undefined), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; the follower said:\n${follower.out}`);
    });
    const all = await until('every pod bound', async () => {
      const b = await bound();
      return b.length === PODS ? b : undefined;
    }, 120_000);

    const perNode = new Map<string, { cpu: number; pods: number }>();
    for (const p of all) {
      const n = perNode.get(p.spec.nodeName) ?? { cpu: 0, pods: 0 };
      n.cpu += 100;
      n.pods++;
      perNode.set(p.spec.nodeName, n);
    }
    for (const [name, n] of perNode) {
      assert.ok(n.cpu <= 5000, `${name} holds ${n.cpu}m of 5000m`);
      assert.ok(n.pods <= 110, `${name} holds ${n.pods} pods`);
    }
    assert.equal(perNode.size, NODES);
    const lease = (await t.call('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler')).body;
    assert.equal(lease.spec.leaseTransitions, 1, 'the lease changed hands once');
    assert.match(lease.spec.holderIdentity, /_[0-9a-f-]{36}$/);
  });
});
