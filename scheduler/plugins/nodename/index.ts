/**
 * NodeName (Filter): a pod that names its node (spec.nodeName) fits only
 * that node; UnschedulableAndUnresolvable elsewhere. Events: the named node
 * added.
 */
import type { Node, Pod } from '../../../client/types.js';
import type { CycleState } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, QueueingHint } from '../../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PluginFactory } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { type Status, SUCCESS, unresolvable } from '../../framework/status.js';

/** The plugin's name in profiles. */
export const NAME = 'NodeName';
/** The reason, as kube-scheduler words it. */
export const ERR_REASON = "node(s) didn't match the requested node name";

/** Whether the pod names no node or names this one. */
export function fits(pod: Pod, nodeInfo: NodeInfo): boolean {
  return !pod.spec.nodeName || pod.spec.nodeName === nodeInfo.name;
}

/** Queue when the node added is the one the pod names. */
export function isSchedulableAfterNodeAdd(pod: Pod, _oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
  return newNode && (!pod.spec.nodeName || pod.spec.nodeName === newNode.metadata.name) ? QueueingHint.Queue : QueueingHint.QueueSkip;
}

/** See the file comment. */
export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    return fits(pod, nodeInfo) ? SUCCESS : unresolvable(ERR_REASON);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [nodeEvent(ActionType.Add, isSchedulableAfterNodeAdd)];
  }
}

/** The factory the registry holds. */
export const newNodeName = ((_args: Record<string, unknown> | undefined, _handle: Handle) => new NodeName()) satisfies PluginFactory;
