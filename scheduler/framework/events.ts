/**
 * Cluster events (kube-scheduler's ClusterEvent, ActionType and
 * QueueingHint): what changed in the cluster, in the words plugins use to
 * say which changes could make a pod they rejected schedulable.
 *
 * ```
 *  informer event ──► nodeSchedulingPropertiesChange / podSchedulingPropertiesChange
 *        │               (one ClusterEvent per kind of change: UpdateNodeLabel, UpdateNodeTaint ...)
 *        ▼
 *  queue: for each unschedulable pod, for each plugin that rejected it,
 *         a registration of that plugin matching the event, and its hint
 *         (if any) answering Queue ─► the pod moves to backoffQ / activeQ
 * ```
 *
 * A plugin registers with EnqueueExtensions.eventsToRegister (interface.ts),
 * typically through nodeEvent() and podEvent() below, which give its hint
 * the right object types.
 */
import { milliValue } from '../../client/quantity.js';
import type { Node, Pod, Quantity } from '../../client/types.js';
import { podRequests, type Resource } from './nodeinfo.js';

/**
 * The kinds of change, as bits (kube-scheduler's ActionType): a
 * registration may OR several; an incoming event has exactly one.
 */
export enum ActionType {
  Add = 1 << 0,
  Delete = 1 << 1,
  /** status.allocatable changed. */
  UpdateNodeAllocatable = 1 << 2,
  UpdateNodeLabel = 1 << 3,
  /** spec.taints changed, or spec.unschedulable became false. */
  UpdateNodeTaint = 1 << 4,
  /** The status of a condition changed (heartbeat times do not count). */
  UpdateNodeCondition = 1 << 5,
  UpdateNodeAnnotation = 1 << 6,
  UpdatePodLabel = 1 << 7,
  /** Some resource request of the pod went down (in-place resize). */
  UpdatePodScaleDown = 1 << 8,
  /** Tolerations were added (the API allows adding only). */
  UpdatePodToleration = 1 << 9,
  /** The last scheduling gate was removed. */
  UpdatePodSchedulingGatesEliminated = 1 << 10,
  /** A pod update that is none of the above (status only, say): only a plain Update registration hears it. */
  UpdatePodOther = 1 << 11,
  /** Every action. */
  All = (1 << 12) - 1,
  /** Every kind of update. */
  Update = All & ~(Add | Delete),
}

/**
 * What an event is about. A registration for `Pod` hears both
 * `AssignedPod` (bound pods) and `UnscheduledPod` events; `*` with All is
 * the wildcard.
 */
export type EventResource = 'Pod' | 'AssignedPod' | 'UnscheduledPod' | 'Node' | '*';

/** A change in the cluster, or a registration for changes. */
export interface ClusterEvent {
  readonly resource: EventResource;
  readonly actionType: ActionType;
  /** A name for logs (UnschedulableTimeout); else `<resource><action>`. */
  readonly label?: string;
}

/** A hint's answer (kube-scheduler's QueueingHint). */
export enum QueueingHint {
  /** The event cannot help the pod: it stays unschedulable. */
  QueueSkip = 0,
  /** The event may help: the pod is retried (after its backoff). */
  Queue = 1,
}

/**
 * Whether an event may make `pod`, which the registering plugin rejected,
 * schedulable. `oldObj` is undefined for an Add, `newObj` for a Delete.
 * A hint that throws counts as Queue (a pod must not be stranded by a bug).
 */
export type QueueingHintFn = (pod: Pod, oldObj: unknown, newObj: unknown) => QueueingHint;

/** A registration: the event, and optionally a hint (none: always Queue). */
export interface ClusterEventWithHint {
  readonly event: ClusterEvent;
  readonly queueingHintFn?: QueueingHintFn;
}

/** Each rejecting plugin's registrations in a profile, by plugin name (kube-scheduler's queueingHintMap). */
export type QueueingHintMap = ReadonlyMap<string, readonly ClusterEventWithHint[]>;

