/**
 * Empties a terminating namespace, then finalizes it (kube's namespaced
 * resources deleter). One `delete(name)` is one pass; the controller calls
 * it again until it resolves:
 *
 * 1. Read the namespace from the API (not a cache): gone, or not being
 *    deleted, or already finalized (spec.finalizers empty): nothing to do.
 *    A namespace marked but not yet Terminating is made so (/status).
 * 2. Discover the served namespaced resources that can be deleted (a partial
 *    discovery is worked with, and reported). For each: DELETE the collection
 *    in the namespace with propagationPolicy Background (or, when the
 *    resource has no deletecollection, list and delete each object), then
 *    list what remains. Pods get a grace-period estimate first: the longest
 *    terminationGracePeriodSeconds of the pods not yet finished, or 0 once
 *    that long has passed since the namespace's deletion.
 * 3. Write the conditions (conditions.ts) to /status when they changed.
 * 4. Remaining content with an estimate (pods on their way out), or held by
 *    finalizers (15 s, for the garbage collector and others): throw
 *    ResourcesRemainingError. Content left with neither is an error.
 * 5. Else remove the controller's token (`kubernetes`) from spec.finalizers
 *    through /finalize; the API server deletes the namespace once no
 *    finalizer is left.
 *
 * Writes to the namespace are retried on a conflict, on a fresh read whose
 * uid must be the same.
 */
import { rfc3339, type Clock } from '../../client/clock.js';
import { GroupDiscoveryFailedError, supportsAll, type ApiResource, type Discovered } from '../../client/discovery.js';
import { isConflict, isNotFound, ApiError } from '../../client/errors.js';
import type { ResourceRef, RestClient } from '../../client/rest.js';
import type { KubeObject, Pod } from '../../client/types.js';
import { ConditionUpdater, type NamespaceCondition } from './conditions.js';

/** Content remains that should go on its own: try again in about half of `estimateSeconds`. */
export class ResourcesRemainingError extends Error {
  constructor(readonly estimateSeconds: number) {
    super(`some content remains in the namespace, estimate ${estimateSeconds} seconds before it is removed`);
    this.name = 'ResourcesRemainingError';
  }
}

/** The estimate used when remaining content is held by finalizers. */
export const FINALIZER_ESTIMATE_SECONDS = 15;

/** A Namespace, as the deleter reads it. */
export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

/** What a deleter works with. */
export interface DeleterOptions {
  readonly client: RestClient;
  /** The served resources (serverPreferredResources). */
  readonly discover: () => Promise<Discovered>;
  readonly clock: Clock;
  /** The finalizer this deleter removes (default `kubernetes`). */
  readonly finalizerToken?: string;
}

/** What one resource's deletion left. */
interface ResourceOutcome {
  readonly estimate: number;
  readonly remaining: number;
  readonly finalizers: ReadonlyMap<string, number>;
  readonly error?: Error;
}

const NAMESPACES: ResourceRef = { resource: 'namespaces' };

/** See the file comment. */
export class NamespacedResourcesDeleter {
  readonly #o: DeleterOptions;
  readonly #token: string;
  /** Resources the server refused a list or deletecollection of (405 or 404) despite discovery: `<op> <group>/<version>/<resource>`. */
  readonly #unsupported = new Set<string>();

  constructor(o: DeleterOptions) {
    this.#o = o;
    this.#token = o.finalizerToken ?? 'kubernetes';
  }

  /** One pass over the namespace `name`; see the file comment. */
  async delete(name: string): Promise<void> {
    let ns = await this.#getNamespace(name);
    if (!ns?.metadata.deletionTimestamp) return;
    ns = await this.#retryOnConflict(ns, (n) => this.#markTerminating(n));
    if (!ns?.metadata.deletionTimestamp) return;
    if (!ns.spec?.finalizers?.length) return;
    const estimate = await this.#deleteAllContent(ns);
    if (estimate > 0) throw new ResourcesRemainingError(estimate);
    await this.#retryOnConflict(ns, (n) => this.#finalize(n));
  }

  async #getNamespace(name: string): Promise<Namespace | undefined> {
    try {
      return await this.#o.client.get<Namespace>({ ...NAMESPACES, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Runs `write` on `ns`, and again on a fresh read after each conflict; undefined once the namespace is gone. */
  async #retryOnConflict(ns: Namespace, write: (ns: Namespace) => Promise<Namespace>): Promise<Namespace | undefined> {
    let latest = ns;
    for (;;) {
      try {
        return await write(latest);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (!isConflict(e)) throw e;
      }
      const fresh = await this.#getNamespace(latest.metadata.name!);
      if (!fresh) return undefined;
      if (fresh.metadata.uid !== latest.metadata.uid) throw new Error('namespace uid has changed across retries');
      latest = fresh;
    }
  }

  async #markTerminating(ns: Namespace): Promise<Namespace> {
    if (!ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return ns;
    const next: Namespace = { ...ns, status: { ...ns.status, phase: 'Terminating' } };
    return this.#o.client.update<Namespace>({ ...NAMESPACES, name: ns.metadata.name!, subresource: 'status' }, next);
  }

