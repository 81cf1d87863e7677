/**
 * The conformance suite every RaftStorage must pass: the contract of
 * store/raft/storage.ts and ./storage.ts, with MemoryStorage semantics from
 * etcd-io/raft. Each case gets a fresh storage from `make`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entrySize, limitSize } from '../raft/storage.js';
import { EntryType } from '../raft/types.js';
import type { ConfState, Entry, Snapshot } from '../raft/types.js';
import {
  LogCompactedError,
  LogUnavailableError,
  SnapshotOutOfDateError,
} from './storage.js';
import type { RaftStorage } from './storage.js';
import { InvalidUpdateError } from './update.js';

/** What a test case needs: a fresh storage, and how to dispose of it. */
export interface StorageFixture {
  readonly storage: RaftStorage;
  readonly cleanup?: () => void;
}

/** Entry `index` at `term`, with data whose length varies with the index. */
export function ent(index: number, term: number, type = EntryType.Normal): Entry {
  return Object.freeze({ index, term, type, data: new TextEncoder().encode(`e${index}t${term}`.padEnd(4 + (index % 7) * 5, '.')) });
}

/** Entries lo..hi inclusive; terms[k] is the term of entry lo+k (the last term repeats). */
export function ents(lo: number, hi: number, terms: number[]): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(ent(i, terms[Math.min(i - lo, terms.length - 1)]!));
  return out;
}

/** A snapshot at (index, term) with the given membership. */
export function snap(index: number, term: number, voters: number[] = [1, 2, 3]): Snapshot {
  return { metadata: { index, term, confState: { voters, learners: [] } }, data: new TextEncoder().encode(`s${index}`) };
}

/** Entries as plain comparable values: data as hex, so Buffer and Uint8Array compare equal. */
export function plain(es: readonly Entry[]): { index: number; term: number; type: EntryType; data: string }[] {
  return es.map((e) => ({ index: e.index, term: e.term, type: e.type, data: Buffer.from(e.data).toString('hex') }));
}

/** Asserts the log holds exactly `want` (and nothing around it). */
export function assertLog(s: RaftStorage, want: readonly Entry[]): void {
  const first = s.firstIndex();
  assert.deepEqual(plain(s.entries(first, s.lastIndex() + 1)), plain(want));
  for (const e of want) assert.equal(s.term(e.index), e.term, `term(${e.index})`);
}

const CS: ConfState = { voters: [1, 2, 3], learners: [4] };

