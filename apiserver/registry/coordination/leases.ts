/**
 * leases (coordination.k8s.io/v1): no defaults; validation as ValidateLease
 * with Kubernetes' messages (a positive duration, non-negative transitions,
 * a known or domain-qualified strategy, a preferred holder only with one).
 */
import { Lease, type LeaseSpec } from '../../api/coordination/v1.js';
import { dns1123Subdomain, invalid, qualifiedName, validateMeta, type KubeObject } from '../../api/meta.js';
import { forbidden, notSupportedShown as notSupported } from '../core/fielderrors.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { leasePrinter } from '../printers/misc.js';

/** The strategies Kubernetes defines (others must be `<domain>/<name>`). */
const STRATEGIES = ['OldestEmulationVersion'];

/** ValidateCoordinatedLeaseStrategy (its path repeats `strategy`, as Kubernetes' does). */
function validateStrategy(strategy: string, path: string): FieldError[] {
  if (!strategy.includes('/')) return STRATEGIES.includes(strategy) ? [] : [notSupported(path, JSON.stringify(strategy), STRATEGIES)];
  return qualifiedName(strategy).map((e) => invalid(path, strategy, e));
}

function validate(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as LeaseSpec;
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  if (spec.leaseDurationSeconds != null && spec.leaseDurationSeconds <= 0) {
    errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (spec.leaseTransitions != null && spec.leaseTransitions < 0) {
    errs.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (spec.strategy != null) errs.push(...validateStrategy(spec.strategy, 'spec.strategy.strategy'));
  if (spec.preferredHolder && !spec.strategy) errs.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}

/** coordination.k8s.io/v1 leases: namespaced, no status, no generation. */
export const leases = {
  info: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', singular: 'lease', namespaced: true },
  schema: Lease,
  validate,
  printer: leasePrinter,
} satisfies Strategy;
