/**
 * One write transaction (etcd's storeTxnWrite plus the applier's Put and
 * DeleteRange): every change is written at revision beginRev + 1 with the
 * next sub-revision, into the open backend transaction, and recorded as an
 * Event. Reads inside the transaction see its earlier changes, as etcd's do.
 */
import { KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { EMPTY, buf, keySpan, keyString, tombstone } from './keys.js';
import { range, toKeyValue } from './reader.js';
import type { ReadView } from './reader.js';
import type { Backend } from './backend.js';
import type { ValueRow } from './schema.js';
import { EventType } from './types.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
} from './types.js';

/** A write transaction over the open transaction of backend `b`; see the file comment. */
export class WriteTxn {
  readonly #b: Backend;
  /** The store's revision when the transaction began; changes are written at beginRev + 1. */
  readonly beginRev: number;
  /** The store's compact revision. */
  readonly compactRev: number;
  /** The changes so far. invariant: events[i] was written at sub-revision i of beginRev + 1. */
  readonly events: Event[] = [];
  /** Each touched key's KeyValue before the transaction (null: it did not exist): the events' prevKv. */
  readonly #before = new Map<string, KeyValue | null>();

  constructor(b: Backend, beginRev: number, compactRev: number) {
    this.#b = b;
    this.beginRev = beginRev;
    this.compactRev = compactRev;
  }

  /** Whether the transaction has changed anything (and so will take a new revision). */
  get changed(): boolean {
    return this.events.length > 0;
  }

  /** What a read inside the transaction sees. */
  get view(): ReadView {
    return { rev: this.changed ? this.beginRev + 1 : this.beginRev, compactRev: this.compactRev };
  }

  /** A range read that sees the transaction's changes so far. */
  range(req: RangeRequest): RangeResponse {
    return range(this.#b, this.view, req);
  }

  /** Whether `key` exists in the transaction's view. */
  exists(key: Uint8Array): boolean {
    return this.#b.exists(buf(key));
  }

  /** Whether lease `id` exists. */
  leaseExists(id: number): boolean {
    return this.#b.leaseTtl(id) !== undefined;
  }

  /**
   * etcd's applier Put: a missing lease is LeaseNotFoundError; ignoreValue
   * and ignoreLease take the value and lease of the existing key (missing:
   * KeyNotFoundError). Putting with lease 0 detaches the key from its lease.
   */
  put(req: PutRequest): PutResponse {
    const key = buf(req.key);
    let value = buf(req.value ?? EMPTY);
    let lease = req.lease ?? 0;
    if (lease !== 0 && !this.leaseExists(lease)) throw new LeaseNotFoundError(lease);
    const prev = this.#b.current(key);
    if (req.ignoreValue === true || req.ignoreLease === true) {
      if (prev === undefined) throw new KeyNotFoundError();
      if (req.ignoreValue === true) value = prev.value;
      if (req.ignoreLease === true) lease = prev.lease;
    }
    const rev = this.beginRev + 1;
    const before = this.#touch(key, prev);
    const row: ValueRow = {
      key,
      create_rev: prev?.create_rev ?? rev,
      mod_rev: rev,
      sub: this.events.length,
      version: (prev?.version ?? 0) + 1,
      lease,
      value,
    };
    this.#b.append(row);
    const kv = toKeyValue(row);
    const created = row.create_rev === rev;
    this.events.push(!created && before !== null ? { type: EventType.Put, kv, prevKv: before } : { type: EventType.Put, kv });
    const header = { revision: rev };
    return req.prevKv === true && prev !== undefined ? { header, prevKv: toKeyValue(prev) } : { header };
  }

  /** etcd's applier DeleteRange: deletes every key of the range, in key order. */
  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    const live = this.#b.live(keySpan(req.key, req.rangeEnd), this.view.rev, 0).rows;
    const rows: ValueRow[] = live.map((r) => ({ ...r, value: this.#b.valueAt(r.mod_rev, r.sub) }));
    for (const r of rows) this.deleteKey(r);
    const revision = this.changed ? this.beginRev + 1 : this.beginRev;
    return { header: { revision }, deleted: rows.length, prevKvs: req.prevKv === true ? rows.map(toKeyValue) : [] };
  }

  /** Deletes the live key of `row` (its latest version, with its value). */
  deleteKey(row: ValueRow): void {
    const rev = this.beginRev + 1;
    const before = this.#touch(row.key, row);
    const sub = this.events.length;
    this.#b.append({ key: row.key, create_rev: 0, mod_rev: rev, sub, version: 0, lease: 0, value: Buffer.alloc(0) });
    const kv = tombstone(toKeyValue(row).key, rev);
    this.events.push(before !== null ? { type: EventType.Delete, kv, prevKv: before } : { type: EventType.Delete, kv });
  }

  /** Records the key's state before the transaction on its first change; returns that state. */
  #touch(key: Buffer, current: ValueRow | undefined): KeyValue | null {
    const k = keyString(key);
    let before = this.#before.get(k);
    if (before === undefined) {
      before = current === undefined ? null : toKeyValue(current);
      this.#before.set(k, before);
    }
    return before;
  }
}
