/**
 * Reading the flow recorder's entries (web/README.md, FlowEntry): which
 * component reacted to a write, and the chain that brought a pod to
 * Running: the Deployment write, the ReplicaSet write of the Deployment
 * controller, the pod's creation by the ReplicaSet controller, the
 * scheduler's binding and the kubelet's status update to Running, each with
 * its time and the gap since the step before. Pure: no DOM (unit tested
 * under Node).
 */
import type { FlowEntry } from './types.js';

/** The colour family of a component, from its name. */
export type ComponentKind = 'kubectl' | 'scheduler' | 'controller-manager' | 'kubelet' | 'apiserver' | 'dashboard' | 'other';

/** The colour family of `component` (kubectl, kube-scheduler, kube-controller-manager, kubelet ...). */
export function componentKind(component: string): ComponentKind {
  const c = component.toLowerCase();
  if (c.includes('kubectl')) return 'kubectl';
  if (c.includes('schedul')) return 'scheduler';
  if (c.includes('controller')) return 'controller-manager';
  if (c.includes('kubelet') || c.includes('node')) return 'kubelet';
  if (c.includes('apiserver')) return 'apiserver';
  if (c.includes('dashboard') || c.includes('kubeling-ui')) return 'dashboard';
  return 'other';
}

/** A component without its controller (`kube-controller-manager/replicaset-controller` → `kube-controller-manager`): how watchers are named. */
export function baseComponent(component: string): string {
  const i = component.indexOf('/');
  return i < 0 ? component : component.slice(0, i);
}

/** The milliseconds since the epoch of an entry's time. */
export const timeOf = (e: FlowEntry): number => Date.parse(e.time);

/** Whether entry `e` wrote the object `resource` `namespace`/`name` (any subresource of it). */
export function writes(e: FlowEntry, resource: string, namespace: string | undefined, name: string): boolean {
  return e.resource === resource && (e.namespace ?? '') === (namespace ?? '') && e.name === name;
}

/** Whether `a` and `b` wrote the same object: the same uid, or the same resource, namespace and name. */
export function sameObject(a: FlowEntry, b: FlowEntry): boolean {
  if (a.uid && b.uid && a.resource === b.resource) return a.uid === b.uid;
  return writes(b, a.resource, a.namespace, a.name);
}

/** The object an entry wrote, for display and filters: `pods/default/web-1`, `nodes/n1`. */
export function objectName(e: FlowEntry): string {
  return [e.resource, e.namespace, e.name].filter((x) => x !== undefined && x !== '').join('/');
}

/** A reaction to a write: a component that got its watch event and wrote next. */
export interface Reaction {
  readonly component: string;
  /** The watch event's delay after the write, if the recorder saw it delivered. */
  readonly deliveredMs?: number;
  readonly entry: FlowEntry;
}

/** How long after a write a component's next write still counts as its reaction. */
export const REACTION_WINDOW_MS = 60_000;

/**
 * The reactions to `e` among `entries` (ordered by seq): the writes the
 * recorder says answer it (their `cause` is `e`), and, for writes it gives
 * no cause, the first later write of each component that got a watch event
 * of `e`, on the same object or on an object that `e`'s object owns
 * (looking at most `maxScan` entries and REACTION_WINDOW_MS ahead). One
 * reaction per component, the first.
 */
export function reactionsTo(entries: readonly FlowEntry[], e: FlowEntry, maxScan = 2000): Reaction[] {
  const delivered = new Map<string, number>();
  for (const d of e.deliveries) {
    const c = baseComponent(d.component);
    if (!delivered.has(c) || d.atMs < delivered.get(c)!) delivered.set(c, d.atMs);
  }
  const out: Reaction[] = [];
  const done = new Set<string>();
  const start = lowerBound(entries, e.seq + 1);
  const until = timeOf(e) + REACTION_WINDOW_MS;
  for (let i = start; i < Math.min(entries.length, start + maxScan); i++) {
    const f = entries[i]!;
    if (timeOf(f) > until) break;
    if (done.has(f.component) || f.code >= 400) continue;
    const at = delivered.get(baseComponent(f.component));
    let reacted: boolean;
    if (f.cause !== undefined) reacted = f.cause === e.seq;
    else reacted = at !== undefined && (sameObject(e, f) || (e.uid !== undefined && f.owners.some((o) => o.uid === e.uid)));
    if (!reacted) continue;
    out.push({ component: f.component, ...(at !== undefined ? { deliveredMs: at } : {}), entry: f });
    done.add(f.component);
  }
  return out;
}

