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
 *
 * Args (kube's NodeResourcesFitArgs): `{ ignoredResources?: string[],
 * ignoredResourceGroups?: string[], scoringStrategy?: { type, resources?:
 * [{name, weight}], requestedToCapacityRatio?: { shape: [{utilization, score}] } } }`.
 */
import type { Pod } from '../../../client/types.js';
import type { CycleState, StateData } from '../../framework/cyclestate.js';
import type { FilterPlugin, Handle, PluginFactory, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin } from '../../framework/interface.js';
import { type NodeInfo, podRequests, type Resource } from '../../framework/nodeinfo.js';
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
export function fitsRequest(
  req: Resource,
  nodeInfo: NodeInfo,
  ignoredExtended: ReadonlySet<string> = new Set(),
  ignoredGroups: ReadonlySet<string> = new Set(),
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: nodeInfo.pods.length, capacity: alloc.allowedPodNumber });
  }
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0) return out;
  const check = (resourceName: string, requested: number, inUse: number, capacity: number): void => {
    if (requested > 0 && requested > capacity - inUse) {
      out.push({ resourceName, reason: `Insufficient ${resourceName}`, requested, used: inUse, capacity });
    }
  };
  check('cpu', req.milliCPU, used.milliCPU, alloc.milliCPU);
  check('memory', req.memory, used.memory, alloc.memory);
  check('ephemeral-storage', req.ephemeralStorage, used.ephemeralStorage, alloc.ephemeralStorage);
  for (const name of [...req.scalar.keys()].sort()) {
    if (isExtendedResourceName(name) && (ignoredExtended.has(name) || ignoredGroups.has(name.split('/')[0]!))) continue;
    check(name, req.scalar.get(name) ?? 0, used.scalar.get(name) ?? 0, alloc.scalar.get(name) ?? 0);
  }
  return out;
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

/** See the file comment. */
export class Fit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
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
}

/** The factory the registry holds; args as NodeResourcesFitArgs (throws on invalid ones). */
export const newFit = ((args: Record<string, unknown> | undefined, _handle: Handle) =>
  new Fit((args ?? {}) as NodeResourcesFitArgs)) satisfies PluginFactory;
