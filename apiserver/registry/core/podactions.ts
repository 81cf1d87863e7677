/**
 * The pod subresources that act rather than read or write the pod:
 *
 * - `binding` (v1 Binding): the scheduler's assignment of a pod to a node.
 *   Sets spec.nodeName and the PodScheduled condition together; refused
 *   (409) for a pod already assigned or being deleted.
 * - `eviction` (policy/v1 Eviction): a deletion that disruption budgets may
 *   refuse (`kubectl drain`). Kubeling serves no PodDisruptionBudgets yet, so
 *   every eviction is allowed and deletes the pod with its DeleteOptions.
 *
 * Both answer 201 with a Success Status, as kube-apiserver does.
 */
import type { KubeObject } from '../../api/meta.js';
import { BadRequestError, ConflictError } from '../errors.js';
import { timestamp, type DeleteOptions, type GenericStore } from '../generic.js';
import type { Action } from '../strategy.js';

/** The Status a successful action answers with. */
const SUCCESS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };

interface Binding {
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> | null };
  target?: { kind?: string; name?: string };
}

interface PodCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

/** pods/binding: see the file comment. */
export const binding: Action = {
  kind: { group: '', version: 'v1', kind: 'Binding' },
  async post(store, namespace, name, body, opts) {
    const b = asObject<Binding>(body, 'Binding');
    if (b.metadata?.name !== undefined && b.metadata.name !== name) throw new BadRequestError('name in URL does not match name in Binding object');
    const target = b.target ?? {};
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') throw new BadRequestError('must be empty or \'Node\'');
    if (!target.name) throw new BadRequestError('Binding target.name is required');
    await store.mutate(
      namespace,
      name,
      (pod) => {
        const spec = (pod.spec ??= {}) as { nodeName?: string };
        if (pod.metadata.deletionTimestamp) throw new ConflictError(store.qualifiedResource, name, `pod ${name} is being deleted, cannot be assigned to a host`);
        if (spec.nodeName) throw new ConflictError(store.qualifiedResource, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
        spec.nodeName = target.name;
        if (b.metadata?.annotations) pod.metadata.annotations = { ...pod.metadata.annotations, ...b.metadata.annotations };
        setCondition(pod, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(new Date()) });
        return pod;
      },
      opts,
    );
    return SUCCESS;
  },
};

interface Eviction {
  kind?: string;
  metadata?: { name?: string };
  deleteOptions?: DeleteOptions | null;
}

/** pods/eviction: see the file comment. */
export const eviction: Action = {
  kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
  async post(store: GenericStore, namespace, name, body, opts) {
    const e = asObject<Eviction>(body, 'Eviction');
    if (e.metadata?.name !== undefined && e.metadata.name !== name) throw new BadRequestError('name in URL does not match name in Eviction object');
    await store.delete(namespace, name, { ...e.deleteOptions, dryRun: opts.dryRun ?? false });
    return SUCCESS;
  },
};

/** The pod subresources of this file, for the pods strategy. */
export const podActions = { binding, eviction };

function asObject<T>(body: unknown, kind: string): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError(`the body of the request must be a ${kind}`);
  const k = (body as { kind?: unknown }).kind;
  if (k !== undefined && k !== kind) throw new BadRequestError(`the kind of the object (${String(k)}) does not match the kind of the URL (${kind})`);
  return body as T;
}

/** Sets a condition of the pod's status, keeping its transition time when its status does not change. */
function setCondition(pod: KubeObject, c: PodCondition): void {
  const status = (pod.status ??= {}) as { conditions?: PodCondition[] };
  const conditions = (status.conditions ??= []);
  const i = conditions.findIndex((x) => x.type === c.type);
  if (i < 0) conditions.push(c);
  else conditions[i] = conditions[i]!.status === c.status ? { ...conditions[i]!, ...c, lastTransitionTime: conditions[i]!.lastTransitionTime ?? null } : c;
}
