/**
 * Admission checks of the registry (Kubernetes' admission plugins that
 * kubeling has): each runs on a create after validation and throws to refuse.
 */
import type { KubeObject } from '../api/meta.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import type { GenericStore } from './generic.js';

/**
 * NamespaceLifecycle: an object is created only in a namespace that exists
 * and is not being deleted (NotFound, or Forbidden with Kubernetes' message).
 */
export function namespaceLifecycle(namespaces: GenericStore): (obj: KubeObject, store: GenericStore) => Promise<void> {
  return async (obj, store) => {
    const ns = obj.metadata.namespace;
    if (!store.strategy.info.namespaced || ns === undefined) return;
    const found = await namespaces.cached(undefined, ns);
    if (!found) throw new NotFoundError('namespaces', ns);
    const phase = (found.status as { phase?: string } | undefined)?.phase;
    if (found.metadata.deletionTimestamp || phase === 'Terminating') {
      throw new ForbiddenError(store.qualifiedResource, obj.metadata.name ?? '', `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  };
}

interface PodSpecAdmitted {
  priorityClassName?: string | null;
  priority?: number | null;
  preemptionPolicy?: string | null;
  serviceAccountName?: string | null;
  serviceAccount?: string | null;
}

interface PriorityClassFields {
  value?: number;
  globalDefault?: boolean | null;
  preemptionPolicy?: string | null;
}

/**
 * Priority: a new pod's spec.priority and spec.preemptionPolicy come from its
 * PriorityClass (or the cluster's globalDefault class, else priority 0);
 * a class that does not exist, or a priority or policy given that differs
 * from the class's, is Forbidden with Kubernetes' messages.
 */
export function podPriority(priorityClasses: GenericStore): (obj: KubeObject, store: GenericStore) => Promise<void> {
  return async (obj, store) => {
    if (store.strategy.info.resource !== 'pods') return;
    const spec = (obj.spec ?? {}) as PodSpecAdmitted;
    const refuse = (why: string): ForbiddenError => new ForbiddenError(store.qualifiedResource, obj.metadata.name ?? '', why);
    let pc: KubeObject | undefined;
    if (spec.priorityClassName) {
      pc = await priorityClasses.cached(undefined, spec.priorityClassName);
      if (!pc) throw refuse(`no PriorityClass with name ${spec.priorityClassName} was found`);
    } else {
      const all = await priorityClasses.list(undefined, { resourceVersion: '0' });
      pc = all.items.filter((p) => (p as PriorityClassFields).globalDefault).sort((a, b) => ((a as PriorityClassFields).value ?? 0) - ((b as PriorityClassFields).value ?? 0))[0];
    }
    const value = pc ? ((pc as PriorityClassFields).value ?? 0) : 0;
    const policy = (pc as PriorityClassFields | undefined)?.preemptionPolicy ?? 'PreemptLowerPriority';
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
      throw refuse(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
    }
    if (spec.preemptionPolicy && spec.preemptionPolicy !== policy) {
      throw refuse(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    if (pc) spec.priorityClassName = pc.metadata.name;
    spec.priority = value;
    spec.preemptionPolicy = policy;
    obj.spec = spec as KubeObject['spec'];
  };
}

/**
 * ServiceAccount: a new pod without a service account runs as its
 * namespace's `default` one (spec.serviceAccountName, mirrored in the
 * deprecated spec.serviceAccount). Unlike Kubernetes, the account need not
 * exist yet: kubeling has no service account controller to create it.
 */
export function podServiceAccount(obj: KubeObject, store: GenericStore): Promise<void> {
  if (store.strategy.info.resource === 'pods') {
    const spec = (obj.spec ?? {}) as PodSpecAdmitted;
    spec.serviceAccountName ||= spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
  }
  return Promise.resolve();
}
