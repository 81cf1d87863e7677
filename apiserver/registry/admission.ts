/**
 * Admission checks of the registry (Kubernetes' admission plugins that
 * kubeling has): each runs on a create after validation (or, for
 * GenericStore.deleteAdmission, on a delete) and throws to refuse.
 */
import { setTimeout } from 'node:timers/promises';
import type { KubeObject } from '../api/meta.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import { randomSuffix, type GenericStore } from './generic.js';

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

/** Where the kube-api-access volume is mounted in each container. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The volume's name: this and five random characters. */
const API_ACCESS_PREFIX = 'kube-api-access-';
/** A static pod's mirror carries this annotation (the kubelet's). */
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
/** How often, and how far apart, a missing `default` account is looked up again before the pod is refused (kube's: 10 tries, 100-199 ms). */
const DEFAULT_ACCOUNT_TRIES = 10;

interface Container {
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  env?: { valueFrom?: { secretKeyRef?: unknown } }[];
  envFrom?: { secretRef?: unknown }[];
}
interface Volume {
  name: string;
  secret?: unknown;
  projected?: { sources?: { secret?: unknown; serviceAccountToken?: unknown }[] };
}
interface PodSpecSA {
  serviceAccountName?: string | null;
  serviceAccount?: string | null;
  automountServiceAccountToken?: boolean | null;
  imagePullSecrets?: { name?: string }[] | null;
  volumes?: Volume[] | null;
  initContainers?: Container[] | null;
  containers?: Container[];
  ephemeralContainers?: Container[] | null;
}
interface ServiceAccountFields {
  automountServiceAccountToken?: boolean | null;
  imagePullSecrets?: { name?: string }[];
}

/**
 * ServiceAccount (Kubernetes' admission plugin of that name), on a new pod:
 * - a pod that names no account runs as its namespace's `default` one
 *   (spec.serviceAccountName, mirrored in the deprecated spec.serviceAccount);
 * - the account must exist, else Forbidden ("error looking up service
 *   account ..."). It is read from the watch cache, then from the store; a
 *   missing `default` (a namespace just made, before the service account
 *   controller got to it) is looked up again for 1 to 2 s;
 * - unless the pod's automountServiceAccountToken (else the account's) is
 *   false, the pod gets a projected volume `kube-api-access-xxxxx` (a bound
 *   token, the kube-root-ca.crt ConfigMap's ca.crt, and the namespace), and
 *   each init and regular container that mounts nothing at
 *   /var/run/secrets/kubernetes.io/serviceaccount mounts it there, read-only;
 * - a pod without imagePullSecrets gets the account's;
 * - a mirror pod (a static pod's) may reference no account, secret or token.
 * Not done: the kubernetes.io/enforce-mountable-secrets annotation.
 */
