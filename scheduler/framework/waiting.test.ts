import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.js';
import { makePod } from '../plugins/testing.js';
import { Code, type Status } from './status.js';
import { goDuration, MAX_PERMIT_TIMEOUT_MS, WaitingPods } from './waiting.js';

/** A status as [code, message, plugin], for deepEqual. */
const triple = (s: Status): [Code, string, string | undefined] => [s.code, s.message(), s.plugin];

/** Whether `p` has settled, after the microtasks queued so far have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('waiting pods', () => {
  it('lets a pod go once every plugin that made it wait has allowed it', async () => {
    const clock = new FakeClock();
    const waiting = new WaitingPods(clock);
    const pod = makePod({ name: 'p' });
    const wp = waiting.add(pod, new Map([['A', 1000], ['B', 2000]]));
    assert.equal(waiting.get('uid-p'), wp);
    assert.equal(wp.pod, pod);
    const decision = waiting.wait(pod);
    wp.allow('A');
    assert.deepEqual(wp.getPendingPlugins(), ['B']);
    assert.equal(clock.pending, 1, "A's timer is stopped");
    assert.equal(await settled(decision), false, 'B has not allowed it yet');
    wp.allow('B');
    assert.deepEqual(triple(await decision), [Code.Success, '', undefined]);
    assert.equal(waiting.size, 0, 'the pod leaves the map once its binding cycle has the answer');
    assert.equal(clock.pending, 0);
  });

  it("rejects it when one plugin's time runs out, in kube-scheduler's words, and stops the other timers", async () => {
    const clock = new FakeClock();
    const waiting = new WaitingPods(clock);
    const pod = makePod({ name: 'p' });
    const wp = waiting.add(pod, new Map([['Slow', 5000], ['Quick', 200]]));
    const decision = waiting.wait(pod);
    clock.step(199);
    assert.equal(await settled(decision), false);
    clock.step(1);
    assert.deepEqual(triple(await decision), [Code.Unschedulable, 'rejected due to timeout after waiting 200ms at plugin Quick', 'Quick']);
    assert.equal(clock.pending, 0);
    assert.deepEqual(wp.getPendingPlugins(), []);
  });

  it('caps a timeout at 15 minutes', async () => {
    const clock = new FakeClock();
    const waiting = new WaitingPods(clock);
    const pod = makePod({ name: 'p' });
    waiting.add(pod, new Map([['Patient', 60 * 60_000]]));
    clock.step(MAX_PERMIT_TIMEOUT_MS);
    assert.deepEqual(triple(await waiting.wait(pod)), [Code.Unschedulable, 'rejected due to timeout after waiting 15m0s at plugin Patient', 'Patient']);
  });

  it('keeps the first decision, even one made before the binding cycle waits', async () => {
    const cases: { name: string; act: (w: WaitingPods, uid: string) => void; want: [Code, string, string | undefined] }[] = [
      { name: 'allowed, then rejected', act: (w, uid) => (w.get(uid)!.allow('A'), w.get(uid)!.reject('A', 'too late')), want: [Code.Success, '', undefined] },
      { name: 'rejected, then allowed', act: (w, uid) => (w.get(uid)!.reject('Other', 'no room'), w.get(uid)!.allow('A')), want: [Code.Unschedulable, 'no room', 'Other'] },
      { name: 'removed (kube: RejectWaitingPod), then allowed', act: (w, uid) => (assert.ok(w.reject(uid)), w.get(uid)!.allow('A')), want: [Code.Unschedulable, 'removed', undefined] },
    ];
    for (const c of cases) {
      const clock = new FakeClock();
      const waiting = new WaitingPods(clock);
      const pod = makePod({ name: 'p' });
      waiting.add(pod, new Map([['A', 1000]]));
      c.act(waiting, 'uid-p');
      clock.step(1000);
      assert.deepEqual(triple(await waiting.wait(pod)), c.want, c.name);
      assert.equal(clock.pending, 0, c.name);
    }
  });

  it('answers Success at once for a pod that does not wait, and rejects nothing it does not hold', async () => {
    const waiting = new WaitingPods(new FakeClock());
    assert.deepEqual(triple(await waiting.wait(makePod({ name: 'free' }))), [Code.Success, '', undefined]);
    assert.equal(waiting.reject('uid-free'), false);
    assert.equal(waiting.get('uid-free'), undefined);
  });

  it('iterates over the waiting pods, and lets the callback decide', async () => {
    const waiting = new WaitingPods(new FakeClock());
    const pods = ['a', 'b', 'c'].map((name) => makePod({ name }));
    for (const p of pods) waiting.add(p, new Map([['Gate', 1000]]));
    const seen: string[] = [];
    waiting.iterate((wp) => {
      seen.push(wp.pod.metadata.name!);
      if (wp.pod.metadata.name !== 'b') wp.allow('Gate');
    });
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.deepEqual(await Promise.all([waiting.wait(pods[0]!), waiting.wait(pods[2]!)]).then((s) => s.map((x) => x.code)), [Code.Success, Code.Success]);
    assert.equal(await settled(waiting.wait(pods[1]!)), false);
  });

  it('ends every wait and stops every timer on close', async () => {
    const clock = new FakeClock();
    const waiting = new WaitingPods(clock);
    const pod = makePod({ name: 'p' });
    waiting.add(pod, new Map([['A', 1000], ['B', 1000]]));
    waiting.close();
    assert.equal(clock.pending, 0);
    assert.deepEqual(triple(await waiting.wait(pod)), [Code.Error, 'the scheduler stopped', undefined]);
  });

  it("prints a duration as Go's time.Duration does", () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [0.0005, '500ns'],
      [0.25, '250µs'],
      [1.5, '1.5ms'],
      [200, '200ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [60_000, '1m0s'],
      [90_250, '1m30.25s'],
      [MAX_PERMIT_TIMEOUT_MS, '15m0s'],
      [3_723_500, '1h2m3.5s'],
      [-1500, '-1.5s'],
    ];
    for (const [ms, want] of cases) assert.equal(goDuration(ms), want, String(ms));
  });
});
