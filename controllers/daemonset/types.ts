/**
 * The apps/v1 DaemonSet and ControllerRevision as the daemonset controller
 * reads and writes them (k8s.io/api/apps/v1, the fields it uses). The API
 * server fills the defaults (a RollingUpdate of maxUnavailable 1 and
 * maxSurge 0, 10 revisions kept) and the template generation annotation.
 */
import type { KubeObject, LabelSelector } from '../../client/types.js';
import type { IntOrString, PodTemplateSpec } from '../internal/types.js';

/** apps/v1 DaemonSetUpdateStrategy. */
export interface DaemonSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete' | string;
  rollingUpdate?: { maxUnavailable?: IntOrString | null; maxSurge?: IntOrString | null } | null;
}

/** apps/v1 DaemonSetStatus. */
export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

/** apps/v1 DaemonSet. */
export interface DaemonSet extends KubeObject {
  spec: {
    selector?: LabelSelector | null;
    template?: PodTemplateSpec;
    updateStrategy?: DaemonSetUpdateStrategy;
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: DaemonSetStatus;
}

/** The resource of DaemonSets, for the client and informers. */
export const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' } as const;

/**
 * apps/v1 ControllerRevision: a snapshot of a DaemonSet's template (`data`,
 * the strategic merge patch that restores it) and its revision number.
 */
export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

/** The resource of ControllerRevisions, for the client and informers. */
export const CONTROLLER_REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions' } as const;
