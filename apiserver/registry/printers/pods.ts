/**
 * The pod columns of `kubectl get pods`, with the Status cell Kubernetes
 * derives from the pod: its phase or reason, then the first init container
 * that has not finished (`Init:1/3`, `Init:CrashLoopBackOff`), then the
 * app containers' waiting or terminated reasons (the first container's
 * wins), and last the deletion (`Terminating`, `Unknown` for a lost node).
 */
import type { KubeObject } from '../../api/meta.js';
import type { Container, Pod } from '../../api/core/pod.js';
import { AGE, NAME, age, column, type Printer } from '../printer.js';

type Status = NonNullable<Pod['status']>;
type ContainerStatus = NonNullable<Status['containerStatuses']>[number];
type State = NonNullable<ContainerStatus['state']>;

/** The reason a pod's node stopped reporting (its status.reason), shown as Unknown once the pod is being deleted. */
const NODE_LOST = 'NodeLost';

/** A sidecar: an init container with restartPolicy Always, which keeps running beside the app containers. */
function isSidecar(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** The latest of two RFC 3339 times (either may be unset). */
function later(a: string | undefined, b: string | null | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** A terminated state's reason, or `ExitCode:N` / `Signal:N` when it gives none. */
function terminatedReason(t: NonNullable<State['terminated']>): string {
  if (t.reason) return t.reason;
  return t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? 0}`;
}

/** What the Ready, Status and Restarts cells of a pod show. */
export interface PodSummary {
  /** `ready/total`, sidecars counted in both. */
  readonly ready: string;
  readonly status: string;
  /** The restart count, with `(5m ago)` from the latest restart when there was one. */
  readonly restarts: string;
}

/** Kubernetes' printPod: the pod's readiness, status reason and restarts at `now`. */
export function summarizePod(pod: Pod, now: Date): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const conditions = status.conditions ?? [];
  const inits = spec.initContainers ?? [];
  const byName = new Map(inits.map((c) => [c.name ?? '', c]));

  let reason = status.reason || status.phase || '';
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const total = (spec.containers ?? []).length + inits.filter(isSidecar).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: string | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: string | undefined;

  // init containers in order, stopping at the first one that is neither done nor a started sidecar
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [i, cs] of initStatuses.entries()) {
    const sidecar = isSidecar(byName.get(cs.name ?? ''));
    const finishedAt = cs.lastState?.terminated?.finishedAt;
    restarts += cs.restartCount ?? 0;
    if (cs.lastState?.terminated) lastRestart = later(lastRestart, finishedAt);
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated) lastSidecarRestart = later(lastSidecarRestart, finishedAt);
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (terminated) reason = `Init:${terminatedReason(terminated)}`;
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${inits.length}`;
    initializing = true;
    break;
  }

  const initialized = conditions.find((c) => c.type === 'Initialized')?.status === 'True';
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let running = false;
    // from the last container to the first, so that the first one's reason is the one left
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated) lastRestart = later(lastRestart, cs.lastState.terminated.finishedAt);
      const { waiting, terminated, running: isRunning } = cs.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated) reason = terminatedReason(terminated);
      else if (cs.ready && isRunning) {
        running = true;
        ready++;
      }
    }
    // a pod whose finished container left others running is still running
    if (reason === 'Completed' && running) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp) {
    if (status.reason === NODE_LOST) reason = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  }

  const restartCell = restarts !== 0 && lastRestart ? `${restarts} (${age(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartCell };
}

/** The pod's first IP: status.podIP, else podIPs[0] (`<none>` when it has none yet). */
function podIP(status: Status): string {
  return status.podIP || status.podIPs?.[0]?.ip || '<none>';
}

/** Readiness gates as `true/total` of the conditions they name, or `<none>`. */
function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const met = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${met}/${gates.length}`;
}

/** pods: Name, Ready, Status, Restarts, Age; wide: IP, Node, Nominated Node, Readiness Gates. */
export const podPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'Ready containers out of all containers (sidecars included).'),
    column('Status', 'string', 'The pod status as derived from its phase and its containers.'),
    column('Restarts', 'string', 'Container restarts, and how long ago the latest one was.'),
    AGE,
    column('IP', 'string', 'The IP address of the pod.', 1),
    column('Node', 'string', 'The node the pod runs on.', 1),
    column('Nominated Node', 'string', 'The node a preemption made room on for the pod.', 1),
    column('Readiness Gates', 'string', 'Readiness gate conditions that are true, out of all.', 1),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const pod = obj as unknown as Pod;
    const s = summarizePod(pod, now);
    const status = pod.status ?? {};
    return [
      pod.metadata.name ?? '',
      s.ready,
      s.status,
      s.restarts,
      age(pod.metadata.creationTimestamp, now),
      podIP(status),
      pod.spec?.nodeName || '<none>',
      status.nominatedNodeName || '<none>',
      readinessGates(pod),
    ];
  },
};
