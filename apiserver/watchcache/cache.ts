/**
 * The watch cache of one resource (Kubernetes' cacher): one store watch per
 * resource, however many clients watch it, fanned out to each client's
 * watcher with its own namespace, selector and starting revision.
 *
 *   store.list(prefix) at R ─┐
 *   store.watch(prefix, R) ──┴─► objects (the state at `revision`)
 *                                events (a window of the latest, oldest dropped)
 *                                   └─► watcher, watcher, ... (filtered, typed)
 *
 * A watcher starts either from now with the state as ADDED events, or from
 * a revision: the buffered events after it are replayed, then live ones
 * follow. A revision older than the window (`horizon`) is Expired: the
 * client must list again (a 410 in the API).
 *
 * invariant: every event with a revision > horizon is in `#events`, in order.
 * invariant: delivery is synchronous, so every watcher has been handed every
 * event up to `revision`: a bookmark at `revision` is always truthful.
 */
import type { KubeObject } from '../api/meta.js';
import { ExpiredError } from '../registry/errors.js';
import { CompactedError } from '../storage/errors.js';
import type { StoreClient, StoreEvent, StoreWatch, StoredValue } from '../storage/interface.js';

/** The type of a watch event as clients see it (BOOKMARK and ERROR are the HTTP layer's). */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Where a watcher's events go. */
export interface WatchSink {
  /** One event; `object` is shared with other watchers: read it, never change it. */
  event(type: EventType, object: KubeObject): void;
  /** The cache was reset (its store watch could not resume): the client must watch again. */
  end(): void;
}

/** What a watcher wants. */
export interface WatcherOptions {
  /** The key prefix it sees (a namespace's, or the resource's). */
  readonly prefix: string;
  /** Replays events after this revision; undefined: starts from now with the current objects as ADDED. */
  readonly from?: number;
  /** Keeps the objects it returns true for; an object leaving it is seen DELETED, one entering ADDED. */
  readonly filter?: (obj: KubeObject) => boolean;
}

/** A watcher registered with the cache. */
export interface CacheWatcher {
  stop(): void;
}

/** One change, decoded once for every watcher. */
interface CachedEvent {
  readonly revision: number;
  readonly key: string;
  /** The object after the change; for a deletion, the last state with the deletion's revision. */
  readonly object: KubeObject;
  readonly prev: KubeObject | undefined;
  readonly deleted: boolean;
}

interface Watcher extends WatcherOptions {
  /** It sees the events after this revision. */
  readonly from: number;
  readonly sink: WatchSink;
}

/** The watch cache of one resource; see the file comment. */
export class WatchCache {
  #objects = new Map<string, KubeObject>();
  #events: CachedEvent[] = [];
  #watchers = new Set<Watcher>();
  #watch: StoreWatch | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  /** The revision the cache is current at. */
  revision = 0;
  /** Events after this revision are all buffered (see the invariant). */
  horizon = 0;

  constructor(
    private readonly store: StoreClient,
    private readonly prefix: string,
    private readonly decode: (v: StoredValue) => KubeObject,
    private readonly capacity = 10_000,
  ) {}

  /** Lists the resource and starts watching it; resolves once the cache holds the state. */
  async start(): Promise<void> {
    const objects = new Map<string, KubeObject>();
    let start: string | undefined;
    let revision = 0;
    for (;;) {
      const page = await this.store.list(this.prefix, { start, limit: 1000, revision });
      revision = page.revision;
      for (const v of page.items) objects.set(v.key, this.decode(v));
      if (!page.more) break;
      start = `${page.items.at(-1)!.key}\0`;
    }
    if (this.#stopped) return;
    this.#objects = objects;
    this.#events = [];
    this.revision = this.horizon = revision;
    this.#follow();
  }

  /** Registers a watcher; throws ExpiredError when `from` is older than the buffered window. */
  watch(opts: WatcherOptions, sink: WatchSink): CacheWatcher {
    const w: Watcher = { ...opts, from: opts.from ?? this.revision, sink };
    if (opts.from === undefined) {
      for (const o of this.snapshot(opts.prefix).items) if (!opts.filter || opts.filter(o)) sink.event('ADDED', o);
    } else {
      if (opts.from < this.horizon) throw new ExpiredError(`too old resource version: ${opts.from} (${this.horizon})`);
      for (const e of this.#events) if (e.revision > w.from) this.#deliver(w, e);
    }
    this.#watchers.add(w);
    return { stop: () => void this.#watchers.delete(w) };
  }

  /** The object at `key` as the cache holds it (read, never change it). */
  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  /** The objects under `prefix` now, in key order, and the revision they are at. */
  snapshot(prefix: string): { items: KubeObject[]; revision: number } {
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    return { items: keys.map((k) => this.#objects.get(k)!), revision: this.revision };
  }

  /** Stops the store watch and ends every watcher. */
  stop(): void {
    this.#stopped = true;
    this.#watch?.cancel();
    clearTimeout(this.#retry);
    for (const w of this.#watchers) w.sink.end();
    this.#watchers.clear();
  }

  /** Follows the store from `revision`; resumes after a store outage, relists after a compaction. */
  #follow(): void {
    this.#watch = this.store.watch(this.prefix, this.revision, {
      events: (evs) => this.#apply(evs),
      ended: (err) => {
        if (this.#stopped) return;
        this.#watch = undefined;
        this.#retry = setTimeout(() => {
          if (err instanceof CompactedError) this.#reset();
          else this.#follow();
        }, 200);
      },
    });
  }

  /** Ends every watcher and rebuilds the cache from a new list. */
  #reset(): void {
    for (const w of this.#watchers) w.sink.end();
    this.#watchers.clear();
    this.start().catch(() => {
      if (!this.#stopped) this.#retry = setTimeout(() => this.#reset(), 1000);
    });
  }

  #apply(evs: StoreEvent[]): void {
    for (const ev of evs) {
      const prev = this.#objects.get(ev.kv.key);
      let e: CachedEvent;
      if (ev.type === 'put') {
        const object = this.decode(ev.kv);
        this.#objects.set(ev.kv.key, object);
        e = { revision: ev.kv.modRevision, key: ev.kv.key, object, prev, deleted: false };
      } else {
        const last = prev ?? (ev.prev ? this.decode(ev.prev) : undefined);
        this.#objects.delete(ev.kv.key);
        if (!last) continue; // a key the cache never saw (deleted before it started)
        const object = { ...last, metadata: { ...last.metadata, resourceVersion: String(ev.kv.modRevision) } };
        e = { revision: ev.kv.modRevision, key: ev.kv.key, object, prev: last, deleted: true };
      }
      this.#events.push(e);
      this.revision = e.revision;
      for (const w of this.#watchers) this.#deliver(w, e);
    }
    if (this.#events.length > this.capacity) {
      const dropped = this.#events.splice(0, this.#events.length - this.capacity);
      this.horizon = dropped.at(-1)!.revision;
    }
  }

  /** Hands `e` to `w` as the event its filter makes of it, if any. */
  #deliver(w: Watcher, e: CachedEvent): void {
    if (!e.key.startsWith(w.prefix) || e.revision <= w.from) return;
    const f = w.filter;
    const was = e.prev !== undefined && (!f || f(e.prev));
    if (e.deleted) {
      if (was) w.sink.event('DELETED', e.object);
      return;
    }
    const is = !f || f(e.object);
    if (is) w.sink.event(was ? 'MODIFIED' : 'ADDED', e.object);
    else if (was) w.sink.event('DELETED', { ...e.prev!, metadata: { ...e.prev!.metadata, resourceVersion: e.object.metadata.resourceVersion } });
  }
}
