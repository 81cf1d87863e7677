import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.js';
import { ItemExponentialBackoff, WorkQueue } from './workqueue.js';

describe('WorkQueue', () => {
  it('hands items out in order, each once however often added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.length, 0);
  });

  it('re-queues an item added while processed only after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const a = await q.get();
    q.add('a');
    q.add('a');
    assert.equal(q.length, 0, 'not handed to a second worker while processed');
    q.done(a!);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.length, 0);
  });

  it('wakes a waiting get() on add', async () => {
    const q = new WorkQueue();
    const got = q.get();
    q.add('x');
    assert.equal(await got, 'x');
    q.add('x'); // processing: waits for done
    let resolved = false;
    const second = q.get().then((v) => ((resolved = true), v));
    await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false);
    q.done('x');
    assert.equal(await second, 'x');
  });

  it('adds after a delay on the injected clock, the earliest of several delays winning', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    q.addAfter('b', 0);
    assert.equal(q.length, 1);
    clock.step(49);
    assert.equal(q.length, 1);
    clock.step(1);
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'b');
    assert.equal(await q.get(), 'a');
    clock.step(1000);
    assert.equal(q.length, 0, 'the later delays were dropped');
  });

  it('backs off per item exponentially, 5 ms doubling to 1000 s, until forget()', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.pending;
      q.addRateLimited('a');
      assert.equal(clock.pending, before + 1);
      let d = 0;
      while (q.length === 0 && d < 10_000) {
        clock.step(1);
        d++;
      }
      delays.push(d);
      q.done((await q.get())!);
    }
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('a'), 4);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    const b = new ItemExponentialBackoff<string>();
    let last = 0;
    for (let i = 0; i < 40; i++) last = b.when('x');
    assert.equal(last, 1_000_000);
  });

  it('after shutDown drains what is queued, then get() resolves undefined; delayed adds are cancelled', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = new WorkQueue();
    const w = waiting.get();
    waiting.shutDown();
    assert.equal(await w, undefined);
    q.add('a');
    q.addAfter('b', 10);
    q.shutDown();
    q.add('c');
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), undefined);
    clock.step(100);
    assert.equal(q.length, 0);
    assert.equal(clock.pending, 0);
  });
});
