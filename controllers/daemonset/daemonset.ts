/**
 * The daemonset controller (kube-controller-manager's `daemonset`): one
 * pod of a DaemonSet on every node that should run it (placement.ts), kept
 * up to date by its update strategy (plan.ts).
 *
 *   daemonsets ┐
 *   pods ──────┼─► queue of DaemonSet keys ─► sync: claim pods, group by node,
 *   nodes ─────┘   (a node change queues       create / delete (expectations),
 *                   every DaemonSet)            roll, write status
 *
 *   controllerrevisions ─► queue the owner (or, for an orphan, the DaemonSets
 *                          whose selector matches it)
 *
 * Each sync (syncDaemonSet):
 * 1. The history (history.ts): the ControllerRevisions it owns are claimed,
 *    the current template's revision found (its number raised when the
 *    template came back to it) or created; its hash is what daemon pods
 *    are labelled with and rolled to.
 * 2. The pods are claimed (controller reference; orphans the selector
 *    matches are adopted) and grouped by the node they are for (nodeName,
 *    or the node their affinity names).
 * 3. Unless creations or deletions it asked for are still unseen
 *    (expectations), it manages: a pod created for each node that should
 *    run one and has none, failed pods deleted (with a per-node backoff,
 *    1 s doubling to 15 minutes, and a FailedDaemonPod event), extra pods
 *    deleted, pods on nodes they may not run on deleted; pods of nodes that
 *    no longer exist deleted at once (kube leaves the scheduled ones to its
 *    pod garbage collector, which kubeling lacks).
 * 4. With the RollingUpdate strategy, one step of the update; OnDelete
 *    replaces a pod only once a user deleted it. Then old revisions beyond
 *    spec.revisionHistoryLimit that no pod runs are deleted.
 * 5. The status (desired, current, ready, available, updated,
 *    misscheduled, unavailable) and, when it acted on this generation,
 *    observedGeneration, so that `kubectl rollout status` can follow.
 *
 * New pods are created from the template with the daemon tolerations, the
 * controller-revision-hash (the current revision's) and
 * pod-template-generation labels, and a required node affinity on
 * metadata.name for the scheduler to bind them.
 */
