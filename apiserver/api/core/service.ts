/**
 * core/v1 Service and Endpoints as zod schemas, and ObjectReference, the
 * pointer to an object that endpoints, events and service accounts use.
 * Fields Go requires in JSON (a port's `port`, an address's `ip`) are
 * optional here all the same: Kubernetes decodes them as empty and its
 * validation reports them.
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';

const typeMeta = { apiVersion: z.string().optional(), kind: z.string().optional() };
const str = z.string().optional();
const int = z.number().int().optional();
const bool = z.boolean().optional();
const list = <T extends z.ZodType>(t: T) => z.array(t).nullable().optional();
const strs = list(z.string());
const strMap = z.record(z.string(), z.string()).nullable().optional();

/** ObjectReference: kind, namespace, name, uid, apiVersion, resourceVersion and fieldPath of an object. */
export const ObjectReference = z.object({ kind: str, namespace: str, name: str, uid: str, apiVersion: str, resourceVersion: str, fieldPath: str });
export type ObjectReference = z.infer<typeof ObjectReference>;

/** metav1.Condition, the condition type of newer APIs (a service's status.conditions). */
export const Condition = z.object({ type: str, status: str, observedGeneration: int, lastTransitionTime: z.string().nullable().optional(), reason: str, message: str });

/** ServicePort: a port the service exposes, where it sends it (targetPort), and its node port. */
export const ServicePort = z.object({
  name: str,
  protocol: str,
  appProtocol: z.string().nullable().optional(),
  port: int,
  targetPort: z.union([z.string(), z.number().int()]).optional(),
  nodePort: int,
});
export type ServicePort = z.infer<typeof ServicePort>;

/** ServiceSpec */
export const ServiceSpec = z.object({
  ports: list(ServicePort),
  selector: strMap,
  clusterIP: str,
  clusterIPs: strs,
  type: str,
  externalIPs: strs,
  sessionAffinity: str,
  loadBalancerIP: str,
  loadBalancerSourceRanges: strs,
  externalName: str,
  externalTrafficPolicy: str,
  healthCheckNodePort: int,
  publishNotReadyAddresses: bool,
  sessionAffinityConfig: z
    .object({ clientIP: z.object({ timeoutSeconds: z.number().int().nullable().optional() }).nullable().optional() })
    .nullable()
    .optional(),
  ipFamilies: strs,
  ipFamilyPolicy: z.string().nullable().optional(),
  allocateLoadBalancerNodePorts: z.boolean().nullable().optional(),
  loadBalancerClass: z.string().nullable().optional(),
  internalTrafficPolicy: z.string().nullable().optional(),
  trafficDistribution: z.string().nullable().optional(),
});
export type ServiceSpec = z.infer<typeof ServiceSpec>;

/** A load balancer's address (status.loadBalancer.ingress[*]). */
export const LoadBalancerIngress = z.object({
  ip: str,
  hostname: str,
  ipMode: z.string().nullable().optional(),
  ports: list(z.object({ port: int, protocol: str, error: z.string().nullable().optional() })),
});

/** ServiceStatus */
export const ServiceStatus = z.object({
  loadBalancer: z.object({ ingress: list(LoadBalancerIngress) }).optional(),
  conditions: list(Condition),
});
export type ServiceStatus = z.infer<typeof ServiceStatus>;

/** v1 Service */
export const Service = z.object({ ...typeMeta, metadata: ObjectMeta, spec: ServiceSpec.optional(), status: ServiceStatus.optional() });
export type Service = z.infer<typeof Service>;

/** EndpointAddress: an endpoint's IP, and the pod (targetRef) and node behind it. */
export const EndpointAddress = z.object({ ip: str, hostname: str, nodeName: z.string().nullable().optional(), targetRef: ObjectReference.nullable().optional() });
export type EndpointAddress = z.infer<typeof EndpointAddress>;

/** EndpointPort */
export const EndpointPort = z.object({ name: str, port: int, protocol: str, appProtocol: z.string().nullable().optional() });
export type EndpointPort = z.infer<typeof EndpointPort>;

/** EndpointSubset: addresses (ready and not) that all serve the same ports. */
export const EndpointSubset = z.object({ addresses: list(EndpointAddress), notReadyAddresses: list(EndpointAddress), ports: list(EndpointPort) });
export type EndpointSubset = z.infer<typeof EndpointSubset>;

/** v1 Endpoints */
export const Endpoints = z.object({ ...typeMeta, metadata: ObjectMeta, subsets: list(EndpointSubset) });
export type Endpoints = z.infer<typeof Endpoints>;
