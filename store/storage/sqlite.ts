/**
 * RaftStorage in one SQLite file (better-sqlite3), durable across kill -9 and
 * power loss: WAL journal, synchronous=FULL, and one transaction per save(),
 * so a save costs one WAL fsync however many entries it carries.
 *
 * Tables: meta (format_version, cluster_id, member_id), entries (one row per
 * log entry, with a crc32 of its index, term, type and data), and single-row
 * hard_state, snapshot (with a crc32) and compaction (the dummy index and its
 * term). The connection holds an exclusive lock, so a second process cannot
 * open the same file while this one has it.
 *
 * In memory it keeps the bounds of the log, the terms as runs (term() never
 * touches SQLite) and a cache of the latest entries (most reads of recent
 * entries never touch it either). open() checks the whole file and refuses it
 * with StorageCorruptError rather than repair or reset anything.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LogCompactedError, LogUnavailableError, SnapshotOutOfDateError, entrySize } from '../raft/storage.js';
import { EMPTY_HARD_STATE, EntryType } from '../raft/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { copyConfState } from './memory.js';
import { StorageCorruptError } from './storage.js';
import type { RaftStorage, StorageIdentity, StorageUpdate } from './storage.js';
import {
  TABLES,
  checkIdentity,
  entryCrc,
  initialise,
  prepareStatements,
  snapshotCrc,
} from './sqlite-format.js';
import type { EntryRow, HardStateRow, IndexTermRow, SnapshotRow, Statements } from './sqlite-format.js';
import { TermRuns } from './term-runs.js';
import { planUpdate } from './update.js';
import type { UpdatePlan } from './update.js';

/** Options for {@link SqliteStorage.open}. */
export interface SqliteStorageOptions {
  /** The membership recorded when the file is brand new; ignored for an existing file. */
  readonly initialConfState?: ConfState;
  /** How many of the latest entries to keep in memory for reads (default 1024; 0 disables). */
  readonly cacheEntries?: number;
}

/** The cache's byte budget (entrySize); it may grow to twice this before it is trimmed. */
const CACHE_BYTES = 8 << 20;

const ENTRY_TYPES: ReadonlySet<number> = new Set([EntryType.Normal, EntryType.ConfChange]);

/** A RaftStorage persisted in a SQLite file; see the file comment. */
export class SqliteStorage implements RaftStorage {
  readonly #db: Database.Database;
  readonly #file: string;
  readonly #stmt: Statements;
  readonly #write: (plan: UpdatePlan) => void;
  /** The compaction point. invariant: #dummyIndex <= #snapshot.metadata.index <= #lastIndex. */
  #dummyIndex = 0;
  #dummyTerm = 0;
  /** invariant: the entries table holds exactly #dummyIndex+1 .. #lastIndex. */
  #lastIndex = 0;
  /** Terms of entries #dummyIndex+1 .. #lastIndex. */
  #terms = new TermRuns();
  /** The latest entries. invariant: a suffix of the log: #cache[k].index === #lastIndex-#cache.length+1+k. */
  #cache: Entry[] = [];
  /** invariant: the sum of entrySize() over #cache. */
  #cacheBytes = 0;
  readonly #cacheEntries: number;
  #hardState: HardState = EMPTY_HARD_STATE;
  #snapshot!: Snapshot;
  #closed = false;

  private constructor(file: string, db: Database.Database, opts: SqliteStorageOptions) {
    this.#file = file;
    this.#db = db;
    this.#cacheEntries = opts.cacheEntries ?? 1024;
    this.#stmt = prepareStatements(db);
    this.#write = db.transaction((plan: UpdatePlan) => this.#writePlan(plan));
  }

