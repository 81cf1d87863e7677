import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseExpiredError, LeaseNotFoundError, NotPrimaryError } from './errors.js';
import { Lessor, minLeaseTtl } from './lessor.js';
import type { LessorOptions } from './lessor.js';
import { TestStore } from './testing/helpers.js';

/** A store with leases id -> ttl (seconds), and a lessor over it. */
function setup(leases: Record<number, number>, opts: Partial<LessorOptions> = {}) {
  const t = TestStore.memory({ minLeaseTtl: 0 });
  for (const [id, ttl] of Object.entries(leases)) t.store.leases.grant(Number(id), ttl, t.next());
  const lessor = new Lessor(t.store.leases, { minTtl: 0, ...opts });
  return { t, lessor };
}

describe('lessor', () => {
  it('on a follower: leases never expire and renewals go to the leader', () => {
    const { lessor } = setup({ 1: 5 });
    assert.equal(lessor.primary, false);
    assert.throws(() => lessor.renew(1, 0), NotPrimaryError);
    assert.equal(lessor.remaining(1, 0), Infinity);
    assert.throws(() => lessor.remaining(2, 0), LeaseNotFoundError);
    assert.deepEqual(lessor.expired(1e12), []);
  });

  it('promote starts every clock at its full TTL plus the extension', () => {
    const { lessor } = setup({ 1: 5, 2: 10 });
    lessor.promote(1000, 2000);
    assert.equal(lessor.remaining(1, 1000), 7000);
    assert.equal(lessor.remaining(2, 4000), 9000);
    assert.deepEqual(lessor.expired(7999), []);
    assert.deepEqual(lessor.expired(8000), [1]);
    assert.deepEqual(lessor.expired(10_999), [], 'a reported lease is held back while its revocation goes through');
    assert.deepEqual(lessor.expired(13_000), [1, 2], 'then reported again (3 s: etcd\'s retry interval)');
  });

  it('reports expired leases soonest first, at most `limit`, and again after retryMs unless revoked', () => {
    const { t, lessor } = setup({ 1: 3, 2: 1, 3: 2, 4: 100 }, { retryMs: 3000 });
    lessor.promote(0, 0);
    assert.deepEqual(lessor.expired(5000, 2), [2, 3]);
    assert.deepEqual(lessor.expired(5000), [1]);
    assert.deepEqual(lessor.expired(7999), []);
    t.store.leases.revoke(3, t.next());
    assert.deepEqual(lessor.expired(8000), [2, 1], 'not revoked: reported again; 3 was revoked');
    assert.throws(() => lessor.remaining(3, 8000), LeaseNotFoundError);
  });

  it('renew restarts the clock and returns the TTL; an expired lease cannot be renewed', () => {
    const { lessor } = setup({ 1: 5 });
    lessor.promote(0, 0);
    assert.equal(lessor.renew(1, 4000), 5);
    assert.equal(lessor.remaining(1, 4000), 5000);
    assert.deepEqual(lessor.expired(8999), []);
    assert.throws(() => lessor.renew(1, 9000), LeaseExpiredError);
    assert.throws(() => lessor.renew(2, 0), LeaseNotFoundError);
  });

  it('renewing a reported lease before its revocation lands takes it off the list', () => {
    const { lessor } = setup({ 1: 1 });
    lessor.promote(0, 0);
    assert.deepEqual(lessor.expired(1000), [1]);
    assert.throws(() => lessor.renew(1, 1500), LeaseExpiredError, 'it has expired: too late');
  });

  it('a lease granted while primary starts its clock at the next call that knows the time', () => {
    const { t, lessor } = setup({});
    lessor.promote(0, 0);
    t.store.leases.grant(7, 4, t.next());
    assert.equal(lessor.remaining(7, 10_000), 4000);
    assert.deepEqual(lessor.expired(13_999), []);
    assert.deepEqual(lessor.expired(14_000), [7]);
  });

  it('demote stops every clock; the next promote restarts them all with the extension', () => {
    const { lessor } = setup({ 1: 5 });
    lessor.promote(0, 0);
    lessor.demote();
    assert.deepEqual(lessor.expired(100_000), []);
    assert.equal(lessor.remaining(1, 100_000), Infinity);
    lessor.promote(100_000, 1500);
    assert.equal(lessor.remaining(1, 100_000), 6500);
  });

  it('applies the minimum TTL to leases stored with less', () => {
    const { lessor } = setup({ 1: 1 }, { minTtl: 3 });
    lessor.promote(0, 0);
    assert.equal(lessor.remaining(1, 0), 3000);
    assert.equal(lessor.renew(1, 1000), 3);
  });

  it('follows a restore of the lease set', () => {
    const { t, lessor } = setup({ 1: 5, 2: 5 });
    lessor.promote(0, 0);
    const other = TestStore.memory();
    other.store.leases.grant(2, 5, 1);
    other.store.leases.grant(3, 8, 2);
    t.store.restore(other.store.snapshot());
    assert.throws(() => lessor.remaining(1, 1000), LeaseNotFoundError);
    assert.equal(lessor.remaining(2, 1000), 4000, 'a lease it knew keeps its clock');
    assert.equal(lessor.remaining(3, 1000), 8000, 'a new one starts now');
  });

  it('spreads piled-up expiries on promote as etcd does (3/4 of the revoke rate per second)', () => {
    const { lessor } = setup({ 1: 10, 2: 10, 3: 10, 4: 10, 5: 10, 6: 10, 7: 10, 8: 10 }, { revokeRate: 4 });
    lessor.promote(0, 0);
    const remaining = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => Math.round(lessor.remaining(id, 0)));
    assert.deepEqual(remaining, [10000, 10000, 10000, 11333, 11667, 12000, 12333, 12667]);
    const few = setup({ 1: 10, 2: 10, 3: 10 }, { revokeRate: 4 }).lessor;
    few.promote(0, 0);
    assert.deepEqual([1, 2, 3].map((id) => few.remaining(id, 0)), [10000, 10000, 10000], 'fewer leases than the rate: no spreading');
  });

  it('minLeaseTtl is 1.5 election timeouts rounded up (etcd defaults: 2 s)', () => {
    assert.equal(minLeaseTtl(10, 100), 2);
    assert.equal(minLeaseTtl(10, 1000), 15);
    assert.equal(minLeaseTtl(5, 100), 1);
  });
});
