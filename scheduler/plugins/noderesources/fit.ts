/**
 * NodeResourcesFit.
 * - PreFilter: works out what the pod requests (containers, init containers,
 *   sidecars, overhead).
 * - Filter: Unschedulable with every reason that applies, in this order:
 *   `Too many pods`, `Insufficient cpu`, `Insufficient memory`,
 *   `Insufficient ephemeral-storage`, `Insufficient <name>` for extended
 *   resources (by name). A resource the pod does not request is not checked.
 * - Score: by the scoring strategy: LeastAllocated (default), MostAllocated
 *   or RequestedToCapacityRatio, over the configured resources (default cpu
 *   and memory, weight 1), counting non-zero requests (see scorer.ts).
 * - Events: a pod deleted or scaled down (Queue when it held room: bound or
 *   nominated, and for a scale down when a resource the pod requests went
 *   down), a node added or its allocatable changed (Queue when the pod
 *   would fit the node empty and, for an update, a resource it requests, or
 *   the pod count, went up).
 *
 * Args (kube's NodeResourcesFitArgs): `{ ignoredResources?: string[],
 * ignoredResourceGroups?: string[], scoringStrategy?: { type, resources?:
 * [{name, weight}], requestedToCapacityRatio?: { shape: [{utilization, score}] } } }`.
 */
import type { Node, Pod } from '../../../client/types.js';
import type { CycleState, StateData } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, podEvent, QueueingHint } from '../../framework/events.js';
import type {
  EnqueueExtensions, FilterPlugin, Handle, PluginFactory, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin,
} from '../../framework/interface.js';
import { NodeInfo, podRequests, type Resource, resourceOf } from '../../framework/nodeinfo.js';
import { type Status, SUCCESS, unschedulable } from '../../framework/status.js';
import {
  DEFAULT_RESOURCES, leastAllocatedScorer, mostAllocatedScorer, podRequestList, requestedToCapacityRatioScorer, type ResourceSpec,
  type ScorerFunction, scoreNode, type UtilizationShapePoint, validateResources,
} from './scorer.js';

/** The plugin's name in profiles. */
export const NAME = 'NodeResourcesFit';
const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** The scoring strategies. */
export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

/** The plugin's arguments; see the file comment. */
export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: ScoringStrategyType;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
  };
}

/** One reason a pod does not fit a node. */
export interface InsufficientResource {
  readonly resourceName: string;
  readonly reason: string;
  readonly requested: number;
  readonly used: number;
  readonly capacity: number;
}

class RequestState implements StateData {
  constructor(readonly request: Resource) {}
  clone(): StateData {
    return this;
  }
}

class PreScoreState implements StateData {
  constructor(readonly podRequests: readonly number[]) {}
  clone(): StateData {
    return this;
  }
}

/** Whether a resource name is an extended resource (`example.com/gpu`: has a domain, not a kubernetes.io one). */
export function isExtendedResourceName(name: string): boolean {
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');
}

/**
 * What keeps a pod that requests `req` off the node (kube's fitsRequest), in
 * the order of the file comment; empty when it fits.
 */
export function fitsRequest(req: Resource, nodeInfo: NodeInfo, ignoredExtended: ReadonlySet<string> = NONE, ignoredGroups: ReadonlySet<string> = NONE): InsufficientResource[] {
  // called for every node of every cycle: no closures or copies on the way to "fits"
  let out: InsufficientResource[] | undefined;
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    (out ??= []).push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: nodeInfo.pods.length, capacity: alloc.allowedPodNumber });
  }
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0) return out ?? NO_SHORTAGE;
  if (insufficient(req.milliCPU, used.milliCPU, alloc.milliCPU)) (out ??= []).push(shortage('cpu', req.milliCPU, used.milliCPU, alloc.milliCPU));
  if (insufficient(req.memory, used.memory, alloc.memory)) (out ??= []).push(shortage('memory', req.memory, used.memory, alloc.memory));
  if (insufficient(req.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage)) {
    (out ??= []).push(shortage('ephemeral-storage', req.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage));
  }
  if (req.scalar.size > 0) {
    for (const name of [...req.scalar.keys()].sort()) {
      if (isExtendedResourceName(name) && (ignoredExtended.has(name) || ignoredGroups.has(name.split('/')[0]!))) continue;
      const [r, u, c] = [req.scalar.get(name) ?? 0, used.scalar.get(name) ?? 0, alloc.scalar.get(name) ?? 0];
      if (insufficient(r, u, c)) (out ??= []).push(shortage(name, r, u, c));
    }
  }
  return out ?? NO_SHORTAGE;
}

const NONE: ReadonlySet<string> = new Set();
/** fitsRequest's answer when the pod fits (shared: callers only read it). */
const NO_SHORTAGE: InsufficientResource[] = [];

function insufficient(requested: number, inUse: number, capacity: number): boolean {
  return requested > 0 && requested > capacity - inUse;
}

function shortage(resourceName: string, requested: number, used: number, capacity: number): InsufficientResource {
  return { resourceName, reason: `Insufficient ${resourceName}`, requested, used, capacity };
}

