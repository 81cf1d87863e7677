/**
 * The read side of durable Raft storage, as the core sees it. The core only
 * reads through this interface; the driver writes (see store/storage/) after
 * each Ready, before it sends the Ready's messages.
 *
 * Index conventions: the log holds entries firstIndex()..lastIndex(). Entry
 * firstIndex()-1 is the last one covered by the latest snapshot (or 0 on a
 * fresh log); its term is still known, so term(firstIndex()-1) succeeds.
 */
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/** The requested index is behind the first index: it was compacted into a snapshot. */
export class LogCompactedError extends Error {
  constructor(index: number, firstIndex: number) {
    super(`requested index ${index} is unavailable due to compaction (first index ${firstIndex})`);
    this.name = 'LogCompactedError';
  }
}

/** The requested index is beyond the last index. */
export class LogUnavailableError extends Error {
  constructor(index: number, lastIndex: number) {
    super(`requested entry at index ${index} is unavailable (last index ${lastIndex})`);
    this.name = 'LogUnavailableError';
  }
}

/** A snapshot older than the one already held was offered. */
export class SnapshotOutOfDateError extends Error {
  constructor(index: number, current: number) {
    super(`requested snapshot at index ${index} is older than the existing snapshot at ${current}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/** The storage cannot produce a snapshot right now; the core retries later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super('snapshot is temporarily unavailable');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/** What the Raft core reads. All methods are synchronous. */
export interface Storage {
  /** The persisted hard state and the membership as of the latest snapshot (or the initial one). */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries [lo, hi), at least one if lo < hi, and no more than maxSize bytes
   * (counted by entrySize) beyond the first. Throws LogCompactedError if lo < firstIndex(),
   * LogUnavailableError if hi > lastIndex()+1. The caller must not mutate them.
   */
  entries(lo: number, hi: number, maxSize?: number): Entry[];
  /**
   * The term of entry i, for firstIndex()-1 <= i <= lastIndex(). Throws
   * LogCompactedError below that range, LogUnavailableError above it.
   */
  term(i: number): number;
  /** The index of the last entry (the snapshot's index on an empty log). */
  lastIndex(): number;
  /** The index of the first available entry (the snapshot's index + 1). */
  firstIndex(): number;
  /** The latest snapshot. May throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

/** The byte size an entry counts for in size limits. */
export function entrySize(e: Entry): number {
  return e.data.length + 24;
}

/**
 * Cuts `ents` to at most `maxSize` bytes, always keeping the first entry.
 * Returns the same array when nothing is cut.
 */
export function limitSize<T extends Entry>(ents: T[], maxSize: number | undefined): T[] {
  if (maxSize === undefined || ents.length === 0) return ents;
  let size = 0;
  let n = 0;
  for (const e of ents) {
    size += entrySize(e);
    if (n > 0 && size > maxSize) break;
    n++;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}
