/**
 * Range reads, with etcd's exact rules (etcdserver/apply.go Range, mvcc
 * rangeKeys): revision checks, the count of every key in the range before
 * filters and limit, the filters, the sort defaults, limit and `more`.
 * The keys and their revisions come from the in-memory index; values are
 * read from history by (rev, sub) only for the rows returned.
 */
import { CompactedError, FutureRevisionError } from './errors.js';
import { EMPTY, bytes, compareBytes, keySpan } from './keys.js';
import type { Backend } from './backend.js';
import type { MetaRow, ValueRow } from './schema.js';
import { SortOrder, SortTarget } from './types.js';
import type { KeyValue, RangeRequest, RangeResponse } from './types.js';
import { checkRange } from './validate.js';

/** The store as a read sees it. */
export interface ReadView {
  /**
   * The revision the read sees as current: the store's revision, or inside a
   * write txn that has changed something, the txn's revision.
   * invariant: no key in the index has a change after `rev`.
   */
  readonly rev: number;
  /** The store's compact revision (-1 before the first compaction). */
  readonly compactRev: number;
}

/** A row being read; `value` is loaded only when needed. */
type Row = MetaRow & { value?: Buffer };

/**
 * The revision a read at `requested` (0 or negative: current) sees, per
 * etcd: above the view's revision is a future revision, below the compact
 * revision is compacted (reading at the compact revision itself is allowed).
 */
export function resolveRevision(view: ReadView, requested = 0): number {
  if (requested > view.rev) throw new FutureRevisionError(view.rev);
  const rev = requested <= 0 ? view.rev : requested;
  if (rev < view.compactRev) throw new CompactedError(view.compactRev);
  return rev;
}

/** Converts a row to the wire KeyValue. */
export function toKeyValue(r: ValueRow): KeyValue {
  return {
    key: bytes(r.key),
    createRevision: r.create_rev,
    modRevision: r.mod_rev,
    version: r.version,
    value: bytes(r.value),
    lease: r.lease,
  };
}

/** The range read of `req` against `view`. */
export function range(b: Backend, view: ReadView, req: RangeRequest): RangeResponse {
  checkRange(req);
  const rev = resolveRevision(view, req.revision);
  const span = keySpan(req.key, req.rangeEnd);
  const header = { revision: view.rev };
  if (req.countOnly === true) return { header, kvs: [], more: false, count: b.live(span, rev, -1).count };
  const limit = req.limit ?? 0;
  const target = req.sortTarget ?? SortTarget.Key;
  let order = req.sortOrder ?? SortOrder.None;
  const filter = rowFilter(req);
  // etcd fetches everything when the request asks for an order or a filter;
  // otherwise one more than the limit, so a defaulted sort only reorders that
  const fetch = order !== SortOrder.None || filter !== undefined ? 0 : limit > 0 ? limit + 1 : 0;
  // a target other than Key with no order means ascending; Key with no order is key order already
  if (target !== SortTarget.Key && order === SortOrder.None) order = SortOrder.Ascend;
  const live = b.live(span, rev, fetch);
  let rows: Row[] = live.rows;
  if (filter !== undefined) rows = rows.filter(filter);
  if (order !== SortOrder.None) {
    if (target === SortTarget.Value) for (const r of rows) loadValue(b, r);
    const cmp = comparator(target);
    rows.sort(order === SortOrder.Descend ? (x, y) => cmp(y, x) : cmp); // stable: ties stay in key order
  }
  let more = false;
  if (limit > 0 && rows.length > limit) {
    rows = rows.slice(0, limit);
    more = true;
  }
  const kvs = rows.map((r) => toKeyValue({ ...r, value: req.keysOnly === true ? Buffer.alloc(0) : loadValue(b, r) }));
  return { header, kvs, more, count: live.count };
}

function loadValue(b: Backend, r: Row): Buffer {
  r.value ??= b.valueAt(r.mod_rev, r.sub);
  return r.value;
}

/** etcd's min/max mod/create revision filters (0: unset), or undefined when none is set. */
function rowFilter(req: RangeRequest): ((r: Row) => boolean) | undefined {
  const minMod = req.minModRevision ?? 0;
  const maxMod = req.maxModRevision ?? 0;
  const minCreate = req.minCreateRevision ?? 0;
  const maxCreate = req.maxCreateRevision ?? 0;
  if (minMod === 0 && maxMod === 0 && minCreate === 0 && maxCreate === 0) return undefined;
  return (r) =>
    !(maxMod !== 0 && r.mod_rev > maxMod) &&
    !(minMod !== 0 && r.mod_rev < minMod) &&
    !(maxCreate !== 0 && r.create_rev > maxCreate) &&
    !(minCreate !== 0 && r.create_rev < minCreate);
}

function comparator(target: SortTarget): (a: Row, b: Row) => number {
  switch (target) {
    case SortTarget.Key:
      return (a, b) => compareBytes(a.key, b.key);
    case SortTarget.Version:
      return (a, b) => a.version - b.version;
    case SortTarget.Create:
      return (a, b) => a.create_rev - b.create_rev;
    case SortTarget.Mod:
      return (a, b) => a.mod_rev - b.mod_rev;
    case SortTarget.Value:
      return (a, b) => compareBytes(a.value ?? EMPTY, b.value ?? EMPTY);
  }
}