/** The scorer a strategy names; throws on arguments kube's validation rejects. */
function scorerFor(args: NodeResourcesFitArgs): { resources: readonly ResourceSpec[]; scorer: ScorerFunction } {
  const strategy = args.scoringStrategy ?? {};
  const resources = strategy.resources ?? DEFAULT_RESOURCES;
  validateResources(resources, NAME);
  const type = strategy.type ?? 'LeastAllocated';
  switch (type) {
    case 'LeastAllocated':
      return { resources, scorer: leastAllocatedScorer(resources) };
    case 'MostAllocated':
      return { resources, scorer: mostAllocatedScorer(resources) };
    case 'RequestedToCapacityRatio': {
      const shape = strategy.requestedToCapacityRatio?.shape ?? [];
      if (shape.length === 0) throw new Error(`${NAME}: requestedToCapacityRatio.shape: at least one point is required`);
      shape.forEach((p, i) => {
        if (p.utilization < 0 || p.utilization > 100) throw new Error(`${NAME}: shape[${i}].utilization not in range [0, 100]`);
        if (i > 0 && p.utilization <= shape[i - 1]!.utilization) throw new Error(`${NAME}: shape[${i}].utilization values must be sorted in increasing order`);
        if (p.score < 0 || p.score > 10) throw new Error(`${NAME}: shape[${i}].score not in range [0, 10]`);
      });
      return { resources, scorer: requestedToCapacityRatioScorer(resources, shape) };
    }
    default:
      throw new Error(`${NAME}: unknown scoring strategy type ${String(type)}`);
  }
}

/** Whether `after` has more than `before` of some resource `req` asks for (a positive amount of). */
function anyRequestedIncreased(req: Resource, before: Resource, after: Resource): boolean {
  if (req.milliCPU > 0 && after.milliCPU > before.milliCPU) return true;
  if (req.memory > 0 && after.memory > before.memory) return true;
  if (req.ephemeralStorage > 0 && after.ephemeralStorage > before.ephemeralStorage) return true;
  for (const [name, v] of req.scalar) if (v > 0 && (after.scalar.get(name) ?? 0) > (before.scalar.get(name) ?? 0)) return true;
  return false;
}

/** See the file comment. */
export class Fit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  readonly #ignoredResources: ReadonlySet<string>;
  readonly #ignoredGroups: ReadonlySet<string>;
  readonly #resources: readonly ResourceSpec[];
  readonly #scorer: ScorerFunction;

  constructor(args: NodeResourcesFitArgs = {}) {
    this.#ignoredResources = new Set(args.ignoredResources ?? []);
    this.#ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
    ({ resources: this.#resources, scorer: this.#scorer } = scorerFor(args));
  }

  preFilter(state: CycleState, pod: Pod): { result?: PreFilterResult; status: Status } {
    state.write(PRE_FILTER_KEY, new RequestState(podRequests(pod)));
    return { status: SUCCESS };
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const req = state.read<RequestState>(PRE_FILTER_KEY)?.request ?? podRequests(pod);
    const insufficient = fitsRequest(req, nodeInfo, this.#ignoredResources, this.#ignoredGroups);
    return insufficient.length === 0 ? SUCCESS : unschedulable(...insufficient.map((r) => r.reason));
  }

  preScore(state: CycleState, pod: Pod): Status {
    state.write(PRE_SCORE_KEY, new PreScoreState(podRequestList(pod, this.#resources, false)));
    return SUCCESS;
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const reqs = state.read<PreScoreState>(PRE_SCORE_KEY)?.podRequests ?? podRequestList(pod, this.#resources, false);
    return { score: scoreNode(nodeInfo, reqs, this.#resources, this.#scorer, false), status: SUCCESS };
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      podEvent(ActionType.Delete | ActionType.UpdatePodScaleDown, (pod, o, n) => this.isSchedulableAfterPodEvent(pod, o, n)),
      nodeEvent(ActionType.Add | ActionType.UpdateNodeAllocatable, (pod, o, n) => this.isSchedulableAfterNodeChange(pod, o, n)),
    ];
  }

  /** The hint for a pod deleted (`newPod` undefined) or scaled down; see the file comment. */
  isSchedulableAfterPodEvent(pod: Pod, oldPod: Pod | undefined, newPod: Pod | undefined): QueueingHint {
    if (!oldPod) return QueueingHint.Queue;
    if (!newPod) return oldPod.spec.nodeName || oldPod.status?.nominatedNodeName ? QueueingHint.Queue : QueueingHint.QueueSkip;
    if (newPod.metadata.uid === pod.metadata.uid) return QueueingHint.Queue; // the pod itself asks for less
    if (!newPod.spec.nodeName) return QueueingHint.QueueSkip; // an unbound pod holds no room
    // room freed: the old requests exceed the new ones in something the pod asks for
    return anyRequestedIncreased(podRequests(pod), podRequests(newPod), podRequests(oldPod)) ? QueueingHint.Queue : QueueingHint.QueueSkip;
  }

  /** The hint for a node added or whose allocatable changed; see the file comment. */
  isSchedulableAfterNodeChange(pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
    if (!newNode) return QueueingHint.QueueSkip;
    const req = podRequests(pod);
    if (fitsRequest(req, new NodeInfo(newNode), this.#ignoredResources, this.#ignoredGroups).length > 0) return QueueingHint.QueueSkip;
    if (!oldNode) return QueueingHint.Queue;
    const before = resourceOf(oldNode.status?.allocatable);
    const after = resourceOf(newNode.status?.allocatable);
    if (after.allowedPodNumber > before.allowedPodNumber) return QueueingHint.Queue;
    return anyRequestedIncreased(req, before, after) ? QueueingHint.Queue : QueueingHint.QueueSkip;
  }
}

/** The factory the registry holds; args as NodeResourcesFitArgs (throws on invalid ones). */
export const newFit = ((args: Record<string, unknown> | undefined, _handle: Handle) =>
  new Fit((args ?? {}) as NodeResourcesFitArgs)) satisfies PluginFactory;
