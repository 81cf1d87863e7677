/**
 * Controller references (metav1.GetControllerOf, NewControllerRef) and the
 * ControllerRef manager of Kubernetes' controller_ref_manager.go: a
 * controller claims the objects it should manage from those its informer
 * holds.
 *
 * For each candidate (in the controller's namespace):
 * - controlled by another controller (a controller reference with another
 *   uid): left alone;
 * - controlled by this one: kept while the selector matches; released (its
 *   controller reference deleted by a strategic merge patch) when it no
 *   longer does, unless this controller is being deleted;
 * - an orphan the selector matches, not being deleted, while this
 *   controller is not being deleted: adopted (a controller reference with
 *   controller and blockOwnerDeletion true added by a strategic merge
 *   patch), after `canAdopt` (a fresh read of the controller, made at most
 *   once per claim) says it is still there and not being deleted.
 * An adopt or release of an object that is gone (404) is not an error and
 * does not claim it; a release refused as Invalid (the reference is already
 * gone) neither. Other errors are collected, the claim goes on, and the
 * first is thrown at the end. The patches carry the object's uid, as
 * Kubernetes' do, so that they apply to that object only.
 */
import { ApiError, isInvalid, isNotFound } from '../../client/errors.js';
import type { ResourceRef, RestClient } from '../../client/rest.js';
import type { KubeObject, OwnerReference } from '../../client/types.js';
import type { LabelMatcher } from './selector.js';

/** The object's controller reference (the owner reference with controller true), if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `owner` is the object's controller (same uid). */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * The owner a controller reference names, if the cache has it with that uid
 * and it is of `kind` (and `apiVersion`, when given): kube's
 * resolveControllerRef.
 */
export function resolveControllerRef<T extends KubeObject>(
  cache: { get(key: string): T | undefined },
  namespace: string | undefined,
  ref: OwnerReference | undefined,
  kind: string,
  apiVersion?: string,
): T | undefined {
  if (!ref || ref.kind !== kind || (apiVersion !== undefined && ref.apiVersion !== apiVersion)) return undefined;
  const owner = cache.get(`${namespace ?? ''}/${ref.name}`);
  return owner?.metadata.uid === ref.uid ? owner : undefined;
}

/** The controller reference to `owner` (of `apiVersion`/`kind`) that its objects carry. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** What a ControllerRefManager works on. */
export interface ClaimOptions {
  readonly client: RestClient;
  /** The claimed objects' resource (pods, apps/v1 replicasets), without namespace or name. */
  readonly resource: ResourceRef;
  /** The controller and its kind's apiVersion and kind. */
  readonly controller: KubeObject;
  readonly apiVersion: string;
  readonly kind: string;
  readonly selector: LabelMatcher;
  /** Throws when the controller may not adopt (gone, another uid, being deleted); called at most once. */
  readonly canAdopt: () => Promise<void>;
}

/**
 * A fresh read of the controller for `canAdopt` (controller.RecheckDeletionTimestamp):
 * fails when it is gone, has another uid, or is being deleted.
 */
export function recheckDeletion(client: RestClient, ref: ResourceRef & { name: string }, uid: string | undefined): () => Promise<void> {
  return async () => {
    const fresh = await client.get(ref);
    if (fresh.metadata.uid !== uid) throw new Error(`original ${ref.resource} ${ref.namespace}/${ref.name} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${uid ?? ''}`);
    if (fresh.metadata.deletionTimestamp) throw new Error(`${ref.namespace}/${ref.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  };
}

/** Claims `candidates` for the controller (see the file comment): the objects it manages. */
export async function claim<T extends KubeObject>(o: ClaimOptions, candidates: readonly T[]): Promise<T[]> {
  const controller = o.controller.metadata;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptable: Promise<void> | undefined;
  const patch = (obj: T, body: unknown): Promise<unknown> =>
    o.client.patch({ ...o.resource, namespace: obj.metadata.namespace, name: obj.metadata.name! }, 'strategic', body);
  for (const obj of candidates) {
    const ref = controllerOf(obj);
    const matches = o.selector(obj.metadata.labels);
    try {
      if (ref) {
        if (ref.uid !== controller.uid) continue;
        if (matches) {
          claimed.push(obj);
          continue;
        }
        if (controller.deletionTimestamp) continue;
        try {
          await patch(obj, { metadata: { ownerReferences: [{ $patch: 'delete', uid: controller.uid }], uid: obj.metadata.uid } });
        } catch (e) {
          if (!isNotFound(e) && !isInvalid(e)) throw e;
        }
        continue;
      }
      if (controller.deletionTimestamp || !matches || obj.metadata.deletionTimestamp) continue;
      if (controller.namespace && obj.metadata.namespace !== controller.namespace) continue;
      await (adoptable ??= o.canAdopt()).catch((e: unknown) => {
        throw new Error(`can't adopt ${o.resource.resource} ${obj.metadata.namespace}/${obj.metadata.name} (${obj.metadata.uid ?? ''}): ${(e as Error).message}`);
      });
      try {
        await patch(obj, { metadata: { ownerReferences: [newControllerRef(o.controller, o.apiVersion, o.kind)], uid: obj.metadata.uid } });
        claimed.push(obj);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0] instanceof ApiError || errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
  return claimed;
}
