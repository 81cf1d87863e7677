/**
 * PodTopologySpread's queueing hints: which pod and node events may make a
 * pod it rejected schedulable (after kube-scheduler's). Only the pod's
 * DoNotSchedule constraints (its own or the defaults) matter: they alone
 * reject.
 *
 * - A bound pod of the pod's namespace added or deleted that a constraint
 *   counts, or relabelled so that some constraint counts it differently.
 * - The pod itself relabelled (it counts itself), or given tolerations when
 *   a constraint honours taints.
 * - A node added with every constraint's topology key, or deleted that had
 *   them; one updated so that it gains or loses them, or, having them,
 *   whose values of those keys or whose taints changed.
 */
import type { Node, Pod, TopologySpreadConstraint } from '../../../client/types.js';
import { jsonEqual, QueueingHint } from '../../framework/events.js';
import { constraintsOf, nodeLabelsMatchSpreadConstraints, type SpreadConstraint } from './common.js';

const { Queue, QueueSkip } = QueueingHint;

/** Whether `other` can change the pod's counts: the pod itself, or a bound pod of its namespace. */
function involved(other: Pod, pod: Pod): boolean {
  return other.metadata.uid === pod.metadata.uid || (!!other.spec.nodeName && other.metadata.namespace === pod.metadata.namespace);
}

/** The hint for a pod added, updated or deleted, under the profile's `defaults` constraints. */
export function isSchedulableAfterPodChange(defaults: readonly TopologySpreadConstraint[], pod: Pod, oldPod: Pod | undefined, newPod: Pod | undefined): QueueingHint {
  const constraints = constraintsOf(defaults, pod, 'DoNotSchedule');
  if (constraints.length === 0) return QueueSkip;
  if ((newPod && !involved(newPod, pod)) || (oldPod && !involved(oldPod, pod))) return QueueSkip;
  if (oldPod && newPod) {
    const relabelled = !jsonEqual(oldPod.metadata.labels ?? {}, newPod.metadata.labels ?? {});
    if (newPod.metadata.uid === pod.metadata.uid) {
      const tolerations = !jsonEqual(oldPod.spec.tolerations ?? [], newPod.spec.tolerations ?? []) && constraints.some((c) => c.nodeTaintsPolicy === 'Honor');
      return relabelled || tolerations ? Queue : QueueSkip;
    }
    return relabelled && constraints.some((c) => c.matches(oldPod.metadata.labels) !== c.matches(newPod.metadata.labels)) ? Queue : QueueSkip;
  }
  const changed = newPod ?? oldPod;
  if (!changed) return Queue;
  return constraints.some((c) => c.matches(changed.metadata.labels)) ? Queue : QueueSkip;
}

/** Whether a constraint's topology key has another value (or presence) on the two nodes. */
function topologyChanged(a: Node, b: Node, constraints: readonly SpreadConstraint[]): boolean {
  const la = a.metadata.labels ?? {};
  const lb = b.metadata.labels ?? {};
  return constraints.some((c) => la[c.topologyKey] !== lb[c.topologyKey]);
}

/** The hint for a node added, updated (labels, taints) or deleted. */
export function isSchedulableAfterNodeChange(defaults: readonly TopologySpreadConstraint[], pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
  const constraints = constraintsOf(defaults, pod, 'DoNotSchedule');
  if (constraints.length === 0) return QueueSkip;
  const was = oldNode ? nodeLabelsMatchSpreadConstraints(oldNode.metadata.labels, constraints) : false;
  const is = newNode ? nodeLabelsMatchSpreadConstraints(newNode.metadata.labels, constraints) : false;
  if (oldNode && newNode) {
    if (was !== is) return Queue;
    if (is && (topologyChanged(oldNode, newNode, constraints) || !jsonEqual(oldNode.spec?.taints ?? [], newNode.spec?.taints ?? []))) return Queue;
    return QueueSkip;
  }
  return is || was ? Queue : QueueSkip;
}