  /**
   * Opens `file`, creating and initialising it for `identity` when it does not
   * exist or is empty. Throws StorageCorruptError (naming the file) when it is
   * not a SQLite database, fails quick_check, has an unknown format, belongs to
   * another cluster or member, or its log, snapshot or hard state are damaged
   * or inconsistent; throws a plain Error when another process has it open.
   */
  static open(file: string, identity: StorageIdentity, opts: SqliteStorageOptions = {}): SqliteStorage {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`${file}: cannot use WAL journal mode (got ${String(mode)})`);
      db.pragma('synchronous = FULL');
      const check = String(db.pragma('quick_check(3)', { simple: true }));
      if (check !== 'ok') throw new StorageCorruptError(file, `quick_check failed: ${check.slice(0, 400)}`);
      const tables = db.prepare('SELECT name FROM sqlite_master WHERE type = ?').pluck().all('table') as string[];
      if (tables.length === 0) {
        initialise(db, identity, opts.initialConfState ?? { voters: [], learners: [] });
        fsyncDir(dirname(file));
      } else {
        const missing = TABLES.filter((t) => !tables.includes(t));
        if (missing.length > 0) {
          throw new StorageCorruptError(file, `not a kubeling storage file (missing tables: ${missing.join(', ')})`);
        }
      }
      checkIdentity(file, db, identity);
      const s = new SqliteStorage(file, db, opts);
      s.#load();
      return s;
    } catch (e) {
      if (db?.open === true) db.close();
      if (e instanceof Database.SqliteError) {
        if (e.code === 'SQLITE_BUSY') throw new Error(`${file} is in use by another process`, { cause: e });
        if (e.code === 'SQLITE_NOTADB' || e.code.startsWith('SQLITE_CORRUPT')) {
          throw new StorageCorruptError(file, `not a valid SQLite database (${e.message})`);
        }
      }
      throw e;
    }
  }

  /** The path this storage was opened from. */
  get file(): string {
    return this.#file;
  }

  /** {@inheritDoc Storage.initialState} */
  initialState(): { hardState: HardState; confState: ConfState } {
    this.#assertOpen();
    return { hardState: this.#hardState, confState: this.#snapshot.metadata.confState };
  }

  /** {@inheritDoc Storage.entries} */
  entries(lo: number, hi: number, maxSize?: number): Entry[] {
    this.#assertOpen();
    if (lo <= this.#dummyIndex) throw new LogCompactedError(lo, this.#dummyIndex + 1);
    if (hi > this.#lastIndex + 1) throw new LogUnavailableError(hi - 1, this.#lastIndex);
    if (lo > hi) throw new RangeError(`invalid range [${lo}, ${hi})`);
    if (lo === hi) return [];
    const out: Entry[] = [];
    const budget = maxSize ?? Infinity;
    let size = 0;
    const cacheFirst = this.#lastIndex - this.#cache.length + 1;
    if (lo < cacheFirst) {
      for (const row of this.#stmt.range.iterate(lo, Math.min(hi, cacheFirst)) as Iterable<EntryRow>) {
        if (row.idx !== lo + out.length) throw this.#corrupt(`entry ${lo + out.length} is missing`);
        const e = this.#rowToEntry(row);
        size += entrySize(e);
        if (out.length > 0 && size > budget) return out;
        out.push(e);
      }
      if (out.length !== Math.min(hi, cacheFirst) - lo) throw this.#corrupt(`entry ${lo + out.length} is missing`);
    }
    for (let i = Math.max(lo, cacheFirst); i < hi; i++) {
      const e = this.#cache[i - cacheFirst]!;
      size += entrySize(e);
      if (out.length > 0 && size > budget) break;
      out.push(e);
    }
    return out;
  }

  /** {@inheritDoc Storage.term} */
  term(i: number): number {
    this.#assertOpen();
    if (i === this.#dummyIndex) return this.#dummyTerm;
    if (i < this.#dummyIndex) throw new LogCompactedError(i, this.#dummyIndex + 1);
    if (i > this.#lastIndex) throw new LogUnavailableError(i, this.#lastIndex);
    return this.#terms.at(i);
  }

  /** {@inheritDoc Storage.lastIndex} */
  lastIndex(): number {
    this.#assertOpen();
    return this.#lastIndex;
  }

  /** {@inheritDoc Storage.firstIndex} */
  firstIndex(): number {
    this.#assertOpen();
    return this.#dummyIndex + 1;
  }

  /** {@inheritDoc Storage.snapshot} */
  snapshot(): Snapshot {
    this.#assertOpen();
    return this.#snapshot;
  }

  /** {@inheritDoc RaftStorage.save} */
  save(update: StorageUpdate): void {
    this.#assertOpen();
    if (update.hardState === undefined && update.snapshot === undefined && !update.entries?.length) return;
    const { metadata } = this.#snapshot;
    const plan = planUpdate(
      {
        dummyIndex: this.#dummyIndex,
        lastIndex: this.#lastIndex,
        snapshotIndex: metadata.index,
        snapshotTerm: metadata.term,
        term: (i) => this.term(i),
      },
      update,
    );
    if (update.sync === false && plan.append.length === 0 && plan.snapshot === undefined) {
      // a commit-index-only update: written, not synced (the next synced commit of the WAL covers it)
      this.#db.pragma('synchronous = NORMAL');
      try {
        this.#write(plan);
      } finally {
        this.#db.pragma('synchronous = FULL');
      }
    } else {
      this.#write(plan); // one transaction: durable when it returns, or nothing changed
    }
    if (plan.snapshot !== undefined) {
      if (plan.keepLog) this.#forgetThrough(plan.dummyIndex);
      else this.#forgetAll(plan.dummyIndex);
      this.#snapshot = plan.snapshot;
      this.#dummyTerm = plan.dummyTerm;
    }
    if (plan.truncateFrom > 0) this.#truncateFrom(plan.truncateFrom);
    for (const e of plan.append) {
      this.#terms.push(e.index, e.term);
      this.#cache.push(e);
      this.#cacheBytes += entrySize(e);
    }
    this.#lastIndex = plan.lastIndex;
    this.#trimCache();
    if (plan.hardState !== undefined) this.#hardState = plan.hardState;
  }

  /** {@inheritDoc RaftStorage.createSnapshot} */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.#assertOpen();
    const current = this.#snapshot.metadata.index;
    if (index < current) throw new SnapshotOutOfDateError(index, current);
    if (index > this.#lastIndex) throw new LogUnavailableError(index, this.#lastIndex);
    const snap: Snapshot = { metadata: { index, term: this.term(index), confState: copyConfState(confState) }, data };
    this.#putSnapshot(snap);
    this.#snapshot = snap;
    return snap;
  }

  /** {@inheritDoc RaftStorage.compact} */
  compact(compactIndex: number): void {
    this.#assertOpen();
    if (compactIndex < this.#dummyIndex) throw new LogCompactedError(compactIndex, this.#dummyIndex + 1);
    if (compactIndex > this.#lastIndex) throw new LogUnavailableError(compactIndex, this.#lastIndex);
    const snapIndex = this.#snapshot.metadata.index;
    if (compactIndex > snapIndex) throw new LogUnavailableError(compactIndex, snapIndex);
    if (compactIndex === this.#dummyIndex) return;
    const term = this.term(compactIndex);
    this.#db.transaction(() => {
      this.#stmt.deleteThrough.run(compactIndex);
      this.#stmt.putCompaction.run(compactIndex, term);
    })();
    this.#forgetThrough(compactIndex);
    this.#dummyTerm = term;
  }

  /** {@inheritDoc RaftStorage.close} */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #writePlan(plan: UpdatePlan): void {
    if (plan.snapshot !== undefined) {
      this.#putSnapshot(plan.snapshot);
      if (plan.keepLog) this.#stmt.deleteThrough.run(plan.dummyIndex);
      else this.#stmt.deleteAll.run();
      this.#stmt.putCompaction.run(plan.dummyIndex, plan.dummyTerm);
    }
    if (plan.truncateFrom > 0) this.#stmt.deleteFrom.run(plan.truncateFrom);
    for (const e of plan.append) {
      this.#stmt.insert.run(e.index, e.term, e.type, e.data, entryCrc(e.index, e.term, e.type, e.data));
    }
    const hs = plan.hardState;
    if (hs !== undefined) this.#stmt.putHardState.run(hs.term, hs.vote, hs.commit);
  }

  #putSnapshot(s: Snapshot): void {
    const { index, term, confState } = s.metadata;
    const cs = JSON.stringify({ voters: confState.voters, learners: confState.learners });
    this.#stmt.putSnapshot.run(index, term, cs, s.data, snapshotCrc(index, term, cs, s.data));
  }

  /** Forgets entries up to and including `index` (the new compaction point) in memory. */
  #forgetThrough(index: number): void {
    if (index >= this.#lastIndex) return this.#forgetAll(index);
    this.#terms.dropBefore(index + 1);
    const drop = index - (this.#lastIndex - this.#cache.length);
    if (drop > 0) {
      for (const e of this.#cache.splice(0, drop)) this.#cacheBytes -= entrySize(e);
    }
    this.#dummyIndex = index;
  }

  /** Forgets the whole log in memory: the compaction point and last index become `index`. */
  #forgetAll(index: number): void {
    this.#terms = new TermRuns();
    this.#cache = [];
    this.#cacheBytes = 0;
    this.#dummyIndex = index;
    this.#lastIndex = index;
  }

  /** Forgets entries at and after `index` in memory. */
  #truncateFrom(index: number): void {
    this.#terms.truncateFrom(index);
    const keep = index - (this.#lastIndex - this.#cache.length + 1);
    if (keep <= 0) {
      this.#cache = [];
      this.#cacheBytes = 0;
    } else {
      for (const e of this.#cache.splice(keep)) this.#cacheBytes -= entrySize(e);
    }
    this.#lastIndex = index - 1;
  }

  /** Bounds the cache, dropping its oldest entries in batches (at most twice the limits). */
  #trimCache(): void {
    const n = this.#cache.length;
    if (n <= 2 * this.#cacheEntries && this.#cacheBytes <= 2 * CACHE_BYTES) return;
    let drop = Math.max(0, n - this.#cacheEntries);
    let bytes = this.#cacheBytes;
    for (let k = 0; k < drop; k++) bytes -= entrySize(this.#cache[k]!);
    while (drop < n && bytes > CACHE_BYTES) bytes -= entrySize(this.#cache[drop++]!);
    this.#cache = this.#cache.slice(drop);
    this.#cacheBytes = bytes;
  }

  /** Reads and checks everything but entry data into memory; the constructor's second half. */
  #load(): void {
    const comp = this.#stmt.getCompaction.get() as IndexTermRow | undefined;
    if (comp === undefined) throw this.#corrupt('the compaction point is missing');
    const hs = this.#stmt.getHardState.get() as HardStateRow | undefined;
    if (hs === undefined) throw this.#corrupt('the hard state is missing');
    const snap = this.#stmt.getSnapshot.get() as SnapshotRow | undefined;
    if (snap === undefined) throw this.#corrupt('the snapshot record is missing');
    if (snapshotCrc(snap.idx, snap.term, snap.conf_state, snap.data) !== snap.crc) {
      throw this.#corrupt(`the snapshot at index ${snap.idx} fails its checksum`);
    }
    this.#snapshot = {
      metadata: { index: snap.idx, term: snap.term, confState: this.#parseConfState(snap.conf_state) },
      data: toUint8Array(snap.data),
    };
    this.#dummyIndex = comp.idx;
    this.#dummyTerm = comp.term;
    let prevTerm = comp.term;
    let next = comp.idx + 1;
    for (const row of this.#stmt.all.iterate() as Iterable<EntryRow>) {
      if (row.idx !== next) {
        throw this.#corrupt(row.idx < next ? `entry ${row.idx} is below the compaction point ${comp.idx}`
          : `the log has a gap: entries ${next}..${row.idx - 1} are missing`);
      }
      this.#rowToEntry(row);
      if (row.term < prevTerm) throw this.#corrupt(`entry ${row.idx} has term ${row.term} below its predecessor's ${prevTerm}`);
      this.#terms.push(row.idx, row.term);
      prevTerm = row.term;
      next++;
    }
    this.#lastIndex = next - 1;
    const si = snap.idx;
    if (comp.idx > si || si > this.#lastIndex || this.term(si) !== snap.term) {
      throw this.#corrupt(`the snapshot (index ${si}, term ${snap.term}) disagrees with the log ` +
        `(entries ${comp.idx + 1}..${this.#lastIndex}, compacted at ${comp.idx})`);
    }
    if (hs.commit_idx > this.#lastIndex) {
      throw this.#corrupt(`the hard state's commit ${hs.commit_idx} is beyond the last index ${this.#lastIndex}`);
    }
    this.#hardState = { term: hs.term, vote: hs.vote, commit: hs.commit_idx };
  }

  #rowToEntry(row: EntryRow): Entry {
    if (entryCrc(row.idx, row.term, row.type, row.data) !== row.crc) {
      throw this.#corrupt(`entry ${row.idx} fails its checksum`);
    }
    if (!ENTRY_TYPES.has(row.type)) throw this.#corrupt(`entry ${row.idx} has unknown type ${row.type}`);
    return { index: row.idx, term: row.term, type: row.type, data: toUint8Array(row.data) };
  }

  #parseConfState(json: string): ConfState {
    const ids = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x > 0);
    try {
      const cs = JSON.parse(json) as { voters?: unknown; learners?: unknown };
      if (ids(cs.voters) && ids(cs.learners)) return { voters: cs.voters, learners: cs.learners };
    } catch {
      // reported below
    }
    throw this.#corrupt(`the snapshot's membership is unreadable: ${json}`);
  }

  #corrupt(reason: string): StorageCorruptError {
    return new StorageCorruptError(this.#file, reason);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`${this.#file}: storage is closed`);
  }
}

/** A plain Uint8Array view of a Buffer (no copy), so every storage returns the same type. */
function toUint8Array(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Makes a newly created file's directory entry durable (SQLite syncs the file, not its directory). */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
