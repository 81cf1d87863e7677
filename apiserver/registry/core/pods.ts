/**
 * pods: namespaced, with a `/status` subresource. A new pod starts Pending
 * with its QoS class computed (PrepareForCreate); its spec is then fixed but
 * for the few fields Kubernetes lets an update change (ValidatePodUpdate).
 * Kubernetes 1.32 does not count pod generations (that came in 1.33).
 */
import { Pod } from '../../api/core/pod.js';
import { dns1123Subdomain, invalid, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { quantityNanos } from '../../api/quantity.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { forbidden, goStringMap, invalidShown, invalidValue, isSet, rangeError, rec, recs, str } from './fielderrors.js';
import { podActions } from './podactions.js';
import { defaultPodSpec, podSpecMergeKeys, validatePodSpec, validateTolerations } from './podspec.js';
import { podPrinter } from '../printers/pods.js';
import { copyJson } from '../copy.js';

type Obj = Record<string, unknown>;

/** The QoS class of a pod spec (qos.GetPodQOS over cpu and memory of all containers). */
export function podQOSClass(spec: unknown): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const s = rec(spec);
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of [...recs(s.containers), ...recs(s.initContainers)]) {
    const res = rec(c.resources);
    const limited = new Set<string>();
    for (const [into, list] of [[requests, rec(res.requests)], [limits, rec(res.limits)]] as const) {
      for (const name of ['cpu', 'memory']) {
        const q = quantityNanos(list[name]);
        if (q === undefined || q <= 0n) continue;
        into.set(name, (into.get(name) ?? 0n) + q);
        if (into === limits) limited.add(name);
      }
    }
    if (!limited.has('cpu') || !limited.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) for (const [name, q] of requests) if (limits.get(name) !== q) guaranteed = false;
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** SetDefaults_Pod: what a pod defaults beyond its spec (requests from limits, service links, host ports). */
function defaultPodOnly(spec: Obj): void {
  for (const c of [...recs(spec.containers), ...recs(spec.initContainers)]) {
    const res = rec(c.resources);
    const limits = rec(res.limits);
    if (Object.keys(limits).length === 0) continue;
    const requests = (res.requests = { ...rec(res.requests) });
    for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  }
  if (!isSet(spec.enableServiceLinks)) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of [...recs(spec.containers), ...recs(spec.initContainers)]) for (const p of recs(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
  }
}

/** The label keys of pod affinity terms (matchLabelKeys, mismatchLabelKeys) merged into their selectors, as the API server does on create. */
function mergeAffinityLabelKeys(spec: Obj, labels: Obj): void {
  const affinity = rec(spec.affinity);
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = rec(affinity[kind]);
    const terms = [...recs(a.requiredDuringSchedulingIgnoredDuringExecution), ...recs(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => rec(w.podAffinityTerm))];
    for (const term of terms) {
      if (!isSet(term.labelSelector)) continue;
      const sel = rec(term.labelSelector);
      for (const [keys, operator] of [[term.matchLabelKeys, 'In'], [term.mismatchLabelKeys, 'NotIn']] as const) {
        for (const key of Array.isArray(keys) ? keys.map(str) : []) {
          if (typeof labels[key] !== 'string') continue;
          const expr = { key, operator, values: [labels[key]] };
          const exprs = recs(sel.matchExpressions);
          if (!exprs.some((e) => JSON.stringify(e) === JSON.stringify(expr))) sel.matchExpressions = [...exprs, expr];
        }
      }
    }
  }
}

/** The v1 status conversion keeps podIP/podIPs and hostIP/hostIPs in step. */
function syncIPs(status: Obj): void {
  for (const [one, many] of [['podIP', 'podIPs'], ['hostIP', 'hostIPs']] as const) {
    const list = recs(status[many]);
    if (list.length === 0 && str(status[one])) status[many] = [{ ip: status[one] }];
    else if (list.length > 0 && !str(status[one])) status[one] = str(list[0]!.ip);
  }
}

