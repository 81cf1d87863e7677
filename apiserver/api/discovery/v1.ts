/**
 * discovery.k8s.io/v1 EndpointSlice as a zod schema: a service's endpoints
 * in slices of at most 1000, each endpoint with its addresses, conditions,
 * node, zone, hints and the object behind it (targetRef), and the ports
 * every endpoint of the slice serves. Unknown fields are dropped; optional
 * fields accept null (as Go's decoder leaves a pointer nil).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { ObjectReference } from '../core/service.js';

const str = z.string().nullish();
const bool = z.boolean().nullish();

/** EndpointConditions: ready, serving and terminating, each unset when unknown. */
export const EndpointConditions = z.object({ ready: bool, serving: bool, terminating: bool });
export type EndpointConditions = z.infer<typeof EndpointConditions>;

/** EndpointHints: the zones an endpoint should serve (topology aware routing). */
export const EndpointHints = z.object({ forZones: z.array(z.object({ name: z.string().optional() })).nullish() });
export type EndpointHints = z.infer<typeof EndpointHints>;

/** Endpoint: one backend (a pod) of the slice. */
export const Endpoint = z.object({
  addresses: z.array(z.string()).nullish(),
  conditions: EndpointConditions.nullish(),
  hostname: str,
  targetRef: ObjectReference.nullish(),
  /** Written only through discovery.k8s.io/v1beta1; a v1 write drops it (see the strategy). */
  deprecatedTopology: z.record(z.string(), z.string()).nullish(),
  nodeName: str,
  zone: str,
  hints: EndpointHints.nullish(),
});
export type Endpoint = z.infer<typeof Endpoint>;

/** EndpointPort: a port every endpoint of the slice serves. */
export const EndpointPort = z.object({ name: str, protocol: str, port: z.number().int().nullish(), appProtocol: str });
export type EndpointPort = z.infer<typeof EndpointPort>;

/** discovery.k8s.io/v1 EndpointSlice */
export const EndpointSlice = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMeta,
  addressType: z.string().optional(),
  endpoints: z.array(Endpoint).nullish(),
  ports: z.array(EndpointPort).nullish(),
});
export type EndpointSlice = z.infer<typeof EndpointSlice>;
