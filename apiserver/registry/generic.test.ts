/**
 * GenericStore's writes that start from the watch cache's copy of an object
 * (as Kubernetes' GuaranteedUpdate does): over a real in-process store whose
 * watch can be held back, so the cache is made to lag behind on purpose.
 * A write from a copy that is behind must neither lose the newer state nor
 * be taken for a no-op; a write from a current copy reads nothing. And a
 * watch that asks for a consistent start (sendInitialEvents) gets one
 * however far the cache lags.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcessStore } from '../../cli/inprocess.js';
import type { KubeObject } from '../api/meta.js';
import { streamWatch, watchOptions, watchStart, type EventChannel, type WatchQuery } from '../http/watch.js';
import type { StoreClient, StoreEvent, WatchHandler } from '../storage/interface.js';
import { configmaps } from './core/configmaps.js';
import { TooLargeResourceVersionError } from './errors.js';
import { GenericStore } from './generic.js';

/** A StoreClient that counts reads and can hold its watches' events back. */
class HeldStore {
  gets = 0;
  #held = false;
  readonly #queue: (() => void)[] = [];

  constructor(readonly inner: StoreClient) {}

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    for (const f of this.#queue.splice(0)) f();
  }

  client(): StoreClient {
    return {
      get: (key) => {
        this.gets++;
        return this.inner.get(key);
      },
      list: (prefix, opts) => this.inner.list(prefix, opts),
      create: (key, value) => this.inner.create(key, value),
      update: (key, value, expected) => this.inner.update(key, value, expected),
      delete: (key, expected) => this.inner.delete(key, expected),
      watch: (prefix, afterRevision, handler: WatchHandler) =>
        this.inner.watch(prefix, afterRevision, {
          events: (events: StoreEvent[]) => (this.#held ? this.#queue.push(() => handler.events(events)) : handler.events(events)),
          ended: (err) => handler.ended(err),
        }),
      compact: (revision) => this.inner.compact(revision),
      close: () => this.inner.close(),
    };
  }
}

describe('GenericStore: writes from the watch cache', () => {
  let dir: string;
  let stop: () => Promise<void>;
  let held: HeldStore;
  let reg: GenericStore;
  const enc = new TextEncoder();
  const key = (name: string): string => `/registry/configmaps/default/${name}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubeling-generic-'));
    const s = await startInProcessStore(dir);
    stop = () => s.stop();
    held = new HeldStore(s.client);
    reg = new GenericStore(held.client(), configmaps);
    await reg.start();
  });
  after(async () => {
    reg?.stop();
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Creates the config map through the registry and waits until the cache has it. */
  const created = async (name: string, data: Record<string, string>): Promise<KubeObject> => {
    const obj = await reg.create('default', { metadata: { name }, data } as KubeObject);
    while (reg.cache.get(key(name))?.metadata.resourceVersion !== obj.metadata.resourceVersion) await new Promise((r) => setImmediate(r));
    return obj;
  };
  /** Writes `data` behind the registry's back while its cache is held: the cache keeps the old copy. */
  const changedBehind = async (name: string, data: Record<string, string>): Promise<number> => {
    held.hold();
    const { value } = await held.inner.get(key(name));
    const obj = JSON.parse(Buffer.from(value!.value).toString()) as KubeObject;
    return (await held.inner.update(key(name), enc.encode(JSON.stringify({ ...obj, data })), value!.modRevision)).modRevision;
  };
  const stored = async (name: string): Promise<{ data: unknown; modRevision: number }> => {
    const { value } = await held.inner.get(key(name));
    return { data: (JSON.parse(Buffer.from(value!.value).toString()) as KubeObject).data, modRevision: value!.modRevision };
  };

  it('an update, patch or action from a current copy reads nothing from the store', async () => {
    const obj = await created('current', { a: '1' });
    held.gets = 0;
    const updated = await reg.update('default', 'current', { ...obj, data: { a: '2' } });
    while (reg.cache.get(key('current'))?.metadata.resourceVersion !== updated.metadata.resourceVersion) await new Promise((r) => setImmediate(r));
    const patched = await reg.patch('default', 'current', 'merge', { data: { b: '3' } });
    assert.deepEqual(patched.data, { a: '2', b: '3' });
    assert.equal(held.gets, 0, 'no read: the cache had the object');
  });

  it('a PUT equal to a stale copy is not taken for "unchanged": it is written over the newer state', async () => {
    const obj = await created('put-old', { v: '1' });
    const behind = await changedBehind('put-old', { v: '2' });
    try {
      const r = await reg.update('default', 'put-old', { metadata: { name: 'put-old' }, data: { v: '1' } } as KubeObject);
      const now = await stored('put-old');
      assert.deepEqual(now.data, { v: '1' });
      assert.ok(now.modRevision > behind, 'a new revision was written');
      assert.equal(r.metadata.resourceVersion, String(now.modRevision));
      assert.notEqual(r.metadata.resourceVersion, obj.metadata.resourceVersion);
    } finally {
      held.release();
    }
  });

  it('a patch from a stale copy keeps what was written behind it', async () => {
    await created('patch-old', { v: '1' });
    await changedBehind('patch-old', { v: '2', w: 'kept' });
    try {
      const r = await reg.patch('default', 'patch-old', 'merge', { data: { x: 'new' } });
      assert.deepEqual(r.data, { v: '2', w: 'kept', x: 'new' });
      assert.deepEqual((await stored('patch-old')).data, { v: '2', w: 'kept', x: 'new' });
    } finally {
      held.release();
    }
  });

  it('an update naming the newest resourceVersion succeeds though the cache is behind; one naming an older one is a conflict', async () => {
    const obj = await created('guarded', { v: '1' });
    const behind = await changedBehind('guarded', { v: '2' });
    try {
      const r = await reg.update('default', 'guarded', { metadata: { name: 'guarded', resourceVersion: String(behind) }, data: { v: '3' } } as KubeObject);
      assert.deepEqual((await stored('guarded')).data, { v: '3' });
      await assert.rejects(reg.update('default', 'guarded', { metadata: { name: 'guarded', resourceVersion: obj.metadata.resourceVersion }, data: { v: '4' } } as KubeObject), {
        name: 'ConflictError',
        message: 'Operation cannot be fulfilled on configmaps "guarded": the object has been modified; please apply your changes to the latest version and try again',
      });
      assert.ok(Number(r.metadata.resourceVersion) > behind);
    } finally {
      held.release();
    }
  });

  it('an action (mutate) from a stale copy changes the newer state', async () => {
    await created('action-old', { v: '1' });
    await changedBehind('action-old', { v: '2' });
    try {
      const r = await reg.mutate('default', 'action-old', (o) => ({ ...o, data: { ...(o.data as Record<string, string>), seen: (o.data as Record<string, string>).v! } }));
      assert.deepEqual(r.data, { v: '2', seen: '2' });
    } finally {
      held.release();
    }
  });

  it('a watch with sendInitialEvents starts from the state now although the cache lags; resourceVersion=0 from the cache', async () => {
    const ns = 'streaming'; // a namespace of its own: only these objects
    const first = await reg.create(ns, { metadata: { name: 'seen' }, data: { v: '1' } } as KubeObject);
    while (reg.cache.revision < Number(first.metadata.resourceVersion)) await new Promise((r) => setImmediate(r));
    held.hold();
    const stops: (() => void)[] = [];
    /** The events a watch sends, and whether its channel opened. */
    const watch = (q: WatchQuery) => {
      const sent: { type: string; object: KubeObject }[] = [];
      let opened = false;
      const ch: EventChannel = { send: (l) => void sent.push(JSON.parse(l)), backlog: 0, close: () => {}, onClose: (f) => void stops.push(f) };
      const opts = watchOptions(reg, { watch: 'true', sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true', ...q });
      // as the HTTP layer serves it: the initial state read first, the stream opened after
      const started = watchStart(reg, ns, opts).then((start) => {
        opened = true;
        streamWatch(reg, ns, { ...opts, ...(start ? { start } : {}) }, ch);
      });
      return { sent, started, opened: () => opened };
    };
    const summary = (sent: { type: string; object: KubeObject }[]) => sent.map((e) => [e.type, e.object.metadata.name ?? e.object.metadata.resourceVersion]);
    try {
      const unseen = await reg.create(ns, { metadata: { name: 'unseen' }, data: {} } as KubeObject);
      const rv = Number(unseen.metadata.resourceVersion);
      assert.ok(reg.cache.revision < rv, 'the cache is behind the create');

      const consistent = watch({});
      await consistent.started;
      assert.deepEqual(summary(consistent.sent).slice(0, -1), [['ADDED', 'seen'], ['ADDED', 'unseen']]);
      const end = consistent.sent.at(-1)!;
      assert.deepEqual([end.type, end.object.metadata.annotations], ['BOOKMARK', { 'k8s.io/initial-events-end': 'true' }]);
      assert.ok(Number(end.object.metadata.resourceVersion) >= rv, 'the bookmark is at the state sent');
      assert.equal(consistent.sent[1]!.object.kind, 'ConfigMap', 'events carry their kind');
      assert.equal(consistent.sent[1]!.object.apiVersion, 'v1');

      const atLeast = watch({ resourceVersion: String(rv) });
      await atLeast.started;
      assert.deepEqual(summary(atLeast.sent).slice(0, -1), [['ADDED', 'seen'], ['ADDED', 'unseen']]);

      const anyState = watch({ resourceVersion: '0' });
      await anyState.started;
      assert.deepEqual(summary(anyState.sent).slice(0, -1), [['ADDED', 'seen']], "0: the cache's state, whatever its age");

      const future = watch({ resourceVersion: String(rv + 1000) });
      await assert.rejects(future.started, TooLargeResourceVersionError);
      assert.equal(future.opened(), false, 'the failure comes before the stream, to be answered as a Status');

      // once the cache catches up, the watch from the store's state goes on with the changes after it, and no repeat
      held.release();
      await reg.update(ns, 'seen', { ...(await reg.get(ns, 'seen')), data: { v: '2' } });
      while (!consistent.sent.some((e) => e.type === 'MODIFIED')) await new Promise((r) => setImmediate(r));
      assert.deepEqual(summary(consistent.sent.slice(3)), [['MODIFIED', 'seen']]);
    } finally {
      held.release();
      for (const f of stops) f();
    }
  });

  it('a write to an object deleted behind the cache is NotFound', async () => {
    await created('gone', { v: '1' });
    held.hold();
    await held.inner.delete(key('gone'));
    try {
      await assert.rejects(reg.patch('default', 'gone', 'merge', { data: { x: '1' } }), { name: 'NotFoundError', message: 'configmaps "gone" not found' });
      await assert.rejects(
        reg.mutate('default', 'gone', (o) => o),
        { name: 'NotFoundError' },
      );
    } finally {
      held.release();
    }
  });
});
