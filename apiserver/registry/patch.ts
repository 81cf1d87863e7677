/**
 * The three patch formats of PATCH, as pure functions over JSON values:
 * JSON patch (RFC 6902), JSON merge patch (RFC 7386) and Kubernetes'
 * strategic merge patch. A patch that cannot apply throws PatchError, which
 * the registry reports as Kubernetes does (422 for a failed JSON patch
 * operation, 400 for a malformed patch).
 *
 * Strategic merge patch differs from a merge patch in lists and directives:
 * - a list whose field has a merge key (MergeKeys, e.g. `spec.containers` by
 *   `name`) is merged element by element, matched by that key; one listed
 *   with the key '' is a set of primitives (merged as a union, as
 *   `metadata.finalizers`); any other list is replaced;
 * - `$patch: replace` replaces a map (or, as an element, the whole list),
 *   `$patch: delete` deletes a map (or, in a merged list, the element with
 *   its key); `$retainKeys` keeps only the keys it lists;
 *   `$deleteFromPrimitiveList/<field>` removes values from a primitive list;
 *   `$setElementOrder/<field>` orders a merged list.
 */
import type { KubeObject } from '../api/meta.js';
import { BadRequestError, UnprocessableError } from './errors.js';
import type { PatchType } from './generic.js';
import { copyJson } from './copy.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Merge keys by field path: `spec.containers` → `name`; list elements are `[]` (`spec.containers[].ports`). '' is a primitive set. */
export type MergeKeys = Readonly<Record<string, string>>;

/** A patch that cannot be applied; `invalid` when the patch is well formed but an operation fails (JSON patch `test`, a missing path). */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly invalid = false,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/** RFC 6902 over a copy of `doc`. */
export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out = copyJson(doc);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new PatchError('the patch operation must have "op" and "path"');
    const { op, path } = raw;
    const value = raw.value;
    const from = typeof raw.from === 'string' ? raw.from : undefined;
    switch (op) {
      case 'add':
        out = put(out, pointer(path), value === undefined ? missing('value', op) : value, true);
        break;
      case 'replace':
        get(out, pointer(path), op);
        out = put(out, pointer(path), value === undefined ? missing('value', op) : value, false);
        break;
      case 'remove':
        out = remove(out, pointer(path), op);
        break;
      case 'move': {
        const v = get(out, pointer(from ?? missing('from', op)), op);
        out = put(remove(out, pointer(from!), op), pointer(path), v, true);
        break;
      }
      case 'copy':
        out = put(out, pointer(path), copyJson(get(out, pointer(from ?? missing('from', op)), op)), true);
        break;
      case 'test':
        if (JSON.stringify(canonical(get(out, pointer(path), op))) !== JSON.stringify(canonical(value ?? null))) {
          throw new PatchError(`testing value ${path} failed: test failed`, true);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op}`);
    }
  }
  return out;
}

function missing(field: string, op: string): never {
  throw new PatchError(`missing ${field} for ${op} operation`);
}

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k]!)]));
  return v;
}

function pointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(p)}`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function child(container: Json, key: string, op: string, forInsert = false): { index?: number } {
  if (Array.isArray(container)) {
    if (forInsert && key === '-') return { index: container.length };
    const i = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(i) || i > container.length || (!forInsert && i === container.length)) throw new PatchError(`${op} operation does not apply: doc is missing key: ${key}`, true);
    return { index: i };
  }
  if (!isObj(container)) throw new PatchError(`${op} operation does not apply: doc is missing path`, true);
  return {};
}

function get(doc: Json, path: string[], op: string): Json {
  let cur = doc;
  for (const k of path) {
    const { index } = child(cur, k, op);
    if (index !== undefined) cur = (cur as Json[])[index]!;
    else if (Object.hasOwn(cur as Obj, k)) cur = (cur as Obj)[k]!;
    else throw new PatchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`, true);
  }
  return cur;
}

function put(doc: Json, path: string[], value: Json, insert: boolean): Json {
  if (path.length === 0) return copyJson(value);
  const parent = get(doc, path.slice(0, -1), insert ? 'add' : 'replace');
  const key = path.at(-1)!;
  const { index } = child(parent, key, insert ? 'add' : 'replace', insert);
  if (index !== undefined) (parent as Json[]).splice(index, insert ? 0 : 1, copyJson(value));
  else (parent as Obj)[key] = copyJson(value);
  return doc;
}

function remove(doc: Json, path: string[], op: string): Json {
  if (path.length === 0) throw new PatchError(`${op} operation does not apply: cannot remove the whole document`, true);
  const parent = get(doc, path.slice(0, -1), op);
  const key = path.at(-1)!;
  const { index } = child(parent, key, op);
  if (index !== undefined) (parent as Json[]).splice(index, 1);
  else if (Object.hasOwn(parent as Obj, key)) delete (parent as Obj)[key];
  else throw new PatchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`, true);
  return doc;
}

