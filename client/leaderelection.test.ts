import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { waitUntil } from '../test/proc.js';
import { microTime } from './clock.js';
import { LeaderElector, type LeaderElectionConfig } from './leaderelection.js';
import { RestClient } from './rest.js';
import type { Lease } from './types.js';

const FAST = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };
/** A long lease, so that a takeover well before it expires can only come from a release, however loaded the machine. */
const LONG = { leaseDurationMs: 10_000, renewDeadlineMs: 6000, retryPeriodMs: 100 };
/** Room for a loaded machine's pauses in a leader's renewals, yet a takeover that waits for expiry is soon. */
const MEDIUM = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 100 };

describe('LeaderElector', () => {
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

  const lease = (name: string): Promise<Lease> => c.get<Lease>({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system', name });

  /** An elector and what its callbacks saw. */
  function candidate(name: string, identity: string, timing = FAST): { e: LeaderElector; seen: string[]; running: Promise<void> } {
    const seen: string[] = [];
    const cfg: LeaderElectionConfig = {
      namespace: 'kube-system', name, identity, ...timing, log: () => {},
      onStartedLeading: () => seen.push('started'), onStoppedLeading: () => seen.push('stopped'), onNewLeader: (id) => seen.push(`leader ${id}`),
    };
    const e = new LeaderElector(c, cfg);
    return { e, seen, running: e.run() };
  }

  it('writes MicroTimes', () => {
    assert.equal(microTime(Date.parse('2030-01-02T03:04:05.678Z')), '2030-01-02T03:04:05.678000Z');
  });

  it('elects one of two; a stopped leader releases and the other takes over at once', async () => {
    const a = candidate('release', 'a', LONG);
    const b = candidate('release', 'b', LONG);
    await waitUntil(() => a.e.isLeader() || b.e.isLeader());
    const [leader, other] = a.e.isLeader() ? [a, b] : [b, a];
    const leaderId = leader === a ? 'a' : 'b';
    await waitUntil(() => other.e.getLeader() === leaderId);
    assert.equal(other.e.isLeader(), false);
    let l = await lease('release');
    assert.equal(l.spec?.holderIdentity, leaderId);
    assert.equal(l.spec?.leaseDurationSeconds, 10);
    assert.match(l.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const transitions = l.spec?.leaseTransitions ?? 0;
    const released = Date.now();
    await leader.e.stop();
    await leader.running;
    assert.deepEqual(leader.seen.filter((s) => s === 'started' || s === 'stopped'), ['started', 'stopped']);
    await waitUntil(() => other.e.isLeader());
    assert.ok(Date.now() - released < LONG.leaseDurationMs, 'a released lease is taken without waiting for expiry');
    l = await lease('release');
    assert.equal(l.spec?.holderIdentity, leaderId === 'a' ? 'b' : 'a');
    assert.equal(l.spec?.leaseTransitions, transitions + 1);
    assert.ok(other.seen.includes('started'));
    assert.ok(other.seen.includes(`leader ${leaderId}`));
    await other.e.stop();
    await other.running;
  });

  it('a killed leader (no release) is replaced after the lease expires', async () => {
    const a = candidate('kill', 'a', MEDIUM);
    await waitUntil(() => a.e.isLeader());
    const b = candidate('kill', 'b', MEDIUM);
    await waitUntil(() => b.e.getLeader() === 'a');
    await a.e.stop({ release: false });
    const left = await lease('kill');
    assert.equal(left.spec?.holderIdentity, 'a', 'not released');
    await waitUntil(() => b.e.isLeader());
    const l = await lease('kill');
    assert.equal(l.spec?.holderIdentity, 'b');
    // b counts the lease's duration from when it saw the last renewal, which is no earlier than the renewal itself
    const waited = Date.parse(l.spec!.acquireTime!) - Date.parse(left.spec!.renewTime!);
    assert.ok(waited >= MEDIUM.leaseDurationMs, `taken ${waited} ms after the last renewal: it waited for the lease to expire`);
    assert.equal(l.spec?.leaseTransitions, 1);
    await b.e.stop();
    await b.running;
    assert.equal((await lease('kill')).spec?.holderIdentity, '');
  });

  it('refuses intervals that cannot work', () => {
    assert.throws(() => new LeaderElector(c, { namespace: 'x', name: 'y', identity: 'z', leaseDurationMs: 1000, renewDeadlineMs: 1000, retryPeriodMs: 100 }));
  });
});
