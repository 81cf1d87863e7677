/**
 * The controllers kubeling's controller manager can run, by
 * kube-controller-manager's names (1.28's, with the older ones as aliases),
 * with its default worker counts.
 */
import { daemonSetRegistration } from './daemonset/daemonset.js';
import { deploymentController } from './deployment/deployment.js';
import { endpointsRegistration } from './endpoints/endpoints.js';
import { endpointSliceController, type EndpointSliceOptions } from './endpointslice/endpointslice.js';
import { garbageCollectorRegistration } from './garbagecollector/index.js';
import { jobRegistration } from './job/job.js';
import { ttlAfterFinishedRegistration } from './job/ttl.js';
import type { Registration } from './manager.js';
import { namespaceRegistration } from './namespace/index.js';
import { nodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/index.js';
import { taintEvictionController } from './nodelifecycle/tainteviction.js';
import { podGCController, type PodGCOptions } from './podgc/index.js';
import { replicaSetController } from './replicaset/replicaset.js';
import { rootCACertPublisherRegistration } from './rootcacertpublisher/index.js';
import { serviceAccountsRegistration } from './serviceaccount/index.js';

/** Settings from kube-controller-manager's flags. */
export type ControllerOptions = NodeLifecycleOptions &
  Pick<PodGCOptions, 'terminatedPodGCThreshold'> &
  EndpointSliceOptions & {
    /** The CA bundle (PEM) the root CA publisher puts in every namespace's kube-root-ca.crt: --root-ca-file's, else the kubeconfig's. */
    readonly rootCA?: string;
  };

/** Every controller, in the order they start, set up with `o`. */
export function controllers(o: ControllerOptions = {}): ReadonlyMap<string, Registration> {
  return new Map<string, Registration>([
    ['replicaset-controller', { ...replicaSetController, aliases: ['replicaset'] }],
    ['deployment-controller', { ...deploymentController, aliases: ['deployment'] }],
    ['daemonset-controller', { ...daemonSetRegistration, aliases: ['daemonset'] }],
    ['job-controller', { ...jobRegistration, aliases: ['job'] }],
    ['ttl-after-finished-controller', { ...ttlAfterFinishedRegistration, aliases: ['ttl-after-finished'] }],
    ['endpoints-controller', { ...endpointsRegistration, aliases: ['endpoint'] }],
    ['endpointslice-controller', { ...endpointSliceController(o), aliases: ['endpointslice'] }],
    ['namespace-controller', { ...namespaceRegistration, aliases: ['namespace'] }],
    ['garbage-collector-controller', { ...garbageCollectorRegistration, aliases: ['garbagecollector'] }],
    ['node-lifecycle-controller', { ...nodeLifecycleController(o), aliases: ['nodelifecycle'] }],
    ['taint-eviction-controller', taintEvictionController],
    ['pod-garbage-collector-controller', { ...podGCController(o), aliases: ['podgc'] }],
    ['serviceaccount-controller', { ...serviceAccountsRegistration, aliases: ['serviceaccount'] }],
    ['root-ca-certificate-publisher-controller', { ...rootCACertPublisherRegistration(o.rootCA ?? ''), aliases: ['root-ca-cert-publisher'] }],
  ]);
}

/** Every controller with kube's default settings. */
export const CONTROLLERS = controllers();
