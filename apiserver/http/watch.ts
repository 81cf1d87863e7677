/**
 * Watch streams: a registry watch served as Kubernetes serves one, as
 * newline-delimited JSON events over a chunked HTTP response, or one event
 * per message over a WebSocket. ADDED, MODIFIED and DELETED come from the
 * watch cache; BOOKMARK (when asked for, with allowWatchBookmarks) carries
 * only a resourceVersion; ERROR carries a Status, such as the 410 Expired of
 * a resourceVersion too old to resume from, and ends the stream.
 */
import type { KubeObject } from '../api/meta.js';
import { BadRequestError, ExpiredError, InvalidError } from '../registry/errors.js';
import type { GenericStore, InitialState, WatchOptions } from '../registry/generic.js';
import type { CacheWatcher, EventType } from '../watchcache/cache.js';
import type { WatchObservation } from './observe.js';
import { statusOf } from './status.js';
import { partial, table, type Form, type IncludeObject } from './table.js';

/** Where a stream's encoded events go: an HTTP response or a WebSocket. */
export interface EventChannel {
  /** Sends one encoded event (a JSON line without its newline). */
  send(event: string): void;
  /** Bytes sent but not yet taken by the client. */
  readonly backlog: number;
  /** Ends the stream. */
  close(): void;
  /** Calls `f` once when the client goes away (at once if it has). */
  onClose(f: () => void): void;
}

/** The query parameters of a watch request. */
export type WatchQuery = Record<string, string | undefined>;

/** How often a bookmark is sent to a client that allows them (Kubernetes: about a minute). */
export const BOOKMARK_INTERVAL_MS = 60_000;
/** A client this far behind is cut off; it resumes from its last resourceVersion. */
const MAX_BACKLOG = 64 * 1024 * 1024;

/**
 * A boolean query parameter as Kubernetes converts one (runtime's
 * Convert_Slice_string_To_bool): unset, `0` and `false` in any case are false;
 * anything else is true, so `watch=True` (Python's client), `watch=1` and a
 * bare `watch` all watch.
 */
export function queryBool(v: string | undefined): boolean {
  return v !== undefined && v !== '0' && v.toLowerCase() !== 'false';
}

