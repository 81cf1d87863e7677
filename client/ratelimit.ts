/**
 * Client-side rate limiting (client-go's flowcontrol token bucket): `qps`
 * tokens a second into a bucket of `burst`; each request takes one, waiting
 * for it when the bucket is empty. Reservations are made in call order, so
 * waiters are served first come, first served. Pure arithmetic over an
 * injectable clock; `take()` is the only part that sleeps.
 */
import { realClock, sleep, type Clock } from './clock.js';

/** A token bucket: `qps` a second, at most `burst` saved up. */
export class TokenBucket {
  // invariant: tokens <= burst; negative tokens are reservations not yet due
  #tokens: number;
  #last: number;

  constructor(readonly qps: number, readonly burst: number, private readonly clock: Clock = realClock) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`TokenBucket: qps must be > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Takes a token now, returning how many ms the caller must wait before using it (0 when one was saved up). */
  reserve(): number {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.qps) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.qps);
  }

  /** Waits for a token. */
  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await sleep(wait, signal, this.clock);
  }
}
