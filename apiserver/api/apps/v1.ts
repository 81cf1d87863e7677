/**
 * apps/v1 Deployment, ReplicaSet, DaemonSet and ControllerRevision as zod
 * schemas: the fields Kubernetes defines, unknown ones dropped (as its JSON
 * decoding drops them).
 * Optional scalars accept null, which the strategies treat as unset (as Go's
 * decoder leaves a null pointer field nil).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { LabelSelector, PodTemplateSpec } from '../core/pod.js';

const typeMeta = { apiVersion: z.string().optional(), kind: z.string().optional() };
const int = z.number().int();
const str = z.string();

/** intstr.IntOrString: `25%` or `1`. */
export const IntOrString = z.union([z.string(), z.number()]);
export type IntOrString = z.infer<typeof IntOrString>;

/** A ReplicaSet's or DaemonSet's status condition. */
export const WorkloadCondition = z.object({
  type: str.nullish(),
  status: str.nullish(),
  lastTransitionTime: str.nullish(),
  reason: str.nullish(),
  message: str.nullish(),
});

/** A Deployment's status condition: a WorkloadCondition with lastUpdateTime. */
export const DeploymentCondition = WorkloadCondition.extend({ lastUpdateTime: str.nullish() });

/** DeploymentSpec.strategy */
export const DeploymentStrategy = z.object({
  type: str.nullish(),
  rollingUpdate: z.object({ maxUnavailable: IntOrString.nullish(), maxSurge: IntOrString.nullish() }).nullish(),
});

/** DeploymentSpec */
export const DeploymentSpec = z.object({
  replicas: int.nullish(),
  selector: LabelSelector.nullish(),
  template: PodTemplateSpec.nullish(),
  strategy: DeploymentStrategy.nullish(),
  minReadySeconds: int.nullish(),
  revisionHistoryLimit: int.nullish(),
  paused: z.boolean().nullish(),
  progressDeadlineSeconds: int.nullish(),
});
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;

/** DeploymentStatus */
export const DeploymentStatus = z.object({
  observedGeneration: int.nullish(),
  replicas: int.nullish(),
  updatedReplicas: int.nullish(),
  readyReplicas: int.nullish(),
  availableReplicas: int.nullish(),
  unavailableReplicas: int.nullish(),
  terminatingReplicas: int.nullish(),
  conditions: z.array(DeploymentCondition).nullish(),
  collisionCount: int.nullish(),
});

/** apps/v1 Deployment */
export const Deployment = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  spec: DeploymentSpec.nullish(),
  status: DeploymentStatus.nullish(),
});

/** ReplicaSetSpec */
export const ReplicaSetSpec = z.object({
  replicas: int.nullish(),
  minReadySeconds: int.nullish(),
  selector: LabelSelector.nullish(),
  template: PodTemplateSpec.nullish(),
});
export type ReplicaSetSpec = z.infer<typeof ReplicaSetSpec>;

/** ReplicaSetStatus */
export const ReplicaSetStatus = z.object({
  replicas: int.nullish(),
  fullyLabeledReplicas: int.nullish(),
  readyReplicas: int.nullish(),
  availableReplicas: int.nullish(),
  terminatingReplicas: int.nullish(),
  observedGeneration: int.nullish(),
  conditions: z.array(WorkloadCondition).nullish(),
});

/** apps/v1 ReplicaSet */
export const ReplicaSet = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  spec: ReplicaSetSpec.nullish(),
  status: ReplicaSetStatus.nullish(),
});

/** DaemonSetSpec.updateStrategy */
export const DaemonSetUpdateStrategy = z.object({
  type: str.nullish(),
  rollingUpdate: z.object({ maxUnavailable: IntOrString.nullish(), maxSurge: IntOrString.nullish() }).nullish(),
});

/** DaemonSetSpec */
export const DaemonSetSpec = z.object({
  selector: LabelSelector.nullish(),
  template: PodTemplateSpec.nullish(),
  updateStrategy: DaemonSetUpdateStrategy.nullish(),
  minReadySeconds: int.nullish(),
  revisionHistoryLimit: int.nullish(),
});
export type DaemonSetSpec = z.infer<typeof DaemonSetSpec>;

/** DaemonSetStatus */
export const DaemonSetStatus = z.object({
  currentNumberScheduled: int.nullish(),
  numberMisscheduled: int.nullish(),
  desiredNumberScheduled: int.nullish(),
  numberReady: int.nullish(),
  observedGeneration: int.nullish(),
  updatedNumberScheduled: int.nullish(),
  numberAvailable: int.nullish(),
  numberUnavailable: int.nullish(),
  collisionCount: int.nullish(),
  conditions: z.array(WorkloadCondition).nullish(),
});

/** apps/v1 DaemonSet */
export const DaemonSet = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  spec: DaemonSetSpec.nullish(),
  status: DaemonSetStatus.nullish(),
});

/**
 * apps/v1 ControllerRevision: a snapshot of a controller's state (`data`,
 * any JSON: a runtime.RawExtension) and its revision number, which Go
 * always writes (0 when unset).
 */
export const ControllerRevision = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  // published as an object, as Kubernetes publishes a RawExtension
  data: z.unknown().optional().meta({ type: 'object' }),
  revision: int.nullish(),
});
export type ControllerRevision = z.infer<typeof ControllerRevision>;
