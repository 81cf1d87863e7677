/**
 * The pure half of save(): checks a StorageUpdate against the current log and
 * works out what it changes, without changing anything. Both implementations
 * plan first and apply after, so a rejected update leaves storage untouched
 * (atomicity), and both give the same answer to the same update.
 */
import { SnapshotOutOfDateError } from '../raft/storage.js';
import { isEmptySnapshot } from '../raft/types.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type { StorageUpdate } from './storage.js';

/** The facts about the current log that planning needs. */
export interface LogView {
  /** The compaction point: the index before the first entry. */
  readonly dummyIndex: number;
  readonly lastIndex: number;
  /** The index and term of the latest snapshot (0 when none). */
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  /** The term of entry i, for dummyIndex <= i <= lastIndex. */
  term(i: number): number;
}

/** What an accepted update does, in the order it must be applied. */
export interface UpdatePlan {
  /** Step 1: the snapshot to install, if any. */
  readonly snapshot: Snapshot | undefined;
  /** With `snapshot`: true when the entries after its index are kept, false when the whole log goes. */
  readonly keepLog: boolean;
  /** Step 2: delete every entry at or after this index (0: delete nothing). */
  readonly truncateFrom: number;
  /** Step 3: append these (contiguous, starting at dummyIndex+1 .. lastIndex+1 after step 1 and 2). */
  readonly append: readonly Entry[];
  /** Step 4: the hard state to record, if any. */
  readonly hardState: HardState | undefined;
  /** The log's bounds once the update is applied. invariant: dummyIndex <= lastIndex. */
  readonly dummyIndex: number;
  readonly dummyTerm: number;
  readonly lastIndex: number;
}

/** A save() that would break the log's invariants: a bug in the caller. */
export class InvalidUpdateError extends Error {
  constructor(reason: string) {
    super(`invalid storage update: ${reason}`);
    this.name = 'InvalidUpdateError';
  }
}

/**
 * Checks `u` against `log` and returns what it changes. Throws
 * SnapshotOutOfDateError for a snapshot older than the current one and
 * InvalidUpdateError for entries that are not contiguous, would leave a gap,
 * have decreasing terms, would drop or change the entry at the snapshot's
 * index (committed entries never change), or a hard state whose commit is
 * beyond the new last index. Entries at or below the (new) compaction point are skipped, as they
 * are already covered by a snapshot.
 */
export function planUpdate(log: LogView, u: StorageUpdate): UpdatePlan {
  let dummyIndex = log.dummyIndex;
  let dummyTerm = log.term(dummyIndex);
  let lastIndex = log.lastIndex;
  let snapshot: Snapshot | undefined;
  let keepLog = true;
  let snapIndex = log.snapshotIndex;
  let snapTerm = log.snapshotTerm;

  if (u.snapshot !== undefined && !isEmptySnapshot(u.snapshot)) {
    const { index, term } = u.snapshot.metadata;
    if (index < log.snapshotIndex) throw new SnapshotOutOfDateError(index, log.snapshotIndex);
    snapshot = u.snapshot;
    snapIndex = index;
    snapTerm = term;
    keepLog = index >= log.dummyIndex && index <= log.lastIndex && log.term(index) === term;
    if (!keepLog) lastIndex = index;
    dummyIndex = index;
    dummyTerm = term;
  }
  // The term of entry i on the log as it stands after the snapshot step.
  const termAt = (i: number): number => (i === dummyIndex ? dummyTerm : log.term(i));

  let append: readonly Entry[] = u.entries ?? [];
  let truncateFrom = 0;
  if (append.length > 0) {
    checkContiguous(append);
    const first = append[0]!.index;
    if (first <= dummyIndex) append = append.slice(dummyIndex + 1 - first);
  }
  const head = append[0];
  if (head !== undefined) {
    if (head.index > lastIndex + 1) {
      throw new InvalidUpdateError(`entry ${head.index} would leave a gap after last index ${lastIndex}`);
    }
    const prevTerm = termAt(head.index - 1);
    if (head.term < prevTerm) {
      throw new InvalidUpdateError(`entry ${head.index} has term ${head.term} below the previous entry's ${prevTerm}`);
    }
    if (head.index <= lastIndex) truncateFrom = head.index;
    lastIndex = append[append.length - 1]!.index;
    const atSnap = append[snapIndex - head.index];
    if (atSnap !== undefined && atSnap.term !== snapTerm) {
      throw new InvalidUpdateError(
        `entry ${snapIndex} would change from term ${snapTerm} to ${atSnap.term} under the snapshot at ${snapIndex}`,
      );
    }
  }
  if (lastIndex < snapIndex) {
    throw new InvalidUpdateError(`the log would end at ${lastIndex}, before the snapshot at ${snapIndex}`);
  }

  if (u.hardState !== undefined && u.hardState.commit > lastIndex) {
    throw new InvalidUpdateError(`hard state commit ${u.hardState.commit} is beyond last index ${lastIndex}`);
  }
  return { snapshot, keepLog, truncateFrom, append, hardState: u.hardState, dummyIndex, dummyTerm, lastIndex };
}

/** Throws unless `ents` have ascending consecutive indexes and nondecreasing terms >= 1. */
function checkContiguous(ents: readonly Entry[]): void {
  let prev: Entry | undefined;
  for (const e of ents) {
    if (!Number.isSafeInteger(e.index) || e.index < 1 || !Number.isSafeInteger(e.term) || e.term < 1) {
      throw new InvalidUpdateError(`entry with index ${e.index} and term ${e.term}: both must be integers >= 1`);
    }
    if (prev !== undefined) {
      if (e.index !== prev.index + 1) {
        throw new InvalidUpdateError(`entries are not contiguous: ${prev.index} then ${e.index}`);
      }
      if (e.term < prev.term) {
        throw new InvalidUpdateError(`entry ${e.index} has term ${e.term} below the previous entry's ${prev.term}`);
      }
    }
    prev = e;
  }
}
