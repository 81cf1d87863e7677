/**
 * coordination.k8s.io/v1 Lease as a zod schema: what leader election and
 * node heartbeats write. Times are MicroTime strings (RFC 3339 with
 * microseconds); optional fields accept null.
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';

const str = z.string();
const int = z.number().int();

/** LeaseSpec */
export const LeaseSpec = z.object({
  holderIdentity: str.nullish(),
  leaseDurationSeconds: int.nullish(),
  acquireTime: str.nullish(),
  renewTime: str.nullish(),
  leaseTransitions: int.nullish(),
  strategy: str.nullish(),
  preferredHolder: str.nullish(),
});
export type LeaseSpec = z.infer<typeof LeaseSpec>;

/** coordination.k8s.io/v1 Lease */
export const Lease = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMeta,
  spec: LeaseSpec.nullish(),
});
