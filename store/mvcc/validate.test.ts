import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, KeyNotFoundError } from './errors.js';
import { b } from './testing/helpers.js';
import type { RequestOp, TxnRequest } from './types.js';
import { MAX_TXN_OPS, checkDelete, checkPut, checkRange, checkTxn, isTxnReadOnly } from './validate.js';

const put = (k: string): RequestOp => ({ requestPut: { key: b(k), value: b('v') } });
const del = (k: string, end?: string): RequestOp => ({
  requestDeleteRange: { key: b(k), rangeEnd: end === undefined ? undefined : b(end) },
});
const txn = (success: RequestOp[] = [], failure: RequestOp[] = []): RequestOp => ({ requestTxn: { success, failure } });
const puts = (n: number, prefix = 'k'): RequestOp[] => Array.from({ length: n }, (_, i) => put(`${prefix}${i}`));

/** Throws the InvalidRequestError kind, or returns 'ok'. */
function outcome(f: () => void): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof InvalidRequestError) return e.kind;
    if (e instanceof KeyNotFoundError) return 'KeyNotFound';
    throw e;
  }
}

describe('duplicate-key rule (every row checked against etcd 3.4)', () => {
  const cases: [string, RequestOp[], string][] = [
    ['put a, put a', [put('a'), put('a')], 'DuplicateKey'],
    ['put a, put b', [put('a'), put('b')], 'ok'],
    ['put a, delete a', [put('a'), del('a')], 'DuplicateKey'],
    ['delete [a,c), put b', [del('a', 'c'), put('b')], 'DuplicateKey'],
    ['delete [a,c), put c', [del('a', 'c'), put('c')], 'ok'],
    ['delete from a ("\\0"), put b: etcd 3.4 does not see it', [del('a', '\0'), put('b')], 'ok'],
    ['delete [c,a) (empty), put b', [del('c', 'a'), put('b')], 'ok'],
    ['delete a, delete a', [del('a'), del('a')], 'ok'],
    ['put a, txn{put a}', [put('a'), txn([put('a')])], 'DuplicateKey'],
    ['txn{put a | put a}: the branches exclude each other', [txn([put('a')], [put('a')])], 'ok'],
    ['txn{put a}, txn{put a}', [txn([put('a')]), txn([put('a')])], 'DuplicateKey'],
    ['txn{put a}, txn{| put a}', [txn([put('a')]), txn([], [put('a')])], 'DuplicateKey'],
    ['delete a, txn{put a}', [del('a'), txn([put('a')])], 'DuplicateKey'],
    ['txn{delete a}, put a', [txn([del('a')]), put('a')], 'DuplicateKey'],
    ['txn{delete a}, txn{put a}', [txn([del('a')]), txn([put('a')])], 'DuplicateKey'],
    ['txn{put a}, txn{delete a}: etcd checks puts against earlier deletes only', [txn([put('a')]), txn([del('a')])], 'ok'],
    ['txn{delete a | put a}', [txn([del('a')], [put('a')])], 'ok'],
    ['txn{| delete [a,c)}, put b', [txn([], [del('a', 'c')]), put('b')], 'DuplicateKey'],
    ['txn{txn{delete a}}, put a', [txn([txn([del('a')])]), put('a')], 'DuplicateKey'],
  ];
  for (const [name, success, want] of cases) {
    it(name, () => {
      assert.equal(outcome(() => checkTxn({ success })), want);
      assert.equal(outcome(() => checkTxn({ failure: success })), want, 'the failure branch follows the same rule');
    });
  }
});

describe('op limit (per level, as etcd counts it)', () => {
  const cases: [string, TxnRequest, string][] = [
    ['128 puts', { success: puts(128) }, 'ok'],
    ['129 puts', { success: puts(129) }, 'TooManyOps'],
    ['129 in failure', { failure: puts(129) }, 'TooManyOps'],
    ['128 compares', { compare: Array.from({ length: 128 }, () => ({ key: b('a'), target: 0, result: 0 })) }, 'ok'],
    ['129 compares', { compare: Array.from({ length: 129 }, () => ({ key: b('a'), target: 0, result: 0 })) }, 'TooManyOps'],
    ['128 compares and 128 puts: the largest list counts', { compare: Array.from({ length: 128 }, () => ({ key: b('a'), target: 0, result: 0 })), success: puts(128) }, 'ok'],
    ['100 ops and a nested txn of 28: the nested budget is 128 - 100', { success: [...puts(99), txn(puts(28, 'n'))] }, 'ok'],
    ['100 ops and a nested txn of 29', { success: [...puts(99), txn(puts(29, 'n'))] }, 'TooManyOps'],
  ];
  for (const [name, req, want] of cases) it(name, () => assert.equal(outcome(() => checkTxn(req)), want));
  it('MAX_TXN_OPS is etcd\'s default', () => assert.equal(MAX_TXN_OPS, 128));
});

describe('request checks', () => {
  const cases: [string, () => void, string][] = [
    ['range without a key', () => checkRange({ key: b('') }), 'EmptyKey'],
    ['delete without a key', () => checkDelete({ key: b('') }), 'EmptyKey'],
    ['put without a key', () => checkPut({ key: b(''), value: b('v') }), 'EmptyKey'],
    ['put ignoreValue with a value', () => checkPut({ key: b('k'), value: b('v'), ignoreValue: true }), 'ValueProvided'],
    ['put ignoreValue with an empty value', () => checkPut({ key: b('k'), value: b(''), ignoreValue: true }), 'ok'],
    ['put ignoreLease with a lease', () => checkPut({ key: b('k'), lease: 5, ignoreLease: true }), 'LeaseProvided'],
    ['txn compare without a key', () => checkTxn({ compare: [{ key: b(''), target: 0, result: 0 }] }), 'EmptyKey'],
    ['txn with an empty op: etcd says key not found', () => checkTxn({ success: [{}] }), 'KeyNotFound'],
    ['nested txn op checks', () => checkTxn({ failure: [txn([{ requestPut: { key: b('k'), lease: 1, ignoreLease: true } }])] }), 'LeaseProvided'],
    ['the op limit comes before op checks', () => checkTxn({ success: [{ requestRange: { key: b('') } }, ...puts(128)] }), 'TooManyOps'],
    ['op checks come before the duplicate rule', () => checkTxn({ success: [put('a'), put('a'), { requestRange: { key: b('') } }] }), 'EmptyKey'],
  ];
  for (const [name, f, want] of cases) it(name, () => assert.equal(outcome(f), want));

  it('messages are etcd\'s, without the "etcdserver: " prefix', () => {
    assert.throws(() => checkTxn({ success: puts(129) }), { message: 'too many operations in txn request' });
    assert.throws(() => checkTxn({ success: [put('a'), put('a')] }), { message: 'duplicate key given in txn request' });
    assert.throws(() => checkRange({ key: b('') }), { message: 'key is not provided', code: 'InvalidRequest' });
  });
});

describe('isTxnReadOnly (etcd: every op of both branches is a range)', () => {
  const cases: [string, TxnRequest, boolean][] = [
    ['empty', {}, true],
    ['ranges only', { success: [{ requestRange: { key: b('a') } }], failure: [{ requestRange: { key: b('b') } }] }, true],
    ['a put in the failure branch', { failure: [put('a')] }, false],
    ['a delete', { success: [del('a')] }, false],
    ['a nested txn, even of ranges', { success: [{ requestTxn: { success: [{ requestRange: { key: b('a') } }] } }] }, false],
  ];
  for (const [name, req, want] of cases) it(name, () => assert.equal(isTxnReadOnly(req), want));
});