const DELETE_FROM = '$deleteFromPrimitiveList/';
const ORDER = '$setElementOrder/';

/** Kubernetes' strategic merge patch of `target` (see the file comment); `keys` per field path. */
export function strategicMergePatch(target: Json, patch: Json, keys: MergeKeys = {}): Json {
  if (!isObj(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  return smpMap(isObj(target) ? target : {}, patch, keys, '') ?? {};
}

function smpMap(target: Obj, patch: Obj, keys: MergeKeys, path: string): Obj | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch);
  if (directive !== undefined) throw new PatchError(`Unexpected kind: ${JSON.stringify(directive)}`);
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k.startsWith(ORDER)) continue;
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    const fieldPath = path ? `${path}.${k}` : k;
    if (v === null) {
      delete out[k];
    } else if (isObj(v)) {
      const merged = smpMap(isObj(out[k]) ? (out[k] as Obj) : {}, v, keys, fieldPath);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = smpList(Array.isArray(out[k]) ? (out[k] as Json[]) : [], v, keys, fieldPath);
    } else {
      out[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(ORDER) || !Array.isArray(v)) continue;
    const field = k.slice(ORDER.length);
    const list = out[field];
    if (Array.isArray(list)) out[field] = ordered(list, v, keys[path ? `${path}.${field}` : field]);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.filter((x): x is string => typeof x === 'string'));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function smpList(target: Json[], patch: Json[], keys: MergeKeys, path: string): Json[] {
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) return patch.filter((e) => !(isObj(e) && e.$patch === 'replace')).map(stripDeep);
  const key = keys[path];
  if (key === undefined) return patch.map(stripDeep);
  if (key === '') {
    const out = [...target];
    const seen = new Set(out.map((x) => JSON.stringify(x)));
    for (const e of patch) if (!seen.has(JSON.stringify(e))) out.push(e);
    return out;
  }
  const out = [...target];
  for (const e of patch) {
    if (!isObj(e)) throw new PatchError(`the list ${path} is merged by "${key}": its elements must be objects`);
    if (!(key in e)) throw new PatchError(`map: ${JSON.stringify(e)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((x) => isObj(x) && JSON.stringify(x[key]) === JSON.stringify(e[key]));
    if (e.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    const merged = smpMap(at >= 0 ? (out[at] as Obj) : {}, e, keys, `${path}[]`);
    if (merged === undefined) continue;
    if (at >= 0) out[at] = merged;
    else out.push(merged);
  }
  return out;
}

/** `list` in the order `order` gives (by merge key, or by value for primitives); the rest after, as they were. */
function ordered(list: Json[], order: Json[], key: string | undefined): Json[] {
  const id = (x: Json): string => JSON.stringify(key && isObj(x) ? x[key] : x);
  const rank = new Map(order.map((o, i) => [JSON.stringify(key && isObj(o) ? o[key] : o), i]));
  return [...list].sort((a, b) => (rank.get(id(a)) ?? order.length) - (rank.get(id(b)) ?? order.length));
}

function stripDirectives(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!k.startsWith('$')) out[k] = stripDeep(v);
  return out;
}

function stripDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDeep);
  return isObj(v) ? stripDirectives(v) : v;
}

/** `patch` applied to `old` as `type` says; BadRequest or Unprocessable (a failed operation) when it cannot be. */
export function applyPatch(old: KubeObject, type: PatchType, patch: unknown, mergeKeys: MergeKeys): unknown {
  if (type === 'apply') throw new BadRequestError('apply patches are not supported for this subresource');
  try {
    if (type === 'json') return jsonPatch(old as never, patch as never);
    if (type === 'merge') return mergePatch(old as never, patch as never);
    return strategicMergePatch(old as never, patch as never, mergeKeys);
  } catch (e) {
    if (!(e instanceof PatchError)) throw e;
    if (e.invalid) throw new UnprocessableError(`the server rejected our request due to an error in our request: ${e.message}`);
    throw new BadRequestError(e.message);
  }
}
