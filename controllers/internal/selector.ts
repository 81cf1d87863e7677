/**
 * Label selectors as the workload controllers use them: matching is
 * client/selectors.ts's metav1.LabelSelectorAsSelector (a null selector
 * selects nothing, `{}` everything, an invalid one nothing); this adds the
 * validity and emptiness tests the controllers make before they act, and
 * the pod-template-hash label added to selectors and labels as Kubernetes'
 * labelsutil does.
 */
import type { LabelSelector } from '../../client/types.js';
import { isValidRequirement, labelSelectorMatcher, type LabelMatcher, type Labels } from '../../client/selectors.js';

export { labelSelectorMatcher, type LabelMatcher, type Labels };

const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Whether a selector is set and converts (metav1.LabelSelectorAsSelector gives no error). */
export function selectorValid(sel: LabelSelector | null | undefined): sel is LabelSelector {
  if (!sel) return false;
  return (sel.matchExpressions ?? []).every((r) => SELECTOR_OPERATORS.has(r.operator) && isValidRequirement(r));
}

/** Whether a selector has neither matchLabels nor matchExpressions (it selects everything). */
export function selectorEmpty(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/** A copy of `sel` that also requires `key=value` (labelsutil.CloneSelectorAndAddLabel). */
export function cloneSelectorAndAddLabel(sel: LabelSelector | null | undefined, key: string, value: string): LabelSelector {
  const out: LabelSelector = structuredClone(sel ?? {});
  out.matchLabels = { ...(out.matchLabels ?? {}), [key]: value };
  return out;
}

/** A copy of `labels` with `key=value` added. */
export function cloneAndAddLabel(labels: Labels, key: string, value: string): Record<string, string> {
  return { ...(labels ?? {}), [key]: value };
}
