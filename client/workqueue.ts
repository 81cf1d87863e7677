/**
 * A rate-limited, de-duplicating work queue (client-go's workqueue: Type,
 * DelayingQueue and RateLimitingQueue in one class). Pure logic over an
 * injectable clock.
 *
 * Contract:
 * - `add(item)`: an item already waiting is not queued twice; an item being
 *   processed (between `get()` and `done()`) is queued again only after its
 *   `done()`, so no item is ever processed by two workers at once.
 * - `get()` resolves with the next item (FIFO), waiting for one; after
 *   `shutDown()` it hands out what is still queued, then resolves
 *   `undefined` (workers exit then).
 * - `addAfter(item, ms)` adds it once `ms` have passed; of several pending
 *   delays for one item, the earliest wins.
 * - `addRateLimited(item)` adds it after its backoff: 5 ms doubling per
 *   failure up to 1000 s (client-go's per-item exponential limiter);
 *   `forget(item)` resets that count (call it when the item succeeded).
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';

/** Per-item exponential backoff: base * 2^failures, capped (client-go's ItemExponentialFailureRateLimiter). */
export class ItemExponentialBackoff<T> {
  readonly #failures = new Map<T, number>();

  constructor(readonly baseMs = 5, readonly maxMs = 1_000_000) {}

  /** The delay for the item's next retry; counts one more failure. */
  when(item: T): number {
    const n = this.#failures.get(item) ?? 0;
    this.#failures.set(item, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  /** How many failures are counted for the item. */
  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }

  /** Clears the item's failures. */
  forget(item: T): void {
    this.#failures.delete(item);
  }
}

/** Options of a WorkQueue. */
export interface WorkQueueOptions<T> {
  readonly clock?: Clock;
  readonly rateLimiter?: ItemExponentialBackoff<T>;
}

/** The work queue; see the file comment. `T` is a key type compared with ===, usually a string. */
export class WorkQueue<T = string> {
  readonly #clock: Clock;
  readonly #limiter: ItemExponentialBackoff<T>;
  // invariant: queue's items are exactly dirty \ processing, each once
  readonly #queue: T[] = [];
  readonly #dirty = new Set<T>();
  readonly #processing = new Set<T>();
  readonly #waiters: ((item: T | undefined) => void)[] = [];
  readonly #delayed = new Map<T, { at: number; timer: TimerHandle }>();
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions<T> = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#limiter = opts.rateLimiter ?? new ItemExponentialBackoff<T>();
  }

  /** Queues an item (see the contract); ignored after shutDown(). */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#push(item);
  }

  #push(item: T): void {
    const w = this.#waiters.shift();
    if (w) {
      this.#dirty.delete(item);
      this.#processing.add(item);
      w(item);
    } else this.#queue.push(item);
  }

  /** The next item, once there is one; undefined once shut down and drained. */
  get(): Promise<T | undefined> {
    const item = this.#queue.shift();
    if (item !== undefined) {
      this.#dirty.delete(item);
      this.#processing.add(item);
      return Promise.resolve(item);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((res) => this.#waiters.push(res));
  }

  /** Marks an item processed; if it was added meanwhile, it is queued again now. */
  done(item: T): void {
    this.#processing.delete(item);
    if (this.#dirty.has(item)) this.#push(item);
  }

  /** Adds an item after `ms` (at once when ms <= 0). */
  addAfter(item: T, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(item);
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(item);
    if (pending && pending.at <= at) return;
    if (pending) this.#clock.clearTimeout(pending.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(item);
      this.add(item);
    }, ms);
    this.#delayed.set(item, { at, timer });
  }

  /** Adds an item after its backoff (see the contract). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.#limiter.when(item));
  }

  /** Resets an item's backoff. */
  forget(item: T): void {
    this.#limiter.forget(item);
  }

  /** How many times the item has been re-added with addRateLimited since its last forget. */
  numRequeues(item: T): number {
    return this.#limiter.numRequeues(item);
  }

  /** Items waiting to be handed out (not those being processed or delayed). */
  get length(): number {
    return this.#queue.length;
  }

  /** Whether shutDown() has been called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Stops taking items and cancels delayed adds; waiting get()s resolve undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const d of this.#delayed.values()) this.#clock.clearTimeout(d.timer);
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
