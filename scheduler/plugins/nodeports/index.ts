/**
 * NodePorts.
 * - PreFilter: collects the host ports the pod asks for (its containers' and
 *   sidecars'); Skip when there are none.
 * - Filter: Unschedulable `node(s) didn't have free ports for the requested
 *   pod ports` when one of them is in use on the node. Ports conflict when
 *   protocol and port are the same and the IPs are the same or either is
 *   0.0.0.0 (an unset hostIP is 0.0.0.0; an unset protocol TCP).
 * - Events: a pod deleted that held (bound or nominated) a port the pod
 *   wants; a node added.
 */
import type { Pod } from '../../../client/types.js';
import type { CycleState, StateData } from '../../framework/cyclestate.js';
import { ActionType, type ClusterEventWithHint, nodeEvent, podEvent, QueueingHint } from '../../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PluginFactory, PreFilterPlugin, PreFilterResult } from '../../framework/interface.js';
import { type HostPort, hostPortsOf, type NodeInfo, portKey } from '../../framework/nodeinfo.js';
import { SKIP, type Status, SUCCESS, unschedulable } from '../../framework/status.js';

/** The plugin's name in profiles. */
export const NAME = 'NodePorts';
/** The reason, as kube-scheduler words it. */
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const ANY_IP = '0.0.0.0';

class PreFilterState implements StateData {
  constructor(readonly ports: readonly HostPort[]) {}
  clone(): StateData {
    return this;
  }
}

/** Splits a NodeInfo.usedPorts key (`protocol/ip/port`). */
function parseKey(key: string): HostPort {
  const first = key.indexOf('/');
  const last = key.lastIndexOf('/');
  return { protocol: key.slice(0, first), ip: key.slice(first + 1, last), port: Number(key.slice(last + 1)) };
}

/** Whether `want` conflicts with a port in use on the node (see the file comment). */
export function conflicts(used: ReadonlySet<string>, want: HostPort): boolean {
  if (want.port <= 0) return false;
  const protocol = want.protocol || 'TCP';
  const ip = want.ip || ANY_IP;
  for (const key of used) {
    const u = parseKey(key);
    if (u.port === want.port && u.protocol === protocol && (ip === ANY_IP || u.ip === ANY_IP || u.ip === ip)) return true;
  }
  return false;
}

/** Whether all of `ports` are free on the node. */
export function fitsPorts(ports: readonly HostPort[], nodeInfo: NodeInfo): boolean {
  return ports.every((p) => !conflicts(nodeInfo.usedPorts, p));
}

/** Queue when the deleted pod held a host port that the pod wants. */
export function isSchedulableAfterPodDeleted(pod: Pod, deleted: Pod | undefined, _newPod: Pod | undefined): QueueingHint {
  if (!deleted || (!deleted.spec.nodeName && !deleted.status?.nominatedNodeName)) return QueueingHint.QueueSkip;
  const held = new Set(hostPortsOf(deleted).map(portKey));
  if (held.size === 0) return QueueingHint.QueueSkip;
  return hostPortsOf(pod).some((p) => conflicts(held, p)) ? QueueingHint.Queue : QueueingHint.QueueSkip;
}

/** See the file comment. */
export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  preFilter(state: CycleState, pod: Pod): { result?: PreFilterResult; status: Status } {
    const ports = hostPortsOf(pod);
    if (ports.length === 0) return { status: SKIP };
    state.write(PRE_FILTER_KEY, new PreFilterState(ports));
    return { status: SUCCESS };
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const ports = state.read<PreFilterState>(PRE_FILTER_KEY)?.ports ?? hostPortsOf(pod);
    return fitsPorts(ports, nodeInfo) ? SUCCESS : unschedulable(ERR_REASON);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [podEvent(ActionType.Delete, isSchedulableAfterPodDeleted), nodeEvent(ActionType.Add)];
  }
}

/** The factory the registry holds. */
export const newNodePorts = ((_args: Record<string, unknown> | undefined, _handle: Handle) => new NodePorts()) satisfies PluginFactory;
