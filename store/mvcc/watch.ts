/**
 * The watch hub: etcd's watchable store. Each watcher is in exactly one group:
 *
 *   synced    caught up; gets each write's events from notify() as it commits.
 *   unsynced  behind (a start revision in the past, or restored); catches up
 *             from history in bounded batches of whole revisions when the
 *             driver calls syncUnsynced(maxEvents), so a watcher far behind
 *             never holds up writers; once current it becomes synced.
 *   victim    its sink refused a response; holds the refused responses and
 *             retries them first at each syncUnsynced(), then rejoins.
 *
 *     watch(start <= rev) ──► unsynced ──(caught up)──► synced ◄── watch(start 0 or > rev)
 *                                 ▲                        │ sink full
 *                                 └──────── victim ◄───────┘
 *
 * A watcher whose next revision has been compacted away is cancelled with a
 * response carrying the compact revision (etcd's compacted cancellation).
 * Watch ids are per stream (one stream per client watch RPC), as in etcd.
 * Everything is synchronous: a sink's send() returns whether it took the response.
 */
import { CompactedError, DuplicateWatchIdError, WatcherRangeEmptyError } from './errors.js';
import { compareBytes, keySpan, keyString, spanContains } from './keys.js';
import type { KeySpan } from './keys.js';
import type { MvccStore } from './store.js';
import { EventType } from './types.js';
import type { Event, KeyValue } from './types.js';

/** etcd's WatchCreateRequest.FilterType. */
export enum WatchFilter {
  NoPut = 0,
  NoDelete = 1,
}

/** etcd's WatchCreateRequest, less progress_notify (the edge's ticker asks for progress()). */
export interface WatchRequest {
  readonly key: Uint8Array;
  /** As in a range: absent or empty, the key; "\0", every key >= key; else [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** The first revision to deliver; 0 or absent: the next one. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly filters?: readonly WatchFilter[];
  /** Allow a response larger than the fragment limit to be split (etcd's fragment). */
  readonly fragment?: boolean;
  /** The id to use on the stream; 0 or absent: the next free one. */
  readonly watchId?: number;
}

/** etcd's WatchResponse as the hub produces it (the edge adds the header's cluster fields and `created`). */
export interface WatchResponse {
  readonly watchId: number;
  readonly events: Event[];
  /**
   * The header revision: a write's revision for its events; the store's
   * revision for catch-up batches and progress; 0 for a compacted cancellation (as etcd).
   */
  readonly revision: number;
  /** With `canceled`: the watcher's start revision had been compacted, up to this one. */
  readonly compactRevision?: number;
  readonly canceled?: boolean;
  /** More responses of the same batch follow (only when the watch asked for fragments). */
  readonly fragment?: boolean;
}

/** Where a stream's responses go. send() returns false when it cannot take one now (the watcher becomes a victim). */
export interface WatchSink {
  send(resp: WatchResponse): boolean;
}

/** Options for {@link WatchHub}. */
export interface WatchHubOptions {
  /** The most events in one response of a watch that asked for fragments (default 1000). */
  readonly fragmentEvents?: number;
}

interface Watcher {
  readonly id: number;
  readonly stream: WatchStream;
  readonly span: KeySpan;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly fragment: boolean;
  /** The next revision to deliver. invariant: every matching event below it was sent or is in `pending`. */
  minRev: number;
  /** Responses the sink refused. invariant: non-empty exactly while the watcher is a victim. */
  pending: WatchResponse[];
}

/** The hub's side of a stream. */
interface HubLink {
  add(w: Watcher): void;
  remove(w: Watcher): void;
  synced(w: Watcher): boolean;
  revision(): number;
}

/** One client watch stream: its watchers share the sink and an id space. */
export class WatchStream {
  readonly sink: WatchSink;
  readonly #hub: HubLink;
  readonly #watchers = new Map<number, Watcher>();
  /** The next id to try for an automatic one. */
  #nextId = 0;
  #closed = false;

  /** Made by WatchHub.newStream. */
  constructor(hub: HubLink, sink: WatchSink) {
    this.#hub = hub;
    this.sink = sink;
  }

