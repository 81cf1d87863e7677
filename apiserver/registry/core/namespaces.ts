/**
 * namespaces: cluster-scoped, and deleted in two steps as kube-apiserver
 * deletes them.
 *
 * - A new namespace is Active and carries the `kubernetes` finalizer in
 *   spec.finalizers (added if the body lists others).
 * - spec.finalizers belong to the `finalize` subresource (PUT
 *   /api/v1/namespaces/{name}/finalize): a write to the object keeps them,
 *   as a write to the object keeps the status (/status's).
 * - A DELETE while spec.finalizers or metadata.finalizers hold anything only
 *   marks the namespace: deletionTimestamp (no grace period) and phase
 *   Terminating. The namespace controller then empties it and removes
 *   `kubernetes` through /finalize; once both lists are empty the namespace
 *   is gone (the generic store deletes an object being deleted when its last
 *   finalizer goes, counting these through Strategy.finalizers).
 */
import { Namespace } from '../../api/core/v1.js';
import { dns1123Label, invalid, qualifiedName, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import { AGE, NAME, age, column } from '../printer.js';
import type { Strategy } from '../strategy.js';

/** The namespace controller's finalizer (FinalizerKubernetes). */
export const FINALIZER_KUBERNETES = 'kubernetes';

/** The finalizer names valid without a domain prefix (Kubernetes' standard finalizers). */
const STANDARD_FINALIZERS = new Set([FINALIZER_KUBERNETES, 'orphan', 'foregroundDeletion']);

interface NamespaceFields {
  spec?: { finalizers?: string[] };
  status?: { phase?: string };
}

function specFinalizers(obj: KubeObject): string[] {
  return (obj as NamespaceFields).spec?.finalizers ?? [];
}

/** The errors of a namespace: its name a DNS label, each spec finalizer a qualified name (or a standard one). */
function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj.metadata, dns1123Label);
  specFinalizers(obj).forEach((f, i) => {
    const field = `spec.finalizers[${i}]`;
    for (const e of qualifiedName(f)) errs.push(invalid(field, f, e));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) errs.push(invalid(field, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  });
  return errs;
}

export const namespaces = {
  info: { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'] },
  schema: Namespace,
  defaults(obj: KubeObject): void {
    obj.spec ??= {};
    const status = (obj.status ??= {}) as { phase?: string };
    status.phase ||= 'Active';
    // the name label every namespace carries (NamespaceDefaultLabelName)
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
  },
  prepareCreate(obj: KubeObject): void {
    const spec = obj.spec as { finalizers?: string[] };
    if (!spec.finalizers?.includes(FINALIZER_KUBERNETES)) spec.finalizers = [...(spec.finalizers ?? []), FINALIZER_KUBERNETES];
  },
  // spec.finalizers are /finalize's to change
  prepareUpdate(obj: KubeObject, old: KubeObject): void {
    const spec = (obj.spec ??= {}) as { finalizers?: string[] };
    const kept = (old as NamespaceFields).spec?.finalizers;
    if (kept === undefined) delete spec.finalizers;
    else spec.finalizers = [...kept];
  },
  updates: {
    // a write to /finalize takes the body's spec.finalizers (and metadata); the status stays
    finalize: () => {},
  },
  finalizers: specFinalizers,
  markDeleted(obj: KubeObject): void {
    // a namespace is marked, not graced: kube-apiserver sets only the deletionTimestamp
    delete obj.metadata.deletionGracePeriodSeconds;
    ((obj.status ??= {}) as { phase?: string }).phase = 'Terminating';
  },
  validate,
  returnDeletedObject: true,
  // a new namespace starts Active (defaults); its phase is /status's to change
  status: { onCreate: 'clear' },
  printer: {
    columns: [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
    cells: (obj, now) => [obj.metadata.name, ((obj.status ?? {}) as { phase?: string }).phase ?? '', age(obj.metadata.creationTimestamp, now)],
  },
  fields: (obj) => ({ 'status.phase': ((obj.status ?? {}) as { phase?: string }).phase ?? '' }),
} satisfies Strategy;
