import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CompactedError, FutureRevisionError, InvalidRequestError } from './errors.js';
import { TestStore, b, kv, str } from './testing/helpers.js';
import { SortOrder, SortTarget } from './types.js';
import type { RangeRequest } from './types.js';

/**
 * The history every case reads (revision: change):
 *   2 a=z  3 b=y  4 c=x  5 a=w  6 d=v  7 delete c  8 b=u  9 e=t  10 b=s  11 c=r
 * At 11: a=w c2 m5 v2, b=s c3 m10 v3, c=r c11 m11 v1, d=v c6 m6 v1, e=t c9 m9 v1.
 */
function history(): TestStore {
  const t = TestStore.memory();
  for (const [k, v] of [['a', 'z'], ['b', 'y'], ['c', 'x'], ['a', 'w'], ['d', 'v']]) t.put(k!, v!);
  t.del('c');
  for (const [k, v] of [['b', 'u'], ['e', 't'], ['b', 's'], ['c', 'r']]) t.put(k!, v!);
  return t;
}

const ALL = { key: b('\0'), rangeEnd: b('\0') };
const A = 'a=w c2 m5 v2';
const B = 'b=s c3 m10 v3';
const C = 'c=r c11 m11 v1';
const D = 'd=v c6 m6 v1';
const E = 'e=t c9 m9 v1';

interface Case {
  readonly name: string;
  readonly req: RangeRequest;
  /** The kvs as kv() text, or just the keys when `keys` is set. */
  readonly kvs: string[];
  readonly count: number;
  readonly more?: boolean;
}

