/**
 * Event recorders as Kubernetes' client-go has them, one per Event API.
 *
 * `EventRecorder` (core/v1; client-go's record.EventRecorder with its
 * EventCorrelator's aggregation, simplified): `eventf(object, type, reason,
 * format, ...args)` records a core/v1 Event about the object, named
 * `<object name>.<hex>` in the object's namespace (`default` for a
 * cluster-scoped object), with involvedObject, reason, message, type,
 * source.component/host, reportingComponent/Instance, firstTimestamp,
 * lastTimestamp and count. A repeat of the same (object, type, reason,
 * message, source) within 10 minutes of the last one is not a new Event: the
 * existing one's count and lastTimestamp are PATCHed (strategic merge). If
 * that Event is gone (404), a new one is created.
 *
 * `EventsV1Recorder` (events.k8s.io/v1; client-go's tools/events recorder
 * and broadcaster): `eventf(regarding, related, type, reason, action, note,
 * ...args)` records an events.k8s.io/v1 Event with eventTime (microseconds),
 * reportingController, reportingInstance and action. Events are isomorphic
 * when their (regarding, related, reportingController, reportingInstance,
 * action, reason, note, type) agree:
 *   - the first is created;
 *   - the first repeat makes it a series (series.count 2, lastObservedTime
 *     now), PATCHed at once (created anew, with its series, if gone);
 *   - later repeats only bump the cached series (count, lastObservedTime);
 *   - every 30 minutes each open series is written (refreshed);
 *   - every 6 minutes, a series without a repeat for 6 minutes is written a
 *     last time and dropped from the cache (finished), and so is a single
 *     event older than 6 minutes (without a write): the next repeat starts
 *     a new Event.
 * The timers run on the injected Clock (realClock's do not keep the process
 * alive); `stop()` clears them, and later calls record nothing.
 *
 * In both, writes go out asynchronously, one at a time in call order;
 * `eventf` never blocks or throws, and a failed write is logged and dropped
 * (events are best effort). `flush()` waits for the writes queued so far.
 */
import { hostname } from 'node:os';
import { format } from 'node:util';
import { microTime, realClock, rfc3339, type Clock, type TimerHandle } from './clock.js';
import { isNotFound } from './errors.js';
import type { RestClient } from './rest.js';
import type { Event, KubeObject, ObjectReference } from './types.js';

/** How long a repeat is folded into the previous Event (client-go's 10 minutes). */
export const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
/** The most (object, reason, message) entries remembered (client-go's LRU size). */
const CACHE_SIZE = 4096;

/** Who records. */
export interface EventRecorderOptions {
  /** source.component and reportingComponent: default-scheduler, kubelet ... */
  readonly component: string;
  /** source.host and reportingInstance (a node name, a pod name). */
  readonly host?: string;
  /** The clock (ms), for tests. */
  readonly now?: () => number;
  /** Where failed writes are logged (default console.error). */
  readonly log?: (msg: string) => void;
}

/** The type of an event. */
export type EventType = 'Normal' | 'Warning';

/** The reference to an object an Event carries. */
export function referenceTo(obj: KubeObject): ObjectReference {
  const m = obj.metadata;
  const ref: ObjectReference = { kind: obj.kind, apiVersion: obj.apiVersion, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  return Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined && v !== ''));
}

/** A hex suffix unique in this process: the time in ns (as client-go's %x of UnixNano) plus a sequence. */
function nameSuffix(nowMs: number, seq: number): string {
  return (BigInt(nowMs) * 1_000_000n + BigInt(seq % 1_000_000)).toString(16);
}

/** Records events; see the file comment. */
export class EventRecorder {
  readonly #client: RestClient;
  readonly #o: EventRecorderOptions;
  readonly #now: () => number;
  // insertion order is recency order: a hit is deleted and set again
  readonly #seen = new Map<string, { namespace: string; name: string; count: number; first: string; lastMs: number }>();
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;

