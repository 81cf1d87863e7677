/**
 * core/v1 Event as a zod schema: what happened (reason, message, type), to
 * which object (involvedObject), reported by whom (source, or
 * reportingComponent and reportingInstance for newer clients), and when.
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { ObjectReference } from './service.js';

const str = z.string().optional();
const time = z.string().nullable().optional();

/** v1 Event */
export const Event = z.object({
  apiVersion: str,
  kind: str,
  metadata: ObjectMeta,
  involvedObject: ObjectReference.optional(),
  reason: str,
  message: str,
  source: z.object({ component: str, host: str }).optional(),
  firstTimestamp: time,
  lastTimestamp: time,
  count: z.number().int().optional(),
  type: str,
  eventTime: time,
  series: z.object({ count: z.number().int().optional(), lastObservedTime: time }).nullable().optional(),
  action: str,
  related: ObjectReference.nullable().optional(),
  reportingComponent: str,
  reportingInstance: str,
});
export type Event = z.infer<typeof Event>;
