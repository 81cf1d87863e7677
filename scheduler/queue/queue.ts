/**
 * The scheduling queue (kube-scheduler's PriorityQueue): pods waiting for
 * a node, in three parts:
 *
 * ```
 *   add ─► activeQ (QueueSort order) ─► pop ─► a scheduling cycle
 *            ▲          ▲                         │ fits nowhere
 *            │ backoff  │ a cluster event          ▼
 *         backoffQ ◄────┴──────────────── unschedulable pods
 *     (1 s doubling to 10 s)      (at most 5 minutes, then retried anyway)
 * ```
 *
 * A pod that failed goes to the unschedulable pods, unless a cluster event
 * came while it was being scheduled (it might fit now): then to backoffQ.
 * An event (a node added, a pod deleted...) moves the unschedulable pods
 * that the event may help (by the plugins that rejected them) to backoffQ,
 * or straight to activeQ once their backoff is over. Time comes from an
 * injectable clock; the flushes run on timers started by run(), or by hand
 * in tests.
 */
import type { Pod } from '../../client/types.js';
import type { QueuedPodInfo } from '../framework/interface.js';
import { KeyedHeap } from './keyedheap.js';

/** The queue's settings (kube-scheduler's defaults). */
export interface QueueOptions {
  /** The QueueSort plugin's order. */
  readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  readonly now?: () => number;
  /** podInitialBackoffSeconds: 1 s. */
  readonly initialBackoffMs?: number;
  /** podMaxBackoffSeconds: 10 s. */
  readonly maxBackoffMs?: number;
  /** How long a pod may stay unschedulable before it is retried anyway: 5 minutes. */
  readonly maxInUnschedulableMs?: number;
}

/** The key of a pod in the queue: namespace/name. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** The scheduling queue; see the file comment. */
export class SchedulingQueue {
  readonly #active: KeyedHeap<QueuedPodInfo>;
  readonly #backoff: KeyedHeap<QueuedPodInfo>;
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  readonly #now: () => number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxInUnschedulableMs: number;
  /** Incremented by each pop: the cycle a pod is scheduled in. */
  schedulingCycle = 0;
  /** The cycle of the last move request (a cluster event); pods failing in a cycle at or before it go to backoff. */
  #moveRequestCycle = -1;
  #waiters: ((q: QueuedPodInfo | undefined) => void)[] = [];
  #closed = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(opts: QueueOptions) {
    this.#now = opts.now ?? (() => Date.now());
    this.#initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.#maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.#active = new KeyedHeap((q) => podKey(q.pod), opts.less);
    this.#backoff = new KeyedHeap((q) => podKey(q.pod), (a, b) => this.#backoffExpiry(a) < this.#backoffExpiry(b));
  }

  /** How many pods wait in each part. */
  get pending(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size };
  }

  /** A new pod to schedule. */
  add(pod: Pod): void {
    const key = podKey(pod);
    const now = this.#now();
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#pushActive({ pod, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() });
  }

  /** A pod waiting here changed: it is updated in place, and an unschedulable one whose spec changed is retried. */
  update(pod: Pod): void {
    const key = podKey(pod);
    const inActive = this.#active.get(key);
    if (inActive) return this.#active.push({ ...inActive, pod });
    const inBackoff = this.#backoff.get(key);
    if (inBackoff) return this.#backoff.push({ ...inBackoff, pod });
    const u = this.#unschedulable.get(key);
    if (!u) return this.add(pod);
    const updated = { ...u, pod };
    if (JSON.stringify(u.pod.spec) === JSON.stringify(pod.spec) && sameLabels(u.pod, pod)) {
      this.#unschedulable.set(key, updated);
      return;
    }
    this.#unschedulable.delete(key);
    if (this.#backoffExpiry(updated) > this.#now()) this.#backoff.push(updated);
    else this.#pushActive(updated);
  }

  /** A pod that is gone, or bound by someone else. */
  delete(pod: Pod): void {
    const key = podKey(pod);
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
  }

  /**
   * The next pod to schedule, waiting for one; undefined once the queue is
   * closed. A pod at hand is still given after one turn of the event loop
   * (setImmediate), so that a loop of cycles over a long activeQ lets I/O in
   * between them (bindings' answers, informers' events); resolved at once,
   * the loop would run on microtasks alone and starve it until the queue is
   * empty.
   */
  pop(): Promise<QueuedPodInfo | undefined> {
    const q = this.#active.pop();
    if (q) {
      const started = this.#started(q);
      return new Promise((res) => setImmediate(() => res(started)));
    }
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((res) => this.#waiters.push(res));
  }

  /**
   * A pod that failed in the cycle `podSchedulingCycle`: to backoffQ if a move
   * request came since that cycle began, else to the unschedulable pods.
   */
  addUnschedulable(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const key = podKey(q.pod);
    if (this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key)) return;
    const back = { ...q, timestamp: this.#now() };
    if (this.#moveRequestCycle >= podSchedulingCycle) this.#backoff.push(back);
    else this.#unschedulable.set(key, back);
  }

  /**
   * A cluster event that may make unschedulable pods fit: moves those that
   * `mayHelp` says it may help (all, without it) to backoffQ or activeQ.
   */
  moveAllToActiveOrBackoff(mayHelp?: (q: QueuedPodInfo) => boolean): void {
    const now = this.#now();
    for (const [key, q] of this.#unschedulable) {
      if (mayHelp && !mayHelp(q)) continue;
      this.#unschedulable.delete(key);
      if (this.#backoffExpiry(q) > now) this.#backoff.push(q);
      else this.#pushActive(q);
    }
    this.#moveRequestCycle = this.schedulingCycle;
  }

  /** Moves the pods whose backoff is over to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.#now();
    for (let q = this.#backoff.peek(); q && this.#backoffExpiry(q) <= now; q = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#pushActive(q);
    }
  }

  /** Retries the pods that have been unschedulable longer than the limit. */
  flushUnschedulableLeftover(): void {
    const now = this.#now();
    this.moveAllToActiveOrBackoff((q) => now - q.timestamp > this.#maxInUnschedulableMs);
  }

  /** Starts the flush timers (every second for backoff, every 30 s for the leftovers). */
  run(): void {
    this.#timers.push(setInterval(() => this.flushBackoffCompleted(), 1000), setInterval(() => this.flushUnschedulableLeftover(), 30_000));
    for (const t of this.#timers) t.unref();
  }

  /** Stops the timers; pop() answers undefined from now on. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  /** Whether the pod with `key` waits anywhere here. */
  has(pod: Pod): boolean {
    const key = podKey(pod);
    return this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key);
  }

  /** The backoff of a pod after `attempts` failures: initial × 2^(attempts−1), at most the max. */
  backoffDuration(attempts: number): number {
    let d = this.#initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.#maxBackoffMs) return this.#maxBackoffMs;
    }
    return Math.min(d, this.#maxBackoffMs);
  }

  #backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  #pushActive(q: QueuedPodInfo): void {
    const w = this.#waiters.shift();
    if (w) w(this.#started(q));
    else this.#active.push(q);
  }

  /** A pod leaving the queue for a cycle: counted as an attempt in a new cycle. */
  #started(q: QueuedPodInfo): QueuedPodInfo {
    q.attempts++;
    this.schedulingCycle++;
    return q;
  }
}

function sameLabels(a: Pod, b: Pod): boolean {
  return JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {});
}
