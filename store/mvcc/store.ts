/**
 * MvccStore: etcd v3's revisioned key-value state machine (server/mvcc plus
 * the applier of etcdserver/apply.go) in one SQLite file; see schema.ts for
 * the tables and README.md for the design.
 *
 * Applying: each write method takes the Raft index it is applied at and
 * records it as the consistent index in the same SQLite transaction as its
 * changes, so after a restart the server skips every entry at or below
 * consistentIndex() and applies each entry exactly once. A request that fails
 * with a domain error changes nothing but is still recorded as applied.
 *
 * Durability: WAL journal. With sync 'normal' (the default) a commit is not
 * fsynced: a power loss may lose the latest transactions (never corrupt the
 * file), and the consistent index goes back with them, so the Raft log, which
 * is durable, replays them. The server must therefore call sync() before it
 * compacts its Raft log past consistentIndex(). With sync 'full' every commit
 * is durable when it returns (with a batch interval, a commit comes at the
 * end of the interval, not when batch() returns).
 *
 * Batch interval: with batchIntervalMs > 0, as etcd's backend does, the
 * batches of that many milliseconds share one SQLite transaction (each batch
 * a savepoint in it), so a page that every batch touches is written once per
 * interval, not once per batch. Nothing else reads the file while the store
 * has it open, and this connection reads its own writes, so readers see every
 * applied write at once; a crash loses at most the open transaction, whose
 * consistent index goes back with it, and the Raft log replays it.
 * snapshot(), sync(), restore() and close() commit it first.
 *
 * Single-threaded and synchronous: reads never see a half-applied write.
 */
import type Database from 'better-sqlite3';
import { CompactedError, FutureRevisionError, MvccCorruptError, MvccError } from './errors.js';
import { checkSnapshot, memoryFrom, openDatabase, replaceFile } from './file.js';
import type { SyncMode } from './file.js';
import { hashHistory } from './hash.js';
import { bytes, keySpan, tombstone } from './keys.js';
import { LeaseStore } from './lease.js';
import { range as readRange, toKeyValue } from './reader.js';
import { Backend, readState } from './backend.js';
import type { StateRow, ValueRow } from './schema.js';
import { runTxn } from './txn.js';
import { EventType } from './types.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './types.js';
import { checkDelete, checkPut, checkTxn, isTxnReadOnly } from './validate.js';
import { WriteTxn } from './writer.js';

/** Options for {@link MvccStore.open}. */
export interface MvccStoreOptions {
  /** 'normal' (default): WAL, synchronous=NORMAL; 'full': every commit fsynced. See the file comment. */
  readonly sync?: SyncMode;
  /** etcd's minimum lease TTL in seconds: grants below it get it (default 1; see minLeaseTtl() in lessor.ts). */
  readonly minLeaseTtl?: number;
  /**
   * etcd's backend batch interval: batches share one SQLite transaction,
   * committed this many milliseconds after the first (0, the default:
   * each batch commits when it returns). See the file comment.
   */
  readonly batchIntervalMs?: number;
}

/** A write's response and the events it produced, in (revision, sub-revision) order, for the watch hub. */
export interface WriteResult<R> {
  readonly response: R;
  readonly events: readonly Event[];
}

/** etcd's HashKVResponse, less the header's cluster fields. */
export interface HashKVResult {
  readonly hash: number;
  /** The compact revision (-1 before the first compaction, as etcd reports it). */
  readonly compactRevision: number;
  /** The store's current revision (the response header's). */
  readonly revision: number;
}

/** A slice of history for a watcher; see {@link MvccStore.changes}. */
export interface ChangeBatch {
  readonly events: Event[];
  /** The events are complete through this revision. */
  readonly through: number;
}

/** Told of every committed write and restore (see #tell for what happens if one throws). */
export interface StoreObserver {
  /** After a write that changed the store commits: its events, all at `revision`. */
  committed?(events: readonly Event[], revision: number): void;
  /** After restore() replaced the store's contents. */
  restored?(): void;
}

