/**
 * events (core/v1): Kubernetes' legacy event validation, the one its v1 API
 * applies: the event's namespace agrees with its object's, and an event with
 * an eventTime (from a newer client) names its reporter, action and reason.
 * Names are only checked to be usable in a URL, as for any v1 event.
 * Defaults write out what Go always writes: the involvedObject and source
 * structs, null timestamps, and empty reportingComponent and
 * reportingInstance.
 */
import { Event } from '../../api/core/event.js';
import { dns1123Subdomain, invalid, qualifiedName, required, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { eventPrinter } from '../printers/misc.js';

const LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 1024 } as const;

/** ValidatePathSegmentName: the reasons `name` cannot be the last segment of a URL. */
export function pathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** Sets an event's defaults (see the file comment). */
export function defaultEvent(obj: KubeObject): void {
  const e = obj as Event & KubeObject;
  e.involvedObject ??= {};
  e.source ??= {};
  e.firstTimestamp ??= null;
  e.lastTimestamp ??= null;
  e.eventTime ??= null;
  e.reportingComponent ??= '';
  e.reportingInstance ??= '';
}

/** The event's errors (legacyValidateEvent, on create and update alike). */
export function validateEvent(obj: KubeObject): FieldError[] {
  return [...validateMeta(obj.metadata, pathSegmentName), ...legacyValidateEvent(obj)];
}

/** Kubernetes' legacyValidateEvent: what every event must satisfy, written through either API (its metadata aside). */
export function legacyValidateEvent(obj: KubeObject): FieldError[] {
  const e = obj as Event & KubeObject;
  const errs: FieldError[] = [];
  const namespace = obj.metadata.namespace ?? '';
  const involved = e.involvedObject?.namespace ?? '';
  const mismatch = () => invalid('involvedObject.namespace', involved, 'does not match event.namespace');
  if (!e.eventTime) {
    if (involved ? namespace !== involved : namespace !== '' && namespace !== 'default') errs.push(mismatch());
  } else {
    if (!involved && namespace !== 'default' && namespace !== 'kube-system') errs.push(mismatch());
    const reporter = e.reportingComponent ?? '';
    if (!reporter) errs.push(required('reportingController'));
    errs.push(...qualifiedName(reporter).map((m) => invalid('reportingController', reporter, m)));
    for (const field of ['reportingInstance', 'action', 'reason', 'message'] as const) {
      const value = e[field] ?? '';
      if (!value && field !== 'message') errs.push(required(field));
      if (value.length > LIMITS[field]) errs.push(invalid(field, '', `can have at most ${LIMITS[field]} characters`));
    }
  }
  for (const m of dns1123Subdomain(namespace)) errs.push(invalid('namespace', namespace, m));
  return errs;
}

/** The events strategy. */
/** The field selectors of an event's object reference under `prefix` (involvedObject, or events.k8s.io's regarding). */
export function referenceFields(prefix: string, r: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string; fieldPath?: string }): Record<string, string> {
  return {
    [`${prefix}.kind`]: r.kind ?? '',
    [`${prefix}.namespace`]: r.namespace ?? '',
    [`${prefix}.name`]: r.name ?? '',
    [`${prefix}.uid`]: r.uid ?? '',
    [`${prefix}.apiVersion`]: r.apiVersion ?? '',
    [`${prefix}.resourceVersion`]: r.resourceVersion ?? '',
    [`${prefix}.fieldPath`]: r.fieldPath ?? '',
  };
}

export const events = {
  info: { group: '', version: 'v1', kind: 'Event', resource: 'events', singular: 'event', namespaced: true, shortNames: ['ev'] },
  schema: Event,
  defaults: defaultEvent,
  validate: (obj) => validateEvent(obj),
  fields: (obj) => {
    const e = obj as Event & KubeObject;
    return {
      ...referenceFields('involvedObject', e.involvedObject ?? {}),
      reason: e.reason ?? '',
      reportingComponent: e.reportingComponent ?? '',
      source: e.source?.component ?? '',
      type: e.type ?? '',
    };
  },
  printer: eventPrinter,
} satisfies Strategy;
