/**
 * Completion indexes of Indexed Jobs (Kubernetes' indexed_job_utils): the
 * index a pod carries, the compressed form `1,3-5,7` of status.completedIndexes
 * as ordered intervals, and which indexes to start next.
 */
import type { Pod } from '../../client/types.js';
import { COMPLETION_INDEX_ANNOTATION } from './types.js';

/** The index of a pod without a valid one. */
export const UNKNOWN_INDEX = -1;

/** The pod's completion index (its annotation, a non-negative int32), else UNKNOWN_INDEX. */
export function completionIndex(pod: Pod): number {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return UNKNOWN_INDEX;
  const n = Number(v);
  return n < 2 ** 31 ? n : UNKNOWN_INDEX;
}

/** Disjoint, non-adjacent, ascending closed intervals of indexes. */
export type Intervals = readonly (readonly [number, number])[];

/**
 * Parses `1,3-5` into intervals, keeping only indexes below `completions`
 * (a malformed part ends the parse, as Kubernetes logs and stops there).
 */
export function parseIndexes(s: string | undefined, completions: number): Intervals {
  const out: [number, number][] = [];
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) break;
    const first = Number(m[1]);
    let last = m[2] === undefined ? first : Number(m[2]);
    if (last < first || first >= completions) break;
    last = Math.min(last, completions - 1);
    const prev = out[out.length - 1];
    if (prev && first <= prev[1] + 1) prev[1] = Math.max(prev[1], last);
    else out.push([first, last]);
  }
  return out;
}

/** The compressed text of intervals: `1,3-5`. */
export function formatIndexes(iv: Intervals): string {
  return iv.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

/** How many indexes the intervals hold. */
export function totalIndexes(iv: Intervals): number {
  return iv.reduce((n, [a, b]) => n + b - a + 1, 0);
}

/** Whether `ix` is in the intervals. */
export function hasIndex(iv: Intervals, ix: number): boolean {
  return iv.some(([a, b]) => a <= ix && ix <= b);
}

/** The intervals with the (sorted) indexes added. */
export function withIndexes(iv: Intervals, indexes: readonly number[]): Intervals {
  const all = [...iv.map(([a, b]) => [a, b] as [number, number]), ...indexes.map((i) => [i, i] as [number, number])].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of all) {
    const prev = out[out.length - 1];
    if (prev && a <= prev[1] + 1) prev[1] = Math.max(prev[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The first `count` indexes below `completions` that are neither succeeded nor held by an active pod (firstPendingIndexes). */
export function firstPendingIndexes(succeeded: Intervals, activePods: readonly Pod[], count: number, completions: number): number[] {
  const busy = new Set<number>();
  for (const p of activePods) busy.add(completionIndex(p));
  const out: number[] = [];
  for (let ix = 0; ix < completions && out.length < count; ix++) if (!hasIndex(succeeded, ix) && !busy.has(ix)) out.push(ix);
  return out;
}
