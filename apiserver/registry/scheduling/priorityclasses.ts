/**
 * priorityclasses (scheduling.k8s.io/v1): cluster-scoped; preemptionPolicy
 * PreemptLowerPriority by default (and value 0 when missing, as Go decodes
 * it); validation as ValidatePriorityClass with Kubernetes' messages: the
 * `system-` prefix is reserved for the two built-in classes, a user's value
 * is at most 1000000000, and value and preemptionPolicy do not change;
 * its generation stays 1, whatever an update changes.
 */
import { PriorityClass } from '../../api/scheduling/v1.js';
import { dns1123Subdomain, invalid, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { IMMUTABLE, forbidden, notSupported } from '../core/fielderrors.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { priorityClassPrinter } from '../printers/misc.js';

/** The prefix reserved to the built-in classes. */
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** The highest value a class of a user may have. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** The value of system-cluster-critical (system-node-critical's is 1000 more). */
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;

/** The two built-in classes, as the server creates them at start (the scheduler's and kubelet's critical pods). */
export const SYSTEM_PRIORITY_CLASSES: readonly KubeObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: SYSTEM_CRITICAL_PRIORITY,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
];

const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

interface PriorityClassValue {
  value?: number | null;
  globalDefault?: boolean | null;
  preemptionPolicy?: string | null;
}

/** Why a `system-` class is not one of the built-in ones ('' when it is one). */
function notKnownSystemClass(name: string, value: number, globalDefault: boolean): string {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.metadata.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${String(known.value)}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return '';
}

function validate(obj: KubeObject, old?: KubeObject): FieldError[] {
  const pc = obj as KubeObject & PriorityClassValue;
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  const name = obj.metadata.name ?? '';
  const value = pc.value ?? 0;
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = notKnownSystemClass(name, value, pc.globalDefault ?? false);
    if (why) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy != null) {
    if (pc.preemptionPolicy === '') errs.push(required('preemptionPolicy'));
    else if (!PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  if (old) {
    const was = old as KubeObject & PriorityClassValue;
    if ((was.value ?? 0) !== value) errs.push(forbidden('value', 'may not be changed in an update.'));
    if ((was.preemptionPolicy ?? null) !== (pc.preemptionPolicy ?? null)) errs.push(invalid('preemptionPolicy', pc.preemptionPolicy ?? null, IMMUTABLE));
  }
  return errs;
}

/** scheduling.k8s.io/v1 priorityclasses: cluster-scoped, `pc`. */
export const priorityclasses = {
  info: { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', resource: 'priorityclasses', singular: 'priorityclass', namespaced: false, shortNames: ['pc'] },
  schema: PriorityClass,
  defaults(obj: KubeObject): void {
    const pc = obj as KubeObject & PriorityClassValue;
    pc.value ??= 0;
    pc.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate,
  /** Kubernetes' PrepareForUpdate of a class changes nothing: its generation stays the one it was created with. */
  prepareUpdate(obj: KubeObject, old: KubeObject): void {
    if (old.metadata.generation === undefined) delete obj.metadata.generation;
    else obj.metadata.generation = old.metadata.generation;
  },
  // generation 1 on create (Kubernetes' PrepareForCreate); prepareUpdate keeps it
  hasGeneration: true,
  printer: priorityClassPrinter,
} satisfies Strategy;
