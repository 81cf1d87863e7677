/**
 * What a Service's EndpointSlices should become, as Kubernetes'
 * endpointslice reconciler decides it (pure: the controller in
 * endpointslice.ts reads the caches and carries out the plan).
 *
 *   service.spec.ipFamilies ─► address types (IPv4, IPv6); slices of other types: delete
 *   pods ─► per pod: its ports (the service's ports resolved on the pod) and
 *           its endpoint for the address type, grouped by port set
 *   per port set, over the existing slices with those ports:
 *     1. keep each existing endpoint still desired (replaced when it changed),
 *        drop the others; a slice left empty is deleted, a changed one updated
 *     2. fill the slices being updated anyway, fullest first, up to the maximum
 *     3. put what is left in the unchanged slice it fits best, else new slices
 *   slices of port sets no longer desired: delete
 *   no slice left at all: one placeholder (no endpoints, no ports)
 *   creates paired with deletes become updates of the slices to delete
 *
 * - A pod counts when it has an IP and is not terminal (terminating pods
 *   too: their endpoints say terminating). Its endpoint: its pod IPs of the
 *   address type, conditions (serving: Ready; terminating: being deleted;
 *   ready: serving and not terminating, or always with
 *   publishNotReadyAddresses), its hostname when its subdomain is the
 *   service, nodeName, the node's topology.kubernetes.io/zone, a Pod targetRef.
 * - A pod on a node the cache does not have is left out and reported
 *   (`skipped`), so the sync is tried again; with publishNotReadyAddresses
 *   it is kept, without a zone.
 * - An endpoint's identity is its sorted addresses, hostname and pod
 *   (namespace/name); one that keeps its identity but changes (readiness)
 *   is updated in place.
 * - Slices carry the Service's labels (but the reserved ones), the
 *   service-name and managed-by labels, service.kubernetes.io/headless for a
 *   service without a cluster IP, and a controller reference to the
 *   Service; a slice whose labels differ is updated. Slices not owned by
 *   the Service (an older Service of that name) are deleted.
 * - Endpoints are placed in order of identity, so a plan is deterministic
 *   (Kubernetes takes them from a set in any order).
 */
import type { Node, Pod } from '../../client/types.js';
import { findPort, hostnameFor, HEADLESS_LABEL, shouldPodBeInEndpoints, type Service } from '../endpoints/subsets.js';
import { isPodReady } from '../internal/pods.js';
import { canonicalJson, semanticEqual } from '../internal/semantic.js';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, type Endpoint, type EndpointPort, type EndpointSlice } from './types.js';

/** The node label whose value is an endpoint's zone. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** What a reconcile reads. */
export interface ReconcileInput {
  readonly service: Service;
  /** The pods the service selects. */
  readonly pods: readonly Pod[];
  /** A node from the cache, undefined when it has none of that name. */
  readonly node: (name: string) => Node | undefined;
  /** The slices this controller manages for the service, but those being deleted. */
  readonly slices: readonly EndpointSlice[];
  readonly maxEndpointsPerSlice: number;
}

/** The writes a reconcile asks for. New slices have generateName and no name; updates carry the resourceVersion they replace (none for a slice taken over from a delete). */
export interface Plan {
  readonly create: EndpointSlice[];
  readonly update: EndpointSlice[];
  readonly delete: EndpointSlice[];
  /** Pods left out because their node is not in the cache (`pod`), one line each. */
  readonly skipped: string[];
}

