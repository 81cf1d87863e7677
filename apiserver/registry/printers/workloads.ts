/**
 * The columns of the workload kinds: deployments, replicasets, daemonsets
 * (apps/v1) and jobs (batch/v1). Counts are integers as Kubernetes sends
 * them, an unset count is 0; each kind's wide columns are its template's
 * containers, their images and its selector. And those of the revisions
 * a workload keeps (apps/v1 controllerrevisions).
 */
import type { z } from 'zod';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from '../../api/apps/v1.js';
import type { Job } from '../../api/batch/v1.js';
import type { KubeObject } from '../../api/meta.js';
import { AGE, NAME, age, column, humanDuration, type Column, type Printer } from '../printer.js';
import type { LabelSelectorObject } from '../selector.js';
import { conditionStatus, containerCells, formatLabelSelector, formatLabels, labelSelectorString } from './format.js';

type DeploymentObject = z.infer<typeof Deployment>;
type ReplicaSetObject = z.infer<typeof ReplicaSet>;
type DaemonSetObject = z.infer<typeof DaemonSet>;
type JobObject = z.infer<typeof Job>;

/** The three wide columns every workload kind ends with. */
const TEMPLATE_COLUMNS: readonly Column[] = [
  column('Containers', 'string', "The names of the template's containers.", 1),
  column('Images', 'string', "The images of the template's containers.", 1),
  column('Selector', 'string', 'The label selector of the pods it manages.', 1),
];

/** The schema's selector as selector.ts takes it (its fields are optional there). */
const selectorOf = (s: unknown) => s as LabelSelectorObject | null | undefined;

/** deployments: Name, Ready, Up-to-date, Available, Age; wide: Containers, Images, Selector. */
export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'Ready pods out of the desired replicas.'),
    column('Up-to-date', 'string', 'Pods that run the latest template.'),
    column('Available', 'string', 'Pods ready for at least minReadySeconds.'),
    AGE,
    ...TEMPLATE_COLUMNS,
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const d = obj as unknown as DeploymentObject;
    const status = d.status ?? {};
    // a deployment shows its selector bare: empty rather than <none>, <invalid> when it does not convert
    const selector = labelSelectorString(selectorOf(d.spec?.selector)) ?? '<invalid>';
    return [
      d.metadata.name ?? '',
      `${status.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      status.updatedReplicas ?? 0,
      status.availableReplicas ?? 0,
      age(d.metadata.creationTimestamp, now),
      ...containerCells(d.spec?.template?.spec?.containers),
      selector,
    ];
  },
};

/** replicasets: Name, Desired, Current, Ready, Age; wide: Containers, Images, Selector. */
export const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    column('Desired', 'integer', 'The number of pods asked for.'),
    column('Current', 'integer', 'The number of pods there are.'),
    column('Ready', 'integer', 'The number of ready pods.'),
    AGE,
    ...TEMPLATE_COLUMNS,
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const rs = obj as unknown as ReplicaSetObject;
    const status = rs.status ?? {};
    return [
      rs.metadata.name ?? '',
      rs.spec?.replicas ?? 0,
      status.replicas ?? 0,
      status.readyReplicas ?? 0,
      age(rs.metadata.creationTimestamp, now),
      ...containerCells(rs.spec?.template?.spec?.containers),
      formatLabelSelector(selectorOf(rs.spec?.selector)),
    ];
  },
};

/** daemonsets: Name, Desired, Current, Ready, Up-to-date, Available, Node Selector, Age; wide: Containers, Images, Selector. */
export const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    column('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    column('Current', 'integer', 'Nodes that run at least one daemon pod.'),
    column('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    column('Up-to-date', 'integer', 'Nodes that run the latest template.'),
    column('Available', 'integer', 'Nodes whose daemon pod is available.'),
    column('Node Selector', 'string', "The template's node selector."),
    AGE,
    ...TEMPLATE_COLUMNS,
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ds = obj as unknown as DaemonSetObject;
    const status = ds.status ?? {};
    return [
      ds.metadata.name ?? '',
      status.desiredNumberScheduled ?? 0,
      status.currentNumberScheduled ?? 0,
      status.numberReady ?? 0,
      status.updatedNumberScheduled ?? 0,
      status.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(ds.metadata.creationTimestamp, now),
      ...containerCells(ds.spec?.template?.spec?.containers),
      formatLabelSelector(selectorOf(ds.spec?.selector)),
    ];
  },
};

/**
 * A job's Status: Complete or Failed by their conditions, Terminating while
 * it is deleted, then Suspended, FailureTarget, else Running (v1.32 shows no
 * SuccessCriteriaMet: a job that met its success policy stays Running until
 * it is Complete).
 */
function jobStatus(job: JobObject): string {
  const conditions = job.status?.conditions;
  const holds = (type: string) => conditionStatus(conditions, type) === 'True';
  if (holds('Complete')) return 'Complete';
  if (holds('Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (holds('Suspended')) return 'Suspended';
  if (holds('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** `succeeded/completions`; without completions `succeeded/1`, or `succeeded/1 of parallelism` when it runs several pods. */
function jobCompletions(job: JobObject): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** From the start to the completion (or to now while it runs); empty before it starts. */
function jobDuration(job: JobObject, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime;
  return humanDuration((end ? Date.parse(end) : now.getTime()) - Date.parse(start));
}

/** jobs: Name, Status, Completions, Duration, Age; wide: Containers, Images, Selector. */
export const jobPrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'What state the job is in.'),
    column('Completions', 'string', 'Succeeded pods out of the completions asked for.'),
    column('Duration', 'string', 'How long the job ran, or has been running.'),
    AGE,
    ...TEMPLATE_COLUMNS,
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const job = obj as unknown as JobObject;
    return [
      job.metadata.name ?? '',
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      age(job.metadata.creationTimestamp, now),
      ...containerCells(job.spec?.template?.spec?.containers),
      formatLabelSelector(selectorOf(job.spec?.selector)),
    ];
  },
};

/**
 * The controller a revision's controller reference names, as `kind.group/name`
 * (`daemonset.apps/fluentd`; a core kind without the dot), `<none>` without
 * one. An apiVersion that is no group version fails the table, as
 * schema.ParseGroupVersion fails it in Kubernetes' printer.
 */
function revisionController(cr: ControllerRevision): string {
  const ref = cr.metadata.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const parts = ref.apiVersion.split('/');
  if (parts.length > 2) throw new Error(`unexpected GroupVersion string: ${ref.apiVersion}`);
  const group = parts.length === 2 ? parts[0]! : '';
  if (group === '' && ref.kind === '') return ref.name;
  return `${(group === '' ? ref.kind : `${ref.kind}.${group}`).toLowerCase()}/${ref.name}`;
}

/** controllerrevisions: Name, Controller, Revision, Age. */
export const controllerRevisionPrinter: Printer = {
  columns: [NAME, column('Controller', 'string', 'Controller of the object'), column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'), AGE],
  cells(obj: KubeObject, now: Date): unknown[] {
    const cr = obj as unknown as ControllerRevision;
    return [cr.metadata.name ?? '', revisionController(cr), cr.revision ?? 0, age(cr.metadata.creationTimestamp, now)];
  },
};
