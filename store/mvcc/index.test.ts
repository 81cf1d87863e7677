import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rand } from '../raft/rand.js';
import { KeyIndex } from './index.js';
import type { Version } from './index.js';

/** A naive model: every key's versions in a Map; order by sorting. */
class Model {
  readonly keys = new Map<string, Version[]>();
  record(k: string, v: Version): void {
    const vs = this.keys.get(k) ?? [];
    vs.push(v);
    this.keys.set(k, vs);
  }
  unrecord(k: string): void {
    const vs = this.keys.get(k)!;
    vs.pop();
    if (vs.length === 0) this.keys.delete(k);
  }
  sorted(lo: string, hi?: string): string[] {
    return [...this.keys.keys()].filter((k) => k >= lo && (hi === undefined || k < hi)).sort();
  }
  liveAt(k: string, rev: number): Version | undefined {
    const v = [...(this.keys.get(k) ?? [])].reverse().find((x) => x.rev <= rev);
    return v !== undefined && v.version > 0 ? v : undefined;
  }
}

describe('KeyIndex', () => {
  it('keeps keys in byte order across chunk splits and removals, as a naive model does', () => {
    for (const seed of [1, 2, 3]) {
      const rand = new Rand(seed);
      const r = (): number => rand.next();
      const idx = new KeyIndex();
      const model = new Model();
      const recorded: string[] = [];
      // keys with bytes above 0x7f too: latin1 strings compare as bytes
      const key = (): string => String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 3) }, () => Math.floor(r() * 256)));
      let rev = 1;
      for (let step = 0; step < 6000; step++) {
        if (r() < 0.15 && recorded.length > 0) {
          const k = recorded.pop()!;
          idx.unrecord(k);
          model.unrecord(k);
          continue;
        }
        const k = key();
        const live = model.keys.get(k)?.at(-1);
        const deleting = live !== undefined && live.version > 0 && r() < 0.3;
        const v: Version = deleting
          ? { rev: ++rev, sub: 0, version: 0, createRev: 0, lease: 0 }
          : { rev: ++rev, sub: 0, version: (live?.version ?? 0) + 1, createRev: live?.createRev || rev, lease: Math.floor(r() * 3) };
        idx.record(k, v);
        model.record(k, v);
        recorded.push(k);
      }
      assert.equal(idx.size, model.keys.size);
      assert.deepEqual([...idx.all()].map((e) => e.key), model.sorted(''));
      for (let q = 0; q < 200; q++) {
        const [a, b] = [key(), key()].sort() as [string, string];
        assert.deepEqual([...idx.entries({ lo: a, hi: b })].map((e) => e.key), model.sorted(a, b), `[${a}, ${b})`);
        assert.deepEqual([...idx.entries({ lo: a })].map((e) => e.key), model.sorted(a));
        assert.deepEqual([...idx.entries({ lo: a, single: true })].map((e) => e.key), model.keys.has(a) ? [a] : []);
        assert.deepEqual([...idx.entries({ lo: b, hi: a })].map((e) => e.key), [], 'an empty range');
        const at = Math.floor(r() * rev) + 1;
        for (const e of idx.entries({ lo: a, hi: b })) assert.deepEqual(e.at(at), model.liveAt(e.key, at));
      }
      for (const lease of [1, 2]) {
        const expect = model.sorted('').filter((k) => model.liveAt(k, rev)?.lease === lease);
        assert.deepEqual(idx.leaseKeys(lease), expect, `lease ${lease}`);
      }
    }
  });

  it('compaction keeps each key’s latest version at the revision, unless it is a tombstone', () => {
    const idx = new KeyIndex();
    const put = (rev: number, version: number, lease = 0): Version => ({ rev, sub: 0, version, createRev: 2, lease });
    idx.record('a', put(2, 1));
    idx.record('a', put(3, 2, 7));
    idx.record('a', put(6, 3, 7));
    idx.record('b', put(4, 1));
    idx.record('b', { rev: 5, sub: 0, version: 0, createRev: 0, lease: 0 }); // deleted at 5
    idx.record('c', put(7, 1));
    const plan = idx.compaction(5);
    assert.deepEqual(plan.map((p) => [p.entry.key, p.drop]), [['a', 1], ['b', 2]]);
    idx.applyCompaction(plan);
    assert.deepEqual([...idx.all()].map((e) => [e.key, e.versions.map((v) => v.rev)]), [['a', [3, 6]], ['c', [7]]]);
    assert.equal(idx.get('b'), undefined);
    assert.deepEqual(idx.leaseKeys(7), ['a'], 'lease membership follows the latest version');
    assert.deepEqual(idx.get('a')?.at(5), put(3, 2, 7));
    assert.deepEqual(idx.compaction(5), [], 'compacting again at the same revision removes nothing');
  });

  it('unrecord restores lease membership and removes keys left without versions', () => {
    const idx = new KeyIndex();
    idx.record('k', { rev: 2, sub: 0, version: 1, createRev: 2, lease: 5 });
    idx.record('k', { rev: 3, sub: 0, version: 2, createRev: 2, lease: 6 });
    assert.deepEqual([idx.leaseKeys(5), idx.leaseKeys(6)], [[], ['k']]);
    idx.unrecord('k');
    assert.deepEqual([idx.leaseKeys(5), idx.leaseKeys(6)], [['k'], []]);
    idx.unrecord('k');
    assert.equal(idx.size, 0);
    assert.deepEqual([...idx.all()], []);
    assert.throws(() => idx.unrecord('k'), /unknown key/);
  });
});
