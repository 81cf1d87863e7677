/**
 * `metadata.managedFields` as the registry keeps it: each manager's field
 * set, by the manager's identity (its name, operation, subresource, and for
 * Update its apiVersion: Kubernetes' BuildManagerIdentifier), decoded from
 * and encoded to ManagedFieldsEntry lists in Kubernetes' order.
 */
import { FieldSet, FieldsV1Error, type FieldsV1 } from './fieldset.js';

/** One manager's fields. */
export interface ManagerEntry {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  /** When the manager last changed the object (RFC 3339, seconds). */
  readonly time?: string;
  /** `status` or `scale` for a write to a subresource. */
  readonly subresource?: string;
  readonly set: FieldSet;
}

/** The managers of an object, by identity (see identity()). */
export type Managed = Map<string, ManagerEntry>;

/** A ManagedFieldsEntry as stored and served, its fields in Kubernetes' order. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

/** managedFields that a client sent and that do not decode. */
export class ManagedFieldsError extends Error {
  override name = 'ManagedFieldsError';
}

/** A manager's identity: entries with the same one are the same manager (an applier's apiVersion does not count). */
export function identity(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource ?? '']);
}

/** How Kubernetes names a manager in a conflict: `"kubectl"`, `"kubectl" with subresource "scale" using apps/v1`. */
export function printManager(e: ManagerEntry): string {
  const name = JSON.stringify(e.manager) + (e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : '');
  return e.operation === 'Update' ? `${name} using ${e.apiVersion}` : name;
}

/** Whether a client's managedFields ask for a reset: `[]`, or one entry with nothing in it. */
export function isReset(raw: unknown): boolean {
  if (!Array.isArray(raw)) return false;
  if (raw.length === 0) return true;
  const only: unknown = raw[0];
  return raw.length === 1 && typeof only === 'object' && only !== null && Object.keys(only).length === 0;
}

/** The managers of a managedFields list (none when absent); throws ManagedFieldsError when an entry is not valid. */
export function decodeManaged(raw: unknown): Managed {
  const out: Managed = new Map();
  if (raw === undefined || raw === null) return out;
  if (!Array.isArray(raw)) throw new ManagedFieldsError('managedFields must be a list');
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ManagedFieldsError('a managedFields entry must be an object');
    const e = item as Record<string, unknown>;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(e.fieldsType)}`);
    for (const k of ['manager', 'apiVersion', 'time', 'subresource'] as const) {
      if (e[k] !== undefined && typeof e[k] !== 'string') throw new ManagedFieldsError(`${k} must be a string`);
    }
    let set: FieldSet;
    try {
      set = e.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromJSON(e.fieldsV1);
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(err.message);
      throw err;
    }
    const entry: ManagerEntry = {
      manager: (e.manager as string | undefined) ?? '',
      operation: e.operation,
      apiVersion: (e.apiVersion as string | undefined) ?? '',
      ...(e.time ? { time: e.time as string } : {}),
      ...(e.subresource ? { subresource: e.subresource as string } : {}),
      set,
    };
    const id = identity(entry);
    if (out.has(id)) throw new ManagedFieldsError(`duplicate entries for manager ${id}`);
    out.set(id, entry);
  }
  return out;
}

/** The managers of a stored object's managedFields (none when they do not decode). */
export function decodeOrNone(raw: unknown): Managed {
  try {
    return decodeManaged(raw);
  } catch (e) {
    if (e instanceof ManagedFieldsError) return new Map();
    throw e;
  }
}

/** The managedFields list of `managed`: empty sets left out; Apply before Update, then by time, manager, apiVersion and subresource. */
export function encodeManaged(managed: Managed): ManagedFieldsEntry[] {
  const entries = [...managed.values()].filter((e) => !e.set.empty());
  const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) || seconds(p.time) - seconds(q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return entries.map((e) => ({
    ...(e.manager ? { manager: e.manager } : {}),
    operation: e.operation,
    ...(e.apiVersion ? { apiVersion: e.apiVersion } : {}),
    ...(e.time ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: e.set.toJSON(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