  constructor(client: RestClient, opts: EventRecorderOptions) {
    this.#client = client;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Records an event about `obj`; the message is util.format(fmt, ...args). Never throws. */
  eventf(obj: KubeObject, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    try {
      this.#record(obj, type, reason, args.length ? format(fmt, ...args) : fmt);
    } catch (e) {
      this.#log(`event ${reason}: ${(e as Error).message}`);
    }
  }

  /** Waits until every write queued so far has been made (or has failed). */
  flush(): Promise<void> {
    return this.#chain;
  }

  #log(msg: string): void {
    (this.#o.log ?? console.error)(`${this.#o.component}: ${msg}`);
  }

  #record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const ref = referenceTo(obj);
    const source = { component: this.#o.component, ...(this.#o.host ? { host: this.#o.host } : {}) };
    const key = JSON.stringify([source.component, source.host ?? '', ref.kind, ref.apiVersion, ref.namespace, ref.name, ref.uid, type, reason, message]);
    const nowMs = this.#now();
    const now = rfc3339(nowMs);
    const prev = this.#seen.get(key);
    this.#seen.delete(key);
    if (prev && nowMs - prev.lastMs <= AGGREGATION_WINDOW_MS) {
      const entry = { ...prev, count: prev.count + 1, lastMs: nowMs };
      this.#remember(key, entry);
      const patch = { count: entry.count, lastTimestamp: now, message };
      this.#enqueue(async () => {
        try {
          await this.#client.patch({ resource: 'events', namespace: entry.namespace, name: entry.name }, 'strategic', patch);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          // the Event expired or was deleted: write it anew, carrying the count
          await this.#client.create({ resource: 'events', namespace: entry.namespace }, this.#event(entry.name, entry.namespace, ref, source, type, reason, message, entry.first, now, entry.count));
        }
      }, reason);
      return;
    }
    const namespace = ref.namespace || 'default';
    const name = `${ref.name ?? 'unknown'}.${this.#suffix(nowMs)}`;
    this.#remember(key, { namespace, name, count: 1, first: now, lastMs: nowMs });
    const ev = this.#event(name, namespace, ref, source, type, reason, message, now, now, 1);
    this.#enqueue(() => this.#client.create({ resource: 'events', namespace }, ev), reason);
  }

  #event(name: string, namespace: string, involvedObject: ObjectReference, source: Event['source'], type: EventType, reason: string, message: string, first: string, last: string, count: number): Event {
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      type,
      source,
      firstTimestamp: first,
      lastTimestamp: last,
      count,
      reportingComponent: this.#o.component,
      reportingInstance: this.#o.host ?? '',
    };
  }

  #suffix(nowMs: number): string {
    return nameSuffix(nowMs, this.#seq++);
  }

  #remember(key: string, entry: { namespace: string; name: string; count: number; first: string; lastMs: number }): void {
    this.#seen.set(key, entry);
    if (this.#seen.size > CACHE_SIZE) this.#seen.delete(this.#seen.keys().next().value!);
  }

  #enqueue(write: () => Promise<unknown>, reason: string): void {
    this.#chain = this.#chain.then(
      () => write().then(() => undefined),
    ).catch((e: unknown) => this.#log(`could not write event ${reason}: ${(e as Error).message}`));
  }
}

/** How long a series may go without a repeat before it is finished, and how often the recorder looks (client-go's 6 minutes). */
export const SERIES_FINISH_MS = 6 * 60 * 1000;
/** How often every open series is written (client-go's 30 minutes). */
export const SERIES_REFRESH_MS = 30 * 60 * 1000;

/** events.k8s.io/v1 EventSeries. */
export interface EventSeries {
  count: number;
  /** MicroTime (RFC 3339 with microseconds). */
  lastObservedTime: string;
}

/** events.k8s.io/v1 Event, as EventsV1Recorder writes it. */
export interface EventV1 extends KubeObject {
  /** MicroTime (RFC 3339 with microseconds). */
  eventTime: string;
  series?: EventSeries;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  regarding: ObjectReference;
  related?: ObjectReference;
  note?: string;
  type: EventType;
}

/** Who records, for events.k8s.io/v1. */
export interface EventsV1RecorderOptions {
  /** reportingController: `default-scheduler`, `kubeling.io/node-controller` ... */
  readonly reportingController: string;
  /** reportingInstance; default `<reportingController>-<hostname>`, as client-go's. */
  readonly reportingInstance?: string;
  /** Time and the refresh and finish timers (default realClock); a FakeClock in tests. */
  readonly clock?: Clock;
  /** Where failed writes are logged (default console.error). */
  readonly log?: (msg: string) => void;
}

