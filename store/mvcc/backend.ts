/**
 * The store's backend: the SQLite file (schema.ts) for history, state and
 * leases, and the in-memory key index (index.ts) over history, kept in step.
 * Every read and write of the store goes through it.
 *
 * Transactions: tx(f) runs `f` in one SQLite transaction (a savepoint when
 * nested) and records the index changes it makes, so that when `f` throws,
 * the index goes back with the rolled-back rows.
 */
import type Database from 'better-sqlite3';
import { KeyIndex } from './index.js';
import type { KeyBounds, KeyEntry, Version } from './index.js';
import { keyString } from './keys.js';
import type { KeySpan } from './keys.js';
import type { LeaseRow, MetaRow, StateRow, ValueRow } from './schema.js';

/** The bounds of `span` in the index's key strings. */
function bounds(span: KeySpan): KeyBounds {
  switch (span.kind) {
    case 'key':
      return { lo: keyString(span.key), single: true };
    case 'from':
      return { lo: keyString(span.key) };
    case 'range':
      return { lo: keyString(span.key), hi: keyString(span.end) };
  }
}

/** The WHERE fragment and parameters selecting `span` on the history's key column. */
function spanWhere(span: KeySpan): [string, Buffer[]] {
  switch (span.kind) {
    case 'key':
      return ['key = ?', [span.key]];
    case 'from':
      return ['key >= ?', [span.key]];
    case 'range':
      return ['key >= ? AND key < ?', [span.key, span.end]];
  }
}

function metaRow(key: string | Buffer, v: Version): MetaRow {
  return {
    key: typeof key === 'string' ? Buffer.from(key, 'latin1') : key,
    create_rev: v.createRev,
    mod_rev: v.rev,
    sub: v.sub,
    version: v.version,
    lease: v.lease,
  };
}

const HISTORY_COLS = 'key, create_rev, rev AS mod_rev, sub, version, lease';

/** The state row of a store database, read without building the index. */
export function readState(db: Database.Database): StateRow | undefined {
  return db.prepare('SELECT consistent_index, revision, compact_revision FROM state WHERE id = 1').get() as StateRow | undefined;
}

/** See the file comment. */
export class Backend {
  readonly db: Database.Database;
  readonly #index = new KeyIndex();
  readonly #cache = new Map<string, Database.Statement>();
  readonly #tx: (f: () => unknown) => unknown;
  /** Keys recorded in the index by the open transaction, in order: undone if it fails. */
  readonly #undo: string[] = [];
  /** How many tx() calls are running (nested ones are savepoints). */
  #depth = 0;

  /** Takes `db` (a checked store database) and builds the index from its history. */
  constructor(db: Database.Database) {
    this.db = db;
    this.#tx = db.transaction((f: () => unknown) => f());
    const rows = this.#stmt('SELECT key, rev, sub, version, create_rev, lease FROM history ORDER BY rev, sub').raw();
    for (const r of rows.iterate() as IterableIterator<[Buffer, number, number, number, number, number]>) {
      this.#index.record(keyString(r[0]), { rev: r[1], sub: r[2], version: r[3], createRev: r[4], lease: r[5] });
    }
  }

