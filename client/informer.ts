/**
 * An informer (client-go's Reflector + Indexer + SharedIndexInformer, in one
 * loop): it lists a resource (in pages), then watches from the list's
 * resourceVersion with bookmarks, keeping a local cache keyed by
 * `namespace/name` (or `name`) and telling its handlers of each add, update
 * and delete.
 *
 * - A watch that ends (server timeout, broken connection) is resumed from
 *   the last resourceVersion seen, in an event or a bookmark.
 * - A 410 (an ERROR event with code 410, or a 410 answer) relists, and the
 *   differences from the cache go to the handlers: deletes for objects gone,
 *   updates for ones whose resourceVersion changed, adds for new ones.
 * - Failures back off exponentially (`backoff.initialMs` doubling to
 *   `maxMs`), reset by a watch that delivers something; a watch that ends
 *   at once with nothing counts as a failure, so there is no busy loop.
 * - Handlers run synchronously, in event order; one that throws is logged
 *   and the others still run. A handler added late gets the cache's current
 *   objects as adds first.
 * - Objects in the cache, and those passed to handlers, are shared: treat
 *   them as read-only.
 */
import { isGone } from './errors.js';
import type { ListOptions, ResourceRef, RestClient, Watch } from './rest.js';
import type { KubeObject, Status, WatchEvent } from './types.js';
import { sleep } from './clock.js';
import { Indexer, NAMESPACE_INDEX, NODE_NAME_INDEX, byNamespace, byNodeName, keyOf } from './indexer.js';

export { NAMESPACE_INDEX, NODE_NAME_INDEX, byNamespace, byNodeName, keyOf };

/** What an informer tells its handlers. All optional. */
export interface EventHandler<T extends KubeObject> {
  /** A new object; `initial` when it came from the first list (or is replayed to a late handler). */
  onAdd?(obj: T, initial: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** A deleted object (its last state known to the cache, or the DELETED event's). */
  onDelete?(obj: T): void;
}

/** What an informer watches and how. */
export interface InformerOptions {
  /** The resource (no name); a namespace limits it to that namespace. */
  readonly resource: ResourceRef;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** The list's page size (default 500). */
  readonly pageSize?: number;
  /** Failure backoff (default 800 ms doubling to 30 s, as client-go's reflector). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Watch timeoutSeconds range, picked at random each time (default 300..600, client-go's). */
  readonly watchTimeoutSeconds?: readonly [number, number];
  /** Where errors are logged (default console.error). */
  readonly log?: (msg: string) => void;
  /**
   * Applied to every object listed or watched before it is cached or handed
   * to handlers (client-go's SetTransform): e.g. stripManagedFields, which
   * kube-scheduler and kube-controller-manager apply to save memory.
   */
  readonly transform?: (obj: KubeObject) => KubeObject;
}

/** Drops metadata.managedFields, which no controller reads (a transform). */
export function stripManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata && 'managedFields' in obj.metadata) delete obj.metadata.managedFields;
  return obj;
}

/** An informer over one resource; see the file comment. */
export class Informer<T extends KubeObject = KubeObject> {
  readonly #client: RestClient;
  readonly #o: InformerOptions;
  readonly #indexer = new Indexer<T>();
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #ac = new AbortController();
  #started = false;
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #watch: Watch | undefined;
  /** The last resourceVersion seen (list, event or bookmark): where a watch resumes. */
  #rv = '';

  constructor(client: RestClient, opts: InformerOptions) {
    this.#client = client;
    this.#o = opts;
  }

