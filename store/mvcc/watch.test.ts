import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuplicateWatchIdError, WatcherRangeEmptyError } from './errors.js';
import { TestStore, b, ev } from './testing/helpers.js';
import type { RequestOp } from './types.js';
import { WatchFilter, WatchHub } from './watch.js';
import type { WatchResponse, WatchSink } from './watch.js';

/** A sink that records responses; with `room`, it refuses once that many are waiting to be taken. */
class Sink implements WatchSink {
  readonly got: WatchResponse[] = [];
  room = Infinity;
  send(resp: WatchResponse): boolean {
    if (this.room <= 0) return false;
    this.room--;
    this.got.push(resp);
    return true;
  }
  /** The responses as text, one line each, and forgets them. */
  take(): string[] {
    const out = this.got.splice(0).map((r) => {
      const flags = `${r.canceled === true ? ` canceled compact=${r.compactRevision}` : ''}${r.fragment === true ? ' fragment' : ''}`;
      return `#${r.watchId} @${r.revision}${flags}: ${r.events.map(ev).join(' | ')}`;
    });
    return out;
  }
}

const put = (k: string, v: string): RequestOp => ({ requestPut: { key: b(k), value: b(v) } });
const del = (k: string): RequestOp => ({ requestDeleteRange: { key: b(k) } });

/** 2 a=1, 3 b=1, 4 a=2, 5 delete a, 6 txn{c=1, b=2}, 7 a=3: the history of the etcd run below. */
function history(): TestStore {
  const t = TestStore.memory();
  t.put('a', '1');
  t.put('b', '1');
  t.put('a', '2');
  t.del('a');
  t.store.txn({ success: [put('c', '1'), put('b', '2')] }, t.next());
  t.put('a', '3');
  return t;
}