export function podServiceAccount(serviceAccounts: GenericStore): (obj: KubeObject, store: GenericStore) => Promise<void> {
  return async (obj, store) => {
    if (store.strategy.info.resource !== 'pods') return;
    const spec = (obj.spec ??= {}) as PodSpecSA;
    const refuse = (why: string): ForbiddenError => new ForbiddenError(store.qualifiedResource, obj.metadata.name ?? '', why);
    if (obj.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) {
      if (spec.serviceAccountName || spec.serviceAccount) throw refuse('a mirror pod may not reference service accounts');
      if (referencesSecrets(spec)) throw refuse('a mirror pod may not reference secrets');
      if ((spec.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken))) throw refuse('a mirror pod may not use ServiceAccountToken volume projections');
      return;
    }
    const name = (spec.serviceAccountName ||= spec.serviceAccount || 'default');
    spec.serviceAccount = name;
    const namespace = obj.metadata.namespace!;
    const tries = name === 'default' ? DEFAULT_ACCOUNT_TRIES : 1;
    const pause = 100 + Math.floor(Math.random() * 100);
    // the watch cache, else the store (cached() reads it on a miss); then the store again, after a pause each time
    let account = await serviceAccounts.cached(namespace, name);
    for (let i = 1; !account && i < tries; i++) {
      await setTimeout(pause);
      account = await serviceAccounts.get(namespace, name).catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
    }
    if (!account) throw refuse(`error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
    const sa = account as KubeObject & ServiceAccountFields;
    if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name ?? '' }));
    if ((spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true) === false) return;
    mountApiAccess(spec);
  };
}

/** Mounts the kube-api-access volume in every init and regular container that has nothing at its path, adding the volume if one does. */
function mountApiAccess(spec: PodSpecSA): void {
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(API_ACCESS_PREFIX));
  const volume = existing?.name ?? API_ACCESS_PREFIX + randomSuffix();
  let mounted = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: volume, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
    mounted = true;
  }
  if (existing || !mounted) return;
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name: volume,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    } as Volume,
  ];
}

/** Whether a pod names a Secret: image pull secrets, a secret volume or projection, a volume source's secret reference, a container's environment. */
function referencesSecrets(spec: PodSpecSA): boolean {
  if (spec.imagePullSecrets?.length) return true;
  const refersToSecret = (source: unknown, type: string): boolean => {
    const s = (source ?? {}) as Record<string, unknown>;
    return type === 'secret' || s.secretRef != null || s.nodePublishSecretRef != null || (type === 'azureFile' && !!s.secretName);
  };
  for (const v of spec.volumes ?? []) {
    if (v.projected?.sources?.some((s) => s.secret)) return true;
    if (Object.entries(v).some(([type, source]) => type !== 'name' && refersToSecret(source, type))) return true;
  }
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].some(
    (c) => (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef) || (c.envFrom ?? []).some((e) => e.secretRef),
  );
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

/** The admission plugins kubeling has, by kube-apiserver's names: all on unless disabled. */
export const ADMISSION_PLUGINS = ['NamespaceLifecycle', 'ServiceAccount', 'Priority', 'DefaultTolerationSeconds'] as const;
export type AdmissionPlugin = (typeof ADMISSION_PLUGINS)[number];

/** kube-apiserver's other admission plugins: a flag may name them; kubeling runs none of them. */
const OTHER_KUBE_PLUGINS = new Set([
  'AlwaysAdmit', 'AlwaysDeny', 'AlwaysPullImages', 'CertificateApproval', 'CertificateSigning', 'CertificateSubjectRestriction', 'ClusterTrustBundleAttest',
  'DefaultIngressClass', 'DefaultStorageClass', 'DenyServiceExternalIPs', 'EventRateLimit', 'ExtendedResourceToleration', 'ImagePolicyWebhook',
  'LimitPodHardAntiAffinityTopology', 'LimitRanger', 'MutatingAdmissionPolicy', 'MutatingAdmissionWebhook', 'NamespaceAutoProvision', 'NamespaceExists',
  'NodeRestriction', 'OwnerReferencesPermissionEnforcement', 'PersistentVolumeClaimResize', 'PersistentVolumeLabel', 'PodNodeSelector', 'PodSecurity',
  'PodTolerationRestriction', 'ResourceQuota', 'RuntimeClass', 'StorageObjectInUseProtection', 'TaintNodesByCondition', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
]);

/**
 * The plugins --enable-admission-plugins and --disable-admission-plugins
 * (comma-separated) leave off, with kube-apiserver's errors for a name it
 * does not know and for one in both lists; enabling a plugin of kube's that
 * kubeling does not have is an error too (it would silently not run).
 */
export function disabledAdmissionPlugins(enable: string | undefined, disable: string | undefined): AdmissionPlugin[] {
  const list = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const on = list(enable);
  const off = list(disable);
  const ours = new Set<string>(ADMISSION_PLUGINS);
  const errors: string[] = [];
  for (const [flag, names] of [['enable-admission-plugins', on], ['disable-admission-plugins', off]] as const) {
    for (const n of names) if (!ours.has(n) && !OTHER_KUBE_PLUGINS.has(n)) errors.push(`${flag} plugin "${n}" is unknown`);
  }
  const both = on.filter((n) => off.includes(n));
  if (both.length) errors.push(`[${both.join(' ')}] in enable-admission-plugins and disable-admission-plugins overlapped`);
  for (const n of on) if (OTHER_KUBE_PLUGINS.has(n)) errors.push(`enable-admission-plugins plugin "${n}" is not one kubeling has (it has ${ADMISSION_PLUGINS.join(', ')})`);
  if (errors.length) throw new Error(errors.join('; '));
  return ADMISSION_PLUGINS.filter((n) => off.includes(n));
}
