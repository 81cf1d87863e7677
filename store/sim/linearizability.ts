/**
 * Linearizability checker for key-value histories.
 *
 * The search is Wing & Gong's backtracking search with Lowe's memoisation:
 * the history is a doubly linked list of call/return entries sorted by time;
 * we repeatedly try to linearize (step the model with, then "lift" out of the
 * list) a call that comes before the first remaining return, and backtrack
 * ("unlift") when a return is reached with its call still unlinearized. A
 * cache of (set of linearized ops, model state) prunes configurations already
 * explored. Keys are independent registers, so the history is partitioned per
 * key and each partition is checked on its own (P-compositionality).
 *
 * Time ties: events are ordered by time, and at equal times calls come before
 * returns. So op A precedes op B only if A.return < B.call strictly; touching
 * intervals count as concurrent. This is the conservative (accepting) choice.
 *
 * Ops without a response (`return === null`) get a return of +Infinity and
 * are optional: the search succeeds once every *completed* op is linearized,
 * so each pending op either takes effect at some point after its call or
 * never does. Cost: proving a violation can take time exponential in the
 * number of pending writes concurrent with it; pass `timeoutMs` and expect
 * 'unknown' for histories with many of them.
 */

/**
 * One client operation on a single key, with its real-time interval.
 * `output` undefined means the outcome is unknown (always so for a pending op).
 */
export interface Operation {
  clientId: number;
  kind: 'put' | 'get' | 'delete' | 'cas';
  key: string;
  /** put: the value written; cas: the new value. Required for both. */
  value?: string;
  /** cas: the value the key must hold for the swap to happen; null = absent. */
  expected?: string | null;
  /** get: `value` read (null = absent); cas: `ok` whether the swap happened. */
  output?: { value?: string | null; ok?: boolean };
  /** Invocation time. */
  call: number;
  /** Response time; null = no response observed (the op may or may not have taken effect). invariant: return >= call */
  return: number | null;
}

/**
 * A sequential specification. `step` must be pure: it returns whether `op`
 * (with its observed output) is legal in `state`, and the state after it.
 * `hash` must be equal exactly when states are equal (it keys the memo cache).
 */
export interface Model<S, O> {
  init(): S;
  step(state: S, op: O): { ok: boolean; next: S };
  hash(state: S): string;
  /**
   * Optional search hint: true only if `op` leaves the state unchanged in
   * every state where it is legal (e.g. a read). Such ops are placed as soon
   * as they are legal, without branching on their position.
   */
  readOnly?(op: O): boolean;
  describe?(op: O): string;
  describeState?(state: S): string;
}

/** The state of one key: its current value, or null when absent. */
export type Register = string | null;

const show = (v: string | null | undefined): string =>
  v === undefined ? '?' : v === null ? 'absent' : JSON.stringify(v);

/**
 * The register model for one key. put sets, delete clears, get is legal iff
 * it read the current value, cas swaps iff the current value equals
 * `expected` and is legal iff its reported `ok` matches. Unknown outputs
 * (undefined) accept any outcome.
 */
export const kvModel = {
  init: () => null,
  step(state, op) {
    switch (op.kind) {
      case 'put':
        return { ok: true, next: op.value ?? null };
      case 'delete':
        return { ok: true, next: null };
      case 'get': {
        const read = op.output?.value;
        return { ok: read === undefined || read === state, next: state };
      }
      case 'cas': {
        const reported = op.output?.ok;
        if (state === (op.expected ?? null)) return { ok: reported !== false, next: op.value ?? null };
        return { ok: reported !== true, next: state };
      }
    }
  },
  hash: (state) => (state === null ? '-' : `=${state}`),
  readOnly: (op) => op.kind === 'get' || (op.kind === 'cas' && op.output?.ok === false),
  describe(op) {
    const at = `[${op.call}, ${op.return ?? '∞'}]`;
    const who = `c${op.clientId}`;
    switch (op.kind) {
      case 'put':
        return `${who} put(${show(op.value)}) ${at}`;
      case 'delete':
        return `${who} delete() ${at}`;
      case 'get':
        return `${who} get() → ${show(op.output?.value)} ${at}`;
      case 'cas': {
        const outcome = op.output?.ok === undefined ? '?' : op.output.ok ? 'swapped' : 'failed';
        return `${who} cas(${show(op.expected)} → ${show(op.value)}) → ${outcome} ${at}`;
      }
    }
  },
  describeState: (state) => show(state),
} satisfies Model<Register, Operation>;

