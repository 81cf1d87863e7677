/**
 * The store's file handling: opening (and creating) a database with its
 * pragmas and checks, snapshot images (checked before use), and replacing a
 * file's contents atomically with a snapshot.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MvccCorruptError } from './errors.js';
import { checkFormat, initialise } from './schema.js';

/** How commits reach the disk; see MvccStoreOptions.sync. */
export type SyncMode = 'full' | 'normal';

/** Opens (creating if new) and checks a store database. */
export function openDatabase(file: string, sync: SyncMode = 'normal'): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0 });
    if (file !== ':memory:') {
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`${file}: cannot use WAL journal mode (got ${String(mode)})`);
    }
    db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    // Each batch is a savepoint in a held transaction, and SQLite keeps the first
    // image of every page a savepoint changes in a statement journal: in memory,
    // not a temp file (two pwrite calls per page, some 14,000 pages a second at load).
    db.pragma('temp_store = MEMORY');
    const check = String(db.pragma('quick_check(3)', { simple: true }));
    if (check !== 'ok') throw new MvccCorruptError(file, `quick_check failed: ${check.slice(0, 400)}`);
    const empty = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() === 0;
    if (empty) {
      initialise(db);
      if (file !== ':memory:') fsyncDir(dirname(file));
    } else {
      checkFormat(db, file);
    }
    return db;
  } catch (e) {
    if (db?.open === true) db.close();
    if (e instanceof Database.SqliteError) {
      if (e.code === 'SQLITE_BUSY') throw new Error(`${file} is in use by another process`, { cause: e });
      if (e.code === 'SQLITE_NOTADB' || e.code.startsWith('SQLITE_CORRUPT')) {
        throw new MvccCorruptError(file, `not a valid SQLite database (${e.message})`);
      }
    }
    throw e;
  }
}

/** An in-memory database holding a copy of `data`. */
export function memoryFrom(data: Uint8Array): Database.Database {
  const image = Buffer.from(data); // a copy; SQLite takes ownership of what it deserializes
  image[18] = 1; // the rollback-journal file format: an in-memory database cannot be in WAL mode
  image[19] = 1;
  return new Database(image);
}

/** Throws MvccCorruptError unless `data` is a whole, valid store database. */
export function checkSnapshot(data: Uint8Array): void {
  if (data.byteLength < 100 || Buffer.from(data.buffer, data.byteOffset, 16).toString('latin1') !== 'SQLite format 3\0') {
    throw new MvccCorruptError('snapshot', 'not a SQLite database');
  }
  let db: Database.Database | undefined;
  try {
    db = memoryFrom(data);
    const check = String(db.pragma('quick_check(3)', { simple: true }));
    if (check !== 'ok') throw new MvccCorruptError('snapshot', `quick_check failed: ${check.slice(0, 400)}`);
    checkFormat(db, 'snapshot');
  } catch (e) {
    if (e instanceof Database.SqliteError) throw new MvccCorruptError('snapshot', e.message);
    throw e;
  } finally {
    db?.close();
  }
}

/** Replaces `file` with `data` atomically (write, fsync, rename, fsync the directory). */
export function replaceFile(file: string, data: Uint8Array): void {
  const tmp = `${file}.restore`;
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  for (const stale of [`${file}-wal`, `${file}-shm`]) rmSync(stale, { force: true });
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

/** Makes a newly created or renamed file's directory entry durable. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

