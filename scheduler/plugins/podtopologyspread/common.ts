/**
 * What PodTopologySpread's PreFilter and PreScore share (kube-scheduler's
 * podtopologyspread/common.go): the pod's constraints with their defaults
 * filled in, the system default constraints, and the rules that decide which
 * nodes and pods count.
 */
import type { LabelSelector, Node, Pod, TopologySpreadConstraint } from '../../../client/types.js';
import type { PodInfo } from '../../framework/nodeinfo.js';
import { type LabelMatcher, labelSelectorMatcher, type NodeMatcher, requiredNodeAffinity } from '../../../client/selectors.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint } from '../../../client/taints.js';

/** The plugin's name. */
export const NAME = 'PodTopologySpread';

/** Filter's reason when placing the pod on the node would make a domain's skew exceed maxSkew. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
/** Filter's reason when the node lacks a constraint's topology key (UnschedulableAndUnresolvable). */
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

/** The well-known hostname label (v1.LabelHostname). */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
/** The well-known zone label (v1.LabelTopologyZone). */
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** kube-scheduler's system default constraints: for pods of a Service or controller that set none. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

/** A constraint as the plugin uses it: defaults filled in, matchLabelKeys merged into the selector. */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  /** null: the constraint had no labelSelector, which matches no pod (metav1's LabelSelectorAsSelector(nil)). */
  readonly selector: LabelSelector | null;
  /** The selector compiled. */
  readonly matches: LabelMatcher;
  /** invariant: >= 1 (unset counts as 1). */
  readonly minDomains: number;
  /** Unset: Honor. */
  readonly nodeAffinityPolicy: 'Honor' | 'Ignore';
  /** Unset: Ignore. */
  readonly nodeTaintsPolicy: 'Honor' | 'Ignore';
}

/**
 * The constraints with `whenUnsatisfiable === action`, defaulted; each
 * matchLabelKeys key the pod has becomes `key In (pod's value)` in the selector.
 */
export function filterConstraints(
  constraints: readonly TopologySpreadConstraint[],
  podLabels: Record<string, string> | undefined,
  action: TopologySpreadConstraint['whenUnsatisfiable'],
): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector: LabelSelector | null = c.labelSelector ?? null;
    const extra = (c.matchLabelKeys ?? []).filter((k) => podLabels !== undefined && Object.hasOwn(podLabels, k));
    if (selector !== null && extra.length > 0) {
      selector = {
        ...selector,
        matchExpressions: [...(selector.matchExpressions ?? []), ...extra.map((k) => ({ key: k, operator: 'In' as const, values: [podLabels?.[k] ?? ''] }))],
      };
    }
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      matches: labelSelectorMatcher(selector),
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    });
  }
  return out;
}

/** Labels that differ between pods of one controller, so they are left out of the default selector. */
const PER_POD_LABELS = new Set(['statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'controller-revision-hash']);
/** Owner kinds whose pods get the default constraints. */
const SPREAD_OWNER_KINDS = new Set(['ReplicaSet', 'StatefulSet', 'ReplicationController']);

/**
 * The selector the default constraints count with: kube-scheduler unions
 * the selectors of the Services, ReplicationControllers, ReplicaSets and
 * StatefulSets that select the pod. Kubeling has no listers here, so it
 * approximates: a pod whose controller owner is a ReplicaSet, StatefulSet or
 * ReplicationController is selected by its own labels (less the per-pod
 * ones); any other pod gets no default constraints (undefined).
 */
export function defaultSelector(pod: Pod): LabelSelector | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  if (!owner || !SPREAD_OWNER_KINDS.has(owner.kind)) return undefined;
  const matchLabels = Object.fromEntries(Object.entries(pod.metadata.labels ?? {}).filter(([k]) => !PER_POD_LABELS.has(k)));
  return Object.keys(matchLabels).length > 0 ? { matchLabels } : undefined;
}

/** The default constraints (for `action`) of a pod that has none of its own, with the default selector; [] when it gets none. */
export function buildDefaultConstraints(
  defaults: readonly TopologySpreadConstraint[],
  pod: Pod,
  action: TopologySpreadConstraint['whenUnsatisfiable'],
): SpreadConstraint[] {
  const constraints = filterConstraints(defaults, pod.metadata.labels, action);
  if (constraints.length === 0) return [];
  const selector = defaultSelector(pod);
  if (!selector) return [];
  return constraints.map((c) => ({ ...c, selector, matches: labelSelectorMatcher(selector) }));
}

/** The pod's constraints for `action`: its own, or the defaults when it sets none. */
export function constraintsOf(
  defaults: readonly TopologySpreadConstraint[],
  pod: Pod,
  action: TopologySpreadConstraint['whenUnsatisfiable'],
): SpreadConstraint[] {
  const own = pod.spec.topologySpreadConstraints ?? [];
  return own.length > 0 ? filterConstraints(own, pod.metadata.labels, action) : buildDefaultConstraints(defaults, pod, action);
}

/**
 * Whether the node counts for the constraint under its nodeAffinityPolicy
 * (the pod's nodeSelector and required node affinity, `required` when
 * compiled already) and nodeTaintsPolicy (NoSchedule/NoExecute taints).
 */
export function matchNodeInclusionPolicies(c: SpreadConstraint, pod: Pod, node: Node, required: NodeMatcher = requiredNodeAffinity(pod)): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !required(node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findMatchingUntoleratedTaint(node.spec?.taints, pod.spec.tolerations, isDoNotScheduleTaint) !== undefined) return false;
  return true;
}

/** Whether the node has every constraint's topology key. */
export function nodeLabelsMatchSpreadConstraints(labels: Record<string, string> | undefined, constraints: readonly SpreadConstraint[]): boolean {
  return constraints.every((c) => labels !== undefined && Object.hasOwn(labels, c.topologyKey));
}

/** The pods in namespace `ns`, not terminating, that the selector matches. */
export function countPodsMatchSelector(pods: readonly PodInfo[], matches: LabelMatcher, ns: string | undefined): number {
  let n = 0;
  for (const { pod } of pods) {
    if (pod.metadata.deletionTimestamp || pod.metadata.namespace !== ns) continue;
    if (matches(pod.metadata.labels)) n++;
  }
  return n;
}
