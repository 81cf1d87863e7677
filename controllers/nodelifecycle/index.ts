/**
 * The node lifecycle controller (kube-controller-manager's
 * node-lifecycle-controller): it watches Nodes and their heartbeat Leases in
 * kube-node-lease, and when a node stops reporting it tells the rest of the
 * cluster.
 *
 * Every monitor period (5 s) each node's health is checked:
 * - A node has reported when its Ready condition's lastHeartbeatTime or its
 *   Lease's renewTime changed since the last look; the time of that look
 *   (this process's clock, never the node's) is its probe time.
 * - A node that has not reported for the grace period (50 s, kube 1.32's
 *   --node-monitor-grace-period) gets its Ready, MemoryPressure,
 *   DiskPressure and PIDPressure conditions set to Unknown (reason
 *   NodeStatusUnknown, `Kubelet stopped posting node status.`), an event
 *   NodeNotReady, and its pods' Ready conditions set to False, so Endpoints
 *   drop them.
 * - Taints follow the Ready condition, as Kubernetes' taint-based
 *   evictions: Ready False gives node.kubernetes.io/not-ready, Unknown
 *   node.kubernetes.io/unreachable, each with a NoSchedule taint (at once)
 *   and a NoExecute one (then the taint eviction controller evicts pods that
 *   do not tolerate it). spec.unschedulable gives
 *   node.kubernetes.io/unschedulable:NoSchedule. Ready True removes them.
 * - NoExecute taints are added at most `evictionRate` nodes a second per
 *   zone (topology.kubernetes.io/zone; a token bucket of one), as
 *   --node-eviction-rate; when every zone has no Ready node at all (the
 *   control plane may be what is cut off), no NoExecute taint is added and
 *   those present are removed, as kube's "full disruption" rule.
 */
