/**
 * controllerrevisions (apps/v1): the snapshots the DaemonSet (and, in
 * Kubernetes, the StatefulSet) controller keeps of its templates. `data` is
 * a runtime.RawExtension: any JSON, held as given (its nulls included);
 * `revision` is 0 when unset, as Go writes it. Validation as
 * ValidateControllerRevision and ValidateControllerRevisionUpdate, with
 * Kubernetes' messages: the metadata, `data` required and, once written,
 * immutable, `revision` not negative (and free to change: the controller
 * raises it when a template comes back).
 */
import { ControllerRevision } from '../../api/apps/v1.js';
import { dns1123Subdomain, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { IMMUTABLE, invalidShown, nonNegative } from '../core/fielderrors.js';
import type { FieldError } from '../errors.js';
import { controllerRevisionPrinter } from '../printers/workloads.js';
import type { Strategy } from '../strategy.js';

/** Go's decoding of a missing or null `revision`: 0, which it then always writes. */
function defaults(obj: KubeObject): void {
  obj.revision ??= 0;
}

/** `data` as the compact JSON bytes Kubernetes holds for a RawExtension; undefined when it is unset (nil). */
function rawBytes(data: unknown): string | undefined {
  return data === undefined || data === null ? undefined : JSON.stringify(data);
}

/**
 * A revision's data as a validation message shows it: Kubernetes converts
 * the RawExtension to a `*runtime.Unknown` holding the JSON bytes, which Go's
 * `%#v` prints field by field (a nil one as "null").
 */
export function goUnknown(data: unknown): string {
  const raw = rawBytes(data);
  if (raw === undefined) return '"null"';
  const bytes = [...Buffer.from(raw, 'utf8')].map((b) => `0x${b.toString(16)}`).join(', ');
  return `runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{${bytes}}, ContentEncoding:"", ContentType:"application/json"}`;
}

/** ValidateControllerRevision, and on an update ValidateControllerRevisionUpdate's immutable data (the same bytes). */
function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  if (rawBytes(obj.data) === undefined) errs.push(required('data', 'data is mandatory'));
  errs.push(...nonNegative('revision', obj.revision));
  if (old && rawBytes(obj.data) !== rawBytes(old.data)) errs.push(invalidShown('data', goUnknown(obj.data), IMMUTABLE));
  return errs;
}

/** apps/v1 controllerrevisions: namespaced, no status, no generation, no short names. */
export const controllerrevisions = {
  info: { group: 'apps', version: 'v1', kind: 'ControllerRevision', resource: 'controllerrevisions', singular: 'controllerrevision', namespaced: true },
  schema: ControllerRevision,
  rawFields: ['data'],
  defaults,
  validate,
  printer: controllerRevisionPrinter,
} satisfies Strategy;