  async #finalize(ns: Namespace): Promise<Namespace> {
    const finalizers = [...new Set((ns.spec?.finalizers ?? []).filter((f) => f !== this.#token))].sort();
    const body = { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata, spec: { ...ns.spec, finalizers } };
    return this.#o.client.update<Namespace>({ ...NAMESPACES, name: ns.metadata.name!, subresource: 'finalize' }, body);
  }

  /** Deletes everything in the namespace; the estimate of seconds until what remains is gone (0: nothing remains). Throws the errors met, after writing the conditions. */
  async #deleteAllContent(ns: Namespace): Promise<number> {
    const namespace = ns.metadata.name!;
    const deletedAt = Date.parse(ns.metadata.deletionTimestamp!);
    const updater = new ConditionUpdater(rfc3339(this.#o.clock.now()));
    const errors: Error[] = [];
    let resources: ApiResource[] = [];
    try {
      const d = await this.#o.discover();
      resources = d.resources;
      if (d.failed.size) {
        const e = new GroupDiscoveryFailedError(d.failed);
        errors.push(e);
        updater.discoveryFailed(e);
      }
    } catch (e) {
      errors.push(e as Error);
      updater.discoveryFailed(e as Error);
    }
    const deletable = resources.filter((r) => r.namespaced && supportsAll(r, ['delete']));
    const outcomes = await Promise.all(deletable.map(async (r) => ({ r, out: await this.#deleteResource(r, namespace, deletedAt) })));
    let estimate = 0;
    const byResource = new Map<string, number>();
    const byFinalizer = new Map<string, number>();
    for (const { r, out } of outcomes) {
      if (out.error) {
        errors.push(out.error);
        updater.deleteContentFailed(out.error);
      }
      estimate = Math.max(estimate, out.estimate);
      if (out.remaining > 0) {
        byResource.set(`${r.resource}.${r.group}`, out.remaining);
        for (const [f, n] of out.finalizers) byFinalizer.set(f, (byFinalizer.get(f) ?? 0) + n);
      }
    }
    updater.contentTotals({ byResource, byFinalizer });
    const status = structuredClone(ns.status ?? {});
    if (updater.update(status)) {
      // the conditions are best effort: a failed write is retried by the next pass
      await this.#o.client.update({ ...NAMESPACES, name: namespace, subresource: 'status' }, { ...ns, status }).catch(() => undefined);
    }
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1) throw new Error(`[${errors.map((e) => e.message).join(', ')}]`);
    return estimate;
  }

  /** Deletes one resource's objects in the namespace and counts what remains. */
  async #deleteResource(r: ApiResource, namespace: string, deletedAt: number): Promise<ResourceOutcome> {
    const ref: ResourceRef = { group: r.group, version: r.version, resource: r.resource, namespace };
    const gvr = `${r.group}/${r.version}, Resource=${r.resource}`;
    const none = new Map<string, number>();
    let estimate = 0;
    try {
      estimate = r.group === '' && r.resource === 'pods' ? await this.#estimatePods(ref) : 0;
      if (this.#o.clock.now() - deletedAt >= estimate * 1000) estimate = 0;
      if (!(await this.#deleteCollection(r, ref))) await this.#deleteEach(r, ref);
      const left = await this.#list(r, ref);
      if (left === undefined || left.length === 0) return { estimate: 0, remaining: 0, finalizers: none };
      const finalizers = new Map<string, number>();
      for (const o of left) for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      if (estimate > 0) return { estimate, remaining: left.length, finalizers };
      if (finalizers.size > 0) return { estimate: FINALIZER_ESTIMATE_SECONDS, remaining: left.length, finalizers };
      return { estimate, remaining: left.length, finalizers: none, error: new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${gvr}`) };
    } catch (e) {
      return { estimate, remaining: 0, finalizers: none, error: e as Error };
    }
  }

  /** The longest grace period of the namespace's pods that have not finished. */
  async #estimatePods(ref: ResourceRef): Promise<number> {
    const pods = await this.#o.client.list<Pod>(ref);
    let estimate = 0;
    for (const p of pods.items) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      estimate = Math.max(estimate, p.spec.terminationGracePeriodSeconds ?? 0);
    }
    return estimate;
  }

  /** Whether the server can be asked for `op` on `r`: discovery says so, and it has not refused. */
  #supported(r: ApiResource, op: 'list' | 'deletecollection'): boolean {
    return r.verbs.includes(op) && !this.#unsupported.has(`${op} ${r.group}/${r.version}/${r.resource}`);
  }

  /** Notes a 405 or 404 as the resource not supporting `op`; rethrows anything else. */
  #refused(r: ApiResource, op: 'list' | 'deletecollection', e: unknown): void {
    if (!(e instanceof ApiError) || (e.code !== 405 && e.code !== 404)) throw e;
    this.#unsupported.add(`${op} ${r.group}/${r.version}/${r.resource}`);
  }

  /** DELETE of the collection (Background); false when the resource does not support it. */
  async #deleteCollection(r: ApiResource, ref: ResourceRef): Promise<boolean> {
    if (!this.#supported(r, 'deletecollection')) return false;
    try {
      await this.#o.client.deleteCollection(ref, { propagationPolicy: 'Background' });
      return true;
    } catch (e) {
      this.#refused(r, 'deletecollection', e);
      return false;
    }
  }

  /** The objects of `ref`; undefined when the resource cannot be listed. */
  async #list(r: ApiResource, ref: ResourceRef): Promise<KubeObject[] | undefined> {
    if (!this.#supported(r, 'list')) return undefined;
    try {
      return (await this.#o.client.listAll(ref)).items;
    } catch (e) {
      this.#refused(r, 'list', e);
      return undefined;
    }
  }

  /** Lists and deletes each object (Background). */
  async #deleteEach(r: ApiResource, ref: ResourceRef): Promise<void> {
    for (const o of (await this.#list(r, ref)) ?? []) {
      try {
        await this.#o.client.delete({ ...ref, name: o.metadata.name! }, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!(e instanceof ApiError) || (e.code !== 404 && e.code !== 405)) throw e;
      }
    }
  }
}
