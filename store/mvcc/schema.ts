/**
 * The on-disk format of MvccStore (version 2) and every SQL statement it runs.
 *
 *   state    one row: consistent_index (the last applied Raft index), revision
 *            (the store's current revision), compact_revision (-1 until the
 *            first compaction, as etcd's compactMainRev).
 *   history  one row per change, in (rev, sub) order: etcd's key bucket. A put
 *            stores the whole KeyValue; a delete stores a tombstone (version 0,
 *            create_rev 0, lease 0, empty value). A rowid table with a unique
 *            (rev, sub) index: writes only ever append to both, so a commit
 *            writes few pages. Which revisions hold a key is known from the
 *            in-memory index (index.ts), rebuilt from this table on open.
 *   lease    one row per granted lease: id and granted TTL (seconds).
 *   meta     application id and format version.
 *
 * Changing any of this means a new FORMAT_VERSION. Version 1 (history keyed
 * by (key, rev) on disk, and a table of live keys) is not read: it made every
 * write touch three B-trees at random places.
 */
import type Database from 'better-sqlite3';
import { MvccCorruptError } from './errors.js';

/** The on-disk format this code reads and writes. */
export const FORMAT_VERSION = 2;
const APPLICATION = 'kubeling-mvcc';

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), consistent_index INTEGER NOT NULL,
  revision INTEGER NOT NULL, compact_revision INTEGER NOT NULL);
CREATE TABLE history (rev INTEGER NOT NULL, sub INTEGER NOT NULL, key BLOB NOT NULL,
  create_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL, value BLOB NOT NULL);
CREATE UNIQUE INDEX history_by_rev ON history (rev, sub);
CREATE TABLE lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL);
`;
const TABLES = ['meta', 'state', 'history', 'lease'];

/** A key's version without its value (a history row's columns; mod_rev is its rev). */
export interface MetaRow {
  key: Buffer;
  create_rev: number;
  mod_rev: number;
  sub: number;
  /** 0 for a tombstone. */
  version: number;
  lease: number;
}
/** A MetaRow with its value. */
export interface ValueRow extends MetaRow {
  value: Buffer;
}
/** The state table's row. */
export interface StateRow {
  consistent_index: number;
  revision: number;
  compact_revision: number;
}
/** A lease table row. */
export interface LeaseRow {
  id: number;
  ttl: number;
}

/** Creates the schema and the initial state of a brand-new database, in one transaction. */
export function initialise(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    meta.run('application', APPLICATION);
    meta.run('format_version', String(FORMAT_VERSION));
    db.prepare('INSERT INTO state (id, consistent_index, revision, compact_revision) VALUES (1, 0, 1, -1)').run();
  })();
}

/** Throws MvccCorruptError unless `db` is a kubeling MVCC database of this format. */
export function checkFormat(db: Database.Database, what: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  const missing = TABLES.filter((t) => !tables.includes(t));
  if (missing.length > 0) throw new MvccCorruptError(what, `not a kubeling MVCC store (missing tables: ${missing.join(', ')})`);
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  const meta = new Map(rows.map((r) => [r.key, r.value]));
  if (meta.get('application') !== APPLICATION) throw new MvccCorruptError(what, 'not a kubeling MVCC store');
  if (meta.get('format_version') !== String(FORMAT_VERSION)) {
    throw new MvccCorruptError(what, `unknown format version ${meta.get('format_version') ?? '(none)'}`);
  }
}

