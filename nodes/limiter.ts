/**
 * A bound on how many tasks run at once (a counting semaphore): thousands
 * of simulated nodes share one API client, and their heartbeats must not
 * all be in flight together when the API server is slow.
 */
export class Limiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new Error(`Limiter: max must be at least 1, not ${max}`);
  }

  /** Runs `f` once fewer than `max` others run; resolves or rejects as it does. */
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((res) => this.#waiting.push(res));
    else this.#running++;
    try {
      return await f();
    } finally {
      // hand the slot to the next waiter directly, or free it
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }
}
