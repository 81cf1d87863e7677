/**
 * Validation of a pod spec's containers (regular and init), as Kubernetes'
 * validateContainers and validateInitContainers: names, images, ports, env,
 * volume mounts, probes, lifecycle handlers, resources and security
 * context, with its field paths and messages.
 */
import { dns1123Label, dns1123Subdomain, invalid, required } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import { validateResources } from './podresources.js';
import {
  duplicate,
  forbidden,
  invalidValue,
  isSet,
  nonNegative,
  notFound,
  notSupported,
  rangeError,
  rec,
  recs,
  sorted,
  str,
  validateLabelName,
  validateSubdomain,
} from './fielderrors.js';

/** What container validation needs from the rest of the spec. */
export interface ContainerContext {
  /** The names of the spec's valid volumes. */
  readonly volumes: ReadonlySet<string>;
  /** spec.terminationGracePeriodSeconds (a sleep action may not exceed it). */
  readonly gracePeriod: number | undefined;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const PORT_NAME_CHARS = /^[-a-z0-9]+$/;
const MAX_INT32 = 2147483647;
const ENV_FIELD_PATHS = sorted(['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']);
/** The fields the downward API can convert at all (others are "not supported" conversions). */
const CONVERTIBLE_FIELD_PATHS = new Set([...ENV_FIELD_PATHS, 'metadata.labels', 'metadata.annotations', 'spec.restartPolicy', 'spec.schedulerName', 'status.phase']);
const RESOURCE_FIELD_PATHS = sorted(['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage']);

/** IsEnvVarName: the reasons `name` is not an environment variable name. */
export function envVarName(name: string): string[] {
  const errs: string[] = [];
  if (!ENV_NAME.test(name)) {
    errs.push(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    );
  }
  return [...errs, ...chDirPrefix(name)];
}

function chDirPrefix(v: string): string[] {
  if (v === '.') return ["must not be '.'"];
  if (v === '..') return ["must not be '..'"];
  return v.startsWith('..') ? ["must not start with '..'"] : [];
}

/** IsConfigMapKey: the reasons `key` is not a configMap (or secret) key. */
export function configMapKey(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) {
    errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
  return [...errs, ...chDirPrefix(key)];
}

/** IsValidPortName: the reasons `name` is not an IANA service name. */
export function portName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!PORT_NAME_CHARS.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** IsValidPortNum. */
export function portNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [rangeError(1, 65535)];
}

/** ValidatePortNumOrName: an IntOrString port. */
export function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return portNum(port).map((e) => invalidValue(field, port, e));
  return portName(str(port)).map((e) => invalid(field, str(port), e));
}

/** Regular containers: at least one, names unique, probes and lifecycle valid, no restartPolicy. */
export function validateContainers(containers: unknown, path: string, ctx: ContainerContext): FieldError[] {
  const list = recs(containers);
  if (list.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, p, ctx));
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
    else names.add(name);
    errs.push(...validateHandlersAndProbes(c, p, ctx));
    if (isSet(c.restartPolicy)) errs.push(forbidden(`${p}.restartPolicy`, 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(list, path));
  return errs;
}