/** Anything with a real-time interval; `return === null` = no response. */
export interface Timed {
  call: number;
  return: number | null;
}

/** Result of checking one partition (one key) against a model. */
export type PartitionResult = { ok: true } | { ok: false; explanation: string } | { ok: 'unknown' };

/** Result of checking a whole key-value history. */
export type CheckResult =
  | { ok: true }
  | { ok: false; key: string; explanation: string }
  | { ok: 'unknown'; key: string };

/** A call or return entry in the search list. */
interface Entry {
  id: number; // index into ops; -1 for the head sentinel
  isCall: boolean;
  match: Entry | null; // call → its return entry
  prev: Entry | null;
  next: Entry | null;
}

/** An immutable linearization prefix (shared between search branches). */
interface Prefix<S> {
  id: number;
  after: S;
  depth: number;
  parent: Prefix<S> | null;
}

/**
 * Sorted event order: by time, calls before returns at equal times. Within a
 * run of consecutive calls the order does not change which ops may come
 * next, so completed calls go first and pending ones last (a search heuristic).
 */
function sortedEvents(ops: readonly Timed[]): Array<{ id: number; isCall: boolean }> {
  const evs: Array<{ id: number; isCall: boolean; t: number; rank: number }> = [];
  ops.forEach((op, id) => {
    const ret = op.return ?? Infinity;
    if (!Number.isFinite(op.call) || Number.isNaN(ret) || ret < op.call) {
      throw new RangeError(`operation ${id}: bad interval [${op.call}, ${op.return}]`);
    }
    evs.push({ id, isCall: true, t: op.call, rank: 0 }, { id, isCall: false, t: ret, rank: 1 });
  });
  evs.sort((x, y) => x.t - y.t || x.rank - y.rank || x.id - y.id);
  for (let i = 0, run = 0; i < evs.length; i++) {
    if (evs[i]!.isCall) evs[i]!.rank = run * 2 + (ops[evs[i]!.id]!.return === null ? 1 : 0);
    else run++;
  }
  return evs.sort((x, y) => (x.isCall && y.isCall ? x.rank - y.rank : 0)); // stable: moves only within runs
}

/** Remove a call entry and its return entry from the list. */
function lift(call: Entry): void {
  const ret = call.match!;
  call.prev!.next = call.next;
  call.next!.prev = call.prev; // a call is always followed by (at least) its return
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

/** Undo `lift` (must be called in reverse order of lifts). */
function unlift(call: Entry): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  call.next!.prev = call;
}

const NONE = new Uint32Array(0);

/** Whether bitset `y` is a subset of bitset `x` (missing words are zero). */
function subset(y: Uint32Array, x: Uint32Array): boolean {
  for (let w = 0; w < y.length; w++) if ((y[w]! & ~(x[w] ?? 0)) !== 0) return false;
  return true;
}

/**
 * The set of linearized ops. Completed ops are numbered in call order, so the
 * set is in practice "every op below `low`" plus a few just above it, which
 * gives a short exact key. Pending ops are kept apart, as a bitset.
 */
class LinearizedSet {
  private readonly done: Uint32Array;
  private readonly pending: Uint32Array;
  private pendingCount = 0;
  /** invariant: completed ops below `low` are all in the set; `low` is not (or low = count). */
  low = 0;
  /** invariant: no completed op above `high` is in the set. */
  high = -1;

  constructor(private readonly completedCount: number, pendingCount: number) {
    this.done = new Uint32Array(Math.ceil(completedCount / 32));
    this.pending = new Uint32Array(Math.ceil(pendingCount / 32));
  }

  /** Add a slot: `n >= 0` is completed op n, `~n` is pending op n. */
  add(slot: number): void {
    if (slot < 0) {
      this.pending[~slot >>> 5]! |= 1 << (~slot & 31);
      this.pendingCount++;
      return;
    }
    this.done[slot >>> 5]! |= 1 << (slot & 31);
    if (slot > this.high) this.high = slot;
    while (this.low < this.completedCount && (this.done[this.low >>> 5]! & (1 << (this.low & 31))) !== 0) this.low++;
  }

