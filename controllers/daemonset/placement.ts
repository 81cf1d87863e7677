/**
 * Where a DaemonSet's pods go and what they look like (Kubernetes'
 * daemon_controller.go NodeShouldRunDaemonPod and daemon/util), pure:
 *
 * - A node should run the daemon pod when the pod the DaemonSet would put
 *   there fits it: the template's nodeName (if any) is the node, its
 *   nodeSelector and required node affinity match the node, and it
 *   tolerates the node's NoSchedule and NoExecute taints. A pod already
 *   there may keep running on a node it no longer fits only by taints, as
 *   long as it tolerates the NoExecute ones.
 * - Daemon pods tolerate, besides what their template says, the taints the
 *   node lifecycle puts on troubled or cordoned nodes: not-ready and
 *   unreachable (NoExecute), disk-pressure, memory-pressure, pid-pressure
 *   and unschedulable (NoSchedule), and network-unavailable with host
 *   networking.
 * - They are placed by the scheduler: the template's required node
 *   affinity is replaced by a single term, matchFields metadata.name In
 *   [node] (the DaemonSet controller has already checked the rest).
 * - They carry the labels controller-revision-hash (the template's hash)
 *   and pod-template-generation (the DaemonSet's template generation).
 */
import { requiredNodeAffinity } from '../../client/selectors.js';
import { findMatchingUntoleratedTaint, hasEffect, isDoNotScheduleTaint } from '../../client/taints.js';
import type { Affinity, Node, Pod, Toleration } from '../../client/types.js';
import type { IntOrString, PodTemplateSpec } from '../internal/types.js';
import type { DaemonSet } from './types.js';

/** The label with the hash of the template a daemon pod was made from. */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label with the DaemonSet template generation a daemon pod was made from. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The DaemonSet annotation the API server keeps its template generation in. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** The tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations), in kube's order. */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const NETWORK_UNAVAILABLE: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

/** Whether two tolerations are the same (Toleration.MatchToleration: key, operator, value, effect). */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/** The tolerations with the daemon ones added (or, when the same one is there, replaced). */
export function withDaemonTolerations(tolerations: readonly Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const t of hostNetwork ? [...DAEMON_TOLERATIONS, NETWORK_UNAVAILABLE] : DAEMON_TOLERATIONS) {
    const i = out.findIndex((o) => sameToleration(o, t));
    if (i >= 0) out[i] = { ...t };
    else out.push({ ...t });
  }
  return out;
}

/** The affinity with its required node affinity replaced by metadata.name In [node] (ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function affinityForNode(affinity: Affinity | undefined, node: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [node] }] }] };
  return { ...(affinity ?? {}), nodeAffinity: { ...(affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** The node a daemon pod is for: its nodeName, else the node its required affinity names (GetTargetNodeName). */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/** The DaemonSet's template generation (its annotation), if it has a valid one. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** The template daemon pods are made from (CreatePodTemplate): the daemon tolerations and the generation and hash labels. */
export function daemonPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t = structuredClone(ds.spec.template ?? {});
  const spec = (t.spec ??= { containers: [] });
  spec.tolerations = withDaemonTolerations(spec.tolerations, spec.hostNetwork === true);
  const meta = (t.metadata ??= {});
  const labels = { ...(meta.labels ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  meta.labels = labels;
  return t;
}

/** Whether the pod was made from the DaemonSet's current template: its hash, or its generation (IsPodUpdated). */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[REVISION_HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation));
}

/** Whether the DaemonSet should run a pod on the node, and whether a pod there may keep running (NodeShouldRunDaemonPod). */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const templateSpec = ds.spec.template?.spec;
  const name = node.metadata.name ?? '';
  if (templateSpec?.nodeName && templateSpec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod: Pod = {
    metadata: { ...(ds.spec.template?.metadata ?? {}), namespace: ds.metadata.namespace },
    spec: { ...(templateSpec ?? { containers: [] }), nodeName: name, tolerations: withDaemonTolerations(templateSpec?.tolerations, templateSpec?.hostNetwork === true) },
  };
  if (!requiredNodeAffinity(pod)(node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  if (findMatchingUntoleratedTaint(taints, pod.spec.tolerations, isDoNotScheduleTaint)) {
    return { shouldRun: false, shouldContinueRunning: !findMatchingUntoleratedTaint(taints, pod.spec.tolerations, hasEffect('NoExecute')) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** An IntOrString scaled against `total` (GetScaledValueFromIntOrPercent, rounding up); a bad percentage is an error. */
export function scaledValue(v: IntOrString | null | undefined, total: number, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  }
  return Math.ceil((Number(m[1]) * total) / 100);
}
