/**
 * The pod spec shared by pods and every workload's pod template: Kubernetes'
 * v1 defaults for it (SetDefaults_PodSpec and the defaults of what it
 * holds), its validation (ValidatePodSpec, ValidatePodTemplateSpec), its
 * strategic-merge-patch keys, and metav1 label selectors (validation and
 * matching). Pod-only defaults and checks are in pods.ts.
 */
import { isIP } from 'node:net';
import { dns1123Label, invalid, qualifiedName, required } from '../../api/meta.js';
import { canonicalQuantity } from '../../api/quantity.js';
import type { FieldError } from '../errors.js';
import type { MergeKeys } from '../patch.js';
import {
  duplicate,
  forbidden,
  goStringMap,
  invalidShown,
  invalidValue,
  isSet,
  notSupported,
  rangeError,
  rec,
  recs,
  str,
  validateLabelName,
  validateLabels,
  validateSubdomain,
} from './fielderrors.js';
import { validateContainers, validateInitContainers, validateProfile } from './podcontainers.js';
import { validateResources } from './podresources.js';
import { labelSelectorMatches, validateAffinity, validateSpreadConstraints, validateTolerations } from './podscheduling.js';
import { validateVolumes } from './podvolumes.js';

export { labelSelectorMatches, validateLabelSelector, validateTolerations } from './podscheduling.js';

type Obj = Record<string, unknown>;

/** The object at `o[k]`, created ({}) when unset. */
function child(o: Obj, k: string): Obj {
  if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) o[k] = {};
  return o[k] as Obj;
}

/** Sets `o[k]` when it is unset or Go's zero value ('' or 0). */
function orDefault(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null || o[k] === '' || o[k] === 0) o[k] = v;
}

/** Sets `o[k]` when it is unset (a pointer field: an explicit zero stays). */
function ifUnset(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null) o[k] = v;
}

/** The tag of an image reference (`latest` when it has neither a tag nor a digest). */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return name.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

/** SetDefaults_ResourceList: quantities rounded up to milli units, written canonically. */
export function defaultResourceList(list: unknown): void {
  if (typeof list !== 'object' || list === null) return;
  const l = list as Obj;
  for (const [k, v] of Object.entries(l)) if (typeof v === 'string' || typeof v === 'number') l[k] = canonicalQuantity(v);
}

function defaultHTTPGet(h: unknown): void {
  if (typeof h !== 'object' || h === null) return;
  orDefault(h as Obj, 'path', '/');
  orDefault(h as Obj, 'scheme', 'HTTP');
}

function defaultFieldRef(ref: unknown): void {
  if (typeof ref === 'object' && ref !== null) orDefault(ref as Obj, 'apiVersion', 'v1');
}

/** SetDefaults_Container and the defaults of what a container holds. */
function defaultContainer(c: Obj): void {
  // an image that is no reference (empty) has no tag: IfNotPresent
  if (!c.imagePullPolicy) c.imagePullPolicy = str(c.image) && imageTag(str(c.image)) === 'latest' ? 'Always' : 'IfNotPresent';
  orDefault(c, 'terminationMessagePath', '/dev/termination-log');
  orDefault(c, 'terminationMessagePolicy', 'File');
  for (const p of recs(c.ports)) orDefault(p, 'protocol', 'TCP');
  for (const e of recs(c.env)) defaultFieldRef(rec(e.valueFrom).fieldRef);
  if (isSet(c.resources)) {
    defaultResourceList(rec(c.resources).limits);
    defaultResourceList(rec(c.resources).requests);
  }
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    if (!isSet(c[kind])) continue;
    const probe = rec(c[kind]);
    orDefault(probe, 'timeoutSeconds', 1);
    orDefault(probe, 'periodSeconds', 10);
    orDefault(probe, 'successThreshold', 1);
    orDefault(probe, 'failureThreshold', 3);
    defaultHTTPGet(probe.httpGet);
    if (isSet(probe.grpc)) ifUnset(rec(probe.grpc), 'service', '');
  }
  const lc = rec(c.lifecycle);
  defaultHTTPGet(rec(lc.postStart).httpGet);
  defaultHTTPGet(rec(lc.preStop).httpGet);
}

