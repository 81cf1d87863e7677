/**
 * secrets: `stringData` is merged into `data` on every write (its entries
 * win) and is never stored, as Kubernetes' v1 conversion does; the type
 * defaults to Opaque and never changes; data keys are config keys, the
 * decoded data at most 1 MiB, and the well-known types carry their keys. An
 * immutable secret keeps its data.
 */
import { Secret } from '../../api/core/secret.js';
import { dns1123Subdomain, invalid, required, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { forbidden, invalidShown } from './fielderrors.js';
import { secretPrinter } from '../printers/misc.js';

/** The most data a secret (or config map) may hold, in bytes (core.MaxSecretSize). */
export const MAX_SECRET_SIZE = 1024 * 1024;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const SA_NAME = 'kubernetes.io/service-account.name';
const REDACTED = '"<secret contents redacted>"';

/** IsConfigMapKey: the reasons `key` cannot name a config map's or a secret's entry. */
export function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) {
    errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** What Go's encoding/json says of a document that does not unmarshal into a map (an approximation for malformed JSON). */
function jsonObjectError(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const start = text.trimStart();
    if (start !== '' && !/^[{["\-0-9tfn]/.test(start)) return `invalid character '${start[0]}' looking for beginning of value`;
    return 'unexpected end of JSON input';
  }
  if (value === null || (typeof value === 'object' && !Array.isArray(value))) return undefined;
  const kind = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

/** Sets a secret's defaults: the type, and stringData merged into data. */
export function defaultSecret(obj: KubeObject): void {
  if (!obj.type) obj.type = 'Opaque';
  const strings = (obj.stringData ?? {}) as Record<string, string>;
  if (Object.keys(strings).length > 0) {
    const data = ((obj.data as Record<string, string> | null | undefined) ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(strings)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    obj.data = data;
  }
  delete obj.stringData;
  if (obj.data === null) delete obj.data; // Go omits an empty map
}

/** The secret's errors (ValidateSecret, and ValidateSecretUpdate with `old`). */
export function validateSecret(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (old) {
    if (obj.type !== old.type) errs.push(invalid('type', obj.type ?? '', 'field is immutable'));
    if (old.immutable === true) {
      if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
      if (JSON.stringify(obj.data ?? null) !== JSON.stringify(old.data ?? null)) errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
    }
  }
  errs.push(...validateMeta(obj.metadata, dns1123Subdomain));
  const data = (obj.data ?? {}) as Record<string, string>;
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const e of configKeyErrors(k)) errs.push(invalid(`data[${k}]`, k, e));
    size += Buffer.byteLength(v, 'base64');
  }
  if (size > MAX_SECRET_SIZE) errs.push({ field: 'data', type: 'FieldValueTooLong', message: `data: Too long: may not be more than ${MAX_SECRET_SIZE} bytes` });
  const has = (k: string) => Object.hasOwn(data, k);
  const json = (k: string) => {
    if (!has(k)) return errs.push(required(`data[${k}]`));
    const bad = jsonObjectError(Buffer.from(data[k]!, 'base64').toString('utf8'));
    return bad && errs.push(invalidShown(`data[${k}]`, REDACTED, bad));
  };
  switch (obj.type) {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata.annotations?.[SA_NAME]) errs.push(required(`metadata.annotations[${SA_NAME}]`));
      break;
    case 'kubernetes.io/dockercfg':
      json('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      json('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(required('data[username]'), required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(required('data[tls.key]'));
      break;
    default:
  }
  return errs;
}

/** The secrets strategy. */
export const secrets = {
  info: { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', singular: 'secret', namespaced: true },
  schema: Secret,
  defaults: defaultSecret,
  validate: validateSecret,
  fields: (obj) => ({ type: typeof obj.type === 'string' ? obj.type : '' }),
  printer: secretPrinter,
} satisfies Strategy;