  /** Remove a slot; `high` is the value it had before the slot was added. */
  remove(slot: number, high: number): void {
    if (slot < 0) {
      this.pending[~slot >>> 5]! &= ~(1 << (~slot & 31));
      this.pendingCount--;
      return;
    }
    this.done[slot >>> 5]! &= ~(1 << (slot & 31));
    this.high = high;
    if (slot < this.low) this.low = slot;
  }

  /** Exact key of the completed part (contains no '|'). */
  key(): string {
    let k = `${this.low}`;
    if (this.high > this.low) for (let w = this.low >>> 5; w <= this.high >>> 5; w++) k += `,${this.done[w]}`;
    return k;
  }

  /** A copy of the pending part. */
  pendingBits(): Uint32Array {
    return this.pendingCount === 0 ? NONE : this.pending.slice();
  }
}

/**
 * Check that `ops` (all on one object) are linearizable with respect to
 * `model`. `deadline` is an absolute `Date.now()` time; past it the answer is
 * 'unknown'. Throws RangeError on an op whose return precedes its call.
 */
export function checkOperations<S, O extends Timed>(
  model: Model<S, O>,
  ops: readonly O[],
  opts: { deadline?: number } = {},
): PartitionResult {
  const deadline = opts.deadline ?? Infinity;
  const events = sortedEvents(ops);

  // Build the list (head sentinel, then entries in event order) and number
  // the ops for the linearized set: completed in call order, pending apart.
  const head: Entry = { id: -1, isCall: false, match: null, prev: null, next: null };
  const calls: Entry[] = new Array<Entry>(ops.length);
  const slot: number[] = new Array<number>(ops.length);
  let completed = 0;
  let pending = 0;
  let tail = head;
  for (const ev of events) {
    const e: Entry = { id: ev.id, isCall: ev.isCall, match: null, prev: tail, next: null };
    tail.next = e;
    tail = e;
    if (!ev.isCall) calls[ev.id]!.match = e;
    else {
      calls[ev.id] = e;
      slot[ev.id] = ops[ev.id]!.return === null ? ~pending++ : completed++;
    }
  }

  const set = new LinearizedSet(completed, pending);
  // Configurations (linearized set, state) known to fail, keyed by completed
  // set + state hash, holding the pending sets. A configuration with the
  // same key and a superset of those pending ops fails too: it has fewer
  // options (pending ops can always be left out). Only failed (popped)
  // configurations are added, so a hit always means failure.
  const failed = new Map<string, Uint32Array[]>();
  const knownToFail = (key: string, pend: Uint32Array): boolean =>
    failed.get(key)?.some((y) => subset(y, pend)) ?? false;
  let remaining = completed;
  let state = model.init();
  let prefix: Prefix<S> | null = null;
  let best: Prefix<S> | null = null;
  // A frame records the configuration before its op (restored on pop) and
  // the memo key of the one after it (marked failed on pop). It is `forced`
  // when its op is read-only (see Model.readOnly): legal and callable now,
  // the op could be moved to this point in any valid continuation, so its
  // failure is the failure of the frame below it too.
  type Frame = { call: Entry; state: S; prefix: Prefix<S> | null; high: number; forced: boolean };
  const stack: Array<Frame & { key: string; pend: Uint32Array }> = [];
  let entry = head.next;
  let iter = 0;

  while (remaining > 0) {
    if (deadline !== Infinity && (iter++ & 1023) === 0 && Date.now() >= deadline) return { ok: 'unknown' };
    if (entry === null || !entry.isCall) {
      // Reached a return whose call is not linearized (or a forced op failed): backtrack.
      const frame = stack.pop();
      if (frame === undefined) return { ok: false, explanation: explain(model, ops, events, best) };
      const list = failed.get(frame.key);
      if (list === undefined) failed.set(frame.key, [frame.pend]);
      else list.push(frame.pend);
      const { call } = frame;
      unlift(call);
      set.remove(slot[call.id]!, frame.high);
      if (slot[call.id]! >= 0) remaining++;
      ({ state, prefix } = frame);
      entry = frame.forced ? null : call.next;
      continue;
    }
    const id = entry.id;
    const { ok, next } = model.step(state, ops[id]!);
    if (!ok) {
      entry = entry.next;
      continue;
    }
    const forced = model.readOnly?.(ops[id]!) === true;
    const high = set.high;
    set.add(slot[id]!);
    const key = `${set.key()}|${model.hash(next)}`;
    const pend = set.pendingBits();
    if (knownToFail(key, pend)) {
      set.remove(slot[id]!, high);
      entry = forced ? null : entry.next;
      continue;
    }
    stack.push({ call: entry, state, prefix, high, forced, key, pend });
    prefix = { id, after: next, depth: (prefix?.depth ?? 0) + 1, parent: prefix };
    if (best === null || prefix.depth > best.depth) best = prefix;
    state = next;
    lift(entry);
    if (slot[id]! >= 0) remaining--;
    entry = head.next;
  }
  return { ok: true };
}

