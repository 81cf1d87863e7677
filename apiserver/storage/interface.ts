/**
 * What the API server needs from its store: the narrow interface that the
 * registry and the watch cache stand on, and that each backend implements
 * (an etcd v3 cluster, kubeling's or a real etcd's, in etcd.ts).
 *
 * Keys are strings (`/registry/configmaps/default/settings`), values the
 * object's bytes. Every revision is the store's: a value's `modRevision` is
 * the object's resourceVersion, a list's `revision` is the list's.
 */

/** One key as the store holds it. */
export interface StoredValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** The revision of the key's last write: the object's resourceVersion. */
  readonly modRevision: number;
  /** The revision that created the key (after its last deletion, if any). */
  readonly createRevision: number;
  /** Writes since the key's creation: 1 after the first, back to 0 when it is deleted. */
  readonly version: number;
  /** The id of the lease attached to the key, as a decimal string (etcd's ids are 64-bit); '0' for none. */
  readonly lease: string;
}

/** What an update wrote: the key, its new value, and the revision of the write (the object's new resourceVersion). */
export type Written = Pick<StoredValue, 'key' | 'value' | 'modRevision'>;

/** A page of a prefix. */
export interface ListPage {
  /** In key order. */
  readonly items: StoredValue[];
  /** The store revision the page was read at (a later page reads at the same one). */
  readonly revision: number;
  /** True when keys after the last item remain under the prefix. */
  readonly more: boolean;
  /** How many keys under the prefix come after the last item (0 when !more). */
  readonly remaining: number;
}

/** A change to a key, seen by a watch. */
export interface StoreEvent {
  readonly type: 'put' | 'delete';
  /** For a delete: the key and the tombstone's revision, with an empty value. */
  readonly kv: StoredValue;
  /** The value before the change (always set for a delete; for a put, unless the key was created). */
  readonly prev: StoredValue | undefined;
}

/** A running watch; see StoreClient.watch. */
export interface StoreWatch {
  /** Ends the watch; no callback is made afterwards. */
  cancel(): void;
}

/** The callbacks of a watch: events in revision order, then at most one end. */
export interface WatchHandler {
  /** Events of one or more revisions, in order; each revision's events arrive in one call. */
  events(events: StoreEvent[]): void;
  /**
   * The watch has ended and will call nothing more: CompactedError when its
   * start revision is compacted, StoreUnavailableError when the store went
   * away. The caller starts a new one (resuming from its last revision).
   */
  ended(err: Error): void;
}

/**
 * The store. Every method may reject with StoreUnavailableError (no member
 * reachable, or a deadline passed); the others it names.
 */
export interface StoreClient {
  /** One key, read linearizably, with the revision of the read. */
  get(key: string): Promise<{ value: StoredValue | undefined; revision: number }>;

  /**
   * The keys under `prefix`, in key order, from `start` (inclusive; default
   * the prefix itself), at most `limit` (0: all), at `revision` (0: the
   * latest, linearizable); with `keysOnly`, every value is empty (the rest
   * is as without it). Rejects with CompactedError or FutureRevisionError
   * for a revision the store no longer or not yet has.
   *
   * One key at a revision is `list(key, { limit: 1, revision })`: the
   * smallest key under the prefix `key` is `key` itself, if it exists then.
   */
  list(prefix: string, opts?: { start?: string; limit?: number; revision?: number; keysOnly?: boolean }): Promise<ListPage>;

  /** Creates `key`; rejects with KeyExistsError if it exists. */
  create(key: string, value: Uint8Array): Promise<StoredValue>;

  /**
   * Replaces `key` if its modRevision is still `expected`, and resolves with
   * the new modRevision (not the key's createRevision or version: as
   * kube-apiserver's writes, it asks the store for no previous value; a
   * read at that revision has them). Rejects with KeyNotFoundError if the
   * key is gone, or with RevisionConflictError (carrying the current value)
   * if it changed.
   */
  update(key: string, value: Uint8Array, expected: number): Promise<Written>;

  /**
   * Deletes `key`, if its modRevision is still `expected` when given; resolves
   * with the value deleted and the revision of the deletion. Rejects like update.
   */
  delete(key: string, expected?: number): Promise<{ deleted: StoredValue; revision: number }>;

  /** Watches the keys under `prefix` for changes after `afterRevision` (that revision itself excluded). */
  watch(prefix: string, afterRevision: number, handler: WatchHandler): StoreWatch;

  /** Removes the history of every key before `revision`. */
  compact(revision: number): Promise<void>;

  /** Closes connections; pending calls reject with StoreUnavailableError. */
  close(): void;
}

/** The end of a prefix range, as bytes: the prefix with its last byte below 0xff plus one (etcd's `--prefix`). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]! += 1;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key: etcd's range_end "\0"
}
