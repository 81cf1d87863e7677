/**
 * The namespace controller (kube-controller-manager's `namespace`): for each
 * namespace being deleted, runs the deleter (deleter.ts) until the
 * namespace is empty and finalized.
 *
 * A namespace is queued on each add or update that shows a deletionTimestamp,
 * after `deletionDelayMs` (kube's 5 s): the delay lets a create that was
 * admitted just before the deletion reach the store before the namespace is
 * listed for content. A pass that leaves content on its way out
 * (ResourcesRemainingError) queues the namespace again after half its
 * estimate; one that fails is retried with the queue's backoff.
 */
import { serverPreferredResources } from '../../client/discovery.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, type ControllerContext } from '../controller.js';
import { NamespacedResourcesDeleter, ResourcesRemainingError, type Namespace } from './deleter.js';

/** How the controller is tuned. */
export interface NamespaceControllerOptions {
  /** How long after a namespace is seen deleted its first pass runs (default 5000, kube's). */
  readonly deletionDelayMs?: number;
}

/** See the file comment. */
export class NamespaceController extends QueueController {
  readonly #namespaces: Informer<Namespace>;
  readonly #deleter: NamespacedResourcesDeleter;
  readonly #delayMs: number;

  constructor(ctx: ControllerContext, opts: NamespaceControllerOptions = {}) {
    super('namespace-controller', ctx);
    this.#delayMs = opts.deletionDelayMs ?? 5000;
    this.#deleter = new NamespacedResourcesDeleter({ client: ctx.client, clock: ctx.clock, discover: () => serverPreferredResources(ctx.client) });
    this.#namespaces = ctx.informers.informer<Namespace>({ resource: { resource: 'namespaces' } });
    this.#namespaces.addEventHandler({ onAdd: (ns) => this.#enqueue(ns), onUpdate: (_old, ns) => this.#enqueue(ns) });
  }

  #enqueue(ns: Namespace): void {
    if (ns.metadata.deletionTimestamp) this.queue.addAfter(ns.metadata.name!, this.#delayMs);
  }

  protected async sync(name: string): Promise<void> {
    if (!this.#namespaces.get(name)) return; // gone already
    try {
      await this.#deleter.delete(name);
    } catch (e) {
      if (!(e instanceof ResourcesRemainingError)) throw e;
      this.queue.addAfter(name, (e.estimateSeconds * 1000) / 2);
    }
  }
}
