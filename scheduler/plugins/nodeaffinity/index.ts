/**
 * NodeAffinity.
 * - PreFilter: Skip when the pod has no nodeSelector and no required node
 *   affinity (and the profile adds none); otherwise keeps the required
 *   selector for Filter, and narrows the nodes to those named by
 *   `matchFields metadata.name In` when every term names some (the union over
 *   terms of each term's intersection); UnschedulableAndUnresolvable
 *   `pod affinity terms conflict` when that leaves none.
 * - Filter: UnschedulableAndUnresolvable `node(s) didn't match Pod's node
 *   affinity/selector` unless the node's labels have the nodeSelector's
 *   pairs and it matches a required term.
 * - Score: the sum of the weights of the preferred terms the node matches,
 *   normalised so the best node gets 100.
 * - Events: a node added, or its labels changed, that now matches the
 *   pod's required affinity and selector (and the profile's addedAffinity)
 *   and did not before.
 *
 * Args: `{ addedAffinity?: {requiredDuringSchedulingIgnoredDuringExecution, preferredDuringSchedulingIgnoredDuringExecution} }`,
 * node affinity the profile adds to every pod (reason:
 * `node(s) didn't match scheduler-enforced node affinity`).
 */
import type { Affinity, Node, NodeSelectorTerm, Pod } from '../../../client/types.js';
import type { CycleState, StateData } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, QueueingHint } from '../../framework/events.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import type {
  EnqueueExtensions, FilterPlugin, Handle, NodeScore, PluginFactory, PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin,
} from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/nodeinfo.js';
import { asError, SKIP, type Status, SUCCESS, unresolvable } from '../../framework/status.js';
import { defaultNormalizeScore } from '../helper/normalize.js';
import {
  isEmptyTerm, isValidRequirement, type NodeMatcher, nodeSelectorMatches, preferredTermsScore, requiredNodeAffinity, type WeightedTerm,
} from '../../../client/selectors.js';

/** The plugin's name in profiles. */
export const NAME = 'NodeAffinity';
/** Filter's reason when the pod's own selector or affinity does not match. */
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
/** Filter's reason when the profile's addedAffinity does not match. */
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
/** PreFilter's reason when the terms' node names leave no node. */
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** The plugin's arguments. */
export interface NodeAffinityArgs {
  addedAffinity?: NonNullable<Affinity['nodeAffinity']>;
}

class PreFilterState implements StateData {
  constructor(readonly required: NodeMatcher) {}
  clone(): StateData {
    return this;
  }
}

class PreScoreState implements StateData {
  constructor(readonly preferred: readonly WeightedTerm[] | undefined) {}
  clone(): StateData {
    return this;
  }
}

/** The node names a term's `metadata.name In` fields allow (their intersection); undefined when it has none. */
function termNodeNames(term: NodeSelectorTerm): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (const r of term.matchFields ?? []) {
    if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
    const s = new Set(r.values ?? []);
    names = names ? new Set([...names].filter((n) => s.has(n))) : s;
  }
  return names;
}

/** The pod's preferred terms; an Error when one Kubernetes would reject is among them. */
function preferredTerms(pod: Pod): { terms?: WeightedTerm[]; error?: string } {
  const preferred = pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!preferred) return {};
  for (const t of preferred) {
    if (t.weight === 0 || isEmptyTerm(t.preference)) continue;
    const fieldsOk = (t.preference.matchFields ?? []).every((r) => (r.operator === 'In' || r.operator === 'NotIn') && r.values?.length === 1);
    if (!fieldsOk || !(t.preference.matchExpressions ?? []).every(isValidRequirement)) {
      return { error: 'parsing pod preferred node affinity: invalid node selector requirement' };
    }
  }
  return { terms: preferred };
}

/** See the file comment. */
export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  readonly #addedRequired: readonly NodeSelectorTerm[] | undefined;
  readonly #addedPreferred: readonly WeightedTerm[] | undefined;

  constructor(args: NodeAffinityArgs = {}) {
    this.#addedRequired = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    this.#addedPreferred = args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  }

  preFilter(state: CycleState, pod: Pod): { result?: PreFilterResult; status: Status } {
    const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && !this.#addedRequired && !pod.spec.nodeSelector) return { status: SKIP };
    state.write(PRE_FILTER_KEY, new PreFilterState(requiredNodeAffinity(pod)));
    const terms = required?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return { status: SUCCESS };
    const nodeNames = new Set<string>();
    for (const t of terms) {
      const names = termNodeNames(t);
      // a term without names allows every node: the terms are ORed
      if (!names) return { status: SUCCESS };
      for (const n of names) nodeNames.add(n);
    }
    if (nodeNames.size === 0) return { status: unresolvable(ERR_REASON_CONFLICT) };
    return { result: { nodeNames }, status: SUCCESS };
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const node = nodeInfo.node;
    if (this.#addedRequired && !nodeSelectorMatches(this.#addedRequired, node)) return unresolvable(ERR_REASON_ENFORCED);
    const required = state.read<PreFilterState>(PRE_FILTER_KEY)?.required ?? requiredNodeAffinity(pod);
    return required(node) ? SUCCESS : unresolvable(ERR_REASON_POD);
  }

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return SUCCESS;
    const { terms, error } = preferredTerms(pod);
    if (error !== undefined) return asError(error);
    if (!terms && !this.#addedPreferred) return SKIP;
    state.write(PRE_SCORE_KEY, new PreScoreState(terms));
    return SUCCESS;
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const node = nodeInfo.node;
    let count = this.#addedPreferred ? preferredTermsScore(this.#addedPreferred, node) : 0;
    let terms = state.read<PreScoreState>(PRE_SCORE_KEY)?.preferred;
    if (!state.read(PRE_SCORE_KEY)) {
      const p = preferredTerms(pod);
      if (p.error !== undefined) return { score: 0, status: asError(p.error) };
      terms = p.terms;
    }
    if (terms) count += preferredTermsScore(terms, node);
    return { score: count, status: SUCCESS };
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    return SUCCESS;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [nodeEvent(ActionType.Add | ActionType.UpdateNodeLabel, (pod, o, n) => this.isSchedulableAfterNodeChange(pod, o, n))];
  }

  /** Queue when the node matches now (see the file comment) and, for an update, did not before. */
  isSchedulableAfterNodeChange(pod: Pod, oldNode: Node | undefined, newNode: Node | undefined): QueueingHint {
    const required = requiredNodeAffinity(pod);
    const matches = (n: Node): boolean => (!this.#addedRequired || nodeSelectorMatches(this.#addedRequired, n)) && required(n);
    if (!newNode || !matches(newNode)) return QueueingHint.QueueSkip;
    return !oldNode || !matches(oldNode) ? QueueingHint.Queue : QueueingHint.QueueSkip;
  }
}

/** The factory the registry holds; args as NodeAffinityArgs. */
export const newNodeAffinity = ((args: Record<string, unknown> | undefined, _handle: Handle) =>
  new NodeAffinity((args ?? {}) as NodeAffinityArgs)) satisfies PluginFactory;
