/**
 * Controller expectations (Kubernetes' UIDTrackingControllerExpectations):
 * what a controller has asked the API server to create and delete and has
 * not yet seen in its informer, so that a sync run before the informer
 * catches up does not create or delete again.
 *
 * Contract:
 * - `expectCreations(key, n)` / `expectDeletions(key, podKeys)` replace the
 *   key's record (taken at the clock's now); deletions remember which pod
 *   keys they wait for.
 * - `creationObserved(key)` counts one creation down (the informer saw a
 *   pod added, or a create failed or was skipped); `deletionObserved(key,
 *   podKey)` counts one deletion down, once per remembered pod key (a pod
 *   seen marked for deletion and then deleted counts once).
 * - `satisfied(key)`: true when there is no record, when both counts are at
 *   or below zero, or when the record is older than the timeout (5 minutes,
 *   kube's ExpectationsTimeout: a lost watch event cannot stall a
 *   controller for ever).
 * - `delete(key)` forgets the key (its object was deleted).
 */
import type { Clock } from '../../client/clock.js';

/** How long expectations hold before a sync goes ahead anyway (kube's 5 minutes). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Record {
  add: number;
  del: number;
  /** When the record was set, on the clock. */
  at: number;
}

/** See the file comment. */
export class Expectations {
  readonly #records = new Map<string, Record>();
  // invariant: a key here has a record (its deletions were expected together)
  readonly #deleting = new Map<string, Set<string>>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** Whether the controller may act on `key` now (see the file comment). */
  satisfied(key: string): boolean {
    const r = this.#records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.at > this.timeoutMs;
  }

  /** The counts still awaited for `key`, if it has a record (for logs and tests). */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.#records.get(key);
    return r && { add: r.add, del: r.del };
  }

  /** Expects `n` pods created for `key` (and no deletions). */
  expectCreations(key: string, n: number): void {
    this.#set(key, n, 0);
  }

  /** Expects the pods `podKeys` (namespace/name) deleted for `key` (and no creations). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#deleting.set(key, new Set(podKeys));
    this.#set(key, 0, podKeys.length);
  }

  /** One creation for `key` seen (or given up). */
  creationObserved(key: string): void {
    const r = this.#records.get(key);
    if (r) r.add--;
  }

  /** The deletion of `podKey` for `key` seen (or given up); counts only a pod key expected and not yet counted. */
  deletionObserved(key: string, podKey: string): void {
    const waiting = this.#deleting.get(key);
    if (!waiting?.delete(podKey)) return;
    const r = this.#records.get(key);
    if (r) r.del--;
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.#records.delete(key);
    this.#deleting.delete(key);
  }

  #set(key: string, add: number, del: number): void {
    if (del === 0) this.#deleting.delete(key);
    this.#records.set(key, { add, del, at: this.clock.now() });
  }
}
