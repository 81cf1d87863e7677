/**
 * Label and node selector matching, as Kubernetes' labels.Selector,
 * metav1.LabelSelectorAsSelector and component-helpers' nodeaffinity.
 *
 * - A LabelSelector that is null or undefined selects nothing; `{}` selects
 *   everything. matchLabels and matchExpressions are ANDed.
 * - A NodeSelector's terms are ORed; within a term, expressions (on labels)
 *   and fields (only `metadata.name`) are ANDed. An empty term selects
 *   nothing, and so does a selector without terms.
 * - A requirement that Kubernetes would reject (In/NotIn without values,
 *   Exists/DoesNotExist with values, Gt/Lt without exactly one integer, an
 *   unknown operator; a field requirement other than In/NotIn with one value)
 *   never matches: the term it is in selects nothing, as in kube-scheduler.
 *
 * Compile once per cycle with labelSelectorMatcher / nodeSelectorMatcher
 * and call the result per object.
 */
import type { LabelSelector, Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from './types.js';

/** Labels as on an object's metadata (undefined: none). */
export type Labels = Readonly<Record<string, string>> | undefined;

/** A requirement on labels (LabelSelector and NodeSelector operators). */
export interface Requirement {
  readonly key: string;
  readonly operator: NodeSelectorRequirement['operator'];
  readonly values?: readonly string[];
}

const INT64 = /^[+-]?[0-9]+$/;

/** Whether a requirement is one Kubernetes accepts (see the file comment). */
export function isValidRequirement(r: Requirement): boolean {
  const n = r.values?.length ?? 0;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      return n > 0;
    case 'Exists':
    case 'DoesNotExist':
      return n === 0;
    case 'Gt':
    case 'Lt':
      return n === 1 && INT64.test(r.values?.[0] ?? '');
    default:
      return false;
  }
}

/** Whether `labels` satisfy one requirement (an invalid one never matches). */
export function requirementMatches(r: Requirement, labels: Labels): boolean {
  if (!isValidRequirement(r)) return false;
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : '';
  switch (r.operator) {
    case 'In':
      return has && r.values!.includes(value);
    case 'NotIn':
      return !has || !r.values!.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !INT64.test(value)) return false;
      const [a, b] = [BigInt(value), BigInt(r.values![0]!)];
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A compiled selector: whether an object with these labels is selected. */
export type LabelMatcher = (labels: Labels) => boolean;

const NOTHING: LabelMatcher = () => false;

/** Compiles a LabelSelector (null/undefined: nothing; `{}`: everything). */
export function labelSelectorMatcher(selector: LabelSelector | null | undefined): LabelMatcher {
  if (!selector) return NOTHING;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key, operator: 'In', values: [value] });
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator !== 'In' && e.operator !== 'NotIn' && e.operator !== 'Exists' && e.operator !== 'DoesNotExist') return NOTHING;
    if (!isValidRequirement(e)) return NOTHING;
    reqs.push(e);
  }
  return (labels) => reqs.every((r) => requirementMatches(r, labels));
}

/** Whether `labels` are selected by `selector` (see labelSelectorMatcher). */
export function matchesLabelSelector(selector: LabelSelector | null | undefined, labels: Labels): boolean {
  return labelSelectorMatcher(selector)(labels);
}

/** Whether every key of `selector` (a pod's nodeSelector: a plain map) has the same value in `labels`. */
export function matchesMapSelector(selector: Readonly<Record<string, string>> | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels !== undefined && Object.hasOwn(labels, k) && labels[k] === v);
}

/** The field requirement on `metadata.name` as kube's field selectors read it: In/NotIn with exactly one value. */
function fieldMatches(r: NodeSelectorRequirement, nodeName: string): boolean {
  if ((r.operator !== 'In' && r.operator !== 'NotIn') || r.values?.length !== 1) return false;
  const value = r.key === 'metadata.name' ? nodeName : '';
  return r.operator === 'In' ? value === r.values[0] : value !== r.values[0];
}

/** Whether a term has neither expressions nor fields (it selects nothing). */
export function isEmptyTerm(t: NodeSelectorTerm): boolean {
  return (t.matchExpressions?.length ?? 0) === 0 && (t.matchFields?.length ?? 0) === 0;
}

/** Whether `node` matches one NodeSelectorTerm (an empty term matches nothing). */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  if (isEmptyTerm(term)) return false;
  const labels = node.metadata.labels;
  const name = node.metadata.name ?? '';
  return (
    (term.matchExpressions ?? []).every((r) => requirementMatches(r, labels)) &&
    (term.matchFields ?? []).every((r) => fieldMatches(r, name))
  );
}

/** Whether `node` matches any of the terms (ORed; none: no match). */
export function nodeSelectorMatches(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}

/** A compiled node matcher. */
export type NodeMatcher = (node: Node) => boolean;

/**
 * A pod's required node affinity (kube's nodeaffinity.GetRequiredNodeAffinity):
 * its spec.nodeSelector AND its requiredDuringSchedulingIgnoredDuringExecution
 * terms (when that is set; set with no terms, it matches no node).
 */
export function requiredNodeAffinity(pod: Pod): NodeMatcher {
  const selector = pod.spec.nodeSelector;
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return (node) => matchesMapSelector(selector, node.metadata.labels) && (!required || nodeSelectorMatches(required.nodeSelectorTerms ?? [], node));
}

/** A preferred node term with its weight. */
export interface WeightedTerm {
  readonly weight: number;
  readonly preference: NodeSelectorTerm;
}

/**
 * The sum of the weights of the preferred terms `node` matches (kube's
 * PreferredSchedulingTerms.Score); terms with weight 0 or no requirements count for nothing.
 */
export function preferredTermsScore(terms: readonly WeightedTerm[], node: Node): number {
  let score = 0;
  for (const t of terms) {
    if (t.weight !== 0 && nodeSelectorTermMatches(t.preference, node)) score += t.weight;
  }
  return score;
}