  /** See the file comment. */
  tx<T>(f: () => T): T {
    const mark = this.#undo.length;
    this.#depth++;
    try {
      return this.#tx(f) as T;
    } catch (e) {
      while (this.#undo.length > mark) this.#index.unrecord(this.#undo.pop()!);
      throw e;
    } finally {
      // the outermost tx() is done: what it recorded stays (a transaction
      // held open around it by the store's batch interval only ever commits)
      if (--this.#depth === 0) this.#undo.length = 0;
    }
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
    return readState(this.db);
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
    const v = this.#index.get(keyString(key))?.latest();
    return v === undefined ? undefined : { ...metaRow(key, v), value: this.valueAt(v.rev, v.sub) };
  }

  /** Whether `key` is live. */
  exists(key: Buffer): boolean {
    return this.#index.get(keyString(key))?.latest() !== undefined;
  }

  /** Appends a change (a tombstone when version is 0) to history and the index. */
  append(r: ValueRow): void {
    this.#stmt('INSERT INTO history (rev, sub, key, create_rev, version, lease, value) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      r.mod_rev,
      r.sub,
      r.key,
      r.create_rev,
      r.version,
      r.lease,
      r.value,
    );
    const k = keyString(r.key);
    this.#index.record(k, { rev: r.mod_rev, sub: r.sub, version: r.version, createRev: r.create_rev, lease: r.lease });
    if (this.#depth > 0) this.#undo.push(k);
  }

  /** The value stored at (rev, sub). */
  valueAt(rev: number, sub: number): Buffer {
    const v = this.#stmt('SELECT value FROM history WHERE rev = ? AND sub = ?').pluck().get(rev, sub) as
      | Buffer
      | undefined;
    if (v === undefined) throw new Error(`mvcc: history row (${rev}, ${sub}) is missing`);
    return v;
  }

  /**
   * The keys of `span` live at `rev`: how many, and the first `fetch` of
   * them in key order (0: all; negative: none), without values.
   */
  live(span: KeySpan, rev: number, fetch: number): { rows: MetaRow[]; count: number } {
    const rows: MetaRow[] = [];
    let count = 0;
    for (const e of this.#index.entries(bounds(span))) {
      const v = e.at(rev);
      if (v === undefined) continue;
      count++;
      if (fetch === 0 || rows.length < fetch) rows.push(metaRow(e.key, v));
    }
    return { rows, count };
  }

  /** Changes to `span` in revisions [from, to], in (rev, sub) order, at most `limit`. */
  changes(span: KeySpan, from: number, to: number, limit: number): ValueRow[] {
    const [w, p] = spanWhere(span);
    return this.#stmt(
      `SELECT ${HISTORY_COLS}, value FROM history WHERE rev >= ? AND rev <= ? AND ${w} ORDER BY rev, sub LIMIT ?`,
    ).all(from, to, ...p, limit) as ValueRow[];
  }

  /**
   * Compacts history at `rev`: of each key's rows at or below it, keeps only
   * the latest, and not even that when it is a tombstone. Returns how many
   * rows went. The index changes only once every row is deleted.
   */
  compact(rev: number): number {
    const plan = this.#index.compaction(rev);
    const del = this.#stmt('DELETE FROM history WHERE rev = ? AND sub = ?');
    let n = 0;
    for (const { entry, drop } of plan) {
      for (let i = 0; i < drop; i++) {
        const v = entry.versions[i]!;
        n += del.run(v.rev, v.sub).changes;
      }
    }
    this.#index.applyCompaction(plan);
    return n;
  }

  /**
   * History rows at or below `rev` in (rev, sub) order; those at or below
   * `compactRev` say whether a later row of their key at or below `rev`
   * supersedes them.
   */
  *hashRows(rev: number, compactRev: number): Generator<ValueRow & { superseded: boolean }> {
    const rows = this.#stmt(`SELECT ${HISTORY_COLS}, value FROM history WHERE rev <= ? ORDER BY rev, sub`).iterate(rev);
    for (const r of rows as IterableIterator<ValueRow>) {
      const superseded = r.mod_rev <= compactRev && supersededAt(this.#index.get(keyString(r.key)), r, rev);
      yield { ...r, superseded };
    }
  }

  /** Whether any key is live at `rev`. */
  anyLiveAt(rev: number): boolean {
    for (const e of this.#index.all()) if (e.at(rev) !== undefined) return true;
    return false;
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
    return this.#index.leaseKeys(id).map((k) => Buffer.from(k, 'latin1'));
  }
}

/** Whether `entry` has a change after row `r` at or below `rev`. */
function supersededAt(entry: KeyEntry | undefined, r: MetaRow, rev: number): boolean {
  if (entry === undefined) return false;
  for (let i = entry.versions.length - 1; i >= 0; i--) {
    const v = entry.versions[i]!;
    if (v.rev < r.mod_rev || (v.rev === r.mod_rev && v.sub <= r.sub)) return false;
    if (v.rev <= rev) return true;
  }
  return false;
}