/** Registers the conformance cases for one implementation under `describe(name)`. */
export function storageConformance(name: string, make: () => StorageFixture): void {
  const test = (title: string, fn: (s: RaftStorage) => void): void => {
    void it(title, () => {
      const { storage, cleanup } = make();
      try {
        fn(storage);
      } finally {
        try {
          storage.close();
        } finally {
          cleanup?.();
        }
      }
    });
  };

  void describe(`${name} conformance`, () => {
    test('a fresh storage is empty, with term(0) = 0', (s) => {
      assert.equal(s.firstIndex(), 1);
      assert.equal(s.lastIndex(), 0);
      assert.equal(s.term(0), 0);
      assert.throws(() => s.term(1), LogUnavailableError);
      assert.deepEqual(s.entries(1, 1), []);
      assert.throws(() => s.entries(1, 2), LogUnavailableError);
      assert.throws(() => s.entries(0, 1), LogCompactedError);
      assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
      assert.equal(s.snapshot().metadata.index, 0);
      assert.equal(s.snapshot().metadata.term, 0);
    });

    test('saves entries and reads them back by range', (s) => {
      const log = ents(1, 6, [1, 1, 2, 2, 3]);
      s.save({ entries: log });
      assert.equal(s.firstIndex(), 1);
      assert.equal(s.lastIndex(), 6);
      assertLog(s, log);
      assert.deepEqual(plain(s.entries(2, 5)), plain(log.slice(1, 4)));
      assert.deepEqual(plain(s.entries(6, 7)), plain(log.slice(5)));
      assert.deepEqual(s.entries(3, 3), []);
      assert.equal(s.term(0), 0);
      assert.throws(() => s.term(7), LogUnavailableError);
      assert.throws(() => s.entries(5, 8), LogUnavailableError);
      assert.throws(() => s.entries(0, 3), LogCompactedError);
      s.save({ entries: ents(7, 9, [3]) });
      assertLog(s, [...log, ...ents(7, 9, [3])]);
    });

    test('round-trips entries with empty data and conf changes', (s) => {
      const noop: Entry = Object.freeze({ index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array(0) });
      const cc: Entry = Object.freeze({ index: 2, term: 1, type: EntryType.ConfChange, data: new Uint8Array([1, 2]) });
      s.save({ entries: [noop, cc], hardState: { term: 1, vote: 1, commit: 2 } });
      assertLog(s, [noop, cc]);
    });

    test('maxSize limits like limitSize, always returning at least one entry', (s) => {
      const log = ents(1, 20, [1, 1, 1, 2, 2, 2, 3]);
      s.save({ entries: log });
      const total = log.reduce((n, e) => n + entrySize(e), 0);
      for (const lo of [1, 5, 20]) {
        for (let max = 0; max <= total + 1; max += 7) {
          const got = s.entries(lo, 21, max);
          assert.deepEqual(plain(got), plain(limitSize(log.slice(lo - 1), max)), `lo ${lo} maxSize ${max}`);
          assert.ok(got.length >= 1);
        }
      }
      assert.equal(s.entries(1, 21, 0).length, 1);
      const two = entrySize(log[0]!) + entrySize(log[1]!);
      assert.equal(s.entries(1, 21, two).length, 2);
      assert.equal(s.entries(1, 21, two - 1).length, 1);
      assert.equal(s.entries(1, 21, Number.MAX_SAFE_INTEGER).length, 20);
    });

    test('an entry at an index already held replaces it and everything after it', (s) => {
      s.save({ entries: ents(1, 5, [1]) });
      s.save({ entries: ents(4, 5, [2]) });
      assertLog(s, [...ents(1, 3, [1]), ...ents(4, 5, [2])]);
      s.save({ entries: [ent(3, 3)] });
      assert.equal(s.lastIndex(), 3);
      assertLog(s, [...ents(1, 2, [1]), ent(3, 3)]);
      assert.throws(() => s.term(4), LogUnavailableError);
      assert.throws(() => s.entries(4, 5), LogUnavailableError);
      s.save({ entries: ents(1, 6, [4]) });
      assertLog(s, ents(1, 6, [4]));
    });

    test('rejects a gap, non-contiguous entries or a term going down, changing nothing', (s) => {
      s.save({ entries: ents(1, 3, [2]) });
      assert.throws(() => s.save({ entries: [ent(5, 2)] }), InvalidUpdateError);
      assert.throws(() => s.save({ entries: [ent(4, 2), ent(6, 2)] }), InvalidUpdateError);
      assert.throws(() => s.save({ entries: [ent(4, 1)] }), InvalidUpdateError);
      assert.throws(() => s.save({ entries: [ent(4, 3), ent(5, 2)] }), InvalidUpdateError);
      assert.throws(() => s.save({ entries: [ent(4, 2)], hardState: { term: 2, vote: 1, commit: 5 } }), InvalidUpdateError);
      assertLog(s, ents(1, 3, [2]));
      assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
    });

    test('round-trips the hard state, whose commit may not pass the last index', (s) => {
      s.save({ entries: ents(1, 3, [1]), hardState: { term: 3, vote: 2, commit: 2 } });
      assert.deepEqual(s.initialState().hardState, { term: 3, vote: 2, commit: 2 });
      s.save({ hardState: { term: 4, vote: 0, commit: 3 } });
      assert.deepEqual(s.initialState().hardState, { term: 4, vote: 0, commit: 3 });
      assert.throws(() => s.save({ hardState: { term: 4, vote: 0, commit: 4 } }), InvalidUpdateError);
      assert.deepEqual(s.initialState().hardState, { term: 4, vote: 0, commit: 3 });
      s.save({}); // an empty update is a no-op
      assert.equal(s.lastIndex(), 3);
    });

    test('createSnapshot records a snapshot without compacting', (s) => {
      s.save({ entries: ents(1, 5, [1, 1, 2]) });
      const data = new TextEncoder().encode('state@3');
      const got = s.createSnapshot(3, CS, data);
      assert.deepEqual(got.metadata, { index: 3, term: 2, confState: CS });
      assert.deepEqual(s.snapshot().metadata, got.metadata);
      assert.deepEqual(Buffer.from(s.snapshot().data), Buffer.from(data));
      assert.deepEqual(s.initialState().confState, CS);
      assert.equal(s.firstIndex(), 1);
      assert.throws(() => s.createSnapshot(2, CS, data), SnapshotOutOfDateError);
      assert.throws(() => s.createSnapshot(6, CS, data), LogUnavailableError);
      s.createSnapshot(3, CS, data); // the same index is not older
      s.createSnapshot(5, { voters: [1], learners: [] }, data);
      assert.deepEqual(s.initialState().confState, { voters: [1], learners: [] });
      assert.equal(s.snapshot().metadata.term, 2);
    });

    test('compact discards entries up to the point and keeps its term', (s) => {
      s.save({ entries: ents(1, 6, [1, 1, 2, 2, 3]) });
      assert.throws(() => s.compact(1), LogUnavailableError, 'beyond the snapshot (none yet)');
      s.createSnapshot(4, CS, new Uint8Array([4]));
      s.compact(2);
      assert.equal(s.firstIndex(), 3);
      assert.equal(s.lastIndex(), 6);
      assert.equal(s.term(2), 1);
      assert.throws(() => s.term(1), LogCompactedError);
      assert.throws(() => s.entries(2, 4), LogCompactedError);
      assertLog(s, ents(3, 6, [2, 2, 3]));
      assert.throws(() => s.compact(1), LogCompactedError);
      s.compact(2); // the current point: a no-op
      assert.equal(s.firstIndex(), 3);
      assert.throws(() => s.compact(5), LogUnavailableError, 'beyond the snapshot');
      assert.throws(() => s.compact(7), LogUnavailableError, 'beyond the last index');
      s.compact(4);
      assert.equal(s.firstIndex(), 5);
      assert.equal(s.term(4), 2);
      assertLog(s, ents(5, 6, [3]));
      s.save({ entries: [ent(7, 3)] });
      assertLog(s, ents(5, 7, [3]));
      s.createSnapshot(7, CS, new Uint8Array());
      s.compact(7);
      assert.equal(s.firstIndex(), 8);
      assert.equal(s.lastIndex(), 7);
      assert.equal(s.term(7), 3);
      assert.deepEqual(s.entries(8, 8), []);
      s.save({ entries: ents(6, 9, [3, 3, 4]) }); // entries already compacted are skipped
      assertLog(s, ents(8, 9, [4]));
    });

    test('a snapshot newer than the log replaces the whole log', (s) => {
      s.save({ entries: ents(1, 3, [1]) });
      s.save({ snapshot: snap(10, 4), hardState: { term: 4, vote: 0, commit: 10 } });
      assert.equal(s.firstIndex(), 11);
      assert.equal(s.lastIndex(), 10);
      assert.equal(s.term(10), 4);
      assert.throws(() => s.term(3), LogCompactedError);
      assert.deepEqual(s.entries(11, 11), []);
      assert.deepEqual(s.snapshot().metadata, snap(10, 4).metadata);
      assert.deepEqual(s.initialState().confState, snap(10, 4).metadata.confState);
      assert.deepEqual(s.initialState().hardState, { term: 4, vote: 0, commit: 10 });
      assert.throws(() => s.save({ entries: [ent(12, 4)] }), InvalidUpdateError);
      s.save({ entries: ents(11, 12, [4]) });
      assertLog(s, ents(11, 12, [4]));
    });

    test('a snapshot inside the log keeps the entries after it when its term matches', (s) => {
      s.save({ entries: ents(1, 6, [1, 1, 2, 2, 2, 3]) });
      s.save({ snapshot: snap(3, 2) });
      assert.equal(s.firstIndex(), 4);
      assert.equal(s.term(3), 2);
      assertLog(s, ents(4, 6, [2, 2, 3]));
      s.save({ snapshot: snap(6, 3) }); // at the last index
      assert.equal(s.firstIndex(), 7);
      assert.equal(s.lastIndex(), 6);
      assert.equal(s.term(6), 3);
    });

    test('a snapshot inside the log whose term differs there drops the log', (s) => {
      s.save({ entries: ents(1, 6, [1, 1, 2]) });
      s.save({ snapshot: snap(3, 3) });
      assert.equal(s.firstIndex(), 4);
      assert.equal(s.lastIndex(), 3);
      assert.equal(s.term(3), 3);
      assert.throws(() => s.entries(4, 5), LogUnavailableError);
    });

    test('applies snapshot, then entries, then hard state in one save', (s) => {
      s.save({ entries: ents(1, 4, [1]) });
      s.save({ snapshot: snap(8, 2), entries: ents(7, 10, [2]), hardState: { term: 2, vote: 1, commit: 10 } });
      assert.equal(s.firstIndex(), 9);
      assertLog(s, ents(9, 10, [2]));
      assert.deepEqual(s.initialState().hardState, { term: 2, vote: 1, commit: 10 });
    });

    test('rejects a snapshot older than the current one, and entries changing the snapshot index', (s) => {
      s.save({ snapshot: snap(5, 2), entries: ents(6, 7, [2]) });
      assert.throws(() => s.save({ snapshot: snap(4, 2) }), SnapshotOutOfDateError);
      assert.throws(() => s.createSnapshot(4, CS, new Uint8Array()), SnapshotOutOfDateError);
      s.createSnapshot(7, CS, new Uint8Array());
      assert.throws(() => s.save({ entries: [ent(6, 3)] }), /before the snapshot at 7/);
      assert.throws(() => s.save({ entries: ents(6, 8, [2, 3]) }), /would change from term 2 to 3/);
      assertLog(s, ents(6, 7, [2]));
    });

    test('returned arrays and given arrays are not aliased to internal state', (s) => {
      const given = ents(1, 5, [1]);
      s.save({ entries: given });
      given.length = 0;
      given.push(ent(9, 9));
      const got = s.entries(1, 6);
      got.length = 1;
      got[0] = ent(1, 7);
      got.push(ent(2, 7));
      assertLog(s, ents(1, 5, [1]));
      const cached = s.entries(4, 6);
      cached.splice(0, 2);
      assertLog(s, ents(1, 5, [1]));
      s.save({ entries: ents(6, 7, [1]) }); // frozen entries: any write to them would throw
      assertLog(s, ents(1, 7, [1]));
    });

    test('reads many entries across small and large batches', (s) => {
      const log: Entry[] = [];
      let next = 1;
      for (const n of [1, 10, 100, 1000, 3, 2000]) {
        const batch = ents(next, next + n - 1, [Math.ceil(next / 500)]);
        s.save({ entries: batch, hardState: { term: 9, vote: 1, commit: next + n - 1 } });
        log.push(...batch);
        next += n;
      }
      assert.equal(s.lastIndex(), log.length);
      assertLog(s, log);
      for (const [lo, hi] of [[1, 2], [500, 1700], [1100, 3115], [3114, 3115]] as const) {
        assert.deepEqual(plain(s.entries(lo, hi)), plain(log.slice(lo - 1, hi - 1)));
        assert.deepEqual(plain(s.entries(lo, hi, 2000)), plain(limitSize(log.slice(lo - 1, hi - 1), 2000)));
      }
    });

    test('every method fails after close', (s) => {
      s.save({ entries: ents(1, 2, [1]) });
      s.close();
      assert.throws(() => s.lastIndex(), /closed/);
      assert.throws(() => s.term(1), /closed/);
      assert.throws(() => s.entries(1, 2), /closed/);
      assert.throws(() => s.save({ entries: [ent(3, 1)] }), /closed/);
    });
  });
}
