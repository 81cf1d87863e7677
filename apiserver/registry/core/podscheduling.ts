/**
 * The scheduling parts of a pod spec: tolerations, affinity and topology
 * spread constraints (their validation as Kubernetes words it), and metav1
 * label selectors: their validation (ValidateLabelSelector) and matching.
 */
import { dns1123Label, invalid, labelValue, required } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import { fromLabelSelector, matches, type LabelSelectorObject } from '../selector.js';
import { duplicate, forbidden, invalidValue, isSet, notSupported, rec, recs, str, validateLabelName, validateLabels, validateSubdomain } from './fielderrors.js';

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** ValidateTolerations: keys, operators, values and effects of a toleration list at `path`. */
export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  recs(tolerations).forEach((t, i) => {
    const p = `${path}[${i}]`;
    const key = str(t.key);
    const op = str(t.operator);
    const effect = str(t.effect);
    const value = str(t.value);
    if (key) errs.push(...validateLabelName(key, `${p}.key`));
    if (!key && op !== 'Exists') errs.push(invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (isSet(t.tolerationSeconds) && effect !== 'NoExecute') errs.push(invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal' || op === '') {
      const msgs = labelValue(value);
      if (msgs.length > 0) errs.push(invalid(`${p}.operator`, value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value) errs.push(invalid(`${p}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(`${p}.operator`, op, ['Equal', 'Exists']));
    }
    if (effect && !EFFECTS.includes(effect)) errs.push(notSupported(`${p}.effect`, effect, EFFECTS));
  });
  return errs;
}

/** metav1 ValidateLabelSelector: matchLabels and each matchExpression at `path`. */
export function validateLabelSelector(selector: unknown, path: string): FieldError[] {
  if (!isSet(selector)) return [];
  const sel = rec(selector);
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  recs(sel.matchExpressions).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = Array.isArray(req.values) ? req.values.map(str) : [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(`${p}.operator`, str(req.operator), 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(str(req.key), `${p}.key`));
    values.forEach((v, j) => errs.push(...labelValue(v).map((e) => invalid(`${p}.values[${j}]`, v, e))));
  });
  return errs;
}

/**
 * Whether `labels` match a metav1 LabelSelector (an empty selector matches
 * everything, a missing one nothing); undefined when the selector is not a
 * valid one (an unknown operator), which Kubernetes reports elsewhere.
 */
export function labelSelectorMatches(selector: unknown, labels: unknown): boolean | undefined {
  if (!isSet(selector)) return false;
  const sel = rec(selector) as LabelSelectorObject;
  const have = rec(labels) as Record<string, string>;
  if (!matches(fromLabelSelector({ matchLabels: sel.matchLabels ?? null }), have)) return false;
  if (recs(sel.matchExpressions).some((r) => !SELECTOR_OPERATORS.has(str(r.operator)))) return undefined;
  return matches(fromLabelSelector(sel), have);
}

const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

function validateNodeSelectorTerm(term: Record<string, unknown>, p: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  recs(term.matchExpressions).forEach((req, j) => {
    const rp = `${p}.matchExpressions[${j}]`;
    const values = Array.isArray(req.values) ? req.values.map(str) : [];
    const op = str(req.operator);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(required(`${rp}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(`${rp}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else if (op === 'Gt' || op === 'Lt') {
      if (values.length !== 1) errs.push(required(`${rp}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
    } else errs.push(invalid(`${rp}.operator`, op, 'not a valid selector operator'));
    errs.push(...validateLabelName(str(req.key), `${rp}.key`));
    if (checkValues) values.forEach((v, k) => errs.push(...labelValue(v).map((e) => invalid(`${rp}.values[${k}]`, v, e))));
  });
  recs(term.matchFields).forEach((req, j) => {
    const rp = `${p}.matchFields[${j}]`;
    const values = Array.isArray(req.values) ? req.values.map(str) : [];
    const op = str(req.operator);
    if (op === 'In' || op === 'NotIn') {
      if (values.length !== 1) errs.push(required(`${rp}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    } else errs.push(invalid(`${rp}.operator`, op, 'not a valid selector operator'));
    if (str(req.key) !== 'metadata.name') errs.push(invalid(`${rp}.key`, str(req.key), 'not a valid field selector key'));
    else values.forEach((v, k) => errs.push(...validateSubdomain(v, `${rp}.values[${k}]`)));
  });
  return errs;
}

function weight(w: unknown, field: string): FieldError[] {
  const n = typeof w === 'number' ? w : 0;
  return n <= 0 || n > 100 ? [invalidValue(field, n, 'must be in the range 1-100')] : [];
}

function validatePodAffinityTerm(term: Record<string, unknown>, p: string): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, `${p}.labelSelector`);
  errs.push(...validateLabelSelector(term.namespaceSelector, `${p}.namespaceSelector`));
  // Kubernetes reports the namespaces at `namespace`, singular
  for (const ns of Array.isArray(term.namespaces) ? term.namespaces.map(str) : []) errs.push(...dns1123Label(ns).map((e) => invalid(`${p}.namespace`, ns, e)));
  const key = str(term.topologyKey);
  if (!key) errs.push(required(`${p}.topologyKey`, 'can not be empty'));
  errs.push(...validateLabelName(key, `${p}.topologyKey`));
  return errs;
}

/** validateAffinity: node affinity terms, pod (anti-)affinity terms, weights. */
export function validateAffinity(affinity: unknown, path: string): FieldError[] {
  if (!isSet(affinity)) return [];
  const a = rec(affinity);
  const errs: FieldError[] = [];
  if (isSet(a.nodeAffinity)) {
    const na = rec(a.nodeAffinity);
    const p = `${path}.nodeAffinity`;
    if (isSet(na.requiredDuringSchedulingIgnoredDuringExecution)) {
      const tp = `${p}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
      const terms = recs(rec(na.requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms);
      if (terms.length === 0) errs.push(required(tp, 'must have at least one node selector term'));
      terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, `${tp}[${i}]`, true)));
    }
    recs(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const tp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      errs.push(...weight(t.weight, `${tp}.weight`));
      errs.push(...validateNodeSelectorTerm(rec(t.preference), `${tp}.preference`, false));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    if (!isSet(a[kind])) continue;
    const pa = rec(a[kind]);
    const p = `${path}.${kind}`;
    recs(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, `${p}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)));
    recs(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const tp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      errs.push(...weight(t.weight, `${tp}.weight`));
      errs.push(...validatePodAffinityTerm(rec(t.podAffinityTerm), `${tp}.podAffinityTerm`));
    });
  }
  return errs;
}

/** validateTopologySpreadConstraints. */
export function validateSpreadConstraints(constraints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = recs(constraints);
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    const skew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (skew <= 0) errs.push(invalidValue(`${p}.maxSkew`, skew, 'must be greater than zero'));
    const key = str(c.topologyKey);
    if (!key) errs.push(required(`${p}.topologyKey`, 'can not be empty'));
    const when = str(c.whenUnsatisfiable);
    if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') errs.push(notSupported(`${p}.whenUnsatisfiable`, when, ['DoNotSchedule', 'ScheduleAnyway']));
    if (list.slice(i + 1).some((o) => str(o.topologyKey) === key && str(o.whenUnsatisfiable) === when)) {
      errs.push(duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, `{${key}, ${when}}`));
    }
    if (isSet(c.minDomains)) {
      const md = c.minDomains as number;
      if (md <= 0) errs.push(invalidValue(`${p}.minDomains`, md, 'must be greater than zero'));
      if (when !== 'DoNotSchedule') errs.push(invalidValue(`${p}.minDomains`, md, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
    }
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      if (isSet(c[policy]) && !['Honor', 'Ignore'].includes(str(c[policy]))) errs.push(notSupported(`${p}.${policy}`, c[policy], ['Honor', 'Ignore']));
    }
    errs.push(...validateLabelSelector(c.labelSelector, `${p}.labelSelector`));
  });
  return errs;
}
