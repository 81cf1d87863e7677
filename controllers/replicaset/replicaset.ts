/**
 * The ReplicaSet controller (kube-controller-manager's `replicaset`): keeps
 * spec.replicas active pods that match each ReplicaSet's selector, owned by
 * it, and writes its status.
 *
 * A sync of `namespace/name`:
 *   1. claims pods (ControllerRef manager): the active pods of its namespace
 *      it controls and still selects, plus orphans it selects (adopted);
 *      those it controls but no longer selects are released;
 *   2. only if its expectations are satisfied (every create and delete asked
 *      for by the last sync has been seen, or 5 minutes passed) and it is
 *      not being deleted, manages the pods:
 *      - too few: creates the missing ones (at most 500 a sync) from the
 *        template, `generateName: <rs>-`, in slow-start batches of 1, 2, 4
 *        ..., stopping after the first batch with a failure;
 *      - too many: deletes the surplus, the pods first in kube's deletion
 *        order (internal/pods.ts; the rank counts the pods of its owner's
 *        other ReplicaSets too), all at once;
 *   3. writes the status (status.ts) when it changed, at its generation;
 *   4. with minReadySeconds, looks again once pods ready now may be available.
 * A failed create or delete fails the sync (it is retried with backoff) and
 * sets the ReplicaFailure condition; events are podcontrol.ts's.
 *
 * Informer events: a pod added, updated or deleted wakes its controller
 * (an orphan wakes the ReplicaSets that select it); a pod added counts a
 * creation seen, a pod deleted (or marked for deletion) a deletion seen.
 */
