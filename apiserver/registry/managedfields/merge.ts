/**
 * The two object operations of server-side apply:
 * - merge: an applied configuration over the live object. Objects merge
 *   field by field, keyed lists element by element (matched by their keys),
 *   sets of primitives as a union; atomic lists and objects, and scalars,
 *   are the configuration's. Elements keep the live order, the
 *   configuration's elements in its order where they fall.
 * - prune: after a manager applies, the fields it applied last time and
 *   omits now go, unless another manager (or this apply) still owns them.
 */
import type { FieldSet } from './fieldset.js';
import { ListKeyError, elementsOf, fieldPath, isObject, type ApplySchema, type Json, type JsonObject } from './schema.js';

/** `config` merged over `live` (see the file comment); throws ListKeyError when the configuration's keyed lists lack keys. */
export function merge(live: JsonObject, config: JsonObject, schema: ApplySchema): JsonObject {
  return mergeValue(live, config, '', schema) as JsonObject;
}

function mergeValue(l: Json | undefined, r: Json, path: string, schema: ApplySchema): Json {
  if (l === undefined) return r;
  if (isObject(l) && isObject(r) && !schema.atomic(path)) {
    const out: JsonObject = { ...l };
    for (const [k, v] of Object.entries(r)) out[k] = mergeValue(l[k], v, fieldPath(path, k), schema);
    return out;
  }
  if (!Array.isArray(l) || !Array.isArray(r)) return r;
  const kind = schema.list(path);
  if (kind === 'atomic') return r;
  const re = elementsOf(kind, r, path);
  let le;
  try {
    le = elementsOf(kind, l, path);
  } catch (e) {
    if (e instanceof ListKeyError) return r; // a live list without keys: the configuration's
    throw e;
  }
  const elementPath = `${path}[]`;
  const out: Json[] = [];
  const emitted = new Set<string>();
  const rKeys = [...re.keys()];
  let ri = 0;
  const emit = (pe: string): void => {
    emitted.add(pe);
    const rv = re.get(pe)!;
    out.push(kind === 'set' || schema.atomic(elementPath) ? rv : mergeValue(le.get(pe), rv, elementPath, schema));
  };
  for (const [pe, lv] of le) {
    if (!re.has(pe)) {
      out.push(lv);
      continue;
    }
    if (emitted.has(pe)) continue;
    // a shared element: the configuration's elements before it come first
    while (ri < rKeys.length) {
      const k = rKeys[ri++]!;
      if (emitted.has(k)) continue;
      emit(k);
      if (k === pe) break;
    }
  }
  for (; ri < rKeys.length; ri++) if (!emitted.has(rKeys[ri]!)) emit(rKeys[ri]!);
  return out;
}

/**
 * `obj` without the fields of `last` (what the manager applied before) that
 * `keep` (what it applies now, and every other manager's fields) does not
 * have. A field `last` never had stays. Objects emptied by it go too.
 */
export function prune(obj: JsonObject, last: FieldSet, keep: FieldSet, schema: ApplySchema): JsonObject {
  return pruneObject(obj, '', last, keep, schema);
}

function pruneObject(o: JsonObject, path: string, last: FieldSet, keep: FieldSet | undefined, schema: ApplySchema): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    const kept = decide(v, `f:${k}`, fieldPath(path, k), last, keep, schema);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/**
 * The value at `pe` after pruning, or undefined when it goes: kept whole when
 * `keep` has it, pruned inside when `last` has fields under it (and gone when
 * that empties it), gone when `last` has it and `keep` nothing of it.
 */
function decide(v: Json, pe: string, path: string, last: FieldSet, keep: FieldSet | undefined, schema: ApplySchema): Json | undefined {
  const lastChild = last.children.get(pe);
  if (!last.members.has(pe) && !lastChild) return v; // never applied by this manager
  if (keep?.members.has(pe)) return v;
  const keepChild = keep?.children.get(pe);
  if (!lastChild || !(isObject(v) || Array.isArray(v))) return keepChild ? v : undefined;
  if (isObject(v)) {
    if (schema.atomic(path)) return keepChild ? v : undefined;
    const out = pruneObject(v, path, lastChild, keepChild, schema);
    return Object.keys(out).length === 0 && Object.keys(v).length > 0 ? undefined : out;
  }
  if (!Array.isArray(v)) return v;
  const kind = schema.list(path);
  if (kind === 'atomic') return v;
  let elements;
  try {
    elements = elementsOf(kind, v, path);
  } catch (e) {
    if (e instanceof ListKeyError) return v;
    throw e;
  }
  const list: Json[] = [];
  for (const [epe, e] of elements) {
    if (kind === 'set' || schema.atomic(`${path}[]`)) {
      const kept = leafDecision(e, epe, lastChild, keepChild);
      if (kept !== undefined) list.push(kept);
      continue;
    }
    const kept = decide(e, epe, `${path}[]`, lastChild, keepChild, schema);
    if (kept === undefined) continue;
    // an element that stays keeps its keys
    const keys = isObject(e) && isObject(kept) ? Object.fromEntries(kind.keys.filter((k) => e[k] !== undefined).map((k) => [k, e[k]!])) : {};
    list.push(isObject(kept) ? { ...keys, ...kept } : kept);
  }
  if (list.length === 0 && v.length > 0) return undefined;
  return list;
}

function leafDecision(v: Json, pe: string, last: FieldSet, keep: FieldSet | undefined): Json | undefined {
  if (!last.members.has(pe) && !last.children.has(pe)) return v;
  return keep?.members.has(pe) || keep?.children.has(pe) ? v : undefined;
}