import { EventRecorder } from '../../client/events.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { NAMESPACE_INDEX, byNamespace, stripManagedFields, type Informer } from '../../client/informer.js';
import type { KubeObject, Node, Pod } from '../../client/types.js';
import { QueueController, type ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { claim, controllerOf, newControllerRef, recheckDeletion, resolveControllerRef } from '../internal/controllerref.js';
import { Expectations } from '../internal/expectations.js';
import { namespaceTerminating, PodControl, slowStartBatch } from '../internal/podcontrol.js';
import { isPodReady } from '../internal/pods.js';
import { labelSelectorMatcher, selectorEmpty } from '../internal/selector.js';
import { DaemonSetHistory, revisionHash } from './history.js';
import { affinityForNode, daemonPodTemplate, nodeShouldRunDaemonPod, targetNodeName } from './placement.js';
import { computeStatus, podsShouldBeOnNode, rollingUpdatePlan } from './plan.js';
import { CONTROLLER_REVISIONS, DAEMONSETS, type ControllerRevision, type DaemonSet, type DaemonSetStatus } from './types.js';

/** The most pods created or deleted in one sync (kube's BurstReplicas). */
const BURST_REPLICAS = 250;
const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60_000;

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** See the file comment. */
export class DaemonSetController extends QueueController {
  readonly #daemonSets: Informer<DaemonSet>;
  readonly #pods: Informer<Pod>;
  readonly #nodes: Informer<Node>;
  readonly #revisions: Informer<ControllerRevision>;
  readonly #history: DaemonSetHistory;
  readonly #recorder: EventRecorder;
  readonly #podControl: PodControl;
  // creations and deletions are expected apart: one sync may ask for both
  readonly #creations: Expectations;
  readonly #deletions: Expectations;
  /** Failed pod backoff per `<ds uid>/<node>`: the current delay and when it was last raised. */
  readonly #failedBackoff = new Map<string, { delay: number; at: number }>();

  constructor(ctx: ControllerContext) {
    super('daemonset-controller', ctx);
    const f = ctx.informers;
    this.#daemonSets = f.informer<DaemonSet>({ resource: DAEMONSETS, transform: stripManagedFields });
    this.#pods = f.informer<Pod>({ resource: { resource: 'pods' }, transform: stripManagedFields });
    this.#nodes = f.informer<Node>({ resource: { resource: 'nodes' }, transform: stripManagedFields });
    this.#revisions = f.informer<ControllerRevision>({ resource: CONTROLLER_REVISIONS, transform: stripManagedFields });
    this.#history = new DaemonSetHistory(ctx.client, (ns) => this.#revisions.byIndex(NAMESPACE_INDEX, ns));
    this.#recorder = new EventRecorder(ctx.client, { component: 'daemonset-controller', log: ctx.log, now: () => ctx.clock.now() });
    this.#podControl = new PodControl(ctx.client, this.#recorder);
    this.#creations = new Expectations(ctx.clock);
    this.#deletions = new Expectations(ctx.clock);
    this.#daemonSets.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.#revisions.addIndexer(NAMESPACE_INDEX, byNamespace);

    this.#daemonSets.addEventHandler({
      onAdd: (d) => this.queue.add(keyOf(d)),
      onUpdate: (_o, n) => this.queue.add(keyOf(n)),
      onDelete: (d) => {
        this.#creations.delete(keyOf(d));
        this.#deletions.delete(keyOf(d));
        this.queue.add(keyOf(d));
      },
    });
    this.#pods.addEventHandler({
      onAdd: (p) => (p.metadata.deletionTimestamp ? this.#deletePod(p) : this.#addPod(p)),
      onUpdate: (o, n) => this.#updatePod(o, n),
      onDelete: (p) => this.#deletePod(p),
    });
    this.#revisions.addEventHandler({
      onAdd: (r) => (r.metadata.deletionTimestamp ? this.#deleteRevision(r) : this.#addRevision(r)),
      onUpdate: (o, n) => this.#updateRevision(o, n),
      onDelete: (r) => this.#deleteRevision(r),
    });
    const all = (): void => {
      for (const d of this.#daemonSets.list()) this.queue.add(keyOf(d));
    };
    this.#nodes.addEventHandler({
      onAdd: (n) => {
        for (const d of this.#daemonSets.list()) if (nodeShouldRunDaemonPod(n, d).shouldRun) this.queue.add(keyOf(d));
      },
      onUpdate: (o, n) => {
        // heartbeats and other status writes do not change where daemon pods go
        const placement = (x: Node): string => JSON.stringify([x.metadata.labels ?? {}, x.spec?.taints ?? [], x.spec?.unschedulable ?? false]);
        if (placement(o) !== placement(n)) all();
      },
      onDelete: all,
    });
  }

  /** The DaemonSet a pod's controller reference names, if it is one of ours. */
  #daemonSetOf(pod: Pod): DaemonSet | undefined {
    return resolveControllerRef(this.#daemonSets, pod.metadata.namespace, controllerOf(pod), 'DaemonSet', 'apps/v1');
  }

  /** Queues the DaemonSets that may adopt an orphan pod or revision (a DaemonSet with an empty selector adopts nothing). */
  #queueMatching(obj: KubeObject): void {
    for (const d of this.#daemonSets.byIndex(NAMESPACE_INDEX, obj.metadata.namespace ?? '')) {
      if (d.spec.selector && selectorEmpty(d.spec.selector)) continue;
      if (labelSelectorMatcher(d.spec.selector)(obj.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  /** A new revision: its owner has it already (it made it); an orphan may be adopted (addHistory). */
  #addRevision(r: ControllerRevision): void {
    if (!controllerOf(r)) this.#queueMatching(r);
  }

  /** A changed revision: its former and present owners look again; an orphan whose labels or owner changed may be adopted (updateHistory). */
  #updateRevision(old: ControllerRevision, cur: ControllerRevision): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const [oldRef, curRef] = [controllerOf(old), controllerOf(cur)];
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(curRef);
    if (refChanged && oldRef) {
      const prev = resolveControllerRef(this.#daemonSets, old.metadata.namespace, oldRef, 'DaemonSet', 'apps/v1');
      if (prev) this.queue.add(keyOf(prev));
    }
    if (curRef) {
      const ds = resolveControllerRef(this.#daemonSets, cur.metadata.namespace, curRef, 'DaemonSet', 'apps/v1');
      if (ds) this.queue.add(keyOf(ds));
      return;
    }
    if (refChanged || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})) this.#queueMatching(cur);
  }

  /** A deleted revision: its owner looks again (deleteHistory). */
  #deleteRevision(r: ControllerRevision): void {
    const ds = resolveControllerRef(this.#daemonSets, r.metadata.namespace, controllerOf(r), 'DaemonSet', 'apps/v1');
    if (ds) this.queue.add(keyOf(ds));
  }

  #addPod(pod: Pod): void {
    if (controllerOf(pod)) {
      const ds = this.#daemonSetOf(pod);
      if (!ds) return;
      this.#creations.creationObserved(keyOf(ds));
      this.queue.add(keyOf(ds));
      return;
    }
    this.#queueMatching(pod);
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (cur.metadata.deletionTimestamp) return this.#deletePod(cur);
    const oldRef = controllerOf(old);
    if (oldRef && oldRef.uid !== controllerOf(cur)?.uid) {
      const prev = this.#daemonSetOf(old);
      if (prev) this.queue.add(keyOf(prev));
    }
    if (controllerOf(cur)) {
      const ds = this.#daemonSetOf(cur);
      if (!ds) return;
      this.queue.add(keyOf(ds));
      // a pod that became ready is available after minReadySeconds: look again then
      const minReady = ds.spec.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(keyOf(ds), minReady * 1000 + 1);
      return;
    }
    if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {}) || oldRef) this.#queueMatching(cur);
  }

  #deletePod(pod: Pod): void {
    const ds = this.#daemonSetOf(pod);
    if (!ds) return;
    this.#deletions.deletionObserved(keyOf(ds), keyOf(pod));
    this.queue.add(keyOf(ds));
  }

  protected async sync(key: string): Promise<void> {
    const ds = this.#daemonSets.get(key);
    if (!ds) {
      this.#creations.delete(key);
      this.#deletions.delete(key);
      return;
    }
    const nodes = this.#nodes.list();
    if (ds.spec.selector && selectorEmpty(ds.spec.selector)) {
      this.#recorder.eventf(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const history = await this.#history.construct(ds, () => this.#claimPods(ds)).catch((e: unknown) => {
      throw new Error(`failed to construct revisions of DaemonSet: ${(e as Error).message}`, { cause: e });
    });
    const hash = revisionHash(history.cur) ?? '';
    if (!this.#satisfied(key)) return this.#updateStatus(ds, nodes, hash, await this.#nodeToPods(ds), false);

    await this.#manage(ds, nodes, hash);
    if (this.#satisfied(key) && ds.spec.updateStrategy?.type === 'RollingUpdate') {
      const plan = rollingUpdatePlan(ds, nodes, await this.#nodeToPods(ds), hash, this.ctx.clock.now());
      await this.#syncNodes(ds, plan.remove, plan.createOn, hash);
    }
    const pods = [...(await this.#nodeToPods(ds, true)).values()].flat();
    await this.#history.cleanup(ds, history.old, pods).catch((e: unknown) => {
      throw new Error(`failed to clean up revisions of DaemonSet: ${(e as Error).message}`, { cause: e });
    });
    await this.#updateStatus(ds, nodes, hash, await this.#nodeToPods(ds), true);
  }

  #satisfied(key: string): boolean {
    return this.#creations.satisfied(key) && this.#deletions.satisfied(key);
  }

  /** The DaemonSet's pods (getDaemonPods): those it controls, after adopting and releasing. */
  #claimPods(ds: DaemonSet): Promise<Pod[]> {
    const ns = ds.metadata.namespace ?? '';
    return claim(
      {
        client: this.ctx.client,
        resource: { resource: 'pods' },
        controller: ds,
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        selector: labelSelectorMatcher(ds.spec.selector),
        canAdopt: recheckDeletion(this.ctx.client, { ...DAEMONSETS, namespace: ns, name: ds.metadata.name! }, ds.metadata.uid),
      },
      this.#pods.byIndex(NAMESPACE_INDEX, ns),
    );
  }

  /**
   * The DaemonSet's pods by the node they are for (getNodesToDaemonPods);
   * finished pods being deleted are left out, unless `includeDeletedTerminal`.
   */
  async #nodeToPods(ds: DaemonSet, includeDeletedTerminal = false): Promise<Map<string, Pod[]>> {
    const out = new Map<string, Pod[]>();
    for (const p of await this.#claimPods(ds)) {
      const phase = p.status?.phase;
      if (!includeDeletedTerminal && p.metadata.deletionTimestamp && (phase === 'Failed' || phase === 'Succeeded')) continue;
      const node = targetNodeName(p);
      if (node === undefined) continue;
      out.set(node, [...(out.get(node) ?? []), p]);
    }
    return out;
  }

  /** Step 2 of the file comment (manage). */
  async #manage(ds: DaemonSet, nodes: readonly Node[], hash: string): Promise<void> {
    const nodeToPods = await this.#nodeToPods(ds);
    const nowMs = this.ctx.clock.now();
    const create: string[] = [];
    const remove: string[] = [];
    let failedSeen = 0;
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      const plan = podsShouldBeOnNode(node, nodeToPods.get(name), ds, hash, nowMs);
      if (plan.create) create.push(name);
      remove.push(...plan.remove.map((p) => p.metadata.name!));
      for (const p of plan.failed) {
        failedSeen++;
        const bk = `${ds.metadata.uid ?? ''}/${name}`;
        const b = this.#failedBackoff.get(bk);
        if (b && nowMs - b.at < b.delay) {
          this.queue.addAfter(keyOf(ds), b.delay - (nowMs - b.at));
          continue;
        }
        this.#failedBackoff.set(bk, { delay: b ? Math.min(b.delay * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_INITIAL_MS, at: nowMs });
        this.#recorder.eventf(ds, 'Warning', 'FailedDaemonPod', 'Found failed daemon pod %s/%s on node %s, will try to kill it', p.metadata.namespace, p.metadata.name, name);
        remove.push(p.metadata.name!);
      }
    }
    // pods for nodes that are gone: never to be scheduled, or stranded on a node no kubelet will finish them on
    const known = new Set(nodes.map((n) => n.metadata.name ?? ''));
    const stranded: Pod[] = [];
    for (const [node, pods] of nodeToPods) if (!known.has(node)) stranded.push(...pods.filter((p) => !p.metadata.deletionTimestamp || p.spec.nodeName));
    await this.#syncNodes(ds, remove, create, hash, stranded);
    if (failedSeen > 0) throw new Error(`deleted ${failedSeen} failed pods of DaemonSet ${keyOf(ds)}`);
  }

  /** Deletes pods by name and creates pods for nodes (syncNodes); `stranded` pods go with a grace period of 0. */
  async #syncNodes(ds: DaemonSet, remove: readonly string[], createOn: readonly string[], hash: string, stranded: readonly Pod[] = []): Promise<void> {
    const key = keyOf(ds);
    const ns = ds.metadata.namespace ?? '';
    const creates = createOn.slice(0, BURST_REPLICAS);
    const deletes = [...new Set(remove)].slice(0, BURST_REPLICAS);
    const gone = stranded.filter((p) => !deletes.includes(p.metadata.name!)).slice(0, Math.max(0, BURST_REPLICAS - deletes.length));
    if (creates.length === 0 && deletes.length === 0 && gone.length === 0) return;
    if (creates.length > 0) this.#creations.expectCreations(key, creates.length);
    if (deletes.length + gone.length > 0) this.#deletions.expectDeletions(key, [...deletes, ...gone.map((p) => p.metadata.name!)].map((n) => `${ns}/${n}`));
    const errors: unknown[] = [];
    const template = daemonPodTemplate(ds, hash);
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    let next = 0;
    const { successes, error } = await slowStartBatch(creates.length, 1, () => {
      const t = structuredClone(template);
      t.spec!.affinity = affinityForNode(t.spec!.affinity, creates[next++]!);
      return this.#podControl.createPod(ns, t, ds, ref);
    });
    for (let i = successes; i < creates.length; i++) this.#creations.creationObserved(key);
    if (error !== undefined && !namespaceTerminating(error)) errors.push(error);
    const deleteOne = async (name: string, force: boolean): Promise<void> => {
      try {
        if (force) {
          await this.ctx.client.delete({ resource: 'pods', namespace: ns, name }, { gracePeriodSeconds: 0 });
          this.#recorder.eventf(ds, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', name);
        } else await this.#podControl.deletePod(ns, name, ds);
      } catch (e) {
        this.#deletions.deletionObserved(key, `${ns}/${name}`);
        if (!isNotFound(e)) errors.push(e);
      }
    };
    await Promise.all([...deletes.map((n) => deleteOne(n, false)), ...gone.map((p) => deleteOne(p.metadata.name!, true))]);
    if (errors.length > 0) throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
  }

  /** Writes the status when it changed (storeDaemonSetStatus), observedGeneration only when this sync acted on the generation. */
  async #updateStatus(ds: DaemonSet, nodes: readonly Node[], hash: string, nodeToPods: Map<string, Pod[]>, observed: boolean): Promise<void> {
    const counts = computeStatus(ds, nodes, nodeToPods, hash, this.ctx.clock.now());
    const cur = ds.status;
    const same = cur !== undefined && (Object.keys(counts) as (keyof typeof counts)[]).every((k) => (cur[k] ?? 0) === counts[k]);
    const generation = ds.metadata.generation ?? 0;
    if (same && (cur.observedGeneration ?? 0) >= generation) return;
    const write = (base: DaemonSet): Promise<DaemonSet> =>
      this.ctx.client.update<DaemonSet>(
        { ...DAEMONSETS, namespace: base.metadata.namespace!, name: base.metadata.name!, subresource: 'status' },
        { ...base, status: wireStatus({ ...(base.status ?? {}), ...counts, ...(observed ? { observedGeneration: generation } : {}) }) },
      );
    try {
      await write(ds);
    } catch (e) {
      if (!isConflict(e)) throw e;
      // once more on a fresh copy (kube's StatusUpdateRetries)
      await write(await this.ctx.client.get<DaemonSet>({ ...DAEMONSETS, namespace: ds.metadata.namespace!, name: ds.metadata.name! }));
    }
    // a pod ready but not yet available becomes available after minReadySeconds
    const minReady = ds.spec.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) this.queue.addAfter(keyOf(ds), minReady * 1000);
  }
}

/** The status as Go writes it: the four counters always, the others (omitempty) only when not zero. */
function wireStatus(s: DaemonSetStatus): DaemonSetStatus {
  const out = { ...s };
  for (const k of ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const) if (!out[k]) delete out[k];
  if (!out.conditions?.length) delete out.conditions;
  return out;
}

/** kube-controller-manager's daemonset controller, with --concurrent-daemonset-syncs' default of 2 workers. */
export const daemonSetRegistration: Registration = { factory: (ctx) => new DaemonSetController(ctx), workers: 2 };
