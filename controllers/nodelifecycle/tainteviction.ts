/**
 * The taint eviction controller (kube-controller-manager's
 * taint-eviction-controller): pods on a node with NoExecute taints are
 * evicted unless they tolerate every one.
 *
 * - A pod that does not tolerate a NoExecute taint of its node is evicted
 *   at once.
 * - A pod that tolerates them all, some for a limited time
 *   (tolerationSeconds), is evicted when the shortest of those runs out,
 *   counted from the taint's timeAdded (or from when it was seen); a pod
 *   whose tolerations have no limit stays.
 * - A taint removed, or a pod gone or moved, cancels its eviction.
 *
 * Eviction is kube's: the pod gets the DisruptionTarget condition (reason
 * DeletionByTaintManager), an event TaintManagerEviction `Marking for
 * deletion Pod ns/name`, and a graceful delete. Pods already being deleted
 * are left alone. (The DefaultTolerationSeconds admission gives every pod
 * 300 s tolerations for not-ready and unreachable, so a stopped node's pods
 * go after five minutes.)
 */
import { rfc3339 } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { NODE_NAME_INDEX, byNodeName, stripManagedFields, type Informer } from '../../client/informer.js';
import { isNotFound } from '../../client/errors.js';
import { toleratesTaint } from '../../client/taints.js';
import type { Node, Pod, Taint } from '../../client/types.js';
import type { ControllerContext } from '../controller.js';
import { QueueController } from '../controller.js';
import type { Registration } from '../manager.js';

/** When a pod on a node with `taints` must go: 'now', a time in ms, or undefined (never). */
export function evictionTime(pod: Pod, taints: readonly Taint[], seenMs: number): 'now' | number | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = (pod.spec.tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return 'now';
    const limits = matching.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
    if (limits.length === 0) continue; // tolerated for ever
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    const due = (Number.isNaN(added) ? seenMs : added) + Math.max(0, Math.min(...limits)) * 1000;
    at = at === undefined ? due : Math.min(at, due);
  }
  return at;
}

/** See the file comment. Keys are pods' `namespace/name`. */
export class TaintEvictionController extends QueueController {
  readonly #nodes: Informer<Node>;
  readonly #pods: Informer<Pod>;
  readonly #events: EventRecorder;
  /** When each pod's NoExecute taints were first seen, by pod key and taint (for taints without timeAdded). */
  readonly #seen = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    super('taint-eviction-controller', ctx);
    const transform = stripManagedFields;
    this.#nodes = ctx.informers.informer<Node>({ resource: { resource: 'nodes' }, transform });
    this.#pods = ctx.informers.informer<Pod>({ resource: { resource: 'pods' }, transform });
    this.#pods.addIndexer(NODE_NAME_INDEX, byNodeName);
    this.#events = new EventRecorder(ctx.client, { component: 'taint-eviction-controller', log: ctx.log });
    const key = (p: Pod): string => `${p.metadata.namespace}/${p.metadata.name}`;
    const forNode = (n: Node): void => {
      for (const p of this.#pods.byIndex(NODE_NAME_INDEX, n.metadata.name!)) this.queue.add(key(p));
    };
    this.#nodes.addEventHandler({ onAdd: forNode, onUpdate: (_o, n) => forNode(n) });
    this.#pods.addEventHandler({ onAdd: (p) => this.queue.add(key(p)), onUpdate: (_o, p) => this.queue.add(key(p)), onDelete: (p) => this.#seen.delete(key(p)) });
  }

  protected async sync(key: string): Promise<void> {
    const pod = this.#pods.get(key);
    const node = pod?.spec.nodeName ? this.#nodes.get(pod.spec.nodeName) : undefined;
    const taints = (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (!pod || !node || pod.metadata.deletionTimestamp || taints.length === 0) {
      this.#seen.delete(key);
      return;
    }
    const now = this.ctx.clock.now();
    const seen = this.#seen.get(key) ?? now;
    this.#seen.set(key, seen);
    const when = evictionTime(pod, taints, seen);
    if (when === undefined) return;
    if (when !== 'now' && when > now) {
      this.queue.addAfter(key, when - now); // looked at again then; a change before re-queues it sooner
      return;
    }
    await this.#evict(pod);
  }

  async #evict(pod: Pod): Promise<void> {
    const ref = { resource: 'pods', namespace: pod.metadata.namespace, name: pod.metadata.name! };
    const condition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
      lastTransitionTime: rfc3339(this.ctx.clock.now()),
    };
    try {
      await this.ctx.client.patch({ ...ref, subresource: 'status' }, 'strategic', { status: { conditions: [condition] } });
      this.#events.eventf({ ...pod, kind: 'Pod', apiVersion: 'v1' }, 'Normal', 'TaintManagerEviction', 'Marking for deletion Pod %s/%s', pod.metadata.namespace, pod.metadata.name);
      await this.ctx.client.delete(ref, { preconditions: { uid: pod.metadata.uid ?? '' } });
      this.ctx.log(`${this.name}: evicted ${pod.metadata.namespace}/${pod.metadata.name} from ${pod.spec.nodeName}`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/** The registration: a few workers, as evictions are independent of each other. */
export const taintEvictionController: Registration = { factory: (ctx) => new TaintEvictionController(ctx), workers: 4 };
