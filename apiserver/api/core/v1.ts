/**
 * core/v1 kinds as zod schemas: the fields Kubernetes defines, unknown ones
 * dropped (as its JSON decoding drops them).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';

const typeMeta = { apiVersion: z.string().optional(), kind: z.string().optional() };

/** v1 Namespace */
export const Namespace = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  spec: z.object({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z
    .object({
      phase: z.string().optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});

/** v1 ConfigMap */
export const ConfigMap = z.object({
  ...typeMeta,
  metadata: ObjectMeta,
  data: z.record(z.string(), z.string()).nullable().optional(),
  binaryData: z.record(z.string(), z.string()).nullable().optional(),
  immutable: z.boolean().nullable().optional(),
});
