/**
 * The lease clock (etcd's lessor, its timing half), kept by the leader only
 * and pure: no timers and no clock; every method that needs the time takes
 * `now` in milliseconds. The leader's driver calls expired(now) periodically
 * (etcd: every 500 ms, at most 500 leases) and proposes a revoke for each id;
 * keep-alives call renew(). Followers' lessors are demoted: their leases never
 * expire, as in etcd, until a promotion restarts every clock.
 *
 * The lease set itself is replicated state (lease.ts); the lessor follows it
 * through LeaseSource.subscribe. A lease granted while primary starts its
 * clock at the next call that passes the time.
 */
import { LeaseExpiredError, LeaseNotFoundError, NotPrimaryError } from './errors.js';
import { clampTtl } from './lease.js';
import type { LeaseChange, LeaseSource } from './lease.js';

/** Options for {@link Lessor}. */
export interface LessorOptions {
  /** The minimum TTL in seconds (see minLeaseTtl()). */
  readonly minTtl: number;
  /** How long an id reported by expired() is held back while its revocation goes through Raft (etcd: 3 s). */
  readonly retryMs?: number;
  /** etcd's leaseRevokeRate (per second), which sets how promote() spreads out piled-up expiries (default 1000). */
  readonly revokeRate?: number;
}

/** etcd's minimum lease TTL in seconds: 1.5 election timeouts, rounded up. */
export function minLeaseTtl(electionTicks: number, heartbeatMs: number): number {
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * heartbeatMs) / 1000);
}

/** The leader's lease clock; see the file comment. */
export class Lessor {
  readonly #source: LeaseSource;
  readonly #minTtl: number;
  readonly #retryMs: number;
  readonly #revokeRate: number;
  readonly #unsubscribe: () => void;
  #primary = false;
  /** Each clocked lease's expiry (ms). invariant: empty unless #primary; keys are leases of the source. */
  readonly #expiry = new Map<number, number>();
  /** The TTL (s, at least the minimum) of every lease in #expiry or #unclocked. */
  readonly #ttl = new Map<number, number>();
  /** Leases granted while primary whose clock starts at the next call that passes `now`. */
  readonly #unclocked = new Set<number>();
  /** When an expired lease may be reported again. invariant: keys ⊆ keys of #expiry. */
  readonly #retryAt = new Map<number, number>();

  /** A demoted lessor following `source` (the store's LeaseStore) until close(). */
  constructor(source: LeaseSource, opts: LessorOptions) {
    this.#source = source;
    this.#minTtl = opts.minTtl;
    this.#retryMs = opts.retryMs ?? 3000;
    this.#revokeRate = opts.revokeRate ?? 1000;
    this.#unsubscribe = source.subscribe((c) => this.#changed(c));
  }

  /** Whether this lessor keeps time (its member is the leader). */
  get primary(): boolean {
    return this.#primary;
  }

