/**
 * The endpointslice controller (kube-controller-manager's
 * endpointslice-controller): for each Service with a selector,
 * discovery.k8s.io/v1 EndpointSlices listing the pods it selects, at most
 * --max-endpoints-per-slice (100) endpoints each. reconciler.ts decides the
 * writes; this file reads the caches and makes them.
 *
 *   services ─────┐
 *   pods ─────────┤ (a pod queues the services selecting it, before or after)
 *   nodes ────────┼─► queue of service keys ─► sync: tracker.stale? retry
 *   endpointslices┘ (changes not its own,        reconcile ─► create / update / delete
 *                    deletions it did not ask)    through the API, tracker.update
 *
 * - Services without a selector (their slices are the user's) and
 *   ExternalName ones get none; this controller's slices of such a service,
 *   or of a deleted one, are deleted (Kubernetes leaves the first to stay
 *   and the second to the garbage collector, which the owner reference
 *   also lets do it).
 * - At start every slice it manages is seen as an add, so slices of
 *   services deleted while no controller ran are removed too.
 * - Every create and update carries
 *   endpoints.kubernetes.io/last-change-trigger-time (endpoints/triggertime.ts).
 * - No slice is created for a Service being deleted.
 * - A failed sync (a write refused, a pod's node not in the cache) is
 *   reported as a Warning event FailedToUpdateEndpointSlices on the Service
 *   (component endpoint-slice-controller) and retried with the key's
 *   backoff; conflicts and a stale cache are retried without an event.
 *   A cache that stays stale for STALE_GIVE_UP_MS (a slice it wrote that the
 *   cache never showed) stops holding the service back.
 */
import { EventRecorder } from '../../client/events.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { NAMESPACE_INDEX, NODE_NAME_INDEX, byNamespace, byNodeName, keyOf, stripManagedFields, type Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/rest.js';
import { matchesMapSelector } from '../../client/selectors.js';
import type { KubeObject, Node, Pod } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import { LAST_CHANGE_TRIGGER_TIME_ANNOTATION, serviceSelector, servicesSelecting, type Service } from '../endpoints/subsets.js';
import { rfc3339Nano, TriggerTimeTracker } from '../endpoints/triggertime.js';
import { namespaceTerminating } from '../internal/podcontrol.js';
import type { Registration } from '../manager.js';
import { reconcile, ZONE_LABEL, type Plan } from './reconciler.js';
import { serviceKeyOf, SliceTracker } from './tracker.js';
import { CONTROLLER_NAME, DEFAULT_MAX_ENDPOINTS_PER_SLICE, MANAGED_BY_LABEL, type EndpointSlice } from './types.js';

/** The controller's settings (kube-controller-manager's flags). */
export interface EndpointSliceOptions {
  /** --max-endpoints-per-slice (default 100). */
  readonly maxEndpointsPerSlice?: number;
}

/** How long the cache may stay behind the controller's own writes before they stop counting. */
const STALE_GIVE_UP_MS = 30_000;

/** The slices of each service this controller manages: `namespace/service`. */
const SERVICE_INDEX = 'endpointslice-controller/service';

const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' } as const;

const managed = (s: EndpointSlice): boolean => s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME;

/** See the file comment. */
export class EndpointSliceController extends QueueController {
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #nodes: Informer<Node>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #recorder: EventRecorder;
  readonly #tracker = new SliceTracker();
  readonly #triggers = new TriggerTimeTracker();
  readonly #max: number;
  /** When each service's cache was first found stale, until a sync gets past it. */
  readonly #staleSince = new Map<string, number>();