  /** Starts listing and watching (once; later calls do nothing). */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    void this.#run();
    return this;
  }

  /** Stops the informer: closes its watch, ends its loop. Handlers get nothing more. */
  stop(): void {
    this.#ac.abort();
    this.#watch?.stop();
    this.#handlers.clear();
  }

  /** Whether the first list has reached the cache. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once synced; rejects after `timeoutMs` (default: waits as long as it takes). */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((res, rej) => {
      const t = timeoutMs === undefined ? undefined : setTimeout(() => rej(new Error(`informer ${this.#o.resource.resource}: not synced within ${timeoutMs} ms`)), timeoutMs);
      this.#syncWaiters.push(() => {
        clearTimeout(t);
        res();
      });
    });
  }

  /** The last resourceVersion the informer has seen. */
  get lastSyncResourceVersion(): string {
    return this.#rv;
  }

  /** Adds a handler; it first gets the current objects as adds. Returns its removal. */
  addEventHandler(h: EventHandler<T>): () => void {
    this.#handlers.add(h);
    for (const obj of this.#indexer.list()) this.#call(h, 'onAdd', () => h.onAdd?.(obj, true));
    return () => this.#handlers.delete(h);
  }

  /** An object by key (`namespace/name`, or `name` when cluster-scoped). */
  get(key: string): T | undefined {
    return this.#indexer.get(key);
  }

  /** All cached objects. */
  list(): T[] {
    return this.#indexer.list();
  }

  /** Adds an index: `fn` gives each object's values (e.g. a pod's spec.nodeName). Indexes existing objects too. */
  addIndexer(name: string, fn: (obj: T) => string[]): void {
    this.#indexer.addIndex(name, fn);
  }

  /** The objects whose index `name` holds `value`. */
  byIndex(name: string, value: string): T[] {
    return this.#indexer.byIndex(name, value);
  }

  #call(h: EventHandler<T>, what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#log(`informer ${this.#o.resource.resource}: handler ${what} threw: ${(e as Error).stack ?? String(e)}`);
    }
  }

  #log(msg: string): void {
    (this.#o.log ?? console.error)(msg);
  }

  #add(obj: T, initial: boolean): void {
    this.#indexer.set(obj);
    for (const h of this.#handlers) this.#call(h, 'onAdd', () => h.onAdd?.(obj, initial));
  }

  #update(old: T, obj: T): void {
    this.#indexer.set(obj);
    for (const h of this.#handlers) this.#call(h, 'onUpdate', () => h.onUpdate?.(old, obj));
  }

  #delete(obj: T): void {
    this.#indexer.delete(keyOf(obj));
    for (const h of this.#handlers) this.#call(h, 'onDelete', () => h.onDelete?.(obj));
  }

  /** Replaces the cache with a list's items, telling handlers the differences (client-go's DeltaFIFO Replace). */
  #replace(items: T[]): void {
    const initial = !this.#synced;
    const fresh = new Map(items.map((o) => [keyOf(o), o]));
    for (const old of this.#indexer.list()) if (!fresh.has(keyOf(old))) this.#delete(old);
    for (const [k, obj] of fresh) {
      const old = this.#indexer.get(k);
      if (!old) this.#add(obj, initial);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#update(old, obj);
    }
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
  }

  #event(e: WatchEvent<T>): 'ok' | 'gone' | 'error' {
    const obj = this.#o.transform && e.type !== 'ERROR' && e.type !== 'BOOKMARK' ? (this.#o.transform(e.object) as T) : e.object;
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.#indexer.get(keyOf(obj));
        if (old) this.#update(old, obj);
        else this.#add(obj, false);
        break;
      }
      case 'DELETED':
        this.#delete(this.#indexer.get(keyOf(obj)) ?? obj);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const s = obj as unknown as Status;
        this.#log(`informer ${this.#o.resource.resource}: watch error ${s.code} ${s.reason ?? ''}: ${s.message ?? ''}`);
        return s.code === 410 ? 'gone' : 'error';
      }
    }
    if (obj.metadata?.resourceVersion) this.#rv = obj.metadata.resourceVersion;
    return 'ok';
  }

  async #run(): Promise<void> {
    const { initialMs, maxMs } = this.#o.backoff ?? { initialMs: 800, maxMs: 30_000 };
    const signal = this.#ac.signal;
    let delay = initialMs;
    let needList = true;
    const fail = async (what: string, e: unknown): Promise<void> => {
      if (signal.aborted) return;
      this.#log(`informer ${this.#o.resource.resource}: ${what}: ${(e as Error)?.message ?? String(e)}; retrying in ${delay} ms`);
      await sleep(delay * (1 + Math.random() * 0.1), signal);
      delay = Math.min(maxMs, delay * 2);
    };
    const sel: ListOptions = { labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector };
    while (!signal.aborted) {
      if (needList) {
        try {
          const list = await this.#client.listAll<T>(this.#o.resource, { ...sel, pageSize: this.#o.pageSize ?? 500 });
          if (signal.aborted) return;
          this.#rv = list.metadata.resourceVersion ?? '';
          const t = this.#o.transform;
          this.#replace(t ? (list.items.map(t) as T[]) : list.items);
          needList = false;
        } catch (e) {
          await fail('list failed', e);
          continue;
        }
      }
      const [lo, hi] = this.#o.watchTimeoutSeconds ?? [300, 600];
      let outcome = 'ok' as 'ok' | 'gone' | 'error';
      let delivered = 0;
      const started = Date.now();
      this.#watch = this.#client.watch<T>(this.#o.resource, { ...sel, resourceVersion: this.#rv, allowWatchBookmarks: true, timeoutSeconds: Math.round(lo + Math.random() * (hi - lo)) }, {
        onEvent: (e) => {
          if (signal.aborted || outcome !== 'ok') return;
          outcome = this.#event(e);
          if (outcome === 'ok') delivered++;
        },
      });
      const err = await this.#watch.done;
      this.#watch = undefined;
      if (signal.aborted) return;
      if (outcome === 'gone' || isGone(err)) {
        needList = true;
        continue; // relist at once, as client-go does on 410
      }
      if (delivered > 0) delay = initialMs;
      if (err || outcome === 'error') await fail('watch failed', err ?? new Error('ERROR event'));
      else if (delivered === 0 && Date.now() - started < 1000) await fail('watch ended at once', new Error('very short watch'));
    }
  }
}