/** The index of the first entry with seq >= `seq` in `entries` ordered by seq. */
function lowerBound(entries: readonly FlowEntry[], seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- following a pod

/** The steps of a pod's way to Running, in order. */
export const STEPS = ['deployment', 'replicaset', 'pod', 'binding', 'running'] as const;
/** One of STEPS. */
export type StepName = (typeof STEPS)[number];

/** A step of the chain: the write that made it, if the recorder has it. */
export interface Step {
  readonly step: StepName;
  /** What the step is, for people. */
  readonly label: string;
  readonly entry?: FlowEntry;
  /** Why there is no entry: not applicable (a pod without a ReplicaSet) or not seen (yet). */
  readonly missing?: string;
  /** Milliseconds since the previous step that has an entry. */
  readonly gapMs?: number;
  /** When the previous step's watch event reached this step's component, in ms after that write (if recorded). */
  readonly deliveredMs?: number;
}

/** A pod's chain. */
export interface FollowResult {
  readonly namespace: string;
  readonly name: string;
  readonly steps: readonly Step[];
  /** Whether the kubelet has reported it Running. */
  readonly running: boolean;
  /** From the first step seen to Running (or to the last step seen so far). */
  readonly totalMs?: number;
  /** The pod's latest status write when not Running yet (e.g. 'phase Pending'). */
  readonly latestStatus?: string;
}

const ok = (e: FlowEntry): boolean => e.code < 400;
const isSpecWrite = (e: FlowEntry): boolean => ['create', 'update', 'patch', 'apply'].includes(e.verb) && (e.subresource === undefined || e.subresource === '' || e.subresource === 'scale');

/** The last entry before index `before` that satisfies `f`. */
function lastBefore(entries: readonly FlowEntry[], before: number, f: (e: FlowEntry) => boolean): FlowEntry | undefined {
  for (let i = Math.min(before, entries.length) - 1; i >= 0; i--) if (f(entries[i]!)) return entries[i];
  return undefined;
}

/** The first entry at or after index `from` that satisfies `f`. */
function firstFrom(entries: readonly FlowEntry[], from: number, f: (e: FlowEntry) => boolean): FlowEntry | undefined {
  for (let i = Math.max(from, 0); i < entries.length; i++) if (f(entries[i]!)) return entries[i];
  return undefined;
}

/**
 * The chain that brought pod `namespace`/`name` to Running, from `entries`
 * ordered by seq. Its latest creation is the pod step; its ReplicaSet owner's
 * last write before it (the Deployment controller creating or scaling it)
 * the replicaset step; that ReplicaSet's Deployment owner's last spec write
 * before that (kubectl apply, scale, rollout) the deployment step; the first
 * binding after the creation the binding step; the first status write
 * saying Running after that the running step.
 */
export function followPod(entries: readonly FlowEntry[], namespace: string, name: string): FollowResult {
  const idx = new Map(entries.map((e, i) => [e, i]));
  const at = (e: FlowEntry | undefined, otherwise: number): number => (e ? idx.get(e)! : otherwise);
  const onPod = (e: FlowEntry): boolean => writes(e, 'pods', namespace, name) && ok(e);

  const create = lastBefore(entries, entries.length, (e) => onPod(e) && e.verb === 'create' && !e.subresource);
  const found: Partial<Record<StepName, FlowEntry>> = {};
  const missing: Partial<Record<StepName, string>> = {};
  if (create) found.pod = create;
  else missing.pod = 'its creation was not recorded (before the recorder started, or older than its buffer)';

  // owners: from the creation, or else from any write of the pod
  const podOwners = create?.owners ?? lastBefore(entries, entries.length, (e) => onPod(e) && e.owners.length > 0)?.owners ?? [];
  const rsRef = podOwners.find((o) => o.kind === 'ReplicaSet');
  const createAt = at(create, entries.length);
  if (!rsRef) {
    const why = create || podOwners.length > 0 ? 'the pod has no ReplicaSet owner' : 'its owner is not known';
    missing.replicaset = why;
    missing.deployment = why;
  } else {
    const onRs = (e: FlowEntry): boolean => e.resource === 'replicasets' && (e.uid ? e.uid === rsRef.uid : writes(e, 'replicasets', namespace, rsRef.name)) && ok(e);
    const rs = lastBefore(entries, createAt, (e) => onRs(e) && isSpecWrite(e));
    if (rs) found.replicaset = rs;
    else missing.replicaset = `no write of ReplicaSet ${rsRef.name} was recorded before the pod`;
    const rsOwners = rs?.owners ?? lastBefore(entries, entries.length, (e) => onRs(e) && e.owners.length > 0)?.owners ?? [];
    const depRef = rsOwners.find((o) => o.kind === 'Deployment');
    if (!depRef) missing.deployment = rs ? 'the ReplicaSet has no Deployment owner' : 'its Deployment is not known';
    else {
      const dep = lastBefore(
        entries,
        at(rs, createAt),
        (e) => e.resource === 'deployments' && (e.uid ? e.uid === depRef.uid : writes(e, 'deployments', namespace, depRef.name)) && ok(e) && isSpecWrite(e),
      );
      if (dep) found.deployment = dep;
      else missing.deployment = `no write of Deployment ${depRef.name} was recorded before the ReplicaSet's`;
    }
  }

  const binding = create ? firstFrom(entries, createAt + 1, (e) => onPod(e) && e.subresource === 'binding') : undefined;
  if (binding) found.binding = binding;
  else missing.binding = 'not bound yet';
  const statusFrom = at(binding, at(create, 0)) + 1;
  const isStatus = (e: FlowEntry): boolean => onPod(e) && e.subresource === 'status';
  const running = create ? firstFrom(entries, statusFrom, (e) => isStatus(e) && /\bRunning\b/.test(e.summary ?? '')) : undefined;
  if (running) found.running = running;
  else missing.running = 'not Running yet';
  const latest = create && !running ? lastBefore(entries, entries.length, (e) => isStatus(e) && idx.get(e)! > createAt) : undefined;

  const labels: Record<StepName, string> = {
    deployment: 'Deployment written',
    replicaset: 'ReplicaSet written by the Deployment controller',
    pod: 'Pod created by the ReplicaSet controller',
    binding: 'Bound to a node by the scheduler',
    running: 'Reported Running by the kubelet',
  };
  if (create && !rsRef) labels.pod = 'Pod created';
  const steps: Step[] = [];
  let prev: FlowEntry | undefined;
  for (const s of STEPS) {
    const e = found[s];
    if (!e) {
      steps.push({ step: s, label: labels[s], missing: missing[s] ?? 'not seen' });
      continue;
    }
    const delivered = prev?.deliveries.filter((d) => baseComponent(d.component) === baseComponent(e.component)).map((d) => d.atMs);
    steps.push({
      step: s,
      label: labels[s],
      entry: e,
      ...(prev ? { gapMs: timeOf(e) - timeOf(prev) } : {}),
      ...(delivered && delivered.length > 0 ? { deliveredMs: Math.min(...delivered) } : {}),
    });
    prev = e;
  }
  const seen = steps.filter((s) => s.entry);
  const first = seen[0]?.entry;
  const last = seen[seen.length - 1]?.entry;
  return {
    namespace,
    name,
    steps,
    running: running !== undefined,
    ...(first && last && seen.length > 1 ? { totalMs: timeOf(last) - timeOf(first) } : {}),
    ...(latest?.summary ? { latestStatus: latest.summary } : {}),
  };
}

/** The pods whose creation `entries` recorded, newest first, once each: `namespace/name`. */
export function createdPods(entries: readonly FlowEntry[]): string[] {
  const seen = new Set<string>();
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.resource === 'pods' && e.verb === 'create' && !e.subresource && ok(e)) seen.add(`${e.namespace ?? ''}/${e.name}`);
  }
  return [...seen];
}

/** Milliseconds for people: `850 ms`, `1.25 s`, `2 min 5 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(a / 60_000);
  return `${ms < 0 ? '-' : ''}${m} min ${Math.round((a - m * 60_000) / 1000)} s`;
}
