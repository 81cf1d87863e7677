/**
 * The words of the flow recorder (flow.ts): which component a user agent
 * names, and a write's summary in a few words ('created', 'bound to
 * node-1', 'phase Running', 'replicas 3', 'deleted' ...), from what it
 * wrote and what the recorder remembers of the object before it.
 */
import type { KubeObject } from '../api/meta.js';
import type { ObservedWrite } from '../http/observe.js';

/** An owner of a written object (metadata.ownerReferences). */
export interface FlowOwner {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/**
 * The component a User-Agent names:
 * - `kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07` → `kubectl`;
 * - kube-scheduler's and kubeling's scheduler (`kubeling-scheduler/v0.1.0 ...`) → `kube-scheduler`;
 * - kube-controller-manager's and kubeling's (`kubeling-controller-manager/v0.1.0 (...) kube-controller-manager`)
 *   → `kube-controller-manager`, with `/<controller>` when the UA ends with the controller's
 *   client name, as kube's does (`... kubernetes/4cb5f07/system:serviceaccount:kube-system:replicaset-controller`
 *   → `kube-controller-manager/replicaset-controller`);
 * - kubelet and kubeling's nodes (`kubelet/v0.1.0 ...`) → `kubelet`;
 * - the dashboard (a browser: `Mozilla/5.0 ...`, or `kubeling-dashboard/...`) → `dashboard`;
 * - another → its product (the UA's first word, before `/`); none → `unknown`.
 */
export function componentOf(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown';
  const product = /^[^\s/]*/.exec(userAgent)![0];
  if (product === '') return 'unknown';
  if (product === 'kubectl' || product.startsWith('kubectl.')) return 'kubectl';
  switch (product) {
    case 'kube-scheduler':
    case 'kubeling-scheduler':
      return 'kube-scheduler';
    case 'kube-controller-manager':
    case 'kubeling-controller-manager': {
      const controller = controllerOf(userAgent);
      return controller ? `kube-controller-manager/${controller}` : 'kube-controller-manager';
    }
    case 'kubelet':
    case 'kubeling-nodes':
    case 'kubeling-node':
      return 'kubelet';
    case 'Mozilla':
    case 'dashboard':
    case 'kubeling-dashboard':
      return 'dashboard';
    default:
      return product;
  }
}

/** The part of a component before its `/` (`kube-controller-manager/replicaset-controller` → `kube-controller-manager`). */
export function baseComponent(component: string): string {
  const i = component.indexOf('/');
  return i < 0 ? component : component.slice(0, i);
}

/**
 * The controller a controller manager's UA ends with: client-go's
 * AddUserAgent appends `/<name>` to the UA's last word
 * (`kubernetes/<commit>/<name>`); a service account's name stands for its
 * controller (`system:serviceaccount:kube-system:<name>` → `<name>`).
 */
function controllerOf(userAgent: string): string | undefined {
  const words = userAgent.trim().split(/\s+/);
  if (words.length < 2) return undefined;
  const parts = words.at(-1)!.split('/');
  let name: string | undefined;
  if (parts.length >= 3) name = parts.slice(2).join('/');
  else if (parts.length === 2 && parts[0] === 'kube-controller-manager') name = parts[1];
  if (!name) return undefined;
  return name.startsWith('system:serviceaccount:') ? name.slice(name.lastIndexOf(':') + 1) || undefined : name;
}

/** What the recorder remembers of an object between its writes: what summaries compare. */
export interface ObjectState {
  uid?: string;
  /** The revision of its last write the recorder saw. */
  revision?: number;
  owners: readonly FlowOwner[];
  phase?: string;
  nodeName?: string;
  replicas?: number;
  /** `ready/replicas` of a workload's status. */
  ready?: string;
  /** A Node's Ready condition status. */
  nodeReady?: string;
  /** A Lease's holder. */
  holder?: string;
  deleting?: boolean;
  generation?: number;
}

const rec = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** An object's owners, as FlowEntry lists them. */
export function ownersOf(o: KubeObject): FlowOwner[] {
  return (o.metadata.ownerReferences ?? []).map((r) => ({ kind: r.kind, name: r.name, uid: r.uid }));
}

/** What the summaries look at in `o` (a few field reads, no copy). */
export function stateOf(o: KubeObject): ObjectState {
  const m = o.metadata;
  const spec = rec(o.spec);
  const status = rec(o.status);
  const s: ObjectState = { owners: ownersOf(o) };
  if (m.uid) s.uid = m.uid;
  const rv = Number(m.resourceVersion);
  if (m.resourceVersion && Number.isSafeInteger(rv)) s.revision = rv;
  const phase = str(status.phase);
  if (phase !== undefined) s.phase = phase;
  const nodeName = str(spec.nodeName);
  if (nodeName) s.nodeName = nodeName;
  const replicas = num(spec.replicas);
  if (replicas !== undefined) s.replicas = replicas;
  const statusReplicas = num(status.replicas);
  if (statusReplicas !== undefined) s.ready = `${num(status.readyReplicas) ?? 0}/${statusReplicas}`;
  if (o.kind === 'Node' && Array.isArray(status.conditions)) {
    const ready = (status.conditions as unknown[]).map(rec).find((c) => c.type === 'Ready');
    const st = ready && str(ready.status);
    if (st !== undefined) s.nodeReady = st;
  }
  if (o.kind === 'Lease') {
    const holder = str(spec.holderIdentity);
    if (holder !== undefined) s.holder = holder;
  }
  if (m.deletionTimestamp) s.deleting = true;
  if (m.generation !== undefined && m.generation !== null) s.generation = m.generation;
  return s;
}

/** At most `n` characters of `s` (an ellipsis marks a cut). */
function clip(s: string, n = 120): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * A write's summary: the failure's message; 'bound to <node>' for
 * pods/binding, 'evicted', 'replicas N' for a scale; 'created' (an Event's
 * reason and message), 'deleted', 'marked for deletion', 'deleted N' (a
 * collection); for an update or patch, what changed since the recorder's
 * last sight of the object (`prev`): 'bound to <node>', 'phase Running',
 * 'replicas 3', 'ready 2/3', 'Ready True' (a Node), 'holder X' or 'renewed'
 * (a Lease), 'marked for deletion', 'generation N'. Without a `prev`, a
 * status write names the phase and readiness it sets. Undefined when
 * nothing it looks at changed.
 */
export function summarize(w: ObservedWrite, prev: ObjectState | undefined, cur: ObjectState | undefined): string | undefined {
  if (w.code >= 300) return clip(w.failure?.message ?? w.failure?.reason ?? `HTTP ${w.code}`);
  switch (w.subresource) {
    case 'binding': {
      const node = str(rec(rec(w.request).target).name);
      return node ? `bound to ${node}` : 'bound';
    }
    case 'eviction':
      return 'evicted';
    case 'scale':
      return cur?.replicas !== undefined ? `replicas ${cur.replicas}` : undefined;
    default:
      break;
  }
  switch (w.verb) {
    case 'create': {
      if (w.object?.kind === 'Event') {
        const reason = str(w.object.reason);
        const message = str(w.object.message) ?? str(w.object.note);
        if (reason) return clip(message ? `${reason}: ${message}` : reason);
      }
      return w.object ? 'created' : w.subresource;
    }
    case 'delete':
      return w.deleted ? 'deleted' : 'marked for deletion';
    case 'deletecollection':
      return `deleted ${w.items?.length ?? 0}`;
    case 'update':
    case 'patch':
      // an apply (or a PUT) may create the object
      if (w.code === 201) return 'created';
      return cur ? changes(prev, cur, w.subresource === 'status') : undefined;
  }
}

/** What changed from `prev` to `cur`, as summarize words it. */
function changes(prev: ObjectState | undefined, cur: ObjectState, status: boolean): string | undefined {
  const out: string[] = [];
  // without a previous sight, only a status write's state is worth naming
  const changed = <T>(a: T | undefined, b: T | undefined, unknownToo: boolean): boolean => b !== undefined && (prev ? a !== b : unknownToo && status);
  if (changed(prev?.nodeName, cur.nodeName, false)) out.push(`bound to ${cur.nodeName}`);
  if (changed(prev?.phase, cur.phase, true)) out.push(`phase ${cur.phase}`);
  if (changed(prev?.replicas, cur.replicas, false)) out.push(`replicas ${cur.replicas}`);
  if (changed(prev?.ready, cur.ready, true)) out.push(`ready ${cur.ready}`);
  if (changed(prev?.nodeReady, cur.nodeReady, true)) out.push(`Ready ${cur.nodeReady}`);
  if (cur.holder !== undefined) out.push(prev?.holder === cur.holder ? 'renewed' : `holder ${cur.holder}`);
  if (cur.deleting && prev && !prev.deleting) out.push('marked for deletion');
  if (changed(prev?.generation, cur.generation, false) && !out.some((s) => s.startsWith('replicas'))) out.push(`generation ${cur.generation}`);
  return out.length ? out.join(', ') : undefined;
}
