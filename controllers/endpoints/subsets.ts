/**
 * What an Endpoints object should hold for a Service and its pods, as
 * Kubernetes' endpoints controller computes it (pure; the controller in
 * endpoints.ts reads the caches and writes the result):
 *
 * - A pod is listed when it has an IP, is not terminal (Succeeded or
 *   Failed) and, unless the service publishes not-ready addresses, is not
 *   being deleted (endpointslice's ShouldPodBeInEndpoints).
 * - Its address: the IP of the service's family (IPv4 unless the service's
 *   first ipFamily is IPv6), the pod's node, a targetRef to the pod, and its
 *   hostname when its subdomain is the service's name.
 * - For each service port, the port the pod serves it on: a number as is,
 *   a name looked up in the containers' (and restartable init containers')
 *   ports of the same name and protocol; a pod without the named port is
 *   left out of that port only. A headless service without ports lists
 *   addresses without ports.
 * - Ready pods (or every pod, with publishNotReadyAddresses) go in
 *   `addresses`, others in `notReadyAddresses`; the result is repacked:
 *   addresses serving the same ports in one subset, each address once.
 * - More than MAX_CAPACITY addresses are truncated (ready ones kept first)
 *   and the object is annotated over-capacity.
 */
import { matchesMapSelector } from '../../client/selectors.js';
import type { Pod } from '../../client/types.js';
import { isPodReady } from '../internal/pods.js';
import { canonicalJson } from '../internal/semantic.js';

/** core/v1 ServicePort. */
export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}

/** core/v1 Service (the fields the controller reads). */
export interface Service {
  apiVersion?: string;
  kind?: string;
  metadata: Pod['metadata'];
  spec?: {
    selector?: Record<string, string> | null;
    ports?: ServicePort[];
    clusterIP?: string;
    type?: string;
    publishNotReadyAddresses?: boolean;
    ipFamilies?: string[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** core/v1 EndpointAddress. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
}

/** core/v1 EndpointPort. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

/** core/v1 EndpointSubset. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** core/v1 Endpoints. */
export interface Endpoints {
  apiVersion?: string;
  kind?: string;
  metadata: Pod['metadata'];
  subsets?: EndpointSubset[];
  [field: string]: unknown;
}

/** The most addresses one Endpoints object holds (kube's maxCapacity). */
export const MAX_CAPACITY = 1000;
/** The annotation set when addresses were dropped for MAX_CAPACITY. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** The annotation with the time of the change that caused the last write. */
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
/** The label Kubernetes puts on a headless service's Endpoints. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/**
 * The selector whose pods a controller publishes for the Service; undefined
 * when it has none (or an empty one) or is an ExternalName: its endpoints
 * are then the user's. Shared with the endpointslice controller.
 */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0 || svc.spec?.type === 'ExternalName') return undefined;
  return sel;
}

/** The services (of the pod's namespace) whose selector matches the pod's labels, or its `old` labels before an update. */
export function servicesSelecting(services: readonly Service[], pod: Pod, old?: Pod): Service[] {
  return services.filter((svc) => {
    const sel = serviceSelector(svc);
    return sel !== undefined && (matchesMapSelector(sel, pod.metadata.labels) || (old !== undefined && matchesMapSelector(sel, old.metadata.labels)));
  });
}

/**
 * Whether the pod belongs in the service's endpoints at all (see the file
 * comment); the endpointslice controller always includes terminating pods.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const ips = (pod.status?.podIPs ?? []) as { ip?: string }[];
  if (!pod.status?.podIP && ips.length === 0) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/** The pod's IP of the service's family, undefined when it has none. */
export function podIPForService(svc: Service, pod: Pod): string | undefined {
  const ips = [...((pod.status?.podIPs ?? []) as { ip?: string }[]).map((p) => p.ip ?? ''), pod.status?.podIP ?? ''].filter((ip) => ip !== '');
  const family = svc.spec?.ipFamilies?.[0] ?? (svc.spec?.clusterIP && svc.spec.clusterIP !== 'None' && svc.spec.clusterIP.includes(':') ? 'IPv6' : undefined);
  if (family === undefined) return ips[0];
  const v6 = family === 'IPv6';
  return ips.find((ip) => ip.includes(':') === v6);
}

/** The pod's hostname when its subdomain is the service's name (ShouldSetHostname), else undefined. */
export function hostnameFor(svc: Service, pod: Pod): string | undefined {
  const hostname = pod.spec.hostname as string | undefined;
  return hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace ? hostname : undefined;
}

/** The pod's address for the service (see the file comment), undefined when it has no IP of the service's family. */
export function podToEndpointAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const ip = podIPForService(svc, pod);
  if (ip === undefined) return undefined;
  const m = pod.metadata;
  const addr: EndpointAddress = { ip };
  const hostname = hostnameFor(svc, pod);
  if (hostname !== undefined) addr.hostname = hostname;
  if (pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '' };
  return addr;
}

