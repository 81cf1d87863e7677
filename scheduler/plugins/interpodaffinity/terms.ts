/**
 * Pod affinity terms as InterPodAffinity matches them (kube-scheduler's
 * framework.AffinityTerm and PodInfo's parsed terms).
 *
 * A term selects pods by labels within namespaces: the term's `namespaces`,
 * or those whose labels its `namespaceSelector` selects (`{}`: all), or —
 * when it sets neither — the namespace of the pod that holds the term.
 * matchLabelKeys and mismatchLabelKeys become `key In (value)` and
 * `key NotIn (value)` with the holder's label values (the API server does
 * this at pod creation in Kubernetes; kubeling does it here, which is
 * harmless when already done).
 */
import type { LabelSelector, Pod, PodAffinityTerm } from '../../../client/types.js';
import { type LabelMatcher, labelSelectorMatcher, type Labels } from '../../../client/selectors.js';

/** A parsed PodAffinityTerm. */
export interface AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  /** The namespaceSelector compiled (no selector: matches no namespace). */
  readonly namespaceSelector: LabelMatcher;
  /** Whether the namespaceSelector is `{}`, selecting every namespace, known or not. */
  readonly allNamespaces: boolean;
  readonly selector: LabelMatcher;
  readonly topologyKey: string;
}

/** A preferred term with its weight. */
export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** A pod's four kinds of terms, parsed. */
export interface PodTerms {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

function isEverything(s: LabelSelector | null | undefined): boolean {
  return !!s && Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

function mergedSelector(pod: Pod, t: PodAffinityTerm): LabelSelector | null {
  const sel = t.labelSelector ?? null;
  const labels = pod.metadata.labels ?? {};
  const extra = [
    ...(t.matchLabelKeys ?? []).filter((k) => Object.hasOwn(labels, k)).map((k) => ({ key: k, operator: 'In' as const, values: [labels[k] ?? ''] })),
    ...(t.mismatchLabelKeys ?? []).filter((k) => Object.hasOwn(labels, k)).map((k) => ({ key: k, operator: 'NotIn' as const, values: [labels[k] ?? ''] })),
  ];
  if (sel === null || extra.length === 0) return sel;
  return { ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
}

/** Parses `pod`'s term `t`. */
export function newAffinityTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const own = (t.namespaces ?? []).length === 0 && (t.namespaceSelector ?? null) === null;
  return {
    namespaces: new Set(own ? [pod.metadata.namespace ?? ''] : t.namespaces),
    namespaceSelector: labelSelectorMatcher(t.namespaceSelector),
    allNamespaces: isEverything(t.namespaceSelector),
    selector: labelSelectorMatcher(mergedSelector(pod, t)),
    topologyKey: t.topologyKey,
  };
}

const cache = new WeakMap<Pod, PodTerms>();

/** The pod's terms, parsed (cached per pod object: pods in the snapshot do not change). */
export function podTerms(pod: Pod): PodTerms {
  let terms = cache.get(pod);
  if (terms) return terms;
  const a = pod.spec.affinity;
  const weighted = (ts: { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined): WeightedAffinityTerm[] =>
    (ts ?? []).map((w) => ({ ...newAffinityTerm(pod, w.podAffinityTerm), weight: w.weight }));
  terms = {
    requiredAffinity: (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t)),
    requiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => newAffinityTerm(pod, t)),
    preferredAffinity: weighted(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
  cache.set(pod, terms);
  return terms;
}

/**
 * How a term learns the labels of the namespace of the pod it is matched
 * against: a fixed set (an existing pod's term against the incoming pod:
 * that pod's namespace, possibly unknown), or a lookup (the incoming pod's
 * terms against existing pods; an unknown namespace then matches only `{}`,
 * as kube-scheduler resolves those selectors to the namespaces that exist).
 */
export type NamespaceLabels = { readonly fixed: Labels } | { readonly lookup: (ns: string) => Labels | undefined };

/** Whether `pod` is in one of the term's namespaces and its labels match the term's selector. */
export function termMatches(t: AffinityTerm, pod: Pod, ns: NamespaceLabels): boolean {
  const namespace = pod.metadata.namespace ?? '';
  if (!t.namespaces.has(namespace) && !t.allNamespaces) {
    if ('fixed' in ns) {
      if (!t.namespaceSelector(ns.fixed)) return false;
    } else {
      const labels = ns.lookup(namespace);
      if (labels === undefined || !t.namespaceSelector(labels)) return false;
    }
  }
  return t.selector(pod.metadata.labels);
}

/** Whether `pod` matches every term (false when there are none). */
export function podMatchesAllAffinityTerms(terms: readonly AffinityTerm[], pod: Pod, ns: NamespaceLabels): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod, ns));
}

/** A namespace lookup through `namespaceLabels` that asks once per namespace. */
export function cachedLookup(namespaceLabels: (ns: string) => Labels | undefined): NamespaceLabels {
  const seen = new Map<string, Labels | undefined>();
  return {
    lookup: (ns) => {
      if (!seen.has(ns)) seen.set(ns, namespaceLabels(ns));
      return seen.get(ns);
    },
  };
}
