/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go's
 * leaderelection with a LeaseLock). Each candidate runs a LeaderElector
 * with its own identity:
 *
 * - It takes the Lease only when it is free (no holderIdentity) or expired:
 *   leaseDurationSeconds have passed on the *local* clock since this
 *   elector last saw the Lease's record change (client-go's observedTime;
 *   clocks of different machines are never compared). Taking it sets
 *   holderIdentity, acquireTime and renewTime (MicroTime) and bumps
 *   leaseTransitions; every write is guarded by the Lease's resourceVersion,
 *   so of two candidates only one wins.
 * - While leading it renews renewTime every retryPeriod; if no renewal
 *   succeeds within renewDeadline it stops leading (onStoppedLeading).
 * - `stop()` releases a held Lease (holderIdentity cleared, so another
 *   candidate takes it at once) and ends `run()`; `stop({ release: false })`
 *   just stops renewing, as a crash would.
 * - `run()` resolves once this elector has stopped: after stop(), or after
 *   losing the lead (as client-go's Run returns; run it again to re-enter).
 * - Callbacks: onStartedLeading (with a signal aborted when leadership
 *   ends), onStoppedLeading (once per leadership, after it ends),
 *   onNewLeader (whenever the observed holder changes, self included).
 */
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { microTime, realClock, sleep, type Clock } from './clock.js';
import type { RestClient } from './rest.js';
import type { Lease } from './types.js';

/** What to elect on and how. Times in ms; defaults are client-go's (15 s, 10 s, 2 s). */
export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  /** This candidate's identity (unique: host name plus a random part). */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly onStartedLeading?: (signal: AbortSignal) => void;
  readonly onStoppedLeading?: () => void;
  readonly onNewLeader?: (identity: string) => void;
  readonly clock?: Clock;
  readonly log?: (msg: string) => void;
}

type Spec = NonNullable<Lease['spec']>;

/** One candidate; see the file comment. */
export class LeaderElector {
  readonly #client: RestClient;
  readonly #c: LeaderElectionConfig;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  #ac = new AbortController();
  #release = true;
  #leading = false;
  #lease: Lease | undefined;
  /** The record last observed (as JSON) and when, on the local clock. */
  #observed = '';
  #observedAt = 0;
  #reportedLeader = '';
  #running: Promise<void> | undefined;

  constructor(client: RestClient, config: LeaderElectionConfig) {
    this.#client = client;
    this.#c = config;
    this.#clock = config.clock ?? realClock;
    this.#leaseMs = config.leaseDurationMs ?? 15_000;
    this.#renewMs = config.renewDeadlineMs ?? 10_000;
    this.#retryMs = config.retryPeriodMs ?? 2_000;
    if (!(this.#leaseMs > this.#renewMs && this.#renewMs > this.#retryMs)) throw new Error('leader election: need leaseDuration > renewDeadline > retryPeriod');
  }

  /** Whether this elector holds the Lease (as of its last successful write). */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last observed ('' when none). */
  getLeader(): string {
    return this.#reportedLeader;
  }

  /** Campaigns, leads until stopped or the lead is lost, then resolves (see the file comment). Not reentrant. */
  run(): Promise<void> {
    if (this.#ac.signal.aborted) this.#ac = new AbortController();
    this.#running = this.#run();
    return this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#ac.signal;
    while (!signal.aborted && !(await this.#tryAcquireOrRenew())) await sleep(this.#jitter(), signal, this.#clock);
    if (signal.aborted) return;
    const leadership = new AbortController();
    this.#safe('onStartedLeading', () => this.#c.onStartedLeading?.(leadership.signal));
    // renew: every retryPeriod; give up when none succeeded within renewDeadline
    let lastRenew = this.#clock.now();
    while (!signal.aborted) {
      await sleep(this.#retryMs, signal, this.#clock);
      if (signal.aborted) break;
      if (await this.#tryAcquireOrRenew()) lastRenew = this.#clock.now();
      else if (this.#clock.now() - lastRenew >= this.#renewMs || this.#reportedLeader !== this.#c.identity) {
        this.#log(`lost the lease ${this.#c.namespace}/${this.#c.name}`);
        break;
      }
    }
    if (this.#ac.signal.aborted && this.#release) await this.#releaseLease();
    this.#leading = false;
    leadership.abort();
    this.#safe('onStoppedLeading', () => this.#c.onStoppedLeading?.());
  }

  /** Stops campaigning or leading; releases a held Lease unless `release` is false. Resolves after the release. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.#release = opts.release ?? true;
    this.#ac.abort();
    await this.#running; // run() releases on its way out
  }

  #jitter(): number {
    return this.#retryMs * (1 + Math.random() * 0.2);
  }

  #safe(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#log(`${what} threw: ${(e as Error).message}`);
    }
  }

  #log(msg: string): void {
    (this.#c.log ?? console.error)(`leader election ${this.#c.identity}: ${msg}`);
  }

  #observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const rec = JSON.stringify([spec.holderIdentity ?? '', spec.leaseDurationSeconds, spec.acquireTime, spec.renewTime, spec.leaseTransitions]);
    if (rec !== this.#observed) {
      this.#observed = rec;
      this.#observedAt = this.#clock.now();
    }
    this.#lease = lease;
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      if (holder) this.#safe('onNewLeader', () => this.#c.onNewLeader?.(holder));
    }
  }

  /** One attempt: create, take or renew the Lease. True when this elector holds it now. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const ref = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: this.#c.namespace } as const;
    const nowMs = this.#clock.now();
    const now = microTime(nowMs);
    const mine: Spec = { holderIdentity: this.#c.identity, leaseDurationSeconds: Math.max(1, Math.round(this.#leaseMs / 1000)), acquireTime: now, renewTime: now, leaseTransitions: 0 };
    try {
      let lease: Lease;
      try {
        lease = await this.#client.get<Lease>({ ...ref, name: this.#c.name });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        const created = await this.#client.create<Lease>(ref, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#c.name, namespace: this.#c.namespace }, spec: mine });
        this.#observe(created);
        this.#leading = true;
        return true;
      }
      this.#observe(lease);
      const old = lease.spec ?? {};
      const holder = old.holderIdentity ?? '';
      const expired = this.#observedAt + this.#leaseMs <= this.#clock.now();
      if (holder && holder !== this.#c.identity && !expired) {
        this.#leading = false;
        return false;
      }
      const spec: Spec = holder === this.#c.identity && this.#leading
        ? { ...mine, acquireTime: old.acquireTime ?? now, leaseTransitions: old.leaseTransitions ?? 0 }
        : { ...mine, leaseTransitions: (old.leaseTransitions ?? 0) + (holder === this.#c.identity ? 0 : 1) };
      const updated = await this.#client.update<Lease>({ ...ref, name: this.#c.name }, { ...lease, spec });
      this.#observe(updated);
      this.#leading = true;
      return true;
    } catch (e) {
      if (!isConflict(e) && !isAlreadyExists(e)) this.#log(`lease ${this.#c.namespace}/${this.#c.name}: ${(e as Error).message}`);
      return false;
    }
  }

  /** Clears holderIdentity so another candidate can take the Lease at once (client-go's release). */
  async #releaseLease(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec?.holderIdentity !== this.#c.identity) return;
    const now = microTime(this.#clock.now());
    try {
      const spec: Spec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
      const updated = await this.#client.update<Lease>({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: this.#c.namespace, name: this.#c.name }, { ...lease, spec });
      this.#observe(updated);
    } catch (e) {
      this.#log(`could not release the lease: ${(e as Error).message}`);
    }
  }
}
