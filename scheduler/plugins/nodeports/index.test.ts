import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../../client/types.js';
import { CycleState } from '../../framework/cyclestate.js';
import { QueueingHint } from '../../framework/events.js';
import { Code } from '../../framework/status.js';
import { makeNode, makePod, nodeInfo, type PortOption, runFilter } from '../testing.js';
import { ERR_REASON, isSchedulableAfterPodDeleted, newNodePorts } from './index.js';

const port = (protocol: 'TCP' | 'UDP', hostIP: string, hostPort: number): PortOption => ({ protocol, hostIP, hostPort });
const podWith = (...ports: PortOption[]): Pod => makePod({ ports });

describe('NodePorts.filter', () => {
  const cases: { name: string; pod: Pod; existing: Pod[]; wantCode: Code }[] = [
    { name: 'nothing running', pod: makePod(), existing: [], wantCode: Code.Success },
    { name: 'other port', pod: podWith(port('UDP', '127.0.0.1', 8080)), existing: [podWith(port('UDP', '127.0.0.1', 9090))], wantCode: Code.Success },
    { name: 'same udp port', pod: podWith(port('UDP', '127.0.0.1', 8080)), existing: [podWith(port('UDP', '127.0.0.1', 8080))], wantCode: Code.Unschedulable },
    { name: 'same tcp port', pod: podWith(port('TCP', '127.0.0.1', 8080)), existing: [podWith(port('TCP', '127.0.0.1', 8080))], wantCode: Code.Unschedulable },
    { name: 'different host ip', pod: podWith(port('TCP', '127.0.0.1', 8080)), existing: [podWith(port('TCP', '127.0.0.2', 8080))], wantCode: Code.Success },
    { name: 'different protocol', pod: podWith(port('UDP', '127.0.0.1', 8080)), existing: [podWith(port('TCP', '127.0.0.1', 8080))], wantCode: Code.Success },
    { name: 'second udp port conflict', pod: podWith(port('UDP', '127.0.0.1', 8000), port('UDP', '127.0.0.1', 8080)), existing: [podWith(port('UDP', '127.0.0.1', 8080))], wantCode: Code.Unschedulable },
    { name: 'first tcp port conflict', pod: podWith(port('TCP', '127.0.0.1', 8001), port('UDP', '127.0.0.1', 8080)), existing: [podWith(port('TCP', '127.0.0.1', 8001), port('UDP', '127.0.0.1', 8081))], wantCode: Code.Unschedulable },
    { name: 'first tcp port conflict due to 0.0.0.0 hostIP', pod: podWith(port('TCP', '0.0.0.0', 8001)), existing: [podWith(port('TCP', '127.0.0.1', 8001))], wantCode: Code.Unschedulable },
    { name: 'TCP hostPort conflict due to 0.0.0.0 hostIP', pod: podWith(port('TCP', '10.0.10.10', 8001), port('TCP', '0.0.0.0', 8001)), existing: [podWith(port('TCP', '127.0.0.1', 8001))], wantCode: Code.Unschedulable },
    { name: 'second tcp port conflict to 0.0.0.0 hostIP', pod: podWith(port('TCP', '127.0.0.1', 8001)), existing: [podWith(port('TCP', '0.0.0.0', 8001))], wantCode: Code.Unschedulable },
    { name: 'second different protocol', pod: podWith(port('UDP', '127.0.0.1', 8001)), existing: [podWith(port('TCP', '0.0.0.0', 8001))], wantCode: Code.Success },
    { name: 'UDP hostPort conflict due to 0.0.0.0 hostIP', pod: podWith(port('UDP', '127.0.0.1', 8001)), existing: [podWith(port('TCP', '0.0.0.0', 8001), port('UDP', '0.0.0.0', 8001))], wantCode: Code.Unschedulable },
    { name: 'unset hostIP means 0.0.0.0 and unset protocol TCP', pod: makePod({ ports: [{ hostPort: 8001 }] }), existing: [podWith(port('TCP', '10.0.0.1', 8001))], wantCode: Code.Unschedulable },
    {
      name: 'a sidecar\'s host port is in use; a plain init container\'s is not',
      pod: podWith(port('TCP', '0.0.0.0', 8001), port('TCP', '0.0.0.0', 8002)),
      existing: [
        makePod({
          initContainers: [
            { name: 'init', restartPolicy: 'Never', ports: [{ containerPort: 1, hostPort: 8001 }] },
            { name: 'sidecar', restartPolicy: 'Always', ports: [{ containerPort: 1, hostPort: 8003 }] },
          ],
        }),
      ],
      wantCode: Code.Success,
    },
    {
      name: 'conflict with a sidecar\'s host port',
      pod: podWith(port('TCP', '0.0.0.0', 8003)),
      existing: [makePod({ initContainers: [{ name: 'sidecar', restartPolicy: 'Always', ports: [{ containerPort: 1, hostPort: 8003 }] }] })],
      wantCode: Code.Unschedulable,
    },
  ];
  const plugin = newNodePorts(undefined, undefined as never);
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilter(plugin, c.pod, nodeInfo(makeNode({ name: 'n' }), ...c.existing));
      assert.equal(s.code, c.wantCode);
      assert.deepEqual(s.reasons, c.wantCode === Code.Success ? [] : [ERR_REASON]);
    });
  }

  it('PreFilter skips a pod without host ports', () => {
    assert.equal(plugin.preFilter(new CycleState(), makePod({ ports: [{ hostPort: 0 }] })).status.code, Code.Skip);
  });
});

describe('NodePorts queueing hints', () => {
  const target = podWith(port('TCP', '', 8080));
  const bound = (...ports: PortOption[]): Pod => makePod({ nodeName: 'n', ports });
  const cases: { name: string; deleted: Pod; queue: boolean }[] = [
    { name: 'a bound pod holding the port deleted', deleted: bound(port('TCP', '', 8080)), queue: true },
    { name: 'a bound pod holding the port on one IP deleted (the pod wants it on all)', deleted: bound(port('TCP', '10.0.0.1', 8080)), queue: true },
    { name: 'a bound pod holding another port deleted', deleted: bound(port('TCP', '', 9090)), queue: false },
    { name: 'a bound pod holding the port over UDP deleted', deleted: bound(port('UDP', '', 8080)), queue: false },
    { name: 'a bound pod without host ports deleted', deleted: bound(), queue: false },
    { name: 'an unbound pod with the port deleted', deleted: podWith(port('TCP', '', 8080)), queue: false },
    { name: 'a nominated pod with the port deleted', deleted: { ...podWith(port('TCP', '', 8080)), status: { nominatedNodeName: 'n' } }, queue: true },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(isSchedulableAfterPodDeleted(target, c.deleted, undefined), c.queue ? QueueingHint.Queue : QueueingHint.QueueSkip));
  }
});