/**
 * The container port serving `sp` on `pod` (podutil.FindPort): a numeric
 * targetPort (or the port when unset) as is, a named one from the pod's
 * container ports; undefined when the pod has no port of that name and protocol.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  const sidecars = (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...pod.spec.containers, ...sidecars]) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** The subsets of a service over the pods it selects, repacked, and whether they were truncated; see the file comment. */
export function computeSubsets(svc: Service, pods: readonly Pod[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  const headless = svc.spec?.clusterIP === 'None';
  const raw: EndpointSubset[] = [];
  const add = (pod: Pod, addr: EndpointAddress, port: EndpointPort | undefined): void => {
    const ready = tolerateUnready || isPodReady(pod);
    raw.push({ ...(ready ? { addresses: [addr] } : { notReadyAddresses: [addr] }), ...(port ? { ports: [port] } : {}) });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podToEndpointAddress(svc, pod);
    if (!addr) continue;
    if (ports.length === 0) {
      if (headless) add(pod, addr, undefined);
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      add(pod, addr, { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
  }
  return truncate(repackSubsets(raw));
}

const addressKey = (a: EndpointAddress): string => JSON.stringify([a.ip, a.targetRef?.uid ?? '']);
const portKey = (p: EndpointPort): string => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const [ua, ub] = [a.targetRef?.uid ?? '', b.targetRef?.uid ?? ''];
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * RepackSubsets: each address once per port (not ready wins when it is
 * both), and the ports served by the same addresses in one subset;
 * addresses sorted by IP, ports and subsets in a stable order.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  // port key ('' for none) → address key → ready
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const ss of subsets) {
    const ports: (EndpointPort | undefined)[] = ss.ports?.length ? ss.ports : [undefined];
    for (const port of ports) {
      const id = port ? portKey(port) : '';
      let entry = byPort.get(id);
      if (!entry) byPort.set(id, (entry = { port, ready: new Map() }));
      for (const [list, ready] of [[ss.addresses ?? [], true], [ss.notReadyAddresses ?? [], false]] as const) {
        for (const a of list) {
          const k = addressKey(a);
          if (!addresses.has(k)) addresses.set(k, a);
          if (entry.ready.get(k) !== false) entry.ready.set(k, ready);
        }
      }
    }
  }
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const id of [...byPort.keys()].sort()) {
    const { port, ready } = byPort.get(id)!;
    const gid = JSON.stringify([...ready].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let g = groups.get(gid);
    if (!g) groups.set(gid, (g = { ready, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out = [...groups.values()].map(({ ready, ports }) => {
    const pick = (want: boolean): EndpointAddress[] => [...ready].filter(([, r]) => r === want).map(([k]) => addresses.get(k)!).sort(compareAddresses);
    const ss: EndpointSubset = {};
    const [r, nr] = [pick(true), pick(false)];
    if (r.length) ss.addresses = r;
    if (nr.length) ss.notReadyAddresses = nr;
    if (ports.length) ss.ports = ports;
    return ss;
  });
  return out.filter((ss) => ss.addresses || ss.notReadyAddresses);
}

/** Keeps at most MAX_CAPACITY addresses over all subsets, ready ones first. */
function truncate(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, ss) => n + (ss.addresses?.length ?? 0) + (ss.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_CAPACITY) return { subsets, truncated: false };
  let room = MAX_CAPACITY;
  const keep = (list: EndpointAddress[] | undefined): EndpointAddress[] => {
    const kept = (list ?? []).slice(0, Math.max(0, room));
    room -= kept.length;
    return kept;
  };
  const ready = subsets.map((ss) => keep(ss.addresses));
  const notReady = subsets.map((ss) => keep(ss.notReadyAddresses));
  const out = subsets
    .map((ss, i) => ({ ...(ready[i]!.length ? { addresses: ready[i] } : {}), ...(notReady[i]!.length ? { notReadyAddresses: notReady[i] } : {}), ...(ss.ports ? { ports: ss.ports } : {}) }))
    .filter((ss) => ss.addresses || ss.notReadyAddresses);
  return { subsets: out, truncated: true };
}

/** A canonical text of subsets, blind to order and to targetRef resourceVersions (endpointSubsetsEqualIgnoreResourceVersion). */
export function subsetsKey(subsets: readonly EndpointSubset[] | undefined): string {
  const addr = (a: EndpointAddress): EndpointAddress => {
    if (!a.targetRef?.resourceVersion) return a;
    const targetRef = { ...a.targetRef };
    delete targetRef.resourceVersion;
    return { ...a, targetRef };
  };
  const norm = (subsets ?? []).map((ss) => ({
    addresses: (ss.addresses ?? []).map(addr).sort(compareAddresses),
    notReadyAddresses: (ss.notReadyAddresses ?? []).map(addr).sort(compareAddresses),
    ports: (ss.ports ?? []).map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })).sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1)),
  }));
  return norm.map((ss) => canonicalJson(ss)).sort().join('\n');
}
