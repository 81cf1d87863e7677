/**
 * The node columns of `kubectl get nodes`: readiness from the Ready
 * condition, roles from the role labels, and (wide) the addresses and what
 * the kubelet reports of its machine.
 */
import type { Node } from '../../api/core/node.js';
import type { KubeObject } from '../../api/meta.js';
import { AGE, NAME, age, column, type Printer } from '../printer.js';

/** A label `node-role.kubernetes.io/<role>` gives a node the role in its name. */
const ROLE_PREFIX = 'node-role.kubernetes.io/';
/** The older label `kubernetes.io/role: <role>` gives the role in its value. */
const ROLE_LABEL = 'kubernetes.io/role';

/** `Ready`, `NotReady` or `Unknown` (no Ready condition), with `,SchedulingDisabled` for a cordoned node. */
function nodeStatus(node: Node): string {
  // a later condition of the same type wins, as in Kubernetes' map of them
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').at(-1);
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** The node's roles, sorted and without duplicates, joined by commas; `<none>`. */
function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v) {
      roles.add(v);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

/** The first address of `type`, or `<none>`. */
function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

/** nodes: Name, Status, Roles, Age, Version; wide: Internal-IP, External-IP, OS-Image, Kernel-Version, Container-Runtime. */
export const nodePrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'Whether the node is ready, and whether it takes new pods.'),
    column('Roles', 'string', 'The roles its node-role labels give the node.'),
    AGE,
    column('Version', 'string', 'The kubelet version the node reports.'),
    column('Internal-IP', 'string', 'The first InternalIP address of the node.', 1),
    column('External-IP', 'string', 'The first ExternalIP address of the node.', 1),
    column('OS-Image', 'string', 'The OS image the node reports.', 1),
    column('Kernel-Version', 'string', 'The kernel version the node reports.', 1),
    column('Container-Runtime', 'string', 'The container runtime and its version.', 1),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const node = obj as unknown as Node;
    const info = node.status?.nodeInfo ?? {};
    return [
      node.metadata.name ?? '',
      nodeStatus(node),
      nodeRoles(node),
      age(node.metadata.creationTimestamp, now),
      info.kubeletVersion ?? '',
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ];
  },
};
