/**
 * The Deployment controller (kube-controller-manager's `deployment`): rolls
 * each Deployment's pod template out through ReplicaSets named
 * `<deployment>-<pod-template-hash>`, and writes its status.
 *
 * A sync of `namespace/name` (syncDeployment):
 *   1. an empty selector selects every pod: a SelectingAll warning, nothing else;
 *   2. claims ReplicaSets (ControllerRef manager) and groups their pods;
 *   3. being deleted: status only;
 *   4. pausing or resuming shows in the Progressing condition;
 *   5. paused: scale only (sync.ts), no rollout;
 *   6. the deprecated rollback annotation: roll back (rollback.ts);
 *   7. spec.replicas changed since the ReplicaSets were sized: scale,
 *      proportionally mid-rollout (sync.ts);
 *   8. else a rollout step of its strategy: rolling.ts or recreate.ts.
 *
 * Informer events: a Deployment's change queues it; a ReplicaSet's add,
 * change or delete queues its controller (an orphan queues the Deployments
 * selecting it, to adopt it); a deleted pod of a Recreate Deployment queues
 * it once it has no pods left.
 */
import { EventRecorder } from '../../client/events.js';
import { NAMESPACE_INDEX, byNamespace, keyOf, type Informer } from '../../client/informer.js';
import type { OwnerReference, Pod } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { claim, controllerOf, recheckDeletion, resolveControllerRef } from '../internal/controllerref.js';
import { labelSelectorMatcher, selectorEmpty, selectorValid } from '../internal/selector.js';
import { semanticEqual } from '../internal/semantic.js';
import { DEPLOYMENTS, PODS, REPLICASETS, type Deployment, type ReplicaSet } from '../internal/types.js';
import { rolloutRecreate } from './recreate.js';
import { rollback, rollbackTo } from './rollback.js';
import { rolloutRolling } from './rolling.js';
import { checkPausedConditions, isScalingEvent, syncScaling, syncStatusOnly, writeStatus, type SyncContext } from './sync.js';


/** See the file comment. */
export class DeploymentController extends QueueController {
  readonly #deployments: Informer<Deployment>;
  readonly #rss: Informer<ReplicaSet>;
  readonly #pods: Informer<Pod>;
  readonly #recorder: EventRecorder;
  readonly #s: SyncContext;

