/** namespaces: cluster-scoped; a new one is Active with the kubernetes finalizer, as kube-apiserver makes it. */
import { Namespace } from '../../api/core/v1.js';
import { dns1123Label, validateMeta, type KubeObject } from '../../api/meta.js';
import { AGE, NAME, age, column } from '../printer.js';
import type { Strategy } from '../strategy.js';

export const namespaces = {
  info: { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'] },
  schema: Namespace,
  defaults(obj: KubeObject): void {
    const spec = (obj.spec ??= {}) as { finalizers?: string[] };
    spec.finalizers ??= ['kubernetes'];
    const status = (obj.status ??= {}) as { phase?: string };
    status.phase ??= 'Active';
    // the name label every namespace carries (NamespaceDefaultLabelName)
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
  },
  validate: (obj) => validateMeta(obj.metadata, dns1123Label),
  returnDeletedObject: true,
  // a new namespace starts Active (defaults); its phase is /status's to change
  status: { onCreate: 'clear' },
  printer: {
    columns: [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
    cells: (obj, now) => [obj.metadata.name, ((obj.status ?? {}) as { phase?: string }).phase ?? '', age(obj.metadata.creationTimestamp, now)],
  },
  fields: (obj) => ({ 'status.phase': ((obj.status ?? {}) as { phase?: string }).phase ?? '' }),
} satisfies Strategy;
