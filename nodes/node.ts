/**
 * A simulated node's API objects, as pure functions: the Node a kubelet
 * registers (labels, taints, pod CIDR, capacity, addresses, system info,
 * conditions), the status it reports on each sync, and its Lease in
 * kube-node-lease.
 */
import { createHash } from 'node:crypto';
import { microTime, rfc3339 } from '../client/clock.js';
import type { Lease, Node, NodeCondition, Taint, TaintEffect } from '../client/types.js';

/** The version the simulated kubelets report (the API server's is v1.32.0-kubeling). */
export const KUBELET_VERSION = 'v1.32.0-kubeling';
/** The container runtime they report. */
export const RUNTIME_VERSION = 'kubeling://0.1.0';
/** Where node Leases live. */
export const LEASE_NAMESPACE = 'kube-node-lease';
/** The annotation that stops a node's heartbeats while it is `stopped`. */
export const HEARTBEAT = 'kubeling.dev/heartbeat';

/** What one simulated node is. */
export interface NodeSpec {
  readonly name: string;
  /** Capacity: cpu, memory, pods, ephemeral-storage (quantities as the API writes them). */
  readonly capacity: Readonly<Record<string, string>>;
  readonly zone?: string;
  readonly taints: readonly Taint[];
  readonly podCIDR: string;
  /** InternalIP, and the kubelet endpoint's address. */
  readonly ip: string;
  /** The kubelet endpoint's port (container logs). */
  readonly port: number;
  /** A boot ID: a kubelet's changes when its machine restarts (here: when its process starts). */
  readonly bootID: string;
}

/** The Node's default labels (kubelet's, and the zone and instance type a cloud provider would add). */
export function nodeLabels(n: NodeSpec): Record<string, string> {
  const cpu = n.capacity.cpu ?? '';
  const memory = n.capacity.memory ?? '';
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': `kubeling.${cpu}cpu-${memory}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63),
    ...(n.zone ? { 'topology.kubernetes.io/zone': n.zone } : {}),
  };
}

/** A UUID-shaped id drawn from a string. */
function uuidOf(s: string): string {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The conditions a healthy kubelet reports (its reasons and messages), with `now` as the heartbeat. */
export function nodeConditions(now: number, current: readonly NodeCondition[] = []): NodeCondition[] {
  const want: [string, 'True' | 'False', string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ];
  const ts = rfc3339(now);
  return want.map(([type, status, reason, message]) => {
    const had = current.find((c) => c.type === type);
    const since = had && had.status === status && had.lastTransitionTime ? had.lastTransitionTime : ts;
    return { type, status, lastHeartbeatTime: ts, lastTransitionTime: since, reason, message };
  });
}

/** Whether `current` already says what `nodeConditions` would (heartbeat times aside). */
export function conditionsCurrent(current: readonly NodeCondition[] | undefined): boolean {
  return nodeConditions(0, current).every((w) => {
    const c = current?.find((x) => x.type === w.type);
    return c !== undefined && c.status === w.status && c.reason === w.reason && c.message === w.message;
  });
}

/** The Node's status at `now` (keeping the transition times of unchanged conditions in `current`). */
export function nodeStatus(n: NodeSpec, now: number, current: readonly NodeCondition[] = []): NonNullable<Node['status']> {
  return {
    capacity: { ...n.capacity, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
    allocatable: { ...n.capacity, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
    conditions: nodeConditions(now, current),
    addresses: [
      { type: 'InternalIP', address: n.ip },
      { type: 'Hostname', address: n.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: n.port } },
    nodeInfo: {
      machineID: createHash('sha256').update(`machine/${n.name}`).digest('hex').slice(0, 32),
      systemUUID: uuidOf(`system/${n.name}`),
      bootID: n.bootID,
      kernelVersion: '6.1.0-kubeling',
      osImage: 'Kubeling simulated node',
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** The Node a kubelet registers. */
export function nodeObject(n: NodeSpec, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: nodeLabels(n), annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR], ...(n.taints.length ? { taints: n.taints.map((t) => ({ ...t })) } : {}) },
    status: nodeStatus(n, now),
  };
}

/** The node's Lease, renewed at `now`, owned by its Node. */
export function leaseObject(name: string, nodeUid: string, durationSeconds: number, now: number, current?: Lease): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    ...current,
    metadata: {
      ...current?.metadata,
      name,
      namespace: LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }],
    },
    spec: { ...current?.spec, holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
}

const EFFECTS: readonly TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** A taint as kubelet's --register-with-taints writes one: `key=value:Effect` or `key:Effect`. */
export function parseTaint(s: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:([^:]+)$/.exec(s);
  if (!m) throw new Error(`--taint ${JSON.stringify(s)}: expected key=value:Effect or key:Effect`);
  const effect = m[3] as TaintEffect;
  if (!EFFECTS.includes(effect)) throw new Error(`--taint ${JSON.stringify(s)}: the effect must be one of ${EFFECTS.join(', ')}`);
  return { key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect };
}