const MAX_PREFIX_SHOWN = 20;
const MAX_CANDIDATES_SHOWN = 10;

/** Render the longest linearizable prefix and the ops that could not follow it. */
function explain<S, O extends Timed>(
  model: Model<S, O>,
  ops: readonly O[],
  events: ReadonlyArray<{ id: number; isCall: boolean }>,
  best: Prefix<S> | null,
): string {
  const descOp = (id: number): string => {
    const op = ops[id]!;
    return model.describe ? model.describe(op) : `op#${id} [${op.call}, ${op.return ?? '∞'}]`;
  };
  const descState = (s: S): string => (model.describeState ? model.describeState(s) : model.hash(s));

  const order: Array<Prefix<S>> = [];
  for (let p = best; p !== null; p = p.parent) order.push(p);
  order.reverse();
  const done = new Set(order.map((p) => p.id));
  const completed = ops.filter((op) => op.return !== null).length;
  const end = best?.after ?? model.init();

  const lines = [`no linearization of ${completed} completed ops (${ops.length} in all) exists.`];
  lines.push(`longest linearizable prefix: ${order.length} ops`);
  const skip = Math.max(0, order.length - MAX_PREFIX_SHOWN);
  if (skip > 0) lines.push(`  … ${skip} earlier ops`);
  order.slice(skip).forEach((p, i) => lines.push(`  ${skip + i + 1}. ${descOp(p.id)}  ⇒ ${descState(p.after)}`));

  // Candidates: unlinearized ops called before the first unlinearized return.
  const candidates: number[] = [];
  for (const ev of events) {
    if (done.has(ev.id)) continue;
    if (!ev.isCall) break;
    candidates.push(ev.id);
  }
  lines.push(`then, in state ${descState(end)}, none of these could be placed next:`);
  for (const id of candidates.slice(0, MAX_CANDIDATES_SHOWN)) {
    const why = model.step(end, ops[id]!).ok ? 'leads to a dead end' : 'illegal in this state';
    lines.push(`  ${descOp(id)}  (${why})`);
  }
  if (candidates.length > MAX_CANDIDATES_SHOWN) lines.push(`  … ${candidates.length - MAX_CANDIDATES_SHOWN} more`);
  return lines.join('\n');
}

/**
 * Check a key-value history for linearizability. The history is partitioned
 * per key (keys are independent registers) and each key is checked with
 * `kvModel`, in order of first appearance. The first violating key is
 * reported with a readable explanation; if none violates but some key ran out
 * of the time budget (`timeoutMs`, shared by all keys; default unlimited),
 * the result is 'unknown' for the first such key.
 */
export function checkLinearizable(history: readonly Operation[], opts: { timeoutMs?: number } = {}): CheckResult {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    if ((op.kind === 'put' || op.kind === 'cas') && op.value === undefined) {
      throw new RangeError(`${op.kind} on ${JSON.stringify(op.key)} has no value`);
    }
    // A get with no response neither constrains nor changes anything.
    if (op.kind === 'get' && op.return === null) continue;
    let ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  let unknownKey: string | undefined;
  for (const [key, ops] of byKey) {
    const r = checkOperations(kvModel, ops, { deadline });
    if (r.ok === false) return { ok: false, key, explanation: `key ${JSON.stringify(key)}: ${r.explanation}` };
    if (r.ok === 'unknown') unknownKey ??= key;
  }
  return unknownKey === undefined ? { ok: true } : { ok: 'unknown', key: unknownKey };
}
