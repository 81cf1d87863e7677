import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../../client/types.js';
import { QueueingHint } from '../../framework/events.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, runFilter } from '../testing.js';
import { ERR_REASON, isSchedulableAfterNodeAdd, newNodeName } from './index.js';

describe('NodeName.filter', () => {
  const cases: { name: string; pod: Pod; wantCode: Code }[] = [
    { name: 'no host specified', pod: makePod(), wantCode: Code.Success },
    { name: 'host matches', pod: makePod({ nodeName: 'foo' }), wantCode: Code.Success },
    { name: 'host doesn\'t match', pod: makePod({ nodeName: 'bar' }), wantCode: Code.UnschedulableAndUnresolvable },
  ];
  const plugin = newNodeName(undefined, undefined as never);
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilter(plugin, c.pod, nodeInfo(makeNode({ name: 'foo' })));
      assert.equal(s.code, c.wantCode);
      assert.deepEqual(s.reasons, c.wantCode === Code.Success ? [] : [ERR_REASON]);
    });
  }
});

describe('NodeName queueing hints', () => {
  it('queues a pod naming a node when that node is added, not another', () => {
    const p = makePod({ nodeName: 'foo' });
    assert.equal(isSchedulableAfterNodeAdd(p, undefined, makeNode({ name: 'foo' })), QueueingHint.Queue);
    assert.equal(isSchedulableAfterNodeAdd(p, undefined, makeNode({ name: 'bar' })), QueueingHint.QueueSkip);
  });
});
