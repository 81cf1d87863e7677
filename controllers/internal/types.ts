/**
 * The apps/v1 objects the workload controllers read and write, as
 * TypeScript shapes of their JSON (k8s.io/api/apps/v1, the fields the
 * controllers use). The API server fills the defaults (replicas,
 * strategy, revisionHistoryLimit, progressDeadlineSeconds), so the
 * controllers read them as set; anything else is kept as it came.
 */
import type { KubeObject, LabelSelector, ObjectMeta, Pod } from '../../client/types.js';

/** A pod template: the pod's metadata (labels, annotations, finalizers) and spec. */
export interface PodTemplateSpec {
  metadata?: Pick<ObjectMeta, 'labels' | 'annotations' | 'finalizers'> & Record<string, unknown>;
  spec?: Pod['spec'];
}

/** The condition status of the apps/v1 conditions. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** apps/v1 ReplicaSetCondition. */
export interface ReplicaSetCondition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** apps/v1 ReplicaSetStatus. */
export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** apps/v1 ReplicaSet. */
export interface ReplicaSet extends KubeObject {
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: LabelSelector | null;
    template?: PodTemplateSpec;
  };
  status?: ReplicaSetStatus;
}

/** An IntOrString: `25%` or `1`. */
export type IntOrString = number | string;

/** apps/v1 DeploymentCondition: a ReplicaSetCondition with lastUpdateTime. */
export interface DeploymentCondition extends ReplicaSetCondition {
  lastUpdateTime?: string;
}

/** apps/v1 DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

/** apps/v1 DeploymentStrategy. */
export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate' | string;
  rollingUpdate?: { maxUnavailable?: IntOrString | null; maxSurge?: IntOrString | null } | null;
}

/** apps/v1 Deployment. */
export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector?: LabelSelector | null;
    template?: PodTemplateSpec;
    strategy?: DeploymentStrategy;
    minReadySeconds?: number;
    revisionHistoryLimit?: number | null;
    paused?: boolean;
    progressDeadlineSeconds?: number | null;
  };
  status?: DeploymentStatus;
}

/** The resource of ReplicaSets, for the client and informers. */
export const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;
/** The resource of Deployments. */
export const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
/** The resource of Pods. */
export const PODS = { resource: 'pods' } as const;
