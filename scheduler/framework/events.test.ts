import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from '../../client/types.js';
import { makeNode, makePod } from '../plugins/testing.js';
import {
  ActionType, type ClusterEvent, eventLabel, matchClusterEvents, nodeSchedulingPropertiesChange, podSchedulingPropertiesChange, UNSCHEDULABLE_TIMEOUT, WILDCARD_REGISTRATION,
} from './events.js';

const labels = (events: ClusterEvent[]): string[] => events.map(eventLabel);

describe('cluster events', () => {
  it('tells the kinds of a node update apart, one event each, heartbeats none', () => {
    const base = (): Node => {
      const n = makeNode({ name: 'n', cpu: '2', labels: { a: '1' }, taints: [{ key: 't', effect: 'NoSchedule' }], unschedulable: true });
      n.status!.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: 't0' }];
      return n;
    };
    const cases: { name: string; change: (n: Node) => void; want: string[] }[] = [
      { name: 'nothing', change: () => {}, want: [] },
      { name: 'a heartbeat', change: (n) => (n.status!.conditions![0]!.lastHeartbeatTime = 't1'), want: [] },
      { name: 'a condition status', change: (n) => (n.status!.conditions![0]!.status = 'False'), want: ['NodeUpdateNodeCondition'] },
      { name: 'allocatable', change: (n) => (n.status!.allocatable!.cpu = '3'), want: ['NodeUpdateNodeAllocatable'] },
      { name: 'the same allocatable written another way', change: (n) => (n.status!.allocatable!.cpu = '2000m'), want: [] },
      { name: 'a label', change: (n) => (n.metadata.labels = { a: '2' }), want: ['NodeUpdateNodeLabel'] },
      { name: 'taints', change: (n) => (n.spec!.taints = []), want: ['NodeUpdateNodeTaint'] },
      { name: 'uncordoned (counted as a taint change)', change: (n) => (n.spec!.unschedulable = false), want: ['NodeUpdateNodeTaint'] },
      { name: 'uncordoned and untainted: one taint event', change: (n) => Object.assign(n.spec!, { unschedulable: false, taints: [] }), want: ['NodeUpdateNodeTaint'] },
      { name: 'an annotation', change: (n) => (n.metadata.annotations = { x: 'y' }), want: ['NodeUpdateNodeAnnotation'] },
      { name: 'labels and allocatable', change: (n) => Object.assign(n, { metadata: { ...n.metadata, labels: {} } }, { status: { ...n.status, allocatable: { cpu: '1' } } }), want: ['NodeUpdateNodeAllocatable', 'NodeUpdateNodeLabel'] },
    ];
    for (const c of cases) {
      const after = base();
      c.change(after);
      assert.deepEqual(labels(nodeSchedulingPropertiesChange(after, base())), c.want, c.name);
    }
    const cordoned = base();
    const open = base();
    open.spec!.unschedulable = false;
    assert.deepEqual(nodeSchedulingPropertiesChange(cordoned, open), [], 'cordoning helps no pod');
  });

  it('tells the kinds of a pod update apart, on assigned and unscheduled pods', () => {
    const p = makePod({ name: 'p', cpu: '2', labels: { a: '1' } });
    const cases: { name: string; after: Pod; want: string[] }[] = [
      { name: 'status only', after: { ...p, status: { phase: 'Pending' } }, want: ['UnscheduledPodUpdatePodOther'] },
      { name: 'labels', after: { ...p, metadata: { ...p.metadata, labels: { a: '2' } } }, want: ['UnscheduledPodUpdatePodLabel'] },
      { name: 'a toleration', after: { ...p, spec: { ...p.spec, tolerations: [{ operator: 'Exists' }] } }, want: ['UnscheduledPodUpdatePodToleration'] },
      { name: 'scaled down', after: makePod({ name: 'p', cpu: '1', labels: { a: '1' } }), want: ['UnscheduledPodUpdatePodScaleDown'] },
      { name: 'scaled up', after: makePod({ name: 'p', cpu: '3', labels: { a: '1' } }), want: ['UnscheduledPodUpdatePodOther'] },
      { name: 'gates removed', after: { ...p, spec: { ...p.spec } }, want: ['UnscheduledPodUpdatePodSchedulingGatesEliminated'] },
      { name: 'bound and relabelled', after: { ...p, metadata: { ...p.metadata, labels: {} }, spec: { ...p.spec, nodeName: 'n' } }, want: ['AssignedPodUpdatePodLabel'] },
    ];
    const gated: Pod = { ...p, spec: { ...p.spec, schedulingGates: [{ name: 'g' }] } };
    for (const c of cases) assert.deepEqual(labels(podSchedulingPropertiesChange(c.after, c.name === 'gates removed' ? gated : p)), c.want, c.name);
  });

  it('matches a registration to the events it covers', () => {
    const reg = (resource: ClusterEvent['resource'], actionType: ActionType): ClusterEvent => ({ resource, actionType });
    const cases: { registered: ClusterEvent; incoming: ClusterEvent; match: boolean }[] = [
      { registered: reg('Node', ActionType.Add | ActionType.UpdateNodeLabel), incoming: reg('Node', ActionType.UpdateNodeLabel), match: true },
      { registered: reg('Node', ActionType.Add | ActionType.UpdateNodeLabel), incoming: reg('Node', ActionType.UpdateNodeTaint), match: false },
      { registered: reg('Node', ActionType.Update), incoming: reg('Node', ActionType.UpdateNodeCondition), match: true },
      { registered: reg('Node', ActionType.All), incoming: reg('AssignedPod', ActionType.Add), match: false },
      { registered: reg('Pod', ActionType.Delete), incoming: reg('AssignedPod', ActionType.Delete), match: true },
      { registered: reg('Pod', ActionType.Delete), incoming: reg('UnscheduledPod', ActionType.Delete), match: true },
      { registered: reg('AssignedPod', ActionType.Delete), incoming: reg('UnscheduledPod', ActionType.Delete), match: false },
      { registered: reg('Pod', ActionType.UpdatePodLabel), incoming: reg('AssignedPod', ActionType.UpdatePodOther), match: false },
      { registered: reg('Pod', ActionType.Update), incoming: reg('AssignedPod', ActionType.UpdatePodOther), match: true },
      { registered: WILDCARD_REGISTRATION.event, incoming: reg('Node', ActionType.UpdateNodeAnnotation), match: true },
      { registered: reg('Node', ActionType.All), incoming: UNSCHEDULABLE_TIMEOUT, match: false },
    ];
    for (const c of cases) assert.equal(matchClusterEvents(c.registered, c.incoming), c.match, `${eventLabel(c.registered)} hears ${eventLabel(c.incoming)}`);
  });
});
