/**
 * events.k8s.io/v1 Event as a zod schema: the same event as core/v1's under
 * other names (regarding for involvedObject, note for message,
 * reportingController for reportingComponent, the deprecated* fields for
 * source, firstTimestamp, lastTimestamp and count). eventTime and a series'
 * lastObservedTime are MicroTime strings (RFC 3339 with microseconds).
 * registry/events/conversion.ts maps it to and from core/v1.
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { ObjectReference } from '../core/service.js';

const str = z.string().optional();
const time = z.string().nullable().optional();

/** EventSeries: how many times the event was seen, up to when. */
export const EventSeries = z.object({ count: z.number().int().optional(), lastObservedTime: time });
export type EventSeries = z.infer<typeof EventSeries>;

/** events.k8s.io/v1 Event */
export const Event = z.object({
  apiVersion: str,
  kind: str,
  metadata: ObjectMeta,
  eventTime: time,
  series: EventSeries.nullable().optional(),
  reportingController: str,
  reportingInstance: str,
  action: str,
  reason: str,
  regarding: ObjectReference.optional(),
  related: ObjectReference.nullable().optional(),
  note: str,
  type: str,
  deprecatedSource: z.object({ component: str, host: str }).optional(),
  deprecatedFirstTimestamp: time,
  deprecatedLastTimestamp: time,
  deprecatedCount: z.number().int().optional(),
});
export type Event = z.infer<typeof Event>;
