/**
 * What a plugin says (kube-scheduler's framework.Status): a code that
 * separates "does not fit" from "went wrong", the reasons a pod cannot go to
 * a node (each becomes part of the FailedScheduling message), and the plugin
 * that said it.
 */

/** Status codes, as kube-scheduler's framework.Code. */
export enum Code {
  /** The plugin ran and is content. */
  Success = 0,
  /** Something went wrong (not the pod's fault): the cycle fails and the pod is retried. */
  Error = 1,
  /** The pod does not fit the node now; preemption (PostFilter) might make it fit. */
  Unschedulable = 2,
  /** The pod does not fit the node and preemption cannot change that. */
  UnschedulableAndUnresolvable = 3,
  /** A Permit plugin wants the pod to wait. */
  Wait = 4,
  /** The plugin has nothing to do for this pod (PreFilter, PreScore): its Filter or Score is skipped. */
  Skip = 5,
  /** A PreEnqueue plugin keeps the pod out of the active queue. */
  Pending = 6,
}

/** A plugin's verdict; see the file comment. */
export class Status {
  /** The plugin that said it (set by the framework when a plugin does not). */
  plugin: string | undefined;

  constructor(
    readonly code: Code,
    /** Reasons, as kube-scheduler words them: `node(s) didn't match Pod's node affinity/selector`. */
    readonly reasons: readonly string[] = [],
    plugin?: string,
  ) {
    this.plugin = plugin;
  }

  /** Code Success only (as kube's IsSuccess: Skip and Wait are not success). */
  isSuccess(): boolean {
    return this.code === Code.Success;
  }

  /** Unschedulable or UnschedulableAndUnresolvable. */
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }

  /** The reasons as one message. */
  message(): string {
    return this.reasons.join(', ');
  }
}

/** The one Success status (plugins return it when content). */
export const SUCCESS = new Status(Code.Success);

/** An Unschedulable status with `reasons`. */
export function unschedulable(...reasons: string[]): Status {
  return new Status(Code.Unschedulable, reasons);
}

/** An UnschedulableAndUnresolvable status with `reasons`. */
export function unresolvable(...reasons: string[]): Status {
  return new Status(Code.UnschedulableAndUnresolvable, reasons);
}

/** An Error status. */
export function asError(err: unknown): Status {
  return new Status(Code.Error, [err instanceof Error ? err.message : String(err)]);
}

/** A Skip status. */
export const SKIP = new Status(Code.Skip);
