/**
 * Test support for the controllers' tests through a real API server, where
 * no kubelet runs: Nodes made by hand, and a fake kubelet that plays the
 * part of the real ones for the pods bound to its nodes.
 *
 * The fake kubelet watches pods (an informer) and, one write at a time:
 * - a pod bound to one of its nodes, not yet running and not finished, is
 *   made Running with a pod IP and (unless `ready` says no) Ready;
 * - a pod bound to one of its nodes and marked for deletion is deleted
 *   with a grace period of 0, as a kubelet does once its containers stop.
 * Pods it has not been told about (other nodes, unbound pods) are left alone.
 */
import { isNotFound } from '../../../client/errors.js';
import { Informer } from '../../../client/informer.js';
import type { RestClient } from '../../../client/rest.js';
import type { Node, Pod, Taint } from '../../../client/types.js';

/** What a hand-made Node has beyond its name. */
export interface NodeOptions {
  readonly labels?: Record<string, string>;
  readonly taints?: Taint[];
  readonly unschedulable?: boolean;
}

/** Creates a Ready node with room for 110 pods, as a kubelet registers one. */
export async function createNode(client: RestClient, name: string, o: NodeOptions = {}): Promise<Node> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = { cpu: '4', memory: '8Gi', pods: '110' };
  return client.create<Node>(
    { resource: 'nodes' },
    {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.labels ?? {}) } },
      spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: '192.168.0.1' }, { type: 'Hostname', address: name }],
      },
    },
  );
}

/** The status of a running pod: phase Running, an IP, its conditions (Ready as `ready` says) and, given the pod, its containers' statuses. */
export function runningStatus(ip: string, ready: boolean, pod?: Pod): Record<string, unknown> {
  const nowIso = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const c = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: nowIso });
  const containerStatuses = (pod?.spec.containers ?? []).map((k) => ({ name: k.name, image: k.image ?? '', imageID: '', ready, started: true, restartCount: 0, state: { running: { startedAt: nowIso } } }));
  return {
    ...(containerStatuses.length > 0 ? { containerStatuses } : {}),
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '192.168.0.1',
    startTime: nowIso,
    conditions: [c('PodReadyToStartContainers', true), c('Initialized', true), c('Ready', ready), c('ContainersReady', ready), c('PodScheduled', true)],
  };
}

/** Sets a running pod's Ready and ContainersReady conditions (a readiness probe passing or failing). */
export async function setPodReady(client: RestClient, namespace: string, name: string, ready: boolean): Promise<void> {
  const pod = await client.get<Pod>({ resource: 'pods', namespace, name });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = ready ? 'True' : 'False';
  const conditions = (pod.status?.conditions ?? []).map((c) =>
    (c.type === 'Ready' || c.type === 'ContainersReady') && c.status !== status ? { ...c, status, lastTransitionTime: now } : c,
  );
  const containerStatuses = ((pod.status?.containerStatuses ?? []) as Record<string, unknown>[]).map((s) => ({ ...s, ready }));
  await client.patch({ resource: 'pods', namespace, name, subresource: 'status' }, 'merge', { status: { conditions, ...(containerStatuses.length > 0 ? { containerStatuses } : {}) } });
}

/** See the file comment. */
export class FakeKubelet {
  readonly #client: RestClient;
  readonly #informer: Informer<Pod>;
  readonly #nodes = new Set<string>();
  readonly #done = new Set<string>();
  #chain: Promise<void> = Promise.resolve();
  #ip = 0;
  /** Whether a pod it starts is Ready (default: every pod). */
  ready: (pod: Pod) => boolean = () => true;

  constructor(client: RestClient, nodes: readonly string[] = []) {
    this.#client = client;
    for (const n of nodes) this.#nodes.add(n);
    this.#informer = new Informer<Pod>(client, { resource: { resource: 'pods' }, log: () => {} });
    const look = (p: Pod): void => this.#look(p);
    this.#informer.addEventHandler({ onAdd: look, onUpdate: (_o, n) => look(n) });
  }

  /** Starts watching; resolves once the pods are listed. */
  async start(): Promise<this> {
    this.#informer.start();
    await this.#informer.waitForSync(10_000);
    return this;
  }

  /** Runs the pods of node `name` from now on (and those already bound to it). */
  addNode(name: string): void {
    this.#nodes.add(name);
    for (const p of this.#informer.list()) this.#look(p);
  }

  /** Stops running pods of node `name`. */
  removeNode(name: string): void {
    this.#nodes.delete(name);
  }

  /** Waits for the writes queued so far, then stops watching. */
  async stop(): Promise<void> {
    this.#informer.stop();
    await this.#chain;
  }

  #look(pod: Pod): void {
    const node = pod.spec.nodeName;
    if (!node || !this.#nodes.has(node)) return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`;
    const ref = { resource: 'pods', namespace: pod.metadata.namespace!, name: pod.metadata.name! };
    if (pod.metadata.deletionTimestamp) {
      if (this.#done.has(`${key}/deleted`)) return;
      this.#done.add(`${key}/deleted`);
      this.#enqueue(() => this.#client.delete({ ...ref }, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } }));
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || pod.status?.podIP || this.#done.has(key)) return;
    this.#done.add(key);
    const n = ++this.#ip;
    const ip = `10.244.${Math.floor(n / 250)}.${(n % 250) + 2}`;
    const ready = this.ready(pod);
    this.#enqueue(() => this.#client.patch({ ...ref, subresource: 'status' }, 'merge', { status: runningStatus(ip, ready, pod) }));
  }

  #enqueue(write: () => Promise<unknown>): void {
    this.#chain = this.#chain.then(write).then(
      () => undefined,
      (e: unknown) => {
        if (!isNotFound(e)) process.stderr.write(`fake kubelet: ${(e as Error).message}\n`);
      },
    );
  }
}
