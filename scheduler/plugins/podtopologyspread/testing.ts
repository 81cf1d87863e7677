/**
 * Builders shared by this plugin's tests: zoned nodes, labelled pods, and
 * constraints over the `foo` label.
 */
import type { Node, Pod, TopologySpreadConstraint } from '../../../client/types.js';
import { makeNode, makePod, type PodOptions } from '../testing.js';
import { LABEL_HOSTNAME, LABEL_ZONE } from './common.js';

/** The plain zone label of the tests' nodes. */
export const ZONE = 'zone';
/** The plain node label of the tests' nodes. */
export const NODE = 'node';

/** A node with zone and node labels (zone omitted when undefined). */
export function zoned(name: string, zone: string | undefined, extra: Partial<Parameters<typeof makeNode>[0]> = {}): Node {
  const labels: Record<string, string> = { [NODE]: name, [LABEL_HOSTNAME]: name };
  if (zone !== undefined) Object.assign(labels, { [ZONE]: zone, [LABEL_ZONE]: zone });
  return makeNode({ name, ...extra, labels: { ...labels, ...extra.labels } });
}

/** `n` pods labelled foo on `node`. */
export function podsOn(node: string, n: number, o: PodOptions = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => makePod({ name: `p-${node}-${o.namespace ?? 'd'}-${i}`, nodeName: node, labels: { foo: '' }, ...o }));
}

/** A DoNotSchedule constraint over pods with the foo label. */
export function constraint(maxSkew: number, topologyKey: string, more: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint {
  return { maxSkew, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'foo', operator: 'Exists' }] }, ...more };
}

/** The pod being scheduled: labelled foo. */
export const incoming = (o: PodOptions): Pod => makePod({ name: 'p', labels: { foo: '' }, ...o });
