/**
 * Taints and tolerations, as Kubernetes' v1 helpers (Toleration.ToleratesTaint,
 * FindMatchingUntoleratedTaint): the scheduler's TaintToleration and
 * NodeUnschedulable plugins use them, and so does node lifecycle code
 * (NoExecute eviction).
 *
 * A toleration tolerates a taint when its effect is empty or the same, its
 * key is empty or the same, and either its operator is Exists (any value) or
 * it is Equal (or unset) and the values are the same. An empty key with
 * Exists tolerates every taint (of its effect, or of all effects).
 */
import type { Taint, TaintEffect, Toleration } from './types.js';

/** The taint the node lifecycle puts on cordoned nodes (spec.unschedulable). */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Whether `toleration` tolerates `taint` (see the file comment). */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator) {
    case undefined:
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first of `taints` that `filter` keeps and no toleration tolerates; undefined when there is none. */
export function findMatchingUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter: (t: Taint) => boolean = () => true,
): Taint | undefined {
  return (taints ?? []).find((t) => filter(t) && !tolerationsTolerateTaint(tolerations, t));
}

/** The taints that keep new pods off a node: NoSchedule and NoExecute (kube's DoNotScheduleTaintsFilterFunc). */
export function isDoNotScheduleTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}

/** Whether a taint has `effect`. */
export function hasEffect(effect: TaintEffect): (t: Taint) => boolean {
  return (t) => t.effect === effect;
}
