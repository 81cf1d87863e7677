import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { assertLog, ent, ents, plain, snap, storageConformance } from './conformance.js';
import { SqliteStorage } from './sqlite.js';
import type { SqliteStorageOptions } from './sqlite.js';
import { StorageCorruptError } from './storage.js';
import type { RaftStorage, StorageIdentity, StorageUpdate } from './storage.js';
import { WRITER_IDENTITY, writerData } from './testdata/writer.js';

const ID: StorageIdentity = { clusterId: 'c-1', memberId: 1 };

/** A fresh temp dir holding one file for a conformance case. */
function fixture(opts: SqliteStorageOptions = {}) {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-sqlite-'));
    const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
    try {
      return { storage: SqliteStorage.open(join(dir, 'raft.db'), ID, opts), cleanup };
    } catch (e) {
      cleanup();
      throw e;
    }
  };
}

/** Closes and reopens the file after every write, so each check reads what a restart would. */
class ReopeningStorage implements RaftStorage {
  #s: SqliteStorage;
  constructor(s: SqliteStorage) {
    this.#s = s;
  }
  #reopen(): void {
    this.#s.close();
    this.#s = SqliteStorage.open(this.#s.file, ID, { cacheEntries: 0 });
  }
  initialState(): { hardState: HardState; confState: ConfState } {
    return this.#s.initialState();
  }
  entries(lo: number, hi: number, maxSize?: number): Entry[] {
    return this.#s.entries(lo, hi, maxSize);
  }
  term(i: number): number {
    return this.#s.term(i);
  }
  lastIndex(): number {
    return this.#s.lastIndex();
  }
  firstIndex(): number {
    return this.#s.firstIndex();
  }
  snapshot(): Snapshot {
    return this.#s.snapshot();
  }
  save(update: StorageUpdate): void {
    try {
      this.#s.save(update);
    } finally {
      this.#reopen();
    }
  }
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    try {
      return this.#s.createSnapshot(index, confState, data);
    } finally {
      this.#reopen();
    }
  }
  compact(compactIndex: number): void {
    try {
      this.#s.compact(compactIndex);
    } finally {
      this.#reopen();
    }
  }
  close(): void {
    this.#s.close();
  }
}

storageConformance('SqliteStorage', fixture());
storageConformance('SqliteStorage without cache', fixture({ cacheEntries: 0 }));
storageConformance('SqliteStorage with a 3-entry cache', fixture({ cacheEntries: 3 }));
storageConformance('SqliteStorage reopened after every write', () => {
  const { storage, cleanup } = fixture()();
  return { storage: new ReopeningStorage(storage), cleanup };
});

