/**
 * Resource-allocation scoring shared by NodeResourcesFit and
 * NodeResourcesBalancedAllocation (kube's resourceAllocationScorer and the
 * LeastAllocated, MostAllocated and RequestedToCapacityRatio strategies).
 *
 * For each configured resource, a node contributes `requested` (what its
 * pods request plus what the incoming pod requests) and `allocatable`.
 * With `useRequested` false (NodeResourcesFit), CPU and memory count the
 * "non-zero" requests (100m and 200Mi for a container that sets none); with
 * it true (BalancedAllocation), the requests as written. A resource the node
 * does not offer, or an extended resource the pod does not request, is left
 * out of the score. All arithmetic is integer, as kube-scheduler's int64.
 */
import type { Pod } from '../../../client/types.js';
import { MAX_NODE_SCORE } from '../../framework/interface.js';
import { type NodeInfo, podRequests, type Resource } from '../../framework/nodeinfo.js';

/** A resource to score on and its weight (1..100). */
export interface ResourceSpec {
  readonly name: string;
  readonly weight: number;
}

/** cpu and memory, weight 1 each: the default of both plugins. */
export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** A point of RequestedToCapacityRatio's shape: utilization 0..100 (%), score 0..10. */
export interface UtilizationShapePoint {
  readonly utilization: number;
  readonly score: number;
}

/** The highest score a shape point may have (kube's MaxCustomPriorityScore). */
export const MAX_CUSTOM_PRIORITY_SCORE = 10;
const MAX_UTILIZATION = 100;

/** Turns per-resource requested and allocatable amounts into a node score. */
export type ScorerFunction = (requested: readonly number[], allocatable: readonly number[]) => number;

function amount(r: Resource, name: string): number {
  switch (name) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    case 'pods':
      return r.allowedPodNumber;
    default:
      return r.scalar.get(name) ?? 0;
  }
}

/** What the pod requests of each resource, in `resources`' order (non-zero CPU and memory unless `useRequested`). */
export function podRequestList(pod: Pod, resources: readonly ResourceSpec[], useRequested: boolean): number[] {
  const req = podRequests(pod, !useRequested);
  return resources.map((r) => amount(req, r.name));
}

/**
 * Scores a node for a pod whose requests were worked out by podRequestList
 * (see the file comment). A resource the node does not offer, or that is
 * not scored, has allocatable 0 and requested 0 in what the scorer sees.
 */
export function scoreNode(
  nodeInfo: NodeInfo,
  podRequestsList: readonly number[],
  resources: readonly ResourceSpec[],
  scorer: ScorerFunction,
  useRequested: boolean,
): number {
  // called for every feasible node of every cycle: no allocations (the scorer reads the arrays and keeps none)
  const n = resources.length;
  const requested = scratch(REQUESTED, n);
  const allocatable = scratch(ALLOCATABLE, n);
  const counted = useRequested ? nodeInfo.requested : nodeInfo.nonZeroRequested;
  for (let i = 0; i < n; i++) {
    const name = resources[i]!.name;
    const podRequest = podRequestsList[i] ?? 0;
    let alloc = 0;
    let req = 0;
    switch (name) {
      case 'cpu':
        alloc = nodeInfo.allocatable.milliCPU;
        req = counted.milliCPU + podRequest;
        break;
      case 'memory':
        alloc = nodeInfo.allocatable.memory;
        req = counted.memory + podRequest;
        break;
      case 'ephemeral-storage':
        alloc = nodeInfo.allocatable.ephemeralStorage;
        req = nodeInfo.requested.ephemeralStorage + podRequest;
        break;
      case 'pods':
        break;
      default:
        // a scalar resource counts when the pod asks for it and the node offers it
        if (podRequest !== 0 && nodeInfo.allocatable.scalar.has(name)) {
          alloc = nodeInfo.allocatable.scalar.get(name) ?? 0;
          req = (nodeInfo.requested.scalar.get(name) ?? 0) + podRequest;
        }
    }
    if (alloc === 0) req = 0;
    allocatable[i] = alloc;
    requested[i] = req;
  }
  return scorer(requested, allocatable);
}

