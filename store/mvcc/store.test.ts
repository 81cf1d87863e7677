import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { InvalidRequestError, KeyNotFoundError, LeaseNotFoundError, MvccCorruptError } from './errors.js';
import { MvccStore } from './store.js';
import type { MvccStoreOptions } from './store.js';
import { TestStore, b, ev, kv } from './testing/helpers.js';
import type { Event } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeling-mvcc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = () => join(dir, `store-${++files}.db`);
const ALL = { key: b('\0'), rangeEnd: b('\0') };

describe('revisions and versions', () => {
  it('starts at revision 1 with no keys, no compaction, nothing applied', () => {
    const s = MvccStore.open(':memory:');
    assert.equal(s.currentRevision(), 1);
    assert.equal(s.compactRevision(), -1);
    assert.equal(s.consistentIndex(), 0);
    assert.deepEqual(s.range(ALL), { header: { revision: 1 }, kvs: [], more: false, count: 0 });
  });

  it('follows a key through puts, a delete and a new generation', () => {
    const t = TestStore.memory();
    const steps: [() => number, number, string][] = [
      [() => t.put('k', 'a'), 2, 'k=a c2 m2 v1'],
      [() => t.put('k', 'b'), 3, 'k=b c2 m3 v2'],
      [() => t.put('other', 'x'), 4, 'k=b c2 m3 v2'],
      [() => t.put('k', 'c'), 5, 'k=c c2 m5 v3'],
      [() => t.del('k'), 6, '(none)'],
      [() => t.del('k'), 6, '(none)'],
      [() => t.put('k', 'd'), 7, 'k=d c7 m7 v1'],
    ];
    for (const [step, rev, state] of steps) {
      step();
      assert.equal(t.store.currentRevision(), rev);
      assert.equal(t.get('k'), state);
    }
    assert.equal(t.get('k', 5), 'k=c c2 m5 v3');
    assert.equal(t.get('k', 6), '(none)');
  });

  it('a delete that deletes nothing keeps the revision and answers with it', () => {
    const t = TestStore.memory();
    t.put('a', '1');
    const r = t.store.deleteRange({ key: b('x'), rangeEnd: b('z'), prevKv: true }, t.next());
    assert.deepEqual(r.response, { header: { revision: 2 }, deleted: 0, prevKvs: [] });
    assert.deepEqual(r.events, []);
  });

  it('a range delete takes one revision, deleting in key order', () => {
    const t = TestStore.memory();
    for (const k of ['c', 'a', 'b', 'd']) t.put(k, k);
    const r = t.store.deleteRange({ key: b('a'), rangeEnd: b('d'), prevKv: true }, t.next());
    assert.equal(r.response.header.revision, 6);
    assert.deepEqual(r.response.prevKvs.map(kv), ['a=a c3 m3 v1', 'b=b c4 m4 v1', 'c=c c2 m2 v1']);
    assert.deepEqual(r.events.map(ev), [
      'DELETE a= c0 m6 v0 prev(a=a c3 m3 v1)',
      'DELETE b= c0 m6 v0 prev(b=b c4 m4 v1)',
      'DELETE c= c0 m6 v0 prev(c=c c2 m2 v1)',
    ]);
    assert.deepEqual(t.all(), ['d=d c5 m5 v1']);
  });

  it('events: a creation has no prevKv, an update has the old version, a delete is etcd\'s tombstone', () => {
    const t = TestStore.memory();
    const e1 = t.store.put({ key: b('k'), value: b('1') }, t.next()).events;
    const e2 = t.store.put({ key: b('k'), value: b('2') }, t.next()).events;
    const e3 = t.store.deleteRange({ key: b('k') }, t.next()).events;
    assert.deepEqual([...e1, ...e2, ...e3].map(ev), [
      'PUT k=1 c2 m2 v1',
      'PUT k=2 c2 m3 v2 prev(k=1 c2 m2 v1)',
      'DELETE k= c0 m4 v0 prev(k=2 c2 m3 v2)',
    ]);
    const tomb = e3[0]!.kv;
    assert.deepEqual({ ...tomb, key: undefined }, { key: undefined, createRevision: 0, modRevision: 4, version: 0, value: new Uint8Array(0), lease: 0 });
  });

  it('put options: prevKv, ignoreValue, ignoreLease', () => {
    const t = TestStore.memory();
    t.store.leases.grant(5, 60, t.next());
    const first = t.store.put({ key: b('k'), value: b('v1'), lease: 5, prevKv: true }, t.next()).response;
    assert.deepEqual(first, { header: { revision: 2 } }, 'no prevKv for a new key');
    const second = t.store.put({ key: b('k'), value: b('v2'), ignoreLease: true, prevKv: true }, t.next()).response;
    assert.equal(kv(second.prevKv), 'k=v1 c2 m2 v1 l5');
    assert.equal(t.get('k'), 'k=v2 c2 m3 v2 l5', 'ignoreLease keeps the lease');
    t.store.put({ key: b('k'), ignoreValue: true }, t.next());
    assert.equal(t.get('k'), 'k=v2 c2 m4 v3', 'ignoreValue keeps the value; no lease given detaches');
    assert.throws(() => t.store.put({ key: b('nope'), ignoreValue: true }, t.next()), KeyNotFoundError);
    assert.throws(() => t.store.put({ key: b('nope'), ignoreLease: true }, t.next()), KeyNotFoundError);
    assert.throws(() => t.store.put({ key: b('k'), value: b('x'), ignoreValue: true }, t.next()), { kind: 'ValueProvided' });
    assert.throws(() => t.store.put({ key: b('k'), lease: 5, ignoreLease: true }, t.next()), { kind: 'LeaseProvided' });
    assert.throws(() => t.store.put({ key: b(''), value: b('x') }, t.next()), { kind: 'EmptyKey' });
    assert.throws(() => t.store.put({ key: b('k'), lease: 6 }, t.next()), LeaseNotFoundError);
    assert.throws(() => t.store.put({ key: b('nope'), lease: 6, ignoreValue: true }, t.next()), LeaseNotFoundError, 'etcd checks the lease first');
    assert.throws(() => t.store.deleteRange({ key: b('') }, t.next()), InvalidRequestError);
    assert.equal(t.store.currentRevision(), 4);
  });

  it('tells observers of each commit that changed something, after it commits', () => {
    const t = TestStore.memory();
    const seen: string[] = [];
    const stop = t.store.observe({
      committed: (events: readonly Event[], revision: number) => {
        assert.equal(t.store.currentRevision(), revision);
        seen.push(`${revision}: ${events.map(ev).join(', ')}`);
      },
    });
    t.put('a', '1');
    t.del('nothing');
    assert.throws(() => t.store.put({ key: b('') }, t.next()));
    t.store.txn({ success: [{ requestPut: { key: b('b'), value: b('2') } }, { requestDeleteRange: { key: b('a') } }] }, t.next());
    stop();
    t.put('c', '3');
    assert.deepEqual(seen, ['2: PUT a=1 c2 m2 v1', '3: PUT b=2 c3 m3 v1, DELETE a= c0 m3 v0 prev(a=1 c2 m2 v1)']);
  });
});

