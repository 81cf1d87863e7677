/** configmaps: data keys must be config keys, and an immutable one stays as it is. */
import { ConfigMap } from '../../api/core/v1.js';
import { dns1123Subdomain, invalid, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import { AGE, NAME, age, column } from '../printer.js';
import type { Strategy } from '../strategy.js';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  const data = (obj.data ?? {}) as Record<string, string>;
  const binary = (obj.binaryData ?? {}) as Record<string, string>;
  for (const [field, keys] of [['data', Object.keys(data)], ['binaryData', Object.keys(binary)]] as const) {
    for (const k of keys) {
      if (k.length > 253 || !CONFIG_KEY.test(k)) {
        errs.push(invalid(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      }
      if (field === 'binaryData' && k in data) errs.push(invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    }
  }
  if (old?.immutable === true) {
    const same = JSON.stringify([obj.data ?? null, obj.binaryData ?? null, obj.immutable]) === JSON.stringify([old.data ?? null, old.binaryData ?? null, old.immutable]);
    if (!same) errs.push({ field: 'data', type: 'FieldValueForbidden', message: 'data: Forbidden: field is immutable when `immutable` is set' });
  }
  return errs;
}

export const configmaps = {
  info: { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'] },
  schema: ConfigMap,
  validate,
  printer: {
    columns: [NAME, column('Data', 'string', 'The number of keys in data and binaryData'), AGE],
    cells: (obj, now) => [obj.metadata.name, Object.keys(obj.data ?? {}).length + Object.keys(obj.binaryData ?? {}).length, age(obj.metadata.creationTimestamp, now)],
  },
} satisfies Strategy;
