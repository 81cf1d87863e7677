/** Test helpers for store/mvcc: byte strings, a store with its own Raft index counter, readable KeyValues. */
import { MvccStore } from '../store.js';
import type { MvccStoreOptions } from '../store.js';
import type { Event, KeyValue, PutRequest } from '../types.js';

/** A byte string from latin1 text. */
export function b(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Latin1 text from a byte string. */
export function str(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** "key=value c<create> m<mod> v<version>" (plus " l<lease>" when attached): a KeyValue on one line. */
export function kv(k: KeyValue | undefined): string {
  if (k === undefined) return '(none)';
  const lease = k.lease !== 0 ? ` l${k.lease}` : '';
  return `${str(k.key)}=${str(k.value)} c${k.createRevision} m${k.modRevision} v${k.version}${lease}`;
}

/** "PUT kv" or "DELETE kv", with " prev(kv)" when the event has one. */
export function ev(e: Event): string {
  const prev = e.prevKv !== undefined ? ` prev(${kv(e.prevKv)})` : '';
  return `${e.type === 0 ? 'PUT' : 'DELETE'} ${kv(e.kv)}${prev}`;
}

/** An in-memory (or file) store that numbers Raft indexes itself. */
export class TestStore {
  readonly store: MvccStore;
  /** The last index handed out. */
  index: number;

  constructor(store: MvccStore = MvccStore.open(':memory:')) {
    this.store = store;
    this.index = store.consistentIndex();
  }

  /** A new in-memory store. */
  static memory(opts: MvccStoreOptions = {}): TestStore {
    return new TestStore(MvccStore.open(':memory:', opts));
  }

  /** The next Raft index. */
  next(): number {
    return ++this.index;
  }

  /** Puts key=value (plus any request fields); returns the new revision. */
  put(key: string, value: string, extra: Partial<PutRequest> = {}): number {
    return this.store.put({ key: b(key), value: b(value), ...extra }, this.next()).response.header.revision;
  }

  /** Deletes the key (or [key, end)); returns how many were deleted. */
  del(key: string, end?: string): number {
    const rangeEnd = end === undefined ? undefined : b(end);
    return this.store.deleteRange({ key: b(key), rangeEnd }, this.next()).response.deleted;
  }

  /** The key at `revision` (0: current), as kv() text. */
  get(key: string, revision = 0): string {
    return kv(this.store.range({ key: b(key), revision }).kvs[0]);
  }

  /** Every key at `revision`, as kv() text. */
  all(revision = 0): string[] {
    return this.store.range({ key: b('\0'), rangeEnd: b('\0'), revision }).kvs.map(kv);
  }
}
