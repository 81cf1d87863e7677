/**
 * TaintToleration.
 * - Filter: a node with a NoSchedule or NoExecute taint the pod does not
 *   tolerate is UnschedulableAndUnresolvable, naming the first such taint:
 *   `node(s) had untolerated taint {key: value}`.
 * - Score: the number of the node's PreferNoSchedule taints the pod does
 *   not tolerate (counting only its tolerations with effect PreferNoSchedule
 *   or none); NormalizeScore reverses it, so the fewest get 100.
 * - Events: a node added, or its taints changed, that the pod now tolerates
 *   (and did not before); the pod itself given tolerations.
 */
import type { Node, Pod, Taint, Toleration } from '../../../client/types.js';
import type { CycleState, StateData } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, podEvent, QueueingHint } from '../../framework/events.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import type { EnqueueExtensions, FilterPlugin, Handle, NodeScore, PluginFactory, PreScorePlugin, ScorePlugin } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { type Status, SUCCESS, unresolvable } from '../../framework/status.js';
import { defaultNormalizeScore } from '../helper/normalize.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, tolerationsTolerateTaint } from '../../../client/taints.js';

/** The plugin's name in profiles. */
export const NAME = 'TaintToleration';
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** The Filter reason for `taint`, formatted as kube-scheduler does. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

class PreScoreState implements StateData {
  constructor(readonly tolerationsPreferNoSchedule: readonly Toleration[]) {}
  clone(): StateData {
    return this;
  }
}

/** The tolerations that count for scoring: effect PreferNoSchedule or none. */
function preferNoScheduleTolerations(pod: Pod): Toleration[] {
  return (pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

/** How many PreferNoSchedule taints of `taints` none of `tolerations` tolerates. */
export function countIntolerablePreferNoSchedule(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[]): number {
  return (taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t)).length;
}

/** Whether the pod tolerates every NoSchedule and NoExecute taint of the node. */
function tolerated(pod: Pod, node: Node): boolean {
  return findMatchingUntoleratedTaint(node.spec?.taints, pod.spec.tolerations, isDoNotScheduleTaint) === undefined;
}

/** Queue when the pod tolerates the node's taints now and, for an update, did not before. */
export function isSchedulableAfterNodeChange(pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
  if (!newNode || !tolerated(pod, newNode)) return QueueingHint.QueueSkip;
  return !oldNode || !tolerated(pod, oldNode) ? QueueingHint.Queue : QueueingHint.QueueSkip;
}

/** Queue when the pod itself was given tolerations. */
export function isSchedulableAfterPodTolerationChange(pod: Pod, _oldPod: Pod | undefined, newPod: Pod | undefined): QueueingHint {
  return newPod?.metadata.uid === pod.metadata.uid ? QueueingHint.Queue : QueueingHint.QueueSkip;
}

/** See the file comment. */
export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const taint = findMatchingUntoleratedTaint(nodeInfo.node.spec?.taints, pod.spec.tolerations, isDoNotScheduleTaint);
    return taint ? unresolvable(untoleratedTaintReason(taint)) : SUCCESS;
  }

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return SUCCESS;
    state.write(PRE_SCORE_KEY, new PreScoreState(preferNoScheduleTolerations(pod)));
    return SUCCESS;
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const tolerations = state.read<PreScoreState>(PRE_SCORE_KEY)?.tolerationsPreferNoSchedule ?? preferNoScheduleTolerations(pod);
    return { score: countIntolerablePreferNoSchedule(nodeInfo.node.spec?.taints, tolerations), status: SUCCESS };
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
    return SUCCESS;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      nodeEvent(ActionType.Add | ActionType.UpdateNodeTaint, isSchedulableAfterNodeChange),
      podEvent(ActionType.UpdatePodToleration, isSchedulableAfterPodTolerationChange, 'UnscheduledPod'),
    ];
  }
}

/** The factory the registry holds. */
export const newTaintToleration = ((_args: Record<string, unknown> | undefined, _handle: Handle) =>
  new TaintToleration()) satisfies PluginFactory;
