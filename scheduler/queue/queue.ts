/**
 * The scheduling queue (kube-scheduler's PriorityQueue): pods waiting for
 * a node, in three parts, and the pods in flight (popped, being scheduled
 * or bound):
 *
 * ```
 *   add ─► activeQ (QueueSort order) ─► pop ─► in flight ─► done (bound)
 *            ▲          ▲                         │ fits nowhere
 *            │ backoff  │ a cluster event          ▼
 *         backoffQ ◄────┴──── (hint: Queue) ── unschedulable pods
 *     (1 s doubling to 10 s)      (at most 5 minutes, then retried anyway)
 * ```
 *
 * A cluster event (a node added or changed, a bound pod deleted ...) moves
 * an unschedulable pod only when a plugin that rejected it registered for
 * that event and the plugin's hint, if it has one, says Queue (requeue.ts);
 * a pod that no plugin rejected (an error) goes straight to backoff. A pod
 * failing its cycle is checked against the events that came while it was
 * in flight the same way: one that may help it sends it to backoffQ rather
 * than to the unschedulable pods. A moved pod goes to backoffQ, or to
 * activeQ once its backoff is over. Time comes from an injectable clock; the
 * flushes run on timers started by run(), or by hand in tests.
 */
import type { Pod } from '../../client/types.js';
import { type ClusterEvent, podSchedulingPropertiesChange } from '../framework/events.js';
import type { QueuedPodInfo } from '../framework/interface.js';
import { KeyedHeap } from './keyedheap.js';
import { isEventOfInterest, isPodWorthRequeuing, type ProfileHints } from './requeue.js';

/** The queue's settings (kube-scheduler's defaults). */
export interface QueueOptions {
  /** The QueueSort plugin's order. */
  readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  readonly now?: () => number;
  /** podInitialBackoffSeconds: 1 s. */
  readonly initialBackoffMs?: number;
  /** podMaxBackoffSeconds: 10 s. */
  readonly maxBackoffMs?: number;
  /** How long a pod may stay unschedulable before it is retried anyway (podMaxInUnschedulablePodsDuration): 5 minutes. */
  readonly maxInUnschedulableMs?: number;
  /** Each profile's plugin registrations (Framework.queueingHints), by scheduler name; without them every event may help every pod. */
  readonly hints?: ProfileHints;
}