void describe('SqliteStorage files', () => {
  let dir = '';
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeling-sqlite-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const newFile = (): string => join(dir, `raft-${++n}.db`);

  /** A closed file holding entries 1..10 (terms 1,1,2...), snapshot at 4, compacted to 3. */
  const populated = (): string => {
    const file = newFile();
    const s = SqliteStorage.open(file, ID);
    s.save({ entries: ents(1, 10, [1, 1, 2]), hardState: { term: 2, vote: 1, commit: 8 } });
    s.createSnapshot(4, { voters: [1, 2, 3], learners: [] }, new TextEncoder().encode('state@4'));
    s.compact(3);
    s.close();
    return file;
  };

  /** Runs `sql` on `file` through its own connection, bypassing SqliteStorage. */
  const tamper = (file: string, fn: (db: Database.Database) => void): void => {
    const db = new Database(file);
    try {
      fn(db);
    } finally {
      db.close();
    }
  };

  const refused = (file: string, reason: RegExp, id: StorageIdentity = ID): void => {
    assert.throws(
      () => SqliteStorage.open(file, id),
      (e: unknown) => {
        assert.ok(e instanceof StorageCorruptError, `not a StorageCorruptError: ${String(e)}`);
        assert.equal(e.file, file);
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.message, reason);
        return true;
      },
    );
  };

  void it('keeps entries, hard state, snapshot and compaction point across close and reopen', () => {
    const file = populated();
    const s = SqliteStorage.open(file, ID);
    try {
      assert.equal(s.firstIndex(), 4);
      assert.equal(s.lastIndex(), 10);
      assert.equal(s.term(3), 2);
      assertLog(s, ents(4, 10, [2]));
      assert.deepEqual(s.initialState(), {
        hardState: { term: 2, vote: 1, commit: 8 },
        confState: { voters: [1, 2, 3], learners: [] },
      });
      assert.deepEqual(s.snapshot().metadata, { index: 4, term: 2, confState: { voters: [1, 2, 3], learners: [] } });
      assert.equal(new TextDecoder().decode(s.snapshot().data), 'state@4');
      s.save({ entries: ents(11, 12, [3]) });
    } finally {
      s.close();
    }
    const again = SqliteStorage.open(file, ID);
    assert.equal(again.lastIndex(), 12);
    assert.equal(again.term(12), 3);
    again.close();
  });

  void it('records the initial membership in a new file only', () => {
    const file = newFile();
    const cs = { voters: [1, 2, 3], learners: [] };
    SqliteStorage.open(file, ID, { initialConfState: cs }).close();
    const s = SqliteStorage.open(file, ID, { initialConfState: { voters: [9], learners: [] } });
    assert.deepEqual(s.initialState().confState, cs);
    assert.equal(s.snapshot().metadata.index, 0);
    s.close();
  });

  void it('initialises an empty file', () => {
    const file = newFile();
    writeFileSync(file, '');
    const s = SqliteStorage.open(file, ID);
    assert.equal(s.lastIndex(), 0);
    s.close();
  });

  void it('refuses a file of garbage bytes, and leaves it as it was', () => {
    const file = newFile();
    const garbage = Buffer.alloc(8192, 'not a database, just bytes. ');
    writeFileSync(file, garbage);
    refused(file, /not a valid SQLite database/);
    assert.deepEqual(readFileSync(file), garbage);
  });

  void it('refuses a file with a damaged page (quick_check)', () => {
    const file = populated();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xab), 0, 64, 2 * 4096); // the head of page 3
    closeSync(fd);
    refused(file, /quick_check failed/);
  });

  void it('refuses a file of another cluster or member', () => {
    const file = populated();
    refused(file, /belongs to cluster "c-1", not "c-2"/, { clusterId: 'c-2', memberId: 1 });
    refused(file, /belongs to member 1, not 2/, { clusterId: 'c-1', memberId: 2 });
    SqliteStorage.open(file, ID).close();
  });

  void it('refuses a missing or unknown format version and a foreign database', () => {
    const file = populated();
    tamper(file, (db) => db.prepare("UPDATE meta SET value = '99' WHERE key = 'format_version'").run());
    refused(file, /unknown format version 99/);
    tamper(file, (db) => db.prepare("DELETE FROM meta WHERE key = 'format_version'").run());
    refused(file, /format version is missing/);
    const other = newFile();
    tamper(other, (db) => db.exec('CREATE TABLE users (name TEXT)'));
    refused(other, /not a kubeling storage file/);
  });

  void it('refuses an entry whose data has a flipped byte', () => {
    const file = populated();
    tamper(file, (db) => {
      const data = db.prepare('SELECT data FROM entries WHERE idx = 7').pluck().get() as Buffer;
      data[1]! ^= 0x20;
      db.prepare('UPDATE entries SET data = ? WHERE idx = 7').run(data);
    });
    refused(file, /entry 7 fails its checksum/);
  });

  void it('refuses an entry whose term was changed, and a damaged snapshot', () => {
    const file = populated();
    tamper(file, (db) => db.prepare('UPDATE entries SET term = 3 WHERE idx = 10').run());
    refused(file, /entry 10 fails its checksum/);
    const file2 = populated();
    tamper(file2, (db) => db.prepare("UPDATE snapshot SET data = X'00'").run());
    refused(file2, /snapshot at index 4 fails its checksum/);
  });

  void it('refuses a log with a gap', () => {
    const file = populated();
    tamper(file, (db) => db.prepare('DELETE FROM entries WHERE idx = 6').run());
    refused(file, /gap: entries 6\.\.6 are missing/);
    const file2 = populated();
    tamper(file2, (db) => db.prepare('DELETE FROM entries WHERE idx = 4').run());
    refused(file2, /gap: entries 4\.\.4 are missing/);
  });

  void it('refuses a hard state whose commit is beyond the last index', () => {
    const file = populated();
    tamper(file, (db) => db.prepare('DELETE FROM entries WHERE idx >= 8').run());
    refused(file, /commit 8 is beyond the last index 7/);
  });

  void it('refuses a second open of a file in use', () => {
    const file = populated();
    const s = SqliteStorage.open(file, ID);
    try {
      assert.throws(() => SqliteStorage.open(file, ID), /in use by another process/);
    } finally {
      s.close();
    }
    SqliteStorage.open(file, ID).close();
  });

  void it('keeps every acknowledged save across kill -9 of the writing process', { timeout: 60_000 }, async () => {
    const file = newFile();
    const writer = fileURLToPath(new URL('./testdata/writer.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = 0;
    let lines = 0;
    let stderr = '';
    try {
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      createInterface({ input: child.stdout }).on('line', (line) => {
        acked = Math.max(acked, Number(line));
        if (++lines === 200) child.kill('SIGKILL');
      });
      // 'close' comes after the last line written before the kill has been read.
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, sig) => resolve(sig)));
      assert.equal(signal, 'SIGKILL', `writer ended on its own: ${stderr}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    assert.ok(lines >= 200);
    const s = SqliteStorage.open(file, WRITER_IDENTITY, { cacheEntries: 0 });
    try {
      const last = s.lastIndex();
      assert.ok(last >= acked, `acknowledged ${acked} but the log ends at ${last}`);
      assert.equal(s.firstIndex(), 1);
      const got = s.entries(1, last + 1);
      assert.equal(got.length, last);
      got.forEach((e, k) => assert.equal(e.index, k + 1));
      const want = got.map((e) => ({ ...e, data: writerData(e.index) }));
      assert.deepEqual(plain(got), plain(want));
      const { commit } = s.initialState().hardState;
      assert.ok(commit >= acked && commit <= last, `commit ${commit}, acknowledged ${acked}, last ${last}`);
    } finally {
      s.close();
    }
  });

  void it('survives a save that mixes every kind of update, then a reopen', () => {
    const file = newFile();
    const s = SqliteStorage.open(file, ID);
    s.save({ entries: ents(1, 5, [1]) });
    s.save({ snapshot: snap(7, 2), entries: [ent(8, 2)], hardState: { term: 2, vote: 3, commit: 8 } });
    s.close();
    const r = SqliteStorage.open(file, ID);
    assert.equal(r.firstIndex(), 8);
    assert.equal(r.term(7), 2);
    assertLog(r, [ent(8, 2)]);
    assert.deepEqual(r.initialState().hardState, { term: 2, vote: 3, commit: 8 });
    r.close();
  });
});
