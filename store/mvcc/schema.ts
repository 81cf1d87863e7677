/**
 * The on-disk format of MvccStore (version 1) and every SQL statement it runs.
 *
 *   state    one row: consistent_index (the last applied Raft index), revision
 *            (the store's current revision), compact_revision (-1 until the
 *            first compaction, as etcd's compactMainRev).
 *   history  one row per change, keyed by (rev, sub): etcd's key bucket. A put
 *            stores the whole KeyValue; a delete stores a tombstone (version 0,
 *            create_rev 0, lease 0, empty value). Indexed by (key, rev, sub),
 *            covering the small columns, for historical reads and compaction.
 *   current  one row per live key: where its latest version lives in history
 *            (mod_rev, mod_sub) and its small columns, so reads at the current
 *            revision never scan history; values are joined from history by
 *            primary key. Indexed by lease for revocation and TimeToLive.
 *   lease    one row per granted lease: id and granted TTL (seconds).
 *   meta     application id and format version.
 *
 * invariant: current holds exactly the keys whose latest history row is not a
 * tombstone, pointing at that row. Changing any of this means a new FORMAT_VERSION.
 */
import type Database from 'better-sqlite3';
import { MvccCorruptError } from './errors.js';
import type { KeySpan } from './keys.js';

/** The on-disk format this code reads and writes. */
export const FORMAT_VERSION = 1;
const APPLICATION = 'kubeling-mvcc';

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), consistent_index INTEGER NOT NULL,
  revision INTEGER NOT NULL, compact_revision INTEGER NOT NULL);
CREATE TABLE history (rev INTEGER NOT NULL, sub INTEGER NOT NULL, key BLOB NOT NULL,
  create_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL, value BLOB NOT NULL,
  PRIMARY KEY (rev, sub)) WITHOUT ROWID;
