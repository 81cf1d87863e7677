/**
 * Leases as replicated state (etcd's lessor less its clock): grant, revoke,
 * TimeToLive and the list, persisted in the store's file and applied through
 * Raft like any write. A key is attached to the lease it was last put with
 * (its `lease` column); a put without a lease detaches it, a delete ends it.
 * Time is not replicated: when a lease expires is the leader's business, in
 * lessor.ts, which revokes expired leases by proposing revoke().
 */
import { InvalidRequestError, LeaseExistsError, LeaseNotFoundError } from './errors.js';
import { bytes } from './keys.js';
import type { Backend } from './backend.js';
import type { WriteResult } from './store.js';
import type { Header } from './types.js';
import { MAX_LEASE_TTL } from './validate.js';
import type { WriteTxn } from './writer.js';

/** A granted lease. */
export interface Lease {
  readonly id: number;
  /** The granted TTL in seconds (after the minimum TTL was applied). */
  readonly ttl: number;
}

/** etcd's LeaseGrantResponse, less the header's cluster fields. */
export interface LeaseGrantResponse {
  readonly header: Header;
  readonly id: number;
  readonly ttl: number;
}

/** etcd's LeaseRevokeResponse, less the header's cluster fields. */
export interface LeaseRevokeResponse {
  readonly header: Header;
}

/** The replicated half of etcd's LeaseTimeToLiveResponse; the remaining TTL comes from the lessor. */
export interface LeaseTimeToLive {
  readonly id: number;
  readonly grantedTtl: number;
  /** The attached keys in key order, when asked for. */
  readonly keys: Uint8Array[];
}

/** A change to the set of leases, for the lessor. */
export type LeaseChange =
  | { readonly type: 'grant'; readonly lease: Lease }
  | { readonly type: 'revoke'; readonly id: number }
  /** The whole set was replaced (a snapshot was restored). */
  | { readonly type: 'reset' };

/** What the lessor needs of the lease set. */
export interface LeaseSource {
  get(id: number): Lease | undefined;
  list(): Lease[];
  /** Calls `listener` after each change commits; returns its removal. */
  subscribe(listener: (change: LeaseChange) => void): () => void;
}

/** What LeaseStore needs of MvccStore. */
export interface LeaseHost {
  /** Applies `run` at `index` as one write (see MvccStore's #apply). */
  apply<T>(index: number, run: (w: WriteTxn, b: Backend) => T): WriteResult<T>;
  backend(): Backend;
  revision(): number;
}

/** The TTL etcd gives a lease asked for with `ttl` when the minimum is `minTtl`. */
export function clampTtl(ttl: number, minTtl: number): number {
  return ttl < minTtl ? minTtl : ttl;
}

/**
 * The id a grant without one gets, derived from its Raft index (so every
 * member picks the same): a 52-bit mix of the index, moved up past ids in use.
 */
export function leaseIdFor(index: number, taken: (id: number) => boolean): number {
  let x = BigInt.asUintN(64, BigInt(index) + 0x9e3779b97f4a7c15n);
  x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n);
  x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d049bb133111ebn);
  x ^= x >> 31n;
  let id = Number(x & 0xfffffffffffffn);
  while (id === 0 || taken(id)) id = id >= 0xfffffffffffff ? 1 : id + 1;
  return id;
}

/** The store's leases; reached as MvccStore.leases. */
export class LeaseStore implements LeaseSource {
  readonly #host: LeaseHost;
  /** The minimum TTL in seconds. */
  readonly #minTtl: number;
  readonly #listeners = new Set<(change: LeaseChange) => void>();

  /** Made by MvccStore. */
  constructor(host: LeaseHost, minTtl: number) {
    this.#host = host;
    this.#minTtl = minTtl;
  }

  /**
   * Applies a grant at Raft index `index`: `id` 0 picks one (leaseIdFor), a
   * TTL below the minimum gets the minimum. Throws LeaseExistsError, or
   * InvalidRequestError('LeaseTTLTooLarge') above etcd's MaxLeaseTTL.
   */
  grant(id: number, ttl: number, index: number): WriteResult<LeaseGrantResponse> {
    const result = this.#host.apply(index, (_w, b) => {
      if (ttl > MAX_LEASE_TTL) throw new InvalidRequestError('LeaseTTLTooLarge');
      const leaseId = id !== 0 ? id : leaseIdFor(index, (x) => b.leaseTtl(x) !== undefined);
      if (b.leaseTtl(leaseId) !== undefined) throw new LeaseExistsError(leaseId);
      const granted = clampTtl(ttl, this.#minTtl);
      b.insertLease(leaseId, granted);
      return { header: { revision: this.#host.revision() }, id: leaseId, ttl: granted };
    });
    this.#emit({ type: 'grant', lease: { id: result.response.id, ttl: result.response.ttl } });
    return result;
  }

  /**
   * Applies a revocation at Raft index `index`: deletes every attached key,
   * in key order, in one revision (none if no key is attached), and the lease.
   * Throws LeaseNotFoundError.
   */
  revoke(id: number, index: number): WriteResult<LeaseRevokeResponse> {
    const result = this.#host.apply(index, (w, b) => {
      if (b.leaseTtl(id) === undefined) throw new LeaseNotFoundError(id);
      for (const key of b.leaseKeys(id)) {
        const row = b.current(key);
        if (row !== undefined) w.deleteKey(row);
      }
      b.deleteLease(id);
      return w;
    });
    this.#emit({ type: 'revoke', id });
    return { response: { header: { revision: result.response.view.rev } }, events: result.events };
  }

  /** The granted TTL and, if `keys`, the attached keys of lease `id`. Throws LeaseNotFoundError. */
  timeToLive(id: number, keys = false): LeaseTimeToLive {
    const b = this.#host.backend();
    const ttl = b.leaseTtl(id);
    if (ttl === undefined) throw new LeaseNotFoundError(id);
    return { id, grantedTtl: ttl, keys: keys ? b.leaseKeys(id).map(bytes) : [] };
  }

  /** Lease `id`, or undefined. */
  get(id: number): Lease | undefined {
    const ttl = this.#host.backend().leaseTtl(id);
    return ttl === undefined ? undefined : { id, ttl };
  }

  /** Every lease, by id (etcd's LeaseLeases). */
  list(): Lease[] {
    return this.#host.backend().leases();
  }

  /** {@inheritDoc LeaseSource.subscribe} */
  subscribe(listener: (change: LeaseChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells listeners the whole set changed; MvccStore calls it after a restore. */
  reset(): void {
    this.#emit({ type: 'reset' });
  }

  #emit(change: LeaseChange): void {
    for (const l of this.#listeners) l(change);
  }
}
