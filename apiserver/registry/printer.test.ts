import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { age, humanDuration } from './printer.js';

describe('ages as kubectl prints them', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [10 * m + 59 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [3 * d + 5 * h, '3d5h'],
    [8 * d + 5 * h, '8d'],
    [729 * d, '729d'],
    [2 * 365 * d + 3 * d, '2y3d'],
    [8 * 365 * d + 40 * d, '8y'],
  ];
  for (const [ms, want] of cases) it(`${ms} ms is ${want}`, () => assert.equal(humanDuration(ms), want));
  it('measures a timestamp to now, and an unset one is unknown', () => {
    assert.equal(age('2026-01-01T00:00:00Z', new Date('2026-01-01T00:05:00Z')), '5m');
    assert.equal(age(undefined, new Date()), '<unknown>');
  });
});