/**
 * Defaults of volume sources that have any (as the v1 defaulters set them):
 * [value, pointer]: a pointer field keeps an explicit zero, a plain one does not.
 */
const SOURCE_DEFAULTS: Readonly<Record<string, Readonly<Record<string, readonly [unknown, boolean]>>>> = {
  hostPath: { type: ['', true] },
  secret: { defaultMode: [420, true] },
  configMap: { defaultMode: [420, true] },
  downwardAPI: { defaultMode: [420, true] },
  projected: { defaultMode: [420, true] },
  iscsi: { iscsiInterface: ['default', false] },
  rbd: { pool: ['rbd', false], user: ['admin', false], keyring: ['/etc/ceph/keyring', false] },
  azureDisk: { cachingMode: ['ReadWrite', true], fsType: ['ext4', true], readOnly: [false, true], kind: ['Shared', true] },
  scaleIO: { storageMode: ['ThinProvisioned', false], fsType: ['xfs', false] },
};

/** SetDefaults_Volume and its sources' defaults; a volume without a source is an emptyDir. */
function defaultVolume(v: Obj): void {
  if (!Object.keys(v).some((k) => k !== 'name' && isSet(v[k]))) v.emptyDir = {};
  for (const [source, defaults] of Object.entries(SOURCE_DEFAULTS)) {
    if (!isSet(v[source])) continue;
    const s = rec(v[source]);
    for (const [k, [d, pointer]] of Object.entries(defaults)) (pointer ? ifUnset : orDefault)(s, k, d);
  }
  for (const item of recs(rec(v.downwardAPI).items)) defaultFieldRef(item.fieldRef);
  for (const src of recs(rec(v.projected).sources)) {
    for (const item of recs(rec(src.downwardAPI).items)) defaultFieldRef(item.fieldRef);
    if (isSet(src.serviceAccountToken)) ifUnset(rec(src.serviceAccountToken), 'expirationSeconds', 3600);
  }
  const claim = rec(rec(v.ephemeral).volumeClaimTemplate);
  if (isSet(claim.spec)) {
    const spec = rec(claim.spec);
    ifUnset(spec, 'volumeMode', 'Filesystem');
    defaultResourceList(rec(spec.resources).limits);
    defaultResourceList(rec(spec.resources).requests);
  }
}

/**
 * Kubernetes' v1 defaults for a pod spec (a pod's or a template's), in
 * place and only where unset: restartPolicy Always, dnsPolicy ClusterFirst,
 * schedulerName default-scheduler, terminationGracePeriodSeconds 30, an
 * empty securityContext, and the defaults of its containers (pull policy,
 * termination message, port protocol, probes), volumes (file modes, emptyDir
 * for a volume without a source) and resource quantities (canonical form).
 * enableServiceLinks, requests from limits and host ports are pod-only
 * (pods.ts), as in Kubernetes.
 */
export function defaultPodSpec(spec: Record<string, unknown>): void {
  orDefault(spec, 'dnsPolicy', 'ClusterFirst');
  orDefault(spec, 'restartPolicy', 'Always');
  child(spec, 'securityContext');
  ifUnset(spec, 'terminationGracePeriodSeconds', 30);
  orDefault(spec, 'schedulerName', 'default-scheduler');
  for (const v of recs(spec.volumes)) defaultVolume(v);
  for (const k of ['initContainers', 'containers', 'ephemeralContainers']) for (const c of recs(spec[k])) defaultContainer(c);
  defaultResourceList(spec.overhead);
}

/** The strategic-merge-patch keys of a pod spec at `prefix` (`spec`, `spec.template.spec`), from types.go's patchMergeKey tags. */
export function podSpecMergeKeys(prefix: string): MergeKeys {
  const keys: Record<string, string> = {
    [`${prefix}.volumes`]: 'name',
    [`${prefix}.imagePullSecrets`]: 'name',
    [`${prefix}.hostAliases`]: 'ip',
    [`${prefix}.topologySpreadConstraints`]: 'topologyKey',
    [`${prefix}.schedulingGates`]: 'name',
    [`${prefix}.resourceClaims`]: 'name',
  };
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const p = `${prefix}.${list}`;
    keys[p] = 'name';
    keys[`${p}[].ports`] = 'containerPort';
    keys[`${p}[].env`] = 'name';
    keys[`${p}[].volumeMounts`] = 'mountPath';
    keys[`${p}[].volumeDevices`] = 'devicePath';
  }
  return keys;
}

