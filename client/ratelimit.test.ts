import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.js';
import { TokenBucket } from './ratelimit.js';

describe('TokenBucket', () => {
  it('lets a burst through, then spaces requests at qps', () => {
    const clock = new FakeClock(1000);
    const b = new TokenBucket(10, 3, clock);
    assert.deepEqual([b.reserve(), b.reserve(), b.reserve()], [0, 0, 0]);
    assert.equal(b.reserve(), 100);
    assert.equal(b.reserve(), 200, 'reservations queue up');
    clock.step(1000);
    assert.equal(b.reserve(), 0, 'refilled (less the reservations)');
    clock.step(10_000);
    assert.deepEqual([b.reserve(), b.reserve(), b.reserve(), b.reserve()], [0, 0, 0, 100], 'never more than burst saved');
  });

  it('refuses a nonsensical configuration', () => {
    assert.throws(() => new TokenBucket(0, 1));
    assert.throws(() => new TokenBucket(5, 0));
  });
});
