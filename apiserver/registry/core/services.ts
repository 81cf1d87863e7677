/**
 * services: Kubernetes' v1 defaults, then what its service storage does
 * before validation: clusterIP and clusterIPs kept in step, the IP family
 * fields chosen, and a cluster IP, node ports and a health check node port
 * allocated when the service needs them and has none (network.ts: the same
 * uid always gets the same values).
 *
 * An update (prepareUpdate, which runs after defaults) does those steps
 * again from the body as defaulted, with the stored object at hand as
 * Kubernetes does: values allocated before and left out of the body are
 * carried over (`kubectl replace` of a manifest without them keeps them),
 * and fields a type change leaves without meaning (node ports when leaving
 * NodePort...) are dropped when the client left them as they were.
 *
 * Addresses and node ports are not checked against other services: that
 * needs the store (Kubernetes keeps allocation bitmaps in etcd).
 */
import { Service, type ServicePort, type ServiceSpec, type ServiceStatus } from '../../api/core/service.js';
import type { KubeObject } from '../../api/meta.js';
import type { Strategy } from '../strategy.js';
import { allocateNodePort, allocateServiceIP, ipFamily } from './network.js';
import { externallyAccessible, needsHealthCheck, validateService } from './service-validation.js';
import { servicePrinter } from '../printers/services.js';
import { copyJson } from '../copy.js';

/** The default of sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

/** Each defaulted object's spec before the storage steps, for prepareUpdate to start again from. */
const beforeStorage = new WeakMap<KubeObject, ServiceSpec>();

/** Sets the defaults and allocations of a service (see the file comment). */
export function defaultService(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as ServiceSpec;
  versionDefaults(spec, (obj.status ??= {}) as ServiceStatus);
  beforeStorage.set(obj, copyJson(spec));
  storageSteps(obj);
}

/** Redoes the storage steps of an update with the stored object (see the file comment). */
export function prepareServiceUpdate(obj: KubeObject, old: KubeObject): void {
  const spec = beforeStorage.get(obj);
  if (spec) obj.spec = copyJson(spec);
  storageSteps(obj, (old.spec ?? {}) as ServiceSpec);
}

