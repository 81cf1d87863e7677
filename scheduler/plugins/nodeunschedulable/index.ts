/**
 * NodeUnschedulable (Filter): a cordoned node (spec.unschedulable) takes
 * only pods that tolerate the `node.kubernetes.io/unschedulable:NoSchedule`
 * taint; others are UnschedulableAndUnresolvable there (preemption cannot help).
 *
 * Events: a node added that the pod may use (not cordoned, or tolerated),
 * a node uncordoned (UpdateNodeTaint: spec.unschedulable turned false), the
 * pod itself given a toleration of the cordon.
 */
import type { Node, Pod, Taint } from '../../../client/types.js';
import type { CycleState } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, podEvent, QueueingHint } from '../../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PluginFactory } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { type Status, SUCCESS, unresolvable } from '../../framework/status.js';
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from '../../../client/taints.js';

/** The plugin's name in profiles. */
export const NAME = 'NodeUnschedulable';
/** The reason, as kube-scheduler words it. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

/** Whether `pod` may go to `node` as far as the cordon goes. */
function admits(pod: Pod, node: Node): boolean {
  return !node.spec?.unschedulable || tolerationsTolerateTaint(pod.spec.tolerations, UNSCHEDULABLE_TAINT);
}

/** See the file comment. */
export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    return admits(pod, nodeInfo.node) ? SUCCESS : unresolvable(ERR_REASON_UNSCHEDULABLE);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      nodeEvent(ActionType.Add | ActionType.UpdateNodeTaint, (pod, o, n) => isSchedulableAfterNodeChange(pod, o, n)),
      podEvent(ActionType.UpdatePodToleration, (pod, o, n) => isSchedulableAfterPodTolerationChange(pod, o, n), 'UnscheduledPod'),
    ];
  }
}

/** Queue when the node admits the pod and, for an update, did not before (it was uncordoned). */
export function isSchedulableAfterNodeChange(pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
  if (!newNode || !admits(pod, newNode)) return QueueingHint.QueueSkip;
  return !oldNode || !admits(pod, oldNode) ? QueueingHint.Queue : QueueingHint.QueueSkip;
}

/** Queue when the pod itself now tolerates the cordon. */
export function isSchedulableAfterPodTolerationChange(pod: Pod, _oldPod: Pod | undefined, newPod: Pod | undefined): QueueingHint {
  if (!newPod || newPod.metadata.uid !== pod.metadata.uid) return QueueingHint.QueueSkip;
  return tolerationsTolerateTaint(newPod.spec.tolerations, UNSCHEDULABLE_TAINT) ? QueueingHint.Queue : QueueingHint.QueueSkip;
}

/** The factory the registry holds. */
export const newNodeUnschedulable = ((_args: Record<string, unknown> | undefined, _handle: Handle) =>
  new NodeUnschedulable()) satisfies PluginFactory;
