/**
 * The service accounts controller (kube-controller-manager's
 * `serviceaccount-controller`): every active namespace has a ServiceAccount
 * named `default`, the one a pod runs as when it names none (the API
 * server's ServiceAccount admission refuses a pod whose account does not
 * exist).
 *
 *   namespaces (added, updated) ──┐
 *   serviceaccounts (deleted) ────┴─► queue of namespace names ─► sync:
 *                                      create `default` if the cache lacks it
 *
 * - A namespace that is not Active (being deleted) is left alone.
 * - A create that finds the account there already, or the namespace being
 *   terminated meanwhile, is not an error; anything else is retried with
 *   the key's backoff.
 */
import { isAlreadyExists } from '../../client/errors.js';
import { NAMESPACE_INDEX, byNamespace, stripManagedFields, type Informer } from '../../client/informer.js';
import type { KubeObject } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import { namespaceTerminating } from '../internal/podcontrol.js';
import type { Registration } from '../manager.js';

/** The accounts every namespace gets (kube's --service-account-... default list: just `default`). */
const ENSURED = ['default'];

/** Whether a namespace takes new content: it exists and is Active. */
export function namespaceActive(ns: KubeObject | undefined): boolean {
  if (!ns || ns.metadata.deletionTimestamp) return false;
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return phase === undefined || phase === 'Active';
}

/** See the file comment. */
export class ServiceAccountsController extends QueueController {
  readonly #namespaces: Informer<KubeObject>;
  readonly #accounts: Informer<KubeObject>;

  constructor(ctx: ControllerContext) {
    super('serviceaccount-controller', ctx);
    this.#namespaces = ctx.informers.informer<KubeObject>({ resource: { resource: 'namespaces' }, transform: stripManagedFields });
    this.#accounts = ctx.informers.informer<KubeObject>({ resource: { resource: 'serviceaccounts' }, transform: stripManagedFields });
    this.#accounts.addIndexer(NAMESPACE_INDEX, byNamespace);
    const queueNamespace = (ns: KubeObject): void => this.queue.add(ns.metadata.name ?? '');
    this.#namespaces.addEventHandler({ onAdd: queueNamespace, onUpdate: (_o, n) => queueNamespace(n) });
    this.#accounts.addEventHandler({ onDelete: (sa) => this.queue.add(sa.metadata.namespace ?? '') });
  }

  protected async sync(namespace: string): Promise<void> {
    if (!namespaceActive(this.#namespaces.get(namespace))) return;
    const have = new Set(this.#accounts.byIndex(NAMESPACE_INDEX, namespace).map((sa) => sa.metadata.name));
    for (const name of ENSURED) {
      if (have.has(name)) continue;
      try {
        await this.ctx.client.create({ resource: 'serviceaccounts', namespace }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
      } catch (e) {
        if (isAlreadyExists(e) || namespaceTerminating(e)) continue;
        throw e;
      }
    }
  }
}

/** kube-controller-manager's serviceaccount-controller: one worker. */
export const serviceAccountsRegistration: Registration = { factory: (ctx) => new ServiceAccountsController(ctx), workers: 1 };