import { rfc3339 } from '../../client/clock.js';
import { isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/events.js';
import { NAMESPACE_INDEX, byNamespace, keyOf, type Informer } from '../../client/informer.js';
import type { OwnerReference, Pod } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { claim, controllerOf, newControllerRef, recheckDeletion, resolveControllerRef } from '../internal/controllerref.js';
import { Expectations } from '../internal/expectations.js';
import { PodControl, namespaceTerminating, slowStartBatch } from '../internal/podcontrol.js';
import { isPodActive, isPodReady, podsToDelete } from '../internal/pods.js';
import { labelSelectorMatcher, selectorEmpty, selectorValid } from '../internal/selector.js';
import { semanticEqual } from '../internal/semantic.js';
import { PODS, REPLICASETS, type ReplicaSet } from '../internal/types.js';
import { calculateStatus, statusUpToDate } from './status.js';

/** The most pods one sync creates or deletes (kube's BurstReplicas). */
export const BURST_REPLICAS = 500;
/** The first slow-start batch (kube's SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH = 1;
/** Attempts after the first at a status write that fails (kube's statusUpdateRetries). */
const STATUS_UPDATE_RETRIES = 1;


/** The `namespace/name` key of a pod, as expectations remember deletions. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** See the file comment. */
export class ReplicaSetController extends QueueController {
  readonly expectations: Expectations;
  readonly #pods: Informer<Pod>;
  readonly #rss: Informer<ReplicaSet>;
  readonly #podControl: PodControl;

  constructor(ctx: ControllerContext) {
    super('replicaset-controller', ctx);
    this.expectations = new Expectations(ctx.clock);
    const recorder = new EventRecorder(ctx.client, { component: 'replicaset-controller', now: () => ctx.clock.now(), log: ctx.log });
    this.#podControl = new PodControl(ctx.client, recorder);
    this.#rss = ctx.informers.informer<ReplicaSet>({ resource: REPLICASETS });
    this.#pods = ctx.informers.informer<Pod>({ resource: PODS });
    this.#rss.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#rss.addEventHandler({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (old, cur) => {
        if (old.metadata.uid !== cur.metadata.uid) this.#forget(old);
        this.queue.add(keyOf(cur));
      },
      onDelete: (rs) => this.#forget(rs),
    });
    this.#pods.addEventHandler({ onAdd: (p) => this.#addPod(p), onUpdate: (o, n) => this.#updatePod(o, n), onDelete: (p) => this.#deletePod(p) });
  }

  #forget(rs: ReplicaSet): void {
    this.expectations.delete(keyOf(rs));
    this.queue.add(keyOf(rs));
  }

  /** The ReplicaSet a controller reference names, if it is in the cache with that uid. */
  #resolve(namespace: string | undefined, ref: OwnerReference): ReplicaSet | undefined {
    return resolveControllerRef(this.#rss, namespace, ref, 'ReplicaSet');
  }

  /** The ReplicaSets whose selector (valid, not empty) selects the pod (GetPodReplicaSets). */
  #selecting(pod: Pod): ReplicaSet[] {
    return this.#rss
      .byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')
      .filter((rs) => selectorValid(rs.spec.selector) && !selectorEmpty(rs.spec.selector) && labelSelectorMatcher(rs.spec.selector)(pod.metadata.labels));
  }

  #addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) return this.#deletePod(pod); // seen first when already going: not a creation
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.#resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.queue.add(keyOf(rs));
      return;
    }
    for (const rs of this.#selecting(pod)) this.queue.add(keyOf(rs));
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = !semanticEqual(old.metadata.labels, cur.metadata.labels);
    if (cur.metadata.deletionTimestamp) {
      // marked for deletion: replace it now rather than when it is gone
      this.#deletePod(cur);
      if (labelsChanged) this.#deletePod(old);
      return;
    }
    const [curRef, oldRef] = [controllerOf(cur), controllerOf(old)];
    const refChanged = !semanticEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.#resolve(old.metadata.namespace, oldRef);
      if (rs) this.queue.add(keyOf(rs));
    }
    if (curRef) {
      const rs = this.#resolve(cur.metadata.namespace, curRef);
      if (!rs) return;
      this.queue.add(keyOf(rs));
      const minReady = rs.spec.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.queue.addAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.#selecting(cur)) this.queue.add(keyOf(rs));
  }

  #deletePod(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.#resolve(pod.metadata.namespace, ref);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(pod));
    this.queue.add(keyOf(rs));
  }

  protected async sync(key: string): Promise<void> {
    const rs = this.#rss.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    if (!selectorValid(rs.spec.selector)) {
      this.ctx.log(`replicaset: ${key}: its selector does not convert; not syncing`);
      return;
    }
    const namespace = rs.metadata.namespace ?? '';
    const candidates = this.#pods.byIndex(NAMESPACE_INDEX, namespace).filter(isPodActive);
    const pods = await claim(
      {
        client: this.ctx.client,
        resource: PODS,
        controller: rs,
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        selector: labelSelectorMatcher(rs.spec.selector),
        canAdopt: recheckDeletion(this.ctx.client, { ...REPLICASETS, namespace, name: rs.metadata.name! }, rs.metadata.uid),
      },
      candidates,
    );
    let failure: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.#manageReplicas(key, rs, pods);
      } catch (e) {
        failure = e;
      }
    }
    const now = this.ctx.clock.now();
    const updated = await this.#writeStatus(rs, calculateStatus(rs, pods, failure, now, rfc3339));
    const minReady = updated.spec.minReadySeconds ?? 0;
    const want = updated.spec.replicas ?? 1;
    if (failure === undefined && minReady > 0 && updated.status?.readyReplicas === want && updated.status.availableReplicas !== want) {
      this.queue.addAfter(key, minReady * 1000); // ready pods become available then
    }
    if (failure !== undefined) throw failure;
  }

  /** Creates or deletes pods so that `pods` (those it claimed) become spec.replicas; see the file comment. */
  async #manageReplicas(key: string, rs: ReplicaSet, pods: readonly Pod[]): Promise<void> {
    const namespace = rs.metadata.namespace ?? '';
    const diff = pods.length - (rs.spec.replicas ?? 1);
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, n);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(n, SLOW_START_INITIAL_BATCH, async () => {
        try {
          await this.#podControl.createPod(namespace, rs.spec.template ?? {}, rs, ref);
        } catch (e) {
          if (!namespaceTerminating(e)) throw e; // every create would fail: nothing to do
        }
      });
      // the creates that failed or were never tried will not be seen: stop waiting for them
      for (let i = successes; i < n; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.#relatedPods(rs), n, this.ctx.clock.now());
      this.expectations.expectDeletions(key, victims.map(podKey));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await this.#podControl.deletePod(namespace, pod.metadata.name!, rs);
          } catch (e) {
            this.expectations.deletionObserved(key, podKey(pod)); // it will not be seen going
            if (!isNotFound(e)) throw e;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /**
   * The pods of the ReplicaSets with the same controller as `rs` (itself
   * when it has none), by their selectors (getIndirectlyRelatedPods): whose
   * number on a node ranks a pod for deletion.
   */
  #relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerOf(rs);
    const siblings = owner
      ? this.#rss.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '').filter((o) => controllerOf(o)?.uid === owner.uid)
      : [rs];
    const seen = new Set<string>();
    const related: Pod[] = [];
    const pods = this.#pods.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '');
    for (const sibling of siblings) {
      if (!selectorValid(sibling.spec.selector)) continue;
      const selects = labelSelectorMatcher(sibling.spec.selector);
      for (const pod of pods) {
        if (seen.has(pod.metadata.uid ?? '') || !selects(pod.metadata.labels)) continue;
        seen.add(pod.metadata.uid ?? '');
        related.push(pod);
      }
    }
    return related;
  }

  /** Writes `status` at the ReplicaSet's generation unless it is already there; one retry on a fresh read. */
  async #writeStatus(rs: ReplicaSet, status: ReplicaSet['status']): Promise<ReplicaSet> {
    if (status && statusUpToDate(rs, status)) return rs;
    const ref = { ...REPLICASETS, namespace: rs.metadata.namespace, name: rs.metadata.name!, subresource: 'status' };
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.client.update<ReplicaSet>(ref, { ...current, status: { ...status, observedGeneration: rs.metadata.generation } });
      } catch (e) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw e;
        current = await this.ctx.client.get<ReplicaSet>({ ...REPLICASETS, namespace: rs.metadata.namespace, name: rs.metadata.name! });
      }
    }
  }
}

/** The ReplicaSet controller as the manager registers it: 5 workers (kube's --concurrent-replicaset-syncs). */
export const replicaSetController: Registration = { factory: (ctx) => new ReplicaSetController(ctx), workers: 5 };
