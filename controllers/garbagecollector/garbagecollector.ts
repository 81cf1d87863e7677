/**
 * The garbage collector (kube-controller-manager's `garbage-collector`):
 * deletes objects whose owners are gone, and carries out the foreground and
 * orphan deletions the API server's propagation policies ask for.
 *
 * ```
 *  discovery ──► monitors (shared informers, every deletable resource but events)
 *                   │ add / update / delete
 *                   ▼
 *               GraphBuilder (graphbuilder.ts): uid → node, owner ⇄ dependents
 *                   │                         ▲ virtual deletes (the API said: gone)
 *        attemptToDelete            attemptToOrphan
 *                   ▼                         ▼
 *   workers: look the object and its owners   workers: remove the owner's
 *   up in the API, decide (decide.ts):        reference from each dependent,
 *   keep / drop dangling refs / delete        then its `orphan` finalizer
 *   (Background, Foreground), or, for an
 *   owner deleting its dependents: wait for
 *   its blocking dependents, then remove
 *   its `foregroundDeletion` finalizer
 * ```
 *
 * Owners are checked against the API by uid, never only the cache: an owner
 * the informers have not shown yet is a virtual node, looked up like any
 * other. Discovery is read again every `resyncPeriodMs` (kube's 30 s) and
 * monitors are added for new resources (none is removed). A reference to an
 * owner of a kind discovery does not know is retried with backoff and never
 * counts as dangling; a cluster-scoped object naming a namespaced owner is
 * left alone; an owner observed in another namespace than its dependent's is
 * reported (event OwnerRefInvalidNamespace) and the reference treated as
 * dangling, as kube does.
 */
import { isDeepStrictEqual } from 'node:util';
import { sleep, type TimerHandle } from '../../client/clock.js';
import { apiVersionOf, GroupDiscoveryFailedError, serverPreferredResources, supportsAll, type ApiResource } from '../../client/discovery.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/events.js';
import type { ResourceRef } from '../../client/rest.js';
import type { KubeObject, OwnerReference } from '../../client/types.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { classifyOwner, decide, type Classification, type Policy } from './decide.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, formatIdentity, identityOfReference, type Identity, type Node } from './graph.js';
import { GraphBuilder } from './graphbuilder.js';

/** Resources never watched, as `<resource>.<group>`: Events, which nothing owns (kube's default ignored resources). */
export const IGNORED_RESOURCES: readonly string[] = ['events.', 'events.events.k8s.io'];

/** How the collector is tuned. */
export interface GarbageCollectorOptions {
  /** How often discovery is read again for new resources (default 30 s). */
  readonly resyncPeriodMs?: number;
  /** How long run() waits for the monitors' first lists before collecting anyway (default 30 s). */
  readonly initialSyncTimeoutMs?: number;
}

/** An apiVersion and kind discovery does not know (kube's restMappingError). */
class RestMappingError extends Error {}

/** A cluster-scoped object names a namespaced owner: it can never resolve, so it is not retried. */
class NamespacedOwnerOfClusterScopedError extends Error {}

/** What looking at an object came to: done, or the object was found absent (a virtual delete was made). */
type Outcome = 'done' | 'absent';