/** The key of a pod in the queue: namespace/name. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** An event that came while pods were in flight. */
interface ReceivedEvent {
  readonly seq: number;
  readonly event: ClusterEvent;
  readonly oldObj: unknown;
  readonly newObj: unknown;
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
  readonly #hints: ProfileHints | undefined;
  /** Incremented by each pop: the cycle a pod is scheduled in. */
  schedulingCycle = 0;
  /** The cycle of the last move request; the rule for a failing pod that was not popped from here (so has no in-flight record). */
  #moveRequestCycle = -1;
  /** The pods in flight, by key: the seq of the first event they have not seen. */
  readonly #inFlight = new Map<string, number>();
  /** The events since the oldest in-flight pod was popped (invariant: empty when none is in flight; seqs ascending). */
  #events: ReceivedEvent[] = [];
  #nextSeq = 0;
  #waiters: ((q: QueuedPodInfo | undefined) => void)[] = [];
  #closed = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(opts: QueueOptions) {
    this.#now = opts.now ?? (() => Date.now());
    this.#initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.#maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.#hints = opts.hints;
    this.#active = new KeyedHeap((q) => podKey(q.pod), opts.less);
    this.#backoff = new KeyedHeap((q) => podKey(q.pod), (a, b) => this.#backoffExpiry(a) < this.#backoffExpiry(b));
  }

  /** How many pods wait in each part. */
  get pending(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size };
  }

  /** How many pods are in flight, and how many events are kept for them. */
  get inFlight(): { pods: number; events: number } {
    return { pods: this.#inFlight.size, events: this.#events.length };
  }

  /** A new pod to schedule. */
  add(pod: Pod): void {
    const key = podKey(pod);
    const now = this.#now();
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#pushActive({ pod, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() });
  }

  /**
   * A pod that is not bound changed (`oldPod` as it was, when known). In
   * activeQ or backoffQ it is updated in place; in flight, its change is kept
   * among the in-flight events; unschedulable, it moves when the change may
   * help it (its own UnscheduledPod update events, through the hints); a pod
   * found nowhere is added.
   */
  update(oldPod: Pod | undefined, pod: Pod): void {
    const key = podKey(pod);
    const inActive = this.#active.get(key);
    if (inActive) return this.#active.push({ ...inActive, pod });
    const inBackoff = this.#backoff.get(key);
    if (inBackoff) return this.#backoff.push({ ...inBackoff, pod });
    const u = this.#unschedulable.get(key);
    const before = oldPod ?? u?.pod;
    if (this.#inFlight.has(key)) {
      if (before) for (const e of podSchedulingPropertiesChange(pod, before)) if (isEventOfInterest(e, this.#hints)) this.#record(e, before, pod);
      return;
    }
    if (!u) return this.add(pod);
    const updated = { ...u, pod };
    const events = before ? podSchedulingPropertiesChange(pod, before) : [];
    if (!events.some((e) => isPodWorthRequeuing(updated, e, before, pod, this.#hints))) {
      this.#unschedulable.set(key, updated);
      return;
    }
    this.#unschedulable.delete(key);
    this.#requeue(updated);
  }

  /** A pod that is gone, or bound by someone else. */
  delete(pod: Pod): void {
    const key = podKey(pod);
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#done(key);
  }

  /**
   * The next pod to schedule, waiting for one; undefined once the queue is
   * closed. The pod is in flight from now until addUnschedulable() or done().
   * A pod at hand is still given after one turn of the event loop
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
   * A popped pod that failed in the cycle `podSchedulingCycle` (its
   * unschedulablePlugins set): to backoffQ (or activeQ, its backoff over) if
   * no plugin rejected it or an event that came while it was in flight may
   * help it; else to the unschedulable pods. It is no longer in flight.
   */
  addUnschedulable(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const key = podKey(q.pod);
    const since = this.#inFlight.get(key);
    const back = { ...q, timestamp: this.#now() };
    let requeue: boolean;
    if (back.unschedulablePlugins.size === 0) requeue = true;
    else if (since !== undefined) requeue = this.#events.some((e) => e.seq >= since && isPodWorthRequeuing(back, e.event, e.oldObj, e.newObj, this.#hints));
    else requeue = this.#moveRequestCycle >= podSchedulingCycle;
    this.#done(key);
    if (this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key)) return;
    if (requeue) this.#requeue(back);
    else this.#unschedulable.set(key, back);
  }

  /** A popped pod's cycle is over without going back to the queue (bound, or gone). */
  done(pod: Pod): void {
    this.#done(podKey(pod));
  }

  /**
   * A cluster event (kube-scheduler's MoveAllToActiveOrBackoffQueue): moves
   * the unschedulable pods it may help (see the file comment), and keeps it
   * for the pods in flight. `oldObj` is what changed as it was (undefined
   * for an Add), `newObj` as it is (undefined for a Delete). `preCheck`,
   * when given, leaves alone the unschedulable pods it answers false for.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, oldObj?: unknown, newObj?: unknown, preCheck?: (pod: Pod) => boolean): void {
    if (!isEventOfInterest(event, this.#hints)) return;
    for (const [key, q] of this.#unschedulable) {
      if (preCheck && !preCheck(q.pod)) continue;
      if (!isPodWorthRequeuing(q, event, oldObj, newObj, this.#hints)) continue;
      this.#unschedulable.delete(key);
      this.#requeue(q);
    }
    this.#moveRequestCycle = this.schedulingCycle;
    this.#record(event, oldObj, newObj);
  }

  /** Moves the pods whose backoff is over to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.#now();
    for (let q = this.#backoff.peek(); q && this.#backoffExpiry(q) <= now; q = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#pushActive(q);
    }
  }

  /**
   * Retries the pods that have been unschedulable longer than the limit,
   * whatever rejected them (kube-scheduler's UnschedulableTimeout: no hint
   * is asked).
   */
  flushUnschedulableLeftover(): void {
    const now = this.#now();
    for (const [key, q] of this.#unschedulable) {
      if (now - q.timestamp <= this.#maxInUnschedulableMs) continue;
      this.#unschedulable.delete(key);
      this.#requeue(q);
    }
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

  /** Whether the pod waits anywhere here (in flight does not count). */
  has(pod: Pod): boolean {
    const key = podKey(pod);
    return this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key);
  }

  /** Where the pod waits, if it does. */
  where(pod: Pod): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    const key = podKey(pod);
    if (this.#active.has(key)) return 'active';
    if (this.#backoff.has(key)) return 'backoff';
    if (this.#unschedulable.has(key)) return 'unschedulable';
    return this.#inFlight.has(key) ? 'inFlight' : undefined;
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

  /** A pod an event may help: to backoffQ, or to activeQ when its backoff is over. */
  #requeue(q: QueuedPodInfo): void {
    if (this.#backoffExpiry(q) > this.#now()) this.#backoff.push(q);
    else this.#pushActive(q);
  }

  #pushActive(q: QueuedPodInfo): void {
    const w = this.#waiters.shift();
    if (w) w(this.#started(q));
    else this.#active.push(q);
  }

  /** A pod leaving the queue for a cycle: an attempt in a new cycle, in flight, its last rejectors forgotten. */
  #started(q: QueuedPodInfo): QueuedPodInfo {
    q.attempts++;
    q.unschedulablePlugins = new Set();
    this.schedulingCycle++;
    this.#inFlight.set(podKey(q.pod), this.#nextSeq);
    return q;
  }

  /** Keeps an event for the pods in flight (none: nothing to keep). */
  #record(event: ClusterEvent, oldObj: unknown, newObj: unknown): void {
    if (this.#inFlight.size === 0) return;
    this.#events.push({ seq: this.#nextSeq++, event, oldObj, newObj });
  }

  /** The pod with `key` is no longer in flight; events no in-flight pod needs are dropped. */
  #done(key: string): void {
    if (!this.#inFlight.delete(key)) return;
    if (this.#inFlight.size === 0) {
      this.#events = [];
      return;
    }
    let oldest = Infinity;
    for (const seq of this.#inFlight.values()) oldest = Math.min(oldest, seq);
    const drop = this.#events.findIndex((e) => e.seq >= oldest);
    if (drop < 0) this.#events = [];
    else if (drop > 0) this.#events.splice(0, drop);
  }
}
