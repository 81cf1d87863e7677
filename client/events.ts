/**
 * An event recorder as Kubernetes' (client-go's record.EventRecorder with
 * its EventCorrelator's aggregation, simplified): `eventf(object, type,
 * reason, format, ...args)` records a core/v1 Event about the object, named
 * `<object name>.<hex>` in the object's namespace (`default` for a
 * cluster-scoped object), with involvedObject, reason, message, type,
 * source.component/host, reportingComponent/Instance, firstTimestamp,
 * lastTimestamp and count.
 *
 * A repeat of the same (object, type, reason, message, source) within 10
 * minutes of the last one is not a new Event: the existing one's count and
 * lastTimestamp are PATCHed (strategic merge). If that Event is gone (404),
 * a new one is created.
 *
 * Writes go out asynchronously, one at a time in call order; `eventf` never
 * blocks or throws, and a failed write is logged and dropped (events are
 * best effort). `flush()` waits for the writes queued so far.
 */
import { format } from 'node:util';
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

/** Seconds-precision RFC 3339, as metav1.Time is written. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
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

  /** A hex suffix unique in this process: the time in ns (as client-go's %x of UnixNano) plus a sequence. */
  #suffix(nowMs: number): string {
    return (BigInt(nowMs) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16);
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
