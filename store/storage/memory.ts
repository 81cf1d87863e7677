/**
 * RaftStorage in memory: for tests, the simulator and benchmarks. Nothing
 * survives the process, so "durable" here means "visible to later reads".
 *
 * The log is an array of entries offset by the compaction point: #ents[k] is
 * entry #dummyIndex+1+k. Entries handed to save() are kept as they are (never
 * copied, never mutated); reads return fresh arrays of those same entries.
 */
import {
  LogCompactedError,
  LogUnavailableError,
  SnapshotOutOfDateError,
  entrySize,
} from '../raft/storage.js';
import { EMPTY_HARD_STATE } from '../raft/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import type { RaftStorage, StorageUpdate } from './storage.js';
import { planUpdate } from './update.js';

/** An in-memory RaftStorage with MemoryStorage semantics from etcd-io/raft. */
export class MemoryStorage implements RaftStorage {
  /** The compaction point. invariant: #dummyIndex <= #snapshot.metadata.index. */
  #dummyIndex = 0;
  /** The term of entry #dummyIndex (0 on a fresh log). */
  #dummyTerm = 0;
  /** Entries #dummyIndex+1 .. lastIndex(). invariant: #ents[k].index === #dummyIndex+1+k. */
  #ents: Entry[] = [];
  #hardState: HardState = EMPTY_HARD_STATE;
  /** The latest snapshot; at index 0 it only carries the initial membership. */
  #snapshot: Snapshot;
  #closed = false;

  /** A fresh, empty storage whose initial membership is `confState` (none by default). */
  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.#snapshot = {
      metadata: { index: 0, term: 0, confState: copyConfState(confState) },
      data: new Uint8Array(0),
    };
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
    const last = this.lastIndex();
    if (hi > last + 1) throw new LogUnavailableError(hi - 1, last);
    if (lo > hi) throw new RangeError(`invalid range [${lo}, ${hi})`);
    const start = lo - this.#dummyIndex - 1;
    let end = hi - this.#dummyIndex - 1;
    if (maxSize !== undefined && start < end) {
      // Same cut as limitSize(), without copying the whole range first.
      let size = entrySize(this.#ents[start]!);
      let k = start + 1;
      while (k < end && (size += entrySize(this.#ents[k]!)) <= maxSize) k++;
      end = k;
    }
    return this.#ents.slice(start, end);
  }

  /** {@inheritDoc Storage.term} */
  term(i: number): number {
    this.#assertOpen();
    if (i === this.#dummyIndex) return this.#dummyTerm;
    if (i < this.#dummyIndex) throw new LogCompactedError(i, this.#dummyIndex + 1);
    const e = this.#ents[i - this.#dummyIndex - 1];
    if (e === undefined) throw new LogUnavailableError(i, this.lastIndex());
    return e.term;
  }

  /** {@inheritDoc Storage.lastIndex} */
  lastIndex(): number {
    this.#assertOpen();
    return this.#dummyIndex + this.#ents.length;
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
    const plan = planUpdate(
      {
        dummyIndex: this.#dummyIndex,
        lastIndex: this.lastIndex(),
        snapshotIndex: this.#snapshot.metadata.index,
        snapshotTerm: this.#snapshot.metadata.term,
        term: (i) => this.term(i),
      },
      update,
    );
    if (plan.snapshot !== undefined) {
      const skip = plan.keepLog ? plan.dummyIndex - this.#dummyIndex : this.#ents.length;
      this.#ents = this.#ents.slice(skip);
      this.#snapshot = plan.snapshot;
      this.#dummyIndex = plan.dummyIndex;
      this.#dummyTerm = plan.dummyTerm;
    }
    if (plan.truncateFrom > 0) this.#ents.length = plan.truncateFrom - this.#dummyIndex - 1;
    for (const e of plan.append) this.#ents.push(e);
    if (plan.hardState !== undefined) this.#hardState = plan.hardState;
  }

  /** {@inheritDoc RaftStorage.createSnapshot} */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.#assertOpen();
    const current = this.#snapshot.metadata.index;
    if (index < current) throw new SnapshotOutOfDateError(index, current);
    const last = this.lastIndex();
    if (index > last) throw new LogUnavailableError(index, last);
    this.#snapshot = { metadata: { index, term: this.term(index), confState: copyConfState(confState) }, data };
    return this.#snapshot;
  }

  /** {@inheritDoc RaftStorage.compact} */
  compact(compactIndex: number): void {
    this.#assertOpen();
    if (compactIndex < this.#dummyIndex) throw new LogCompactedError(compactIndex, this.#dummyIndex + 1);
    const last = this.lastIndex();
    if (compactIndex > last) throw new LogUnavailableError(compactIndex, last);
    const snapIndex = this.#snapshot.metadata.index;
    if (compactIndex > snapIndex) throw new LogUnavailableError(compactIndex, snapIndex);
    if (compactIndex === this.#dummyIndex) return;
    this.#dummyTerm = this.term(compactIndex);
    this.#ents = this.#ents.slice(compactIndex - this.#dummyIndex);
    this.#dummyIndex = compactIndex;
  }

  /** {@inheritDoc RaftStorage.close} */
  close(): void {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('storage is closed');
  }
}

/** A copy of `cs` that later changes to the caller's arrays cannot reach. */
export function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}
