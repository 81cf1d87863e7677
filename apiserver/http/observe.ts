/**
 * The HTTP layer's seam for an observer of the traffic it serves (the
 * dashboard's flow recorder, apiserver/inspect/flow.ts): each write once it
 * is answered, and each watch event as it is sent to a watcher. The HTTP
 * layer knows only this interface, never the recorder; with no observer set
 * it costs one check per request and per event.
 */
import type { KubeObject } from '../api/meta.js';
import type { EventType } from '../watchcache/cache.js';

/** The verbs of writes, as Kubernetes' audit names them (an apply is a patch; pods/binding a create of the subresource). */
export type WriteVerb = 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * One write request, as answered. The objects are the ones the answer was
 * made of (shared with the response and the watch cache): read them, never
 * change or keep them.
 */
export interface ObservedWrite {
  readonly verb: WriteVerb;
  /** The store's resource (`pods`), its group ('' for the core group) and kind. */
  readonly resource: string;
  readonly group: string;
  readonly kind: string;
  /** `status`, `scale`, `binding`, `eviction`, `finalize` ... */
  readonly subresource?: string;
  readonly namespace?: string;
  /** Unset for a deletecollection. */
  readonly name?: string;
  /** The answer's HTTP status. */
  readonly code: number;
  /** The authenticated user's name. */
  readonly user: string;
  /** The request's User-Agent ('' when it sent none). */
  readonly userAgent: string;
  /** When the request reached the handler (epoch ms, fractional: epochMs()). */
  readonly startedAt: number;
  /** How long until its answer was written. */
  readonly durationMs: number;
  /**
   * What the write left: the object written (create, update, patch, apply,
   * a delete that only marked it), the Scale of a scale write, or, with
   * `deleted`, the object as it was when a delete removed it (its
   * resourceVersion is then the one before the deletion).
   */
  readonly object?: KubeObject;
  /** A delete removed the object (rather than marking it for deletion). */
  readonly deleted?: boolean;
  /** A deletecollection's objects, each removed or marked. */
  readonly items?: readonly KubeObject[];
  /** The body of an action (pods/binding's Binding, pods/eviction's Eviction): its answer names no revision. */
  readonly request?: unknown;
  /** A refused write's Status reason and message. */
  readonly failure?: { readonly reason?: string; readonly message?: string };
}

/** Who a watch stream sends to: made once per stream. */
export interface ObservedWatcher {
  /** The authenticated user's name. */
  readonly user: string;
  /** The watch request's User-Agent ('' when it sent none). */
  readonly userAgent: string;
  /** The resource watched (`pods`). */
  readonly resource: string;
}

/**
 * What the HTTP layer reports to. Both methods are called on the request's
 * or the event's path: they must be quick and must not throw (a throw is
 * swallowed by the caller, and the observation lost).
 */
export interface WriteObserver {
  /** A write request was answered (successfully or not; dry runs are not reported). */
  write(w: ObservedWrite): void;
  /**
   * A watch event was sent to a watcher. `object` is the event's object
   * (its resourceVersion the revision of the change), shared with every
   * watcher: read it, never change it. The ADDED events a watch starts with
   * (the current objects, when it does not resume from a resourceVersion)
   * are not reported: no write sent them.
   */
  delivered(watcher: ObservedWatcher, type: EventType, object: KubeObject): void;
}

/** A watch stream's observer and who it sends to. */
export interface WatchObservation {
  readonly observer: WriteObserver;
  readonly watcher: ObservedWatcher;
}

/** The time now as epoch milliseconds with a fraction (the clock of ObservedWrite.startedAt). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
