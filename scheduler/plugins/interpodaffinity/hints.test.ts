import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod, PodAffinityTerm } from '../../../client/types.js';
import { QueueingHint } from '../../framework/events.js';
import { makeNode, makePod } from '../testing.js';
import { isSchedulableAfterNodeChange, isSchedulableAfterPodChange } from './hints.js';

const ZONE = 'topology.kubernetes.io/zone';
const term = (labels: Record<string, string>, topologyKey = ZONE): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey });
const namespaces = (ns: string): Record<string, string> | undefined => ({ 'kubernetes.io/metadata.name': ns });

/** A pod that wants to be near app=db, and away from app=noisy. */
const target = makePod({
  name: 'target',
  labels: { app: 'web' },
  affinity: {
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })] },
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'noisy' })] },
  },
});
const bound = (name: string, labels: Record<string, string>, more: Partial<Pod['spec']> = {}): Pod => {
  const p = makePod({ name, nodeName: 'n', labels });
  Object.assign(p.spec, more);
  return p;
};
const relabel = (p: Pod, labels: Record<string, string>): Pod => ({ ...p, metadata: { ...p.metadata, labels } });

describe('InterPodAffinity queueing hints', () => {
  describe('pods', () => {
    const cases: { name: string; old?: Pod; new?: Pod; queue: boolean }[] = [
      { name: 'a bound pod added that the pod wants near', new: bound('db', { app: 'db' }), queue: true },
      { name: 'a bound pod added that it does not', new: bound('cache', { app: 'cache' }), queue: false },
      { name: 'an unbound pod added that it wants near (it is in no domain)', new: makePod({ name: 'db', labels: { app: 'db' } }), queue: false },
      { name: 'a bound pod relabelled to match its affinity', old: bound('x', { app: 'cache' }), new: relabel(bound('x', {}), { app: 'db' }), queue: true },
      { name: 'a bound pod relabelled out of its anti-affinity', old: bound('x', { app: 'noisy' }), new: relabel(bound('x', {}), { app: 'quiet' }), queue: true },
      { name: 'a bound pod relabelled into its anti-affinity', old: bound('x', { app: 'quiet' }), new: relabel(bound('x', {}), { app: 'noisy' }), queue: false },
      { name: 'a bound pod it kept away from deleted', old: bound('x', { app: 'noisy' }), queue: true },
      { name: 'a bound pod it wanted near deleted', old: bound('x', { app: 'db' }), queue: false },
      {
        name: 'a bound pod whose own anti-affinity kept it away deleted',
        old: bound('x', { app: 'other' }, { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' })] } } }),
        queue: true,
      },
      { name: 'the pod itself relabelled', old: target, new: relabel(target, { app: 'db' }), queue: true },
    ];
    for (const c of cases) {
      it(c.name, () => assert.equal(isSchedulableAfterPodChange(namespaces, target, c.old, c.new), c.queue ? QueueingHint.Queue : QueueingHint.QueueSkip));
    }
  });

  describe('nodes', () => {
    const node = (labels: Record<string, string>): Node => makeNode({ name: 'n', labels });
    const cases: { name: string; pod?: Pod; old?: Node; new: Node; queue: boolean }[] = [
      { name: 'a node added with the zone key', new: node({ [ZONE]: 'z1' }), queue: true },
      { name: 'a node added without it', new: node({ other: 'x' }), queue: false },
      { name: 'a node moved to another zone', old: node({ [ZONE]: 'z1' }), new: node({ [ZONE]: 'z2' }), queue: true },
      { name: 'a node losing its zone', old: node({ [ZONE]: 'z1' }), new: node({}), queue: true },
      { name: 'a node relabelled, its zone the same', old: node({ [ZONE]: 'z1' }), new: node({ [ZONE]: 'z1', other: 'x' }), queue: false },
      { name: 'any node added, for a pod kept away only by others\' anti-affinity', pod: makePod({ name: 'plain' }), new: node({}), queue: true },
    ];
    for (const c of cases) {
      it(c.name, () => assert.equal(isSchedulableAfterNodeChange(c.pod ?? target, c.old, c.new), c.queue ? QueueingHint.Queue : QueueingHint.QueueSkip));
    }
  });
});
