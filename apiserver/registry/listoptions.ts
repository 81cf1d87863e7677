/**
 * A list's resourceVersion parameters, checked as Kubernetes checks them
 * (apimachinery's ValidateListOptions): resourceVersionMatch needs a
 * resourceVersion and no continue token, is Exact or NotOlderThan, and Exact
 * does not go with resourceVersion 0.
 */
import { InvalidError, type FieldError } from './errors.js';

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
