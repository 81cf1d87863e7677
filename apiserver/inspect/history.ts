/**
 * A key's history, newest first, from the StoreClient alone (the etcd v3
 * API keeps every revision until compaction but has no "history of a key"
 * call). The walk:
 *
 * ```
 *  now ──► the current value (or, when the key is gone, the revision it was
 *          deleted at: found by reading it at each revision back from now)
 *   ▼
 *  each version's predecessor is the value at modRevision - 1, until the
 *  version that created this incarnation (version 1)
 *   ▼
 *  older incarnations (before a deletion and re-creation): the store's watch
 *  history of the key, replayed from the start (or the compaction) up to
 *  that creation, whose own event ends the replay
 * ```
 *
 * It stops at `limit` versions, at the key's first creation, or at the
 * compaction (compactRevision: the walk needed revisions below it). A gone
 * key whose deletion is more than SCAN_BUDGET revisions back is not found
 * (truncated).
 */
import { CompactedError, StoreUnavailableError } from '../storage/errors.js';
import type { StoreClient, StoreEvent, StoredValue } from '../storage/interface.js';

/** How many revisions back from now a gone key's deletion is looked for. */
export const SCAN_BUDGET = 1000;
/** How many revisions are read at once while scanning. */
const SCAN_BATCH = 50;
/** How long a replay of the store's history may take. */
const REPLAY_TIMEOUT_MS = 15_000;

/** One version of a key: a value it had, or its deletion (deleted, value undefined, version 0, the ended incarnation's createRevision). */
export interface Version {
  readonly modRevision: number;
  readonly createRevision: number;
  readonly version: number;
  readonly value: Uint8Array | undefined;
  readonly deleted: boolean;
}

/** A key's history; see the file comment. */
export interface History {
  readonly key: string;
  /** The store's revision when the walk began. */
  readonly revision: number;
  /** Newest first. */
  readonly versions: Version[];
  /** Set when the walk stopped at the compaction: the store's compact revision. */
  readonly compactRevision?: number;
  /** Set when the key is gone and no version was found within SCAN_BUDGET revisions. */
  readonly truncated?: boolean;
}

/** The value of `key` at `revision`, or undefined when it did not exist then; rejects with CompactedError or FutureRevisionError. */
export async function valueAt(store: StoreClient, key: string, revision: number): Promise<StoredValue | undefined> {
  const page = await store.list(key, { limit: 1, revision });
  const kv = page.items[0];
  return kv?.key === key ? kv : undefined;
}

/**
 * The store's compact revision, learnt from a watch of `key` from revision 1
 * (a read's compaction error does not carry it). Call it once a read has
 * found revisions compacted; 0 if the store did not say.
 */
export function compactRevisionOf(store: StoreClient, key: string): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(0), 5000);
    const done = (rev: number): void => {
      clearTimeout(timer);
      w.cancel();
      resolve(rev);
    };
    const w = store.watch(key, 0, {
      events: () => done(0), // revision 1 is still there: nothing compacted
      ended: (e) => done(e instanceof CompactedError ? e.compactRevision : 0),
    });
  });
}

/** The history of `key`, at most `limit` versions; see the file comment. */
export async function keyHistory(store: StoreClient, key: string, limit: number): Promise<History> {
  const { value: current, revision } = await store.get(key);
  const versions: Version[] = [];
  const stopAtCompaction = async (): Promise<History> => ({ key, revision, versions, compactRevision: await compactRevisionOf(store, key) });
  let kv = current;
  if (!kv) {
    const found = await lastPresent(store, key, revision);
    if (found === 'compacted') return stopAtCompaction();
    if (found === 'never') return { key, revision, versions };
    if (found === 'budget') return { key, revision, versions, truncated: true };
    versions.push(deletion(found.deletedAt, found.kv));
    kv = found.kv;
  }
  // this incarnation, version by version
  for (;;) {
    if (versions.length >= limit) return { key, revision, versions };
    versions.push({ modRevision: kv.modRevision, createRevision: kv.createRevision, version: kv.version, value: kv.value, deleted: false });
    if (kv.version <= 1 || kv.modRevision === kv.createRevision) break;
    let prev: StoredValue | undefined;
    try {
      prev = await valueAt(store, key, kv.modRevision - 1);
    } catch (e) {
      if (e instanceof CompactedError) return stopAtCompaction();
      throw e;
    }
    if (!prev) break; // cannot be (version > 1): stop rather than loop
    kv = prev;
  }
  // the incarnations before it, from the watch history
  const older = await replayBefore(store, key, kv.createRevision, limit - versions.length);
  for (const e of older.events.reverse()) {
    versions.push(e.type === 'delete' ? deletion(e.kv.modRevision, e.prev) : { modRevision: e.kv.modRevision, createRevision: e.kv.createRevision, version: e.kv.version, value: e.kv.value, deleted: false });
  }
  return { key, revision, versions, ...(older.compactRevision !== undefined ? { compactRevision: older.compactRevision } : {}) };
}

