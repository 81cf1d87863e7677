/**
 * The root CA publisher (kube-controller-manager's
 * `root-ca-certificate-publisher-controller`): every namespace has a
 * ConfigMap `kube-root-ca.crt` whose `ca.crt` is the CA bundle that verifies
 * the API server, the one pods' kube-api-access volumes project next to
 * their token (the API server's ServiceAccount admission adds the volume).
 *
 *   namespaces (added; updated while Active) ───────┐
 *   kube-root-ca.crt ConfigMaps (updated, deleted) ──┴─► queue of namespace
 *      names ─► sync: create the ConfigMap, or put back its data and annotation
 *
 * - The bundle is kube-controller-manager's --root-ca-file, else the CA of
 *   its kubeconfig (empty when that has none: the ConfigMap says so).
 * - A ConfigMap whose data differs is overwritten whole (extra keys go);
 *   one that matches and has the description annotation is left alone.
 * - A namespace gone or being terminated is not an error.
 */
import { isNotFound } from '../../client/errors.js';
import { stripManagedFields, type Informer } from '../../client/informer.js';
import type { KubeObject } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import { namespaceTerminating } from '../internal/podcontrol.js';
import { semanticEqual } from '../internal/semantic.js';
import type { Registration } from '../manager.js';
import { namespaceActive } from '../serviceaccount/index.js';

/** The ConfigMap's name and its one key. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const ROOT_CA_KEY = 'ca.crt';
/** The annotation kube's publisher writes on it, word for word. */
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** See the file comment. */
export class RootCACertPublisher extends QueueController {
  readonly #namespaces: Informer<KubeObject>;
  readonly #configMaps: Informer<ConfigMap>;

  constructor(
    ctx: ControllerContext,
    /** The PEM bundle to publish. */
    private readonly rootCA: string,
  ) {
    super('root-ca-certificate-publisher-controller', ctx);
    this.#namespaces = ctx.informers.informer<KubeObject>({ resource: { resource: 'namespaces' }, transform: stripManagedFields });
    this.#configMaps = ctx.informers.informer<ConfigMap>({ resource: { resource: 'configmaps' }, fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}`, transform: stripManagedFields });
    const queueNamespace = (ns: KubeObject): void => this.queue.add(ns.metadata.name ?? '');
    this.#namespaces.addEventHandler({ onAdd: queueNamespace, onUpdate: (_o, n) => namespaceActive(n) && queueNamespace(n) });
    const queueOwn = (cm: ConfigMap): void => this.queue.add(cm.metadata.namespace ?? '');
    this.#configMaps.addEventHandler({ onUpdate: (_o, n) => queueOwn(n), onDelete: queueOwn });
  }

  protected async sync(namespace: string): Promise<void> {
    if (!namespaceActive(this.#namespaces.get(namespace))) return;
    const data = { [ROOT_CA_KEY]: this.rootCA };
    const current = this.#configMaps.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    try {
      if (!current) {
        const body: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data };
        await this.ctx.client.create({ resource: 'configmaps', namespace }, body);
        return;
      }
      if (semanticEqual(current.data ?? {}, data) && current.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
      const annotations = { ...(current.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION };
      await this.ctx.client.update({ resource: 'configmaps', namespace, name: ROOT_CA_CONFIGMAP }, { ...current, apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...current.metadata, annotations }, data });
    } catch (e) {
      if (isNotFound(e) || namespaceTerminating(e)) return;
      throw e;
    }
  }
}

/** kube-controller-manager's root CA publisher, publishing `rootCA`: one worker. */
export function rootCACertPublisherRegistration(rootCA: string): Registration {
  return { factory: (ctx) => new RootCACertPublisher(ctx, rootCA), workers: 1 };
}
