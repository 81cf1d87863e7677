import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, LeaseExistsError, LeaseNotFoundError } from './errors.js';
import { leaseIdFor } from './lease.js';
import type { LeaseChange } from './lease.js';
import { MvccStore } from './store.js';
import { TestStore, b, ev, str } from './testing/helpers.js';

const keysOf = (t: TestStore, id: number) => t.store.leases.timeToLive(id, true).keys.map(str);

describe('leases', () => {
  it('grants with the requested id and TTL, raising a TTL below the minimum; the revision does not move', () => {
    const t = TestStore.memory({ minLeaseTtl: 2 });
    t.put('x', '1');
    assert.deepEqual(t.store.leases.grant(5, 60, t.next()).response, { header: { revision: 2 }, id: 5, ttl: 60 });
    assert.deepEqual(t.store.leases.grant(6, 1, t.next()).response, { header: { revision: 2 }, id: 6, ttl: 2 }, 'etcd: TTL 1 becomes 2');
    assert.equal(t.store.currentRevision(), 2);
    assert.deepEqual(t.store.leases.list(), [{ id: 5, ttl: 60 }, { id: 6, ttl: 2 }]);
    assert.throws(() => t.store.leases.grant(5, 10, t.next()), LeaseExistsError);
    assert.throws(() => t.store.leases.grant(7, 9_000_000_001, t.next()), (e) => e instanceof InvalidRequestError && e.kind === 'LeaseTTLTooLarge');
    assert.equal(t.store.leases.grant(7, 9_000_000_000, t.next()).response.ttl, 9_000_000_000);
    assert.equal(t.store.consistentIndex(), t.index, 'failed grants are applied entries too');
  });

  it('id 0 picks an id from the Raft index, the same on every member, skipping ids in use', () => {
    const a = TestStore.memory();
    const c = TestStore.memory();
    const ida = a.store.leases.grant(0, 10, 42).response.id;
    assert.equal(c.store.leases.grant(0, 10, 42).response.id, ida);
    assert.ok(ida > 0 && Number.isSafeInteger(ida));
    assert.notEqual(leaseIdFor(43, () => false), ida);
    const d = TestStore.memory();
    d.store.leases.grant(ida, 10, 1);
    assert.equal(d.store.leases.grant(0, 10, 42).response.id, ida + 1);
  });

  it('attaches a key to the lease of its last put; a put without one, or a delete, detaches it', () => {
    const t = TestStore.memory();
    t.store.leases.grant(1, 60, t.next());
    t.store.leases.grant(2, 60, t.next());
    t.put('b', 'v', { lease: 1 });
    t.put('a', 'v', { lease: 1 });
    t.put('c', 'v', { lease: 2 });
    assert.deepEqual(keysOf(t, 1), ['a', 'b']);
    t.put('a', 'w', { ignoreLease: true });
    assert.deepEqual(keysOf(t, 1), ['a', 'b'], 'ignoreLease keeps it');
    t.put('a', 'x');
    assert.deepEqual(keysOf(t, 1), ['b'], 'a put without a lease detaches');
    t.put('b', 'x', { lease: 2 });
    assert.deepEqual([keysOf(t, 1), keysOf(t, 2)], [[], ['b', 'c']], 'a put with another lease moves it');
    t.del('c');
    assert.deepEqual(keysOf(t, 2), ['b']);
    assert.deepEqual(t.store.leases.timeToLive(2), { id: 2, grantedTtl: 60, keys: [] }, 'keys only when asked');
    assert.throws(() => t.store.leases.timeToLive(3), LeaseNotFoundError);
  });

  it('revoke deletes every attached key in one revision, in key order, then the lease', () => {
    const t = TestStore.memory();
    t.store.leases.grant(9, 60, t.next());
    for (const k of ['m', 'c', 'x']) t.put(k, k, { lease: 9 });
    t.put('free', '1');
    const { response, events } = t.store.leases.revoke(9, t.next());
    assert.deepEqual(response, { header: { revision: 6 } });
    assert.equal(t.store.currentRevision(), 6);
    assert.deepEqual(events.map(ev), [
      'DELETE c= c0 m6 v0 prev(c=c c3 m3 v1 l9)',
      'DELETE m= c0 m6 v0 prev(m=m c2 m2 v1 l9)',
      'DELETE x= c0 m6 v0 prev(x=x c4 m4 v1 l9)',
    ]);
    assert.deepEqual(t.all(), ['free=1 c5 m5 v1']);
    assert.deepEqual(t.store.leases.list(), []);
    assert.throws(() => t.store.leases.revoke(9, t.next()), LeaseNotFoundError);
    t.store.leases.grant(10, 60, t.next());
    assert.deepEqual(t.store.leases.revoke(10, t.next()).response, { header: { revision: 6 } }, 'no keys: no new revision');
  });

  it('tells subscribers of grants, revocations and restores, after they commit', () => {
    const t = TestStore.memory();
    const seen: LeaseChange[] = [];
    const stop = t.store.leases.subscribe((c) => seen.push(c));
    t.store.leases.grant(1, 10, t.next());
    assert.throws(() => t.store.leases.grant(1, 10, t.next()));
    t.store.leases.revoke(1, t.next());
    t.store.restore(MvccStore.open(':memory:').snapshot());
    stop();
    t.store.leases.grant(2, 10, t.next());
    assert.deepEqual(seen, [{ type: 'grant', lease: { id: 1, ttl: 10 } }, { type: 'revoke', id: 1 }, { type: 'reset' }]);
  });

  it('leases and attachments survive a snapshot', () => {
    const t = TestStore.memory();
    t.store.leases.grant(4, 30, t.next());
    t.put('k', 'v', { lease: 4 });
    const copy = MvccStore.openFromSnapshot(':memory:', t.store.snapshot());
    assert.deepEqual(copy.leases.timeToLive(4, true).keys.map(str), ['k']);
    assert.equal(copy.leases.revoke(4, t.index + 1).events.length, 1);
    assert.deepEqual(copy.range({ key: b('k') }).kvs, []);
  });
});