describe('watch hub', () => {
  it('reproduces etcd 3.4\'s responses for the same history and watches', () => {
    // recorded from etcd 3.4.23 (created responses omitted: the edge sends those)
    const t = history();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    assert.equal(s.watch({ key: b('\0'), rangeEnd: b('\0'), startRevision: 2, prevKv: true }), 0);
    assert.equal(s.watch({ key: b('a'), startRevision: 3, filters: [WatchFilter.NoPut] }), 1);
    assert.equal(s.watch({ key: b('b'), rangeEnd: b('c\0'), prevKv: true }), 2);
    assert.equal(s.watch({ key: b('a'), startRevision: 100 }), 3);
    assert.deepEqual(sink.take(), [], 'nothing is sent while watching');
    hub.syncUnsynced(1000);
    assert.deepEqual(sink.take(), [
      '#0 @7: PUT a=1 c2 m2 v1 | PUT b=1 c3 m3 v1 | PUT a=2 c2 m4 v2 prev(a=1 c2 m2 v1) | DELETE a= c0 m5 v0 prev(a=2 c2 m4 v2) | PUT c=1 c6 m6 v1 | PUT b=2 c3 m6 v2 prev(b=1 c3 m3 v1) | PUT a=3 c7 m7 v1',
      '#1 @7: DELETE a= c0 m5 v0',
    ]);
    t.store.txn({ success: [put('b', '3'), del('c'), put('e', '1')] }, t.next());
    assert.deepEqual(sink.take().sort(), [ // the order across watchers is unspecified (a Go map in etcd)
      '#0 @8: PUT b=3 c3 m8 v3 prev(b=2 c3 m6 v2) | DELETE c= c0 m8 v0 prev(c=1 c6 m6 v1) | PUT e=1 c8 m8 v1',
      '#2 @8: PUT b=3 c3 m8 v3 prev(b=2 c3 m6 v2) | DELETE c= c0 m8 v0 prev(c=1 c6 m6 v1)',
    ]);
    t.store.compact({ revision: 6 }, t.next());
    assert.equal(s.watch({ key: b('a'), startRevision: 5 }), 4);
    assert.equal(s.watch({ key: b('a'), startRevision: 6, prevKv: true }), 5);
    hub.syncUnsynced(1000);
    assert.deepEqual(sink.take(), ['#4 @0 canceled compact=6: ', '#5 @8: PUT a=3 c7 m7 v1']);
    assert.deepEqual(s.ids(), [0, 1, 2, 3, 5], 'the compacted watcher is gone');
  });

  it('delivers each commit to synced watchers in order, one response per revision', () => {
    const t = TestStore.memory();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b('k') });
    s.watch({ key: b('j'), rangeEnd: b('l') });
    t.put('k', '1');
    t.put('other', 'x');
    t.put('k', '2');
    t.del('k');
    assert.equal(hub.behind, 0);
    assert.deepEqual(sink.take(), [
      '#0 @2: PUT k=1 c2 m2 v1',
      '#1 @2: PUT k=1 c2 m2 v1',
      '#0 @4: PUT k=2 c2 m4 v2',
      '#1 @4: PUT k=2 c2 m4 v2',
      '#0 @5: DELETE k= c0 m5 v0',
      '#1 @5: DELETE k= c0 m5 v0',
    ]);
  });

  it('filters puts or deletes, and sends nothing when all of a batch is filtered', () => {
    const t = TestStore.memory();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b('k'), filters: [WatchFilter.NoDelete] });
    s.watch({ key: b('k'), filters: [WatchFilter.NoPut], prevKv: true });
    s.watch({ key: b('k'), filters: [WatchFilter.NoPut, WatchFilter.NoDelete] });
    t.put('k', '1');
    t.del('k');
    assert.deepEqual(sink.take(), ['#0 @2: PUT k=1 c2 m2 v1', '#1 @3: DELETE k= c0 m3 v0 prev(k=1 c2 m2 v1)']);
  });

  it('cancels, and checks ranges and ids as etcd does', () => {
    const t = TestStore.memory();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    const other = hub.newStream(new Sink());
    assert.equal(s.watch({ key: b('a') }), 0);
    assert.equal(s.watch({ key: b('a'), watchId: 7 }), 7);
    assert.equal(s.watch({ key: b('a') }), 1);
    assert.equal(other.watch({ key: b('a'), watchId: 7 }), 7, 'ids are per stream');
    assert.throws(() => s.watch({ key: b('a'), watchId: 7 }), DuplicateWatchIdError);
    assert.throws(() => s.watch({ key: b('b'), rangeEnd: b('a') }), WatcherRangeEmptyError);
    assert.throws(() => s.watch({ key: b('b'), rangeEnd: b('b') }), WatcherRangeEmptyError);
    assert.equal(s.cancel(0), true);
    assert.equal(s.cancel(0), false);
    t.put('a', '1');
    assert.deepEqual(sink.take(), ['#7 @2: PUT a=1 c2 m2 v1', '#1 @2: PUT a=1 c2 m2 v1']);
    s.close();
    t.put('a', '2');
    assert.deepEqual(sink.take(), []);
  });

  it('an empty key watches "\\0" (etcd), and "\\0"..."\\0" watches everything', () => {
    const t = TestStore.memory();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b(''), rangeEnd: b('\0') });
    t.put('x', '1');
    assert.deepEqual(sink.take(), ['#0 @2: PUT x=1 c2 m2 v1']);
  });

  it('progress goes only to synced watchers, with the current revision', () => {
    const t = history();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b('a') });
    s.watch({ key: b('a'), startRevision: 2 });
    assert.equal(s.progress(0), true);
    assert.equal(s.progress(1), false);
    assert.equal(s.progress(9), false);
    assert.deepEqual(sink.take(), ['#0 @7: ']);
    assert.equal(hub.currentRevision, 7);
  });

  it('a watcher far behind catches up in bounded batches of whole revisions while writes continue', () => {
    const t = TestStore.memory();
    const ops = (i: number): RequestOp[] => [put(`k${i % 7}`, String(i)), put(`j${i % 5}`, String(i)), ...(i % 4 === 0 ? [del(`k${(i + 3) % 7}`)] : [])];
    for (let i = 0; i < 60; i++) t.store.txn({ success: ops(i) }, t.next());
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b('\0'), rangeEnd: b('\0'), startRevision: 2 });
    const fast = hub.newStream(new Sink());
    fast.watch({ key: b('\0'), rangeEnd: b('\0') });
    let rounds = 0;
    for (let i = 60; hub.behind > 0; i++) {
      hub.syncUnsynced(10);
      t.store.txn({ success: ops(i) }, t.next()); // the writer never waits for the watcher
      rounds++;
      assert.ok(rounds < 100, 'catches up');
    }
    const responses = sink.got;
    const revisions = responses.flatMap((r) => r.events.map((e) => e.kv.modRevision));
    const expected = t.store.changes(b('\0'), b('\0'), 2, 100000).events.map((e) => e.kv.modRevision);
    assert.deepEqual(revisions, expected, 'every event, once, in order');
    for (const r of responses) {
      assert.ok(r.events.length <= 10, 'bounded batches');
      const last = r.events.at(-1)!.kv.modRevision;
      const next = responses[responses.indexOf(r) + 1]?.events[0]?.kv.modRevision ?? Infinity;
      assert.ok(next > last, 'a revision is never split across responses');
    }
    assert.ok(rounds > 10, 'it took many rounds');
  });

  it('one revision larger than the batch goes whole, or in fragments when the watch asked for them', () => {
    const t = TestStore.memory();
    const big = Array.from({ length: 7 }, (_, i) => put(`k${i}`, 'v'));
    t.store.txn({ success: big }, t.next());
    t.put('z', '1');
    const hub = new WatchHub(t.store, { fragmentEvents: 3 });
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b('\0'), rangeEnd: b('\0'), startRevision: 1 });
    s.watch({ key: b('\0'), rangeEnd: b('\0'), startRevision: 1, fragment: true });
    hub.syncUnsynced(2);
    assert.deepEqual(sink.got.map((r) => [r.watchId, r.events.length, r.fragment ?? false]), [
      [0, 7, false],
    ]);
    hub.syncUnsynced(2);
    hub.syncUnsynced(2);
    assert.deepEqual(sink.got.map((r) => [r.watchId, r.events.length, r.fragment ?? false]), [
      [0, 7, false],
      [1, 3, true],
      [1, 3, true],
      [1, 1, false],
      [0, 1, false],
      [1, 1, false],
    ]);
    assert.equal(hub.behind, 0);
  });

  it('a sink that refuses makes its watcher a victim, which resends and catches up without loss', () => {
    const t = TestStore.memory();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    const s = hub.newStream(sink);
    s.watch({ key: b('k') });
    sink.room = 1;
    t.put('k', '1');
    t.put('k', '2'); // refused: the watcher becomes a victim holding it
    t.put('k', '3'); // not sent: the watcher is not synced
    assert.equal(hub.behind, 1);
    assert.equal(hub.syncUnsynced(100), 1, 'still refused');
    sink.room = Infinity;
    hub.syncUnsynced(100); // resends @3's response, then catches up from history
    hub.syncUnsynced(100);
    t.put('k', '4');
    assert.deepEqual(sink.take(), ['#0 @2: PUT k=1 c2 m2 v1', '#0 @3: PUT k=2 c2 m3 v2', '#0 @4: PUT k=3 c2 m4 v3', '#0 @5: PUT k=4 c2 m5 v4']);
    assert.equal(hub.behind, 0);
  });

  it('a watcher starting in the future gets nothing before its start revision', () => {
    const t = TestStore.memory();
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    hub.newStream(sink).watch({ key: b('k'), startRevision: 4 });
    t.put('k', '1');
    t.put('k', '2');
    t.put('k', '3');
    assert.deepEqual(sink.take(), ['#0 @4: PUT k=3 c2 m4 v3']);
  });

  it('replayed prevKv is omitted when the previous revision is compacted (as etcd)', () => {
    const t = TestStore.memory();
    t.put('k', '1');
    t.put('k', '2');
    t.put('x', '1');
    t.put('k', '3');
    t.store.compact({ revision: 4 }, t.next());
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    hub.newStream(sink).watch({ key: b('k'), startRevision: 4, prevKv: true });
    hub.syncUnsynced(10);
    assert.deepEqual(sink.take(), ['#0 @5: PUT k=3 c2 m5 v3 prev(k=2 c2 m3 v2)']);
  });

  it('after a restore, synced watchers catch up from the revision after the last they saw', () => {
    const source = history();
    const t = TestStore.memory();
    t.put('a', 'old');
    const hub = new WatchHub(t.store);
    const sink = new Sink();
    hub.newStream(sink).watch({ key: b('a') });
    t.store.restore(source.store.snapshot()); // revisions 3..7 of `source` are new to the watcher
    assert.equal(hub.behind, 1);
    hub.syncUnsynced(100);
    assert.deepEqual(sink.take(), ['#0 @7: PUT a=2 c2 m4 v2 | DELETE a= c0 m5 v0 | PUT a=3 c7 m7 v1']);
    t.index = t.store.consistentIndex();
    t.put('a', '4');
    assert.deepEqual(sink.take(), ['#0 @8: PUT a=4 c7 m8 v2']);
  });
});
