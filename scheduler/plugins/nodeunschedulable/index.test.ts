import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../../client/types.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, runFilter } from '../testing.js';
import { ERR_REASON_UNSCHEDULABLE, newNodeUnschedulable } from './index.js';

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
