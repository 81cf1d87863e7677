/**
 * The informer's cache (client-go's thread-safe store with indexers): objects
 * by key, `namespace/name` or `name` for cluster-scoped ones, and named
 * indexes from a value to the keys of the objects whose index function gives
 * it. Every set and delete keeps every index in step.
 */
import type { KubeObject } from './types.js';

/** The cache key of an object: `namespace/name`, or `name` when it has no namespace. */
export function keyOf(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/**
 * Objects by namespace (client-go's NamespaceIndex and MetaNamespaceIndexFunc).
 * Controllers that share an informer add it under this one name, so the
 * shared cache keeps one such index, not one per controller.
 */
export const NAMESPACE_INDEX = 'namespace';
export function byNamespace(obj: KubeObject): string[] {
  return [obj.metadata.namespace ?? ''];
}

/** Pods by the node they are bound to (none for an unbound pod); shared as NAMESPACE_INDEX is. */
export const NODE_NAME_INDEX = 'spec.nodeName';
export function byNodeName(obj: KubeObject): string[] {
  const node = (obj as { spec?: { nodeName?: string } }).spec?.nodeName;
  return node ? [node] : [];
}

/** Objects by key, with indexes; see the file comment. */
export class Indexer<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  // invariant: for each index, value → keys is exactly { key | value ∈ fn(items[key]) }
  readonly #indexes = new Map<string, { fn: (obj: T) => string[]; byValue: Map<string, Set<string>> }>();

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** Adds or replaces an object. */
  set(obj: T): void {
    const key = keyOf(obj);
    this.#unindex(key);
    this.#items.set(key, obj);
    for (const ix of this.#indexes.values()) this.#index(ix, key, obj);
  }

  /** Removes an object; a no-op when absent. */
  delete(key: string): void {
    this.#unindex(key);
    this.#items.delete(key);
  }

  /** Adds a named index (replacing one of the same name) over the objects present and to come. */
  addIndex(name: string, fn: (obj: T) => string[]): void {
    const ix = { fn, byValue: new Map<string, Set<string>>() };
    this.#indexes.set(name, ix);
    for (const [key, obj] of this.#items) this.#index(ix, key, obj);
  }

  /** The objects whose index `name` gives `value`; an Error for an unknown index. */
  byIndex(name: string, value: string): T[] {
    const ix = this.#indexes.get(name);
    if (!ix) throw new Error(`no index named ${JSON.stringify(name)}`);
    return [...(ix.byValue.get(value) ?? [])].map((k) => this.#items.get(k)!);
  }

  #index(ix: { fn: (obj: T) => string[]; byValue: Map<string, Set<string>> }, key: string, obj: T): void {
    for (const v of ix.fn(obj)) {
      let keys = ix.byValue.get(v);
      if (!keys) ix.byValue.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  #unindex(key: string): void {
    const old = this.#items.get(key);
    if (!old) return;
    for (const ix of this.#indexes.values()) {
      for (const v of ix.fn(old)) {
        const keys = ix.byValue.get(v);
        keys?.delete(key);
        if (keys?.size === 0) ix.byValue.delete(v);
      }
    }
  }
}