/** Parsed watch parameters; BadRequest or Invalid for ones that do not go together. */
export function watchOptions(store: GenericStore, q: WatchQuery, name?: string): WatchOptions & { timeoutMs: number; bookmarks: boolean } {
  const fieldSelector = name === undefined ? q.fieldSelector : [q.fieldSelector, `metadata.name=${name.replace(/[\\,=!]/g, '\\$&')}`].filter(Boolean).join(',');
  const filter = store.selector(q.labelSelector, fieldSelector);
  const bookmarks = queryBool(q.allowWatchBookmarks);
  let sendInitialEvents: boolean | undefined;
  if (q.sendInitialEvents !== undefined) {
    sendInitialEvents = queryBool(q.sendInitialEvents);
    const causes = [];
    if (q.resourceVersionMatch !== 'NotOlderThan') {
      causes.push({ field: 'resourceVersionMatch', type: 'FieldValueForbidden' as const, message: "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" });
    }
    if (sendInitialEvents && !bookmarks) {
      causes.push({ field: 'allowWatchBookmarks', type: 'FieldValueRequired' as const, message: 'allowWatchBookmarks: Required value: allowWatchBookmarks must be set to true when sendInitialEvents is true' });
    }
    if (causes.length) throw new InvalidError('ListOptions.meta.k8s.io', '', causes);
  } else if (q.resourceVersionMatch !== undefined && q.resourceVersionMatch !== '') {
    throw new InvalidError('ListOptions.meta.k8s.io', '', [
      { field: 'resourceVersionMatch', type: 'FieldValueForbidden', message: 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' },
    ]);
  }
  let timeoutMs = (1800 + Math.random() * 1800) * 1000;
  if (q.timeoutSeconds !== undefined) {
    const t = Number(q.timeoutSeconds);
    if (!Number.isInteger(t) || t < 0) throw new BadRequestError(`invalid timeoutSeconds: ${q.timeoutSeconds}`);
    if (t > 0) timeoutMs = t * 1000;
  }
  return {
    ...(q.resourceVersion !== undefined ? { resourceVersion: q.resourceVersion } : {}),
    ...(sendInitialEvents !== undefined ? { sendInitialEvents } : {}),
    ...(filter ? { filter } : {}),
    timeoutMs,
    bookmarks,
  };
}

/**
 * The state a watch starts from when it asks for initial events
 * (GenericStore.initialState: read before the stream opens, so that a
 * failure is answered as a Status); undefined otherwise.
 */
export function watchStart(store: GenericStore, namespace: string | undefined, opts: WatchOptions): Promise<InitialState | undefined> {
  return opts.sendInitialEvents === true ? store.initialState(namespace, opts) : Promise.resolve(undefined);
}

/**
 * Serves a watch of `namespace`'s objects on `ch` until it times out, the
 * client leaves, or the watch ends. With `observed`, each event sent is
 * reported to its observer (but not the current objects a watch from now
 * starts with: see WriteObserver.delivered). `opts.start` is watchStart's
 * answer for a watch with sendInitialEvents=true.
 */
export function streamWatch(
  store: GenericStore,
  namespace: string | undefined,
  opts: ReturnType<typeof watchOptions> & { form?: Form; include?: IncludeObject; start?: InitialState },
  ch: EventChannel,
  observed?: WatchObservation,
  bookmarkMs = BOOKMARK_INTERVAL_MS,
): void {
  const start = opts.start;
  let watcher: CacheWatcher | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    watcher?.stop();
    clearTimeout(deadline);
    clearInterval(bookmarkTimer);
    ch.close();
  };
  const deadline = setTimeout(() => {
    if (opts.bookmarks) bookmark();
    end();
  }, opts.timeoutMs);
  ch.onClose(end);

  // a Table watch: each event a one-row Table, the first with the columns (as kube-apiserver sends them)
  let headers = true;
  const form = opts.form ?? { as: 'object' };
  const transform = (object: KubeObject): unknown => {
    if (form.as === 'PartialObjectMetadata') return partial(object, form.version);
    if (form.as !== 'Table') return object;
    const t = table(store, [object], { resourceVersion: object.metadata.resourceVersion }, form.version, opts.include ?? 'Metadata', !headers);
    headers = false;
    return t;
  };
  // the events the cache hands over while the watch registers are the current objects (no write's events) when
  // it starts from now: GenericStore.watch starts so without a resourceVersion (or with 0) unless sendInitialEvents=false,
  // and always with sendInitialEvents=true
  const from = opts.resourceVersion;
  let initial = opts.sendInitialEvents ?? (from === undefined || from === '' || from === '0');
  const sink = {
    event: (type: EventType, object: KubeObject) => {
      if (ended) return;
      ch.send(form.as === 'object' ? encodeEvent(type, object) : JSON.stringify({ type, object: transform(object) }));
      if (observed && !initial) {
        try {
          observed.observer.delivered(observed.watcher, type, object);
        } catch {
          // an observer's failure is not the watch's
        }
      }
      if (ch.backlog > MAX_BACKLOG) end();
    },
    end,
  };
  const bookmark = (initialEnd = false): void => {
    if (ended) return;
    const rv = Math.max(store.cache.revision, Number(opts.resourceVersion) || 0, start?.revision ?? 0);
    const metadata = { resourceVersion: String(rv), ...(initialEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) };
    ch.send(JSON.stringify({ type: 'BOOKMARK', object: { kind: store.strategy.info.kind, apiVersion: store.apiVersion, metadata } }));
  };
  if (ended) return; // the client left already
  try {
    if (start) {
      // the state read from the store, then the changes after it
      for (const o of start.items) sink.event('ADDED', o);
      initial = false;
      if (ended) return;
      watcher = store.watch(namespace, { resourceVersion: String(start.revision), ...(opts.filter ? { filter: opts.filter } : {}) }, sink);
    } else {
      watcher = store.watch(namespace, opts, sink);
    }
    initial = false;
  } catch (e) {
    if (!(e instanceof ExpiredError)) throw e;
    ch.send(JSON.stringify({ type: 'ERROR', object: statusOf(e) }));
    return end();
  }
  if (opts.sendInitialEvents) bookmark(true);
  if (opts.bookmarks) bookmarkTimer = setInterval(() => bookmark(), bookmarkMs);
}

/** Encoded events, kept per object and type: an event goes out once encoded, however many watchers get it. */
const encoded = new WeakMap<KubeObject, Map<EventType, string>>();

function encodeEvent(type: EventType, object: KubeObject): string {
  let byType = encoded.get(object);
  if (!byType) encoded.set(object, (byType = new Map()));
  let s = byType.get(type);
  if (s === undefined) byType.set(type, (s = JSON.stringify({ type, object })));
  return s;
}
