import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizable, checkOperations, kvModel } from './linearizability.js';
import type { Operation } from './linearizability.js';

// Terse constructors: [call, return] intervals; return null = no response.
type T = [number, number | null];
const op = (clientId: number, kind: Operation['kind'], key: string, [call, ret]: T, rest: Partial<Operation> = {}): Operation => ({
  clientId, kind, key, call, return: ret, ...rest,
});
const put = (c: number, key: string, value: string, t: T) => op(c, 'put', key, t, { value });
const del = (c: number, key: string, t: T) => op(c, 'delete', key, t);
const get = (c: number, key: string, value: string | null, t: T) => op(c, 'get', key, t, { output: { value } });
const cas = (c: number, key: string, expected: string | null, value: string, ok: boolean | undefined, t: T) =>
  op(c, 'cas', key, t, { expected, value, ...(ok === undefined ? {} : { output: { ok } }) });

describe('checkLinearizable', () => {
  const cases: Array<{ name: string; history: Operation[]; ok: boolean; key?: string }> = [
    { name: 'empty history', history: [], ok: true },
    {
      name: 'sequential put/get/delete',
      history: [
        get(1, 'k', null, [0, 1]), put(1, 'k', 'a', [2, 3]), get(1, 'k', 'a', [4, 5]), del(1, 'k', [6, 7]), get(1, 'k', null, [8, 9]),
      ],
      ok: true,
    },
    {
      name: 'concurrent put and get: get sees the new value',
      history: [put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 10]), get(2, 'k', 'b', [3, 4])],
      ok: true,
    },
    {
      name: 'concurrent put and get: get sees the old value',
      history: [put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 10]), get(2, 'k', 'a', [3, 4])],
      ok: true,
    },
    {
      name: 'touching intervals count as concurrent',
      history: [put(1, 'k', 'a', [0, 5]), get(2, 'k', null, [5, 6])],
      ok: true,
    },
    {
      name: 'stale read after a completed put',
      history: [put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 3]), get(2, 'k', 'a', [4, 5])],
      ok: false,
      key: 'k',
    },
    {
      name: 'read of a value never written',
      history: [put(1, 'k', 'a', [0, 1]), get(2, 'k', 'zzz', [0, 5])],
      ok: false,
      key: 'k',
    },
    {
      name: 'new value then, later, the older value',
      history: [put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 20]), get(2, 'k', 'b', [3, 4]), get(3, 'k', 'a', [5, 6])],
      ok: false,
      key: 'k',
    },
    {
      name: 'no response, took effect (a later read sees it)',
      history: [put(1, 'k', 'a', [0, 1]), put(2, 'k', 'b', [2, null]), get(3, 'k', 'a', [10, 11]), get(3, 'k', 'b', [12, 13])],
      ok: true,
    },
    {
      name: 'no response, never took effect',
      history: [put(1, 'k', 'a', [0, 1]), put(2, 'k', 'b', [2, null]), del(2, 'k', [3, null]), get(3, 'k', 'a', [10, 11])],
      ok: true,
    },
    {
      name: 'no response cannot take effect before its call',
      history: [put(1, 'k', 'a', [0, 1]), get(3, 'k', 'b', [2, 3]), put(2, 'k', 'b', [4, null])],
      ok: false,
      key: 'k',
    },
    {
      name: 'no response get is ignored',
      history: [put(1, 'k', 'a', [0, 1]), get(2, 'k', 'zzz', [2, null])],
      ok: true,
    },
    {
      name: 'cas succeeds on match',
      history: [put(1, 'k', 'a', [0, 1]), cas(1, 'k', 'a', 'b', true, [2, 3]), get(1, 'k', 'b', [4, 5])],
      ok: true,
    },
    {
      name: 'cas on absent key',
      history: [cas(1, 'k', null, 'a', true, [0, 1]), cas(1, 'k', null, 'b', false, [2, 3]), get(1, 'k', 'a', [4, 5])],
      ok: true,
    },
    {
      name: 'cas reported success without a match',
      history: [put(1, 'k', 'a', [0, 1]), cas(1, 'k', 'x', 'b', true, [2, 3])],
      ok: false,
      key: 'k',
    },
    {
      name: 'cas reported failure despite a match',
      history: [put(1, 'k', 'a', [0, 1]), cas(1, 'k', 'a', 'b', false, [2, 3])],
      ok: false,
      key: 'k',
    },
    {
      name: 'failed cas does not write',
      history: [put(1, 'k', 'a', [0, 1]), cas(1, 'k', 'x', 'b', false, [2, 3]), get(1, 'k', 'b', [4, 5])],
      ok: false,
      key: 'k',
    },
    {
      name: 'concurrent cas races: exactly one wins',
      history: [put(1, 'k', 'a', [0, 1]), cas(1, 'k', 'a', 'b', true, [2, 6]), cas(2, 'k', 'a', 'c', false, [3, 5]), get(3, 'k', 'b', [7, 8])],
      ok: true,
    },
    {
      name: 'concurrent cas races: both cannot win',
      history: [put(1, 'k', 'a', [0, 1]), cas(1, 'k', 'a', 'b', true, [2, 6]), cas(2, 'k', 'a', 'c', true, [3, 5])],
      ok: false,
      key: 'k',
    },
    {
      name: 'cas with no response may take effect',
      history: [put(1, 'k', 'a', [0, 1]), cas(2, 'k', 'a', 'b', undefined, [2, null]), get(1, 'k', 'b', [5, 6])],
      ok: true,
    },
    {
      name: 'a delete of an absent key still orders later writes (regression)',
      history: [
        put(0, 'k', 'a', [3, null]), del(1, 'k', [1, 5]), cas(2, 'k', 'a', 'a', false, [3, 5]), put(3, 'k', 'b', [3, 4]),
        get(4, 'k', null, [9, 13]),
      ],
      ok: true,
    },
    {
      name: 'many pending writes, then an impossible read',
      history: [
        ...Array.from({ length: 12 }, (_, i) => put(i, 'k', `v${i % 3}`, [i, null])),
        put(20, 'k', 'x', [20, 21]), get(21, 'k', 'v0', [22, 23]), get(22, 'k', 'x', [24, 25]),
      ],
      ok: false,
      key: 'k',
    },
    {
      name: 'keys are independent',
      history: [put(1, 'x', 'a', [0, 1]), put(2, 'y', 'b', [0, 1]), get(1, 'y', 'b', [2, 3]), get(2, 'x', 'a', [2, 3])],
      ok: true,
    },
    {
      name: 'violation is reported with its key',
      history: [put(1, 'x', 'a', [0, 1]), get(1, 'x', 'a', [2, 3]), put(2, 'y', 'b', [0, 1]), get(2, 'y', 'a', [2, 3])],
      ok: false,
      key: 'y',
    },
  ];

  for (const tc of cases) {
    it(tc.name, () => {
      const r = checkLinearizable(tc.history);
      assert.equal(r.ok, tc.ok, r.ok === false ? r.explanation : undefined);
      if (r.ok === false) {
        assert.equal(r.key, tc.key);
        assert.match(r.explanation, /longest linearizable prefix/);
      }
    });
  }

  it('explains the violation readably', () => {
    const r = checkLinearizable([put(1, 'k', 'a', [0, 1]), put(1, 'k', 'b', [2, 3]), get(2, 'k', 'a', [4, 5])]);
    assert.equal(r.ok, false);
    if (r.ok !== false) return;
    assert.match(r.explanation, /prefix: 2 ops/);
    assert.match(r.explanation, /c2 get\(\) → "a" \[4, 5\] {2}\(illegal in this state\)/);
  });

  it('rejects an op that returns before its call', () => {
    assert.throws(() => checkLinearizable([put(1, 'k', 'a', [5, 4])]), RangeError);
  });

  it('returns unknown when the time budget runs out', () => {
    // 22 mutually concurrent puts and an impossible read: exponential search.
    const history = Array.from({ length: 22 }, (_, i) => put(i, 'k', `v${i}`, [0, 100]));
    history.push(get(99, 'k', 'never', [0, 100]));
    assert.deepEqual(checkLinearizable(history, { timeoutMs: 30 }), { ok: 'unknown', key: 'k' });
  });

  it('checkOperations works with the model directly', () => {
    assert.deepEqual(checkOperations(kvModel, [put(1, 'k', 'a', [0, 1]), get(1, 'k', 'a', [2, 3])]), { ok: true });
  });
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A history from a real linearizable register: each op gets a random
 * interval (clients are sequential) and a linearization point inside it;
 * outputs come from applying ops in linearization-point order. Some ops get
 * no response: they take effect at a random later point, or not at all.
 */
