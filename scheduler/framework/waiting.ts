/**
 * Permit's waiting pods (kube-scheduler's waitingPodsMap): a pod that a
 * Permit plugin told to Wait is kept here, by uid, from the end of its
 * scheduling cycle until its binding cycle learns the answer:
 *
 * ```
 *  Permit: Wait ─► add(pod, {plugin: timeout}) ─► a timer per plugin that asked to wait
 *                     │ allow(plugin) by each of them       ─► decided: Success
 *                     │ reject(plugin, message), by anyone  ─► decided: Unschedulable, naming the plugin
 *                     │ a plugin's timer runs out           ─► decided: "rejected due to timeout after waiting 5s at plugin P"
 *                     ▼
 *  binding cycle: wait(uid) ─► the decision; the pod leaves the map
 * ```
 *
 * The first decision stands: an allow or reject after it changes nothing.
 * A decision made before the binding cycle waits is kept for it. A timeout
 * is capped at 15 minutes, as kube-scheduler caps it. Timers run on an
 * injectable Clock (client/clock.ts: the real one's timers never hold the
 * process open); close() stops them all and ends every wait.
 */
import { type Clock, realClock, type TimerHandle } from '../../client/clock.js';
import type { Pod } from '../../client/types.js';
import type { WaitingPod } from './interface.js';
import { Code, SUCCESS, Status } from './status.js';

/** The longest a plugin may make a pod wait (kube-scheduler's maxTimeout): 15 minutes. */
export const MAX_PERMIT_TIMEOUT_MS = 15 * 60_000;

/** The key of a waiting pod: its uid. */
function uidOf(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** One waiting pod; see the file comment. */
class Waiting implements WaitingPod {
  /** The plugins that have not allowed it yet, each with its timer (invariant: empty once decided). */
  readonly #pending = new Map<string, TimerHandle>();
  #decide!: (s: Status) => void;
  #decided = false;
  /** Resolves with the first decision. */
  readonly decision = new Promise<Status>((res) => (this.#decide = res));

  constructor(
    readonly pod: Pod,
    timeouts: ReadonlyMap<string, number>,
    private readonly clock: Clock,
  ) {
    for (const [plugin, ms] of timeouts) {
      const wait = Math.min(Math.max(ms, 0), MAX_PERMIT_TIMEOUT_MS);
      const timer = clock.setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${goDuration(wait)} at plugin ${plugin}`), wait);
      this.#pending.set(plugin, timer);
    }
  }

  getPendingPlugins(): string[] {
    return [...this.#pending.keys()];
  }

  allow(pluginName: string): void {
    const timer = this.#pending.get(pluginName);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.#pending.delete(pluginName);
    if (this.#pending.size === 0) this.settle(SUCCESS);
  }

  reject(pluginName: string, message: string): void {
    this.settle(new Status(Code.Unschedulable, [message], pluginName || undefined));
  }

  /** Decides, once: stops every timer left and hands `status` to the waiter. */
  settle(status: Status): void {
    if (this.#decided) return;
    this.#decided = true;
    for (const timer of this.#pending.values()) this.clock.clearTimeout(timer);
    this.#pending.clear();
    this.#decide(status);
  }
}

/** The waiting pods; see the file comment. */
export class WaitingPods {
  readonly #pods = new Map<string, Waiting>();

  constructor(private readonly clock: Clock = realClock) {}

  /** How many pods wait (decided ones not yet taken by their binding cycle included). */
  get size(): number {
    return this.#pods.size;
  }

  /** Keeps `pod` waiting on the plugins of `timeouts` (plugin → ms), each timer started now. */
  add(pod: Pod, timeouts: ReadonlyMap<string, number>): WaitingPod {
    const w = new Waiting(pod, timeouts, this.clock);
    this.#pods.set(uidOf(pod), w);
    return w;
  }

  get(uid: string): WaitingPod | undefined {
    return this.#pods.get(uid);
  }

  /** Calls `fn` on each waiting pod (over a copy: `fn` may allow or reject). */
  iterate(fn: (wp: WaitingPod) => void): void {
    for (const w of [...this.#pods.values()]) fn(w);
  }

  /** Rejects the pod with `uid` if it waits (kube's RejectWaitingPod: no plugin, "removed"); whether it did. */
  reject(uid: string, message = 'removed'): boolean {
    const w = this.#pods.get(uid);
    w?.reject('', message);
    return w !== undefined;
  }

  /**
   * The binding cycle's wait (kube's WaitOnPermit): Success at once for a pod
   * that does not wait, else the decision when it comes; the pod then leaves
   * the map.
   */
  async wait(pod: Pod): Promise<Status> {
    const uid = uidOf(pod);
    const w = this.#pods.get(uid);
    if (!w) return SUCCESS;
    try {
      return await w.decision;
    } finally {
      if (this.#pods.get(uid) === w) this.#pods.delete(uid);
    }
  }

  /** Stops every timer, and ends every wait with an Error (the scheduler is stopping). */
  close(): void {
    for (const w of this.#pods.values()) w.settle(new Status(Code.Error, ['the scheduler stopped']));
  }
}

/**
 * A duration as Go's time.Duration prints it (kube-scheduler's messages
 * do): `0s`, `500µs`, `200ms`, `1.5s`, `15m0s`, `1h2m3.5s`.
 */
export function goDuration(ms: number): string {
  const ns = Math.round(Math.abs(ms) * 1e6);
  const sign = ms < 0 && ns > 0 ? '-' : '';
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${decimal(ns, 1e3)}µs`;
  if (ns < 1e9) return `${sign}${decimal(ns, 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = `${decimal(ns % 60e9, 1e9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  if (m > 0) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** `n / unit` in decimal, without trailing zeros (`unit` a power of ten). */
function decimal(n: number, unit: number): string {
  const whole = Math.floor(n / unit);
  const frac = n % unit;
  if (frac === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}
