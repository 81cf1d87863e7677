/**
 * discovery.k8s.io/v1 EndpointSlice as the endpointslice controller reads
 * and writes it, and the label and annotation names it uses.
 */
import type { KubeObject } from '../../client/types.js';

/** EndpointConditions. */
export interface EndpointConditions {
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

/** Endpoint: one pod's addresses and what is known of it. */
export interface Endpoint {
  addresses?: string[] | null;
  conditions?: EndpointConditions | null;
  hostname?: string | null;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string } | null;
  nodeName?: string | null;
  zone?: string | null;
  hints?: { forZones?: { name?: string }[] | null } | null;
}

/** EndpointPort. */
export interface EndpointPort {
  name?: string | null;
  port?: number | null;
  protocol?: string | null;
  appProtocol?: string | null;
}

/** discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

/** The label naming the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The label naming the controller that manages a slice. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** This controller's value of MANAGED_BY_LABEL. */
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** The most endpoints a slice gets (kube-controller-manager's --max-endpoints-per-slice default). */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;
