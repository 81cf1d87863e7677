/**
 * InterPodAffinity's queueing hints: which pod and node events may make a
 * pod it rejected schedulable (after kube-scheduler's
 * isSchedulableAfterPodChange and isSchedulableAfterNodeChange).
 *
 * - A bound pod added that matches all the pod's required affinity terms.
 * - A bound pod relabelled so that it now matches them, or no longer
 *   matches one of the pod's required anti-affinity terms.
 * - A bound pod deleted that matched one of the pod's anti-affinity terms,
 *   or whose own required anti-affinity kept the pod away.
 * - The pod itself relabelled (existing pods' anti-affinity, and its own
 *   affinity to itself, look at its labels).
 * - A node added with a topology key of the pod's terms (a new domain), or
 *   one whose value of such a key changed; for a pod without required terms of its own
 *   (kept away by existing pods' anti-affinity), any node added or
 *   relabelled.
 *
 * Unbound pods count for nothing here: they are in no domain.
 */
import type { Node, Pod } from '../../../client/types.js';
import { QueueingHint } from '../../framework/events.js';
import type { Labels } from '../../../client/selectors.js';
import { type AffinityTerm, cachedLookup, type NamespaceLabels, podMatchesAllAffinityTerms, podTerms, termMatches } from './terms.js';

const { Queue, QueueSkip } = QueueingHint;

/** Whether `p` matches some of `terms`. */
function matchesAny(terms: readonly AffinityTerm[], p: Pod, ns: NamespaceLabels): boolean {
  return terms.some((t) => termMatches(t, p, ns));
}

/** The hint for a pod added, relabelled or deleted; `namespaceLabels` as the Handle's. */
export function isSchedulableAfterPodChange(
  namespaceLabels: (ns: string) => Labels | undefined,
  pod: Pod,
  oldPod: Pod | undefined,
  newPod: Pod | undefined,
): QueueingHint {
  if (oldPod && newPod && newPod.metadata.uid === pod.metadata.uid) return Queue;
  if ((newPod && !newPod.spec.nodeName) || (oldPod && !oldPod.spec.nodeName)) return QueueSkip;
  const terms = podTerms(pod);
  const lookup = cachedLookup(namespaceLabels);
  if (oldPod && newPod) {
    if (!podMatchesAllAffinityTerms(terms.requiredAffinity, oldPod, lookup) && podMatchesAllAffinityTerms(terms.requiredAffinity, newPod, lookup)) return Queue;
    return terms.requiredAntiAffinity.some((t) => termMatches(t, oldPod, lookup) && !termMatches(t, newPod, lookup)) ? Queue : QueueSkip;
  }
  if (newPod) return podMatchesAllAffinityTerms(terms.requiredAffinity, newPod, lookup) ? Queue : QueueSkip;
  if (!oldPod) return Queue;
  if (matchesAny(terms.requiredAntiAffinity, oldPod, lookup)) return Queue;
  const fixed: NamespaceLabels = { fixed: namespaceLabels(pod.metadata.namespace ?? '') };
  return matchesAny(podTerms(oldPod).requiredAntiAffinity, pod, fixed) ? Queue : QueueSkip;
}

/** The hint for a node added or relabelled; see the file comment. */
export function isSchedulableAfterNodeChange(pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
  if (!newNode) return QueueSkip;
  const terms = podTerms(pod);
  const keys = new Set([...terms.requiredAffinity, ...terms.requiredAntiAffinity].map((t) => t.topologyKey));
  if (keys.size === 0) return Queue;
  const labels = newNode.metadata.labels ?? {};
  const before = oldNode?.metadata.labels ?? {};
  for (const k of keys) {
    const has = Object.hasOwn(labels, k);
    if (oldNode ? has !== Object.hasOwn(before, k) || before[k] !== labels[k] : has) return Queue;
  }
  return QueueSkip;
}