/** Options of validatePodSpec. */
export interface PodSpecOptions {
  /** The spec is a pod's, not a template's (host ports must then equal container ports under hostNetwork). */
  readonly resourceIsPod?: boolean;
}

const MAX_INT32 = 2147483647;

/** Kubernetes' ValidatePodSpec: every error of the spec at `path` (`spec`, `spec.template.spec`). */
export function validatePodSpec(spec: unknown, path: string, opts: PodSpecOptions = {}): FieldError[] {
  const s = rec(spec);
  const errs: FieldError[] = [];
  if (!isSet(s.terminationGracePeriodSeconds)) errs.push(required(`${path}.terminationGracePeriodSeconds`));
  const grace = typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined;
  const vols = validateVolumes(s.volumes, `${path}.volumes`);
  errs.push(...vols.errs);
  const ctx = { volumes: vols.names, gracePeriod: grace };
  errs.push(...validateContainers(s.containers, `${path}.containers`, ctx));
  errs.push(...validateInitContainers(s.initContainers, s.containers, `${path}.initContainers`, ctx));
  if (s.hostNetwork === true) {
    recs(s.containers).forEach((c, i) =>
      recs(c.ports).forEach((port, j) => {
        const hp = typeof port.hostPort === 'number' ? port.hostPort : 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== port.containerPort) {
          errs.push(invalidValue(`${path}.containers[${i}].ports[${j}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      }),
    );
  }
  const restart = str(s.restartPolicy);
  if (!restart) errs.push(required(`${path}.restartPolicy`));
  else if (!['Always', 'OnFailure', 'Never'].includes(restart)) errs.push(notSupported(`${path}.restartPolicy`, restart, ['Always', 'OnFailure', 'Never']));
  const dns = str(s.dnsPolicy);
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!dns) errs.push(required(`${path}.dnsPolicy`));
  else if (!dnsPolicies.includes(dns)) errs.push(notSupported(`${path}.dnsPolicy`, dns, dnsPolicies));
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  errs.push(...validatePodSecurityContext(s, path));
  errs.push(...validateAffinity(s.affinity, `${path}.affinity`));
  errs.push(...validateDNSConfig(s, path));
  recs(s.readinessGates).forEach((g, i) => errs.push(...validateLabelName(str(g.conditionType), `${path}.readinessGates[${i}].conditionType`)));
  const gates = new Set<string>();
  recs(s.schedulingGates).forEach((g, i) => {
    const name = str(g.name);
    errs.push(...validateLabelName(name, `${path}.schedulingGates[${i}]`));
    if (gates.has(name)) errs.push(duplicate(`${path}.schedulingGates[${i}]`, name));
    gates.add(name);
  });
  errs.push(...validateSpreadConstraints(s.topologySpreadConstraints, `${path}.topologySpreadConstraints`));
  for (const f of ['serviceAccountName', 'nodeName'] as const) if (str(s[f])) errs.push(...validateSubdomain(str(s[f]), `${path}.${f}`));
  if (typeof s.activeDeadlineSeconds === 'number' && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(invalidValue(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, rangeError(1, MAX_INT32)));
  }
  for (const f of ['hostname', 'subdomain'] as const) {
    const v = str(s[f]);
    if (v) errs.push(...dns1123Label(v).map((e) => invalid(`${path}.${f}`, v, e)));
  }
  errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  recs(s.hostAliases).forEach((a, i) => {
    const ip = str(a.ip);
    if (isIP(ip) === 0) errs.push(invalid(`${path}.hostAliases[${i}].ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    (Array.isArray(a.hostnames) ? a.hostnames : []).forEach((h, j) => errs.push(...validateSubdomain(str(h), `${path}.hostAliases[${i}].hostnames[${j}]`)));
  });
  if (str(s.priorityClassName)) errs.push(...validateSubdomain(str(s.priorityClassName), `${path}.priorityClassName`));
  if (isSet(s.runtimeClassName)) errs.push(...validateSubdomain(str(s.runtimeClassName), `${path}.runtimeClassName`));
  if (isSet(s.preemptionPolicy)) {
    const pp = str(s.preemptionPolicy);
    if (!pp) errs.push(required(`${path}.preemptionPolicy`));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(notSupported(`${path}.preemptionPolicy`, pp, ['PreemptLowerPriority', 'Never']));
  }
  if (isSet(s.overhead)) errs.push(...validateResources({ limits: s.overhead }, `${path}.overhead`));
  if (isSet(s.os)) {
    const os = str(rec(s.os).name);
    if (!os) errs.push(required(`${path}.os.name`));
    else if (os !== 'linux' && os !== 'windows') errs.push(notSupported(`${path}.os.name`, os, ['linux', 'windows']));
  }
  return errs;
}

function validatePodSecurityContext(s: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sc = rec(s.securityContext);
  const p = `${path}.securityContext`;
  for (const f of ['fsGroup', 'runAsUser', 'runAsGroup']) {
    const v = sc[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(invalidValue(`${p}.${f}`, v, rangeError(0, MAX_INT32)));
  }
  (Array.isArray(sc.supplementalGroups) ? sc.supplementalGroups : []).forEach((g, i) => {
    if (typeof g === 'number' && (g < 0 || g > MAX_INT32)) errs.push(invalidValue(`${p}.supplementalGroups[${i}]`, g, rangeError(0, MAX_INT32)));
  });
  if (s.shareProcessNamespace === true && s.hostPID === true) {
    errs.push(invalidValue(`${p}.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  if (isSet(sc.fsGroupChangePolicy) && !['Always', 'OnRootMismatch'].includes(str(sc.fsGroupChangePolicy))) {
    errs.push(notSupported(`${p}.fsGroupChangePolicy`, sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...validateProfile(sc.seccompProfile, `${p}.seccompProfile`, 'seccomp'));
  errs.push(...validateProfile(sc.appArmorProfile, `${p}.appArmorProfile`, 'AppArmor'));
  return errs;
}

function validateDNSConfig(s: Obj, path: string): FieldError[] {
  const p = `${path}.dnsConfig`;
  const cfg = rec(s.dnsConfig);
  if (s.dnsPolicy === 'None') {
    if (!isSet(s.dnsConfig)) return [required(p, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (recs(cfg.nameservers).length === 0) return [required(`${p}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  const errs: FieldError[] = [];
  const servers = Array.isArray(cfg.nameservers) ? cfg.nameservers : [];
  if (servers.length > 3) errs.push(invalidShown(`${p}.nameservers`, `[]string{${servers.map((x) => JSON.stringify(x)).join(', ')}}`, 'must not have more than 3 nameservers'));
  const searches = Array.isArray(cfg.searches) ? cfg.searches.map(str) : [];
  if (searches.length > 32) errs.push(invalidShown(`${p}.searches`, `[]string{${searches.map((x) => JSON.stringify(x)).join(', ')}}`, 'must not have more than 32 search paths'));
  searches.forEach((search, i) => errs.push(...validateSubdomain(search.replace(/\.$/, ''), `${p}.searches[${i}]`)));
  recs(cfg.options).forEach((o, i) => {
    if (!str(o.name)) errs.push(required(`${p}.options[${i}]`, 'must not be empty'));
  });
  return errs;
}

/**
 * Kubernetes' ValidatePodTemplateSpec for the template at `path`
 * (`spec.template`): its labels and annotations, its spec, no ephemeral
 * containers; with a selector, the template's labels must match it.
 */
export function validatePodTemplate(template: unknown, path: string, selector?: unknown): FieldError[] {
  const t = rec(template);
  const meta = rec(t.metadata);
  const errs: FieldError[] = [];
  if (selector !== undefined && selector !== null) {
    if (labelSelectorMatches(selector, meta.labels) === false) {
      errs.push(invalidShown(`${path}.metadata.labels`, goStringMap(meta.labels), '`selector` does not match template `labels`'));
    }
  }
  // Kubernetes reports a template's labels and annotations without `metadata`
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  for (const k of Object.keys(rec(meta.annotations))) errs.push(...qualifiedName(k.toLowerCase()).map((e) => invalid(`${path}.annotations`, k, e)));
  errs.push(...validatePodSpec(t.spec, `${path}.spec`));
  if (recs(rec(t.spec).ephemeralContainers).length > 0) errs.push(forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}
