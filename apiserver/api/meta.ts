/**
 * meta/v1: ObjectMeta as a zod schema, the shape every stored object shares,
 * and the name and label checks of Kubernetes' apimachinery validation, with
 * its messages and field paths.
 */
import { z } from 'zod';
import type { FieldError } from '../registry/errors.js';

/** metadata.ownerReferences[*] */
export const OwnerReference = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** metadata.managedFields[*]: kept as given (the fieldsV1 tree is opaque here). */
export const ManagedFieldsEntry = z.looseObject({
  manager: z.string().optional(),
  operation: z.string().optional(),
  apiVersion: z.string().optional(),
  time: z.string().optional(),
  fieldsType: z.string().optional(),
  subresource: z.string().optional(),
});

/** metadata */
export const ObjectMeta = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().nullable().optional(),
  deletionGracePeriodSeconds: z.number().int().nullable().optional(),
  labels: z.record(z.string(), z.string()).nullable().optional(),
  annotations: z.record(z.string(), z.string()).nullable().optional(),
  ownerReferences: z.array(OwnerReference).nullable().optional(),
  finalizers: z.array(z.string()).nullable().optional(),
  managedFields: z.array(ManagedFieldsEntry).nullable().optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** Any object of the API: apiVersion, kind, metadata, and the rest per kind. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const labelRe = new RegExp(`^${DNS1123_LABEL}$`);
const subdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedRe = new RegExp(`^${QUALIFIED_NAME}$`);
const labelValueRe = new RegExp(`^(${QUALIFIED_NAME})?$`);

/** `field: Invalid value: "value": detail`, Kubernetes' FieldValueInvalid. */
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', message: `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}` };
}

/** `field: Required value[: detail]`. */
export function required(field: string, detail?: string): FieldError {
  return { field, type: 'FieldValueRequired', message: `${field}: Required value${detail ? `: ${detail}` : ''}` };
}

/** An RFC 1123 label (namespaces, services): the reasons it is not one, if any. */
export function dns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!labelRe.test(value)) {
    errs.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${DNS1123_LABEL}')`,
    );
  }
  return errs;
}

/** An RFC 1123 subdomain (most object names): the reasons it is not one, if any. */
export function dns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!subdomainRe.test(value)) {
    errs.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}')`,
    );
  }
  return errs;
}

/** A qualified name (label and annotation keys: an optional DNS subdomain prefix and a name). */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!qualifiedRe.test(name)) {
    errs.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}')`,
    );
  }
  return errs;
}

/** A label value: empty, or a name part of at most 63 characters. */
export function labelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!labelValueRe.test(value)) {
    errs.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(${QUALIFIED_NAME})?')`,
    );
  }
  return errs;
}

/** Kubernetes' ValidateObjectMeta, for the checks every kind shares: name, labels, annotation keys. */
export function validateMeta(meta: ObjectMeta, nameCheck: (name: string) => string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (!meta.name) {
    errs.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const e of nameCheck(meta.name)) errs.push(invalid('metadata.name', meta.name, e));
  }
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    for (const e of qualifiedName(k)) errs.push(invalid('metadata.labels', k, e));
    for (const e of labelValue(v)) errs.push(invalid('metadata.labels', v, e));
  }
  for (const k of Object.keys(meta.annotations ?? {})) {
    for (const e of qualifiedName(k.toLowerCase())) errs.push(invalid('metadata.annotations', k, e));
  }
  return errs;
}
