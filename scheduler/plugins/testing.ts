/**
 * Builders for plugin tests: small Nodes and Pods with only the fields a
 * case cares about, and NodeInfos holding pods. Quantities are written as in
 * a manifest (`cpu: '2'`, `memory: '4Gi'`); what is left out is left unset.
 *
 * runFilter and runScore drive a plugin through its extension points as the framework does.
 *
 * ```ts
 * const ni = nodeInfo(makeNode({ name: 'n1', cpu: '2', memory: '4Gi' }), makePod({ name: 'a', cpu: '1' }));
 * ```
 */
import type { Affinity, Container, Node, Pod, Quantity, Taint, Toleration, TopologySpreadConstraint } from '../../client/types.js';
import { CycleState } from '../framework/cyclestate.js';
import type { FilterPlugin, Handle, NodeInfoLister, NodeScore, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { hasAffinity, hasRequiredAntiAffinity, NodeInfo } from '../framework/nodeinfo.js';
import { Code, type Status, SUCCESS } from '../framework/status.js';

/** What makeNode sets: allocatable (and capacity) from cpu, memory, pods, ephemeralStorage and extended. */
export interface NodeOptions {
  name: string;
  cpu?: Quantity;
  memory?: Quantity;
  /** Allocatable pods; 110 (kubelet's default) unless given. */
  pods?: Quantity;
  ephemeralStorage?: Quantity;
  /** Extended resources by name (`{'example.com/gpu': 4}`). */
  extended?: Record<string, Quantity>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

/** A Node with status.allocatable = status.capacity; see NodeOptions. */
export function makeNode(o: NodeOptions): Node {
  const allocatable: Record<string, Quantity> = { pods: o.pods ?? 110 };
  if (o.cpu !== undefined) allocatable.cpu = o.cpu;
  if (o.memory !== undefined) allocatable.memory = o.memory;
  if (o.ephemeralStorage !== undefined) allocatable['ephemeral-storage'] = o.ephemeralStorage;
  Object.assign(allocatable, o.extended);
  const spec: NonNullable<Node['spec']> = {};
  if (o.taints) spec.taints = o.taints;
  if (o.unschedulable !== undefined) spec.unschedulable = o.unschedulable;
  const metadata: Node['metadata'] = { name: o.name, uid: `node-${o.name}` };
  if (o.labels) metadata.labels = o.labels;
  return { apiVersion: 'v1', kind: 'Node', metadata, spec, status: { allocatable, capacity: { ...allocatable } } };
}

/** A host port a test pod asks for. */
export interface PortOption {
  hostPort: number;
  hostIP?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** What makePod sets. cpu, memory, ephemeralStorage and extended are the one container's requests (none if all unset). */
export interface PodOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  cpu?: Quantity;
  memory?: Quantity;
  ephemeralStorage?: Quantity;
  extended?: Record<string, Quantity>;
  /** Host ports of the one container. */
  ports?: PortOption[];
  /** Replaces the one container that the options above describe. */
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, Quantity>;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  priority?: number;
  creationTimestamp?: string;
}

let podCounter = 0;

/** A Pod (namespace `default`, a generated name and uid unless given); see PodOptions. */
export function makePod(o: PodOptions = {}): Pod {
  const name = o.name ?? `pod-${++podCounter}`;
  const requests: Record<string, Quantity> = {};
  if (o.cpu !== undefined) requests.cpu = o.cpu;
  if (o.memory !== undefined) requests.memory = o.memory;
  if (o.ephemeralStorage !== undefined) requests['ephemeral-storage'] = o.ephemeralStorage;
  Object.assign(requests, o.extended);
  const container: Container = { name: 'c', image: 'pause' };
  if (Object.keys(requests).length > 0) container.resources = { requests };
  if (o.ports) container.ports = o.ports.map((p) => ({ containerPort: p.hostPort, ...p }));
  const spec: Pod['spec'] = { containers: o.containers ?? [container] };
  if (o.initContainers) spec.initContainers = o.initContainers;
  if (o.overhead) spec.overhead = o.overhead;
  if (o.nodeName !== undefined) spec.nodeName = o.nodeName;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.affinity) spec.affinity = o.affinity;
  if (o.tolerations) spec.tolerations = o.tolerations;
  if (o.topologySpreadConstraints) spec.topologySpreadConstraints = o.topologySpreadConstraints;
  if (o.priority !== undefined) spec.priority = o.priority;
  const metadata: Pod['metadata'] = { name, namespace: o.namespace ?? 'default', uid: o.uid ?? `uid-${name}` };
  if (o.labels) metadata.labels = o.labels;
  if (o.creationTimestamp) metadata.creationTimestamp = o.creationTimestamp;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

/** A NodeInfo for `node` holding `pods`. */
export function nodeInfo(node: Node, ...pods: Pod[]): NodeInfo {
  const ni = new NodeInfo(node);
  for (const p of pods) ni.addPod(p);
  return ni;
}

/** Runs a plugin's PreFilter (when it has one) and Filter as the framework would: a PreFilter Skip skips Filter. */
export function runFilter(plugin: FilterPlugin & Partial<PreFilterPlugin>, pod: Pod, ni: NodeInfo, state = new CycleState()): Status {
  if (plugin.preFilter) {
    const { status } = plugin.preFilter(state, pod, [ni]);
    if (status.code === Code.Skip) return SUCCESS;
    if (!status.isSuccess()) return status;
  }
  return plugin.filter(state, pod, ni);
}

/**
 * Runs a plugin's PreScore (when it has one), Score on each node and
 * NormalizeScore, as the framework would; a PreScore Skip gives every node 0.
 * Throws when a step fails.
 */
export function runScore(plugin: ScorePlugin & Partial<PreScorePlugin>, pod: Pod, nodes: NodeInfo[], state = new CycleState()): NodeScore[] {
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
  if (plugin.preScore) {
    const status = plugin.preScore(state, pod, nodes);
    if (status.code === Code.Skip) return scores;
    if (!status.isSuccess()) throw new Error(`PreScore: ${status.message()}`);
  }
  nodes.forEach((n, i) => {
    const { score, status } = plugin.score(state, pod, n);
    if (!status.isSuccess()) throw new Error(`Score: ${status.message()}`);
    scores[i]!.score = score;
  });
  const status = plugin.normalizeScore?.(state, pod, scores);
  if (status && !status.isSuccess()) throw new Error(`NormalizeScore: ${status.message()}`);
  return scores;
}

/** NodeInfos for `nodes`, each holding the `pods` whose spec.nodeName names it. */
export function nodeInfos(nodes: readonly Node[], pods: readonly Pod[] = []): NodeInfo[] {
  return nodes.map((n) => nodeInfo(n, ...pods.filter((p) => p.spec.nodeName === n.metadata.name)));
}

/**
 * A Handle whose snapshot is `nodes` and whose namespaces have `namespaceLabels`
 * (unknown: undefined), where no pod waits on Permit; the rest throws when called.
 */
export function fakeHandle(nodes: readonly NodeInfo[], namespaceLabels: Record<string, Record<string, string>> = {}): Handle {
  const lister: NodeInfoLister = {
    list: () => nodes,
    get: (name) => nodes.find((n) => n.name === name),
    havePodsWithAffinity: () => nodes.filter((n) => n.pods.some((p) => hasAffinity(p.pod))),
    havePodsWithRequiredAntiAffinity: () => nodes.filter((n) => n.pods.some((p) => hasRequiredAntiAffinity(p.pod))),
  };
  const unused = (): never => {
    throw new Error('fakeHandle: not implemented');
  };
  return {
    snapshot: () => lister,
    namespaceLabels: (ns) => namespaceLabels[ns],
    runFilterPlugins: unused,
    runFilterPluginsWithNominatedPods: unused,
    runPreFilterAddPod: unused,
    runPreFilterRemovePod: unused,
    getWaitingPod: () => undefined,
    iterateOverWaitingPods: () => {},
    rejectWaitingPod: () => false,
    api: { bind: unused, evict: unused, preempted: unused, nominate: unused },
  };
}
