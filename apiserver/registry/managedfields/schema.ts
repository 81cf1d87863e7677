/**
 * What server-side apply needs to know of a kind's shape: which lists are
 * keyed (and by what), which are sets of primitives, which are atomic, and
 * which objects are atomic. It comes from the kind's merge keys (a list not
 * named there is atomic), with what Kubernetes' OpenAPI says beyond them:
 * - ports are keyed by their port and `protocol` (defaulting to TCP), and
 *   topology spread constraints by `topologyKey` and `whenUnsatisfiable`
 *   (x-kubernetes-list-map-keys);
 * - label selectors and the string maps `selector`/`nodeSelector` are atomic
 *   (x-kubernetes-map-type: atomic), and so are owner references.
 *
 * Paths are dotted, with `[]` for a list's elements:
 * `spec.template.spec.containers[].ports`.
 */
import type { MergeKeys } from '../patch.js';
import type { PathElement } from './fieldset.js';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A JSON object. */
export type JsonObject = { [k: string]: Json };

/** How a list merges: by keys (with defaults for missing key fields), as a set of primitives, or whole. */
export type ListKind = { readonly keys: readonly string[]; readonly defaults: Readonly<Record<string, Json>> } | 'set' | 'atomic';

/** A kind's shape for apply; see the file comment. */
export interface ApplySchema {
  /** How the list at `path` merges. */
  list(path: string): ListKind;
  /** Whether the object at `path` is replaced whole (not merged field by field). */
  atomic(path: string): boolean;
}

/** Key fields Kubernetes adds to a merge key, with their defaults. */
const EXTRA_KEYS: Record<string, { readonly key: string; readonly default?: Json }> = {
  containerPort: { key: 'protocol', default: 'TCP' },
  port: { key: 'protocol', default: 'TCP' },
  topologyKey: { key: 'whenUnsatisfiable' },
};

const ATOMIC_FIELDS = new Set(['selector', 'nodeSelector', 'labelSelector', 'namespaceSelector']);
const ATOMIC_PATHS = new Set(['metadata.ownerReferences[]']);

/**
 * The apply schema of a kind with these merge keys (ObjectMeta's included by
 * the caller); the top-level fields `atomicFields` names are atomic too (a
 * runtime.RawExtension's, as Kubernetes' schemas have them untyped).
 */
export function applySchema(mergeKeys: MergeKeys, atomicFields: readonly string[] = []): ApplySchema {
  return {
    list(path) {
      const key = mergeKeys[path];
      if (key === undefined) return 'atomic';
      if (key === '') return 'set';
      const extra = EXTRA_KEYS[key];
      const keys = extra ? [key, extra.key].sort() : [key];
      return { keys, defaults: extra?.default !== undefined ? { [extra.key]: extra.default } : {} };
    },
    atomic(path) {
      return ATOMIC_PATHS.has(path) || atomicFields.includes(path) || ATOMIC_FIELDS.has(path.slice(path.lastIndexOf('.') + 1));
    },
  };
}

/** A list element's key fields are missing, or two elements share a key. */
export class ListKeyError extends Error {
  override name = 'ListKeyError';
}

/** Whether `v` is a JSON object. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The path element of a list's element: `k:{...}` for a keyed list, `v:...` for a set; throws ListKeyError without its keys. */
export function elementOf(kind: Exclude<ListKind, 'atomic'>, e: Json, path: string, index: number): PathElement {
  if (kind === 'set') return `v:${JSON.stringify(e)}`;
  if (!isObject(e)) throw new ListKeyError(`.${path}: element ${index}: associative list with keys has an element that is not a map`);
  const key: JsonObject = {};
  for (const k of kind.keys) {
    const v = e[k] ?? kind.defaults[k];
    if (v === undefined) throw new ListKeyError(`.${path}: element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
    key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}

/** A list's elements by their path elements, in order; throws ListKeyError on a duplicate. */
export function elementsOf(kind: Exclude<ListKind, 'atomic'>, list: readonly Json[], path: string): Map<PathElement, Json> {
  const out = new Map<PathElement, Json>();
  list.forEach((e, i) => {
    const pe = elementOf(kind, e, path, i);
    if (out.has(pe)) throw new ListKeyError(`.${path}: duplicate entries for key ${pe.slice(2)}`);
    out.set(pe, e);
  });
  return out;
}

/** `base.field`, or `field` at the root. */
export function fieldPath(base: string, field: string): string {
  return base ? `${base}.${field}` : field;
}
