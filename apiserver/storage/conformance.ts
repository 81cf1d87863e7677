/**
 * The StoreClient contract as a test suite, run against every backend (a
 * kubeling store and a real etcd, each fresh) so the registry can rely on
 * the same answers from each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from './errors.js';
import type { StoreClient, StoreEvent } from './interface.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString();

/** A fresh backend for one suite, and how to stop it. */
export interface Backend {
  readonly client: StoreClient;
  stop(): Promise<void>;
}

/** Collects a watch's events until `n` have arrived (or it ends). */
function collect(client: StoreClient, prefix: string, after: number, n: number): Promise<{ events: StoreEvent[]; ended?: Error }> {
  return new Promise((resolve) => {
    const events: StoreEvent[] = [];
    const w = client.watch(prefix, after, {
      events: (es) => {
        events.push(...es);
        if (events.length >= n) {
          w.cancel();
          resolve({ events });
        }
      },
      ended: (e) => resolve({ events, ended: e }),
    });
  });
}

/** Registers the suite under `name`; `open` starts a fresh backend. */
export function storeConformance(name: string, open: () => Promise<Backend>): void {
  describe(`StoreClient conformance: ${name}`, () => {
    let b: Backend;
    let s: StoreClient;
    before(async () => {
      b = await open();
      s = b.client;
    });
    after(async () => {
      s?.close();
      await b?.stop();
    });

    it('create, get, update guarded by modRevision, delete', async () => {
      const a = await s.create('/registry/configmaps/default/a', enc('one'));
      assert.equal(a.createRevision, a.modRevision);
      await assert.rejects(s.create('/registry/configmaps/default/a', enc('again')), KeyExistsError);
      const got = await s.get('/registry/configmaps/default/a');
      assert.equal(text(got.value!.value), 'one');
      assert.equal(got.value!.modRevision, a.modRevision);
      assert.ok(got.revision >= a.modRevision);

      const u = await s.update('/registry/configmaps/default/a', enc('two'), a.modRevision);
      assert.ok(u.modRevision > a.modRevision);
      assert.deepEqual([u.key, text(u.value)], ['/registry/configmaps/default/a', 'two']);
      const after = (await s.get('/registry/configmaps/default/a')).value!;
      assert.deepEqual([after.modRevision, after.createRevision], [u.modRevision, a.createRevision]);
      const stale = await s.update('/registry/configmaps/default/a', enc('three'), a.modRevision).catch((e: unknown) => e);
      assert.ok(stale instanceof RevisionConflictError);
      assert.equal(text(stale.current.value), 'two');
      assert.equal(stale.current.modRevision, u.modRevision);
      await assert.rejects(s.update('/registry/configmaps/default/nope', enc('x'), 5), KeyNotFoundError);

      await assert.rejects(s.delete('/registry/configmaps/default/a', a.modRevision), RevisionConflictError);
      const d = await s.delete('/registry/configmaps/default/a', u.modRevision);
      assert.equal(text(d.deleted.value), 'two');
      assert.ok(d.revision > u.modRevision);
      assert.equal((await s.get('/registry/configmaps/default/a')).value, undefined);
      await assert.rejects(s.delete('/registry/configmaps/default/a'), KeyNotFoundError);
    });

    it('lists a prefix in key order, in pages at one revision', async () => {
      for (const n of ['c', 'a', 'b', 'd']) await s.create(`/registry/pods/ns1/${n}`, enc(n));
      await s.create('/registry/pods/ns10/x', enc('x'));
      await s.create('/registry/podsx/y', enc('y'));
      const all = await s.list('/registry/pods/ns1/');
      assert.deepEqual(all.items.map((i) => i.key.split('/').pop()), ['a', 'b', 'c', 'd']);
      assert.equal(all.more, false);
      assert.equal(all.remaining, 0);

      const p1 = await s.list('/registry/pods/', { limit: 2 });
      assert.deepEqual(p1.items.map((i) => i.key), ['/registry/pods/ns1/a', '/registry/pods/ns1/b']);
      assert.equal(p1.more, true);
      assert.equal(p1.remaining, 3);
      await s.update('/registry/pods/ns1/c', enc('c2'), (await s.get('/registry/pods/ns1/c')).value!.modRevision);
      const p2 = await s.list('/registry/pods/', { start: `${p1.items[1]!.key}\0`, limit: 2, revision: p1.revision });
      assert.deepEqual(p2.items.map((i) => `${i.key}=${text(i.value)}`), ['/registry/pods/ns1/c=c', '/registry/pods/ns1/d=d'], 'the page reads the first page\'s revision');
      assert.equal(p2.revision, p1.revision);
      assert.equal(p2.remaining, 1);
    });

    it('counts versions from creation, reports no lease, reads one key at a past revision, lists keys only', async () => {
      const k = '/registry/services/v/a';
      const a = await s.create(k, enc('1'));
      assert.deepEqual([a.version, a.lease], [1, '0']);
      const b2 = await s.update(k, enc('2'), a.modRevision);
      await s.create(`${k}b`, enc('a longer key under the prefix k'));
      const got = (await s.get(k)).value!;
      assert.deepEqual([got.version, got.lease, got.createRevision, got.modRevision], [2, '0', a.modRevision, b2.modRevision]);

      // one key at a revision: the first key of the prefix `k`, which is `k` itself
      const then = await s.list(k, { limit: 1, revision: a.modRevision });
      assert.deepEqual(then.items.map((i) => [i.key, text(i.value), i.version]), [[k, '1', 1]]);
      assert.equal(then.revision, a.modRevision);
      const before = await s.list(k, { limit: 1, revision: a.modRevision - 1 });
      assert.deepEqual(before.items, []);

      const d = await s.delete(k);
      assert.equal(d.deleted.version, 2);
      const again = await s.create(k, enc('3'));
      assert.equal(again.version, 1, 'a re-created key counts from 1');

      const keys = await s.list('/registry/services/v/', { keysOnly: true });
      assert.deepEqual(keys.items.map((i) => [i.key, i.value.length, i.version]), [[k, 0, 1], [`${k}b`, 0, 1]]);
    });

    it('watches a prefix from a revision, with the previous value of deletes and updates', async () => {
      const first = await s.create('/registry/secrets/w/a', enc('1'));
      const updated = await s.update('/registry/secrets/w/a', enc('2'), first.modRevision);
      await s.create('/registry/secretsx/other', enc('not in the prefix'));
      await s.delete('/registry/secrets/w/a');
      const { events } = await collect(s, '/registry/secrets/', first.modRevision - 1, 3);
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.kv.key} ${text(e.kv.value)} prev=${e.prev ? text(e.prev.value) : '-'}`),
        ['put /registry/secrets/w/a 1 prev=-', 'put /registry/secrets/w/a 2 prev=1', 'delete /registry/secrets/w/a  prev=2'],
      );
      assert.equal(events[1]!.kv.modRevision, updated.modRevision);

      // from now: only what comes after
      const live = collect(s, '/registry/secrets/', (await s.get('/registry/secrets/w/none')).revision, 1);
      await s.create('/registry/secrets/w/b', enc('3'));
      assert.deepEqual((await live).events.map((e) => e.kv.key), ['/registry/secrets/w/b']);
    });

    it('a compacted revision: lists and watches say so; a future one is refused', async () => {
      const a = await s.create('/registry/leases/c/a', enc('1'));
      const b2 = await s.update('/registry/leases/c/a', enc('2'), a.modRevision);
      await s.compact(b2.modRevision);
      await assert.rejects(s.list('/registry/leases/', { revision: a.modRevision }), CompactedError);
      await assert.rejects(s.list('/registry/leases/', { revision: b2.modRevision + 1000 }), FutureRevisionError);
      const { ended } = await collect(s, '/registry/leases/', a.modRevision - 1, 1);
      assert.ok(ended instanceof CompactedError);
      assert.equal(ended.compactRevision, b2.modRevision);
    });
  });
}
