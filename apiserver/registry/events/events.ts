/**
 * events (events.k8s.io/v1): the core/v1 Event under its newer names, kept
 * as a core/v1 Event under the same keys (/registry/events/<ns>/<name>), so
 * each API reads what the other writes (conversion.ts, ../cohabiting.ts).
 *
 * Defaults: the event as Go writes the type (conversion.ts), which is also
 * what a read of it gives back.
 *
 * Validation is Kubernetes' for a request of this version (its
 * ValidateEventCreate and ValidateEventUpdate), on the core form and so with
 * core/v1's field names where Kubernetes reports them (`message`, `source`,
 * `count`, `firstTimestamp`). Every event passes the legacy checks (those of
 * core/v1); a create also needs a DNS-subdomain name, an eventTime, a type
 * of Normal or Warning, a valid series (count at least 2, a
 * lastObservedTime), and none of the deprecated fields; an update changes
 * only the series and metadata. Immutable values are shown as Go prints them
 * (`%#v` for structs, time.Time's String for times); the reason, which
 * Kubernetes checks twice, is reported once (as its message shows it).
 */
import type { Event as CoreEvent } from '../../api/core/event.js';
import type { ObjectReference } from '../../api/core/service.js';
import { Event } from '../../api/events/v1.js';
import { dns1123Subdomain, invalid, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { legacyValidateEvent, referenceFields } from '../core/events.js';
import type { FieldError } from '../errors.js';
import { eventPrinter } from '../printers/misc.js';
import type { Printer } from '../printer.js';
import type { Strategy } from '../strategy.js';
import { fromCore, toCore } from './conversion.js';

/** Sets the event's defaults: its fields as a read of it shows them. */
function defaults(obj: KubeObject): void {
  const normal = fromCore(toCore(obj));
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, normal);
}

/** validateV1EventSeries */
function validateSeries(e: CoreEvent): FieldError[] {
  if (!e.series) return [];
  const errs: FieldError[] = [];
  if ((e.series.count ?? 0) < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (!e.series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  return errs;
}

/** A time as Go's time.Time String() prints it, in UTC (the zero time for none). */
export function goTime(t: string | null | undefined): string {
  if (!t) return '0001-01-01 00:00:00 +0000 UTC';
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(t);
  const seconds = m ? Date.parse(m[1]! + m[3]!) : NaN;
  if (!m || Number.isNaN(seconds)) return JSON.stringify(t);
  const iso = new Date(seconds).toISOString();
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** An ObjectReference as Go's %#v prints the internal type. */
function goRef(r: ObjectReference | null | undefined): string {
  const f = (v: string | undefined) => JSON.stringify(v ?? '');
  const x = r ?? {};
  return `core.ObjectReference{Kind:${f(x.kind)}, Namespace:${f(x.namespace)}, Name:${f(x.name)}, UID:${f(x.uid)}, APIVersion:${f(x.apiVersion)}, ResourceVersion:${f(x.resourceVersion)}, FieldPath:${f(x.fieldPath)}}`;
}

/** ValidateEventCreate's checks beyond the legacy ones. */
function validateCreate(e: CoreEvent & KubeObject): FieldError[] {
  const errs = validateMeta(e.metadata, dns1123Subdomain);
  errs.push(...validateSeries(e));
  if (!e.eventTime) errs.push(required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${e.type ?? ''}`));
  if (e.firstTimestamp) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (e.count) errs.push(invalid('count', '', 'needs to be unset'));
  if (e.source?.component || e.source?.host) errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}

/** ValidateEventUpdate's checks beyond the legacy ones: the metadata's, a changed series', and every other field kept. */
function validateUpdate(e: CoreEvent & KubeObject, old: CoreEvent & KubeObject): FieldError[] {
  const errs = validateMeta(e.metadata, () => []); // the name cannot change: only labels and annotations to check
  const seriesShown = (x: CoreEvent) => (x.series ? JSON.stringify([x.series.count ?? 0, goTime(x.series.lastObservedTime)]) : '');
  if (seriesShown(e) !== seriesShown(old)) errs.push(...validateSeries(e));
  const str = (v: string | undefined) => JSON.stringify(v ?? '');
  const source = (x: CoreEvent) => `core.EventSource{Component:${str(x.source?.component)}, Host:${str(x.source?.host)}}`;
  const kept: [string, (x: CoreEvent) => string][] = [
    ['involvedObject', (x) => goRef(x.involvedObject)],
    ['reason', (x) => str(x.reason)],
    ['message', (x) => str(x.message)],
    ['source', source],
    ['firstTimestamp', (x) => goTime(x.firstTimestamp)],
    ['lastTimestamp', (x) => goTime(x.lastTimestamp)],
    ['count', (x) => String(x.count ?? 0)],
    ['type', (x) => str(x.type)],
    ['eventTime', (x) => goTime(x.eventTime)],
    ['action', (x) => str(x.action)],
    ['related', (x) => (x.related ? goRef(x.related) : '"null"')],
    ['reportingController', (x) => str(x.reportingComponent)],
    ['reportingInstance', (x) => str(x.reportingInstance)],
  ];
  for (const [field, shown] of kept) {
    const now = shown(e);
    if (now !== shown(old)) errs.push({ field, type: 'FieldValueInvalid', message: `${field}: Invalid value: ${now}: field is immutable` });
  }
  return errs;
}

/** The event's errors: see the file comment. */
function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const e = toCore(obj);
  return [...legacyValidateEvent(e), ...(old ? validateUpdate(e, toCore(old)) : validateCreate(e))];
}

/** The field selectors of events.k8s.io/v1 (Kubernetes' field label conversion for it). */
function fields(obj: KubeObject): Record<string, string> {
  const e = obj as KubeObject & Event;
  return {
    ...referenceFields('regarding', e.regarding ?? {}),
    reason: e.reason ?? '',
    reportingController: e.reportingController ?? '',
    source: e.deprecatedSource?.component ?? '',
    type: e.type ?? '',
  };
}

/** core/v1's columns, filled from the core form (Kubernetes prints both versions from its internal Event). */
const printer: Printer = { columns: eventPrinter.columns, cells: (obj, now) => eventPrinter.cells(toCore(obj), now) };

/** The events.k8s.io/v1 events strategy. */
export const eventsV1 = {
  info: { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', singular: 'event', namespaced: true, shortNames: ['ev'] },
  schema: Event,
  defaults,
  validate,
  fields,
  printer,
  storedAs: { toStorage: toCore, fromStorage: fromCore },
} satisfies Strategy;
