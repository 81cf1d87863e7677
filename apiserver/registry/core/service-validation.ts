/**
 * Service validation as kube-apiserver does it (ValidateService,
 * ValidateServiceUpdate), with the errors its allocation step reports first
 * and alone: an address or node port outside this cluster's ranges, an IP
 * family the cluster does not have (it is single-stack IPv4).
 */
import type { Service, ServicePort, ServiceSpec, ServiceStatus } from '../../api/core/service.js';
import { dns1123Label, dns1123Subdomain, invalid, qualifiedName, required, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import { duplicate, forbidden, invalidShown, notSupported, rangeError, validateLabels } from './fielderrors.js';
import { NODE_PORTS, SERVICE_CIDR, goSlice, ipFamily, nodePortInRange, nonSpecialIP, serviceIPInRange, validCIDR, validIP } from './network.js';

const DNS1035 = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035Re = new RegExp(`^${DNS1035}$`);

/** A DNS-1035 label (service names): the reasons `value` is not one, with Kubernetes' messages. */
export function dns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1035Re.test(value)) {
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${DNS1035}')`,
    );
  }
  return errs;
}

/** IsValidPortName: an IANA service name (a named targetPort). */
export function portNameErrors(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.startsWith('-') || port.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const MAX_AFFINITY_SECONDS = 86400;
const TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
const TOPOLOGY_HINTS = 'service.kubernetes.io/topology-aware-hints';
const SOURCE_RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges';

/** A service with clusterIPs ["None"]. */
export function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIPs?.length === 1 && spec.clusterIPs[0] === 'None';
}

/** LoadBalancer, NodePort, or ClusterIP with external IPs (service.ExternallyAccessible). */
export function externallyAccessible(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
}

/** A LoadBalancer with externalTrafficPolicy Local (it gets a healthCheckNodePort). */
export function needsHealthCheck(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** The service's errors; `old` on an update. Allocation errors come alone, before validation, as kube-apiserver reports them. */
export function validateService(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (obj as unknown as Service).spec ?? {};
  const oldSpec = old ? ((old as unknown as Service).spec ?? {}) : undefined;
  const alloc = allocationErrors(spec, oldSpec);
  if (alloc.length > 0) return alloc;
  const errs = oldSpec ? validateUpdate(spec, oldSpec) : [];
  errs.push(...validateMeta(obj.metadata, dns1035Label));
  const annotations = obj.metadata.annotations ?? {};
  const mode = annotations[TOPOLOGY_MODE];
  const hints = annotations[TOPOLOGY_HINTS];
  if (mode !== undefined && hints !== undefined && mode !== hints) {
    errs.push(invalid(`metadata.annotations[${TOPOLOGY_MODE}]`, mode, `must match annotations[${TOPOLOGY_HINTS}] when both are specified`));
  }
  const ports = spec.ports ?? [];
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(required('spec.ports'));
  if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && headless) {
    errs.push(invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${spec.type} services`));
  }
  if (spec.type === 'ExternalName') {
    if (spec.clusterIPs?.length) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy != null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname) errs.push(...dns1123Subdomain(cname).map((e) => invalid('spec.externalName', cname, e)));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validatePort(p, ports.length > 1, names, `spec.ports[${i}]`)));
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...validateAffinity(spec));
  errs.push(...validateClusterIPs(spec));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const bad = validIP(`spec.externalIPs[${i}]`, ip);
    errs.push(...(bad.length ? bad : nonSpecialIP(`spec.externalIPs[${i}]`, ip)));
  });
  if (!spec.type) errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const servicePorts = new Set<string>();
  ports.forEach((p, i) => {
    const protocol = p.protocol ?? '';
    if (p.nodePort) {
      if (nodePorts.has(`${protocol}/${p.nodePort}`)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      nodePorts.add(`${protocol}/${p.nodePort}`);
    }
    const key = `${protocol}/${p.port ?? 0}`;
    if (servicePorts.has(key)) {
      const shown = `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
      errs.push({ field: `spec.ports[${i}]`, type: 'FieldValueDuplicate', message: `spec.ports[${i}]: Duplicate value: ${shown}` });
    }
    servicePorts.add(key);
  });
  errs.push(...validateLoadBalancerFields(spec, annotations));
  errs.push(...validateTrafficPolicies(spec));
  errs.push(...validateIngress((obj as unknown as Service).status ?? {}));
  return errs;
}