/** Per-resource arrays scoreNode lends its scorer, reused from call to call. */
const REQUESTED: number[][] = [];
const ALLOCATABLE: number[][] = [];

/** The reused array of length `n` in `pool`. */
function scratch(pool: number[][], n: number): number[] {
  return (pool[n] ??= new Array<number>(n).fill(0));
}

/** The weighted mean (integer division) of per-resource scores over the resources the node offers. */
function weighted(resources: readonly ResourceSpec[], resourceScore: (requested: number, capacity: number) => number): ScorerFunction {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const alloc = allocatable[i] ?? 0;
      if (alloc === 0) continue;
      const weight = resources[i]?.weight ?? 0;
      nodeScore += resourceScore(requested[i]!, alloc) * weight;
      weightSum += weight;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
}

/** LeastAllocated: (capacity - requested) / capacity × 100 per resource, 0 when over capacity. */
export function leastAllocatedScorer(resources: readonly ResourceSpec[]): ScorerFunction {
  return weighted(resources, (requested, capacity) => {
    if (capacity === 0 || requested > capacity) return 0;
    return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
  });
}

/** MostAllocated: requested / capacity × 100 per resource, requested capped at capacity. */
export function mostAllocatedScorer(resources: readonly ResourceSpec[]): ScorerFunction {
  return weighted(resources, (requested, capacity) => {
    if (capacity === 0) return 0;
    return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
  });
}

/** The piecewise-linear function through `shape` (points sorted by utilization), flat beyond its ends. */
export function brokenLinearFunction(shape: readonly UtilizationShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const cur = shape[i]!;
      if (p > cur.utilization) continue;
      if (i === 0) return cur.score;
      const prev = shape[i - 1]!;
      return prev.score + Math.trunc(((cur.score - prev.score) * (p - prev.utilization)) / (cur.utilization - prev.utilization));
    }
    return shape[shape.length - 1]?.score ?? 0;
  };
}

/**
 * RequestedToCapacityRatio: each resource's utilization (%) through the
 * shape (scores scaled from 0..10 to 0..100), averaged by weight over the
 * resources that score above 0, rounded.
 */
export function requestedToCapacityRatioScorer(resources: readonly ResourceSpec[], shape: readonly UtilizationShapePoint[]): ScorerFunction {
  const scale = MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE;
  const f = brokenLinearFunction(shape.map((p) => ({ utilization: p.utilization, score: p.score * scale })));
  const resourceScore = (requested: number, capacity: number): number =>
    capacity === 0 || requested > capacity ? f(MAX_UTILIZATION) : f(Math.trunc((requested * MAX_UTILIZATION) / capacity));
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    requested.forEach((req, i) => {
      const alloc = allocatable[i] ?? 0;
      if (alloc === 0) return;
      const weight = resources[i]?.weight ?? 0;
      const s = resourceScore(req, alloc);
      if (s > 0) {
        nodeScore += s * weight;
        weightSum += weight;
      }
    });
    return weightSum === 0 ? 0 : Math.round(nodeScore / weightSum);
  };
}

/** BalancedAllocation: (1 - the standard deviation of the requested fractions, each capped at 1) × 100, truncated. */
export const balancedScorer: ScorerFunction = (requested, allocatable) => {
  const fractions: number[] = [];
  requested.forEach((req, i) => {
    const alloc = allocatable[i] ?? 0;
    if (alloc !== 0) fractions.push(Math.min(req / alloc, 1));
  });
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
};

/** Checks a resources list as kube's validation does (names unique, weights 1..100); throws on the first fault. */
export function validateResources(resources: readonly ResourceSpec[], what: string): void {
  const seen = new Set<string>();
  for (const r of resources) {
    if (!Number.isInteger(r.weight) || r.weight < 1 || r.weight > 100) throw new Error(`${what}: resource ${r.name} weight ${r.weight} not in range [1, 100]`);
    if (seen.has(r.name)) throw new Error(`${what}: duplicate resource ${r.name}`);
    seen.add(r.name);
  }
}