  constructor(ctx: ControllerContext) {
    super('deployment-controller', ctx);
    this.#recorder = new EventRecorder(ctx.client, { component: 'deployment-controller', now: () => ctx.clock.now(), log: ctx.log });
    this.#deployments = ctx.informers.informer<Deployment>({ resource: DEPLOYMENTS });
    this.#rss = ctx.informers.informer<ReplicaSet>({ resource: REPLICASETS });
    this.#pods = ctx.informers.informer<Pod>({ resource: PODS });
    this.#deployments.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#rss.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#s = {
      client: ctx.client,
      recorder: this.#recorder,
      replicaSets: this.#rss,
      now: () => ctx.clock.now(),
      log: ctx.log,
      enqueueAfter: (d, ms) => this.queue.addAfter(keyOf(d), ms),
      enqueueRateLimited: (d) => this.queue.addRateLimited(keyOf(d)),
    };
    this.#deployments.addEventHandler({
      onAdd: (d) => this.queue.add(keyOf(d)),
      onUpdate: (_old, d) => this.queue.add(keyOf(d)),
      onDelete: (d) => this.queue.add(keyOf(d)),
    });
    this.#rss.addEventHandler({ onAdd: (rs) => this.#addReplicaSet(rs), onUpdate: (o, n) => this.#updateReplicaSet(o, n), onDelete: (rs) => this.#deleteReplicaSet(rs) });
    this.#pods.addEventHandler({ onDelete: (p) => this.#deletePod(p) });
  }

  /** The Deployment a controller reference names, if it is in the cache with that uid. */
  #resolve(namespace: string | undefined, ref: OwnerReference): Deployment | undefined {
    return resolveControllerRef(this.#deployments, namespace, ref, 'Deployment');
  }

  /** The Deployments whose selector (valid, not empty) selects the ReplicaSet's labels. */
  #selecting(rs: ReplicaSet): Deployment[] {
    return this.#deployments
      .byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '')
      .filter((d) => selectorValid(d.spec.selector) && !selectorEmpty(d.spec.selector) && labelSelectorMatcher(d.spec.selector)(rs.metadata.labels));
  }

  #addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) return this.#deleteReplicaSet(rs);
    const ref = controllerOf(rs);
    if (ref) {
      const d = this.#resolve(rs.metadata.namespace, ref);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    for (const d of this.#selecting(rs)) this.queue.add(keyOf(d));
  }

  #updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const [curRef, oldRef] = [controllerOf(cur), controllerOf(old)];
    const refChanged = !semanticEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const d = this.#resolve(old.metadata.namespace, oldRef);
      if (d) this.queue.add(keyOf(d));
    }
    if (curRef) {
      const d = this.#resolve(cur.metadata.namespace, curRef);
      if (d) this.queue.add(keyOf(d));
      return;
    }
    if (refChanged || !semanticEqual(old.metadata.labels, cur.metadata.labels)) for (const d of this.#selecting(cur)) this.queue.add(keyOf(d));
  }

  #deleteReplicaSet(rs: ReplicaSet): void {
    const ref = controllerOf(rs);
    const d = ref && this.#resolve(rs.metadata.namespace, ref);
    if (d) this.queue.add(keyOf(d));
  }

  /** A Recreate Deployment waits for its old pods to go: the last one gone wakes it. */
  #deletePod(pod: Pod): void {
    const ref = controllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.#rss.get(`${pod.metadata.namespace ?? ''}/${ref.name}`);
    if (rs?.metadata.uid !== ref.uid) return;
    const dRef = controllerOf(rs);
    const d = dRef && this.#resolve(rs.metadata.namespace, dRef);
    if (d?.spec.strategy?.type !== 'Recreate') return;
    const owned = this.#rss.byIndex(NAMESPACE_INDEX, d.metadata.namespace ?? '').filter((x) => controllerOf(x)?.uid === d.metadata.uid);
    const pods = [...this.#podMap(d, owned).values()].reduce((n, list) => n + list.length, 0);
    if (pods === 0) this.queue.add(keyOf(d));
  }

  /** The pods of the Deployment's namespace its selector selects, by the uid of the ReplicaSet of `rsList` controlling them (getPodMapForDeployment). */
  #podMap(d: Deployment, rsList: readonly ReplicaSet[]): Map<string, Pod[]> {
    const map = new Map<string, Pod[]>(rsList.map((rs) => [rs.metadata.uid ?? '', []]));
    const selects = labelSelectorMatcher(d.spec.selector);
    for (const pod of this.#pods.byIndex(NAMESPACE_INDEX, d.metadata.namespace ?? '')) {
      if (!selects(pod.metadata.labels)) continue;
      map.get(controllerOf(pod)?.uid ?? '')?.push(pod);
    }
    return map;
  }

  protected async sync(key: string): Promise<void> {
    const cached = this.#deployments.get(key);
    if (!cached) return;
    const d = structuredClone(cached);
    const namespace = d.metadata.namespace ?? '';
    if (!selectorValid(d.spec.selector)) throw new Error(`deployment ${key} has invalid label selector`);
    if (selectorEmpty(d.spec.selector)) {
      this.#recorder.eventf(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        (d.status ??= {}).observedGeneration = d.metadata.generation;
        await writeStatus(this.#s, d);
      }
      return;
    }
    const rsList = await claim(
      {
        client: this.ctx.client,
        resource: REPLICASETS,
        controller: d,
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        selector: labelSelectorMatcher(d.spec.selector),
        canAdopt: recheckDeletion(this.ctx.client, { ...DEPLOYMENTS, namespace, name: d.metadata.name! }, d.metadata.uid),
      },
      this.#rss.byIndex(NAMESPACE_INDEX, namespace),
    );
    const podMap = this.#podMap(d, rsList);
    if (d.metadata.deletionTimestamp) return syncStatusOnly(this.#s, d, rsList);
    await checkPausedConditions(this.#s, d);
    if (d.spec.paused) return syncScaling(this.#s, d, rsList, rollbackTo(d) !== undefined);
    if (rollbackTo(d) !== undefined) return rollback(this.#s, d, rsList);
    if (await isScalingEvent(this.#s, d, rsList)) return syncScaling(this.#s, d, rsList, false);
    switch (d.spec.strategy?.type) {
      case 'Recreate':
        return rolloutRecreate(this.#s, d, rsList, podMap);
      case 'RollingUpdate':
        return rolloutRolling(this.#s, d, rsList);
      default:
        throw new Error(`unexpected deployment strategy type: ${d.spec.strategy?.type ?? ''}`);
    }
  }
}

/** The Deployment controller as the manager registers it: 5 workers (kube's --concurrent-deployment-syncs). */
export const deploymentController: Registration = { factory: (ctx) => new DeploymentController(ctx), workers: 5 };
