/**
 * Score normalisation shared by Score plugins (kube's helper.DefaultNormalizeScore).
 */
import type { NodeScore } from '../../framework/interface.js';

/**
 * Scales `scores` in place to 0..maxPriority relative to the highest one
 * (integer division, as kube-scheduler); with `reverse`, the lowest raw
 * score gets maxPriority. When every score is 0: all stay 0, or all become
 * maxPriority with `reverse`.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let maxCount = 0;
  for (const s of scores) maxCount = Math.max(maxCount, s.score);
  if (maxCount === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let score = Math.trunc((maxPriority * s.score) / maxCount);
    if (reverse) score = maxPriority - score;
    s.score = score;
  }
}
