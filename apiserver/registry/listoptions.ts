/**
 * A list's resourceVersion and continue parameters: resourceVersion as a
 * revision, Kubernetes' continue tokens, and the checks apimachinery's
 * ValidateListOptions makes (resourceVersionMatch needs a resourceVersion
 * and no continue token, is Exact or NotOlderThan, and Exact does not go
 * with resourceVersion 0).
 */
import { BadRequestError, InvalidError, type FieldError } from './errors.js';

/** The parameters checked here. */
export interface ResourceVersionOptions {
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
  readonly continue?: string;
}

/** Throws InvalidError (ListOptions.meta.k8s.io) with every cause that applies. */
export function validateListOptions(o: ResourceVersionOptions): void {
  const match = o.resourceVersionMatch;
  if (!match) return;
  const causes: FieldError[] = [];
  const forbidden = (why: string): FieldError => ({ field: 'resourceVersionMatch', type: 'FieldValueForbidden', message: `resourceVersionMatch: Forbidden: ${why}` });
  if (!o.resourceVersion) causes.push(forbidden('resourceVersionMatch is forbidden unless resourceVersion is provided'));
  if (o.continue) causes.push(forbidden('resourceVersionMatch is forbidden when continue is provided'));
  if (match !== 'Exact' && match !== 'NotOlderThan') {
    causes.push({ field: 'resourceVersionMatch', type: 'FieldValueNotSupported', message: `resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""` });
  }
  if (match === 'Exact' && o.resourceVersion === '0') causes.push(forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  if (causes.length) throw new InvalidError('ListOptions.meta.k8s.io', '', causes);
}

/** A resourceVersion parameter as a revision; BadRequest when it is not one. */
export function parseResourceVersion(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw new BadRequestError(`invalid resource version: ${JSON.stringify(rv)}`);
  return n;
}

/** Kubernetes' continue token: base64 of {"v":"meta.k8s.io/v1","rv":REV,"start":"<key after the prefix>"}. */
export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

/** A continue token's revision and start key; BadRequest with Kubernetes' message when it is not one of ours. */
export function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString()) as { v?: unknown; rv?: unknown; start?: unknown };
    if (c.v === 'meta.k8s.io/v1' && Number.isSafeInteger(c.rv) && (c.rv as number) > 0 && typeof c.start === 'string' && !c.start.startsWith('/') && !c.start.includes('..')) {
      return { rv: c.rv as number, start: c.start };
    }
  } catch {
    // falls through to the error
  }
  throw new BadRequestError('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}
