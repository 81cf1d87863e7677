/**
 * Admission checks of the registry (Kubernetes' admission plugins that
 * kubeling has): each runs on a create after validation and throws to refuse.
 */
import type { KubeObject } from '../api/meta.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import type { GenericStore } from './generic.js';

/**
 * NamespaceLifecycle: an object is created only in a namespace that exists
 * and is not being deleted (NotFound, or Forbidden with Kubernetes' message).
 */
export function namespaceLifecycle(namespaces: GenericStore): (obj: KubeObject, store: GenericStore) => Promise<void> {
  return async (obj, store) => {
    const ns = obj.metadata.namespace;
    if (!store.strategy.info.namespaced || ns === undefined) return;
    const found = await namespaces.cached(undefined, ns);
    if (!found) throw new NotFoundError('namespaces', ns);
    const phase = (found.status as { phase?: string } | undefined)?.phase;
    if (found.metadata.deletionTimestamp || phase === 'Terminating') {
      throw new ForbiddenError(store.qualifiedResource, obj.metadata.name ?? '', `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  };
}