describe('range', () => {
  let t: TestStore;
  before(() => {
    t = history();
    assert.equal(t.store.currentRevision(), 11);
  });

  const cases: Case[] = [
    { name: 'single key', req: { key: b('a') }, kvs: [A], count: 1 },
    { name: 'missing key', req: { key: b('zz') }, kvs: [], count: 0 },
    { name: 'empty rangeEnd is the single key', req: { key: b('b'), rangeEnd: b('') }, kvs: [B], count: 1 },
    { name: '[b, d)', req: { key: b('b'), rangeEnd: b('d') }, kvs: [B, C], count: 2 },
    { name: 'from key c ("\\0")', req: { key: b('c'), rangeEnd: b('\0') }, kvs: [C, D, E], count: 3 },
    { name: 'all ("\\0", "\\0")', req: ALL, kvs: [A, B, C, D, E], count: 5 },
    { name: 'rangeEnd below key is empty', req: { key: b('d'), rangeEnd: b('b') }, kvs: [], count: 0 },
    { name: 'limit: more and the full count', req: { ...ALL, limit: 2 }, kvs: [A, B], count: 5, more: true },
    { name: 'limit equal to the count', req: { ...ALL, limit: 5 }, kvs: [A, B, C, D, E], count: 5 },
    { name: 'negative limit is no limit', req: { ...ALL, limit: -1 }, kvs: [A, B, C, D, E], count: 5 },
    { name: 'count ignores filters', req: { ...ALL, minModRevision: 9 }, kvs: [B, C, E], count: 5 },
    { name: 'filter then limit', req: { ...ALL, minModRevision: 9, limit: 1 }, kvs: [B], count: 5, more: true },
    { name: 'filter leaves exactly limit', req: { ...ALL, minModRevision: 9, limit: 3 }, kvs: [B, C, E], count: 5 },
    { name: 'maxModRevision', req: { ...ALL, maxModRevision: 6 }, kvs: [A, D], count: 5 },
    { name: 'minCreateRevision', req: { ...ALL, minCreateRevision: 4 }, kvs: [C, D, E], count: 5 },
    { name: 'maxCreateRevision', req: { ...ALL, maxCreateRevision: 3 }, kvs: [A, B], count: 5 },
    { name: 'all four filters', req: { ...ALL, minModRevision: 6, maxModRevision: 10, minCreateRevision: 3, maxCreateRevision: 9 }, kvs: [B, D, E], count: 5 },
    { name: 'sort mod ascend', req: { ...ALL, sortTarget: SortTarget.Mod, sortOrder: SortOrder.Ascend }, kvs: [A, D, E, B, C], count: 5 },
    { name: 'sort mod descend', req: { ...ALL, sortTarget: SortTarget.Mod, sortOrder: SortOrder.Descend }, kvs: [C, B, E, D, A], count: 5 },
    { name: 'a target without an order sorts ascending', req: { ...ALL, sortTarget: SortTarget.Mod }, kvs: [A, D, E, B, C], count: 5 },
    {
      name: 'a defaulted sort with a limit only reorders the first limit+1 keys (etcd)',
      req: { ...ALL, sortTarget: SortTarget.Mod, limit: 2 },
      kvs: [A, B],
      count: 5,
      more: true,
    },
    { name: 'an explicit order sorts everything before the limit', req: { ...ALL, sortTarget: SortTarget.Mod, sortOrder: SortOrder.Ascend, limit: 2 }, kvs: [A, D], count: 5, more: true },
    { name: 'sort key ascend', req: { ...ALL, sortTarget: SortTarget.Key, sortOrder: SortOrder.Ascend }, kvs: [A, B, C, D, E], count: 5 },
    { name: 'sort key descend', req: { ...ALL, sortOrder: SortOrder.Descend }, kvs: [E, D, C, B, A], count: 5 },
    { name: 'sort key descend, limit', req: { ...ALL, sortOrder: SortOrder.Descend, limit: 1 }, kvs: [E], count: 5, more: true },
    { name: 'sort version descend (ties in key order)', req: { ...ALL, sortTarget: SortTarget.Version, sortOrder: SortOrder.Descend }, kvs: [B, A, C, D, E], count: 5 },
    { name: 'sort version ascend (ties in key order)', req: { ...ALL, sortTarget: SortTarget.Version, sortOrder: SortOrder.Ascend }, kvs: [C, D, E, A, B], count: 5 },
    { name: 'sort create ascend', req: { ...ALL, sortTarget: SortTarget.Create, sortOrder: SortOrder.Ascend }, kvs: [A, B, D, E, C], count: 5 },
    { name: 'sort create descend', req: { ...ALL, sortTarget: SortTarget.Create, sortOrder: SortOrder.Descend }, kvs: [C, E, D, B, A], count: 5 },
    { name: 'sort value ascend', req: { ...ALL, sortTarget: SortTarget.Value, sortOrder: SortOrder.Ascend }, kvs: [C, B, E, D, A], count: 5 },
    {
      name: 'sort value descend, keys only: sorted by value, returned without',
      req: { ...ALL, sortTarget: SortTarget.Value, sortOrder: SortOrder.Descend, keysOnly: true },
      kvs: ['a= c2 m5 v2', 'd= c6 m6 v1', 'e= c9 m9 v1', 'b= c3 m10 v3', 'c= c11 m11 v1'],
      count: 5,
    },
    { name: 'keys only', req: { key: b('a'), rangeEnd: b('c'), keysOnly: true }, kvs: ['a= c2 m5 v2', 'b= c3 m10 v3'], count: 2 },
    { name: 'count only', req: { ...ALL, countOnly: true }, kvs: [], count: 5 },
    { name: 'count only with a limit: no more', req: { ...ALL, countOnly: true, limit: 1 }, kvs: [], count: 5 },
    { name: 'count only of a range', req: { key: b('b'), rangeEnd: b('\0'), countOnly: true }, kvs: [], count: 4 },
    { name: 'revision 0 is current', req: { key: b('b'), revision: 0 }, kvs: [B], count: 1 },
    { name: 'negative revision is current', req: { key: b('b'), revision: -3 }, kvs: [B], count: 1 },
    { name: 'revision = current', req: { key: b('b'), revision: 11 }, kvs: [B], count: 1 },
    { name: 'historical: at 6', req: { ...ALL, revision: 6 }, kvs: [A, 'b=y c3 m3 v1', 'c=x c4 m4 v1', D], count: 4 },
    { name: 'historical: a deleted key is gone', req: { ...ALL, revision: 7 }, kvs: [A, 'b=y c3 m3 v1', D], count: 3 },
    { name: 'historical: before a key existed', req: { key: b('e'), revision: 8 }, kvs: [], count: 0 },
    { name: 'historical: a key recreated later', req: { key: b('c'), revision: 4 }, kvs: ['c=x c4 m4 v1'], count: 1 },
    { name: 'historical: at 1 nothing exists', req: { ...ALL, revision: 1 }, kvs: [], count: 0 },
    { name: 'historical with limit', req: { ...ALL, revision: 6, limit: 2 }, kvs: [A, 'b=y c3 m3 v1'], count: 4, more: true },
    { name: 'historical count only', req: { ...ALL, revision: 9, countOnly: true }, kvs: [], count: 4 },
    { name: 'historical sorted', req: { ...ALL, revision: 6, sortTarget: SortTarget.Mod, sortOrder: SortOrder.Descend }, kvs: [D, A, 'c=x c4 m4 v1', 'b=y c3 m3 v1'], count: 4 },
    { name: 'historical filtered', req: { ...ALL, revision: 8, minCreateRevision: 3, keysOnly: true }, kvs: ['b= c3 m8 v2', 'd= c6 m6 v1'], count: 3 },
    { name: 'historical range', req: { key: b('b'), rangeEnd: b('d'), revision: 5 }, kvs: ['b=y c3 m3 v1', 'c=x c4 m4 v1'], count: 2 },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const r = t.store.range(c.req);
      assert.deepEqual(r.kvs.map(kv), c.kvs);
      assert.equal(r.count, c.count, 'count');
      assert.equal(r.more, c.more ?? false, 'more');
      assert.equal(r.header.revision, 11, 'the header carries the current revision, even for a historical read');
    });
  }

  it('refuses future revisions, compacted ones and empty keys', () => {
    assert.throws(() => t.store.range({ key: b('a'), revision: 12 }), FutureRevisionError);
    assert.throws(() => t.store.range({ key: b(''), revision: 12 }), InvalidRequestError);
    const s = history();
    s.store.compact({ revision: 6 }, s.next());
    assert.throws(() => s.store.range({ ...ALL, revision: 5 }), (e) => e instanceof CompactedError && e.compactRevision === 6);
    assert.deepEqual(s.all(6), [A, 'b=y c3 m3 v1', 'c=x c4 m4 v1', D], 'reading at the compact revision itself works');
    assert.throws(() => s.store.range({ ...ALL, revision: 5, countOnly: true }), CompactedError);
  });

  it('orders keys byte-wise', () => {
    const s = TestStore.memory();
    for (const k of ['\xff', 'aa', 'a\x00', 'a', 'B', '\x01']) s.put(k, '');
    const keys = s.store.range(ALL).kvs.map((x) => str(x.key));
    assert.deepEqual(keys, ['\x01', 'B', 'a', 'a\x00', 'aa', '\xff']);
    const from = s.store.range({ key: b('a'), rangeEnd: b('aa') }).kvs.map((x) => str(x.key));
    assert.deepEqual(from, ['a', 'a\x00']);
    assert.deepEqual(s.store.range({ key: b('\xff'), rangeEnd: b('\0') }).kvs.map((x) => str(x.key)), ['\xff']);
  });

  it('returns plain Uint8Arrays, an empty value as an empty array', () => {
    const s = TestStore.memory();
    s.put('k', '');
    const [k] = s.store.range({ key: b('k') }).kvs;
    assert.equal(Object.getPrototypeOf(k!.key), Uint8Array.prototype);
    assert.deepEqual(k!.value, new Uint8Array(0));
  });
});
