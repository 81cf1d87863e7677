/**
 * Why a pod fits nowhere, in kube-scheduler's words (its FitError): the
 * reasons each node gave, counted and sorted, after "0/N nodes are
 * available", then what preemption had to say:
 *
 *   0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
 *
 * This is the message of the FailedScheduling event and of the pod's
 * PodScheduled=False condition.
 */
import type { NodeToStatus } from './interface.js';

/** The message of a pod that fits no node; see the file comment. */
export function fitErrorMessage(
  numAllNodes: number,
  statuses: NodeToStatus,
  /** A PreFilter plugin's rejection, which stands for every node. */
  preFilterMsg?: string,
  /** PostFilter's (preemption's) own message. */
  postFilterMsg?: string,
): string {
  let msg = `0/${numAllNodes} nodes are available: `;
  if (preFilterMsg) msg += `${preFilterMsg}.`;
  else msg += `${reasonHistogram(statuses).join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

/** `<count> <reason>` for each reason the nodes gave, sorted as strings (as Go's sort.Strings: `10 x` before `2 y`). */
export function reasonHistogram(statuses: NodeToStatus): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
