/**
 * nodes: cluster-scoped, their status kept on create (a kubelet registers its
 * node with its status, Kubernetes' node strategy keeps it) and written
 * through `/status` afterwards. Defaults as Kubernetes' decoding leaves a
 * node: podCIDR and podCIDRs in step, allocatable copied from capacity,
 * quantities in canonical form, and the status structs Go always writes out
 * (daemonEndpoints, nodeInfo) present. Validation as ValidateNode and
 * ValidateNodeUpdate (taints are reported under `metadata.taints`, as
 * Kubernetes does).
 */
import { Node, type NodeSpec, type NodeStatus, type Taint } from '../../api/core/node.js';
import { dns1123Subdomain, invalid, labelValue, required, validateMeta, type KubeObject } from '../../api/meta.js';
import { canonicalQuantity, quantityNanos } from '../../api/quantity.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { duplicate, forbidden, invalidShown, notSupported, validateLabelName } from './fielderrors.js';
import { cidrFamily, goSlice, validCIDR } from './network.js';
import { nodePrinter } from '../printers/nodes.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_INFO_FIELDS = [
  'machineID',
  'systemUUID',
  'bootID',
  'kernelVersion',
  'osImage',
  'containerRuntimeVersion',
  'kubeletVersion',
  'kubeProxyVersion',
  'operatingSystem',
  'architecture',
] as const;

/** Sets a node's defaults (see the file comment). */
export function defaultNode(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as NodeSpec;
  const status = (obj.status ??= {}) as NodeStatus;
  // the v1 conversion: podCIDR wins over a podCIDRs that disagrees, and follows podCIDRs[0]
  if (spec.podCIDR && spec.podCIDRs?.[0] !== spec.podCIDR) spec.podCIDRs = [spec.podCIDR];
  if (spec.podCIDRs?.length) spec.podCIDR = spec.podCIDRs[0];
  if (status.allocatable == null && status.capacity != null) status.allocatable = { ...status.capacity };
  for (const list of [status.capacity, status.allocatable]) {
    for (const [k, v] of Object.entries(list ?? {})) list![k] = canonicalQuantity(v);
  }
  const daemon = (status.daemonEndpoints ??= {});
  const kubelet = (daemon.kubeletEndpoint ??= {});
  kubelet.Port ??= 0;
  const info = (status.nodeInfo ??= {});
  for (const f of NODE_INFO_FIELDS) info[f] ??= '';
}

/** The node's errors; `old` on an update (of the node or of its status). */
export function validateNode(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as NodeSpec;
  const status = (obj.status ?? {}) as NodeStatus;
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  errs.push(...validateTaints(spec.taints ?? []));
  for (const [name, list] of [['capacity', status.capacity], ['allocatable', status.allocatable]] as const) {
    for (const [k, v] of Object.entries(list ?? {})) {
      const nanos = quantityNanos(v);
      if (nanos !== undefined && nanos < 0n) errs.push(invalid(`status.${name}.${k}`, String(canonicalQuantity(v)), 'must be greater than or equal to 0'));
    }
  }
  const cidrs = spec.podCIDRs ?? [];
  cidrs.forEach((c, i) => errs.push(...validCIDR(`spec.podCIDRs[${i}]`, c)));
  if (cidrs.length > 1) {
    const families = cidrs.map(cidrFamily);
    if (cidrs.length > 2 || !(families.includes(4) && families.includes(6))) {
      errs.push(invalidShown('spec.podCIDRs', goSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
    }
    cidrs.forEach((c, i) => {
      if (cidrs.indexOf(c) < i) errs.push(duplicate(`spec.podCIDRs[${i}]`, c));
    });
  }
  if (old) errs.push(...validateUpdate(spec, status, (old.spec ?? {}) as NodeSpec));
  return errs;
}

/** validateNodeTaints: keys are label names, values label values, effects known, and no key and effect twice. */
function validateTaints(taints: Taint[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const path = `metadata.taints[${i}]`;
    const key = t.key ?? '';
    const value = t.value ?? '';
    const effect = t.effect ?? '';
    errs.push(...validateLabelName(key, `${path}.key`));
    const bad = labelValue(value);
    if (bad.length) errs.push(invalid(`${path}.value`, value, bad.join(';')));
    if (!effect) errs.push(required(`${path}.effect`));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(notSupported(`${path}.effect`, effect, TAINT_EFFECTS));
    const id = JSON.stringify([effect, key]);
    if (seen.has(id)) {
      const added = t.timeAdded ? '(*v1.Time)(0xc000000000)' : '(*v1.Time)(nil)';
      const shown = `core.Taint{Key:${JSON.stringify(key)}, Value:${JSON.stringify(value)}, Effect:${JSON.stringify(effect)}, TimeAdded:${added}}`;
      errs.push({ field: path, type: 'FieldValueDuplicate', message: `${path}: Duplicate value: ${shown}: taints must be unique by key and effect pair` });
      return;
    }
    seen.add(id);
  });
  return errs;
}

/** ValidateNodeUpdate: addresses are unique, podCIDRs and providerID are set once, externalID never changes. */
function validateUpdate(spec: NodeSpec, status: NodeStatus, old: NodeSpec): FieldError[] {
  const errs: FieldError[] = [];
  const addresses = new Set<string>();
  (status.addresses ?? []).forEach((a, i) => {
    const id = JSON.stringify([a.type ?? '', a.address ?? '']);
    if (addresses.has(id)) {
      const shown = `core.NodeAddress{Type:${JSON.stringify(a.type ?? '')}, Address:${JSON.stringify(a.address ?? '')}}`;
      errs.push({ field: `status.addresses[${i}]`, type: 'FieldValueDuplicate', message: `status.addresses[${i}]: Duplicate value: ${shown}` });
    }
    addresses.add(id);
  });
  const oldCIDRs = old.podCIDRs ?? [];
  const cidrs = spec.podCIDRs ?? [];
  const cidrChange = forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid');
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== cidrs.length) errs.push(cidrChange);
    else oldCIDRs.forEach((c, i) => c !== cidrs[i] && errs.push(cidrChange));
  }
  if (old.providerID && old.providerID !== (spec.providerID ?? '')) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  if ((spec.externalID ?? '') !== (old.externalID ?? '')) errs.push(forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

/** The nodes strategy. */
export const nodes = {
  info: { group: '', version: 'v1', kind: 'Node', resource: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'] },
  schema: Node,
  defaults: defaultNode,
  validate: validateNode,
  mergeKeys: { 'spec.podCIDRs': '', 'status.conditions': 'type', 'status.addresses': 'type' },
  status: { onCreate: 'keep' },
  fields: (obj) => ({ 'spec.unschedulable': String(((obj.spec ?? {}) as NodeSpec).unschedulable ?? false) }),
  printer: nodePrinter,
} satisfies Strategy;
