/**
 * The in-memory key index (etcd's treeIndex): for every key, in key order,
 * the revisions at which it changed. History on disk is keyed by revision
 * only, so a write appends to it and reads find their revisions here, as in
 * etcd, where bbolt is keyed by revision and the B-tree of keyIndexes lives in
 * memory. The index is rebuilt from history when the store opens.
 *
 * Keys are latin1 strings (one char per byte), so JS string order is byte
 * order. A key stays in the index after it is deleted (its last version is
 * a tombstone) until compaction removes all of its history.
 */

/** One change of a key: where it is in history, and its small columns. */
export interface Version {
  readonly rev: number;
  readonly sub: number;
  /** 0 for a tombstone. */
  readonly version: number;
  readonly createRev: number;
  readonly lease: number;
}

/** A key and its changes. invariant: versions is non-empty and ordered by (rev, sub). */
export class KeyEntry {
  readonly versions: Version[] = [];
  constructor(readonly key: string) {}

  /** The key's version at the newest revision, or undefined if it is deleted there. */
  latest(): Version | undefined {
    const v = this.versions[this.versions.length - 1];
    return v !== undefined && v.version > 0 ? v : undefined;
  }

  /** The key's version at revision `rev` (its last change at or below it), or undefined if it was not live. */
  at(rev: number): Version | undefined {
    const vs = this.versions;
    let i = vs.length - 1;
    while (i >= 0 && vs[i]!.rev > rev) i--;
    const v = vs[i];
    return v !== undefined && v.version > 0 ? v : undefined;
  }
}

/** Where a range of keys lies: [lo, hi), hi undefined for "to the end", or exactly `lo` when `single`. */
export interface KeyBounds {
  readonly lo: string;
  readonly hi?: string;
  readonly single?: boolean;
}

/** Chunks of a sorted list are split beyond this size (a small B+tree of two levels). */
const CHUNK = 128;

/**
 * A run of the sorted list: its entries and, in a parallel array, their keys.
 * Searches read only the key strings (a KeyEntry is one more memory load per
 * step, and with hundreds of thousands of keys every load misses the cache).
 */
interface Chunk {
  keys: string[];
  entries: KeyEntry[];
}

/** The index; see the file comment. */
export class KeyIndex {
  readonly #byKey = new Map<string, KeyEntry>();
  /** The entries in key order, in chunks of at most 2*CHUNK. invariant: no chunk is empty. */
  #chunks: Chunk[] = [];
  /** Each chunk's last key. invariant: lastKeys[c] === chunks[c].keys.at(-1). */
  #lastKeys: string[] = [];
  /** The live keys attached to each lease. */
  readonly #byLease = new Map<number, Set<KeyEntry>>();