CREATE INDEX history_by_key ON history (key, rev, sub, version, create_rev, lease);
CREATE TABLE current (key BLOB PRIMARY KEY, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL,
  mod_sub INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX current_by_lease ON current (lease) WHERE lease <> 0;
CREATE TABLE lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL);
`;
const TABLES = ['meta', 'state', 'history', 'current', 'lease'];

/** A key's version without its value: a current row, or a history row (mod_rev = rev). */
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

/** The WHERE fragment and parameters selecting `span` on column `col`. */
function spanWhere(span: KeySpan, col: string): [string, Buffer[]] {
  switch (span.kind) {
    case 'key':
      return [`${col} = ?`, [span.key]];
    case 'from':
      return [`${col} >= ?`, [span.key]];
    case 'range':
      return [`${col} >= ? AND ${col} < ?`, [span.key, span.end]];
  }
}

/** A later history row of the same key at or below @r exists: `h` is superseded at @r. */
const SUPERSEDED = `EXISTS (SELECT 1 FROM history AS l WHERE l.key = h.key AND l.rev <= @r
  AND (l.rev > h.rev OR (l.rev = h.rev AND l.sub > h.sub)))`;

const META_COLS = 'h.key, h.create_rev, h.rev AS mod_rev, h.sub, h.version, h.lease';

/**
 * Every statement the store runs, prepared once per connection and reused
 * (statements that depend on a span's shape are prepared on first use and cached).
 */
export class Sql {
  readonly db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();
  readonly #tx: (f: () => unknown) => unknown;

  constructor(db: Database.Database) {
    this.db = db;
    this.#tx = db.transaction((f: () => unknown) => f());
  }

  /** Runs `f` in one SQLite transaction (a savepoint when nested); it commits when `f` returns. */
  tx<T>(f: () => T): T {
    return this.#tx(f) as T;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }

  /** The state row. */
  state(): StateRow | undefined {
    return this.#stmt('SELECT consistent_index, revision, compact_revision FROM state WHERE id = 1').get() as
      | StateRow
      | undefined;
  }

  /** Overwrites the state row. */
  setState(s: StateRow): void {
    this.#stmt('UPDATE state SET consistent_index = ?, revision = ?, compact_revision = ? WHERE id = 1').run(
      s.consistent_index,
      s.revision,
      s.compact_revision,
    );
  }

  /** The live key `key` with its value. */
  current(key: Buffer): ValueRow | undefined {
    return this.#stmt(
      `SELECT c.key, c.create_rev, c.mod_rev, c.mod_sub AS sub, c.version, c.lease, h.value
       FROM current AS c CROSS JOIN history AS h ON h.rev = c.mod_rev AND h.sub = c.mod_sub WHERE c.key = ?`,
    ).get(key) as ValueRow | undefined;
  }

  /** Appends a history row. */
  insertHistory(r: ValueRow): void {
    this.#stmt(
      'INSERT INTO history (rev, sub, key, create_rev, version, lease, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(r.mod_rev, r.sub, r.key, r.create_rev, r.version, r.lease, r.value);
  }

  /** Points the live key at its new latest version. */
  upsertCurrent(r: MetaRow): void {
    this.#stmt(
      'INSERT OR REPLACE INTO current (key, create_rev, mod_rev, mod_sub, version, lease) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(r.key, r.create_rev, r.mod_rev, r.sub, r.version, r.lease);
  }

  /** Removes a deleted key from the live set. */
  deleteCurrent(key: Buffer): void {
    this.#stmt('DELETE FROM current WHERE key = ?').run(key);
  }

  /** The value stored at (rev, sub). */
  valueAt(rev: number, sub: number): Buffer {
    const v = this.#stmt('SELECT value FROM history WHERE rev = ? AND sub = ?').pluck().get(rev, sub) as
      | Buffer
      | undefined;
    if (v === undefined) throw new Error(`mvcc: history row (${rev}, ${sub}) is missing`);
    return v;
  }

  /** How many live keys `span` holds. */
  countCurrent(span: KeySpan): number {
    const [w, p] = spanWhere(span, 'key');
    return this.#stmt(`SELECT count(*) FROM current WHERE ${w}`).pluck().get(...p) as number;
  }

  /** The live keys in `span` in key order, at most `limit` (0: all), with values or without. */
  currentRows(span: KeySpan, limit: number, withValues: boolean): MetaRow[] {
    const [w, p] = spanWhere(span, 'c.key');
    const sql = withValues
      ? `SELECT c.key, c.create_rev, c.mod_rev, c.mod_sub AS sub, c.version, c.lease, h.value
         FROM current AS c CROSS JOIN history AS h ON h.rev = c.mod_rev AND h.sub = c.mod_sub
         WHERE ${w} ORDER BY c.key LIMIT ?`
      : `SELECT c.key, c.create_rev, c.mod_rev, c.mod_sub AS sub, c.version, c.lease
         FROM current AS c WHERE ${w} ORDER BY c.key LIMIT ?`;
    return this.#stmt(sql).all(...p, limit > 0 ? limit : -1) as MetaRow[];
  }

  /** History rows of `span` at or below `rev`, ordered by (key, rev, sub): the last of each key is its version at `rev`. */
  historyByKey(span: KeySpan, rev: number): IterableIterator<MetaRow> {
    const [w, p] = spanWhere(span, 'h.key');
    return this.#stmt(`SELECT ${META_COLS} FROM history AS h WHERE ${w} AND h.rev <= ? ORDER BY h.key, h.rev, h.sub`)
      .iterate(...p, rev) as IterableIterator<MetaRow>;
  }

  /** How many keys of `span` are live at `rev` (their latest row at or below it is not a tombstone). */
  countAt(span: KeySpan, rev: number): number {
    const [w, p] = spanWhere(span, 'key');
    return this.#stmt(
      `SELECT count(*) FROM (SELECT key, max(rev) AS mr FROM history WHERE ${w} AND rev <= ? GROUP BY key) AS g
       WHERE (SELECT h.version FROM history AS h WHERE h.key = g.key AND h.rev = g.mr ORDER BY h.sub DESC LIMIT 1) > 0`,
    )
      .pluck()
      .get(...p, rev) as number;
  }

  /** Whether anything in `span` changed after `rev` (if not, the state at `rev` is the current one). */
  changedAfter(span: KeySpan, rev: number): boolean {
    const [w, p] = spanWhere(span, 'key');
    return this.#stmt(`SELECT EXISTS (SELECT 1 FROM history WHERE rev > ? AND ${w})`).pluck().get(rev, ...p) === 1;
  }

  /** Changes to `span` in revisions [from, to], in (rev, sub) order, at most `limit`. */
  changes(span: KeySpan, from: number, to: number, limit: number): ValueRow[] {
    const [w, p] = spanWhere(span, 'h.key');
    return this.#stmt(
      `SELECT ${META_COLS}, h.value FROM history AS h WHERE h.rev >= ? AND h.rev <= ? AND ${w} ORDER BY h.rev, h.sub LIMIT ?`,
    ).all(from, to, ...p, limit) as ValueRow[];
  }

  /**
   * Compacts history at `rev`: of the rows at or below it, keeps only each
   * key's latest, and not even that when it is a tombstone. Only keys changed
   * after `prev` (the previous compact revision) can have anything to remove.
   */
  compact(rev: number, prev: number): number {
    return this.#stmt(
      `DELETE FROM history AS h WHERE h.rev <= @r
       AND h.key IN (SELECT key FROM history WHERE rev > @p AND rev <= @r)
       AND (h.version = 0 OR ${SUPERSEDED})`,
    ).run({ r: rev, p: prev }).changes;
  }

  /**
   * History rows at or below `rev` in (rev, sub) order; those at or below
   * `compactRev` say whether a later row at or below `rev` supersedes them.
   */
  hashRows(rev: number, compactRev: number): IterableIterator<ValueRow & { superseded: number }> {
    return this.#stmt(
      `SELECT ${META_COLS}, h.value, (h.rev <= @c AND ${SUPERSEDED}) AS superseded
       FROM history AS h WHERE h.rev <= @r ORDER BY h.rev, h.sub`,
    ).iterate({ r: rev, c: compactRev }) as IterableIterator<ValueRow & { superseded: number }>;
  }

  /** Whether any key is live at `rev`. */
  anyLiveAt(rev: number): boolean {
    return (
      this.#stmt(
        `SELECT EXISTS (SELECT 1 FROM history AS h WHERE h.rev <= @r AND h.version > 0 AND NOT ${SUPERSEDED})`,
      )
        .pluck()
        .get({ r: rev }) === 1
    );
  }

  /** The granted TTL of lease `id`, or undefined. */
  leaseTtl(id: number): number | undefined {
    return this.#stmt('SELECT ttl FROM lease WHERE id = ?').pluck().get(id) as number | undefined;
  }

  /** Records a granted lease. */
  insertLease(id: number, ttl: number): void {
    this.#stmt('INSERT INTO lease (id, ttl) VALUES (?, ?)').run(id, ttl);
  }

  /** Forgets a lease. */
  deleteLease(id: number): void {
    this.#stmt('DELETE FROM lease WHERE id = ?').run(id);
  }

  /** Every lease, by id. */
  leases(): LeaseRow[] {
    return this.#stmt('SELECT id, ttl FROM lease ORDER BY id').all() as LeaseRow[];
  }

  /** The live keys attached to lease `id`, in key order. */
  leaseKeys(id: number): Buffer[] {
    // `lease <> 0` lets SQLite use the partial index
    return this.#stmt('SELECT key FROM current WHERE lease = ? AND lease <> 0 ORDER BY key').pluck().all(id) as Buffer[];
  }
}
