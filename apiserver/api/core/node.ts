/**
 * core/v1 Node as a zod schema: its spec (pod CIDRs, taints, unschedulable)
 * and the status its kubelet reports (capacity, conditions, addresses,
 * system info, images, volumes).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { Quantity } from '../quantity.js';

const typeMeta = { apiVersion: z.string().optional(), kind: z.string().optional() };
const str = z.string().optional();
const int = z.number().int().optional();
const bool = z.boolean().optional();
const time = z.string().nullable().optional();
const list = <T extends z.ZodType>(t: T) => z.array(t).nullable().optional();
const strs = list(z.string());
const resources = z.record(z.string(), Quantity).nullable().optional();

/** Taint: a key, an optional value and the effect on pods that do not tolerate it. */
export const Taint = z.object({ key: str, value: str, effect: str, timeAdded: time });
export type Taint = z.infer<typeof Taint>;

/** NodeConfigSource (deprecated dynamic kubelet config): kept as given. */
export const NodeConfigSource = z.looseObject({
  configMap: z
    .looseObject({ namespace: str, name: str, uid: str, resourceVersion: str, kubeletConfigKey: str })
    .nullable()
    .optional(),
});

/** NodeSpec */
export const NodeSpec = z.object({
  podCIDR: str,
  podCIDRs: strs,
  providerID: str,
  unschedulable: bool,
  taints: list(Taint),
  configSource: NodeConfigSource.nullable().optional(),
  externalID: str,
});
export type NodeSpec = z.infer<typeof NodeSpec>;

/** NodeCondition: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable... */
export const NodeCondition = z.object({ type: str, status: str, lastHeartbeatTime: time, lastTransitionTime: time, reason: str, message: str });

/** NodeAddress: Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS. */
export const NodeAddress = z.object({ type: str, address: str });
export type NodeAddress = z.infer<typeof NodeAddress>;

/** NodeSystemInfo: what the kubelet reports of its machine. */
export const NodeSystemInfo = z.object({
  machineID: str,
  systemUUID: str,
  bootID: str,
  kernelVersion: str,
  osImage: str,
  containerRuntimeVersion: str,
  kubeletVersion: str,
  kubeProxyVersion: str,
  operatingSystem: str,
  architecture: str,
});

/** NodeStatus */
export const NodeStatus = z.object({
  capacity: resources,
  allocatable: resources,
  phase: str,
  conditions: list(NodeCondition),
  addresses: list(NodeAddress),
  daemonEndpoints: z.object({ kubeletEndpoint: z.object({ Port: int }).optional() }).optional(),
  nodeInfo: NodeSystemInfo.optional(),
  images: list(z.object({ names: strs, sizeBytes: int })),
  volumesInUse: strs,
  volumesAttached: list(z.object({ name: str, devicePath: str })),
  config: z
    .looseObject({
      assigned: NodeConfigSource.nullable().optional(),
      active: NodeConfigSource.nullable().optional(),
      lastKnownGood: NodeConfigSource.nullable().optional(),
      error: str,
    })
    .nullable()
    .optional(),
  runtimeHandlers: list(
    z.object({ name: str, features: z.object({ recursiveReadOnlyMounts: z.boolean().nullable().optional(), userNamespaces: z.boolean().nullable().optional() }).nullable().optional() }),
  ),
  features: z.object({ supplementalGroupsPolicy: z.boolean().nullable().optional() }).nullable().optional(),
});
export type NodeStatus = z.infer<typeof NodeStatus>;

/** v1 Node */
export const Node = z.object({ ...typeMeta, metadata: ObjectMeta, spec: NodeSpec.optional(), status: NodeStatus.optional() });
export type Node = z.infer<typeof Node>;
