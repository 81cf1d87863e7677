/**
 * The managed-fields bookkeeping of every write, as Kubernetes' field
 * manager does it:
 * - update(): a create, update or patch by a manager (fieldManager, else
 *   the User-Agent's first part). The fields that changed become the
 *   manager's Update entry (merged with its earlier one), and are taken
 *   from the other managers, which also lose the fields that went.
 * - apply(): a server-side apply. The configuration is merged over the live
 *   object, its fields become the manager's Apply entry, what the manager
 *   applied before and omits now is pruned unless someone else owns it, and
 *   a change to a field another manager owns is a conflict unless forced.
 *   For the manager `kubectl`, conflicts over fields of the client-side
 *   apply annotation are forgiven, and the annotation follows the
 *   configuration (Kubernetes' lastAppliedManager and lastAppliedUpdater).
 * Neither counts the fields the server sets (name, uid, resourceVersion...).
 */
import type { KubeObject } from '../../api/meta.js';
import { ApplyConflictError, BadRequestError } from '../errors.js';
import { FieldSet, pathString, type Path } from './fieldset.js';
import { decodeManaged, decodeOrNone, encodeManaged, identity, isReset, printManager, ManagedFieldsError, type Managed, type ManagedFieldsEntry, type ManagerEntry } from './managers.js';
import { merge, prune } from './merge.js';
import { ListKeyError, isObject, type ApplySchema, type Json, type JsonObject } from './schema.js';
import { compare, toFieldSet } from './walk.js';
import { copyJson } from '../copy.js';

/** The annotation of client-side apply. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The fields no manager owns: the server sets them (Kubernetes' stripMetaManager). */
const STRIPPED = FieldSet.of(
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['f:metadata', `f:${f}`]),
);

/** What the bookkeeping needs of the kind and the moment. */
export interface Context {
  readonly schema: ApplySchema;
  /** The kind's apiVersion (`v1`, `apps/v1`). */
  readonly apiVersion: string;
  /** The time to stamp on entries that change. */
  readonly now: string;
  /** Subtrees no write to the object owns (a kind's `status`, which only /status writes). */
  readonly ignored: readonly Path[];
}

/** Who writes. */
export interface Writer {
  readonly manager: string;
  /** `status` or `scale` for a write to a subresource. */
  readonly subresource?: string;
}

/**
 * The managedFields of `next` after a create (live undefined), update or
 * patch of `live` by `writer`; `given` is the managedFields the request's
 * object carries (taken if valid, `[]` resets; ignored for subresources).
 */
export function update(live: KubeObject | undefined, next: KubeObject, given: unknown, writer: Writer, ctx: Context): ManagedFieldsEntry[] {
  const managed = liveOrGiven(live?.metadata.managedFields, given, writer.subresource !== undefined);
  const before = live ? unmanaged(live) : baseline(next);
  let c;
  try {
    c = compare(before, unmanaged(next), ctx.schema);
  } catch (e) {
    if (e instanceof ListKeyError) return encodeManaged(managed); // as Kubernetes, the write goes on without tracking
    throw e;
  }
  const changed = ignore(c.added.union(c.modified), ctx.ignored);
  const removed = ignore(c.removed, ctx.ignored);
  for (const [id, e] of managed) managed.set(id, { ...e, set: e.set.difference(changed).difference(removed) });
  const own = changed.difference(STRIPPED);
  if (!own.empty()) {
    const id = identity({ manager: writer.manager, operation: 'Update', apiVersion: ctx.apiVersion, subresource: writer.subresource });
    const prior = managed.get(id)?.set ?? new FieldSet();
    managed.set(id, { manager: writer.manager, operation: 'Update', apiVersion: ctx.apiVersion, time: ctx.now, ...sub(writer), set: prior.union(own) });
  }
  return encodeManaged(managed);
}

/** The outcome of an apply: the merged object (without managedFields) and its managedFields. */
export interface Applied {
  readonly object: KubeObject;
  readonly managedFields: ManagedFieldsEntry[];
}

/**
 * Applies `config` (parsed, without managedFields) over `live` (undefined:
 * the object does not exist yet) for `writer`; throws ApplyConflictError on
 * conflicts unless `force`, BadRequestError when a keyed list lacks keys.
 */
export function apply(live: KubeObject | undefined, config: KubeObject, writer: Writer, force: boolean, ctx: Context): Applied {
  let cfg = plain(config);
  for (const p of ctx.ignored) cfg = withoutPath(cfg, p);
  const managed = decodeOrNone(live?.metadata.managedFields);
  const before = live ? plain(live) : baseline(config);
  const self = identity({ manager: writer.manager, operation: 'Apply', apiVersion: ctx.apiVersion, subresource: writer.subresource });
  let merged, applied;
  try {
    applied = toFieldSet(cfg, ctx.schema).difference(STRIPPED);
    merged = merge(live ? plain(live) : {}, cfg, ctx.schema);
  } catch (e) {
    if (e instanceof ListKeyError) throw new BadRequestError(e.message);
    throw e;
  }
  const last = managed.get(self);
  const others = [...managed].filter(([id]) => id !== self);
  if (last) merged = prune(merged, last.set, others.reduce((s, [, e]) => s.union(e.set), applied), ctx.schema);
  const c = compare(before, merged, ctx.schema);
  const changed = ignore(c.added.union(c.modified), ctx.ignored);
  const removed = ignore(c.removed, ctx.ignored);
  const conflicts = others.flatMap(([id, e]) => e.set.intersection(changed).paths().map((path) => ({ id, entry: e, path })));
  if (conflicts.length > 0 && !force && !forgiven(writer.manager, live, conflicts.map((x) => x.path), ctx)) throw conflictError(conflicts);
  for (const [id, e] of others) managed.set(id, { ...e, set: e.set.difference(changed).difference(removed) });
  const objectChanged = JSON.stringify(sorted(before)) !== JSON.stringify(sorted(merged));
  const time = objectChanged || !last ? ctx.now : last.time;
  managed.set(self, { manager: writer.manager, operation: 'Apply', apiVersion: ctx.apiVersion, ...(time ? { time } : {}), ...sub(writer), set: applied });
  const object = merged as KubeObject;
  object.metadata ??= {};
  const annotations = object.metadata.annotations;
  if (writer.manager === 'kubectl' && annotations && annotations[LAST_APPLIED] !== undefined) {
    // the client-side apply annotation follows what kubectl applies server-side
    object.metadata.annotations = { ...annotations, [LAST_APPLIED]: lastApplied(config) };
  }
  return { object, managedFields: encodeManaged(managed) };
}

