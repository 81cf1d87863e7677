/**
 * The batch/v1 Job as the job and ttl-after-finished controllers read and
 * write it (k8s.io/api/batch/v1, the fields they use), and the names
 * Kubernetes gives its labels, annotations, finalizer, conditions and
 * reasons. The API server fills the defaults (completions and parallelism,
 * backoffLimit 6, NonIndexed, the generated selector and template labels),
 * so the controllers read them as set.
 */
import type { KubeObject, LabelSelector } from '../../client/types.js';
import type { PodTemplateSpec } from '../internal/types.js';

/** batch/v1 JobCondition. */
export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

/** batch/v1 JobStatus. */
export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

/** batch/v1 Job. */
export interface Job extends KubeObject {
  spec: {
    parallelism?: number;
    completions?: number | null;
    activeDeadlineSeconds?: number | null;
    backoffLimit?: number;
    backoffLimitPerIndex?: number | null;
    selector?: LabelSelector | null;
    manualSelector?: boolean;
    template: PodTemplateSpec;
    ttlSecondsAfterFinished?: number | null;
    completionMode?: 'NonIndexed' | 'Indexed' | string;
    suspend?: boolean;
    podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed' | string;
    podFailurePolicy?: unknown;
    successPolicy?: unknown;
    managedBy?: string | null;
  };
  status?: JobStatus;
}

/** The resource of Jobs, for the client and informers. */
export const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;

/** The finalizer that keeps a Job's pod until the controller has counted it. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** The annotation (and label) holding an Indexed Job pod's completion index. */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The environment variable an Indexed Job's containers read their index from. */
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** spec.managedBy of Jobs this controller syncs (unset means the same). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/** The Job condition types. */
export const COND = {
  complete: 'Complete',
  failed: 'Failed',
  suspended: 'Suspended',
  failureTarget: 'FailureTarget',
  successCriteriaMet: 'SuccessCriteriaMet',
} as const;

/** The reasons and messages of the conditions the controller sets, as Kubernetes words them. */
export const REASON = {
  backoffLimitExceeded: ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  deadlineExceeded: ['DeadlineExceeded', 'Job was active longer than specified deadline'],
  completionsReached: ['CompletionsReached', 'Reached expected number of succeeded pods'],
  suspended: ['JobSuspended', 'Job suspended'],
  resumed: ['JobResumed', 'Job resumed'],
} as const;

/** Whether the Job has a Complete or Failed condition that is True (util.IsJobFinished). */
export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === COND.complete || c.type === COND.failed) && c.status === 'True');
}

/** The Complete or Failed condition that finished the Job, if any. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c) => (c.type === COND.complete || c.type === COND.failed) && c.status === 'True');
}