import { rfc3339 } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { NODE_NAME_INDEX, byNodeName, stripManagedFields, type Informer } from '../../client/informer.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import type { Lease, Node, NodeCondition, Pod, PodCondition, Taint } from '../../client/types.js';
import type { Controller, ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** The conditions a silent node's kubelet can no longer vouch for. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
/** How many times a taint write is tried against a newer node (kube's UpdateTaintBackoff: 5 steps). */
const TAINT_UPDATE_TRIES = 5;

/** The controller's settings (kube-controller-manager's flags of the same meaning). */
export interface NodeLifecycleOptions {
  /** --node-monitor-period (default 5 s). */
  readonly monitorPeriodMs?: number;
  /** --node-monitor-grace-period (default 50 s). */
  readonly gracePeriodMs?: number;
  /** --node-eviction-rate: nodes a second per zone given a NoExecute taint (default 0.1). */
  readonly evictionRate?: number;
}

/** What was last seen of a node's reports. */
interface Health {
  probeMs: number;
  readyHeartbeat: string | undefined;
  leaseRenew: string | undefined;
}

/** See the file comment. */
export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  readonly #ctx: ControllerContext;
  readonly #nodes: Informer<Node>;
  readonly #leases: Informer<Lease>;
  readonly #pods: Informer<Pod>;
  readonly #events: EventRecorder;
  readonly #periodMs: number;
  readonly #graceMs: number;
  readonly #intervalMs: number;
  readonly #health = new Map<string, Health>();
  /** Per zone, when the next NoExecute taint may be added (the rate limiter). */
  readonly #nextTaintMs = new Map<string, number>();
  #timer: unknown;
  #stopped = false;
  #done: (() => void) | undefined;

  constructor(ctx: ControllerContext, o: NodeLifecycleOptions = {}) {
    this.#ctx = ctx;
    this.#periodMs = o.monitorPeriodMs ?? 5000;
    this.#graceMs = o.gracePeriodMs ?? 50_000;
    this.#intervalMs = 1000 / (o.evictionRate ?? 0.1);
    const transform = stripManagedFields;
    this.#nodes = ctx.informers.informer<Node>({ resource: { resource: 'nodes' }, transform });
    this.#leases = ctx.informers.informer<Lease>({ resource: { group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' }, transform });
    this.#pods = ctx.informers.informer<Pod>({ resource: { resource: 'pods' }, transform });
    this.#pods.addIndexer(NODE_NAME_INDEX, byNodeName);
    this.#events = new EventRecorder(ctx.client, { component: 'node-controller', log: ctx.log });
  }

  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#done = resolve;
      const tick = (): void => {
        if (this.#stopped) return;
        this.monitor()
          .catch((e: unknown) => this.#ctx.log(`${this.name}: ${(e as Error).message}`))
          .finally(() => {
            if (!this.#stopped) this.#timer = this.#ctx.clock.setTimeout(tick, this.#periodMs);
          });
      };
      tick();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#ctx.clock.clearTimeout(this.#timer);
    this.#done?.();
  }

  /** One pass over every node: health, conditions, taints (see the file comment). */
  async monitor(): Promise<void> {
    const now = this.#ctx.clock.now();
    const nodes = this.#nodes.list();
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const name of this.#health.keys()) if (!names.has(name)) this.#health.delete(name);
    for (const node of nodes) {
      if (this.#stopped) return;
      try {
        const current = await this.#checkHealth(node, now);
        await this.#setNoScheduleTaints(current);
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e; // a newer node, or none: the next pass sees it
      }
    }
    const fullDisruption = allZonesDown(this.#nodes.list());
    for (const node of this.#nodes.list()) {
      try {
        await this.#setNoExecuteTaints(node, fullDisruption, now);
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
      }
    }
  }

  /** Updates the node's probe time; marks it Unknown when it has been silent too long. Answers the node as it now is. */
  async #checkHealth(node: Node, now: number): Promise<Node> {
    const name = node.metadata.name!;
    const ready = condition(node, 'Ready');
    const lease = this.#leases.get(`kube-node-lease/${name}`);
    const seen = { readyHeartbeat: ready?.lastHeartbeatTime, leaseRenew: lease?.spec?.renewTime };
    const h = this.#health.get(name);
    if (!h || h.readyHeartbeat !== seen.readyHeartbeat || h.leaseRenew !== seen.leaseRenew) {
      this.#health.set(name, { probeMs: now, ...seen });
      return node;
    }
    if (now - h.probeMs <= this.#graceMs || ready?.status === 'Unknown') return node;
    const at = rfc3339(now);
    const conditions = [...(node.status?.conditions ?? [])];
    for (const type of KUBELET_CONDITIONS) {
      const i = conditions.findIndex((c) => c.type === type);
      const c = conditions[i];
      if (c && c.status === 'Unknown') continue;
      const unknown: NodeCondition = c
        ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: at }
        : { type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: at, lastTransitionTime: at };
      if (c) conditions[i] = unknown;
      else conditions.push(unknown);
    }
    const updated = await this.#ctx.client.update<Node>({ resource: 'nodes', name, subresource: 'status' }, { ...node, status: { ...node.status, conditions } });
    this.#ctx.log(`${this.name}: node ${name} has not reported for ${Math.round((now - h.probeMs) / 1000)} s: Ready Unknown`);
    this.#events.eventf({ ...node, kind: 'Node', apiVersion: 'v1' }, 'Normal', 'NodeNotReady', 'Node %s status is now: NodeNotReady', name);
    await this.#markPodsNotReady(name, at);
    return updated;
  }

  /** Sets Ready False on the pods of a node that stopped reporting (kube's MarkPodsNotReady). */
  async #markPodsNotReady(nodeName: string, at: string): Promise<void> {
    for (const pod of this.#pods.byIndex(NODE_NAME_INDEX, nodeName)) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const cond: PodCondition = { ...ready, status: 'False', lastTransitionTime: at };
      try {
        await this.#ctx.client.patch({ resource: 'pods', namespace: pod.metadata.namespace, name: pod.metadata.name!, subresource: 'status' }, 'strategic', { status: { conditions: [cond] } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  /** The NoSchedule taints the node's conditions and spec.unschedulable call for (kube's TaintNodesByCondition), written at once. */
  async #setNoScheduleTaints(node: Node): Promise<void> {
    const ready = condition(node, 'Ready')?.status;
    const want = new Set<string>();
    if (ready === 'False') want.add(TAINT_NOT_READY);
    if (ready === 'Unknown') want.add(TAINT_UNREACHABLE);
    if (node.spec?.unschedulable) want.add(TAINT_UNSCHEDULABLE);
    await this.#reconcileTaints(node, 'NoSchedule', [TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE], want);
  }

  /** The NoExecute taint for a node not Ready, added within the zone's rate; removed when it is Ready or in full disruption. */
  async #setNoExecuteTaints(node: Node, fullDisruption: boolean, now: number): Promise<void> {
    const ready = condition(node, 'Ready')?.status;
    const want = new Set<string>();
    if (!fullDisruption && ready === 'False') want.add(TAINT_NOT_READY);
    if (!fullDisruption && ready === 'Unknown') want.add(TAINT_UNREACHABLE);
    const has = (node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute' && want.has(t.key));
    if (want.size > 0 && !has) {
      const zone = node.metadata.labels?.[ZONE_LABEL] ?? '';
      if ((this.#nextTaintMs.get(zone) ?? 0) > now) return; // the zone's rate: a later pass
      this.#nextTaintMs.set(zone, now + this.#intervalMs);
    }
    await this.#reconcileTaints(node, 'NoExecute', [TAINT_NOT_READY, TAINT_UNREACHABLE], want, rfc3339(now));
  }

  /**
   * Makes the node's taints of `effect` among `managed` exactly `want` (others
   * kept), guarded by its resourceVersion. On a conflict (the informer's copy
   * was behind: this pass's own NoSchedule write, say) it reads the node
   * again and retries, as kube's AddOrUpdateTaintOnNode does.
   */
  async #reconcileTaints(node: Node, effect: Taint['effect'], managed: readonly string[], want: ReadonlySet<string>, timeAdded?: string): Promise<void> {
    const mine = (t: Taint): boolean => t.effect === effect && managed.includes(t.key);
    for (let attempt = 1; ; attempt++) {
      const taints = node.spec?.taints ?? [];
      const have = new Set(taints.filter(mine).map((t) => t.key));
      if (have.size === want.size && [...want].every((k) => have.has(k))) return;
      const kept = taints.filter((t) => !mine(t) || want.has(t.key));
      const added = [...want].filter((k) => !have.has(k)).map((key): Taint => ({ key, effect, ...(timeAdded ? { timeAdded } : {}) }));
      const next = [...kept, ...added];
      try {
        await this.#ctx.client.patch({ resource: 'nodes', name: node.metadata.name! }, 'merge', {
          metadata: { resourceVersion: node.metadata.resourceVersion },
          spec: { taints: next.length ? next : null },
        });
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= TAINT_UPDATE_TRIES) throw e;
      }
      node = await this.#ctx.client.get<Node>({ resource: 'nodes', name: node.metadata.name! });
    }
  }
}

function condition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** Whether every zone with nodes has no Ready node (kube's full disruption everywhere); false without nodes. */
export function allZonesDown(nodes: readonly Node[]): boolean {
  const zonesUp = new Map<string, boolean>();
  for (const n of nodes) {
    const zone = n.metadata.labels?.[ZONE_LABEL] ?? '';
    zonesUp.set(zone, (zonesUp.get(zone) ?? false) || condition(n, 'Ready')?.status === 'True');
  }
  return zonesUp.size > 0 && [...zonesUp.values()].every((up) => !up);
}

/** The registration, with kube-controller-manager's flags' values. */
export function nodeLifecycleController(o: NodeLifecycleOptions = {}): Registration {
  return { factory: (ctx) => new NodeLifecycleController(ctx, o), workers: 1 };
}
