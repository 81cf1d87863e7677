import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactedError, FutureRevisionError, InvalidRequestError, KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { TestStore, b, ev, kv } from './testing/helpers.js';
import { CompareResult, CompareTarget } from './types.js';
import type { Compare, RequestOp, TxnRequest } from './types.js';

const { Equal, Greater, Less, NotEqual } = CompareResult;
const put = (k: string, v = 'v'): RequestOp => ({ requestPut: { key: b(k), value: b(v) } });
const get = (k: string, end?: string): RequestOp => ({ requestRange: { key: b(k), rangeEnd: end === undefined ? undefined : b(end) } });
const del = (k: string, end?: string): RequestOp => ({
  requestDeleteRange: { key: b(k), rangeEnd: end === undefined ? undefined : b(end) },
});

/** k: created at 2, modified at 3 (version 2), value "v", lease 7; other: created and modified at 4. */
function fixture(): TestStore {
  const t = TestStore.memory();
  t.store.leases.grant(7, 100, t.next());
  t.put('k', 'u');
  t.put('k', 'v', { lease: 7 });
  t.put('other', 'o');
  return t;
}

function succeeds(t: TestStore, compare: Compare[]): boolean {
  return t.store.readTxn({ compare, success: [], failure: [] }).succeeded;
}

describe('txn compares', () => {
  const on = (target: CompareTarget, result: CompareResult, field: Partial<Compare>, key = 'k'): Compare => ({
    key: b(key),
    target,
    result,
    ...field,
  });
  const cases: [string, Compare, boolean][] = [
    ['version = 2', on(CompareTarget.Version, Equal, { version: 2 }), true],
    ['version = 1', on(CompareTarget.Version, Equal, { version: 1 }), false],
    ['version > 1', on(CompareTarget.Version, Greater, { version: 1 }), true],
    ['version > 2', on(CompareTarget.Version, Greater, { version: 2 }), false],
    ['version < 3', on(CompareTarget.Version, Less, { version: 3 }), true],
    ['version != 2', on(CompareTarget.Version, NotEqual, { version: 2 }), false],
    ['create = 2', on(CompareTarget.Create, Equal, { createRevision: 2 }), true],
    ['create > 2', on(CompareTarget.Create, Greater, { createRevision: 2 }), false],
    ['create < 3', on(CompareTarget.Create, Less, { createRevision: 3 }), true],
    ['create != 1', on(CompareTarget.Create, NotEqual, { createRevision: 1 }), true],
    ['mod = 3', on(CompareTarget.Mod, Equal, { modRevision: 3 }), true],
    ['mod > 2', on(CompareTarget.Mod, Greater, { modRevision: 2 }), true],
    ['mod < 3', on(CompareTarget.Mod, Less, { modRevision: 3 }), false],
    ['mod != 3', on(CompareTarget.Mod, NotEqual, { modRevision: 3 }), false],
    ['value = "v"', on(CompareTarget.Value, Equal, { value: b('v') }), true],
    ['value > "u" (bytes)', on(CompareTarget.Value, Greater, { value: b('u') }), true],
    ['value < "va"', on(CompareTarget.Value, Less, { value: b('va') }), true],
    ['value != "v"', on(CompareTarget.Value, NotEqual, { value: b('v') }), false],
    ['lease = 7', on(CompareTarget.Lease, Equal, { lease: 7 }), true],
    ['lease > 0', on(CompareTarget.Lease, Greater, { lease: 0 }), true],
    ['lease < 7', on(CompareTarget.Lease, Less, { lease: 7 }), false],
    ['lease != 8', on(CompareTarget.Lease, NotEqual, { lease: 8 }), true],
    ['the target field missing compares with 0', on(CompareTarget.Mod, Greater, { version: 99 }), true],
    ['missing key: version = 0', on(CompareTarget.Version, Equal, { version: 0 }, 'nope'), true],
    ['missing key: create = 0', on(CompareTarget.Create, Equal, { createRevision: 0 }, 'nope'), true],
    ['missing key: mod < 1', on(CompareTarget.Mod, Less, { modRevision: 1 }, 'nope'), true],
    ['missing key: lease = 0', on(CompareTarget.Lease, Equal, { lease: 0 }, 'nope'), true],
    ['missing key: any value compare fails', on(CompareTarget.Value, NotEqual, { value: b('x') }, 'nope'), false],
    ['missing key: even value = ""', on(CompareTarget.Value, Equal, { value: b('') }, 'nope'), false],
    ['range: every key must match', { ...on(CompareTarget.Version, Equal, { version: 2 }), rangeEnd: b('\0') }, false],
    ['range: every key matches', { ...on(CompareTarget.Create, Greater, { createRevision: 1 }), rangeEnd: b('\0') }, true],
    ['empty range compares a zero KeyValue', { ...on(CompareTarget.Version, Equal, { version: 0 }, 'x'), rangeEnd: b('y') }, true],
    ['empty range fails a value compare', { ...on(CompareTarget.Value, Equal, { value: b('') }, 'x'), rangeEnd: b('y') }, false],
  ];
  for (const [name, c, want] of cases) it(name, () => assert.equal(succeeds(fixture(), [c]), want));

  it('all compares must hold', () => {
    const t = fixture();
    const yes = on(CompareTarget.Version, Equal, { version: 2 });
    const no = on(CompareTarget.Version, Equal, { version: 5 });
    assert.equal(succeeds(t, [yes, yes]), true);
    assert.equal(succeeds(t, [yes, no]), false);
    assert.equal(succeeds(t, []), true, 'no compares: success');
  });
});