function generate(seed: number, clients: number, opsPerClient: number, keys: string[], pendingRate = 0): Operation[] {
  const rand = rng(seed);
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;
  const values = ['a', 'b', 'c', 'd'];
  const timed: Array<{ op: Operation; at: number }> = [];
  for (let c = 0; c < clients; c++) {
    let t = Math.floor(rand() * 10);
    for (let i = 0; i < opsPerClient; i++) {
      const key = pick(keys);
      const call = t;
      const ret = call + 1 + Math.floor(rand() * 30);
      const kind = pick(['put', 'get', 'get', 'delete', 'cas'] as const);
      const op: Operation = { clientId: c, kind, key, call, return: ret };
      if (kind === 'put' || kind === 'cas') op.value = pick(values);
      if (kind === 'cas') op.expected = rand() < 0.2 ? null : pick(values);
      let at = call + rand() * (ret - call);
      if (rand() < pendingRate) {
        op.return = null;
        at = rand() < 0.5 ? Infinity : call + rand() * 200; // never, or any time later
      }
      timed.push({ op, at });
      t = ret + Math.floor(rand() * 5);
    }
  }
  timed.sort((x, y) => x.at - y.at);
  const reg = new Map<string, string | null>();
  for (const { op, at } of timed) {
    if (at === Infinity) break;
    const cur = reg.get(op.key) ?? null;
    const step = kvModel.step(cur, op); // outputs not yet set: step gives the true next state
    if (op.return !== null) {
      if (op.kind === 'get') op.output = { value: cur };
      if (op.kind === 'cas') op.output = { ok: cur === (op.expected ?? null) };
    }
    reg.set(op.key, step.next);
  }
  return timed.map((x) => x.op).sort((x, y) => x.call - y.call);
}