function storageSteps(obj: KubeObject, old?: ServiceSpec): void {
  const spec = (obj.spec ??= {}) as ServiceSpec;
  const status = (obj.status ??= {}) as ServiceStatus;
  if (old) patchAllocated(spec, old);
  normalizeClusterIPs(spec, old);
  if (old) dropTypeDependent(spec, old);
  initIPFamilies(spec, old);
  allocate(spec, obj.metadata.uid ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`);
  // a load balancer's addresses go with its type (dropTypeDependentFields)
  if (spec.type !== 'LoadBalancer') status.loadBalancer = {};
  status.loadBalancer ??= {};
}

/** SetDefaults_Service. */
function versionDefaults(spec: ServiceSpec, status: ServiceStatus): void {
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == null) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_AFFINITY_SECONDS } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port ?? 0;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type === 'ExternalName') delete spec.internalTrafficPolicy; // stored, but never shown (defaultOnRead)
  else if (spec.internalTrafficPolicy == null && ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type)) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer') {
    spec.allocateLoadBalancerNodePorts ??= true;
    for (const ingress of status.loadBalancer?.ingress ?? []) if (ingress.ip && ingress.ipMode == null) ingress.ipMode = 'VIP';
  }
}

const needsClusterIP = (s: ServiceSpec) => s.type !== 'ExternalName';
const needsNodePorts = (s: ServiceSpec) => s.type === 'NodePort' || s.type === 'LoadBalancer';
const nodePortsOf = (s: ServiceSpec) => new Set((s.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const sameClusterIPs = (a: ServiceSpec, b: ServiceSpec) => (a.clusterIP ?? '') === (b.clusterIP ?? '') && same(a.clusterIPs ?? [], b.clusterIPs ?? []);

/** patchAllocatedValues: what the client left out of an update and the service had allocated. */
function patchAllocated(spec: ServiceSpec, old: ServiceSpec): void {
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if (!spec.clusterIPs?.length && old.clusterIPs?.length) spec.clusterIPs = [...old.clusterIPs];
  }
  if (needsNodePorts(old) && needsNodePorts(spec)) {
    const inBoth = nodePortsOf(old);
    const mine = nodePortsOf(spec);
    for (const p of inBoth) if (!mine.has(p)) inBoth.delete(p);
    const byName = new Map((old.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      const was = byName.get(p.name ?? '') ?? 0;
      if (!p.nodePort && was && !inBoth.has(was)) p.nodePort = was;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(spec) && !spec.healthCheckNodePort && old.healthCheckNodePort) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** normalizeClusterIPs: clusterIPs follows clusterIP for clients that only know the singular field. */
function normalizeClusterIPs(spec: ServiceSpec, old?: ServiceSpec): void {
  if (!old) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if (old.clusterIPs?.length && !spec.clusterIPs?.length && (old.clusterIP ?? '') === (spec.clusterIP ?? '')) spec.clusterIPs = [...old.clusterIPs];
  if ((old.clusterIP ?? '') === (spec.clusterIP ?? '')) return;
  if (old.clusterIP && !spec.clusterIP) {
    if (same(old.clusterIPs ?? [], spec.clusterIPs ?? [])) delete spec.clusterIPs;
  } else if (same(old.clusterIPs ?? [], spec.clusterIPs ?? [])) {
    spec.clusterIPs = [spec.clusterIP!];
  }
}

/** dropTypeDependentFields: on a type change, the values the new type has no use for, when the client left them as they were. */
function dropTypeDependent(spec: ServiceSpec, old: ServiceSpec): void {
  if (needsClusterIP(old) && !needsClusterIP(spec)) {
    if (sameClusterIPs(old, spec)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same(old.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if ((old.ipFamilyPolicy ?? '') === (spec.ipFamilyPolicy ?? '')) delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(spec)) {
    const had = nodePortsOf(old);
    if ([...nodePortsOf(spec)].every((p) => had.has(p))) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (needsHealthCheck(old) && !needsHealthCheck(spec) && (old.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)) delete spec.healthCheckNodePort;
  if (old.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts != null && old.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if ((old.loadBalancerClass ?? null) === (spec.loadBalancerClass ?? null)) delete spec.loadBalancerClass;
  }
  if (needsNodePorts(old) && !needsNodePorts(spec) && (old.externalTrafficPolicy ?? '') === (spec.externalTrafficPolicy ?? '')) {
    delete spec.externalTrafficPolicy;
  }
}

/** initIPFamilyFields for a single-stack IPv4 cluster: the policy and the families, inferred from clusterIPs. */
function initIPFamilies(spec: ServiceSpec, old?: ServiceSpec): void {
  if (spec.type === 'ExternalName') return;
  const headlessSelectorless = spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0;
  if (spec.ipFamilyPolicy == null) {
    if (old?.ipFamilyPolicy != null) spec.ipFamilyPolicy = old.ipFamilyPolicy;
    else spec.ipFamilyPolicy = headlessSelectorless ? 'RequireDualStack' : 'SingleStack';
  }
  const families = [...(spec.ipFamilies ?? [])];
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    // an IPv6 address is left for validation to report (this cluster has no IPv6)
    if (ip === 'None' || ipFamily(ip) !== 4) break;
    if (i >= families.length) families.push('IPv4');
  }
  if (families.length === 0) families.push('IPv4');
  if (headlessSelectorless && families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') {
    families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
  }
  spec.ipFamilies = families;
}

/** A cluster IP when the service has none, node ports for the ports without one, a health check node port. */
function allocate(spec: ServiceSpec, seed: string): void {
  if (spec.type === 'ExternalName') return;
  if (!spec.clusterIP && !spec.clusterIPs?.length && spec.ipFamilies?.[0] === 'IPv4') {
    const ip = allocateServiceIP(seed);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }
  if (!needsNodePorts(spec)) return;
  const ports: ServicePort[] = spec.ports ?? [];
  const used = nodePortsOf(spec);
  if (spec.healthCheckNodePort) used.add(spec.healthCheckNodePort);
  const allocating = spec.type === 'NodePort' || spec.allocateLoadBalancerNodePorts !== false;
  // ports with the same number (TCP and UDP 53) share a node port
  const byPort = new Map<number, number>();
  for (const p of ports) {
    if (!p.nodePort && !allocating) continue;
    const port = p.port ?? 0;
    const shared = byPort.get(port);
    if (shared === undefined) {
      const requested = ports.find((q) => (q.port ?? 0) === port && q.nodePort)?.nodePort;
      p.nodePort = requested ?? allocateNodePort(`${seed}/${port}`, used);
      byPort.set(port, p.nodePort);
    } else if (!p.nodePort) {
      p.nodePort = shared;
    }
  }
  if (needsHealthCheck(spec) && !spec.healthCheckNodePort) spec.healthCheckNodePort = allocateNodePort(`${seed}/healthz`, used);
}

/** The services strategy. */
export const services = {
  info: { group: '', version: 'v1', kind: 'Service', resource: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'] },
  schema: Service,
  defaults: defaultService,
  prepareUpdate: prepareServiceUpdate,
  validate: validateService,
  mergeKeys: { 'spec.ports': 'port', 'status.conditions': 'type' },
  returnDeletedObject: true,
  status: { onCreate: 'clear' },
  fields: (obj) => {
    const spec = (obj.spec ?? {}) as ServiceSpec;
    return { 'spec.clusterIP': spec.clusterIP ?? '', 'spec.type': spec.type ?? '' };
  },
  printer: servicePrinter,
} satisfies Strategy;