describe('txn execution', () => {
  it('runs the branch the compares pick, with a response per op', () => {
    const t = fixture();
    const req: TxnRequest = {
      compare: [{ key: b('k'), target: CompareTarget.Value, result: Equal, value: b('v') }],
      success: [put('a', '1'), get('a')],
      failure: [put('b', '2')],
    };
    const { response, events } = t.store.txn(req, t.next());
    assert.equal(response.succeeded, true);
    assert.equal(response.header.revision, 5);
    assert.deepEqual(response.responses[0], { responsePut: { header: { revision: 5 } } });
    assert.deepEqual(response.responses[1]?.responseRange?.kvs.map(kv), ['a=1 c5 m5 v1'], 'a range sees the txn\'s earlier put');
    assert.deepEqual(events.map(ev), ['PUT a=1 c5 m5 v1']);
    const failed = t.store.txn({ ...req, compare: [{ ...req.compare![0]!, value: b('w') }] }, t.next()).response;
    assert.equal(failed.succeeded, false);
    assert.deepEqual(failed.responses, [{ responsePut: { header: { revision: 6 } } }]);
  });

  it('takes one revision for all its writes, with sub-revisions in op order', () => {
    const t = fixture();
    const { response, events } = t.store.txn({ success: [put('z'), del('k'), put('a'), del('nothing')] }, t.next());
    assert.equal(response.header.revision, 5);
    assert.equal(t.store.currentRevision(), 5);
    assert.deepEqual(events.map(ev), [
      'PUT z=v c5 m5 v1',
      'DELETE k= c0 m5 v0 prev(k=v c2 m3 v2 l7)',
      'PUT a=v c5 m5 v1',
    ]);
  });

  it('moves the revision only when the branch taken writes; ops report the revision they saw', () => {
    const t = fixture();
    const r = t.store.txn({ success: [get('k'), del('nothing')], failure: [put('x')] }, t.next()).response;
    assert.equal(r.header.revision, 4);
    assert.equal(t.store.currentRevision(), 4);
    assert.equal(r.responses[0]?.responseRange?.header.revision, 4);
    assert.deepEqual(r.responses[1]?.responseDeleteRange, { header: { revision: 4 }, deleted: 0, prevKvs: [] });
    const w = t.store.txn({ success: [get('k'), put('x'), get('k'), del('nothing')] }, t.next()).response;
    assert.deepEqual(
      w.responses.map((o) => (o.responseRange ?? o.responsePut ?? o.responseDeleteRange)?.header.revision),
      [4, 5, 5, 5],
      'etcd: before the first write a read sees 4; after it, 5; a delete of nothing after a write says 5',
    );
  });

  it('nests: nested compares see the store before the txn; nested headers carry revision 0 (as etcd)', () => {
    const t = fixture();
    const nested: TxnRequest = {
      compare: [{ key: b('new'), target: CompareTarget.Version, result: Equal, version: 0 }],
      success: [put('seen-absent')],
      failure: [put('seen-present')],
    };
    const r = t.store.txn({ success: [put('new'), { requestTxn: nested }, get('seen', 'seen\xff')] }, t.next()).response;
    const inner = r.responses[1]?.responseTxn;
    assert.equal(inner?.succeeded, true, 'the nested compare did not see the put before it');
    assert.equal(inner?.header.revision, 0);
    assert.deepEqual(inner?.responses, [{ responsePut: { header: { revision: 5 } } }]);
    assert.deepEqual(r.responses[2]?.responseRange?.kvs.map(kv), ['seen-absent=v c5 m5 v1']);
  });

  it('nests several levels, following the path of each level\'s compares', () => {
    const t = fixture();
    const yes: Compare = { key: b('k'), target: CompareTarget.Version, result: Equal, version: 2 };
    const no: Compare = { key: b('k'), target: CompareTarget.Version, result: Equal, version: 9 };
    const leaf = (c: Compare, name: string): RequestOp => ({
      requestTxn: { compare: [c], success: [put(`${name}-then`)], failure: [put(`${name}-else`)] },
    });
    const r = t.store.txn(
      {
        compare: [no],
        success: [put('never')],
        failure: [leaf(yes, 'x'), { requestTxn: { compare: [yes], success: [leaf(no, 'y'), leaf(yes, 'z')] } }],
      },
      t.next(),
    );
    assert.deepEqual(r.events.map((e) => ev(e).split('=')[0]), ['PUT x-then', 'PUT y-else', 'PUT z-then']);
  });

  it('fails as a whole, before writing, on a missing lease, a missing key for ignore_*, or a bad read revision', () => {
    const cases: [string, RequestOp, new (...a: never[]) => Error][] = [
      ['missing lease', { requestPut: { key: b('a'), lease: 99 } }, LeaseNotFoundError],
      ['ignoreValue on a missing key', { requestPut: { key: b('nope'), ignoreValue: true } }, KeyNotFoundError],
      ['ignoreLease on a missing key', { requestPut: { key: b('nope'), ignoreLease: true } }, KeyNotFoundError],
      ['read at a future revision', { requestRange: { key: b('k'), revision: 5 } }, FutureRevisionError],
    ];
    for (const [name, bad, type] of cases) {
      const t = fixture();
      const index = t.next();
      assert.throws(() => t.store.txn({ success: [put('first'), bad] }, index), type, name);
      assert.equal(t.store.currentRevision(), 4, `${name}: nothing written`);
      assert.deepEqual(t.store.range({ key: b('first') }).kvs, []);
      assert.equal(t.store.consistentIndex(), index, `${name}: the entry still counts as applied`);
      assert.equal(t.store.txn({ success: [put('ok')], failure: [bad] }, t.next()).response.succeeded, true, `${name}: only the path taken is checked`);
    }
    const t = fixture();
    t.store.compact({ revision: 3 }, t.next());
    assert.throws(() => t.store.txn({ success: [put('a'), { requestRange: { key: b('k'), revision: 2 } }] }, t.next()), CompactedError);
  });

  it('refuses malformed txns with etcd\'s errors', () => {
    const t = fixture();
    assert.throws(() => t.store.txn({ success: [put('a'), put('a')] }, t.next()), { kind: 'DuplicateKey' });
    assert.throws(() => t.store.txn({ success: Array.from({ length: 129 }, (_, i) => put(`k${i}`)) }, t.next()), InvalidRequestError);
    assert.throws(() => t.store.txn({ success: [{}] }, t.next()), KeyNotFoundError);
    assert.equal(t.store.currentRevision(), 4);
  });

  it('a from-key delete and a put of a key in it: allowed (as etcd 3.4); ignore_* there fails cleanly (etcd panics)', () => {
    const t = fixture();
    const r = t.store.txn({ success: [del('a', '\0'), put('k', 'new')] }, t.next());
    assert.deepEqual(r.events.map(ev), [
      'DELETE k= c0 m5 v0 prev(k=v c2 m3 v2 l7)',
      'DELETE other= c0 m5 v0 prev(other=o c4 m4 v1)',
      'PUT k=new c5 m5 v1',
    ]);
    assert.deepEqual(t.all(), ['k=new c5 m5 v1']);
    const index = t.next();
    assert.throws(() => t.store.txn({ success: [del('a', '\0'), { requestPut: { key: b('k'), ignoreValue: true } }] }, index), KeyNotFoundError);
    assert.deepEqual(t.all(), ['k=new c5 m5 v1'], 'rolled back');
    assert.equal(t.store.consistentIndex(), index);
  });

  it('a put then a from-key delete of it in one txn: both events, the key gone', () => {
    const t = fixture();
    const { events } = t.store.txn({ success: [put('zz', 'x'), del('z', '\0')] }, t.next());
    assert.deepEqual(events.map(ev), ['PUT zz=x c5 m5 v1', 'DELETE zz= c0 m5 v0']);
    assert.deepEqual(t.store.range({ key: b('zz') }).kvs, []);
  });

  it('readTxn serves read-only txns without an index and refuses writing ones', () => {
    const t = fixture();
    const r = t.store.readTxn({ success: [get('k')], failure: [get('other')] });
    assert.deepEqual(r.responses[0]?.responseRange?.kvs.map(kv), ['k=v c2 m3 v2 l7']);
    assert.throws(() => t.store.readTxn({ success: [put('a')] }), /readTxn/);
  });
});
