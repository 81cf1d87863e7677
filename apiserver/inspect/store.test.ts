/**
 * The store part of the inspection API through a real API server over a
 * real 3-member kubeling store: the tree, a key and its metadata, history
 * across updates, a deletion and a re-creation, compaction, the watch
 * WebSocket, and who may write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { etcdctl } from '../../test/cluster.js';
import { storePart } from './store.js';
import { UiTestServer } from './testing/server.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const q = encodeURIComponent;

describe('the inspection API: store', () => {
  let t: UiTestServer;
  before(async () => {
    t = await UiTestServer.start((store) => ({ parts: [storePart(store)] }));
  });
  after(() => t?.stop());

  it('the tree counts the keys under each next segment, says which are keys, and scans /registry/', async () => {
    for (const k of ['/test/tree/a', '/test/tree/a/1', '/test/tree/a/2', '/test/tree/a-b', '/test/tree/b/x/y']) await t.store.create(k, enc('{}'));
    const r = await t.call('GET', `/ui/api/store/tree?prefix=${q('/test/tree/')}`);
    assert.equal(r.code, 200);
    assert.equal(r.body.prefix, '/test/tree/');
    assert.ok(r.body.revision > 0);
    assert.equal(r.body.truncated, undefined);
    assert.deepEqual(r.body.children, [
      { name: 'a', key: '/test/tree/a', count: 3, isKey: true },
      { name: 'a-b', key: '/test/tree/a-b', count: 1, isKey: true },
      { name: 'b', key: '/test/tree/b', count: 1, isKey: false },
    ]);
    const registry = await t.call('GET', '/ui/api/store/tree', undefined, 'viewer');
    const namespaces = registry.body.children.find((c: { name: string }) => c.name === 'namespaces');
    assert.deepEqual(namespaces, { name: 'namespaces', key: '/registry/namespaces', count: 4, isKey: false }, 'the API server made its 4 namespaces');
    const bad = await t.call('GET', `/ui/api/store/tree?prefix=${q('/registry')}`);
    assert.deepEqual([bad.code, bad.body.kind, bad.body.reason], [400, 'Status', 'BadRequest']);
  });

  it('a key: its value as JSON, text or base64, its revisions, version and lease, now or at a revision', async () => {
    const first = await t.store.create('/test/key/obj', enc('{"a":1}'));
    const second = await t.store.update('/test/key/obj', enc('{"a":2}'), first.modRevision);
    const now = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/obj')}`, undefined, 'viewer');
    assert.equal(now.code, 200);
    assert.deepEqual({ ...now.body, revision: undefined }, {
      key: '/test/key/obj', value: { a: 2 }, valueEncoding: 'json', createRevision: first.modRevision, modRevision: second.modRevision, version: 2, lease: '0', revision: undefined,
    });
    assert.ok(now.body.revision >= second.modRevision);
    const then = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/obj')}&revision=${first.modRevision}`);
    assert.deepEqual([then.body.value, then.body.version, then.body.revision], [{ a: 1 }, 1, first.modRevision]);

    await t.store.create('/test/key/text', enc('plain words'));
    await t.store.create('/test/key/bytes', Uint8Array.of(0xff, 0x00, 0xfe));
    const text = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/text')}`);
    assert.deepEqual([text.body.value, text.body.valueEncoding], ['plain words', 'text']);
    const bytes = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/bytes')}`);
    assert.deepEqual([bytes.body.value, bytes.body.valueEncoding], ['/wD+', 'base64']);

    // a lease, attached with etcdctl (the API server attaches none): its 64-bit id as a decimal string
    const granted = etcdctl(t.cluster.endpoints, ['lease', 'grant', '600']).stdout;
    const hex = /lease ([0-9a-f]+) granted/.exec(granted)![1]!;
    etcdctl(t.cluster.endpoints, ['put', '--lease', hex, '/test/key/leased', 'v']);
    const leased = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/leased')}`);
    assert.equal(leased.body.lease, BigInt(`0x${hex}`).toString());

    const missing = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/none')}`);
    assert.deepEqual([missing.code, missing.body.reason], [404, 'NotFound']);
    const before = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/obj')}&revision=${first.modRevision - 1}`);
    assert.deepEqual([before.code, before.body.reason], [404, 'NotFound'], 'absent at that revision');
    for (const bad of ['', '?key=', `?key=${q('/test/key/obj')}&revision=abc`, `?key=${q('/test/key/obj')}&revision=0`]) {
      const r = await t.call('GET', `/ui/api/store/key${bad}`);
      assert.deepEqual([r.code, r.body.reason], [400, 'BadRequest'], bad);
    }
    const nobody = await t.call('GET', `/ui/api/store/key?key=${q('/test/key/obj')}`, undefined, 'none');
    assert.equal(nobody.code, 401);
  });

  it('history: newest first, across updates, a deletion and a re-creation, to the first creation; within a limit', async () => {
    const k = '/test/hist/k';
    const v1 = await t.store.create(k, enc('{"v":1}'));
    const v2 = await t.store.update(k, enc('{"v":2}'), v1.modRevision);
    await t.store.create('/test/hist/k2', enc('a longer key under the prefix k: not in its history'));
    const v3 = await t.store.update(k, enc('not json'), v2.modRevision);
    const gone = await t.store.delete(k);
    const w1 = await t.store.create(k, enc('{"w":1}'));
    const w2 = await t.store.update(k, enc('{"w":2}'), w1.modRevision);

    const r = await t.call('GET', `/ui/api/store/history?key=${q(k)}`, undefined, 'viewer');
    assert.equal(r.code, 200);
    assert.equal(r.body.key, k);
    assert.equal(r.body.compactRevision, undefined);
    assert.ok(r.body.revision >= w2.modRevision);
    assert.deepEqual(r.body.versions, [
      { modRevision: w2.modRevision, createRevision: w1.modRevision, version: 2, value: { w: 2 }, valueEncoding: 'json', deleted: false },
      { modRevision: w1.modRevision, createRevision: w1.modRevision, version: 1, value: { w: 1 }, valueEncoding: 'json', deleted: false },
      { modRevision: gone.revision, createRevision: v1.modRevision, version: 0, value: null, valueEncoding: 'json', deleted: true },
      { modRevision: v3.modRevision, createRevision: v1.modRevision, version: 3, value: 'not json', valueEncoding: 'text', deleted: false },
      { modRevision: v2.modRevision, createRevision: v1.modRevision, version: 2, value: { v: 2 }, valueEncoding: 'json', deleted: false },
      { modRevision: v1.modRevision, createRevision: v1.modRevision, version: 1, value: { v: 1 }, valueEncoding: 'json', deleted: false },
    ]);
    const three = await t.call('GET', `/ui/api/store/history?key=${q(k)}&limit=3`);
    assert.deepEqual(three.body.versions.map((v: { modRevision: number }) => v.modRevision), [w2.modRevision, w1.modRevision, gone.revision]);

    // a key that is gone now: its deletion first
    const again = await t.store.delete(k);
    const now = await t.call('GET', `/ui/api/store/history?key=${q(k)}&limit=2`);
    assert.deepEqual(now.body.versions.map((v: { modRevision: number; deleted: boolean }) => [v.modRevision, v.deleted]), [[again.revision, true], [w2.modRevision, false]]);

    const never = await t.call('GET', `/ui/api/store/history?key=${q('/test/hist/never')}`);
    assert.deepEqual([never.code, never.body.reason], [404, 'NotFound']);
    const bad = await t.call('GET', `/ui/api/store/history?key=${q(k)}&limit=-1`);
    assert.equal(bad.code, 400);
  });

  it('the watch WebSocket sends a message per put and delete under its prefix, to any authenticated user', async () => {
    const ws = await t.socket(`/ui/api/store/watch?prefix=${q('/test/watch/')}`, 'viewer');
    try {
      const a = await t.store.create('/test/watch/a', enc('1'));
      await t.store.create('/test/other/b', enc('not under the prefix'));
      const a2 = await t.store.update('/test/watch/a', enc('2'), a.modRevision);
      const d = await t.store.delete('/test/watch/a');
      await ws.next((m: { type: string }) => m.type === 'delete');
      assert.deepEqual(ws.messages, [
        { type: 'put', key: '/test/watch/a', modRevision: a.modRevision, createRevision: a.modRevision, version: 1 },
        { type: 'put', key: '/test/watch/a', modRevision: a2.modRevision, createRevision: a.modRevision, version: 2 },
        { type: 'delete', key: '/test/watch/a', modRevision: d.revision, createRevision: a.modRevision, version: 0 },
      ]);
    } finally {
      ws.close();
    }
    // resuming after a revision replays what came after it
    const from = await t.store.create('/test/watch/b', enc('1'));
    const resumed = await t.socket(`/ui/api/store/watch?prefix=${q('/test/watch/')}&revision=${from.modRevision - 1}`);
    try {
      assert.equal((await resumed.next(() => true)).modRevision, from.modRevision);
    } finally {
      resumed.close();
    }
    await assert.rejects(t.socket('/ui/api/store/watch', 'none'), /refused: 401/);
    await assert.rejects(t.socket('/ui/api/store/watch?revision=x'), /refused: 400/);
  });

  it('writes: admins only (403 otherwise), confirmed (400 otherwise), optionally guarded by modRevision', async () => {
    const k = '/test/write/k';
    const refused = await t.call('PUT', '/ui/api/store/key', { key: k, value: { a: 1 }, confirm: true }, 'viewer');
    assert.deepEqual([refused.code, refused.body.kind, refused.body.reason], [403, 'Status', 'Forbidden']);
    assert.match(refused.body.message, /user "viewer" cannot write the store/);
    const unconfirmed = await t.call('PUT', '/ui/api/store/key', { key: k, value: { a: 1 } });
    assert.deepEqual([unconfirmed.code, unconfirmed.body.reason], [400, 'BadRequest']);
    assert.equal((await t.store.get(k)).value, undefined, 'nothing written');

    const put = await t.call('PUT', '/ui/api/store/key', { key: k, value: { a: 1 }, confirm: true });
    assert.equal(put.code, 200);
    assert.deepEqual([put.body.value, put.body.version], [{ a: 1 }, 1]);
    assert.equal(Buffer.from((await t.store.get(k)).value!.value).toString(), '{"a":1}');
    const text = await t.call('PUT', '/ui/api/store/key', { key: k, value: 'words', confirm: true });
    assert.deepEqual([text.body.value, text.body.valueEncoding, text.body.version], ['words', 'text', 2]);
    const stale = await t.call('PUT', '/ui/api/store/key', { key: k, value: 'x', confirm: true, modRevision: put.body.modRevision });
    assert.deepEqual([stale.code, stale.body.reason], [409, 'Conflict']);
    const bin = await t.call('PUT', '/ui/api/store/key', { key: k, value: '/wD+', valueEncoding: 'base64', confirm: true, modRevision: text.body.modRevision });
    assert.deepEqual([bin.code, bin.body.valueEncoding, bin.body.value], [200, 'base64', '/wD+']);

    const delRefused = await t.call('DELETE', `/ui/api/store/key?key=${q(k)}&confirm=true`, undefined, 'viewer');
    assert.equal(delRefused.code, 403);
    const delUnconfirmed = await t.call('DELETE', `/ui/api/store/key?key=${q(k)}`);
    assert.equal(delUnconfirmed.code, 400);
    const del = await t.call('DELETE', `/ui/api/store/key?key=${q(k)}&confirm=true`);
    assert.equal(del.code, 200);
    assert.equal(del.body.key, k);
    assert.ok(del.body.revision > bin.body.modRevision);
    assert.equal((await t.store.get(k)).value, undefined);
    const again = await t.call('DELETE', `/ui/api/store/key?key=${q(k)}&confirm=true`);
    assert.deepEqual([again.code, again.body.reason], [404, 'NotFound']);
  });

  // last: compaction removes every key's history
  it('compaction: history stops there (compactRevision), a read before it is 410 Expired', async () => {
    const k = '/test/compact/k';
    const c1 = await t.store.create(k, enc('1'));
    const c2 = await t.store.update(k, enc('2'), c1.modRevision);
    const c3 = await t.store.update(k, enc('3'), c2.modRevision);
    await t.store.compact(c3.modRevision);
    const h = await t.call('GET', `/ui/api/store/history?key=${q(k)}`);
    assert.equal(h.code, 200);
    assert.equal(h.body.compactRevision, c3.modRevision);
    assert.deepEqual(h.body.versions.map((v: { value: number }) => v.value), [3]);
    const old = await t.call('GET', `/ui/api/store/key?key=${q(k)}&revision=${c1.modRevision}`);
    assert.deepEqual([old.code, old.body.kind, old.body.reason], [410, 'Status', 'Expired']);
    assert.match(old.body.message, new RegExp(`compacted at ${c3.modRevision}`));

    // a key created after the compaction: its history reaches its creation, and says where the store's history begins
    const n1 = await t.store.create('/test/compact/new', enc('1'));
    const fresh = await t.call('GET', `/ui/api/store/history?key=${q('/test/compact/new')}`);
    assert.deepEqual(fresh.body.versions.map((v: { modRevision: number }) => v.modRevision), [n1.modRevision]);
    assert.equal(fresh.body.compactRevision, c3.modRevision);
  });
});
