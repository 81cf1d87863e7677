/**
 * Request checks, as etcd's gRPC layer makes them before proposing (v3rpc
 * key.go): empty keys, ignore_value/ignore_lease with a value/lease, the
 * per-level op limit and the duplicate-key rule of txns. The store runs them
 * again when it applies a request (they are pure, so every member agrees);
 * the server may run them first to refuse a request without proposing it.
 */
import { InvalidRequestError, KeyNotFoundError } from './errors.js';
import { compareBytes, keyString } from './keys.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types.js';

/** etcd's default --max-txn-ops: compares, or ops in a branch, per txn level. */
export const MAX_TXN_OPS = 128;

/** etcd's MaxLeaseTTL, in seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;

/** Throws unless the range names a key. */
export function checkRange(r: RangeRequest): void {
  if (r.key.byteLength === 0) throw new InvalidRequestError('EmptyKey');
}

/** Throws unless the put names a key, and ignoreValue/ignoreLease come without a value/lease. */
export function checkPut(r: PutRequest): void {
  if (r.key.byteLength === 0) throw new InvalidRequestError('EmptyKey');
  if (r.ignoreValue === true && (r.value?.byteLength ?? 0) !== 0) throw new InvalidRequestError('ValueProvided');
  if (r.ignoreLease === true && (r.lease ?? 0) !== 0) throw new InvalidRequestError('LeaseProvided');
}

/** Throws unless the delete names a key. */
export function checkDelete(r: DeleteRangeRequest): void {
  if (r.key.byteLength === 0) throw new InvalidRequestError('EmptyKey');
}

/**
 * Throws unless the txn is well formed: the op limit and the checks of each
 * op at every level, then the duplicate-key rule (etcd's order, so a request
 * breaking several rules gets etcd's error).
 */
export function checkTxn(r: TxnRequest, maxOps: number = MAX_TXN_OPS): void {
  checkTxnOps(r, maxOps);
  checkIntervals(r.success ?? []);
  checkIntervals(r.failure ?? []);
}

/**
 * etcd's count: the largest of the compare, success and failure lists must
 * not exceed the budget, and a nested txn's budget is what its parent left.
 */
function checkTxnOps(r: TxnRequest, maxOps: number): void {
  const ops = Math.max(r.compare?.length ?? 0, r.success?.length ?? 0, r.failure?.length ?? 0);
  if (ops > maxOps) throw new InvalidRequestError('TooManyOps');
  for (const c of r.compare ?? []) if (c.key.byteLength === 0) throw new InvalidRequestError('EmptyKey');
  for (const op of [...(r.success ?? []), ...(r.failure ?? [])]) checkOp(op, maxOps - ops);
}

function checkOp(op: RequestOp, maxOps: number): void {
  if (op.requestRange !== undefined) checkRange(op.requestRange);
  else if (op.requestPut !== undefined) checkPut(op.requestPut);
  else if (op.requestDeleteRange !== undefined) checkDelete(op.requestDeleteRange);
  else if (op.requestTxn !== undefined) checkTxnOps(op.requestTxn, maxOps);
  else throw new KeyNotFoundError(); // an empty op: etcd answers "key not found"
}

/** A delete's span for the duplicate rule. */
interface Interval {
  readonly begin: Uint8Array;
  /** undefined: the single key `begin`. */
  readonly end?: Uint8Array;
}

function intersects(dels: readonly Interval[], key: Uint8Array): boolean {
  return dels.some((d) =>
    d.end === undefined ? compareBytes(d.begin, key) === 0 : compareBytes(d.begin, key) <= 0 && compareBytes(key, d.end) < 0,
  );
}

/**
 * etcd's duplicate-key rule for one branch (checkIntervals): no key may be put
 * twice, nor put and deleted, across this level and the branches of its nested
 * txns; the two branches of one nested txn may put the same key (only one of
 * them runs). As in etcd 3.4, a from-key delete (rangeEnd "\0") and an empty
 * range conflict with nothing (etcd compares the end "\0" as a one-byte key).
 * Returns the keys this branch puts and the spans it deletes.
 */
function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    const d = op.requestDeleteRange;
    if (d === undefined) continue;
    const end = d.rangeEnd;
    if (end === undefined || end.byteLength === 0) dels.push({ begin: d.key });
    else if (compareBytes(d.key, end) < 0) dels.push({ begin: d.key, end });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    const t = op.requestTxn;
    if (t === undefined) continue;
    const then = checkIntervals(t.success ?? []);
    const otherwise = checkIntervals(t.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || intersects(dels, Buffer.from(k, 'latin1'))) throw new InvalidRequestError('DuplicateKey');
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw new InvalidRequestError('DuplicateKey');
      if (intersects(dels, Buffer.from(k, 'latin1'))) throw new InvalidRequestError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    const p = op.requestPut;
    if (p === undefined) continue;
    const k = keyString(p.key);
    if (puts.has(k) || intersects(dels, p.key)) throw new InvalidRequestError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}

/**
 * Whether every op of both branches is a range (etcd's isTxnReadonly: a nested
 * txn counts as a write even if it only reads). A read-only txn may be served
 * without Raft, as a read; any other goes through Raft.
 */
export function isTxnReadOnly(r: TxnRequest): boolean {
  return [...(r.success ?? []), ...(r.failure ?? [])].every((op) => op.requestRange !== undefined);
}
