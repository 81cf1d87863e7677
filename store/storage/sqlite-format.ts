/**
 * The on-disk format of SqliteStorage (version 1): the schema, the prepared
 * statements, initialisation of a new file, the identity check and the
 * checksums. Changing any of it means a new FORMAT_VERSION.
 */
import { crc32 } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { ConfState } from '../raft/types.js';
import { StorageCorruptError } from './storage.js';
import type { StorageIdentity } from './storage.js';

/** The on-disk format this code reads and writes. */
export const FORMAT_VERSION = 1;

/** The tables of format version 1. */
const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, type INTEGER NOT NULL,
  data BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE hard_state (id INTEGER PRIMARY KEY CHECK (id = 1), term INTEGER NOT NULL,
  vote INTEGER NOT NULL, commit_idx INTEGER NOT NULL);
CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER NOT NULL, term INTEGER NOT NULL,
  conf_state TEXT NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE compaction (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER NOT NULL, term INTEGER NOT NULL);
`;
/** The tables a file must have. */
export const TABLES = ['meta', 'entries', 'hard_state', 'snapshot', 'compaction'];

/** A row of the entries table. */
export interface EntryRow { idx: number; term: number; type: number; data: Buffer; crc: number }
/** The snapshot table's row. */
export interface SnapshotRow { idx: number; term: number; conf_state: string; data: Buffer; crc: number }
/** The hard_state table's row. */
export interface HardStateRow { term: number; vote: number; commit_idx: number }
/** The compaction table's row. */
export interface IndexTermRow { idx: number; term: number }

/** The statements SqliteStorage runs, by name. */
export type Statements = ReturnType<typeof prepareStatements>;

/** Every statement SqliteStorage runs, prepared once per connection and reused. */
export function prepareStatements(db: Database.Database) {
  return {
    range: db.prepare('SELECT idx, term, type, data, crc FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
    all: db.prepare('SELECT idx, term, type, data, crc FROM entries ORDER BY idx'),
    insert: db.prepare('INSERT INTO entries (idx, term, type, data, crc) VALUES (?, ?, ?, ?, ?)'),
    deleteFrom: db.prepare('DELETE FROM entries WHERE idx >= ?'),
    deleteThrough: db.prepare('DELETE FROM entries WHERE idx <= ?'),
    deleteAll: db.prepare('DELETE FROM entries'),
    getHardState: db.prepare('SELECT term, vote, commit_idx FROM hard_state WHERE id = 1'),
    putHardState: db.prepare('INSERT OR REPLACE INTO hard_state (id, term, vote, commit_idx) VALUES (1, ?, ?, ?)'),
    getSnapshot: db.prepare('SELECT idx, term, conf_state, data, crc FROM snapshot WHERE id = 1'),
    putSnapshot: db.prepare(
      'INSERT OR REPLACE INTO snapshot (id, idx, term, conf_state, data, crc) VALUES (1, ?, ?, ?, ?, ?)',
    ),
    getCompaction: db.prepare('SELECT idx, term FROM compaction WHERE id = 1'),
    putCompaction: db.prepare('INSERT OR REPLACE INTO compaction (id, idx, term) VALUES (1, ?, ?)'),
  };
}

/** Creates the schema and the initial records of a brand-new file, in one transaction. */
export function initialise(db: Database.Database, identity: StorageIdentity, confState: ConfState): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    meta.run('format_version', String(FORMAT_VERSION));
    meta.run('cluster_id', identity.clusterId);
    meta.run('member_id', String(identity.memberId));
    const stmt = prepareStatements(db);
    stmt.putHardState.run(0, 0, 0);
    stmt.putCompaction.run(0, 0);
    const cs = JSON.stringify({ voters: confState.voters, learners: confState.learners });
    const empty = new Uint8Array(0);
    stmt.putSnapshot.run(0, 0, cs, empty, snapshotCrc(0, 0, cs, empty));
  })();
}

/** Throws StorageCorruptError unless the file's format and owner are the expected ones. */
export function checkIdentity(file: string, db: Database.Database, identity: StorageIdentity): void {
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  const meta = new Map(rows.map((r) => [r.key, r.value]));
  const version = meta.get('format_version');
  if (version === undefined) throw new StorageCorruptError(file, 'the format version is missing');
  if (version !== String(FORMAT_VERSION)) {
    throw new StorageCorruptError(file, `unknown format version ${version} (this build reads ${FORMAT_VERSION})`);
  }
  const cluster = meta.get('cluster_id');
  if (cluster !== identity.clusterId) {
    throw new StorageCorruptError(file, `belongs to cluster ${JSON.stringify(cluster)}, not ${JSON.stringify(identity.clusterId)}`);
  }
  const member = meta.get('member_id');
  if (member !== String(identity.memberId)) {
    throw new StorageCorruptError(file, `belongs to member ${String(member)}, not ${identity.memberId}`);
  }
}

const scratch = Buffer.alloc(20);

/** The checksum of an entry: its index, term and type, then its data. */
export function entryCrc(index: number, term: number, type: number, data: Uint8Array): number {
  scratch.writeDoubleLE(index, 0);
  scratch.writeDoubleLE(term, 8);
  scratch.writeUInt32LE(type >>> 0, 16);
  return crcMore(data, crc32(scratch));
}

/** The checksum of a snapshot: its index and term, membership JSON, then its data. */
export function snapshotCrc(index: number, term: number, confState: string, data: Uint8Array): number {
  scratch.writeDoubleLE(index, 0);
  scratch.writeDoubleLE(term, 8);
  scratch.writeUInt32LE(0, 16);
  return crcMore(data, crc32(confState, crc32(scratch)));
}

/**
 * crc32(data, crc), except that empty data leaves crc as it is: Node 20's
 * zlib.crc32 returns 0 for the empty Buffers better-sqlite3 returns for x''
 * (they have no backing store).
 */
function crcMore(data: Uint8Array, crc: number): number {
  return data.byteLength === 0 ? crc : crc32(data, crc);
}
