/**
 * Field sets from objects, as structured-merge-diff computes them:
 * - toFieldSet: the fields an object (an applied configuration) sets. Leaves
 *   (scalars, empty objects and lists, atomic lists and objects) are
 *   members; an object's fields are not, unless they are leaves; a keyed
 *   list's elements and a set's values are (`.` when they have fields too).
 * - compare: what changed from one object to the next. A leaf is added,
 *   removed or modified; an object or list that appears or goes is added or
 *   removed itself too (so a new `data` map is `f:data: {.: {}, ...}`), one
 *   that changes inside is not.
 */
import { isDeepStrictEqual } from 'node:util';
import { FieldSet, type Path } from './fieldset.js';
import { ListKeyError, elementsOf, fieldPath, isObject, type ApplySchema, type Json, type JsonObject } from './schema.js';

/** The fields `obj` sets (see the file comment); throws ListKeyError for a keyed list whose elements lack their keys. */
export function toFieldSet(obj: JsonObject, schema: ApplySchema): FieldSet {
  const root = new FieldSet();
  visitObject(obj, '', root, schema);
  return root;
}

function visitObject(o: JsonObject, path: string, node: FieldSet, schema: ApplySchema): void {
  for (const [k, v] of Object.entries(o)) visitValue(v, fieldPath(path, k), node, `f:${k}`, schema);
}

function visitValue(v: Json, path: string, node: FieldSet, pe: string, schema: ApplySchema): void {
  if (isObject(v) && Object.keys(v).length > 0 && !schema.atomic(path)) {
    visitObject(v, path, node.child(pe), schema);
    return;
  }
  const kind = Array.isArray(v) && v.length > 0 ? schema.list(path) : 'atomic';
  if (!Array.isArray(v) || kind === 'atomic') {
    node.members.add(pe);
    return;
  }
  const child = node.child(pe);
  const elementPath = `${path}[]`;
  for (const [epe, e] of elementsOf(kind, v, path)) {
    child.members.add(epe);
    if (kind !== 'set' && isObject(e) && !schema.atomic(elementPath)) visitObject(e, elementPath, child.child(epe), schema);
  }
}

/** What changed between two objects (see the file comment). */
export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** The fields that changed from `before` to `after`; a list whose elements lack their keys is compared whole. */
export function compare(before: JsonObject, after: JsonObject, schema: ApplySchema): Comparison {
  const c = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareValue(before, after, '', [], c, schema);
  return c;
}

const emptyish = (v: Json | undefined): boolean =>
  v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

function compareValue(l: Json | undefined, r: Json | undefined, path: string, at: Path, c: Comparison, schema: ApplySchema): void {
  if (l === undefined && r === undefined) return;
  const bothEmpty = emptyish(l) && emptyish(r);
  if ((isObject(l) || l === undefined) && (isObject(r) || r === undefined) && !bothEmpty && !schema.atomic(path)) {
    node(l, r, at, c);
    const keys = new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})]);
    for (const k of keys) compareValue(l?.[k], r?.[k], fieldPath(path, k), [...at, `f:${k}`], c, schema);
    return;
  }
  if ((Array.isArray(l) || l === undefined) && (Array.isArray(r) || r === undefined) && !bothEmpty) {
    const kind = schema.list(path);
    if (kind !== 'atomic') {
      let le, re;
      try {
        le = elementsOf(kind, l ?? [], path);
        re = elementsOf(kind, r ?? [], path);
      } catch (e) {
        if (!(e instanceof ListKeyError)) throw e;
      }
      if (le && re) {
        node(l, r, at, c);
        const elementPath = `${path}[]`;
        for (const pe of new Set([...le.keys(), ...re.keys()])) {
          const ep = [...at, pe];
          if (kind === 'set' || schema.atomic(elementPath)) leaf(le.get(pe), re.get(pe), ep, c);
          else compareValue(le.get(pe), re.get(pe), elementPath, ep, c, schema);
        }
        return;
      }
    }
  }
  leaf(l, r, at, c);
}

/** An object or list itself: added when it appears, removed when it goes. */
function node(l: Json | undefined, r: Json | undefined, at: Path, c: Comparison): void {
  if (at.length === 0) return;
  if (l === undefined) c.added.insert(at);
  else if (r === undefined) c.removed.insert(at);
}

function leaf(l: Json | undefined, r: Json | undefined, at: Path, c: Comparison): void {
  if (at.length === 0) return;
  if (l === undefined) c.added.insert(at);
  else if (r === undefined) c.removed.insert(at);
  else if (!isDeepStrictEqual(l, r)) c.modified.insert(at);
}
