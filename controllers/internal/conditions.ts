/**
 * Status conditions of the workload kinds, by type (a ReplicaSet's, a
 * Deployment's), as Kubernetes' helpers keep them: at most one condition
 * of each type; setting one whose status and reason are already there
 * changes nothing; setting one of the same status keeps the old
 * lastTransitionTime.
 */
import type { ReplicaSetCondition } from './types.js';

/** The condition of `type`, if any. */
export function getCondition<C extends ReplicaSetCondition>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** `conditions` with `cond` set (see the file comment); the list is new, the old one untouched. */
export function setCondition<C extends ReplicaSetCondition>(conditions: readonly C[] | undefined, cond: C): C[] {
  const current = getCondition(conditions, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return [...(conditions ?? [])];
  const next = current && current.status === cond.status ? { ...cond, lastTransitionTime: current.lastTransitionTime } : cond;
  return [...(conditions ?? []).filter((c) => c.type !== cond.type), next];
}

/** `conditions` without the condition of `type`. */
export function removeCondition<C extends ReplicaSetCondition>(conditions: readonly C[] | undefined, type: string): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}