  constructor(ctx: ControllerContext, o: EndpointSliceOptions = {}) {
    super('endpointslice-controller', ctx);
    this.#max = Math.max(1, o.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE);
    const f = ctx.informers;
    this.#services = f.informer<Service>({ resource: { resource: 'services' }, transform: stripManagedFields });
    this.#pods = f.informer<Pod>({ resource: { resource: 'pods' }, transform: stripManagedFields });
    this.#nodes = f.informer<Node>({ resource: { resource: 'nodes' }, transform: stripManagedFields });
    this.#slices = f.informer<EndpointSlice>({ resource: SLICES, transform: stripManagedFields });
    this.#recorder = new EventRecorder(ctx.client, { component: 'endpoint-slice-controller', log: ctx.log });
    this.#services.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NODE_NAME_INDEX, byNodeName);
    this.#slices.addIndexer(SERVICE_INDEX, (s) => (managed(s) ? [serviceKeyOf(s)] : []));

    const queueKey = (o: KubeObject): void => this.queue.add(keyOf(o));
    this.#services.addEventHandler({ onAdd: queueKey, onUpdate: (_o, n) => queueKey(n), onDelete: queueKey });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#queueServicesOf(p),
      onUpdate: (o, n) => {
        if (o.metadata.resourceVersion !== n.metadata.resourceVersion) this.#queueServicesOf(n, o);
      },
      onDelete: (p) => this.#queueServicesOf(p),
    });
    this.#nodes.addEventHandler({
      onAdd: (n) => this.#queueServicesOnNode(n),
      onUpdate: (o, n) => {
        if (o.metadata.labels?.[ZONE_LABEL] !== n.metadata.labels?.[ZONE_LABEL]) this.#queueServicesOnNode(n);
      },
      onDelete: (n) => this.#queueServicesOnNode(n),
    });
    this.#slices.addEventHandler({
      onAdd: (s) => {
        if (managed(s) && this.#tracker.shouldSync(s)) this.queue.add(serviceKeyOf(s));
      },
      onUpdate: (o, n) => {
        // someone relabelled a slice to another service, or took it from this controller or gave it one
        if (serviceKeyOf(o) !== serviceKeyOf(n) || managed(o) !== managed(n)) {
          for (const s of [o, n]) if (managed(s)) this.queue.add(serviceKeyOf(s));
        } else if (managed(n) && this.#tracker.shouldSync(n)) {
          this.queue.add(serviceKeyOf(n));
        }
      },
      onDelete: (s) => {
        if (managed(s) && this.#tracker.has(s) && !this.#tracker.handleDeletion(s)) this.queue.add(serviceKeyOf(s));
      },
    });
  }

  /** Queues the services of the pod's namespace that select it (or selected its old labels). */
  #queueServicesOf(pod: Pod, old?: Pod): void {
    for (const svc of servicesSelecting(this.#services.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? ''), pod, old)) this.queue.add(keyOf(svc));
  }

  /** Queues the services of the pods on a node (its zone is in their endpoints; pods on a missing node are left out). */
  #queueServicesOnNode(node: Node): void {
    for (const pod of this.#pods.byIndex(NODE_NAME_INDEX, node.metadata.name ?? '')) this.#queueServicesOf(pod);
  }

  protected async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const slices = this.#slices.byIndex(SERVICE_INDEX, key).filter((s) => !s.metadata.deletionTimestamp);
    const svc = this.#services.get(key);
    const selector = svc && serviceSelector(svc);
    if (!svc || !selector) {
      if (!svc) {
        this.#triggers.forget(namespace, name);
        this.#tracker.deleteService(key);
        this.#staleSince.delete(key);
      }
      for (const s of slices) await this.#delete(s);
      return;
    }
    if (this.#stale(key, slices)) throw new Error('EndpointSlice informer cache is out of date');
    const pods = this.#pods.byIndex(NAMESPACE_INDEX, namespace).filter((p) => matchesMapSelector(selector, p.metadata.labels));
    // computed on every sync, so the tracker sees each change even when no slice is written
    const trigger = this.#triggers.compute(svc, pods);
    const plan = reconcile({ service: svc, pods, node: (n) => this.#nodes.get(n), slices, maxEndpointsPerSlice: this.#max });
    try {
      await this.#apply(svc, plan, trigger);
      if (plan.skipped.length > 0) throw new Error(plan.skipped.length === 1 ? plan.skipped[0] : `[${plan.skipped.join(', ')}]`);
    } catch (e) {
      if (!isConflict(e)) {
        this.#recorder.eventf(svc, 'Warning', 'FailedToUpdateEndpointSlices', 'Error updating Endpoint Slices for Service %s/%s: %s', namespace, name, (e as Error).message);
      }
      throw e;
    }
  }

  /** Whether the cache is behind this controller's writes for the service (until STALE_GIVE_UP_MS, after which they are forgotten). */
  #stale(key: string, slices: readonly EndpointSlice[]): boolean {
    if (!this.#tracker.stale(key, slices)) {
      this.#staleSince.delete(key);
      return false;
    }
    const now = this.ctx.clock.now();
    const since = this.#staleSince.get(key) ?? now;
    this.#staleSince.set(key, since);
    if (now - since < STALE_GIVE_UP_MS) return true;
    this.ctx.log(`${this.name}: the slices of ${key} stayed behind its writes for ${STALE_GIVE_UP_MS / 1000} s; going on with the cache`);
    this.#tracker.deleteService(key);
    this.#staleSince.delete(key);
    return false;
  }

  /** Makes the plan's writes: creates (none for a service being deleted), updates, deletes. */
  async #apply(svc: Service, plan: Plan, trigger: number | undefined): Promise<void> {
    const { namespace, name } = svc.metadata;
    const ref: ResourceRef = { ...SLICES, namespace: namespace ?? '' };
    if (!svc.metadata.deletionTimestamp) {
      for (const s of plan.create) {
        setTriggerTime(s, trigger);
        try {
          this.#tracker.update(await this.ctx.client.create<EndpointSlice>(ref, s));
        } catch (e) {
          if (namespaceTerminating(e)) return;
          throw wrap(e, `failed to create EndpointSlice for Service ${namespace ?? ''}/${name ?? ''}`);
        }
      }
    }
    for (const s of plan.update) {
      setTriggerTime(s, trigger);
      try {
        this.#tracker.update(await this.ctx.client.update<EndpointSlice>({ ...ref, name: s.metadata.name ?? '' }, s));
      } catch (e) {
        throw wrap(e, `failed to update ${s.metadata.name ?? ''} EndpointSlice for Service ${namespace ?? ''}/${name ?? ''}`);
      }
    }
    for (const s of plan.delete) await this.#delete(s);
  }

  /** Deletes a slice (gone already is fine) and expects its deletion. */
  async #delete(s: EndpointSlice): Promise<void> {
    try {
      await this.ctx.client.delete({ ...SLICES, namespace: s.metadata.namespace ?? '', name: s.metadata.name ?? '' }, { preconditions: { uid: s.metadata.uid ?? '' } });
      this.#tracker.expectDeletion(s);
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw wrap(e, `failed to delete ${s.metadata.name ?? ''} EndpointSlice for Service ${serviceKeyOf(s)}`);
    }
  }
}

/** Sets (or, without a trigger time, removes) the slice's last-change-trigger-time annotation. */
function setTriggerTime(s: EndpointSlice, trigger: number | undefined): void {
  const annotations = { ...(s.metadata.annotations ?? {}) };
  if (trigger !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = rfc3339Nano(trigger);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  if (Object.keys(annotations).length > 0) s.metadata.annotations = annotations;
  else delete s.metadata.annotations;
}

/** The error with `what` before its message, keeping what isConflict and friends read. */
function wrap(e: unknown, what: string): unknown {
  if (e instanceof Error) e.message = `${what}: ${e.message}`;
  return e;
}

/** kube-controller-manager's endpointslice controller, with --concurrent-service-endpoint-syncs' default of 5 workers. */
export function endpointSliceController(o: EndpointSliceOptions = {}): Registration {
  return { factory: (ctx) => new EndpointSliceController(ctx, o), workers: 5 };
}
