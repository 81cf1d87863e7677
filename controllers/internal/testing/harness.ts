/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely by tests */
/**
 * Test support for the workload controllers: a real API server (TestApi)
 * with a ControllerManager in this process running the controllers given,
 * namespaces per test, and a fake kubelet that marks the pods of a
 * namespace Running and Ready (there are no nodes in these tests), which a
 * test can pause to keep new pods unready. The controllers' pod informer
 * can be made to lag (see Harness.lagPodWatches). KUBELING_TEST_LOG=1 prints
 * the manager's log after the describe.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { rfc3339 } from '../../../client/clock.js';
import { Informer } from '../../../client/informer.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { RestClient, type ListOptions, type ResourceRef, type Watch, type WatchHandlers } from '../../../client/rest.js';
import type { KubeObject, Pod } from '../../../client/types.js';
import { TestApi } from '../../../test/apiserver.js';
import { ControllerManager, type Registration } from '../../manager.js';

/** What controllersOverApiServer gives a describe's tests once `before` ran. */
export interface Harness {
  t: TestApi;
  client: RestClient;
  manager: ControllerManager;
  /** The manager's log lines. */
  log: string[];
  /** From now on the controllers' (and h.client's) pod watches deliver each event `ms` late (0: at once). */
  lagPodWatches: (ms: number) => void;
}

/**
 * A client whose watches of pods deliver each event `lagMs` late, in order
 * (0: at once): an informer that lags behind the writes its controller makes.
 */
class LaggingPodWatches extends RestClient {
  lagMs = 0;
  /** When the last delayed event is due (events never overtake one another). */
  #lastDue = 0;

  override watch<T extends KubeObject = KubeObject>(ref: ResourceRef, o: ListOptions & { allowWatchBookmarks?: boolean }, h: WatchHandlers<T>): Watch {
    if (ref.resource !== 'pods') return super.watch(ref, o, h);
    return super.watch<T>(ref, o, {
      ...h,
      onEvent: (e) => {
        const now = Date.now();
        if (this.lagMs === 0 && this.#lastDue <= now) return h.onEvent(e);
        this.#lastDue = Math.max(now + this.lagMs, this.#lastDue);
        setTimeout(() => h.onEvent(e), this.#lastDue - now);
      },
    });
  }
}

/** A TestApi and a ControllerManager running `registry` over it, started before the describe's tests and stopped after. */
export function controllersOverApiServer(registry: ReadonlyMap<string, Registration>): Harness {
  const h = { log: [] as string[] } as Harness;
  before(async () => {
    h.t = await TestApi.start();
    const client = new LaggingPodWatches({ ...loadKubeconfig(h.t.kubeconfig), userAgent: 'kubeling-controller-manager-test' });
    h.client = client;
    h.lagPodWatches = (ms) => (client.lagMs = ms);
    h.manager = new ControllerManager({ client: h.client, registry, log: (l) => h.log.push(l) });
    await h.manager.start();
  });
  after(async () => {
    if (process.env.KUBELING_TEST_LOG) process.stderr.write(`${h.log.join('\n')}\n`);
    await h.manager?.stop();
    h.client?.close();
    await h.t?.stop();
  });
  return h;
}

/** Creates a namespace. */
export async function createNamespace(t: TestApi, name: string): Promise<void> {
  const r = await t.call('POST', '/api/v1/namespaces', { metadata: { name } });
  assert.equal(r.code, 201, JSON.stringify(r.body));
}

/** POSTs `body` to `path`, asserting 201; answers with the created object. */
export async function create(t: TestApi, path: string, body: unknown): Promise<any> {
  const r = await t.call('POST', path, body);
  assert.equal(r.code, 201, JSON.stringify(r.body));
  return r.body;
}

/** Marks a pod Running and Ready through its /status (as a kubelet would). */
export async function markReady(client: RestClient, pod: Pod, nowMs = Date.now()): Promise<void> {
  const ref = { resource: 'pods', namespace: pod.metadata.namespace!, name: pod.metadata.name!, subresource: 'status' };
  const conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(nowMs) }];
  await client.patch(ref, 'merge', { status: { phase: 'Running', conditions } }).catch(() => undefined); // gone meanwhile: fine
}

/**
 * Marks every pod of `namespace` Running and Ready as it appears, unless
 * paused; `resume()` marks those that came meanwhile. `stop()` ends it.
 */
export class FakeKubelet {
  readonly #client: RestClient;
  readonly #informer: Informer<Pod>;
  #paused = false;

  constructor(client: RestClient, namespace: string) {
    this.#client = client;
    this.#informer = new Informer<Pod>(client, { resource: { resource: 'pods', namespace }, log: () => {} });
    this.#informer.addEventHandler({ onAdd: (p) => this.#see(p), onUpdate: (_o, p) => this.#see(p) });
    this.#informer.start();
  }

  #see(pod: Pod): void {
    if (this.#paused || pod.metadata.deletionTimestamp) return;
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    void markReady(this.#client, pod);
  }

  /** New pods stay unready until resume(). */
  pause(): void {
    this.#paused = true;
  }

  /** Marks the pods waiting, and from now on each new one. */
  resume(): void {
    this.#paused = false;
    for (const p of this.#informer.list()) this.#see(p);
  }

  stop(): void {
    this.#informer.stop();
  }
}

/** The pods of `namespace` (those `labelSelector` selects, if given), live and marked for deletion alike. */
export async function listPods(t: TestApi, namespace: string, labelSelector?: string): Promise<any[]> {
  const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
  return (await t.call('GET', `/api/v1/namespaces/${namespace}/pods${q}`)).body.items;
}

/** The core/v1 events of `namespace` about the object `name`, oldest first. */
export async function eventsAbout(t: TestApi, namespace: string, name: string): Promise<any[]> {
  const items: any[] = (await t.call('GET', `/api/v1/namespaces/${namespace}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).body.items;
  return items.sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
}
