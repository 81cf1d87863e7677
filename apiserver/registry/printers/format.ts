/**
 * Cell formatting that several printers share, as Kubernetes' printers
 * format these values: a template's containers and images on one line, a
 * label map (`labels.FormatLabels`) and a metav1.LabelSelector
 * (`metav1.FormatLabelSelector`, and the bare selector string a Deployment
 * shows).
 */
import { labelValue, qualifiedName } from '../../api/meta.js';
import { fromLabelSelector, selectorString, type LabelSelectorObject } from '../selector.js';

/** The containers of a pod template (`spec.template.spec.containers`). */
export interface NamedImage {
  name?: string | null | undefined;
  image?: string | null | undefined;
}

/** The Containers and Images cells: names and images joined by commas, in spec order. */
export function containerCells(containers: readonly NamedImage[] | null | undefined): [names: string, images: string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** A label map as `a=1,b=2` (keys sorted), or `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | null | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels![k]}`).join(',');
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Whether a LabelSelector converts to a selector (Kubernetes' LabelSelectorAsSelector does not fail on it). */
function convertible(ls: LabelSelectorObject): boolean {
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) {
    if (qualifiedName(k).length > 0 || labelValue(v).length > 0) return false;
  }
  for (const e of ls.matchExpressions ?? []) {
    if (!OPERATORS.has(e.operator) || qualifiedName(e.key ?? '').length > 0) return false;
    const values = e.values ?? [];
    const set = e.operator === 'In' || e.operator === 'NotIn';
    if (set ? values.length === 0 : values.length > 0) return false;
    if (values.some((v) => labelValue(v).length > 0)) return false;
  }
  return true;
}

/**
 * A LabelSelector as its selector string (`app=web,tier in (a,b)`): `''` for
 * no selector or an empty one, `undefined` when it does not convert.
 */
export function labelSelectorString(ls: LabelSelectorObject | null | undefined): string | undefined {
  if (!ls) return '';
  if (!convertible(ls)) return undefined;
  return selectorString(fromLabelSelector(ls));
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when it is empty, `<error>` when it does not convert. */
export function formatLabelSelector(ls: LabelSelectorObject | null | undefined): string {
  const s = labelSelectorString(ls);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** The Status of a condition of `type` in a list of conditions (the first with that type), if any. */
export function conditionStatus(conditions: readonly { type?: string | null; status?: string | null }[] | null | undefined, type: string): string | undefined {
  return conditions?.find((c) => c.type === type)?.status ?? undefined;
}
