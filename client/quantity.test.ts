import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { milliValue, quantityValue, wholeValue } from './quantity.js';

describe('quantities as numbers', () => {
  it('reads decimal, binary and exponent forms', () => {
    const cases: [string | number, number][] = [
      ['500m', 0.5], ['2', 2], ['1.5', 1.5], ['1Gi', 2 ** 30], ['128Mi', 128 * 2 ** 20], ['1k', 1000], ['1e3', 1000], ['1E-3', 0.001], ['100M', 1e8], [3, 3], ['0', 0],
    ];
    for (const [q, v] of cases) assert.equal(quantityValue(q), v, String(q));
    assert.ok(Number.isNaN(quantityValue('lots')));
    assert.equal(quantityValue(undefined), 0);
  });

  it('rounds milli and whole values up, as Kubernetes does', () => {
    assert.equal(milliValue('100m'), 100);
    assert.equal(milliValue('0.1'), 100);
    assert.equal(milliValue('1'), 1000);
    assert.equal(milliValue('1n'), 1);
    assert.equal(milliValue('250m'), 250);
    assert.equal(wholeValue('1Gi'), 1073741824);
    assert.equal(wholeValue('1.5'), 2);
    assert.equal(wholeValue('110'), 110);
  });
});
