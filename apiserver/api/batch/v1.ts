/**
 * batch/v1 Job as a zod schema: the fields Kubernetes defines, unknown ones
 * dropped (as its JSON decoding drops them). The pod failure and success
 * policies are kept loose: their known fields are checked, others kept as
 * given. Optional scalars accept null, which the strategy treats as unset.
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { LabelSelector, PodTemplateSpec } from '../core/pod.js';

const typeMeta = { apiVersion: z.string().optional(), kind: z.string().optional() };
const int = z.number().int();
const str = z.string();

/** JobSpec.podFailurePolicy: rules matched against a failed pod's exit codes or conditions. */
export const PodFailurePolicy = z.looseObject({
  rules: z
    .array(
      z.looseObject({
        action: str.nullish(),
        onExitCodes: z.looseObject({ containerName: str.nullish(), operator: str.nullish(), values: z.array(int).nullish() }).nullish(),
        onPodConditions: z.array(z.looseObject({ type: str.nullish(), status: str.nullish() })).nullish(),
      }),
    )
    .nullish(),
});

/** JobSpec.successPolicy (Indexed jobs). */
export const SuccessPolicy = z.looseObject({
  rules: z.array(z.looseObject({ succeededIndexes: str.nullish(), succeededCount: int.nullish() })).nullish(),
});

/** JobSpec */
export const JobSpec = z.object({
  parallelism: int.nullish(),
  completions: int.nullish(),
  activeDeadlineSeconds: int.nullish(),
  podFailurePolicy: PodFailurePolicy.nullish(),
  successPolicy: SuccessPolicy.nullish(),
  backoffLimit: int.nullish(),
  backoffLimitPerIndex: int.nullish(),
  maxFailedIndexes: int.nullish(),
  selector: LabelSelector.nullish(),
  manualSelector: z.boolean().nullish(),
  template: PodTemplateSpec.nullish(),
  ttlSecondsAfterFinished: int.nullish(),
  completionMode: str.nullish(),
  suspend: z.boolean().nullish(),
  podReplacementPolicy: str.nullish(),
  managedBy: str.nullish(),
});
export type JobSpec = z.infer<typeof JobSpec>;

/** JobStatus.conditions[*] */
export const JobCondition = z.object({
  type: str.nullish(),
  status: str.nullish(),
  lastProbeTime: str.nullish(),
  lastTransitionTime: str.nullish(),
  reason: str.nullish(),
  message: str.nullish(),
});

/** JobStatus */
export const JobStatus = z.object({
  conditions: z.array(JobCondition).nullish(),
  startTime: str.nullish(),
  completionTime: str.nullish(),
  active: int.nullish(),
  succeeded: int.nullish(),
  failed: int.nullish(),
  terminating: int.nullish(),
  completedIndexes: str.nullish(),
  failedIndexes: str.nullish(),
  uncountedTerminatedPods: z.object({ succeeded: z.array(str).nullish(), failed: z.array(str).nullish() }).nullish(),
  ready: int.nullish(),
});

/** batch/v1 Job */
export const Job = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  spec: JobSpec.nullish(),
  status: JobStatus.nullish(),
});