/** The address types of a service's slices: its IP families; without any, its cluster IP's family, or both for a headless one. */
export function addressTypesFor(svc: Service): string[] {
  const types = new Set<string>();
  for (const f of svc.spec?.ipFamilies ?? []) if (f === 'IPv4' || f === 'IPv6') types.add(f);
  if (types.size > 0) return [...types];
  const ip = svc.spec?.clusterIP ?? '';
  if (ip !== '' && ip !== 'None') return [ip.includes(':') ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** Whether the service has a cluster IP (helper.IsServiceIPSet). */
function serviceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

/** The labels of the service's slices (see the file comment). */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  }
  if (!serviceIPSet(svc)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

/** Whether the slice's controller reference is the service (by uid). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.kind === 'Service' && r.apiVersion === 'v1' && r.uid === svc.metadata.uid);
}

/** A new, empty slice of the service (generateName `<service>-`). */
export function newSlice(svc: Service, addressType: string, ports: EndpointPort[]): EndpointSlice {
  const { name = '', namespace, uid = '' } = svc.metadata;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${name}-`,
      ...(namespace !== undefined ? { namespace } : {}),
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** The service's ports as the pod serves them: a port the pod lacks (a named targetPort) is left out. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol != null ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** The pod's endpoint for an address type (see the file comment); its addresses may be none. */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: string): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ips = ((pod.status?.podIPs ?? []) as { ip?: string }[]).map((p) => p.ip ?? '').filter((ip) => ip !== '');
  const ep: Endpoint = {
    addresses: addressType === 'IPv4' || addressType === 'IPv6' ? ips.filter((ip) => ip.includes(':') === (addressType === 'IPv6')) : [],
    conditions: { ready, serving, terminating },
  };
  const hostname = hostnameFor(svc, pod);
  if (hostname !== undefined) ep.hostname = hostname;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  return ep;
}

/** An endpoint's identity: its sorted addresses, hostname and the pod behind it. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...(ep.addresses ?? [])].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** A port set's identity, blind to order and to the defaults (name "", TCP). */
export function portsKey(ports: readonly EndpointPort[] | null | undefined): string {
  const norm = (ports ?? []).map((p) => canonicalJson({ name: p.name ?? '', port: p.port ?? null, protocol: p.protocol ?? 'TCP', appProtocol: p.appProtocol ?? null }));
  return JSON.stringify(norm.sort());
}

const copyOf = (s: EndpointSlice): EndpointSlice => structuredClone(s);
const endpointsOf = (s: EndpointSlice): Endpoint[] => s.endpoints ?? [];

/** See the file comment. */
export function reconcile(input: ReconcileInput): Plan {
  const plan: Plan = { create: [], update: [], delete: [], skipped: [] };
  const byType = new Map<string, EndpointSlice[]>(addressTypesFor(input.service).map((t) => [t, []]));
  for (const s of input.slices) {
    const list = byType.get(s.addressType);
    if (list) list.push(s);
    else plan.delete.push(s);
  }
  const skipped = new Set<string>();
  for (const [addressType, existing] of byType) {
    const p = reconcileAddressType(input, addressType, existing, skipped);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  plan.skipped.push(...skipped);
  return plan;
}

/** The desired endpoints of one port set, by identity. */
interface Desired {
  readonly ports: EndpointPort[];
  readonly endpoints: Map<string, Endpoint>;
}

function reconcileAddressType(input: ReconcileInput, addressType: string, existing: EndpointSlice[], skipped: Set<string>): Omit<Plan, 'skipped'> {
  const svc = input.service;
  const toDelete: EndpointSlice[] = [];
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      toDelete.push(s);
      continue;
    }
    const key = portsKey(s.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), s]);
  }

  const desired = new Map<string, Desired>();
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portsKey(ports);
    let d = desired.get(key);
    if (!d) desired.set(key, (d = { ports, endpoints: new Map() }));
    const nodeName = pod.spec.nodeName ?? '';
    const node = nodeName ? input.node(nodeName) : undefined;
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      skipped.add(`skipping Pod ${pod.metadata.name ?? ''} for Service ${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}: node "${nodeName}" not found`);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, addressType);
    if (ep.addresses!.length > 0) d.endpoints.set(endpointKey(ep), ep);
  }

  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  for (const [key, d] of desired) {
    const p = reconcilePorts(svc, existingByPorts.get(key) ?? [], d, addressType, Math.max(1, input.maxEndpointsPerSlice));
    create.push(...p.create);
    update.push(...p.update);
    toDelete.push(...p.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desired.has(key)) toDelete.push(...slices);

  // no slice would be left: keep (or make) one placeholder
  if (existing.length === toDelete.length && create.length === 0) {
    const placeholder = newSlice(svc, addressType, []);
    const [only] = toDelete;
    if (toDelete.length === 1 && only && isPlaceholder(only, placeholder, svc)) toDelete.length = 0;
    else create.push(placeholder);
  }
  return pairCreatesWithDeletes(svc, create, update, toDelete);
}

/** Whether an existing slice is the placeholder `want` already: owned, same labels and type, no endpoints, no ports. */
function isPlaceholder(s: EndpointSlice, want: EndpointSlice, svc: Service): boolean {
  return ownedBy(s, svc) && s.addressType === want.addressType && semanticEqual(s.metadata.labels, want.metadata.labels) && endpointsOf(s).length === 0 && (s.ports ?? []).length === 0;
}

/** One port set's slices: steps 1 to 3 of the file comment. */
function reconcilePorts(svc: Service, existing: EndpointSlice[], desired: Desired, addressType: string, max: number): Omit<Plan, 'skipped'> {
  const labels = sliceLabels(svc);
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();
  const wanted = new Map(desired.endpoints);

  // 1. keep what is still desired, replace what changed, drop the rest
  for (const s of existing) {
    const name = s.metadata.name ?? '';
    byName.set(name, s);
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of endpointsOf(s)) {
      const key = endpointKey(ep);
      const want = wanted.get(key);
      if (!want) continue;
      kept.push(want);
      if (!semanticEqual(want, ep)) changed = true;
      wanted.delete(key);
    }
    const relabel = !semanticEqual(s.metadata.labels, labels);
    if (changed || kept.length !== endpointsOf(s).length) {
      if (kept.length === 0) {
        toDelete.add(name);
        continue;
      }
      const next = copyOf(s);
      next.endpoints = kept;
      next.metadata.labels = labels;
      byName.set(name, next);
      toUpdate.add(name);
    } else if (relabel) {
      const next = copyOf(s);
      next.metadata.labels = labels;
      byName.set(name, next);
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const remaining = [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ep]) => ep);
  const fill = (s: EndpointSlice): void => {
    const eps = [...endpointsOf(s)];
    while (remaining.length > 0 && eps.length < max) eps.push(remaining.shift()!);
    s.endpoints = eps;
  };

  // 2. fill the slices that are written anyway, fullest first
  if (remaining.length > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
    for (const s of slices) fill(s);
  }

  // 3. the rest: into the unchanged slice they fit best, else new slices
  const create: EndpointSlice[] = [];
  while (remaining.length > 0) {
    let target: EndpointSlice | undefined;
    if (remaining.length < max && unchanged.size > 0) {
      const best = sliceToFill([...unchanged].map((n) => byName.get(n)!), remaining.length, max);
      if (best) {
        target = copyOf(best);
        byName.set(target.metadata.name ?? '', target);
      }
    }
    target ??= newSlice(svc, addressType, desired.ports);
    fill(target);
    if (target.metadata.name) {
      toUpdate.add(target.metadata.name);
      unchanged.delete(target.metadata.name);
    } else {
      create.push(target);
    }
  }
  return { create, update: [...toUpdate].map((n) => byName.get(n)!), delete: [...toDelete].map((n) => byName.get(n)!) };
}

/** The slice that `count` more endpoints fill closest to `max` without going over, if any (getSliceToFill). */
function sliceToFill(slices: EndpointSlice[], count: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestRoom = max;
  for (const s of slices) {
    const room = max - (count + endpointsOf(s).length);
    if (room >= 0 && room < bestRoom) {
      [best, bestRoom] = [s, room];
      if (room === 0) break;
    }
  }
  return best;
}

/**
 * Creates paired with deletes of the same address type (of slices the
 * service owns) become updates of those slices, under their names and
 * without a resourceVersion: fewer writes, and names that last (finalize).
 */
function pairCreatesWithDeletes(svc: Service, create: EndpointSlice[], update: EndpointSlice[], toDelete: EndpointSlice[]): Omit<Plan, 'skipped'> {
  const creates = [...create];
  const updates = [...update];
  const deletes: EndpointSlice[] = [];
  for (const d of toDelete) {
    const c = creates[creates.length - 1];
    if (c && d.addressType === c.addressType && ownedBy(d, svc)) {
      creates.pop();
      c.metadata.name = d.metadata.name ?? '';
      updates.push(c);
    } else {
      deletes.push(d);
    }
  }
  return { create: creates, update: updates, delete: deletes };
}
