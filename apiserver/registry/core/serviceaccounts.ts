/** serviceaccounts: a name (a DNS subdomain) with the secrets and image pull secrets its pods may use. */
import { ServiceAccount } from '../../api/core/secret.js';
import { dns1123Subdomain, validateMeta } from '../../api/meta.js';
import type { Strategy } from '../strategy.js';
import { serviceAccountPrinter } from '../printers/misc.js';

/** The serviceaccounts strategy. */
export const serviceaccounts = {
  info: { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'] },
  schema: ServiceAccount,
  validate: (obj) => validateMeta(obj.metadata, dns1123Subdomain),
  mergeKeys: { secrets: 'name' },
  printer: serviceAccountPrinter,
} satisfies Strategy;
