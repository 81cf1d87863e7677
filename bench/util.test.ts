import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podBody, podName } from './apiserver-load.js';
import { closedLoop, markdownTable, percentile } from './util.js';

describe('bench helpers', () => {
  it('percentile takes the element at floor((n - 1) * p)', () => {
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.99), 3);
    assert.equal(percentile([1, 2, 3, 4], 1), 4);
    assert.equal(percentile([7], 0.99), 7);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 0.5), 50);
    assert.equal(percentile(hundred, 0.99), 99);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });

  it('markdownTable pads the first column left and the others right', () => {
    assert.deepEqual(markdownTable([['row', 'a'], ['long row', '12345']]), ['| row      |     a |', '|----------|------:|', '| long row | 12345 |']);
  });

  it('closedLoop stops after `ops` operations, each with its own sequence number, and counts failures', async () => {
    const seen: number[] = [];
    const r = await closedLoop(4, { ops: 10 }, async (_, seq) => {
      seen.push(seq);
      await Promise.resolve();
      if (seq === 3) throw new Error('boom');
    });
    assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(r.latencies.length, 9);
    assert.equal(r.errors, 1);
    assert.equal(r.firstError, 'boom');
    assert.deepEqual(r.latencies, [...r.latencies].sort((a, b) => a - b));
  });

  it('names pods as a ReplicaSet does, each one differently', () => {
    const names = Array.from({ length: 30_000 }, (_, i) => podName(i));
    assert.equal(new Set(names).size, names.length);
    for (const n of names.slice(0, 100)) assert.match(n, /^web-7d9c5b8f4-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const body = podBody('ns', names[0]!);
    assert.ok(body.length > 1000 && body.length < 1400, `a pod of ${body.length} bytes`);
  });
});
