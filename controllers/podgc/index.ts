/**
 * The pod garbage collector (kube-controller-manager's
 * pod-garbage-collector-controller, `podgc`), as in kube 1.28: every
 * gcCheckPeriod (20 s) one pass over the informers' pods and nodes that
 * 1. deletes the terminated pods (phase Succeeded or Failed) beyond
 *    --terminated-pod-gc-threshold (12500; 0 or less turns this off):
 *    evicted ones first, then the oldest (rules.ts compareForGC);
 * 2. force-deletes terminating pods on nodes that are not Ready and carry
 *    the `node.kubernetes.io/out-of-service` taint (NodeOutOfServiceVolumeDetach);
 * 3. deletes orphaned pods, bound to a node that does not exist. A node
 *    missing from the informer is first quarantined (40 s, in case the
 *    informer is behind); a pass after that asks the API server for it, and
 *    only a 404 makes its pods orphans;
 * 4. deletes terminating pods bound to no node.
 *
 * Each deletion is kube's markFailedAndDeletePod: a pod not yet Succeeded or
 * Failed is first set Failed by a server-side apply of its status (field
 * manager `PodGC`, forced), with for an orphan the condition DisruptionTarget
 * True, reason DeletionByPodGC, `PodGC: node no longer exists`; then it is
 * deleted with grace period 0. Unlike kube, the delete carries the pod's uid
 * as a precondition, so a pod re-created under the same name since the
 * informer saw the old one is left alone. Failures are logged and tried
 * again in the next pass; a pod already gone is no failure.
 */
