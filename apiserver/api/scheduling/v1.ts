/**
 * scheduling.k8s.io/v1 PriorityClass as a zod schema (cluster-scoped; the
 * fields sit at the top level, without a spec).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';

/** scheduling.k8s.io/v1 PriorityClass */
export const PriorityClass = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMeta,
  value: z.number().int().min(-2147483648).max(2147483647).nullish(),
  globalDefault: z.boolean().nullish(),
  description: z.string().nullish(),
  preemptionPolicy: z.string().nullish(),
});
export type PriorityClass = z.infer<typeof PriorityClass>;
