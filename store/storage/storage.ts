/**
 * Durable Raft storage: the read side the core uses (store/raft/storage.ts)
 * plus the write side the driver calls after each Ready.
 *
 * Contract for every implementation (checked by conformance.ts):
 * - save() is atomic and durable: when it returns, the whole update survives a
 *   crash (kill -9, and for SqliteStorage a power loss of the OS cache), or
 *   none of it does. One save() is one disk sync however many entries it has
 *   (group commit: the driver hands it everything one Ready holds).
 * - save() applies the snapshot first (if any; it replaces the whole log when
 *   it is newer than the log's last index, otherwise it keeps the entries after
 *   it), then the entries (an entry at an index already held replaces it and
 *   every entry after it), then the hard state.
 * - save() refuses an inconsistent update with InvalidUpdateError (update.ts)
 *   and changes nothing: entries out of order or with a gap, a term going
 *   down, a commit index beyond the last entry, or an update that would drop
 *   or change the entry at the snapshot's index. An older snapshot than the
 *   one held throws SnapshotOutOfDateError. Entries at or below the
 *   compaction point are skipped (they are already covered by the snapshot).
 * - Entries returned by the read methods belong to the caller, who must not
 *   mutate them; the storage never mutates entries it was given.
 */
import type { Storage } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';

export {
  LogCompactedError,
  LogUnavailableError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
} from '../raft/storage.js';
export type { Storage } from '../raft/storage.js';

/** One durable write: what a Ready asks to persist. */
export interface StorageUpdate {
  readonly hardState?: HardState;
  /** Contiguous, ascending; the first may overwrite from its index on. */
  readonly entries?: readonly Entry[];
  readonly snapshot?: Snapshot;
  /**
   * False when the update may wait for the next synced one: it holds no
   * entries, snapshot, term or vote, only a newer commit index, which Raft
   * can always learn again (Ready.mustSync false). Default true.
   */
  readonly sync?: boolean;
}

/** Read and write access to one member's Raft log, hard state and snapshot. */
export interface RaftStorage extends Storage {
  /** Persists `update` atomically and durably (see the file comment). */
  save(update: StorageUpdate): void;
  /**
   * Records a snapshot of the applied state machine at `index` (which must be
   * in [firstIndex()-1 .. lastIndex()] and not older than the current snapshot,
   * else SnapshotOutOfDateError / LogUnavailableError; a snapshot at the same
   * index as the current one replaces it). Does not compact.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  /**
   * Discards the entries before and at `compactIndex`, keeping its term, so
   * firstIndex() becomes compactIndex+1. Throws LogCompactedError if
   * compactIndex < firstIndex()-1 (already compacted) and LogUnavailableError
   * if compactIndex > lastIndex() or beyond the latest snapshot's index (so a
   * lagging follower can always be served from entries or the snapshot).
   */
  compact(compactIndex: number): void;
  /** Releases the storage; every method fails afterwards. */
  close(): void;
}

/** Who a data directory belongs to: checked when it is opened. */
export interface StorageIdentity {
  readonly clusterId: string;
  readonly memberId: number;
}

/** Opening storage failed: the file is corrupted, foreign, or inconsistent. */
export class StorageCorruptError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'StorageCorruptError';
  }
}
