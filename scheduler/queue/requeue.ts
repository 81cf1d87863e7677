/**
 * Whether a cluster event may help an unschedulable pod (kube-scheduler's
 * isPodWorthRequeuing), from the plugins that rejected it and what they
 * registered (framework/events.ts):
 *
 * - no plugin rejected it (an error, say): yes;
 * - the wildcard event (the periodic flush): yes;
 * - a rejecting plugin unknown to the pod's profile: yes (nothing says
 *   no), for any event that some plugin hears (isEventOfInterest);
 * - else yes if one of the rejecting plugins registered an event matching
 *   this one whose hint (if it has one) answers Queue; a hint that throws
 *   counts as Queue.
 */
import type { Pod } from '../../client/types.js';
import { type ClusterEvent, isWildCard, matchClusterEvents, QueueingHint, type QueueingHintMap } from '../framework/events.js';
import type { QueuedPodInfo } from '../framework/interface.js';

/** Every profile's registrations, by scheduler name. */
export type ProfileHints = ReadonlyMap<string, QueueingHintMap>;

/** The scheduler name a pod asks for. */
export function schedulerNameOf(pod: Pod): string {
  return pod.spec.schedulerName ?? 'default-scheduler';
}

/** Whether `event` may help `q`; see the file comment. Without `hints` every event may help every pod. */
export function isPodWorthRequeuing(q: QueuedPodInfo, event: ClusterEvent, oldObj: unknown, newObj: unknown, hints: ProfileHints | undefined): boolean {
  if (q.unschedulablePlugins.size === 0 || isWildCard(event) || !hints) return true;
  const registry = hints.get(schedulerNameOf(q.pod));
  if (!registry) return true;
  for (const plugin of q.unschedulablePlugins) {
    const registrations = registry.get(plugin);
    if (!registrations) return true;
    for (const r of registrations) {
      if (!matchClusterEvents(r.event, event)) continue;
      if (!r.queueingHintFn) return true;
      let hint: QueueingHint;
      try {
        hint = r.queueingHintFn(q.pod, oldObj, newObj);
      } catch {
        hint = QueueingHint.Queue;
      }
      if (hint === QueueingHint.Queue) return true;
    }
  }
  return false;
}

/**
 * Whether any plugin of any profile registered for `event` (kube-scheduler's
 * isEventOfInterest): an event none hears is not worth a walk over the
 * unschedulable pods, nor a place among the in-flight events.
 */
export function isEventOfInterest(event: ClusterEvent, hints: ProfileHints | undefined): boolean {
  if (!hints || isWildCard(event)) return true;
  for (const registry of hints.values()) {
    for (const registrations of registry.values()) if (registrations.some((r) => matchClusterEvents(r.event, event))) return true;
  }
  return false;
}
