/**
 * PrioritySort (QueueSort): the active queue pops the pod with the higher
 * spec.priority first (unset counts as 0), and of equal priorities the one
 * added to the queue earlier.
 */
import type { Pod } from '../../../client/types.js';
import type { Handle, PluginFactory, QueuedPodInfo, QueueSortPlugin } from '../../framework/interface.js';

/** The plugin's name in profiles. */
export const NAME = 'PrioritySort';

/** A pod's priority as kube's PodPriority: spec.priority, or 0. */
export function podPriority(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

/** See the file comment. */
export class PrioritySort implements QueueSortPlugin {
  readonly name = NAME;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const [pa, pb] = [podPriority(a.pod), podPriority(b.pod)];
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}

/** The factory the registry holds. */
export const newPrioritySort = ((_args: Record<string, unknown> | undefined, _handle: Handle) => new PrioritySort()) satisfies PluginFactory;
