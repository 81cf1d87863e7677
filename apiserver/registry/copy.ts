/**
 * Deep copies of JSON values, as the registry holds them (a parsed body, a
 * decoded stored object): plain objects, arrays and primitives.
 */

/**
 * A deep copy of `v`. Plain objects and arrays are copied by hand, about
 * eight times faster than structuredClone on a pod (every update copies the
 * stored object, and structuredClone's serializer was most of that cost);
 * anything else that is an object (a Date, a Buffer) goes to structuredClone.
 * An own `__proto__` key (JSON.parse makes one) stays an own key.
 */
export function copyJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const a = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) a[i] = copyJson(v[i] as unknown);
    return a as T;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: copyJson(src[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = copyJson(src[k]);
  }
  return out as T;
}