/** Init containers: names unique across all containers, restartPolicy Always (sidecars) or none, probes only on sidecars. */
export function validateInitContainers(initContainers: unknown, containers: unknown, path: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(recs(containers).map((c) => str(c.name)));
  recs(initContainers).forEach((c, i) => {
    const p = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, p, ctx));
    const sidecar = c.restartPolicy === 'Always';
    if (isSet(c.restartPolicy) && !sidecar) errs.push(notSupported(`${p}.restartPolicy`, c.restartPolicy, ['Always']));
    const name = str(c.name);
    if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([c], path));
    if (sidecar) errs.push(...validateHandlersAndProbes(c, p, ctx));
    else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (isSet(c[f])) errs.push(forbidden(`${p}.${f}`, 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

/** What every kind of container must satisfy (validateContainerCommon). */
function validateContainerCommon(c: Record<string, unknown>, p: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(required(`${p}.name`));
  else errs.push(...dns1123Label(name).map((e) => invalid(`${p}.name`, name, e)));
  if (!str(c.image)) errs.push(required(`${p}.image`));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(required(`${p}.terminationMessagePolicy`));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(notSupported(`${p}.terminationMessagePolicy`, tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validatePorts(c.ports, `${p}.ports`));
  errs.push(...validateEnv(c.env, `${p}.env`));
  errs.push(...validateEnvFrom(c.envFrom, `${p}.envFrom`));
  errs.push(...validateVolumeMounts(c, `${p}.volumeMounts`, ctx));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(required(`${p}.imagePullPolicy`));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(pull)) errs.push(notSupported(`${p}.imagePullPolicy`, pull, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...validateResources(rec(c.resources), `${p}.resources`));
  errs.push(...validateSecurityContext(c.securityContext, `${p}.securityContext`));
  return errs;
}

function validatePorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  recs(ports).forEach((port, i) => {
    const p = `${path}[${i}]`;
    const name = str(port.name);
    if (name) {
      const msgs = portName(name);
      if (msgs.length > 0) errs.push(...msgs.map((e) => invalid(`${p}.name`, name, e)));
      else if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      else names.add(name);
    }
    const cp = typeof port.containerPort === 'number' ? port.containerPort : 0;
    if (cp === 0) errs.push(required(`${p}.containerPort`));
    else errs.push(...portNum(cp).map((e) => invalidValue(`${p}.containerPort`, cp, e)));
    if (typeof port.hostPort === 'number' && port.hostPort !== 0) errs.push(...portNum(port.hostPort).map((e) => invalidValue(`${p}.hostPort`, port.hostPort, e)));
    const protocol = str(port.protocol);
    if (!protocol) errs.push(required(`${p}.protocol`));
    else if (!['SCTP', 'TCP', 'UDP'].includes(protocol)) errs.push(notSupported(`${p}.protocol`, protocol, ['SCTP', 'TCP', 'UDP']));
  });
  return errs;
}

/** checkHostPortConflicts: one host port per protocol and host IP. */
function hostPortConflicts(containers: Record<string, unknown>[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    recs(c.ports).forEach((port, j) => {
      if (typeof port.hostPort !== 'number' || port.hostPort === 0) return;
      const key = `${str(port.protocol)}/${str(port.hostIP)}/${port.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(`${path}[${i}].ports[${j}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  recs(env).forEach((ev, i) => {
    const p = `${path}[${i}]`;
    const name = str(ev.name);
    if (!name) errs.push(required(`${p}.name`));
    else errs.push(...envVarName(name).map((e) => invalid(`${p}.name`, name, e)));
    if (!isSet(ev.valueFrom)) return;
    const from = rec(ev.valueFrom);
    const fp = `${p}.valueFrom`;
    let sources = 0;
    if (isSet(from.fieldRef)) {
      sources++;
      errs.push(...validateFieldRef(rec(from.fieldRef), `${fp}.fieldRef`, ENV_FIELD_PATHS));
    }
    if (isSet(from.resourceFieldRef)) {
      sources++;
      const res = str(rec(from.resourceFieldRef).resource);
      if (!res) errs.push(required(`${fp}.resourceFieldRef.resource`));
      else if (!RESOURCE_FIELD_PATHS.includes(res) && !/^(requests|limits)\.hugepages-/.test(res)) errs.push(notSupported(`${fp}.resourceFieldRef.resource`, res, RESOURCE_FIELD_PATHS));
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      if (!isSet(from[ref])) continue;
      sources++;
      const sel = rec(from[ref]);
      errs.push(...validateSubdomain(str(sel.name), `${fp}.${ref}.name`));
      const key = str(sel.key);
      if (!key) errs.push(required(`${fp}.${ref}.key`));
      else errs.push(...configMapKey(key).map((e) => invalid(`${fp}.${ref}.key`, key, e)));
    }
    if (sources === 0) errs.push(invalid(fp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev.value)) errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/** validateObjectFieldSelector: a downward API field reference. */
export function validateFieldRef(ref: Record<string, unknown>, path: string, supported: readonly string[]): FieldError[] {
  if (!str(ref.apiVersion)) return [required(`${path}.apiVersion`)];
  const fieldPath = str(ref.fieldPath);
  if (!fieldPath) return [required(`${path}.fieldPath`)];
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fieldPath);
  if (sub) return validateLabelName(sub[1] === 'metadata.annotations' ? sub[2]!.toLowerCase() : sub[2]!, path);
  if (!CONVERTIBLE_FIELD_PATHS.has(fieldPath)) return [invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: field label not supported: ${fieldPath}`)];
  return supported.includes(fieldPath) ? [] : [notSupported(`${path}.fieldPath`, fieldPath, supported)];
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  recs(envFrom).forEach((ev, i) => {
    const p = `${path}[${i}]`;
    const prefix = str(ev.prefix);
    if (prefix) errs.push(...envVarName(prefix).map((e) => invalid(`${p}.prefix`, prefix, e)));
    let sources = 0;
    for (const ref of ['configMapRef', 'secretRef'] as const) {
      if (!isSet(ev[ref])) continue;
      sources++;
      const name = str(rec(ev[ref]).name);
      if (!name) errs.push(required(`${p}.${ref}.name`));
      // a name prefix: a trailing '-' is allowed (NameIsDNSSubdomain with prefix)
      else errs.push(...dns1123Subdomain(name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name).map((e) => invalid(`${p}.${ref}.name`, name, e)));
    }
    if (sources === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(c: Record<string, unknown>, path: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const privileged = rec(c.securityContext).privileged === true;
  recs(c.volumeMounts).forEach((m, i) => {
    const p = `${path}[${i}]`;
    const name = str(m.name);
    if (!name) errs.push(required(`${p}.name`));
    if (!ctx.volumes.has(name)) errs.push(notFound(`${p}.name`, name));
    const mountPath = str(m.mountPath);
    if (!mountPath) errs.push(required(`${p}.mountPath`));
    if (paths.has(mountPath)) errs.push(invalid(`${p}.mountPath`, mountPath, 'must be unique'));
    paths.add(mountPath);
    // Kubernetes reports these two at the list's path, not the mount's
    const subPath = str(m.subPath);
    if (subPath) errs.push(...localDescendingPath(subPath, `${path}.subPath`));
    const expr = str(m.subPathExpr);
    if (expr) {
      if (subPath) errs.push(invalid(`${p}.subPathExpr`, expr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...localDescendingPath(expr, `${path}.subPathExpr`));
    }
    if (isSet(m.mountPropagation)) {
      const mp = str(m.mountPropagation);
      if (!['Bidirectional', 'HostToContainer', 'None'].includes(mp)) errs.push(notSupported(`${path}.mountPropagation`, mp, ['Bidirectional', 'HostToContainer', 'None']));
      if (mp === 'Bidirectional' && !privileged) errs.push(forbidden(`${path}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers'));
    }
  });
  return errs;
}

/** validateLocalDescendingPath: relative, without `..` elements. */
export function localDescendingPath(target: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(field, target, 'must be a relative path'));
  if (target.split('/').includes('..')) errs.push(invalid(field, target, "must not contain '..'"));
  return errs;
}

function validateHandlersAndProbes(c: Record<string, unknown>, p: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(c.lifecycle)) {
    const lc = rec(c.lifecycle);
    for (const h of ['postStart', 'preStop'] as const) if (isSet(lc[h])) errs.push(...validateHandler(rec(lc[h]), `${p}.lifecycle.${h}`, ctx, true));
  }
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (!isSet(c[kind])) continue;
    const probe = rec(c[kind]);
    const pp = `${p}.${kind}`;
    errs.push(...validateHandler(probe, pp, ctx, false));
    for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) errs.push(...nonNegative(`${pp}.${f}`, probe[f]));
    const tgps = probe.terminationGracePeriodSeconds;
    if (typeof tgps === 'number' && tgps <= 0) errs.push(invalidValue(`${pp}.terminationGracePeriodSeconds`, tgps, 'must be greater than 0'));
    if (kind !== 'readinessProbe' && (probe.successThreshold ?? 0) !== 1) errs.push(invalidValue(`${pp}.successThreshold`, probe.successThreshold ?? 0, 'must be 1'));
    if (kind === 'readinessProbe' && isSet(tgps)) errs.push(invalidValue(`${pp}.terminationGracePeriodSeconds`, tgps, 'must not be set for readinessProbes'));
  }
  return errs;
}

/** validateHandler: exactly one action (exec, httpGet, tcpSocket, grpc for probes, sleep for lifecycle hooks). */
function validateHandler(h: Record<string, unknown>, path: string, ctx: ContainerContext, lifecycle: boolean): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const kinds = lifecycle ? (['exec', 'httpGet', 'tcpSocket', 'sleep'] as const) : (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const);
  for (const kind of kinds) {
    if (!isSet(h[kind])) continue;
    const p = `${path}.${kind}`;
    if (n++ > 0) {
      errs.push(forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    const a = rec(h[kind]);
    if (kind === 'exec' && !(Array.isArray(a.command) && a.command.length > 0)) errs.push(required(`${p}.command`));
    if (kind === 'httpGet') {
      if (!str(a.path)) errs.push(required(`${p}.path`));
      errs.push(...validatePortNumOrName(a.port ?? 0, `${p}.port`));
      if (a.scheme !== 'HTTP' && a.scheme !== 'HTTPS') errs.push(notSupported(`${p}.scheme`, str(a.scheme), ['HTTP', 'HTTPS']));
    }
    if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(a.port ?? 0, `${p}.port`));
    if (kind === 'grpc') errs.push(...validatePortNumOrName(typeof a.port === 'number' ? a.port : 0, `${p}.port`));
    const grace = ctx.gracePeriod;
    const seconds = typeof a.seconds === 'number' ? a.seconds : 0;
    if (kind === 'sleep' && grace !== undefined && (seconds <= 0 || seconds > grace)) {
      errs.push(
        invalidValue(p, seconds, `must be greater than 0 and less than terminationGracePeriodSeconds (${grace}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`),
      );
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

/** ValidateSecurityContext (a container's): user and group IDs, seccomp and AppArmor profile types. */
function validateSecurityContext(sc: unknown, path: string): FieldError[] {
  if (!isSet(sc)) return [];
  const s = rec(sc);
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup']) {
    const v = s[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(invalidValue(`${path}.${f}`, v, rangeError(0, MAX_INT32)));
  }
  if (isSet(s.procMount) && !['Default', 'Unmasked'].includes(str(s.procMount))) errs.push(notSupported(`${path}.procMount`, s.procMount, ['Default', 'Unmasked']));
  errs.push(...validateProfile(s.seccompProfile, `${path}.seccompProfile`, 'seccomp'));
  errs.push(...validateProfile(s.appArmorProfile, `${path}.appArmorProfile`, 'AppArmor'));
  return errs;
}

/** A seccomp or AppArmor profile: a supported type, localhostProfile exactly when Localhost. */
export function validateProfile(profile: unknown, path: string, what: 'seccomp' | 'AppArmor'): FieldError[] {
  if (!isSet(profile)) return [];
  const p = rec(profile);
  const type = str(p.type);
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  const typePath = `${path}.type`;
  if (!type) return [required(typePath, `type is required when ${what === 'seccomp' ? 'seccompProfile' : 'appArmorProfile'} is set`)];
  if (!types.includes(type)) return [notSupported(typePath, type, types)];
  if (type === 'Localhost' && !str(p.localhostProfile)) return [required(`${path}.localhostProfile`, `must be set when ${what} type is Localhost`)];
  return [];
}
