/**
 * Validation of resource requirements (a container's, or the pod overhead),
 * as Kubernetes' validateResourceRequirements: standard or extended resource
 * names, non-negative quantities, requests no more than limits (equal for
 * resources that cannot be overcommitted).
 */
import { invalid, required } from '../../api/meta.js';
import { nanosToString, parseQuantity } from '../../api/quantity.js';
import type { FieldError } from '../errors.js';
import { forbidden, rec, validateLabelName } from './fielderrors.js';

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
/** IsStandardResourceName's names (quota and limit names too) beyond the containers' and hugepages. */
const STANDARD_RESOURCES = new Set([
  ...STANDARD_CONTAINER_RESOURCES,
  ...['cpu', 'memory', 'ephemeral-storage', 'storage'].map((r) => `requests.${r}`),
  ...['cpu', 'memory', 'ephemeral-storage'].map((r) => `limits.${r}`),
  ...['storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers'],
]);

/** Whether a resource name is native (unprefixed or in kubernetes.io), which may be overcommitted unless hugepages. */
function overcommitAllowed(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !name.startsWith('hugepages-');
}

/** validateResourceRequirements for a container (or the pod overhead): names, quantities, requests <= limits. */
export function validateResources(res: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const limits = rec(res.limits);
  const requests = rec(res.requests);
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [kind, map] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, raw] of Object.entries(map)) {
      const p = `${path}.${kind}[${name}]`;
      errs.push(...resourceName(name, p));
      const q = parseQuantity(raw as string | number);
      if (typeof q === 'string') continue; // the schema rejects these before validation
      if (q.nanos < 0n) errs.push(invalid(p, nanosToString(q.nanos, q.format), 'must be greater than or equal to 0'));
      if (!overcommitAllowed(name) && !name.startsWith('hugepages-') && q.nanos % 1_000_000_000n !== 0n) errs.push(invalid(p, nanosToString(q.nanos, q.format), 'must be an integer'));
      if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
      if (name.startsWith('hugepages-')) hugePages = true;
      if (kind !== 'requests') continue;
      const limit = limits[name];
      const lq = limit === undefined ? undefined : parseQuantity(limit as string | number);
      const shownReq = nanosToString(q.nanos, q.format);
      if (lq !== undefined && typeof lq !== 'string') {
        const shownLimit = nanosToString(lq.nanos, lq.format);
        if (q.nanos !== lq.nanos && !overcommitAllowed(name)) errs.push(invalid(`${path}.requests`, shownReq, `must be equal to ${name} limit of ${shownLimit}`));
        else if (q.nanos > lq.nanos) errs.push(invalid(`${path}.requests`, shownReq, `must be less than or equal to ${name} limit of ${shownLimit}`));
      } else if (limit === undefined && !overcommitAllowed(name)) {
        errs.push(required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
      }
    }
  }
  if (hugePages && !cpuOrMemory) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

/** validateContainerResourceName. */
function resourceName(name: string, field: string): FieldError[] {
  const errs = validateLabelName(name, field);
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    const hugePages = name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
    if (!STANDARD_RESOURCES.has(name) && !hugePages) errs.push(invalid(field, name, 'must be a standard resource type or fully qualified'));
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) errs.push(invalid(field, name, 'must be a standard resource for containers'));
  } else if (!name.includes('kubernetes.io/') && name.startsWith('requests.')) {
    errs.push(invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}
