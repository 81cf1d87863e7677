/**
 * The field errors meta.ts does not have (Unsupported value, Duplicate value,
 * Forbidden, Not found), Kubernetes' value printing, and small readers of
 * untyped JSON that the pod spec validation walks; every kind's validation
 * (core, apps, batch, scheduling) takes its messages from here.
 */
import { dns1123Subdomain, invalid, labelValue, qualifiedName } from '../../api/meta.js';
import type { FieldError } from '../errors.js';

/** A JSON object, or an empty one when `v` is not an object. */
export function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A JSON list's objects ([] when `v` is not a list). */
export function recs(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

/** A string field ('' when unset, as Go's zero value). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Whether the field is set (not undefined or null). */
export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** A value as Go's field errors print it: strings quoted, numbers and booleans bare. */
export function shown(value: unknown): string {
  if (value === undefined || value === null) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A map[string]string as Go's %#v prints it (keys sorted). */
export function goStringMap(m: unknown): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const entries = Object.entries(rec(m)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
}

/** `field: Invalid value: <shown>: detail`, with the value already printed. */
export function invalidShown(field: string, value: string, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', message: `${field}: Invalid value: ${value}: ${detail}` };
}

/** `field: Invalid value: ...` with Go's printing of the value (numbers bare). */
export function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return invalidShown(field, shown(value), detail);
}

/** `field: Unsupported value: "x": supported values: "A", "B"`. */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return notSupportedShown(field, shown(value), supported);
}

/** `field: Unsupported value: <shown>: supported values: "A", "B"`, with the value already printed (a Go struct's `%#v`). */
export function notSupportedShown(field: string, value: string, supported: readonly string[]): FieldError {
  const values = supported.map((s) => JSON.stringify(s)).join(', ');
  return { field, type: 'FieldValueNotSupported', message: `${field}: Unsupported value: ${value}: supported values: ${values}` };
}

/** `field: Duplicate value: "x"`. */
export function duplicate(field: string, value: unknown): FieldError {
  return { field, type: 'FieldValueDuplicate', message: `${field}: Duplicate value: ${shown(value)}` };
}

/** `field: Forbidden: detail`. */
export function forbidden(field: string, detail: string): FieldError {
  return { field, type: 'FieldValueForbidden', message: `${field}: Forbidden: ${detail}` };
}

/** `field: Not found: "x"` (Kubernetes' FieldValueNotFound). */
export function notFound(field: string, value: unknown): FieldError {
  return { field, type: 'FieldValueNotFound', message: `${field}: Not found: ${shown(value)}` };
}

/** `field: Too many: 1001: must have at most 1000 items` (Kubernetes' FieldValueTooMany). */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { field, type: 'FieldValueTooMany', message: `${field}: Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}` };
}

/** Kubernetes' detail for a value that may not change (ValidateImmutableField). */
export const IMMUTABLE = 'field is immutable';

/** `must be between lo and hi, inclusive` (validation.InclusiveRangeError). */
export function rangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** ValidateNonnegativeField. */
export function nonNegative(field: string, value: unknown): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalidValue(field, value, 'must be greater than or equal to 0')] : [];
}

/** ValidateLabels: each key a qualified name, each value a label value, reported at the map's path. */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(rec(labels))) {
    for (const e of qualifiedName(k)) errs.push(invalid(field, k, e));
    for (const e of labelValue(str(v))) errs.push(invalid(field, str(v), e));
  }
  return errs;
}

/** ValidateLabelName (a qualified name) at `field`. */
export function validateLabelName(name: string, field: string): FieldError[] {
  return qualifiedName(name).map((e) => invalid(field, name, e));
}

/** A DNS subdomain name (NameIsDNSSubdomain) at `field`. */
export function validateSubdomain(name: string, field: string): FieldError[] {
  return dns1123Subdomain(name).map((e) => invalid(field, name, e));
}

/** The sorted copy of a set's values (as Kubernetes' sets.List). */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}