/** The revisioned key-value store; see the file comment. */
export class MvccStore {
  readonly #file: string;
  readonly #opts: MvccStoreOptions;
  #db!: Database.Database;
  #b!: Backend;
  /** invariant: equals the state row's revision (>= 1). */
  #rev = 1;
  /** invariant: equals the state row's compact_revision; -1 or 1 <= #compactRev <= #rev. */
  #compactRev = -1;
  /** invariant: equals the state row's consistent_index. */
  #consistentIndex = 0;
  readonly #observers = new Set<StoreObserver>();
  #closed = false;
  /** Set while batches share a transaction that is not yet committed (batchIntervalMs). */
  #commitTimer: NodeJS.Timeout | undefined;
  /** Set when a held transaction was lost (see #fail). */
  #failed: Error | undefined;
  /** Set inside batch(): applies leave the state row to the end of the batch (one UPDATE, not one per entry). */
  #inBatch = false;
  /** Leases: grant, revoke, TimeToLive; kept in the same file and transactions. */
  readonly leases: LeaseStore;

  private constructor(file: string, db: Database.Database, opts: MvccStoreOptions) {
    this.#file = file;
    this.#opts = opts;
    this.#attach(db);
    this.leases = new LeaseStore(
      {
        apply: (index, run) => this.#apply(index, (w) => run(w, this.#b)),
        backend: () => this.#b,
        revision: () => this.#rev,
      },
      opts.minLeaseTtl ?? 1,
    );
  }

  /**
   * Opens `file` (':memory:' for a throwaway store), creating it when it does
   * not exist or is empty. Throws MvccCorruptError when it is not a kubeling
   * MVCC store or fails SQLite's quick_check, a plain Error when another
   * process has it open.
   */
  static open(file: string, opts: MvccStoreOptions = {}): MvccStore {
    return new MvccStore(file, openDatabase(file, opts.sync), opts);
  }

  /** Replaces the contents of `file` with a snapshot (see snapshot()) and opens it. */
  static openFromSnapshot(file: string, data: Uint8Array, opts: MvccStoreOptions = {}): MvccStore {
    checkSnapshot(data);
    if (file === ':memory:') return new MvccStore(file, memoryFrom(data), opts);
    replaceFile(file, data);
    return MvccStore.open(file, opts);
  }

  /**
   * The consistent index a snapshot (see snapshot()) records, read without
   * opening it as a store (which would build its key index). Throws
   * MvccCorruptError when `data` is not a store database.
   */
  static consistentIndexOf(data: Uint8Array): number {
    checkSnapshot(data);
    const db = memoryFrom(data);
    try {
      const s = readState(db);
      if (s === undefined) throw new MvccCorruptError('snapshot', 'the state row is missing');
      return s.consistent_index;
    } finally {
      db.close();
    }
  }

  /** The path this store was opened from. */
  get file(): string {
    return this.#file;
  }

  /** The current revision: 1 on a new store, +1 per write transaction that changed something. */
  currentRevision(): number {
    return this.#rev;
  }

  /** The revision of the last compaction (-1 before the first, as etcd). */
  compactRevision(): number {
    return this.#compactRev;
  }

  /** The Raft index of the last applied entry: the server skips entries at or below it. */
  consistentIndex(): number {
    return this.#consistentIndex;
  }