/** The v1 conversion keeps the deprecated spec.serviceAccount in step with spec.serviceAccountName (which takes it when unset). */
function syncServiceAccount(spec: Obj): void {
  if (!str(spec.serviceAccountName) && str(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (str(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
}

function defaults(obj: KubeObject): void {
  const spec = rec((obj.spec = rec(obj.spec)));
  syncServiceAccount(spec);
  defaultPodOnly(spec);
  defaultPodSpec(spec);
  const status = (obj.status = rec(obj.status));
  if (!str(status.phase)) {
    // a new pod (PrepareForCreate): Pending, its QoS class, gated scheduling noted
    status.phase = 'Pending';
    status.qosClass ??= podQOSClass(spec);
    const conditions = recs(status.conditions);
    if (recs(spec.schedulingGates).length > 0 && !conditions.some((c) => c.type === 'PodScheduled')) {
      const gated = { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' };
      status.conditions = [...conditions, gated];
    }
    mergeAffinityLabelKeys(spec, rec(obj.metadata.labels));
  }
  syncIPs(status);
}

/** The fields an update may change, as the Forbidden message lists them. */
const UPDATABLE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** A value with unset, null, '' and empty lists or maps removed and keys sorted: two specs are the same when these are (Semantic.DeepEqual). */
function normal(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => normal(x) ?? null);
  if (typeof v !== 'object') return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) {
    const n = normal((v as Obj)[k]);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** The paths where two normalized values differ, as `- path: old` / `+ path: new` lines (at most 20). */
function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 40 || JSON.stringify(a) === JSON.stringify(b)) return;
  const both = typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b);
  if (!both) {
    if (a !== undefined) out.push(`- ${path}: ${JSON.stringify(a)}`);
    if (b !== undefined) out.push(`+ ${path}: ${JSON.stringify(b)}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  const ao = a as Obj;
  const bo = b as Obj;
  for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) diff(ao[k], bo[k], `${path}.${k}`, out);
}

/** ValidateContainerUpdates: the same number of containers, each with an image. */
function containerUpdates(now: unknown, before: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const list = recs(now);
  if (list.length !== recs(before).length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  list.forEach((c, i) => {
    const image = str(c.image);
    if (!image) errs.push(required(`${path}[${i}].image`));
    if (image.trim() !== image) errs.push(invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

const tolerationKey = (t: Obj): string => JSON.stringify([str(t.key), str(t.operator), str(t.value), str(t.effect)]);

/** ValidatePodUpdate's spec rules: only images, activeDeadlineSeconds, added tolerations, removed scheduling gates (and a few more) may change. */
function validateSpecUpdate(spec: Obj, old: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    const r = containerUpdates(spec[list], old[list], `spec.${list}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (ads < 0 || ads > 2147483647) return [...errs, invalidValue('spec.activeDeadlineSeconds', ads, rangeError(0, 2147483647))];
    if (typeof old.activeDeadlineSeconds === 'number' && old.activeDeadlineSeconds < ads) return [...errs, invalidValue('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value')];
  } else if (isSet(old.activeDeadlineSeconds)) {
    errs.push(invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  const newTolerations = new Set(recs(spec.tolerations).map(tolerationKey));
  if (recs(old.tolerations).some((t) => !newTolerations.has(tolerationKey(t)))) {
    errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  } else errs.push(...validateTolerations(spec.tolerations, 'spec.tolerations'));
  const oldGates = new Set(recs(old.schedulingGates).map((g) => str(g.name)));
  recs(spec.schedulingGates).forEach((g, i) => {
    if (!oldGates.has(str(g.name))) errs.push(forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${str(g.name)}'`));
  });
  // the spec with what may change put back as it was must be the old spec
  const munged: Obj = copyJson(spec);
  const oldContainers = recs(old.containers);
  const oldInit = recs(old.initContainers);
  recs(munged.containers).forEach((c, i) => (c.image = oldContainers[i]?.image));
  recs(munged.initContainers).forEach((c, i) => (c.image = oldInit[i]?.image));
  for (const f of ['activeDeadlineSeconds', 'schedulingGates', 'tolerations']) munged[f] = old[f];
  const grace = old.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = grace;
  if (recs(old.schedulingGates).length > 0) {
    // a gated pod may gain node selector labels (not lose or change them)
    const before = rec(old.nodeSelector);
    const after = rec(munged.nodeSelector);
    if (Object.entries(before).some(([k, v]) => after[k] !== v)) {
      errs.push(invalidShown('spec.nodeSelector', goStringMap(munged.nodeSelector), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
    }
    munged.nodeSelector = old.nodeSelector;
  }
  const a = normal(old);
  const b = normal(munged);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    const lines: string[] = [];
    diff(a, b, 'spec', lines);
    errs.push(forbidden('spec', `${UPDATABLE}\n${lines.join('\n')}`));
  }
  return errs;
}

function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  errs.push(...validatePodSpec(spec, 'spec', { resourceIsPod: true }));
  for (const list of ['containers', 'initContainers'] as const) {
    recs(spec[list]).forEach((c, i) => {
      const image = str(c.image);
      if (image.trim() !== image) errs.push(invalid(`spec.${list}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }
  if (!old) {
    if (recs(spec.ephemeralContainers).length > 0) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    if (str(spec.nodeName) && recs(spec.schedulingGates).length > 0) errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    return errs;
  }
  errs.push(...validateSpecUpdate(spec, rec(old.spec)));
  // the QoS class is set on create for good (a /status write may not change it)
  const qos = str(rec(obj.status).qosClass);
  const oldQos = str(rec(old.status).qosClass);
  if (qos && oldQos && qos !== oldQos) errs.push(invalid('status.qosClass', qos, 'field is immutable'));
  return errs;
}

/** The pods' field selector values (ToSelectableFields). */
function fields(obj: KubeObject): Record<string, string> {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  return {
    'spec.nodeName': str(spec.nodeName),
    'spec.restartPolicy': str(spec.restartPolicy),
    'spec.schedulerName': str(spec.schedulerName),
    'spec.serviceAccountName': str(spec.serviceAccountName),
    'spec.hostNetwork': String(spec.hostNetwork === true),
    'status.phase': str(status.phase),
    'status.podIP': str(recs(status.podIPs)[0]?.ip) || str(status.podIP),
    'status.nominatedNodeName': str(status.nominatedNodeName),
  };
}

/**
 * CheckGracefulDelete: the requested grace period, else the pod's
 * terminationGracePeriodSeconds; 0 for a pod on no node or one that has
 * finished; a negative one becomes 1.
 */
function gracePeriod(obj: KubeObject, requested: number | undefined): number {
  const spec = rec(obj.spec);
  const phase = str(rec(obj.status).phase);
  let period = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 0);
  if (!str(spec.nodeName) || phase === 'Failed' || phase === 'Succeeded') period = 0;
  return period < 0 ? 1 : period;
}

/** The pods strategy; see the file comment. */
export const pods = {
  info: { group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'] },
  schema: Pod,
  defaults,
  validate,
  status: { onCreate: 'clear' },
  mergeKeys: { ...podSpecMergeKeys('spec'), 'status.conditions': 'type', 'status.podIPs': 'ip', 'status.hostIPs': 'ip', 'status.resourceClaimStatuses': 'name' },
  returnDeletedObject: true,
  fields,
  gracePeriod,
  actions: podActions,
  // a status write keeps the pod's owners (kube: old kubelets corrupted them)
  statusResetFields: [['f:metadata', 'f:ownerReferences'], ['f:metadata', 'f:deletionTimestamp']],
  // a status write that leaves the QoS class out keeps it (it is the spec's to decide)
  prepareStatusUpdate(obj, old) {
    const st = (obj.status ??= {}) as { qosClass?: string };
    st.qosClass ??= (old.status as { qosClass?: string } | undefined)?.qosClass;
    if (st.qosClass === undefined) delete st.qosClass;
  },
  printer: podPrinter,
} satisfies Strategy;
