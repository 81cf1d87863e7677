/**
 * NodeInfo: a node with the pods on it (bound, or assumed by the scheduler)
 * and what they add up to: requested resources, host ports in use, pods
 * with affinity terms. Filter and Score plugins read it; the scheduler's
 * cache keeps one per node and a snapshot of them per cycle.
 *
 * Resources as kube-scheduler counts them: a pod requests the sum of its
 * containers' requests or the largest init container's, whichever is more,
 * plus its overhead; the "non-zero" request counts a container that asks
 * for no CPU or memory as 100m and 200Mi (for scoring only).
 */
import { milliValue, wholeValue } from '../../client/quantity.js';
import type { Container, Node, Pod, Quantity } from '../../client/types.js';

/** CPU a container without a CPU request counts for in scoring (kube-scheduler's DefaultMilliCPURequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Memory a container without a memory request counts for in scoring (DefaultMemoryRequest, 200 MiB). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Amounts of resources: CPU in millicores, memory and ephemeral storage in bytes, pods, and extended resources by name. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended and hugepage resources (`nvidia.com/gpu`, `hugepages-2Mi`), in whole units. */
  scalar: Map<string, number>;
}

/** An empty Resource. */
export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

/** A resource list (`{cpu: '2', memory: '4Gi', pods: '110'}`) as a Resource. */
export function resourceOf(list: Record<string, Quantity> | undefined): Resource {
  const r = emptyResource();
  for (const [name, q] of Object.entries(list ?? {})) addNamed(r, name, q, 1);
  return r;
}

function addNamed(r: Resource, name: string, q: Quantity, sign: 1 | -1): void {
  switch (name) {
    case 'cpu':
      r.milliCPU += sign * milliValue(q);
      break;
    case 'memory':
      r.memory += sign * wholeValue(q);
      break;
    case 'ephemeral-storage':
      r.ephemeralStorage += sign * wholeValue(q);
      break;
    case 'pods':
      r.allowedPodNumber += sign * wholeValue(q);
      break;
    default:
      r.scalar.set(name, (r.scalar.get(name) ?? 0) + sign * wholeValue(q));
  }
}

function add(into: Resource, r: Resource, sign: 1 | -1 = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  into.allowedPodNumber += sign * r.allowedPodNumber;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + sign * v);
}

function max(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

function containerRequests(c: Container, nonZero: boolean): Resource {
  const r = resourceOf(c.resources?.requests);
  if (nonZero) {
    if (c.resources?.requests?.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (c.resources?.requests?.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/** What a pod requests (see the file comment); `nonZero`: with the scoring defaults for unset CPU and memory. */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const sum = emptyResource();
  for (const c of pod.spec.containers ?? []) add(sum, containerRequests(c, nonZero));
  // restartable init containers (sidecars) run beside the others; the rest run one at a time before them,
  // beside the sidecars started so far. The pod needs the most of either phase.
  const sidecars = emptyResource();
  const initPeak = emptyResource();
  for (const c of pod.spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    const during = emptyResource();
    add(during, sidecars);
    if (c.restartPolicy === 'Always') {
      add(sum, r);
      add(sidecars, r);
    }
    add(during, r);
    max(initPeak, during);
  }
  max(sum, initPeak);
  if (pod.spec.overhead) add(sum, resourceOf(pod.spec.overhead));
  return sum;
}

/** A host port a pod uses: protocol, IP (0.0.0.0 for any) and port. */
export interface HostPort {
  readonly protocol: string;
  readonly ip: string;
  readonly port: number;
}

/** The host ports a pod holds: its containers' and its restartable init containers' (sidecars'), as kube's GetHostPorts. */
export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const sidecars = (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...sidecars, ...(pod.spec.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol ?? 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

/** A pod on a node, with what it requests worked out once. */
export interface PodInfo {
  readonly pod: Pod;
  readonly requests: Resource;
  readonly nonZeroRequests: Resource;
}

/** A pod as a PodInfo. */
export function podInfo(pod: Pod): PodInfo {
  return { pod, requests: podRequests(pod), nonZeroRequests: podRequests(pod, true) };
}

/** Whether a pod has pod affinity or anti-affinity terms (required or preferred). */
export function hasAffinity(pod: Pod): boolean {
  const a = pod.spec.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

/** Whether a pod has required anti-affinity terms. */
export function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

/** A node and its pods; see the file comment. */
export class NodeInfo {
  readonly pods: PodInfo[] = [];
  /** What the pods request. */
  readonly requested = emptyResource();
  /** What the pods request, counting unset CPU and memory as the scoring defaults. */
  readonly nonZeroRequested = emptyResource();
  /** What the node offers (status.allocatable). */
  allocatable: Resource;
  /** Host ports in use, as `protocol/ip/port`. */
  readonly usedPorts = new Set<string>();
  /** Bumped on every change, so a snapshot knows what to copy. */
  generation = 0;
  /** How many of the pods have pod affinity or anti-affinity terms (invariant: podsWithAffinity.length). */
  affinityPods = 0;

  #node: Node;
  /** The node's name, kept beside it: every Filter and Score call reads it. */
  #name: string;

  constructor(node: Node, allocatable?: Resource) {
    this.#node = node;
    this.#name = node.metadata.name ?? '';
    this.allocatable = allocatable ?? resourceOf(node.status?.allocatable);
  }

  get node(): Node {
    return this.#node;
  }

  get name(): string {
    return this.#name;
  }

  /** The pods with pod affinity or anti-affinity terms. */
  get podsWithAffinity(): PodInfo[] {
    return this.pods.filter((p) => hasAffinity(p.pod));
  }

  /** The pods with required anti-affinity terms. */
  get podsWithRequiredAntiAffinity(): PodInfo[] {
    return this.pods.filter((p) => hasRequiredAntiAffinity(p.pod));
  }

  /** Replaces the node (its labels, taints, allocatable changed). */
  setNode(node: Node): void {
    this.#node = node;
    this.#name = node.metadata.name ?? '';
    this.allocatable = resourceOf(node.status?.allocatable);
    this.generation++;
  }

  addPod(pod: Pod): void {
    this.addPodInfo(podInfo(pod));
  }

  /** Adds a pod whose requests are already worked out. */
  addPodInfo(p: PodInfo): void {
    this.pods.push(p);
    if (hasAffinity(p.pod)) this.affinityPods++;
    add(this.requested, p.requests);
    add(this.nonZeroRequested, p.nonZeroRequests);
    for (const hp of hostPortsOf(p.pod)) this.usedPorts.add(portKey(hp));
    this.generation++;
  }

  /** Removes the pod with `uid`; false when it is not here. */
  removePod(uid: string): boolean {
    const i = this.pods.findIndex((p) => p.pod.metadata.uid === uid);
    if (i < 0) return false;
    const [p] = this.pods.splice(i, 1) as [PodInfo];
    if (hasAffinity(p.pod)) this.affinityPods--;
    add(this.requested, p.requests, -1);
    add(this.nonZeroRequested, p.nonZeroRequests, -1);
    this.usedPorts.clear();
    for (const q of this.pods) for (const hp of hostPortsOf(q.pod)) this.usedPorts.add(portKey(hp));
    this.generation++;
    return true;
  }

  /** A copy that can change without changing this one (preemption's what-ifs, snapshots). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.#node, this.allocatable); // allocatable is replaced, never changed in place, by setNode
    for (const p of this.pods) c.addPodInfo(p);
    c.generation = this.generation;
    return c;
  }
}

/** The key of a host port in NodeInfo.usedPorts. */
export function portKey(hp: HostPort): string {
  return `${hp.protocol}/${hp.ip}/${hp.port}`;
}