  /**
   * Starts a watcher and returns its id; responses come later, never during
   * this call, so the edge can send its `created` response first. Throws
   * WatcherRangeEmptyError for key >= rangeEnd, DuplicateWatchIdError.
   */
  watch(req: WatchRequest): number {
    if (this.#closed) throw new Error('watch stream is closed');
    const key = req.key.byteLength === 0 ? Uint8Array.of(0) : req.key; // etcd: an empty key means "\0"
    const span = keySpan(key, req.rangeEnd);
    if (span.kind === 'range' && compareBytes(span.key, span.end) >= 0) throw new WatcherRangeEmptyError();
    let id = req.watchId ?? 0;
    if (id === 0) {
      while (this.#watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    } else if (this.#watchers.has(id)) {
      throw new DuplicateWatchIdError(id);
    }
    const filters = req.filters ?? [];
    const rev = this.#hub.revision();
    const start = req.startRevision ?? 0;
    const w: Watcher = {
      id,
      stream: this,
      span,
      prevKv: req.prevKv === true,
      noPut: filters.includes(WatchFilter.NoPut),
      noDelete: filters.includes(WatchFilter.NoDelete),
      fragment: req.fragment === true,
      minRev: start === 0 || start > rev ? Math.max(rev + 1, start) : start,
      pending: [],
    };
    this.#watchers.set(id, w);
    this.#hub.add(w);
    return id;
  }

  /** Cancels a watcher; false if the stream has no such id. The edge sends the `canceled` response. */
  cancel(id: number): boolean {
    const w = this.#watchers.get(id);
    if (w === undefined) return false;
    this.#watchers.delete(id);
    this.#hub.remove(w);
    return true;
  }

  /** Sends a progress response (no events, the store's revision) if the watcher is synced; returns whether it did. */
  progress(id: number): boolean {
    const w = this.#watchers.get(id);
    if (w === undefined || !this.#hub.synced(w)) return false;
    return this.sink.send({ watchId: id, events: [], revision: this.#hub.revision() });
  }

  /** The ids of the stream's watchers. */
  ids(): number[] {
    return [...this.#watchers.keys()];
  }

  /** Cancels every watcher. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#watchers.keys()]) this.cancel(id);
  }

  /** Drops a watcher the hub cancelled (compacted). */
  forget(w: Watcher): void {
    this.#watchers.delete(w.id);
  }
}

/** The watchable store over an MvccStore; see the file comment. */
export class WatchHub {
  readonly #store: MvccStore;
  readonly #fragmentEvents: number;
  /** Synced single-key watchers by key (latin1). */
  readonly #byKey = new Map<string, Set<Watcher>>();
  /** Synced range watchers. */
  readonly #ranges = new Set<Watcher>();
  /** Unsynced watchers, in round-robin order. invariant: a watcher is in exactly one of the groups. */
  readonly #unsynced = new Set<Watcher>();
  readonly #victims = new Set<Watcher>();
  /** The store revision the synced watchers have seen. */
  #rev: number;
  readonly #unobserve: () => void;
  readonly #link: HubLink;

  /** A hub fed by `store`'s commits (it registers itself as an observer until close()). */
  constructor(store: MvccStore, opts: WatchHubOptions = {}) {
    this.#store = store;
    this.#fragmentEvents = Math.max(1, opts.fragmentEvents ?? 1000);
    this.#rev = store.currentRevision();
    this.#unobserve = store.observe({
      committed: (events, revision) => this.notify(events, revision),
      restored: () => this.#restored(),
    });
    this.#link = {
      add: (w) => (w.minRev > this.#store.currentRevision() ? this.#addSynced(w) : this.#unsynced.add(w)),
      remove: (w) => this.#remove(w),
      synced: (w) => this.#isSynced(w),
      revision: () => this.#store.currentRevision(),
    };
  }

  /** A new stream whose responses go to `sink`. */
  newStream(sink: WatchSink): WatchStream {
    return new WatchStream(this.#link, sink);
  }

  /** The store's current revision (for progress responses). */
  get currentRevision(): number {
    return this.#store.currentRevision();
  }

  /** How many watchers are behind (unsynced or victims): while non-zero, keep calling syncUnsynced(). */
  get behind(): number {
    return this.#unsynced.size + this.#victims.size;
  }

  /** Delivers one committed write's events (all at `revision`) to the synced watchers; the store calls it. */
  notify(events: readonly Event[], revision: number): void {
    this.#rev = revision;
    const batches = new Map<Watcher, Event[]>();
    for (const ev of events) {
      for (const w of this.#syncedOn(ev.kv.key)) {
        if (ev.kv.modRevision < w.minRev) continue;
        let b = batches.get(w);
        if (b === undefined) batches.set(w, (b = []));
        b.push(ev);
      }
    }
    for (const [w, evs] of batches) {
      w.minRev = revision + 1;
      this.#deliver(w, evs, revision);
    }
  }

  /**
   * Moves watchers toward synced: first resends victims' refused responses,
   * then gives unsynced watchers, in turn, whole revisions of history from
   * their next revision, about `maxEvents` events in all. Returns how many
   * watchers are still behind.
   */
  syncUnsynced(maxEvents: number): number {
    const cur = this.#store.currentRevision();
    for (const w of [...this.#victims]) {
      if (!this.#flush(w)) continue;
      this.#victims.delete(w);
      if (w.minRev <= cur) this.#unsynced.add(w);
      else this.#addSynced(w);
    }
    const compact = this.#store.compactRevision();
    let budget = Math.max(1, maxEvents);
    for (const w of [...this.#unsynced]) {
      if (budget <= 0) break;
      this.#unsynced.delete(w); // back at the end if still behind: round robin
      if (w.minRev < compact) {
        const canceled = { watchId: w.id, events: [], revision: 0, compactRevision: compact, canceled: true };
        if (w.stream.sink.send(canceled)) w.stream.forget(w);
        else this.#unsynced.add(w);
        continue;
      }
      if (w.minRev > cur) {
        this.#addSynced(w);
        continue;
      }
      const end = w.span.kind === 'key' ? undefined : w.span.kind === 'from' ? Uint8Array.of(0) : w.span.end;
      const batch = this.#store.changes(w.span.key, end, w.minRev, budget);
      budget -= Math.max(1, batch.events.length);
      w.minRev = batch.through + 1;
      const evs = w.prevKv ? batch.events.map((e) => this.#withPrevKv(e)) : batch.events;
      if (!this.#deliver(w, evs, cur)) continue;
      if (batch.through >= cur) this.#addSynced(w);
      else this.#unsynced.add(w);
    }
    return this.behind;
  }

  /** Stops following the store; watchers stay but get nothing more. */
  close(): void {
    this.#unobserve();
  }

  /** Filters, trims prevKv, splits and sends; false if the watcher became a victim. */
  #deliver(w: Watcher, events: readonly Event[], revision: number): boolean {
    const evs = events
      .filter((e) => !(e.type === EventType.Put ? w.noPut : w.noDelete))
      .map((e) => (w.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv }));
    if (evs.length === 0) return true; // all filtered out: nothing to send (as etcd)
    const size = w.fragment ? this.#fragmentEvents : Infinity;
    const out: WatchResponse[] = [];
    for (let i = 0; i < evs.length; i += size) {
      const part = evs.slice(i, i + size);
      const more = i + size < evs.length;
      out.push(more ? { watchId: w.id, events: part, revision, fragment: true } : { watchId: w.id, events: part, revision });
    }
    w.pending = out;
    if (this.#flush(w)) return true;
    this.#removeSynced(w);
    this.#unsynced.delete(w);
    this.#victims.add(w);
    return false;
  }

  /** Sends the watcher's pending responses; true when all went. */
  #flush(w: Watcher): boolean {
    while (w.pending.length > 0) {
      if (!w.stream.sink.send(w.pending[0]!)) return false;
      w.pending.shift();
    }
    return true;
  }

  /** etcd adds prevKv to a replayed event by reading the key one revision earlier (none if compacted or a creation). */
  #withPrevKv(e: Event): Event {
    if (e.type === EventType.Put && e.kv.createRevision === e.kv.modRevision) return e;
    let prev: KeyValue | undefined;
    try {
      prev = this.#store.range({ key: e.kv.key, revision: e.kv.modRevision - 1 }).kvs[0];
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
      prev = undefined; // compacted: etcd sends the event without it
    }
    return prev === undefined ? e : { ...e, prevKv: prev };
  }

  #syncedOn(key: Uint8Array): Watcher[] {
    const out = [...(this.#byKey.get(keyString(key)) ?? [])];
    for (const w of this.#ranges) if (spanContains(w.span, key)) out.push(w);
    return out;
  }

  #addSynced(w: Watcher): void {
    if (w.span.kind !== 'key') {
      this.#ranges.add(w);
      return;
    }
    const k = keyString(w.span.key);
    let set = this.#byKey.get(k);
    if (set === undefined) this.#byKey.set(k, (set = new Set()));
    set.add(w);
  }

  #removeSynced(w: Watcher): boolean {
    if (w.span.kind !== 'key') return this.#ranges.delete(w);
    const k = keyString(w.span.key);
    const set = this.#byKey.get(k);
    const found = set?.delete(w) === true;
    if (set?.size === 0) this.#byKey.delete(k);
    return found;
  }

  #isSynced(w: Watcher): boolean {
    return w.span.kind === 'key' ? this.#byKey.get(keyString(w.span.key))?.has(w) === true : this.#ranges.has(w);
  }

  #remove(w: Watcher): void {
    if (!this.#removeSynced(w)) this.#unsynced.delete(w);
    this.#victims.delete(w);
  }

  /** After a restore, every synced watcher catches up from the revision after the last it saw. */
  #restored(): void {
    const synced = [...this.#ranges, ...[...this.#byKey.values()].flatMap((s) => [...s])];
    this.#ranges.clear();
    this.#byKey.clear();
    for (const w of synced) {
      w.minRev = Math.max(w.minRev, this.#rev + 1);
      this.#unsynced.add(w);
    }
    this.#rev = this.#store.currentRevision();
  }
}
