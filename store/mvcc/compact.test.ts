import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactedError, FutureRevisionError } from './errors.js';
import { Crc32c, marshalKeyValue, revisionKey } from './hash.js';
import { TestStore, b, ev } from './testing/helpers.js';

const ALL = { key: b('\0'), rangeEnd: b('\0') };

/** 2 a=1, 3 b=1, 4 a=2, 5 delete b, 6 c=1, 7 a=3, 8 delete a, 9 b=2, 10 d=1. */
function history(): TestStore {
  const t = TestStore.memory();
  t.put('a', '1');
  t.put('b', '1');
  t.put('a', '2');
  t.del('b');
  t.put('c', '1');
  t.put('a', '3');
  t.del('a');
  t.put('b', '2');
  t.put('d', '1');
  return t;
}

/** Every history row left, as events. */
function remaining(t: TestStore): string[] {
  return t.store.changes(b('\0'), b('\0'), 0, 1000).events.map((e) => `${e.kv.modRevision} ${ev(e)}`);
}

describe('compaction', () => {
  const cases: [number, string[]][] = [
    [1, ['2 PUT a=1 c2 m2 v1', '3 PUT b=1 c3 m3 v1', '4 PUT a=2 c2 m4 v2', '5 DELETE b= c0 m5 v0', '6 PUT c=1 c6 m6 v1', '7 PUT a=3 c2 m7 v3', '8 DELETE a= c0 m8 v0', '9 PUT b=2 c9 m9 v1', '10 PUT d=1 c10 m10 v1']],
    [4, ['3 PUT b=1 c3 m3 v1', '4 PUT a=2 c2 m4 v2', '5 DELETE b= c0 m5 v0', '6 PUT c=1 c6 m6 v1', '7 PUT a=3 c2 m7 v3', '8 DELETE a= c0 m8 v0', '9 PUT b=2 c9 m9 v1', '10 PUT d=1 c10 m10 v1']],
    [5, ['4 PUT a=2 c2 m4 v2', '6 PUT c=1 c6 m6 v1', '7 PUT a=3 c2 m7 v3', '8 DELETE a= c0 m8 v0', '9 PUT b=2 c9 m9 v1', '10 PUT d=1 c10 m10 v1']],
    [8, ['6 PUT c=1 c6 m6 v1', '9 PUT b=2 c9 m9 v1', '10 PUT d=1 c10 m10 v1']],
    [10, ['6 PUT c=1 c6 m6 v1', '9 PUT b=2 c9 m9 v1', '10 PUT d=1 c10 m10 v1']],
  ];
  for (const [rev, left] of cases) {
    it(`at ${rev} keeps each key's latest version at or before it, unless a deletion, and everything after`, () => {
      const t = history();
      const before = [rev, ...Array.from({ length: 10 - rev }, (_, i) => rev + 1 + i)].map((r) => t.all(r));
      t.store.compact({ revision: rev }, t.next());
      assert.equal(t.store.compactRevision(), rev);
      assert.deepEqual(remaining(t), left);
      const afterwards = [rev, ...Array.from({ length: 10 - rev }, (_, i) => rev + 1 + i)].map((r) => t.all(r));
      assert.deepEqual(afterwards, before, 'reads at and after the compact revision are unchanged');
      if (rev > 1) assert.throws(() => t.all(rev - 1), CompactedError);
    });
  }

  it('compacts again later, keeping what the first left that is still latest', () => {
    const t = history();
    t.store.compact({ revision: 4 }, t.next());
    t.store.compact({ revision: 7 }, t.next());
    assert.deepEqual(remaining(t), ['6 PUT c=1 c6 m6 v1', '7 PUT a=3 c2 m7 v3', '8 DELETE a= c0 m8 v0', '9 PUT b=2 c9 m9 v1', '10 PUT d=1 c10 m10 v1']);
    assert.deepEqual(t.all(7), ['a=3 c2 m7 v3', 'c=1 c6 m6 v1']);
  });

  it('refuses a revision at or below the compact revision, or above the current one, but records the entry', () => {
    const t = history();
    t.store.compact({ revision: 5 }, t.next());
    for (const rev of [5, 3]) assert.throws(() => t.store.compact({ revision: rev }, t.next()), CompactedError);
    assert.throws(() => t.store.compact({ revision: 11 }, t.next()), FutureRevisionError);
    assert.equal(t.store.consistentIndex(), t.index);
    const r = t.store.compact({ revision: 10, physical: true }, t.next());
    assert.deepEqual(r.response, { header: { revision: 10 } });
    assert.deepEqual(r.events, []);
    const fresh = TestStore.memory();
    fresh.store.compact({ revision: 1 }, fresh.next());
    assert.equal(fresh.store.compactRevision(), 1, 'a new store can compact at 1');
  });
});

describe('hashKV', () => {
  it('CRC-32C of the standard check string', () => {
    assert.equal(new Crc32c().update(Buffer.from('123456789')).digest(), 0xe3069283);
  });

  it('encodes revisions and KeyValues as etcd does', () => {
    assert.equal(Buffer.from(revisionKey(258, 1, false)).toString('hex'), '0000000000000102' + '5f' + '0000000000000001');
    assert.equal(Buffer.from(revisionKey(2, 0, true)).toString('hex'), '0000000000000002' + '5f' + '0000000000000000' + '74');
    const kvBytes = marshalKeyValue({ key: Buffer.from('k'), create_rev: 2, mod_rev: 300, sub: 0, version: 1, lease: 0, value: Buffer.from('') });
    assert.equal(Buffer.from(kvBytes).toString('hex'), '0a016b' + '1002' + '18ac02' + '2001');
  });

  it('equals etcd 3.4\'s hashes for the same history (values from `etcdctl endpoint hashkv`)', () => {
    const t = TestStore.memory();
    assert.equal(t.store.hashKV().hash, 1084519789, 'an empty store');
    t.put('a', '1');
    t.put('b', '2');
    t.put('a', '3');
    t.del('b');
    t.store.leases.grant(16, 100000, t.next());
    t.put('d', 'x', { lease: 16 });
    t.store.txn({ success: [{ requestPut: { key: b('e'), value: b('') } }, { requestDeleteRange: { key: b('a') } }] }, t.next());
    assert.deepEqual(t.store.hashKV(), { hash: 470513754, compactRevision: -1, revision: 7 });
    assert.equal(t.store.hashKV(4).hash, 2069675932);
    assert.equal(t.store.hashKV(5).hash, 1125682900);
    t.store.compact({ revision: 5 }, t.next());
    assert.deepEqual(t.store.hashKV(0), { hash: 2395271384, compactRevision: 5, revision: 7 });
    assert.equal(t.store.hashKV(6).hash, 3374136884);
  });

  it('is the same on two stores with the same history, compacted or not at the same revision', () => {
    const a = history();
    const c = history();
    a.store.compact({ revision: 6 }, a.next());
    c.store.compact({ revision: 6 }, c.next());
    assert.deepEqual(a.store.hashKV(), c.store.hashKV());
    c.put('x', 'y');
    assert.notEqual(a.store.hashKV().hash, c.store.hashKV().hash);
  });

  it('refuses revisions at or below the compact revision and above the current one', () => {
    const t = history();
    t.store.compact({ revision: 5 }, t.next());
    assert.throws(() => t.store.hashKV(5), CompactedError);
    assert.throws(() => t.store.hashKV(11), FutureRevisionError);
    assert.equal(t.store.hashKV(6).revision, 10);
    assert.throws(() => t.store.range({ ...ALL, revision: 4 }), CompactedError);
  });
});