describe('consistent index', () => {
  it('records the index of every applied entry, failed ones too; refuses an index already applied', () => {
    const t = TestStore.memory();
    t.store.put({ key: b('a') }, 5);
    assert.equal(t.store.consistentIndex(), 5);
    assert.throws(() => t.store.put({ key: b('') }, 6), InvalidRequestError);
    assert.equal(t.store.consistentIndex(), 6);
    assert.throws(() => t.store.put({ key: b('b') }, 6), RangeError);
    assert.throws(() => t.store.put({ key: b('b') }, 2), RangeError);
    t.store.markApplied(9);
    assert.equal(t.store.consistentIndex(), 9);
    assert.equal(t.store.currentRevision(), 2, 'markApplied changes nothing else');
    assert.deepEqual(t.store.range({ key: b('b') }).kvs, []);
  });

  it('survives a reopen, so replaying the log applies each entry once', () => {
    const file = tempFile();
    const log = Array.from({ length: 8 }, (_, i) => ({ index: i + 1, key: `k${i % 3}` }));
    const applyFrom = (s: MvccStore, upTo: number) => {
      for (const e of log.slice(0, upTo)) {
        if (e.index <= s.consistentIndex()) continue; // the server's skip rule
        s.put({ key: b(e.key), value: b(String(e.index)) }, e.index);
      }
    };
    let s = MvccStore.open(file);
    applyFrom(s, 5);
    s.close();
    s = MvccStore.open(file);
    assert.equal(s.consistentIndex(), 5);
    applyFrom(s, 8); // entries 1..5 again, then 6..8
    const once = MvccStore.open(':memory:');
    applyFrom(once, 8);
    assert.deepEqual(s.range(ALL), once.range(ALL));
    assert.equal(s.currentRevision(), 9);
    assert.deepEqual(s.range({ key: b('k0') }).kvs.map(kv), ['k0=7 c2 m8 v3']);
    s.close();
  });
});