/** Records events.k8s.io/v1 events, folding isomorphic ones into series; see the file comment. */
export class EventsV1Recorder {
  readonly #client: RestClient;
  readonly #controller: string;
  readonly #instance: string;
  readonly #clock: Clock;
  readonly #log: (msg: string) => void;
  /** The latest state of each isomorphic event, by key; a series' count and lastObservedTime change here first. */
  readonly #cache = new Map<string, EventV1>();
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;
  // invariant: both timers are set until stop(), never after
  #finishTimer: TimerHandle | undefined;
  #refreshTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(client: RestClient, opts: EventsV1RecorderOptions) {
    this.#client = client;
    this.#controller = opts.reportingController;
    this.#instance = opts.reportingInstance ?? `${opts.reportingController}-${hostname()}`;
    this.#clock = opts.clock ?? realClock;
    this.#log = (msg) => (opts.log ?? console.error)(`${opts.reportingController}: ${msg}`);
    this.#finishTimer = this.#every(SERIES_FINISH_MS, () => this.#finishSeries(), (h) => (this.#finishTimer = h));
    this.#refreshTimer = this.#every(SERIES_REFRESH_MS, () => this.#refreshSeries(), (h) => (this.#refreshTimer = h));
  }

  /**
   * Records an event about `regarding` (and `related`, if any): `action` is
   * what was done or failed, `reason` why, the note util.format(fmt,
   * ...args). Never throws.
   */
  eventf(regarding: KubeObject, related: KubeObject | undefined, type: EventType, reason: string, action: string, fmt: string, ...args: unknown[]): void {
    if (this.#stopped) return;
    try {
      this.#record(regarding, related, type, reason, action, args.length ? format(fmt, ...args) : fmt);
    } catch (e) {
      this.#log(`event ${reason}: ${(e as Error).message}`);
    }
  }

  /** Waits until every write queued so far has been made (or has failed). */
  flush(): Promise<void> {
    return this.#chain;
  }

  /** Clears the timers; later events are not recorded (writes already queued still go out). */
  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#finishTimer);
    this.#clock.clearTimeout(this.#refreshTimer);
    this.#finishTimer = this.#refreshTimer = undefined;
  }

  /** Runs `f` every `ms` on the clock until stop(); `set` keeps the pending timer's handle. */
  #every(ms: number, f: () => void, set: (h: TimerHandle) => void): TimerHandle {
    return this.#clock.setTimeout(() => {
      if (this.#stopped) return;
      f();
      set(this.#every(ms, f, set));
    }, ms);
  }

  #record(regardingObj: KubeObject, relatedObj: KubeObject | undefined, type: EventType, reason: string, action: string, note: string): void {
    if (type !== 'Normal' && type !== 'Warning') {
      this.#log(`unsupported event type ${JSON.stringify(type)}: event ${reason} dropped`);
      return;
    }
    const regarding = referenceTo(regardingObj);
    const related = relatedObj ? referenceTo(relatedObj) : undefined;
    const key = JSON.stringify([regarding, related ?? {}, this.#controller, this.#instance, action, reason, note, type]);
    const nowMs = this.#clock.now();
    const cached = this.#cache.get(key);
    if (cached?.series) {
      cached.series = { count: cached.series.count + 1, lastObservedTime: microTime(nowMs) };
      return;
    }
    if (cached) {
      cached.series = { count: 2, lastObservedTime: microTime(nowMs) };
      this.#write(cached);
      return;
    }
    const event: EventV1 = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${regarding.name ?? 'unknown'}.${nameSuffix(nowMs, this.#seq++)}`, namespace: regarding.namespace || 'default' },
      eventTime: microTime(nowMs),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action,
      reason,
      regarding,
      ...(related ? { related } : {}),
      ...(note ? { note } : {}),
      type,
    };
    this.#cache.set(key, event);
    this.#write(event);
  }

  /** Writes every open series (client-go's refreshExistingEventSeries). */
  #refreshSeries(): void {
    for (const event of this.#cache.values()) if (event.series) this.#write(event);
  }

  /** Finishes the series without a repeat for SERIES_FINISH_MS, and forgets single events as old (client-go's finishSeries). */
  #finishSeries(): void {
    const horizon = this.#clock.now() - SERIES_FINISH_MS;
    for (const [key, event] of this.#cache) {
      if (event.series) {
        if (Date.parse(event.series.lastObservedTime) >= horizon) continue;
        this.#write(event);
      } else if (Date.parse(event.eventTime) >= horizon) {
        continue;
      }
      this.#cache.delete(key);
    }
  }

  /**
   * Queues a write of `event` as it is now: a series is PATCHed (created
   * anew, series and all, when the Event is gone), a single event created.
   */
  #write(cached: EventV1): void {
    const event = structuredClone(cached);
    const ref = { group: 'events.k8s.io', version: 'v1', resource: 'events', namespace: event.metadata.namespace! };
    const create = () => this.#client.create(ref, event);
    const write = async (): Promise<unknown> => {
      if (!event.series) return create();
      try {
        return await this.#client.patch({ ...ref, name: event.metadata.name! }, 'strategic', { series: event.series });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        return create(); // the Event expired or was deleted: write it anew
      }
    };
    this.#chain = this.#chain.then(write).then(
      () => undefined,
      (e: unknown) => this.#log(`could not write event ${event.reason}: ${(e as Error).message}`),
    );
  }
}