  /** Reads a range; throws CompactedError, FutureRevisionError or InvalidRequestError. */
  range(req: RangeRequest): RangeResponse {
    this.#assertOpen();
    return readRange(this.#b, { rev: this.#rev, compactRev: this.#compactRev }, req);
  }

  /** Runs a txn whose ops are all ranges (isTxnReadOnly) as a read, without an index. */
  readTxn(req: TxnRequest): TxnResponse {
    this.#assertOpen();
    if (!isTxnReadOnly(req)) throw new Error('readTxn: the txn writes; apply it with txn()');
    checkTxn(req);
    return runTxn(new WriteTxn(this.#b, this.#rev, this.#compactRev), req);
  }

  /** Applies a put at Raft index `index`. */
  put(req: PutRequest, index: number): WriteResult<PutResponse> {
    return this.#apply(index, (w) => {
      checkPut(req);
      return w.put(req);
    });
  }

  /** Applies a delete at Raft index `index`; the revision moves only if a key was deleted. */
  deleteRange(req: DeleteRangeRequest, index: number): WriteResult<DeleteRangeResponse> {
    return this.#apply(index, (w) => {
      checkDelete(req);
      return w.deleteRange(req);
    });
  }

  /** Applies a txn at Raft index `index`; the revision moves only if the branch taken wrote. */
  txn(req: TxnRequest, index: number): WriteResult<TxnResponse> {
    return this.#apply(index, (w) => {
      checkTxn(req);
      return runTxn(w, req);
    });
  }

  /**
   * Applies a compaction at Raft index `index`: removes every version older
   * than each key's latest at or below `revision` (and that one too if it is
   * a deletion). Physical and logical compaction are the same here, so
   * `physical` needs no waiting.
   */
  compact(req: CompactionRequest, index: number): WriteResult<CompactionResponse> {
    return this.#apply(index, () => {
      const rev = req.revision;
      if (rev <= this.#compactRev) throw new CompactedError(this.#compactRev);
      if (rev > this.#rev) throw new FutureRevisionError(this.#rev);
      this.#b.compact(rev);
      return { header: { revision: this.#rev } };
    }, req.revision);
  }

  /**
   * Runs `f`, whose writes share one SQLite transaction (each apply a
   * savepoint inside it): a member applies all the entries committed in one
   * Raft Ready with one commit. Observers hear of each write as it is
   * applied; they run on this connection, so they read what it wrote. An
   * error other than a domain error (a full disk, say) leaves the store's
   * memory ahead of its file: the caller must stop, and a restart replays
   * the Raft log from the consistent index on disk.
   */
  batch<T>(f: () => T): T {
    this.#assertOpen();
    const interval = this.#opts.batchIntervalMs ?? 0;
    if (interval > 0 && !this.#db.inTransaction) {
      if (this.#commitTimer !== undefined) clearTimeout(this.#commitTimer);
      this.#db.exec('BEGIN');
      this.#commitTimer = setTimeout(() => this.#commitHeld(), interval);
    }
    if (this.#inBatch) return this.#b.tx(f);
    try {
      return this.#b.tx(() => {
        this.#inBatch = true;
        try {
          const r = f();
          this.#writeState();
          return r;
        } finally {
          this.#inBatch = false;
        }
      });
    } catch (e) {
      // SQLite rolled back the whole held transaction (a full disk, an I/O
      // error), not only this batch: earlier batches are gone from the file
      // but not from memory
      if (this.#commitTimer !== undefined && !this.#db.inTransaction) this.#fail(e);
      throw e;
    }
  }

  /**
   * Commits the transaction the batch interval holds open, if any. If that
   * fails, writes already applied (and answered) are not in the file: the
   * store fails for good (see #fail), and the caller must stop and replay.
   */
  #commitHeld(): void {
    if (this.#commitTimer !== undefined) clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    if (!this.#db.inTransaction) return;
    try {
      this.#db.exec('COMMIT');
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Marks the store as failed (every later call throws) and throws why. */
  #fail(cause: unknown): never {
    this.#failed = new Error(`${this.#file}: applied writes could not be committed, restart to replay them from the Raft log: ${String(cause)}`, { cause });
    throw this.#failed;
  }

  /** Records `index` as applied for an entry that is not a store request (an empty or conf-change entry). */
  markApplied(index: number): void {
    this.#apply(index, () => undefined);
  }

  /**
   * etcd's HashKV at `revision` (0: current): equal on members with the same
   * history, and equal to an etcd member's. Throws CompactedError at or below
   * the compact revision, FutureRevisionError above the current one.
   */
  hashKV(revision = 0): HashKVResult {
    this.#assertOpen();
    const compactRev = this.#compactRev;
    if (revision > 0 && revision <= compactRev) throw new CompactedError(compactRev);
    if (revision > this.#rev) throw new FutureRevisionError(this.#rev);
    const at = revision === 0 ? this.#rev : revision;
    const filter = this.#b.anyLiveAt(at);
    const hash = hashHistory(this.#b.hashRows(at, compactRev), (r) => filter && r.superseded);
    return { hash, compactRevision: compactRev, revision: this.#rev };
  }

  /**
   * The changes to (key, rangeEnd) from revision `from` on, as events without
   * prevKv, whole revisions at a time: at most `maxEvents` unless one revision
   * alone has more. For the watch hub's catch-up; `from` must not be below
   * the compact revision (the caller checks).
   */
  changes(key: Uint8Array, rangeEnd: Uint8Array | undefined, from: number, maxEvents: number): ChangeBatch {
    this.#assertOpen();
    const span = keySpan(key, rangeEnd);
    const to = this.#rev;
    if (from > to) return { events: [], through: to };
    const max = Math.max(1, maxEvents);
    const rows = this.#b.changes(span, from, to, max + 1);
    if (rows.length <= max) return { events: rows.map(toEvent), through: to };
    const cut = rows[max]!.mod_rev; // this revision may be incomplete
    const whole = rows.filter((r) => r.mod_rev < cut);
    if (whole.length > 0) return { events: whole.map(toEvent), through: cut - 1 };
    return { events: this.#b.changes(span, cut, cut, Number.MAX_SAFE_INTEGER).map(toEvent), through: cut };
  }

  /** The whole database as one byte string: a Raft snapshot's data. */
  snapshot(): Uint8Array {
    this.#assertOpen();
    this.#commitHeld();
    return bytes(this.#db.serialize());
  }

  /**
   * Replaces the store's contents with a snapshot (from snapshot() on any
   * member), including its consistent index, and tells observers (the watch
   * hub moves every watcher to catch up from history; the lessor re-reads leases).
   */
  restore(data: Uint8Array): void {
    this.#assertOpen();
    checkSnapshot(data);
    this.#commitHeld();
    if (this.#file === ':memory:') {
      this.#db.close();
      this.#attach(memoryFrom(data));
    } else {
      this.#db.close();
      try {
        replaceFile(this.#file, data);
      } finally {
        this.#attach(openDatabase(this.#file, this.#opts.sync)); // the new contents, or the old if replacing failed
      }
    }
    this.leases.reset();
    this.#tell((o) => o.restored?.());
  }

  /** Makes every committed write durable (a WAL checkpoint, which fsyncs): call before compacting the Raft log. */
  sync(): void {
    this.#assertOpen();
    this.#commitHeld();
    if (this.#file === ':memory:') return;
    const [r] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (r !== undefined && r.busy !== 0) throw new Error(`${this.#file}: WAL checkpoint could not complete`);
  }

  /** Registers an observer; returns its removal. */
  observe(o: StoreObserver): () => void {
    this.#observers.add(o);
    return () => this.#observers.delete(o);
  }

  /** Closes the file; later calls throw. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#commitHeld();
    } finally {
      this.#db.close();
    }
  }

  /** Takes `db` as the store's database and loads its state. */
  #attach(db: Database.Database): void {
    this.#db = db;
    this.#b = new Backend(db);
    const s = this.#b.state();
    if (s === undefined) throw new MvccCorruptError(this.#file, 'the state row is missing');
    this.#rev = s.revision;
    this.#compactRev = s.compact_revision;
    this.#consistentIndex = s.consistent_index;
  }

  /**
   * Applies one Raft entry: `run` in one SQLite transaction with the new
   * state (revision +1 if it changed anything, consistent index, compact
   * revision). A domain error rolls the changes back but still records the
   * index; observers hear of the commit afterwards.
   */
  #apply<T>(index: number, run: (w: WriteTxn) => T, compactTo?: number): WriteResult<T> {
    this.#assertOpen();
    if (!Number.isSafeInteger(index) || index <= this.#consistentIndex) {
      throw new RangeError(`index ${index} is already applied (consistent index ${this.#consistentIndex})`);
    }
    const w = new WriteTxn(this.#b, this.#rev, this.#compactRev);
    let next: StateRow = { consistent_index: index, revision: this.#rev, compact_revision: this.#compactRev };
    let response: T;
    try {
      response = this.#b.tx(() => {
        const r = run(w);
        next = { ...next, revision: w.view.rev, compact_revision: compactTo ?? this.#compactRev };
        if (!this.#inBatch) this.#b.setState(next);
        return r;
      });
    } catch (e) {
      if (!(e instanceof MvccError)) throw e; // I/O or a bug: nothing applied, nothing recorded
      this.#consistentIndex = index;
      if (!this.#inBatch) this.#writeState();
      throw e;
    }
    this.#consistentIndex = index;
    this.#compactRev = next.compact_revision;
    if (w.changed) {
      this.#rev = next.revision;
      this.#tell((o) => o.committed?.(w.events, next.revision));
    }
    return { response, events: w.events };
  }

  /** Writes the state row from memory (inside a batch, once at its end). */
  #writeState(): void {
    this.#b.setState({ consistent_index: this.#consistentIndex, revision: this.#rev, compact_revision: this.#compactRev });
  }

  /**
   * Calls every observer. One that throws does not stop the others or undo
   * the write (it is applied): its error is rethrown outside this call stack,
   * as an uncaught exception.
   */
  #tell(f: (o: StoreObserver) => void): void {
    for (const o of this.#observers) {
      try {
        f(o);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #assertOpen(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#closed) throw new Error(`${this.#file}: store is closed`);
  }
}

/** A history row as a watch event (no prevKv). */
function toEvent(r: ValueRow): Event {
  if (r.version === 0) return { type: EventType.Delete, kv: tombstone(bytes(r.key), r.mod_rev) };
  return { type: EventType.Put, kv: toKeyValue(r) };
}
