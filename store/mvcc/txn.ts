/**
 * Txn execution with etcd's rules (etcdserver/apply.go Txn): every compare,
 * of the txn and of the nested txns on the branch taken, is evaluated against
 * the store as it was before the txn; then the ops on that path are checked
 * (puts: ignore_* needs the key, a lease must exist; ranges: revision bounds),
 * so a txn fails as a whole before writing anything; then the ops run in
 * order, each seeing the changes of the ones before it.
 */
import { CompactedError, FutureRevisionError, KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { EMPTY, compareBytes } from './keys.js';
import { CompareResult, CompareTarget } from './types.js';
import type { Compare, KeyValue, RequestOp, ResponseOp, TxnRequest, TxnResponse } from './types.js';
import type { WriteTxn } from './writer.js';

const ABSENT: KeyValue = { key: EMPTY, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0 };

/**
 * Runs a (validated) txn in `w`, which must not have changed anything yet.
 * The top-level header carries the txn's revision; as in etcd, nested txn
 * responses carry header revision 0, and each op's header the revision it saw.
 */
export function runTxn(w: WriteTxn, req: TxnRequest): TxnResponse {
  if (w.changed) throw new Error('runTxn: the write transaction has already changed the store');
  const path: boolean[] = [];
  compareToPath(w, req, path);
  checkPath(w, req, path, { i: 0 }, checkPutOp);
  checkPath(w, req, path, { i: 0 }, checkRangeOp);
  const resp = applyPath(w, req, path, { i: 0 });
  return { ...resp, header: { revision: w.view.rev } };
}

/** Appends, in pre-order, whether each txn on the taken path succeeds. */
function compareToPath(w: WriteTxn, req: TxnRequest, path: boolean[]): void {
  const ok = (req.compare ?? []).every((c) => applyCompare(w, c));
  path.push(ok);
  for (const op of branch(req, ok)) if (op.requestTxn !== undefined) compareToPath(w, op.requestTxn, path);
}

function branch(req: TxnRequest, succeeded: boolean): readonly RequestOp[] {
  return (succeeded ? req.success : req.failure) ?? [];
}

/** etcd's applyCompare: every key of the range must satisfy it; an empty range compares a zero KeyValue, except on Value. */
function applyCompare(w: WriteTxn, c: Compare): boolean {
  const { kvs } = w.range({ key: c.key, rangeEnd: c.rangeEnd, keysOnly: c.target !== CompareTarget.Value });
  if (kvs.length === 0) return c.target === CompareTarget.Value ? false : compareKv(c, ABSENT);
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue): boolean {
  let r: number;
  switch (c.target) {
    case CompareTarget.Value:
      r = compareBytes(kv.value, c.value ?? EMPTY);
      break;
    case CompareTarget.Create:
      r = kv.createRevision - (c.createRevision ?? 0);
      break;
    case CompareTarget.Mod:
      r = kv.modRevision - (c.modRevision ?? 0);
      break;
    case CompareTarget.Version:
      r = kv.version - (c.version ?? 0);
      break;
    case CompareTarget.Lease:
      r = kv.lease - (c.lease ?? 0);
      break;
  }
  switch (c.result) {
    case CompareResult.Equal:
      return r === 0;
    case CompareResult.NotEqual:
      return r !== 0;
    case CompareResult.Greater:
      return r > 0;
    case CompareResult.Less:
      return r < 0;
  }
}

/** Runs `check` on every non-txn op of the taken path. */
function checkPath(
  w: WriteTxn,
  req: TxnRequest,
  path: readonly boolean[],
  at: { i: number },
  check: (w: WriteTxn, op: RequestOp) => void,
): void {
  const ok = path[at.i++] === true;
  for (const op of branch(req, ok)) {
    if (op.requestTxn !== undefined) checkPath(w, op.requestTxn, path, at, check);
    else check(w, op);
  }
}

/** etcd's checkRequestPut, against the store before the txn. */
function checkPutOp(w: WriteTxn, op: RequestOp): void {
  const p = op.requestPut;
  if (p === undefined) return;
  if ((p.ignoreValue === true || p.ignoreLease === true) && !w.exists(p.key)) throw new KeyNotFoundError();
  const lease = p.lease ?? 0;
  if (lease !== 0 && !w.leaseExists(lease)) throw new LeaseNotFoundError(lease);
}

/** etcd's checkRequestRange, against the store before the txn. */
function checkRangeOp(w: WriteTxn, op: RequestOp): void {
  const rev = op.requestRange?.revision ?? 0;
  if (rev === 0) return;
  if (rev > w.beginRev) throw new FutureRevisionError(w.beginRev);
  if (rev < w.compactRev) throw new CompactedError(w.compactRev);
}

function applyPath(w: WriteTxn, req: TxnRequest, path: readonly boolean[], at: { i: number }): TxnResponse {
  const succeeded = path[at.i++] === true;
  const responses = branch(req, succeeded).map((op): ResponseOp => {
    if (op.requestRange !== undefined) return { responseRange: w.range(op.requestRange) };
    if (op.requestPut !== undefined) return { responsePut: w.put(op.requestPut) };
    if (op.requestDeleteRange !== undefined) return { responseDeleteRange: w.deleteRange(op.requestDeleteRange) };
    if (op.requestTxn !== undefined) return { responseTxn: applyPath(w, op.requestTxn, path, at) };
    return {};
  });
  return { header: { revision: 0 }, succeeded, responses };
}