describe('files, snapshots, durability', () => {
  const fill = (s: MvccStore, first: number) => {
    let i = first;
    s.leases.grant(3, 30, i++);
    s.put({ key: b('a'), value: b('1') }, i++);
    s.put({ key: b('b'), value: b('2'), lease: 3 }, i++);
    s.put({ key: b('a'), value: b('3') }, i++);
    s.deleteRange({ key: b('b') }, i++);
    s.put({ key: b('c'), value: b('x'.repeat(5000)) }, i++);
    s.compact({ revision: 3 }, i++);
    return i;
  };

  for (const sync of ['normal', 'full'] as const) {
    it(`round-trips a snapshot between real files (sync ${sync})`, () => {
      const opts: MvccStoreOptions = { sync };
      const a = MvccStore.open(tempFile(), opts);
      fill(a, 1);
      const data = a.snapshot();
      const file = tempFile();
      writeFileSync(file, 'stale contents, replaced');
      const c = MvccStore.openFromSnapshot(file, data, opts);
      for (const s of [c]) {
        assert.equal(s.currentRevision(), a.currentRevision());
        assert.equal(s.compactRevision(), 3);
        assert.equal(s.consistentIndex(), a.consistentIndex());
        assert.deepEqual(s.range(ALL), a.range(ALL));
        assert.deepEqual(s.range({ ...ALL, revision: 4 }), a.range({ ...ALL, revision: 4 }));
        assert.deepEqual(s.hashKV(), a.hashKV());
        assert.deepEqual(s.leases.list(), [{ id: 3, ttl: 30 }]);
      }
      c.close();
      const reopened = MvccStore.open(file, opts);
      assert.deepEqual(reopened.hashKV(), a.hashKV());
      reopened.close();
      a.close();
    });
  }

  it('restores in place, over different contents, and tells observers', () => {
    const a = MvccStore.open(tempFile());
    const next = fill(a, 1);
    const target = MvccStore.open(tempFile());
    target.put({ key: b('other'), value: b('data') }, 40);
    let restored = 0;
    target.observe({ restored: () => restored++ });
    target.restore(a.snapshot());
    assert.equal(restored, 1);
    assert.deepEqual(target.range(ALL), a.range(ALL));
    assert.equal(target.consistentIndex(), next - 1, 'the consistent index comes from the snapshot');
    target.put({ key: b('after'), value: b('1') }, next);
    assert.equal(target.currentRevision(), a.currentRevision() + 1);
    const mem = MvccStore.open(':memory:');
    mem.restore(target.snapshot());
    assert.deepEqual(mem.range(ALL), target.range(ALL));
    for (const s of [a, target, mem]) s.close();
  });

  it('refuses snapshots and files that are not kubeling stores', () => {
    const s = MvccStore.open(':memory:');
    assert.throws(() => s.restore(new Uint8Array(200)), MvccCorruptError);
    const foreign = new Database(':memory:');
    foreign.exec('CREATE TABLE t (x)');
    assert.throws(() => s.restore(foreign.serialize()), /not a kubeling MVCC store/);
    assert.throws(() => MvccStore.openFromSnapshot(tempFile(), foreign.serialize()), MvccCorruptError);
    foreign.close();
    const garbage = tempFile();
    writeFileSync(garbage, Buffer.alloc(8192, 7));
    assert.throws(() => MvccStore.open(garbage), MvccCorruptError);
    const other = tempFile();
    const db = new Database(other);
    db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)');
    db.close();
    assert.throws(() => MvccStore.open(other), /missing tables/);
    // a file of another format version (format 1 kept history by key on disk) is refused by name
    const old = tempFile();
    MvccStore.open(old).close();
    const odb = new Database(old);
    odb.prepare("UPDATE meta SET value = '1' WHERE key = 'format_version'").run();
    odb.close();
    assert.throws(() => MvccStore.open(old), (e: Error) => e instanceof MvccCorruptError && e.message === `${old}: unknown format version 1`);
    assert.equal(s.currentRevision(), 1, 'a refused restore changes nothing');
  });

  it('sync() checkpoints the WAL into the database file', () => {
    const file = tempFile();
    const s = MvccStore.open(file);
    for (let i = 1; i <= 50; i++) s.put({ key: b(`k${i}`), value: b('v'.repeat(100)) }, i);
    assert.ok(statSync(`${file}-wal`).size > 0);
    s.sync();
    assert.equal(statSync(`${file}-wal`).size, 0);
    s.close();
    assert.equal(existsSync(`${file}-wal`), false, 'a clean close leaves no WAL');
  });

  it('a batch interval shares one transaction among batches; close() commits it', () => {
    const file = tempFile();
    const s = MvccStore.open(file, { batchIntervalMs: 60_000 });
    s.batch(() => s.put({ key: b('a'), value: b('1') }, 1));
    s.batch(() => s.put({ key: b('b'), value: b('2') }, 2));
    assert.deepEqual(s.range(ALL).kvs.map(kv), ['a=1 c2 m2 v1', 'b=2 c3 m3 v1'], 'this connection reads what it holds');
    assert.throws(() => s.batch(() => s.put({ key: b('') }, 3)), InvalidRequestError);
    s.batch(() => s.put({ key: b('c'), value: b('3') }, 4));
    s.close();
    const again = MvccStore.open(file);
    assert.equal(again.consistentIndex(), 4);
    assert.deepEqual(again.range(ALL).kvs.map(kv), ['a=1 c2 m2 v1', 'b=2 c3 m3 v1', 'c=3 c4 m4 v1']);
    again.close();
  });

  it('a batch writes its state row once, at its end: a refused entry inside it is still recorded as applied', () => {
    const file = tempFile();
    const s = MvccStore.open(file);
    s.batch(() => {
      s.put({ key: b('a'), value: b('1') }, 1);
      assert.throws(() => s.put({ key: b('x'), value: b('1'), lease: 99 }, 2), LeaseNotFoundError);
      s.put({ key: b('b'), value: b('2') }, 3);
      assert.equal(s.consistentIndex(), 3);
    });
    s.markApplied(4);
    s.close();
    const again = MvccStore.open(file);
    assert.equal(again.consistentIndex(), 4);
    assert.equal(again.currentRevision(), 3);
    assert.deepEqual(again.range(ALL).kvs.map(kv), ['a=1 c2 m2 v1', 'b=2 c3 m3 v1']);
    again.close();
  });

  it('a kill -9 loses only the transaction the batch interval holds, with its consistent index', async () => {
    const file = tempFile();
    const code = `
      import { MvccStore } from ${JSON.stringify(new URL('./store.ts', import.meta.url).pathname)};
      const b = (s) => new TextEncoder().encode(s);
      const s = MvccStore.open(${JSON.stringify(file)}, { batchIntervalMs: 60000 });
      s.batch(() => s.put({ key: b('a'), value: b('1') }, 1));
      s.sync();
      s.batch(() => s.put({ key: b('b'), value: b('2') }, 2));
      s.batch(() => s.put({ key: b('c'), value: b('3') }, 3));
      console.log(s.range({ key: b('a'), rangeEnd: b('z') }).count);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    assert.equal(line.toString().trim(), '3', 'the child reads all three keys');
    child.kill('SIGKILL');
    await once(child, 'exit');
    const s = MvccStore.open(file);
    assert.equal(s.consistentIndex(), 1, 'entries 2 and 3 are applied again from the Raft log');
    assert.deepEqual(s.range(ALL).kvs.map(kv), ['a=1 c2 m2 v1']);
    s.close();
  });

  it('a second opener of the same file is refused while the first has it', () => {
    const file = tempFile();
    const s = MvccStore.open(file);
    s.put({ key: b('a') }, 1);
    assert.throws(() => MvccStore.open(file), /in use/);
    s.close();
  });

  it('throws once closed', () => {
    const s = MvccStore.open(':memory:');
    s.close();
    assert.throws(() => s.range({ key: b('a') }), /closed/);
  });
});