/** A registration for node events; `hint` gets the Nodes (old undefined on Add, new undefined on Delete). */
export function nodeEvent(actionType: ActionType, hint?: (pod: Pod, oldNode: Node | undefined, newNode: Node | undefined) => QueueingHint): ClusterEventWithHint {
  const event: ClusterEvent = { resource: 'Node', actionType };
  return hint ? { event, queueingHintFn: (pod, o, n) => hint(pod, o as Node | undefined, n as Node | undefined) } : { event };
}

/** A registration for pod events (of `resource`: any pod by default); `hint` gets the Pods. */
export function podEvent(
  actionType: ActionType,
  hint?: (pod: Pod, oldPod: Pod | undefined, newPod: Pod | undefined) => QueueingHint,
  resource: 'Pod' | 'AssignedPod' | 'UnscheduledPod' = 'Pod',
): ClusterEventWithHint {
  const event: ClusterEvent = { resource, actionType };
  return hint ? { event, queueingHintFn: (pod, o, n) => hint(pod, o as Pod | undefined, n as Pod | undefined) } : { event };
}

/** The registration of a plugin that registers nothing itself: every event (kube-scheduler's fallback). */
export const WILDCARD_REGISTRATION: ClusterEventWithHint = { event: { resource: '*', actionType: ActionType.All } };

/** Whether `e` is the wildcard: every resource, every action. */
export function isWildCard(e: ClusterEvent): boolean {
  return e.resource === '*' && e.actionType === ActionType.All;
}

/**
 * Whether a registration hears an incoming event: the wildcard hears
 * everything; otherwise the resource must match (`Pod` covers assigned and
 * unscheduled pods) and the registration must cover the event's action.
 */
export function matchClusterEvents(registered: ClusterEvent, incoming: ClusterEvent): boolean {
  if (isWildCard(registered)) return true;
  const r = registered.resource;
  const resourceOk = r === '*' || r === incoming.resource || (r === 'Pod' && (incoming.resource === 'AssignedPod' || incoming.resource === 'UnscheduledPod'));
  return resourceOk && (registered.actionType & incoming.actionType) === incoming.actionType;
}

/** A node was added. */
export const NODE_ADD: ClusterEvent = { resource: 'Node', actionType: ActionType.Add };
/** A node was deleted. */
export const NODE_DELETE: ClusterEvent = { resource: 'Node', actionType: ActionType.Delete };
/** A pod was bound (or seen bound). */
export const ASSIGNED_POD_ADD: ClusterEvent = { resource: 'AssignedPod', actionType: ActionType.Add };
/** A bound pod was deleted, or an assumed pod forgotten after its binding failed. */
export const ASSIGNED_POD_DELETE: ClusterEvent = { resource: 'AssignedPod', actionType: ActionType.Delete };
/** A pod not yet bound was deleted (announced only when it held a nomination, which other pods made room for). */
export const UNSCHEDULED_POD_DELETE: ClusterEvent = { resource: 'UnscheduledPod', actionType: ActionType.Delete };
/** The periodic flush of pods unschedulable too long: moves them whatever rejected them. */
export const UNSCHEDULABLE_TIMEOUT: ClusterEvent = { resource: '*', actionType: ActionType.All, label: 'UnschedulableTimeout' };

/** An event's name for logs: its label, or `NodeUpdateNodeLabel`, `AssignedPodDelete` ... */
export function eventLabel(e: ClusterEvent): string {
  if (e.label) return e.label;
  const action = (Object.keys(ActionType) as (keyof typeof ActionType)[]).find((k) => Number.isNaN(Number(k)) && ActionType[k] === e.actionType);
  return `${e.resource}${action ?? e.actionType}`;
}

/** Whether two JSON values are equal, object keys in any order, a missing key the same as an undefined one. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/** A map that may be unset: unset and empty are the same. */
function sameMap(a: Readonly<Record<string, unknown>> | undefined, b: Readonly<Record<string, unknown>> | undefined): boolean {
  return jsonEqual(a ?? {}, b ?? {});
}

