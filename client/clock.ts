/**
 * Time for the client machinery, injectable so tests run on a virtual
 * clock: `now()` in milliseconds and one-shot timers. `realClock` is the
 * process's; `FakeClock` moves only when a test calls `step()`.
 */

/** A timer handle, whatever the clock's type. */
export type TimerHandle = unknown;

/** Wall time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch (or since any fixed origin, for a fake). */
  now(): number;
  /** Calls `f` once after `ms` milliseconds; the handle cancels it. */
  setTimeout(f: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired; a no-op otherwise. */
  clearTimeout(h: TimerHandle): void;
}

/** The process's clock (Date.now and Node timers; timers do not keep the process alive). */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (f, ms) => {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A virtual clock for tests: timers fire, in time order, only inside `step()`. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  // invariant: every entry's `at` >= the time it was scheduled
  readonly #timers = new Map<number, { at: number; f: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(f: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), f });
    return id;
  }

  clearTimeout(h: TimerHandle): void {
    this.#timers.delete(h as number);
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Advances time by `ms`, firing each timer due on the way at its own time. */
  step(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; f: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].f();
    }
    this.#now = end;
  }
}

/** A promise resolved after `ms` on `clock`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = realClock): Promise<void> {
  return new Promise((res) => {
    if (signal?.aborted) return res();
    const done = (): void => {
      clock.clearTimeout(h);
      signal?.removeEventListener('abort', done);
      res();
    };
    const h = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** RFC 3339 with seconds, as metav1.Time is written. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime is written. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A Go duration (`15s`, `1m30s`, `500ms`, `1h`) in ms; throws naming `what` when it is not one. */
export function parseDuration(v: string, what: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(v);
  if (!m || v === '') throw new Error(`${what}: ${JSON.stringify(v)} is not a duration`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000 + Number(m[4] ?? 0);
}
