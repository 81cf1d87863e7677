/**
 * Kubernetes' Semantic.DeepEqual over JSON values, and the canonical form
 * that agrees with it: what the workload controllers use to compare pod
 * templates and to hash them.
 *
 * Go's semantic equality holds a nil and an empty list or map equal; over
 * JSON that is: a missing field, null, `[]` and `{}` (and a map holding
 * only such values) are all the same. Key order never matters.
 */

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `v` is absent as Go sees it: undefined, null, an empty list, or a map of absent values. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.values(v).every(isEmpty);
}

/** Whether two JSON values are semantically equal (see the file comment). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => semanticEqual(v, b[i]));
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/**
 * The canonical JSON text of a value: absent values (see the file comment)
 * left out, keys sorted. Two values are semanticEqual exactly when their
 * canonical texts are the same, so it can be hashed.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(canonical(v)) ?? 'null';
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => (isEmpty(e) ? null : canonical(e)));
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) if (!isEmpty(v[k])) out[k] = canonical(v[k]);
  return out;
}
