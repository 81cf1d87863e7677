import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Taint, Toleration } from './types.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, toleratesTaint } from './taints.js';

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'foo', value: 'bar', effect: 'NoSchedule' };
  const cases: { name: string; toleration: Toleration; taint?: Taint; want: boolean }[] = [
    { name: 'toleration and taint have the same key, value and effect', toleration: { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }, want: true },
    { name: 'operator unset means Equal', toleration: { key: 'foo', value: 'bar', effect: 'NoSchedule' }, want: true },
    { name: 'different values', toleration: { key: 'foo', operator: 'Equal', value: 'baz', effect: 'NoSchedule' }, want: false },
    { name: 'different keys', toleration: { key: 'other', operator: 'Exists', effect: 'NoSchedule' }, want: false },
    { name: 'different effects', toleration: { key: 'foo', operator: 'Exists', effect: 'NoExecute' }, want: false },
    { name: 'Exists ignores the value', toleration: { key: 'foo', operator: 'Exists', effect: 'NoSchedule' }, want: true },
    { name: 'empty effect tolerates every effect', toleration: { key: 'foo', operator: 'Exists' }, want: true },
    { name: 'empty key with Exists tolerates every taint', toleration: { operator: 'Exists' }, want: true },
    { name: 'empty key with Exists and an effect tolerates that effect only', toleration: { operator: 'Exists', effect: 'NoExecute' }, want: false },
    { name: 'Equal with no value tolerates a taint with no value', toleration: { key: 'foo', operator: 'Equal' }, taint: { key: 'foo', effect: 'NoSchedule' }, want: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(toleratesTaint(c.toleration, c.taint ?? taint), c.want));
});

describe('findMatchingUntoleratedTaint', () => {
  const taints: Taint[] = [
    { key: 'soft', effect: 'PreferNoSchedule' },
    { key: 'a', value: '1', effect: 'NoSchedule' },
    { key: 'b', value: '2', effect: 'NoExecute' },
  ];
  const cases: { name: string; tolerations: Toleration[]; want: string | undefined }[] = [
    { name: 'no tolerations: the first NoSchedule/NoExecute taint', tolerations: [], want: 'a' },
    { name: 'the first is tolerated', tolerations: [{ key: 'a', operator: 'Exists' }], want: 'b' },
    { name: 'all tolerated', tolerations: [{ operator: 'Exists' }], want: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(findMatchingUntoleratedTaint(taints, c.tolerations, isDoNotScheduleTaint)?.key, c.want));
});