/** The deletion at `revision` of the incarnation whose last value was `last`. */
function deletion(revision: number, last: StoredValue | undefined): Version {
  return { modRevision: revision, createRevision: last?.createRevision ?? 0, version: 0, value: undefined, deleted: true };
}

/**
 * The last value of a key that is gone at `revision`, and the revision that
 * deleted it, reading the key at each revision back from `revision` (a batch
 * at a time), at most SCAN_BUDGET of them.
 */
async function lastPresent(store: StoreClient, key: string, revision: number): Promise<{ kv: StoredValue; deletedAt: number } | 'compacted' | 'never' | 'budget'> {
  let top = revision;
  const floor = Math.max(1, revision - SCAN_BUDGET + 1);
  while (top >= floor) {
    const revs = Array.from({ length: Math.min(SCAN_BATCH, top - floor + 1) }, (_, i) => top - i);
    const reads = await Promise.all(revs.map((r) => valueAt(store, key, r).then((kv) => ({ kv }), (err: unknown) => ({ err }))));
    for (let i = 0; i < revs.length; i++) {
      const r = reads[i]!;
      if ('err' in r) {
        if (r.err instanceof CompactedError) return 'compacted';
        throw r.err;
      }
      if (r.kv) return { kv: r.kv, deletedAt: revs[i]! + 1 };
    }
    top -= revs.length;
  }
  return top < 1 ? 'never' : 'budget';
}

/**
 * The events of exactly `key` before revision `createdAt` (where a known
 * incarnation was created: its event ends the replay), the last `keep` of
 * them, oldest first; with the compact revision if the replay started there.
 */
function replayBefore(store: StoreClient, key: string, createdAt: number, keep: number): Promise<{ events: StoreEvent[]; compactRevision?: number }> {
  return new Promise((resolve, reject) => {
    const events: StoreEvent[] = [];
    let compactRevision: number | undefined;
    let watch: { cancel(): void } | undefined;
    let over = false;
    const finish = (err?: Error): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      watch?.cancel();
      if (err) reject(err);
      else resolve({ events, ...(compactRevision !== undefined ? { compactRevision } : {}) });
    };
    const timer = setTimeout(() => finish(new StoreUnavailableError(`the store did not replay the history of ${key} in time`)), REPLAY_TIMEOUT_MS);
    const start = (after: number): void => {
      watch = store.watch(key, after, {
        events: (es) => {
          for (const e of es) {
            if (over) return;
            if (e.kv.key !== key) continue; // a longer key under the prefix `key`
            if (e.kv.modRevision >= createdAt) return finish();
            events.push(e);
            if (events.length > keep) events.shift();
          }
        },
        ended: (err) => {
          if (over) return;
          if (!(err instanceof CompactedError) || err.compactRevision <= 0 || compactRevision !== undefined) return finish(err);
          compactRevision = err.compactRevision;
          // history from the compaction on (a watch may start at it); nothing older than createdAt left when it is past it
          if (compactRevision > createdAt) return finish();
          start(compactRevision - 1);
        },
      });
    };
    if (keep <= 0) return finish();
    start(0);
  });
}
