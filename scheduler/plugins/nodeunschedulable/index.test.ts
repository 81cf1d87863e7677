import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../../client/types.js';
import { QueueingHint } from '../../framework/events.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, runFilter } from '../testing.js';
import { ERR_REASON_UNSCHEDULABLE, isSchedulableAfterNodeChange, isSchedulableAfterPodTolerationChange, newNodeUnschedulable } from './index.js';

describe('NodeUnschedulable.filter', () => {
  const cases: { name: string; pod: Pod; node: Node; wantCode: Code; wantReasons?: string[] }[] = [
    { name: 'Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)', pod: makePod(), node: makeNode({ name: 'n', unschedulable: true }), wantCode: Code.UnschedulableAndUnresolvable, wantReasons: [ERR_REASON_UNSCHEDULABLE] },
    { name: 'Schedule pod to normal node', pod: makePod(), node: makeNode({ name: 'n', unschedulable: false }), wantCode: Code.Success },
    { name: 'Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)', pod: makePod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }), node: makeNode({ name: 'n', unschedulable: true }), wantCode: Code.Success },
    { name: 'Schedule pod tolerating everything to unschedulable node', pod: makePod({ tolerations: [{ operator: 'Exists' }] }), node: makeNode({ name: 'n', unschedulable: true }), wantCode: Code.Success },
    { name: 'a NoExecute toleration does not tolerate unschedulable', pod: makePod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }), node: makeNode({ name: 'n', unschedulable: true }), wantCode: Code.UnschedulableAndUnresolvable, wantReasons: [ERR_REASON_UNSCHEDULABLE] },
  ];
  const plugin = newNodeUnschedulable(undefined, undefined as never);
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilter(plugin, c.pod, nodeInfo(c.node));
      assert.equal(s.code, c.wantCode);
      assert.deepEqual(s.reasons, c.wantReasons ?? []);
    });
  }
});

describe('NodeUnschedulable queueing hints', () => {
  const tolerating = makePod({ name: 'p', tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  const plain = makePod({ name: 'p' });
  const cordoned = makeNode({ name: 'n', unschedulable: true });
  const open = makeNode({ name: 'n', unschedulable: false });
  const nodeCases: { name: string; pod: Pod; old?: Node; new: Node; queue: boolean }[] = [
    { name: 'a node added, not cordoned', pod: plain, new: open, queue: true },
    { name: 'a node added cordoned', pod: plain, new: cordoned, queue: false },
    { name: 'a node added cordoned, the pod tolerating it', pod: tolerating, new: cordoned, queue: true },
    { name: 'uncordoned', pod: plain, old: cordoned, new: open, queue: true },
    { name: 'cordoned', pod: plain, old: open, new: cordoned, queue: false },
    { name: 'still open (a taint changed)', pod: plain, old: open, new: makeNode({ name: 'n', taints: [{ key: 'x', effect: 'NoSchedule' }] }), queue: false },
  ];
  for (const c of nodeCases) {
    it(c.name, () => assert.equal(isSchedulableAfterNodeChange(c.pod, c.old, c.new), c.queue ? QueueingHint.Queue : QueueingHint.QueueSkip));
  }
  it('queues the pod itself when it comes to tolerate the cordon, and not for another pod', () => {
    assert.equal(isSchedulableAfterPodTolerationChange(plain, plain, tolerating), QueueingHint.Queue);
    assert.equal(isSchedulableAfterPodTolerationChange(plain, plain, { ...plain, spec: { ...plain.spec, tolerations: [{ key: 'other', operator: 'Exists' }] } }), QueueingHint.QueueSkip);
    assert.equal(isSchedulableAfterPodTolerationChange(plain, undefined, makePod({ name: 'q', uid: 'other', tolerations: tolerating.spec.tolerations! })), QueueingHint.QueueSkip);
  });
});
