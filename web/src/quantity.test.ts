import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatCpu, parseQuantity, podRequests } from './quantity.js';

describe('quantities', () => {
  it('parses decimal, binary and exponent suffixes', () => {
    const cases: [string | number, number][] = [
      ['100m', 0.1],
      ['1', 1],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['128Mi', 128 * 2 ** 20],
      ['1Gi', 2 ** 30],
      ['1G', 1e9],
      ['2k', 2000],
      ['1e3', 1000],
      ['5E-1', 0.5],
      ['250u', 0.00025],
      [110, 110],
    ];
    for (const [q, v] of cases) assert.ok(Math.abs(parseQuantity(q) - v) < 1e-12, `${q}: ${parseQuantity(q)} != ${v}`);
    for (const q of ['', 'x', '1X', '1 Mi', 'Mi', undefined]) assert.ok(Number.isNaN(parseQuantity(q)), String(q));
  });

  it('counts a pod as the scheduler does: containers summed, the largest init container if more, plus overhead', () => {
    const c = (cpu?: string, memory?: string) => ({ resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } });
    assert.deepEqual(podRequests({ spec: { containers: [c('100m', '64Mi'), c('200m')] } }), { cpu: 0.30000000000000004, memory: 64 * 2 ** 20 });
    assert.deepEqual(podRequests({ spec: { containers: [c('100m')], initContainers: [c('1', '1Mi')], overhead: { cpu: '10m' } } }), { cpu: 1.01, memory: 2 ** 20 });
    assert.deepEqual(podRequests({}), { cpu: 0, memory: 0 });
  });

  it('formats cores and bytes', () => {
    assert.equal(formatCpu(0.25), '250m');
    assert.equal(formatCpu(2), '2');
    assert.equal(formatCpu(1.256), '1.26');
    assert.equal(formatBytes(512 * 2 ** 20), '512Mi');
    assert.equal(formatBytes(1.5 * 2 ** 30), '1.5Gi');
    assert.equal(formatBytes(100), '100');
  });
});