/** ValidateLoadBalancerStatus (a non-LoadBalancer service's addresses are dropped by defaults, not refused). */
function validateIngress(status: ServiceStatus): FieldError[] {
  const errs: FieldError[] = [];
  (status.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip) errs.push(...validIP(`${path}.ip`, ing.ip));
    if (ing.ipMode == null) {
      if (ing.ip) errs.push(required(`${path}.ipMode`, 'must be specified when `ip` is set'));
    } else if (!ing.ip) errs.push(forbidden(`${path}.ipMode`, 'may not be specified when `ip` is not set'));
    else if (ing.ipMode !== 'Proxy' && ing.ipMode !== 'VIP') errs.push(notSupported(`${path}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
    if (ing.hostname) {
      errs.push(...dns1123Subdomain(ing.hostname).map((e) => invalid(`${path}.hostname`, ing.hostname, e)));
      if (ipFamily(ing.hostname)) errs.push(invalid(`${path}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

function validatePort(p: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = p.name ?? '';
  if (requireName && !name) errs.push(required(`${path}.name`));
  else if (name) {
    errs.push(...dns1123Label(name).map((e) => invalid(`${path}.name`, name, e)));
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    names.add(name);
  }
  const port = p.port ?? 0;
  if (port < 1 || port > 65535) errs.push(invalid(`${path}.port`, port, rangeError(1, 65535)));
  if (!p.protocol) errs.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  const target = p.targetPort ?? 0;
  if (typeof target === 'number') {
    if (target < 1 || target > 65535) errs.push(invalid(`${path}.targetPort`, target, rangeError(1, 65535)));
  } else {
    errs.push(...portNameErrors(target).map((e) => invalid(`${path}.targetPort`, target, e)));
  }
  if (p.appProtocol != null) errs.push(...qualifiedName(p.appProtocol).map((e) => invalid(`${path}.appProtocol`, p.appProtocol, e)));
  return errs;
}

function validateAffinity(spec: ServiceSpec): FieldError[] {
  const affinity = spec.sessionAffinity;
  if (!affinity) return [required('spec.sessionAffinity')];
  if (affinity === 'None') {
    return spec.sessionAffinityConfig != null ? [forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None')] : [];
  }
  if (affinity !== 'ClientIP') return [notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None'])];
  const why = 'when session affinity type is ClientIP';
  const config = spec.sessionAffinityConfig;
  if (config == null) return [required('spec.sessionAffinityConfig', why)];
  if (config.clientIP == null) return [required('spec.sessionAffinityConfig.clientIP', why)];
  const timeout = config.clientIP.timeoutSeconds;
  const path = 'spec.sessionAffinityConfig.clientIP.timeoutSeconds';
  if (timeout == null) return [required(path, why)];
  return timeout <= 0 || timeout > MAX_AFFINITY_SECONDS ? [invalid(path, timeout, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`)] : [];
}

/** ValidateServiceClusterIPsRelatedFields: clusterIP and clusterIPs agree, the IPs and families are well formed. */
function validateClusterIPs(spec: ServiceSpec): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  const shownIPs = goSlice(spec.clusterIPs);
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) errs.push(invalidShown('spec.clusterIPs', shownIPs, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(invalidShown('spec.clusterIPs', shownIPs, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((fam, i) => {
    if (fam !== 'IPv4' && fam !== 'IPv6') errs.push(notSupported(`spec.ipFamilies[${i}]`, fam, ['IPv4', 'IPv6']));
    if (seen.has(fam)) errs.push(duplicate(`spec.ipFamilies[${i}]`, fam));
    seen.add(fam);
  });
  if (spec.ipFamilyPolicy != null && !FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, FAMILY_POLICIES));
  }
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalidShown('spec.clusterIPs', shownIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const bad = validIP(`spec.clusterIPs[${i}]`, ip);
    badIPs ||= bad.length > 0;
    errs.push(...bad);
  });
  if (ips.length > 2) errs.push(invalidShown('spec.clusterIPs', shownIPs, 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1 && !(ips.some((ip) => ipFamily(ip) === 4) && ips.some((ip) => ipFamily(ip) === 6))) {
    errs.push(invalidShown('spec.clusterIPs', shownIPs, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(spec)) {
    const families = spec.ipFamilies ?? [];
    ips.slice(0, families.length).forEach((ip, i) => {
      const v6 = ipFamily(ip) === 6;
      if (families[i] === 'IPv4' && v6) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !v6) errs.push(invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateLoadBalancerFields(spec: ServiceSpec, annotations: Record<string, string>): FieldError[] {
  const errs: FieldError[] = [];
  const lb = spec.type === 'LoadBalancer';
  const ranges = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    if (!lb) errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validCIDR(`spec.LoadBalancerSourceRanges[${i}]`, r.trim())));
  } else if (annotations[SOURCE_RANGES] !== undefined) {
    const path = `metadata.annotations[${SOURCE_RANGES}]`;
    if (!lb) errs.push(forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    const value = annotations[SOURCE_RANGES].trim();
    if (value) for (const r of value.split(',')) errs.push(...validCIDR(path, r.trim()));
  }
  if (spec.allocateLoadBalancerNodePorts != null && !lb) {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (lb && spec.allocateLoadBalancerNodePorts == null) errs.push(required('allocateLoadBalancerNodePorts'));
  if (spec.loadBalancerClass != null) {
    if (lb) errs.push(...qualifiedName(spec.loadBalancerClass).map((e) => invalid('spec.loadBalancerClass', spec.loadBalancerClass, e)));
    else errs.push(forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

function validateTrafficPolicies(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const etp = spec.externalTrafficPolicy ?? '';
  if (!externallyAccessible(spec)) {
    if (etp) errs.push(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(required('spec.externalTrafficPolicy'));
  else if (!TRAFFIC_POLICIES.includes(etp)) errs.push(notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  const hc = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(spec)) {
    if (hc) errs.push(invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (!hc) errs.push(required('spec.healthCheckNodePort'));
  else if (hc < 1 || hc > 65535) errs.push(invalid('spec.healthCheckNodePort', hc, rangeError(1, 65535)));
  const itp = spec.internalTrafficPolicy;
  if (itp == null) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') errs.push(required('spec.internalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(itp)) errs.push(notSupported('spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES));
  if (spec.trafficDistribution != null && spec.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose']));
  }
  return errs;
}

/** ValidateServiceUpdate's own checks: clusterIPs and ipFamilies keep their primary, loadBalancerClass and healthCheckNodePort stay. */
function validateUpdate(spec: ServiceSpec, old: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.type !== 'ExternalName' && old.type !== 'ExternalName') {
    const ips = spec.clusterIPs ?? [];
    const oldIPs = old.clusterIPs ?? [];
    const shownIPs = goSlice(spec.clusterIPs);
    if (!(isHeadless(spec) && isHeadless(old))) {
      if (oldIPs.length === ips.length) {
        oldIPs.forEach((ip, i) => {
          if (ip !== ips[i]) errs.push(invalidShown(`spec.clusterIPs[${i}]`, shownIPs, 'may not change once set'));
        });
      } else if (oldIPs.length > ips.length) {
        if (ips.length === 0) errs.push(invalidShown('spec.clusterIPs[0]', shownIPs, 'primary clusterIP can not be unset'));
        else if (ips[0] !== oldIPs[0]) errs.push(invalidShown('spec.clusterIPs[0]', shownIPs, 'may not change once set'));
        if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
          errs.push(invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? 'null', "must be set to 'SingleStack' when releasing the secondary clusterIP"));
        }
      } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
        errs.push(invalidShown('spec.clusterIPs[0]', shownIPs, 'may not change once set'));
      }
    }
    const fams = spec.ipFamilies ?? [];
    const oldFams = old.ipFamilies ?? [];
    if (!isHeadless(spec) && !isHeadless(old) && fams.length === oldFams.length && fams.some((f, i) => f !== oldFams[i])) {
      errs.push(invalidShown('spec.ipFamilies[0]', goSlice(spec.ipFamilies, 'core.IPFamily'), 'may not change once set'));
    }
  }
  if (spec.type === 'LoadBalancer' && old.type === 'LoadBalancer' && (spec.loadBalancerClass ?? null) !== (old.loadBalancerClass ?? null)) {
    errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? 'null', 'may not change once set'));
  }
  if (needsHealthCheck(spec) && needsHealthCheck(old) && (spec.healthCheckNodePort ?? 0) !== (old.healthCheckNodePort ?? 0)) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return errs;
}

/**
 * What kube-apiserver's allocation step rejects before validation runs: IP
 * families and addresses this single-stack IPv4 cluster cannot give, and
 * requested addresses and node ports outside its ranges.
 */
function allocationErrors(spec: ServiceSpec, old?: ServiceSpec): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  const headlessSelectorless = spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0;
  if (!headlessSelectorless) {
    if (spec.ipFamilyPolicy === 'SingleStack' && ips.length === 2) {
      errs.push(invalid('spec.ipFamilyPolicy', 'SingleStack', "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    }
    if (spec.ipFamilyPolicy === 'SingleStack' && families.length === 2) {
      errs.push(invalid('spec.ipFamilyPolicy', 'SingleStack', "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
    }
    ips.forEach((ip, i) => {
      if (i >= families.length && ip !== 'None' && ipFamily(ip) === 6) {
        errs.push(invalidShown(`spec.clusterIPs[${i}]`, goSlice(ips), 'IPv6 is not configured on this cluster'));
      }
    });
    if (errs.length > 0) return errs;
    if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(invalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services'));
    families.forEach((fam, i) => {
      if (fam !== 'IPv4') errs.push(invalid(`spec.ipFamilies[${i}]`, fam, 'not configured on this cluster'));
    });
    if (errs.length > 0) return errs;
  }
  const primary = ips[0];
  const fresh = !old || old.type === 'ExternalName' || !old.clusterIPs?.length;
  if (fresh && primary && primary !== 'None' && ipFamily(primary) === 4 && !serviceIPInRange(primary)) {
    const why = `failed to allocate IP ${primary}: the provided IP (${primary}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`;
    return [invalidShown('spec.clusterIPs', goSlice(ips), why)];
  }
  const range = `provided port is not in the valid range. The range of valid ports is ${NODE_PORTS.min}-${NODE_PORTS.max}`;
  const oldNodePorts = new Set((old?.ports ?? []).map((p) => p.nodePort ?? 0));
  (spec.ports ?? []).forEach((p, i) => {
    if (spec.type !== 'ClusterIP' && p.nodePort && !oldNodePorts.has(p.nodePort) && !nodePortInRange(p.nodePort)) {
      errs.push(invalid(`spec.ports[${i}].nodePort`, p.nodePort, range));
    }
  });
  const hc = spec.healthCheckNodePort ?? 0;
  if (needsHealthCheck(spec) && hc && hc !== (old?.healthCheckNodePort ?? 0) && !nodePortInRange(hc)) {
    errs.push(invalid('spec.healthCheckNodePort', hc, `failed to allocate requested HealthCheck NodePort ${hc}: ${range}`));
  }
  return errs;
}
