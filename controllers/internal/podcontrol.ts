/**
 * Creating and deleting a controller's pods, with the events Kubernetes'
 * RealPodControl records on the controller (core/v1, as the controller
 * manager's recorders write them):
 *   SuccessfulCreate  "Created pod: <name>"      FailedCreate  "Error creating: <error>"
 *   SuccessfulDelete  "Deleted pod: <name>"      FailedDelete  "Error deleting: <error>"
 * A create refused because the namespace is being deleted records nothing;
 * neither does the delete of a pod already gone (the error is still thrown).
 *
 * And slowStartBatch: `count` calls made in batches of 1, 2, 4 ... (each
 * batch's calls at once), stopping after the first batch with a failure.
 */
import type { EventRecorder } from '../../client/events.js';
import { isNotFound } from '../../client/errors.js';
import type { RestClient } from '../../client/rest.js';
import type { KubeObject, OwnerReference, Pod } from '../../client/types.js';
import type { PodTemplateSpec } from './types.js';

/** Whether an error says the namespace is being deleted (its Status cause NamespaceTerminating, or kube's message). */
export function namespaceTerminating(e: unknown): boolean {
  const s = (e as { status?: { details?: { causes?: { reason?: string }[] }; message?: string } }).status;
  return (s?.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating') || /because it is being terminated/.test(s?.message ?? '');
}

/**
 * The pod a controller creates from its template (controller.GetPodFromTemplate):
 * the template's labels, annotations and finalizers, `generateName`
 * `<controller>-`, the controller reference, and the template's spec.
 */
export function podFromTemplate(template: PodTemplateSpec, controllerName: string, ref: OwnerReference): Pod {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${controllerName}-`,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers?.length ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ref],
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
}

/** Creates and deletes a controller's pods, recording events on it; see the file comment. */
export class PodControl {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
  ) {}

  /** Creates a pod from `template` in `namespace`, controlled by `controller` through `ref`. */
  async createPod(namespace: string, template: PodTemplateSpec, controller: KubeObject, ref: OwnerReference): Promise<Pod> {
    const pod = podFromTemplate(template, controller.metadata.name ?? '', ref);
    if (Object.keys(pod.metadata.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
    try {
      const created = await this.client.create<Pod>({ resource: 'pods', namespace }, pod);
      this.recorder.eventf(controller, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata.name);
      return created;
    } catch (e) {
      if (!namespaceTerminating(e)) this.recorder.eventf(controller, 'Warning', 'FailedCreate', 'Error creating: %s', (e as Error).message);
      throw e;
    }
  }

  /** Deletes the pod `name` of `namespace`, a pod of `controller`. */
  async deletePod(namespace: string, name: string, controller: KubeObject): Promise<void> {
    try {
      await this.client.delete({ resource: 'pods', namespace, name });
      this.recorder.eventf(controller, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', name);
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.recorder.eventf(controller, 'Warning', 'FailedDelete', 'Error deleting: %s', (e as Error).message);
      throw new Error(`unable to delete pods: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * Calls `fn` `count` times in batches of `initial`, then twice the last
 * size (all of a batch at once), up to what remains; after a batch with a
 * failure, no more. Resolves with the successes and the first error.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<unknown>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= size;
  }
  return { successes };
}
