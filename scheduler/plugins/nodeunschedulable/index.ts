/**
 * NodeUnschedulable (Filter): a cordoned node (spec.unschedulable) takes
 * only pods that tolerate the `node.kubernetes.io/unschedulable:NoSchedule`
 * taint; others are UnschedulableAndUnresolvable there (preemption cannot help).
 */
import type { Pod, Taint } from '../../../client/types.js';
import type { CycleState } from '../../framework/cyclestate.js';
import type { FilterPlugin, Handle, PluginFactory } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { type Status, SUCCESS, unresolvable } from '../../framework/status.js';
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from '../helper/taints.js';

/** The plugin's name in profiles. */
export const NAME = 'NodeUnschedulable';
/** The reason, as kube-scheduler words it. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

/** See the file comment. */
export class NodeUnschedulable implements FilterPlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    if (!nodeInfo.node.spec?.unschedulable) return SUCCESS;
    if (tolerationsTolerateTaint(pod.spec.tolerations, UNSCHEDULABLE_TAINT)) return SUCCESS;
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  }
}

/** The factory the registry holds. */
export const newNodeUnschedulable = ((_args: Record<string, unknown> | undefined, _handle: Handle) =>
  new NodeUnschedulable()) satisfies PluginFactory;