  /**
   * Becomes primary: every lease expires its full TTL plus `extendMs` from
   * `now` (the new leader cannot know how much of it had run), and, as in
   * etcd, when there are at least revokeRate leases, expiries that pile up
   * are spread so no more than 3/4 of the rate fall due in any second.
   */
  promote(now: number, extendMs: number): void {
    this.#clear();
    this.#primary = true;
    for (const l of this.#source.list()) {
      const ttl = clampTtl(l.ttl, this.#minTtl);
      this.#ttl.set(l.id, ttl);
      this.#expiry.set(l.id, now + extendMs + ttl * 1000);
    }
    if (this.#expiry.size >= this.#revokeRate) this.#spread(now, extendMs);
  }

  /** Stops keeping time: leases never expire until the next promote(). */
  demote(): void {
    this.#clear();
    this.#primary = false;
  }

  /**
   * A keep-alive: restarts the lease's clock and returns its TTL in seconds.
   * Throws NotPrimaryError on a follower, LeaseNotFoundError for an unknown
   * lease, LeaseExpiredError when it has expired and awaits revocation.
   */
  renew(id: number, now: number): number {
    if (!this.#primary) throw new NotPrimaryError();
    this.#clock(now);
    const ttl = this.#ttl.get(id);
    const expiry = this.#expiry.get(id);
    if (ttl === undefined || expiry === undefined) throw new LeaseNotFoundError(id);
    if (expiry - now <= 0) throw new LeaseExpiredError(id);
    this.#expiry.set(id, now + ttl * 1000);
    this.#retryAt.delete(id);
    return ttl;
  }

  /**
   * Milliseconds until the lease expires (<= 0: expired), Infinity on a
   * follower (etcd's "forever"). etcd's TimeToLive reports
   * Math.trunc(remaining / 1000) as the TTL. Throws LeaseNotFoundError.
   */
  remaining(id: number, now: number): number {
    if (!this.#primary) {
      if (this.#source.get(id) === undefined) throw new LeaseNotFoundError(id);
      return Infinity;
    }
    this.#clock(now);
    const expiry = this.#expiry.get(id);
    if (expiry === undefined) throw new LeaseNotFoundError(id);
    return expiry - now;
  }

  /**
   * The leases that have expired by `now`, soonest first, at most `limit`:
   * the driver proposes a revoke for each. An id reported here is not
   * reported again for retryMs unless renewed, so a revocation in flight is
   * not proposed twice, yet one lost (say, with leadership) is retried.
   */
  expired(now: number, limit = Infinity): number[] {
    if (!this.#primary) return [];
    this.#clock(now);
    const due: [number, number][] = [];
    for (const [id, expiry] of this.#expiry) {
      if (expiry <= now && (this.#retryAt.get(id) ?? -Infinity) <= now) due.push([id, expiry]);
    }
    due.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const ids = due.slice(0, limit).map(([id]) => id);
    for (const id of ids) this.#retryAt.set(id, now + this.#retryMs);
    return ids;
  }

  /** Stops following the lease set. */
  close(): void {
    this.#unsubscribe();
  }

  #changed(c: LeaseChange): void {
    switch (c.type) {
      case 'grant':
        if (!this.#primary) return;
        this.#ttl.set(c.lease.id, clampTtl(c.lease.ttl, this.#minTtl));
        this.#unclocked.add(c.lease.id);
        return;
      case 'revoke':
        this.#forget(c.id);
        return;
      case 'reset': {
        if (!this.#primary) return;
        const live = new Map(this.#source.list().map((l) => [l.id, l.ttl]));
        for (const id of [...this.#ttl.keys()]) if (!live.has(id)) this.#forget(id);
        for (const [id, ttl] of live) {
          if (this.#ttl.has(id)) continue;
          this.#ttl.set(id, clampTtl(ttl, this.#minTtl));
          this.#unclocked.add(id);
        }
        return;
      }
    }
  }

  /** Starts the clocks of leases granted since the last call that knew the time. */
  #clock(now: number): void {
    for (const id of this.#unclocked) this.#expiry.set(id, now + (this.#ttl.get(id) ?? 0) * 1000);
    this.#unclocked.clear();
  }

  #forget(id: number): void {
    this.#expiry.delete(id);
    this.#ttl.delete(id);
    this.#unclocked.delete(id);
    this.#retryAt.delete(id);
  }

  #clear(): void {
    this.#expiry.clear();
    this.#ttl.clear();
    this.#unclocked.clear();
    this.#retryAt.clear();
  }

  /** etcd's Promote pile-up adjustment: delays leases beyond the target expiries per one-second window. */
  #spread(now: number, extendMs: number): void {
    const leases = [...this.#expiry].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const target = Math.floor((3 * this.#revokeRate) / 4);
    let base = leases[0]![1] - now;
    let next = base + 1000;
    let expires = 0;
    for (const [id, expiry] of leases) {
      const remaining = expiry - now;
      if (remaining > next) {
        base = remaining;
        next = base + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= target) continue;
      const delay = 1000 * (expires / target) - (remaining - base);
      next = base + delay;
      this.#expiry.set(id, now + delay + extendMs + (this.#ttl.get(id) ?? 0) * 1000);
    }
  }
}
