/**
 * NodeResourcesBalancedAllocation (Score): prefers nodes whose requested
 * fractions of the resources (cpu and memory by default) stay close to each
 * other once the pod is added: (1 - their standard deviation) × 100.
 *
 * As kube-scheduler v1.32 (useRequested), this counts the requests as
 * written, not the non-zero defaults NodeResourcesFit scores with.
 *
 * Args: `{ resources?: [{name, weight}] }` (weights are not used by the score).
 */
import type { Pod } from '../../../client/types.js';
import type { CycleState, StateData } from '../../framework/cyclestate.js';
import type { Handle, PluginFactory, PreScorePlugin, ScorePlugin } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { type Status, SUCCESS } from '../../framework/status.js';
import { balancedScorer, DEFAULT_RESOURCES, podRequestList, type ResourceSpec, scoreNode, validateResources } from './scorer.js';

/** The plugin's name in profiles. */
export const NAME = 'NodeResourcesBalancedAllocation';
const PRE_SCORE_KEY = `PreScore${NAME}`;
/** Whether the score counts requests as written (kube v1.32: true) rather than the non-zero defaults. */
const USE_REQUESTED = true;

/** The plugin's arguments. */
export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

class PreScoreState implements StateData {
  constructor(readonly podRequests: readonly number[]) {}
  clone(): StateData {
    return this;
  }
}

/** See the file comment. */
export class BalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  readonly #resources: readonly ResourceSpec[];

  constructor(args: BalancedAllocationArgs = {}) {
    this.#resources = args.resources ?? DEFAULT_RESOURCES;
    validateResources(this.#resources, NAME);
  }

  preScore(state: CycleState, pod: Pod): Status {
    state.write(PRE_SCORE_KEY, new PreScoreState(podRequestList(pod, this.#resources, USE_REQUESTED)));
    return SUCCESS;
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const reqs = state.read<PreScoreState>(PRE_SCORE_KEY)?.podRequests ?? podRequestList(pod, this.#resources, USE_REQUESTED);
    return { score: scoreNode(nodeInfo, reqs, this.#resources, balancedScorer, USE_REQUESTED), status: SUCCESS };
  }
}

/** The factory the registry holds; args as BalancedAllocationArgs. */
export const newBalancedAllocation = ((args: Record<string, unknown> | undefined, _handle: Handle) =>
  new BalancedAllocation((args ?? {}) as BalancedAllocationArgs)) satisfies PluginFactory;
