/**
 * events.k8s.io/v1 Event ⇄ core/v1 Event, field by field as Kubernetes
 * converts them (through its internal Event):
 *
 *   events.k8s.io/v1           core/v1
 *   regarding                  involvedObject
 *   note                       message
 *   reportingController        reportingComponent
 *   deprecatedSource           source
 *   deprecatedFirstTimestamp   firstTimestamp
 *   deprecatedLastTimestamp    lastTimestamp
 *   deprecatedCount            count
 *   eventTime, series {count, lastObservedTime}, related, reportingInstance,
 *   action, reason, type: the same names
 *
 * Each side comes out as Go writes its type: empty strings and zero counts
 * left out, the struct fields always there (an empty reference `{}`, a zero
 * time `null`), and in core/v1 reportingComponent and reportingInstance even
 * when empty. Both directions lose nothing, so a write through one API and a
 * read through the other agree.
 */
import type { Event as CoreEvent } from '../../api/core/event.js';
import type { ObjectReference } from '../../api/core/service.js';
import type { Event as V1Event } from '../../api/events/v1.js';
import type { KubeObject } from '../../api/meta.js';

type Ref = ObjectReference;

/** A reference without its empty fields (ObjectReference's are all omitempty). */
function compactRef(r: Ref | null | undefined): Ref {
  return Object.fromEntries(Object.entries(r ?? {}).filter(([, v]) => v !== undefined && v !== ''));
}

/** An EventSource without its empty fields. */
function compactSource(s: { component?: string; host?: string } | undefined): { component?: string; host?: string } {
  return { ...(s?.component ? { component: s.component } : {}), ...(s?.host ? { host: s.host } : {}) };
}

/** `{ [name]: value }` when value is set (a non-empty string, a non-zero number), else nothing. */
function omitEmpty<T extends string | number>(name: string, value: T | undefined | null): Record<string, T> {
  return value ? { [name]: value } : {};
}

/** An events.k8s.io/v1 Event as the core/v1 Event it is stored as. */
export function toCore(obj: KubeObject): KubeObject & CoreEvent {
  const e = obj as KubeObject & V1Event;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: compactRef(e.regarding),
    ...omitEmpty('reason', e.reason),
    ...omitEmpty('message', e.note),
    source: compactSource(e.deprecatedSource),
    firstTimestamp: e.deprecatedFirstTimestamp || null,
    lastTimestamp: e.deprecatedLastTimestamp || null,
    ...omitEmpty('count', e.deprecatedCount),
    ...omitEmpty('type', e.type),
    eventTime: e.eventTime || null,
    // core/v1's series count is omitempty, its lastObservedTime a struct (always written)
    ...(e.series ? { series: { ...omitEmpty('count', e.series.count), lastObservedTime: e.series.lastObservedTime || null } } : {}),
    ...omitEmpty('action', e.action),
    ...(e.related ? { related: compactRef(e.related) } : {}),
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  };
}

/** A core/v1 Event as an events.k8s.io/v1 Event. */
export function fromCore(obj: KubeObject): KubeObject & V1Event {
  const c = obj as KubeObject & CoreEvent;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: c.metadata,
    eventTime: c.eventTime || null,
    // events.k8s.io/v1's series fields are not omitempty
    ...(c.series ? { series: { count: c.series.count ?? 0, lastObservedTime: c.series.lastObservedTime || null } } : {}),
    ...omitEmpty('reportingController', c.reportingComponent),
    ...omitEmpty('reportingInstance', c.reportingInstance),
    ...omitEmpty('action', c.action),
    ...omitEmpty('reason', c.reason),
    regarding: compactRef(c.involvedObject),
    ...(c.related ? { related: compactRef(c.related) } : {}),
    ...omitEmpty('note', c.message),
    ...omitEmpty('type', c.type),
    deprecatedSource: compactSource(c.source),
    deprecatedFirstTimestamp: c.firstTimestamp || null,
    deprecatedLastTimestamp: c.lastTimestamp || null,
    ...omitEmpty('deprecatedCount', c.count),
  };
}