describe('checkLinearizable on generated histories', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: linearizable, then a corrupted read is caught`, () => {
      const history = generate(seed, 4, 60, ['x', 'y'], seed % 2 === 0 ? 0.05 : 0);
      const r = checkLinearizable(history);
      assert.equal(r.ok, true, r.ok === false ? r.explanation : undefined);

      const reads = history.filter((op) => op.kind === 'get' && op.return !== null);
      const victim = reads[Math.floor(rng(seed * 7)() * reads.length)]!;
      victim.output = { value: 'corrupt' };
      const bad = checkLinearizable(history);
      assert.equal(bad.ok, false);
      if (bad.ok === false) assert.equal(bad.key, victim.key);
    });
  }

  it('5 clients × 1000 ops on 3 keys completes', () => {
    const history = generate(42, 5, 1000, ['a', 'b', 'c'], 0.01);
    assert.equal(history.length, 5000);
    assert.deepEqual(checkLinearizable(history), { ok: true });
  });
});

/** Reference checker: try every order of the ops (pending ones optional) that respects real time. */
function bruteForce(history: readonly Operation[]): boolean {
  const used = history.map(() => false);
  const precedes = (a: Operation, b: Operation) => a.return !== null && a.return < b.call;
  const search = (state: string | null): boolean => {
    if (history.every((o, i) => used[i] || o.return === null)) return true;
    return history.some((o, i) => {
      if (used[i] || history.some((p, j) => !used[j] && j !== i && precedes(p, o))) return false;
      const { ok, next } = kvModel.step(state, o);
      if (!ok) return false;
      used[i] = true;
      const found = search(next);
      used[i] = false;
      return found;
    });
  };
  return search(null);
}

describe('checkLinearizable agrees with brute force on small random histories', () => {
  it('3000 histories of up to 8 ops', () => {
    const rand = rng(99);
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;
    let violations = 0;
    for (let n = 0; n < 3000; n++) {
      const history = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, c): Operation => {
        const call = Math.floor(rand() * 10);
        const t: T = [call, rand() < 0.15 ? null : call + Math.floor(rand() * 6)];
        const done = t[1] !== null;
        switch (pick(['put', 'get', 'delete', 'cas'] as const)) {
          case 'put': return put(c, 'k', pick(['a', 'b']), t);
          case 'delete': return del(c, 'k', t);
          case 'get': return get(c, 'k', pick(['a', 'b', null]), t);
          case 'cas': return cas(c, 'k', pick(['a', 'b', null]), pick(['a', 'b']), done ? rand() < 0.5 : undefined, t);
        }
      });
      const expected = bruteForce(history);
      if (!expected) violations++;
      assert.equal(checkLinearizable(history).ok, expected, JSON.stringify(history));
    }
    assert.ok(violations > 300 && violations < 2700, `a useful mix (${violations} violations)`);
  });
});
