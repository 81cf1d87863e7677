/**
 * The endpoints controller (kube-controller-manager's `endpoints`): for
 * each Service with a selector, an Endpoints object of the same name listing
 * the addresses of the pods it selects (subsets.ts computes them).
 *
 *   services ─┐
 *   pods ─────┼─► queue of service keys ─► sync: compute subsets,
 *   endpoints ┘   (a pod queues every        create / update / delete the
 *                  service selecting it,      Endpoints through the API
 *                  before or after a change)
 *
 * - A Service without a selector (or with an empty one), or of type
 *   ExternalName, is left alone: its Endpoints are the user's.
 * - A Service deleted: its Endpoints are deleted. At start, every existing
 *   Endpoints object is queued too, so those left behind by a Service
 *   deleted while no controller ran go as well (kube's checkLeftoverEndpoints).
 * - An Endpoints object is written only when its subsets (ignoring order),
 *   its labels (the Service's, plus service.kubernetes.io/headless for a
 *   headless one) or its over-capacity annotation would change; each write
 *   carries endpoints.kubernetes.io/last-change-trigger-time (triggertime.ts).
 * - Writes are guarded by resourceVersion (PUT); a conflict, or a create
 *   that finds the object there, is retried with the key's backoff. Failed
 *   writes other than conflicts are recorded as Warning events
 *   (FailedToCreateEndpoint, FailedToUpdateEndpoint) on the Endpoints, as
 *   kube's `endpoint-controller` records them.
 */
import { EventRecorder } from '../../client/events.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { NAMESPACE_INDEX, byNamespace, stripManagedFields, type Informer } from '../../client/informer.js';
import { matchesMapSelector } from '../../client/selectors.js';
import type { KubeObject, Pod } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { namespaceTerminating } from '../internal/podcontrol.js';
import { semanticEqual } from '../internal/semantic.js';
import { computeSubsets, HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, OVER_CAPACITY_ANNOTATION, serviceSelector, servicesSelecting, subsetsKey, type Endpoints, type Service } from './subsets.js';
import { rfc3339Nano, TriggerTimeTracker } from './triggertime.js';


/** See the file comment. */
export class EndpointsController extends QueueController {
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #endpoints: Informer<Endpoints>;
  readonly #recorder: EventRecorder;
  readonly #tracker = new TriggerTimeTracker();

  constructor(ctx: ControllerContext) {
    super('endpoints-controller', ctx);
    const f = ctx.informers;
    this.#services = f.informer<Service>({ resource: { resource: 'services' }, transform: stripManagedFields });
    this.#pods = f.informer<Pod>({ resource: { resource: 'pods' }, transform: stripManagedFields });
    this.#endpoints = f.informer<Endpoints>({ resource: { resource: 'endpoints' }, transform: stripManagedFields });
    this.#recorder = new EventRecorder(ctx.client, { component: 'endpoint-controller', log: ctx.log });
    this.#services.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    const queueKey = (o: KubeObject): void => this.queue.add(`${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
    this.#services.addEventHandler({ onAdd: queueKey, onUpdate: (_o, n) => queueKey(n), onDelete: queueKey });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#queueServicesOf(p),
      onUpdate: (o, n) => {
        if (o.metadata.resourceVersion === n.metadata.resourceVersion) return;
        this.#queueServicesOf(n, o);
      },
      onDelete: (p) => this.#queueServicesOf(p),
    });
    this.#endpoints.addEventHandler({ onDelete: queueKey });
  }

  override async run(workers: number): Promise<void> {
    // Endpoints whose Service went while nobody watched: queue them so that sync deletes them
    for (const ep of this.#endpoints.list()) this.queue.add(`${ep.metadata.namespace ?? ''}/${ep.metadata.name ?? ''}`);
    await super.run(workers);
  }

  /** Queues the services of the pod's namespace that select it (or selected its old labels). */
  #queueServicesOf(pod: Pod, old?: Pod): void {
    for (const svc of servicesSelecting(this.#services.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? ''), pod, old)) {
      this.queue.add(`${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`);
    }
  }

  protected async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const svc = this.#services.get(key);
    if (!svc) {
      this.#tracker.forget(namespace, name);
      if (!this.#endpoints.get(key)) return;
      try {
        await this.ctx.client.delete({ resource: 'endpoints', namespace, name });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    const selector = serviceSelector(svc);
    if (!selector) return;
    const pods = this.#pods.byIndex(NAMESPACE_INDEX, namespace).filter((p) => matchesMapSelector(selector, p.metadata.labels));
    const { subsets, truncated } = computeSubsets(svc, pods);
    const trigger = this.#tracker.compute(svc, pods);
    const current = this.#endpoints.get(key);

    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    delete labels[HEADLESS_LABEL];
    if (current) {
      const currentLabels = { ...(current.metadata.labels ?? {}) };
      delete currentLabels[HEADLESS_LABEL];
      const capacityRight = (current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === 'truncated') === truncated;
      if (subsetsKey(current.subsets) === subsetsKey(subsets) && semanticEqual(currentLabels, labels) && capacityRight) return;
    }
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (trigger !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = rfc3339Nano(trigger);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const meta: Endpoints['metadata'] = { ...(current?.metadata ?? { name, namespace }) };
    if (Object.keys(labels).length > 0) meta.labels = labels;
    else delete meta.labels;
    if (Object.keys(annotations).length > 0) meta.annotations = annotations;
    else delete meta.annotations;
    // an empty list is left out, as Go's omitempty writes it
    const body: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: meta, ...(subsets.length > 0 ? { subsets } : {}) };
    try {
      if (current) await this.ctx.client.update({ resource: 'endpoints', namespace, name }, body);
      else await this.ctx.client.create({ resource: 'endpoints', namespace }, body);
    } catch (e) {
      if (!current && namespaceTerminating(e)) return;
      if (!isConflict(e) && !isAlreadyExists(e)) {
        if (current) this.#recorder.eventf(body, 'Warning', 'FailedToUpdateEndpoint', 'Failed to update endpoint %s/%s: %s', namespace, name, (e as Error).message);
        else this.#recorder.eventf(body, 'Warning', 'FailedToCreateEndpoint', 'Failed to create endpoint for service %s/%s: %s', namespace, name, (e as Error).message);
      }
      throw e;
    }
  }
}

/** kube-controller-manager's endpoints controller, with --concurrent-endpoint-syncs' default of 5 workers. */
export const endpointsRegistration: Registration = { factory: (ctx) => new EndpointsController(ctx), workers: 5 };