import { rfc3339 } from '../../client/clock.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { stripManagedFields, type Informer } from '../../client/informer.js';
import type { Node, Pod, PodCondition } from '../../client/types.js';
import type { Controller, ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { FIELD_MANAGER, isPodTerminal, ORPHAN_CONDITION, terminatedToDelete, terminatingOutOfService, unscheduledTerminating } from './rules.js';

/** The controller's settings. */
export interface PodGCOptions {
  /** --terminated-pod-gc-threshold: terminated pods kept (default 12500; 0 or less: none is collected for being terminated). */
  readonly terminatedPodGCThreshold?: number;
  /** Time between passes (kube's gcCheckPeriod, 20 s, not a flag). */
  readonly gcCheckPeriodMs?: number;
  /** How long a node missing from the informer waits before it is looked up (kube's quarantineTime, 40 s, not a flag). */
  readonly quarantineMs?: number;
}

/** kube-controller-manager's default --terminated-pod-gc-threshold. */
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12500;

/** Deletions in flight at once within one sweep. */
const PARALLEL = 10;

/** See the file comment. */
export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector-controller';
  readonly #ctx: ControllerContext;
  readonly #pods: Informer<Pod>;
  readonly #nodes: Informer<Node>;
  readonly #threshold: number;
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  /** Nodes pods name that the informer lacks, with when their quarantine ends (kube's delaying nodeQueue). */
  readonly #quarantine = new Map<string, number>();
  #timer: unknown;
  #stopped = false;
  /** The pass under way, if any. */
  #pass: Promise<void> | undefined;
  #done: (() => void) | undefined;

  constructor(ctx: ControllerContext, o: PodGCOptions = {}) {
    this.#ctx = ctx;
    this.#threshold = o.terminatedPodGCThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
    this.#periodMs = o.gcCheckPeriodMs ?? 20_000;
    this.#quarantineMs = o.quarantineMs ?? 40_000;
    this.#pods = ctx.informers.informer<Pod>({ resource: { resource: 'pods' }, transform: stripManagedFields });
    this.#nodes = ctx.informers.informer<Node>({ resource: { resource: 'nodes' }, transform: stripManagedFields });
  }

  /** A pass at once, then one every period after the last ended, until stop(); resolves once the last pass has ended. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#done = resolve;
      const tick = (): void => {
        if (this.#stopped) return;
        this.#pass = this.gc()
          .catch((e: unknown) => this.#ctx.log(`${this.name}: ${(e as Error).message}`))
          .finally(() => {
            this.#pass = undefined;
            if (this.#stopped) this.#done?.();
            else this.#timer = this.#ctx.clock.setTimeout(tick, this.#periodMs);
          });
      };
      tick();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#ctx.clock.clearTimeout(this.#timer);
    if (!this.#pass) this.#done?.();
  }

  /** One pass: the four sweeps of the file comment, in kube's order, over one snapshot of the caches. */
  async gc(): Promise<void> {
    const pods = this.#pods.list();
    const nodes = this.#nodes.list();
    if (this.#threshold > 0) {
      const excess = terminatedToDelete(pods, this.#threshold);
      if (excess.length > 0) this.#ctx.log(`${this.name}: ${excess.length} terminated pods beyond the threshold of ${this.#threshold}`);
      await this.#deleteAll(excess);
    }
    await this.#deleteAll(terminatingOutOfService(pods, (name) => this.#nodes.get(name)));
    await this.#gcOrphaned(pods, nodes);
    await this.#deleteAll(unscheduledTerminating(pods));
  }

  /** Quarantines nodes newly missing, looks up those whose quarantine is over, and deletes the pods of the ones gone. */
  async #gcOrphaned(pods: readonly Pod[], nodes: readonly Node[]): Promise<void> {
    const existing = new Set(nodes.map((n) => n.metadata.name!));
    const now = this.#ctx.clock.now();
    for (const p of pods) {
      const node = p.spec.nodeName;
      if (node && !existing.has(node) && !this.#quarantine.has(node)) this.#quarantine.set(node, now + this.#quarantineMs);
    }
    const gone = new Set<string>();
    for (const [node, until] of this.#quarantine) {
      if (until > now || this.#stopped) continue;
      this.#quarantine.delete(node); // still missing next pass: quarantined afresh
      if (existing.has(node)) continue;
      try {
        await this.#ctx.client.get({ resource: 'nodes', name: node });
      } catch (e) {
        if (isNotFound(e)) gone.add(node);
        else this.#ctx.log(`${this.name}: getting node ${node}: ${(e as Error).message}`);
      }
    }
    const orphans = pods.filter((p) => p.spec.nodeName && gone.has(p.spec.nodeName));
    for (const p of orphans) this.#ctx.log(`${this.name}: pod ${p.metadata.namespace}/${p.metadata.name} is bound to node ${p.spec.nodeName}, which no longer exists`);
    await this.#deleteAll(orphans, ORPHAN_CONDITION);
  }

  /** markFailedAndDelete for each pod, a few at a time. */
  async #deleteAll(pods: readonly Pod[], condition?: Omit<PodCondition, 'lastTransitionTime'>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pods.length && !this.#stopped) await this.#markFailedAndDelete(pods[next++]!, condition);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, pods.length) }, worker));
  }

  /** Sets a non-terminal pod Failed (with `condition`, if given), then deletes it with grace period 0; logs a failure. */
  async #markFailedAndDelete(pod: Pod, condition?: Omit<PodCondition, 'lastTransitionTime'>): Promise<void> {
    const { namespace, name } = pod.metadata;
    const ref = { resource: 'pods', namespace, name: name! };
    this.#ctx.log(`${this.name}: force deleting pod ${namespace}/${name}`);
    try {
      if (!isPodTerminal(pod)) {
        const status = { phase: 'Failed', ...(condition ? { conditions: [{ ...condition, lastTransitionTime: rfc3339(this.#ctx.clock.now()) }] } : {}) };
        await this.#ctx.client.patch({ ...ref, subresource: 'status' }, 'apply', { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name }, status }, { fieldManager: FIELD_MANAGER, force: true });
      }
      const uid = pod.metadata.uid;
      await this.#ctx.client.delete(ref, { gracePeriodSeconds: 0, ...(uid ? { preconditions: { uid } } : {}) });
    } catch (e) {
      // gone, or another pod of the same name now: nothing of ours to delete
      if (!isNotFound(e) && !isConflict(e)) this.#ctx.log(`${this.name}: deleting pod ${namespace}/${name}: ${(e as Error).message}`);
    }
  }
}

/** The registration, with --terminated-pod-gc-threshold (and, for tests, the periods). */
export function podGCController(o: PodGCOptions = {}): Registration {
  return { factory: (ctx) => new PodGCController(ctx, o), workers: 1 };
}