/** Resource lists equal by value (`1` and `1000m` are the same). */
function sameQuantities(a: Readonly<Record<string, Quantity>> | undefined, b: Readonly<Record<string, Quantity>> | undefined): boolean {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  for (const k of keys) {
    const x = a?.[k];
    const y = b?.[k];
    if (x === undefined || y === undefined || milliValue(x) !== milliValue(y)) return false;
  }
  return true;
}

/** Condition type → status (the rest of a condition, heartbeats included, is no scheduling property). */
function conditionStatuses(n: Node): Record<string, string> {
  return Object.fromEntries((n.status?.conditions ?? []).map((c) => [c.type, c.status]));
}

/**
 * The events of a node update, one per kind of change, in kube-scheduler's
 * order: spec.unschedulable turned false (as UpdateNodeTaint), allocatable,
 * labels, taints, condition statuses, annotations. Empty when nothing the
 * scheduler looks at changed (a heartbeat).
 */
export function nodeSchedulingPropertiesChange(newNode: Node, oldNode: Node): ClusterEvent[] {
  const actions: ActionType[] = [];
  if (!!oldNode.spec?.unschedulable && !newNode.spec?.unschedulable) actions.push(ActionType.UpdateNodeTaint);
  if (!sameQuantities(oldNode.status?.allocatable, newNode.status?.allocatable)) actions.push(ActionType.UpdateNodeAllocatable);
  if (!sameMap(oldNode.metadata.labels, newNode.metadata.labels)) actions.push(ActionType.UpdateNodeLabel);
  if (!jsonEqual(oldNode.spec?.taints ?? [], newNode.spec?.taints ?? []) && !actions.includes(ActionType.UpdateNodeTaint)) actions.push(ActionType.UpdateNodeTaint);
  if (!sameMap(conditionStatuses(oldNode), conditionStatuses(newNode))) actions.push(ActionType.UpdateNodeCondition);
  if (!sameMap(oldNode.metadata.annotations, newNode.metadata.annotations)) actions.push(ActionType.UpdateNodeAnnotation);
  return actions.map((actionType) => ({ resource: 'Node', actionType }));
}

/** Whether some resource `before` requests is requested less (or not at all) in `after`. */
export function isScaleDown(before: Resource, after: Resource): boolean {
  if (after.milliCPU < before.milliCPU || after.memory < before.memory || after.ephemeralStorage < before.ephemeralStorage) return true;
  for (const [k, v] of before.scalar) if ((after.scalar.get(k) ?? 0) < v) return true;
  return false;
}

/**
 * The events of a pod update (on AssignedPod when the new pod is bound,
 * else UnscheduledPod): labels, scale down, scheduling gates removed,
 * tolerations added; UpdatePodOther when none of these changed.
 */
export function podSchedulingPropertiesChange(newPod: Pod, oldPod: Pod): ClusterEvent[] {
  const resource: EventResource = newPod.spec.nodeName ? 'AssignedPod' : 'UnscheduledPod';
  const actions: ActionType[] = [];
  if (!sameMap(oldPod.metadata.labels, newPod.metadata.labels)) actions.push(ActionType.UpdatePodLabel);
  if (isScaleDown(podRequests(oldPod), podRequests(newPod))) actions.push(ActionType.UpdatePodScaleDown);
  const gates = (p: Pod): number => (Array.isArray(p.spec.schedulingGates) ? p.spec.schedulingGates.length : 0);
  if (gates(oldPod) > 0 && gates(newPod) === 0) actions.push(ActionType.UpdatePodSchedulingGatesEliminated);
  if ((newPod.spec.tolerations?.length ?? 0) !== (oldPod.spec.tolerations?.length ?? 0)) actions.push(ActionType.UpdatePodToleration);
  if (actions.length === 0) actions.push(ActionType.UpdatePodOther);
  return actions.map((actionType) => ({ resource, actionType }));
}
