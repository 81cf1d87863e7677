import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../../client/types.js';
import { QueueingHint } from '../../framework/events.js';
import { makePod } from '../testing.js';
import { SYSTEM_DEFAULT_CONSTRAINTS } from './common.js';
import { isSchedulableAfterNodeChange, isSchedulableAfterPodChange } from './hints.js';
import { constraint, ZONE, zoned } from './testing.js';

/** A pod spreading pods with the foo label over zones. */
const target = makePod({ name: 'target', labels: { foo: '' }, topologySpreadConstraints: [constraint(1, ZONE)] });
const want = (q: boolean): QueueingHint => (q ? QueueingHint.Queue : QueueingHint.QueueSkip);
const relabel = (p: Pod, labels: Record<string, string>): Pod => ({ ...p, metadata: { ...p.metadata, labels } });

describe('PodTopologySpread queueing hints', () => {
  describe('pods', () => {
    const foo = makePod({ name: 'x', nodeName: 'n', labels: { foo: '' } });
    const bar = makePod({ name: 'x', nodeName: 'n', labels: { bar: '' } });
    const cases: { name: string; pod?: Pod; old?: Pod; new?: Pod; queue: boolean }[] = [
      { name: 'a bound pod the constraint counts added', new: foo, queue: true },
      { name: 'a bound pod it does not count added', new: bar, queue: false },
      { name: 'a bound pod it counts deleted', old: foo, queue: true },
      { name: 'a bound pod of another namespace deleted', old: makePod({ name: 'x', namespace: 'other', nodeName: 'n', labels: { foo: '' } }), queue: false },
      { name: 'an unbound pod added', new: makePod({ name: 'x', labels: { foo: '' } }), queue: false },
      { name: 'a bound pod relabelled so that it counts', old: bar, new: relabel(bar, { foo: '' }), queue: true },
      { name: 'a bound pod relabelled, counted as before', old: foo, new: relabel(foo, { foo: '', more: '' }), queue: false },
      { name: 'the pod itself relabelled', old: target, new: relabel(target, {}), queue: true },
      {
        name: 'the pod given a toleration, taints honoured',
        pod: makePod({ name: 't', topologySpreadConstraints: [constraint(1, ZONE, { nodeTaintsPolicy: 'Honor' })] }),
        old: makePod({ name: 't' }),
        new: makePod({ name: 't', tolerations: [{ operator: 'Exists' }] }),
        queue: true,
      },
      { name: 'the pod given a toleration, taints ignored', old: target, new: { ...target, spec: { ...target.spec, tolerations: [{ operator: 'Exists' }] } }, queue: false },
      { name: 'a pod without DoNotSchedule constraints', pod: makePod({ name: 'free' }), new: foo, queue: false },
    ];
    for (const c of cases) it(c.name, () => assert.equal(isSchedulableAfterPodChange(SYSTEM_DEFAULT_CONSTRAINTS, c.pod ?? target, c.old, c.new), want(c.queue)));
  });

  describe('nodes', () => {
    const cases: { name: string; old?: Node; new?: Node; queue: boolean }[] = [
      { name: 'a node added with the zone key', new: zoned('n', 'z1'), queue: true },
      { name: 'a node added without it', new: zoned('n', undefined), queue: false },
      { name: 'a zoned node deleted', old: zoned('n', 'z1'), queue: true },
      { name: 'an unzoned node deleted', old: zoned('n', undefined), queue: false },
      { name: 'a node given a zone', old: zoned('n', undefined), new: zoned('n', 'z1'), queue: true },
      { name: 'a node moved to another zone', old: zoned('n', 'z1'), new: zoned('n', 'z2'), queue: true },
      { name: 'a zoned node retainted', old: zoned('n', 'z1'), new: zoned('n', 'z1', { taints: [{ key: 'x', effect: 'NoSchedule' }] }), queue: true },
      { name: 'a zoned node relabelled elsewhere', old: zoned('n', 'z1'), new: zoned('n', 'z1', { labels: { other: 'x' } }), queue: false },
      { name: 'an unzoned node retainted', old: zoned('n', undefined), new: zoned('n', undefined, { taints: [{ key: 'x', effect: 'NoSchedule' }] }), queue: false },
    ];
    for (const c of cases) it(c.name, () => assert.equal(isSchedulableAfterNodeChange(SYSTEM_DEFAULT_CONSTRAINTS, target, c.old, c.new), want(c.queue)));
  });
});
