import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyJson } from './copy.js';

describe('copyJson', () => {
  it('copies objects and arrays deeply, keeping nulls, undefined values and key order', () => {
    const v = { b: [1, { c: null, d: 'x' }], a: { e: undefined, f: true }, g: 0 };
    const c = copyJson(v);
    assert.deepEqual(c, v);
    assert.deepEqual(Object.keys(c), ['b', 'a', 'g']);
    assert.ok('e' in c.a);
    assert.notEqual(c.b, v.b);
    assert.notEqual(c.b[1], v.b[1]);
    (c.b[1] as { d: string }).d = 'y';
    assert.equal((v.b[1] as { d: string }).d, 'x');
  });

  it('keeps an own __proto__ key an own key, and copies other objects as structuredClone does', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const c = copyJson(parsed);
    assert.equal(Object.getPrototypeOf(c), Object.prototype);
    assert.deepEqual(Object.keys(c), ['__proto__', 'x']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const when = new Date(0);
    const d = copyJson({ when });
    assert.ok(d.when instanceof Date);
    assert.notEqual(d.when, when);
    assert.equal(copyJson(null), null);
    assert.equal(copyJson('s'), 's');
  });
});