  /** How many keys the index holds (deleted ones included until compacted). */
  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): KeyEntry | undefined {
    return this.#byKey.get(key);
  }

  /** Appends version `v` to `key` (v must be later than its last). */
  record(key: string, v: Version): void {
    let e = this.#byKey.get(key);
    if (e === undefined) {
      e = new KeyEntry(key);
      this.#byKey.set(key, e);
      this.#insert(e);
    }
    this.#leaseOf(e.latest(), e, false);
    e.versions.push(v);
    this.#leaseOf(v, e, true);
  }

  /** Undoes the last record() of `key`. */
  unrecord(key: string): void {
    const e = this.#byKey.get(key);
    if (e === undefined) throw new Error(`mvcc index: unrecord of unknown key ${JSON.stringify(key)}`);
    this.#leaseOf(e.latest(), e, false);
    e.versions.pop();
    if (e.versions.length === 0) this.#remove(e);
    else this.#leaseOf(e.latest(), e, true);
  }

  /** The entries whose keys lie in `b`, in key order. */
  *entries(b: KeyBounds): Generator<KeyEntry> {
    if (b.single === true) {
      const e = this.#byKey.get(b.lo);
      if (e !== undefined) yield e;
      return;
    }
    if (b.hi !== undefined && b.hi <= b.lo) return;
    let c = lowerBound(this.#lastKeys, b.lo);
    if (c === this.#chunks.length) return;
    let i = lowerBound(this.#chunks[c]!.keys, b.lo);
    for (; c < this.#chunks.length; c++, i = 0) {
      const { keys, entries } = this.#chunks[c]!;
      for (; i < keys.length; i++) {
        if (b.hi !== undefined && keys[i]! >= b.hi) return;
        yield entries[i]!;
      }
    }
  }

  /** Every entry, in key order. */
  all(): Generator<KeyEntry> {
    return this.entries({ lo: '' });
  }

  /** The live keys attached to lease `id`, in key order. */
  leaseKeys(id: number): string[] {
    const s = this.#byLease.get(id);
    return s === undefined ? [] : [...s].map((e) => e.key).sort();
  }

  /**
   * What compacting at `rev` removes: of each key's versions at or below it,
   * all but the last, and the last too when it is a tombstone (etcd's
   * keyIndex.compact). Changes nothing; see applyCompaction.
   */
  compaction(rev: number): { entry: KeyEntry; drop: number }[] {
    const plan: { entry: KeyEntry; drop: number }[] = [];
    for (const e of this.all()) {
      let n = 0;
      while (n < e.versions.length && e.versions[n]!.rev <= rev) n++;
      if (n === 0) continue;
      const drop = e.versions[n - 1]!.version === 0 ? n : n - 1;
      if (drop > 0) plan.push({ entry: e, drop });
    }
    return plan;
  }

  /** Removes what compaction() planned; keys left without versions go. */
  applyCompaction(plan: readonly { entry: KeyEntry; drop: number }[]): void {
    for (const { entry, drop } of plan) {
      // the dropped versions are older than the latest live one, or end in a
      // tombstone: the key's lease membership does not change
      entry.versions.splice(0, drop);
      if (entry.versions.length === 0) this.#remove(entry);
    }
  }

  #leaseOf(v: Version | undefined, e: KeyEntry, add: boolean): void {
    if (v === undefined || v.lease === 0) return;
    let s = this.#byLease.get(v.lease);
    if (add) {
      if (s === undefined) this.#byLease.set(v.lease, (s = new Set()));
      s.add(e);
    } else if (s !== undefined) {
      s.delete(e);
      if (s.size === 0) this.#byLease.delete(v.lease);
    }
  }

  #insert(e: KeyEntry): void {
    const key = e.key;
    if (this.#chunks.length === 0) {
      this.#chunks.push({ keys: [key], entries: [e] });
      this.#lastKeys.push(key);
      return;
    }
    let c = lowerBound(this.#lastKeys, key);
    if (c === this.#chunks.length) c--; // beyond every key: the last chunk
    const chunk = this.#chunks[c]!;
    const i = lowerBound(chunk.keys, key);
    chunk.keys.splice(i, 0, key);
    chunk.entries.splice(i, 0, e);
    if (i === chunk.keys.length - 1) this.#lastKeys[c] = key;
    if (chunk.keys.length > 2 * CHUNK) {
      const tail: Chunk = { keys: chunk.keys.splice(CHUNK), entries: chunk.entries.splice(CHUNK) };
      this.#chunks.splice(c + 1, 0, tail);
      this.#lastKeys.splice(c, 0, chunk.keys[CHUNK - 1]!);
    }
  }

  #remove(e: KeyEntry): void {
    const key = e.key;
    this.#byKey.delete(key);
    const c = lowerBound(this.#lastKeys, key);
    const chunk = this.#chunks[c];
    const i = chunk === undefined ? -1 : lowerBound(chunk.keys, key);
    if (chunk === undefined || chunk.entries[i] !== e) throw new Error(`mvcc index: ${JSON.stringify(key)} is not in order`);
    chunk.keys.splice(i, 1);
    chunk.entries.splice(i, 1);
    if (chunk.keys.length === 0) {
      this.#chunks.splice(c, 1);
      this.#lastKeys.splice(c, 1);
    } else if (i === chunk.keys.length) {
      this.#lastKeys[c] = chunk.keys[i - 1]!;
    }
  }
}

/** The first position in the sorted `keys` whose key is >= `key` (keys.length if none). */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