/** See the file comment. */
export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  /** Object uids to look at (kube's attemptToDelete). */
  readonly attemptToDelete: WorkQueue<string>;
  /** Owner uids whose dependents are to be orphaned (kube's attemptToOrphan). */
  readonly attemptToOrphan: WorkQueue<string>;
  readonly graph: GraphBuilder;
  readonly #ctx: ControllerContext;
  readonly #o: GarbageCollectorOptions;
  readonly #recorder: EventRecorder;
  /** `<apiVersion>|<kind>` → its resource, for every discovered resource. */
  readonly #mapping = new Map<string, ApiResource>();
  /** The resources watched, as `<group>/<version>/<resource>`. */
  readonly #monitors = new Map<string, { waitForSync(ms?: number): Promise<void> }>();
  #resyncTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(ctx: ControllerContext, opts: GarbageCollectorOptions = {}) {
    this.#ctx = ctx;
    this.#o = opts;
    this.attemptToDelete = new WorkQueue<string>({ clock: ctx.clock });
    this.attemptToOrphan = new WorkQueue<string>({ clock: ctx.clock });
    this.#recorder = new EventRecorder(ctx.client, { component: 'garbage-collector-controller', now: () => ctx.clock.now(), log: ctx.log });
    this.graph = new GraphBuilder({
      attemptToDelete: (n, rateLimited) => (rateLimited ? this.attemptToDelete.addRateLimited(n.identity.uid) : this.attemptToDelete.add(n.identity.uid)),
      attemptToOrphan: (n) => this.attemptToOrphan.add(n.identity.uid),
      invalidNamespaceOwnerRef: (dep, uid) => this.#reportInvalidNamespace(dep, uid),
    });
  }

  async run(workers: number): Promise<void> {
    await this.#resync();
    if (this.#stopped) return;
    const timeout = this.#o.initialSyncTimeoutMs ?? 30_000;
    await Promise.all([...this.#monitors.values()].map((m) => m.waitForSync(timeout))).catch((e: unknown) =>
      this.#log(`not all resource monitors could be synced, proceeding anyway: ${(e as Error).message}`),
    );
    this.#scheduleResync();
    const n = Math.max(1, workers);
    await Promise.all([...Array.from({ length: n }, () => this.#deleteWorker()), ...Array.from({ length: n }, () => this.#orphanWorker())]);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#resyncTimer !== undefined) this.#ctx.clock.clearTimeout(this.#resyncTimer);
    this.attemptToDelete.shutDown();
    this.attemptToOrphan.shutDown();
  }

  #log(line: string): void {
    this.#ctx.log(`${this.name}: ${line}`);
  }

  #scheduleResync(): void {
    if (this.#stopped) return;
    this.#resyncTimer = this.#ctx.clock.setTimeout(() => {
      void this.#resync().finally(() => this.#scheduleResync());
    }, this.#o.resyncPeriodMs ?? 30_000);
  }

  /** Reads discovery: learns the kinds, and watches each new deletable resource. */
  async #resync(): Promise<void> {
    let found: ApiResource[];
    try {
      const d = await serverPreferredResources(this.#ctx.client);
      if (d.failed.size) this.#log(new GroupDiscoveryFailedError(d.failed).message);
      found = d.resources;
    } catch (e) {
      this.#log(`discovery failed: ${(e as Error).message}`);
      return;
    }
    if (this.#stopped) return;
    for (const r of found) this.#mapping.set(`${apiVersionOf(r)}|${r.kind}`, r);
    for (const r of found) {
      const key = `${r.group}/${r.version}/${r.resource}`;
      if (this.#monitors.has(key) || IGNORED_RESOURCES.includes(`${r.resource}.${r.group}`) || !supportsAll(r, ['delete', 'list', 'watch'])) continue;
      const apiVersion = apiVersionOf(r);
      const { kind } = r;
      const inf = this.#ctx.informers.informer<KubeObject>({ resource: { group: r.group, version: r.version, resource: r.resource } });
      inf.addEventHandler({
        onAdd: (obj) => this.graph.process({ type: 'add', obj, apiVersion, kind }),
        onUpdate: (oldObj, obj) => this.graph.process({ type: 'update', obj, oldObj, apiVersion, kind }),
        onDelete: (obj) => this.graph.process({ type: 'delete', obj, apiVersion, kind }),
      });
      this.#monitors.set(key, inf);
    }
  }

  /** The resource of an apiVersion and kind; RestMappingError when discovery has not shown it. */
  #resourceFor(apiVersion: string, kind: string): ApiResource {
    const r = this.#mapping.get(`${apiVersion}|${kind}`);
    if (!r) throw new RestMappingError(`no matches for kind "${kind}" in version "${apiVersion}"`);
    return r;
  }

  /** The object an identity names, as a ResourceRef. */
  #ref(i: Identity): ResourceRef & { name: string } {
    const r = this.#resourceFor(i.apiVersion, i.kind);
    if (r.namespaced && !i.namespace) throw new NamespacedOwnerOfClusterScopedError(`${formatIdentity(i)}: a namespaced kind without a namespace`);
    return { group: r.group, version: r.version, resource: r.resource, ...(r.namespaced ? { namespace: i.namespace } : {}), name: i.name };
  }

  async #deleteWorker(): Promise<void> {
    for (;;) {
      const uid = await this.attemptToDelete.get();
      if (uid === undefined) return;
      let requeue: boolean;
      try {
        requeue = await this.#attemptToDeleteWorker(uid);
      } catch (e) {
        this.#log(`syncing ${uid}: ${(e as Error).message}`);
        requeue = true;
      }
      if (requeue) this.attemptToDelete.addRateLimited(uid);
      else this.attemptToDelete.forget(uid);
      this.attemptToDelete.done(uid);
    }
  }

  /** Looks at one node; whether to look again after its backoff. */
  async #attemptToDeleteWorker(uid: string): Promise<boolean> {
    const n = this.graph.uidToNode.get(uid);
    if (!n) return false; // gone from the graph meanwhile
    try {
      if ((await this.#attemptToDeleteItem(n)) === 'absent') return false;
    } catch (e) {
      if (e instanceof NamespacedOwnerOfClusterScopedError) return false; // retrying cannot help
      this.#log(`syncing ${formatIdentity(n.identity)}: ${(e as Error).message}`);
      return true;
    }
    // a virtual node that exists: look again until an informer shows it
    return n.virtual;
  }

  /** kube's attemptToDeleteItem: see decide.ts. */
  async #attemptToDeleteItem(n: Node): Promise<Outcome> {
    // being deleted is a one-way trip: wait for the final delete, then see to its dependents
    if (n.beingDeleted && !n.deletingDependents) return 'done';
    const identity = n.identity;
    let latest: KubeObject;
    try {
      latest = await this.#ctx.client.get(this.#ref(identity));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return this.#absent(identity);
    }
    if (latest.metadata.uid !== identity.uid) return this.#absent(identity);
    if (n.deletingDependents) {
      await this.#deleteDependentsFirst(n);
      return 'done';
    }
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return 'done';
    const d = decide(n, latest, await this.#classify(n, refs));
    switch (d.action) {
      case 'keep':
        return 'done';
      case 'removeReferences':
        return this.#patch(identity, { metadata: { ownerReferences: d.uids.map((uid) => ({ $patch: 'delete', uid })), uid: identity.uid } });
      case 'deleteForeground':
        if (d.unblockFirst) {
          // a cycle may be forming: this object will no longer hold its owners up
          const unblock = n.owners.filter((o) => o.blockOwnerDeletion === true).map((o) => ({ uid: o.uid, blockOwnerDeletion: false }));
          if ((await this.#patch(identity, { metadata: { ownerReferences: unblock, uid: identity.uid } })) === 'absent') return 'absent';
        }
        return this.#deleteObject(identity, latest, 'Foreground');
      case 'delete':
        return this.#deleteObject(identity, latest, d.policy);
    }
  }

  /** The API says `identity` does not exist: the graph hears of it. */
  #absent(identity: Identity): Outcome {
    this.graph.virtualDelete(identity);
    return 'absent';
  }

  /** Sorts an object's owner references by what the API says of each owner. */
  async #classify(n: Node, refs: readonly OwnerReference[]): Promise<Classification> {
    const c = { solid: [] as OwnerReference[], dangling: [] as OwnerReference[], waiting: [] as OwnerReference[] };
    for (const ref of refs) c[classifyOwner(ref, await this.#owner(ref, n))].push(ref);
    return c;
  }

  /** The owner `ref` names, as the API has it; undefined when it does not exist (under that uid), remembered in the absent-owner cache. */
  async #owner(ref: OwnerReference, item: Node): Promise<KubeObject | undefined> {
    const clusterKey = identityOfReference(ref, '');
    const namespacedKey = identityOfReference(ref, item.identity.namespace);
    if (this.graph.absentOwners.has(clusterKey) || this.graph.absentOwners.has(namespacedKey)) return undefined;
    const r = this.#resourceFor(ref.apiVersion, ref.kind);
    const key = r.namespaced ? namespacedKey : clusterKey;
    if (r.namespaced && item.identity.namespace === '') {
      this.#reportInvalidNamespace(item, ref.uid);
      throw new NamespacedOwnerOfClusterScopedError(`${formatIdentity(item.identity)} is cluster-scoped but names a namespaced owner`);
    }
    let owner: KubeObject;
    try {
      owner = await this.#ctx.client.get(this.#ref(key));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.graph.absentOwners.add(key);
      return undefined;
    }
    if (owner.metadata.uid === ref.uid) return owner;
    this.graph.absentOwners.add(key);
    return undefined;
  }

  /** An owner deleting its dependents first: once none blocks it, its foregroundDeletion finalizer goes; until then, its blocking dependents are looked at. */
  async #deleteDependentsFirst(owner: Node): Promise<void> {
    const blocking = owner.blockingDependents();
    if (blocking.length === 0) return this.#removeFinalizer(owner.identity, FOREGROUND_FINALIZER);
    for (const dep of blocking) if (!dep.deletingDependents) this.attemptToDelete.add(dep.identity.uid);
  }

  /** A strategic merge patch of the object; 'absent' when it is gone. */
  async #patch(identity: Identity, patch: unknown): Promise<Outcome> {
    try {
      await this.#ctx.client.patch(this.#ref(identity), 'strategic', patch);
      return 'done';
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return this.#absent(identity);
    }
  }

  /**
   * Deletes the object, guarded by its uid and the resourceVersion it was
   * judged at; when it has changed since, it is deleted all the same if its
   * owner references have not (else the conflict is retried).
   */
  async #deleteObject(identity: Identity, latest: KubeObject, policy: Policy): Promise<Outcome> {
    const ref = this.#ref(identity);
    try {
      try {
        await this.#ctx.client.delete(ref, { propagationPolicy: policy, preconditions: { uid: identity.uid, resourceVersion: latest.metadata.resourceVersion! } });
        return 'done';
      } catch (e) {
        if (!isConflict(e)) throw e;
        const live = await this.#ctx.client.get(ref);
        if (live.metadata.uid !== identity.uid || !isDeepStrictEqual(live.metadata.ownerReferences ?? [], latest.metadata.ownerReferences ?? [])) throw e;
        await this.#ctx.client.delete(ref, { propagationPolicy: policy, preconditions: { uid: identity.uid } });
        return 'done';
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return this.#absent(identity);
    }
  }

  /** Removes `finalizer` from the object (a merge patch guarded by its resourceVersion), retried a few times on conflicts. */
  async #removeFinalizer(identity: Identity, finalizer: string): Promise<void> {
    const ref = this.#ref(identity);
    for (let attempt = 0; ; attempt++) {
      let obj: KubeObject;
      try {
        obj = await this.#ctx.client.get(ref);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      const finalizers = obj.metadata.finalizers ?? [];
      if (obj.metadata.uid !== identity.uid || !finalizers.includes(finalizer)) return;
      const rest = finalizers.filter((f) => f !== finalizer);
      try {
        await this.#ctx.client.patch(ref, 'merge', { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers: rest.length ? rest : null } });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 3) throw e;
        await sleep(10 * 5 ** attempt, undefined, this.#ctx.clock);
      }
    }
  }

  async #orphanWorker(): Promise<void> {
    for (;;) {
      const uid = await this.attemptToOrphan.get();
      if (uid === undefined) return;
      const owner = this.graph.uidToNode.get(uid);
      let requeue = false;
      if (owner) {
        try {
          await this.#orphanDependents(owner);
          await this.#removeFinalizer(owner.identity, ORPHAN_FINALIZER);
        } catch (e) {
          this.#log(`orphaning the dependents of ${formatIdentity(owner.identity)}: ${(e as Error).message}`);
          requeue = true;
        }
      }
      if (requeue) this.attemptToOrphan.addRateLimited(uid);
      else this.attemptToOrphan.forget(uid);
      this.attemptToOrphan.done(uid);
    }
  }

  /** Removes the reference to `owner` from each of its dependents, in parallel. */
  async #orphanDependents(owner: Node): Promise<void> {
    const failed: string[] = [];
    await Promise.all(
      [...owner.dependents].map(async (dep) => {
        try {
          await this.#ctx.client.patch(this.#ref(dep.identity), 'strategic', { metadata: { ownerReferences: [{ $patch: 'delete', uid: owner.identity.uid }], uid: dep.identity.uid } });
        } catch (e) {
          if (!isNotFound(e)) failed.push(`orphaning ${formatIdentity(dep.identity)} failed, ${(e as Error).message}`);
        }
      }),
    );
    if (failed.length) throw new Error(`failed to orphan dependents of owner ${formatIdentity(owner.identity)}, got errors: ${failed.join(', ')}`);
  }

  /** Records a Warning OwnerRefInvalidNamespace event about `dep`, whose reference to `ownerUid` names an owner not in its namespace. */
  #reportInvalidNamespace(dep: Node, ownerUid: string): void {
    const ref = dep.owners.find((o) => o.uid === ownerUid);
    if (!ref) return;
    const i = dep.identity;
    const about: KubeObject = { apiVersion: i.apiVersion, kind: i.kind, metadata: { name: i.name, uid: i.uid, ...(i.namespace ? { namespace: i.namespace } : {}) } };
    const invalid = formatIdentity(identityOfReference(ref, i.namespace));
    this.#recorder.eventf(about, 'Warning', 'OwnerRefInvalidNamespace', `ownerRef ${invalid} does not exist in namespace ${JSON.stringify(i.namespace)}`);
  }
}
