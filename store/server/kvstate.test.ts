import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyNotFoundError } from '../mvcc/errors.js';
import { MvccStore } from '../mvcc/store.js';
import { KvStateMachine } from './kvstate.js';
import { StateMachineFailure } from './member.js';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'kubeling-kvstate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('KvStateMachine', () => {
  it('applies a Ready’s entries in one batch; a refused one is recorded as applied and the rest commit', () => {
    const file = join(dir, 'batch.db');
    const sm = new KvStateMachine(MvccStore.open(file));
    const results: unknown[] = [];
    sm.batch(() => {
      results.push(sm.apply({ put: { key: enc.encode('a'), value: enc.encode('1') } }, 1));
      assert.throws(() => sm.apply({ put: { key: enc.encode('nope'), value: enc.encode(''), ignoreValue: true } }, 2), KeyNotFoundError);
      results.push(sm.apply({ put: { key: enc.encode('b'), value: enc.encode('2') } }, 3));
    });
    assert.equal(sm.consistentIndex(), 3);
    assert.deepEqual(results.map((r) => (r as { header: { revision: number } }).header.revision), [2, 3]);
    sm.store.close();
    const reopened = MvccStore.open(file);
    assert.equal(reopened.consistentIndex(), 3, 'the batch is on disk');
    assert.deepEqual(reopened.range({ key: enc.encode('a'), rangeEnd: enc.encode('c') }).kvs.map((kv) => kv.modRevision), [2, 3]);
    reopened.close();
  });

  it('restores a snapshot only when it is ahead of what was applied', () => {
    const ahead = new KvStateMachine(MvccStore.open(':memory:'));
    ahead.batch(() => [1, 2, 3].forEach((i) => ahead.apply({ put: { key: enc.encode(`k${i}`), value: enc.encode('v') } }, i)));
    assert.equal(MvccStore.consistentIndexOf(ahead.snapshotBytes()), 3);
    const sm = new KvStateMachine(MvccStore.open(join(dir, 'restore.db')));
    sm.apply({ put: { key: enc.encode('mine'), value: enc.encode('x') } }, 1);
    const behind = sm.snapshotBytes();
    sm.restoreBytes(ahead.snapshotBytes());
    assert.equal(sm.consistentIndex(), 3);
    assert.equal(sm.store.range({ key: enc.encode('k'), rangeEnd: enc.encode('l') }).count, 3);
    sm.restoreBytes(behind);
    assert.equal(sm.consistentIndex(), 3, 'an older snapshot is ignored');
    assert.throws(() => MvccStore.consistentIndexOf(new Uint8Array(200)), /not a SQLite database/);
    ahead.store.close();
    sm.store.close();
  });

  it('a failure that is not the request’s fault is a StateMachineFailure (the member stops), not an answer', () => {
    const sm = new KvStateMachine(MvccStore.open(join(dir, 'closed.db')));
    sm.store.close();
    assert.throws(() => sm.apply({ put: { key: enc.encode('a'), value: enc.encode('1') } }, 1), StateMachineFailure);
  });
});
