/**
 * Admission checks of the registry (Kubernetes' admission plugins that
 * kubeling has): each runs on a create after validation (or, for
 * GenericStore.deleteAdmission, on a delete) and throws to refuse.
 */
import type { KubeObject } from '../api/meta.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import type { GenericStore } from './generic.js';

/** The namespaces that may not be deleted (NamespaceLifecycle's immortal ones). */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

/** How long after its deletion a namespace is read from the store, not the watch cache, by create's check (Kubernetes' forceLiveLookupTTL). */
const LIVE_LOOKUP_MS = 30_000;

/**
 * NamespaceLifecycle (Kubernetes' admission plugin of that name):
 * - `create`: an object is created only in a namespace that exists (else
 *   NotFound) and is not being deleted (else Forbidden, with a cause of
 *   type NamespaceTerminating). The namespace is read from the watch cache,
 *   except for one deleted in the last 30 s while the cache still shows it
 *   Active: that one is read from the store, so a create right after the
 *   namespace's DELETE cannot slip in on a cache that lags.
 * - `delete`: default, kube-system and kube-public may not be deleted
 *   (Forbidden); the deletion of another namespace starts its live lookups.
 */
export class NamespaceLifecycle {
  /** Namespace name → until when creates in it look it up in the store. */
  readonly #liveLookup = new Map<string, number>();

  constructor(
    private readonly namespaces: GenericStore,
    private readonly now: () => number = Date.now,
  ) {}

  readonly create = async (obj: KubeObject, store: GenericStore): Promise<void> => {
    const ns = obj.metadata.namespace;
    if (!store.strategy.info.namespaced || ns === undefined) return;
    let found = await this.namespaces.cached(undefined, ns);
    const until = this.#liveLookup.get(ns);
    if (until !== undefined && until <= this.now()) this.#liveLookup.delete(ns);
    else if (until !== undefined && found && !terminating(found)) {
      found = await this.namespaces.get(undefined, ns).catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
    }
    if (!found) throw new NotFoundError('namespaces', ns);
    if (terminating(found)) {
      throw new ForbiddenError(store.qualifiedResource, obj.metadata.name ?? '', `unable to create new content in namespace ${ns} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  };

  readonly delete = (_namespace: string | undefined, name: string, store: GenericStore): Promise<void> => {
    if (store !== this.namespaces) return Promise.resolve();
    if (IMMORTAL_NAMESPACES.has(name)) return Promise.reject(new ForbiddenError('namespaces', name, 'this namespace may not be deleted'));
    for (const [ns, until] of this.#liveLookup) if (until <= this.now()) this.#liveLookup.delete(ns);
    this.#liveLookup.set(name, this.now() + LIVE_LOOKUP_MS);
    return Promise.resolve();
  };
}

/** Whether a namespace is being deleted. */
function terminating(ns: KubeObject): boolean {
  return !!ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating';
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

/** What a pod's tolerations look like to the admission below. */
interface TolerationFields {
  key?: string;
  operator?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/**
 * DefaultTolerationSeconds: a new pod that does not already tolerate the
 * node lifecycle's NoExecute taints node.kubernetes.io/not-ready and
 * node.kubernetes.io/unreachable gets tolerations of them for
 * `notReadySeconds` and `unreachableSeconds` (kube-apiserver's
 * --default-not-ready-toleration-seconds and
 * --default-unreachable-toleration-seconds, 300 each): its pods stay five
 * minutes on a node that stops reporting before they are evicted.
 */
export function podDefaultTolerations(notReadySeconds = 300, unreachableSeconds = 300): (obj: KubeObject, store: GenericStore) => Promise<void> {
  return (obj, store) => {
    if (store.strategy.info.resource === 'pods') {
      const spec = (obj.spec ??= {}) as { tolerations?: TolerationFields[] };
      const tolerations = spec.tolerations ?? [];
      const tolerates = (key: string): boolean => tolerations.some((t) => (t.effect === 'NoExecute' || !t.effect) && (t.key === key || (!t.key && t.operator === 'Exists')));
      const added: TolerationFields[] = [];
      if (!tolerates('node.kubernetes.io/not-ready')) added.push({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: notReadySeconds });
      if (!tolerates('node.kubernetes.io/unreachable')) added.push({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: unreachableSeconds });
      if (added.length) spec.tolerations = [...tolerations, ...added];
    }
    return Promise.resolve();
  };
}