/** The manager of a write that names none: the User-Agent up to its first `/`, printable characters only, at most 128 bytes. */
export function managerOf(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  let out = '';
  for (const ch of (userAgent ?? '').split('/')[0]!) {
    if (!/\p{L}|\p{M}|\p{N}|\p{P}|\p{S}| /u.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > 128) break;
    out += ch;
  }
  return out;
}

/** Decodes what the request's object carries, or the live object's managedFields (Kubernetes' decodeLiveOrNew). */
function liveOrGiven(live: unknown, given: unknown, subresource: boolean): Managed {
  if (subresource) return decodeOrNone(live);
  if (isReset(given)) return new Map();
  try {
    const m = decodeManaged(given);
    if (m.size > 0) return m;
  } catch (e) {
    if (!(e instanceof ManagedFieldsError)) throw e;
  }
  return decodeOrNone(live);
}

/** Kubernetes' lastAppliedManager: `kubectl`'s conflicts are forgiven when the client-side apply annotation has every conflicting field. */
function forgiven(manager: string, live: KubeObject | undefined, paths: Path[], ctx: Context): boolean {
  const annotation = live?.metadata.annotations?.[LAST_APPLIED];
  if (manager !== 'kubectl' || !annotation) return false;
  try {
    const parsed: unknown = JSON.parse(annotation);
    if (!isObject(parsed)) return false;
    const allowed = toFieldSet(parsed, ctx.schema);
    return paths.every((p) => allowed.has(p));
  } catch {
    return false;
  }
}

function conflictError(conflicts: { id: string; entry: ManagerEntry; path: Path }[]): ApplyConflictError {
  conflicts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const causes = conflicts.map((c) => ({ field: pathString(c.path), message: `conflict with ${printManager(c.entry)}` }));
  if (conflicts.length === 1) return new ApplyConflictError(`Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`, causes);
  const lines: string[] = [];
  let current: string | undefined;
  for (const c of conflicts) {
    if (c.id !== current) lines.push(`conflicts with ${printManager(c.entry)}:`);
    current = c.id;
    lines.push(`- ${pathString(c.path)}`);
  }
  return new ApplyConflictError(`Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes);
}

/** The client-side apply annotation of a configuration: its JSON with sorted keys, without the annotation, and a newline (as Go encodes it). */
function lastApplied(config: KubeObject): string {
  const copy = copyJson(config);
  const annotations = copy.metadata.annotations;
  if (annotations) delete annotations[LAST_APPLIED];
  return JSON.stringify(sorted(copy)) + '\n';
}

/**
 * `o` without managedFields and resourceVersion, to read only: its other
 * fields are `o`'s own (an update compares two objects; copying them would
 * copy their managedFields, most of a pod's bytes, to throw them away).
 */
function unmanaged(o: KubeObject): JsonObject {
  if (!isObject(o.metadata as Json)) return o as unknown as JsonObject;
  const metadata: Record<string, unknown> = { ...o.metadata };
  delete metadata.managedFields;
  delete metadata.resourceVersion;
  return { ...(o as unknown as JsonObject), metadata: metadata as JsonObject };
}

/** An object's JSON without managedFields and resourceVersion: a copy of its own, for an apply to merge into. */
function plain(o: KubeObject): JsonObject {
  return copyJson(unmanaged(o));
}

/**
 * What a create is compared with: the kind's empty object as Kubernetes
 * encodes it, where metadata, spec, status and a pod template are there
 * (empty) from the start, so only what is inside them counts as new.
 */
function baseline(next: KubeObject): JsonObject {
  const spec = next.spec;
  const template: JsonObject = isObject(spec) && isObject(spec.template) ? { template: { metadata: {}, spec: {} } } : {};
  return { metadata: {}, ...(isObject(spec) ? { spec: template } : {}), ...(next.status !== undefined ? { status: {} } : {}) };
}

function ignore(s: FieldSet, paths: readonly Path[]): FieldSet {
  return paths.reduce((acc, p) => acc.without(p), s);
}

function withoutPath(o: JsonObject, p: Path): JsonObject {
  const [first, ...rest] = p;
  if (first === undefined || !first.startsWith('f:')) return o;
  const k = first.slice(2);
  const out = { ...o };
  if (rest.length === 0) delete out[k];
  else if (isObject(out[k])) out[k] = withoutPath(out[k], rest);
  return out;
}

function sub(w: Writer): { subresource?: string } {
  return w.subresource ? { subresource: w.subresource } : {};
}

/** `v` with object keys sorted at every depth (Go's encoding of maps). */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted(v[k])]),
  );
}
