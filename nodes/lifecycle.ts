/**
 * A simulated pod's life on its node, as pure functions of time: the plan
 * (when each container starts, becomes ready, exits or is killed), the
 * status the kubelet would report at any instant, the next instant that
 * status changes, and the log lines each container has written by then.
 *
 * Everything follows from the pod object and two facts only the node knows
 * (`PodRuntime`): when it first synced the pod (status.startTime) and when it
 * saw the pod's deletion. Delays that vary between pods are drawn from the
 * pod's uid, so a restarted node recomputes exactly the status it wrote
 * before (an adopted pod is not rewritten).
 *
 * The timeline of a pod, from its first sync `start`:
 *   start ── startDelay ──▶ init[0] runs ─initMs─▶ init[1] ... ──▶ containers run
 *   (sandbox, images)        (one by one; a restartable init container,
 *                            a sidecar, starts and keeps running)
 * then containers are ready (at once, or after readinessProbe.initialDelaySeconds)
 * and a pod meant to finish (restartPolicy Never or OnFailure) exits after
 * `kubeling.dev/run-seconds` with `kubeling.dev/exit-code`. A deleted pod is
 * killed when its grace period ends, or earlier when `kubeling.dev/stop-seconds`
 * says how long it takes to stop on SIGTERM; one not yet running stops at once.
 */
import { createHash } from 'node:crypto';
import { rfc3339 } from '../client/clock.js';
import type { Container, Pod, PodCondition } from '../client/types.js';

/** How long a pod meant to finish runs, in seconds (decimals allowed). */
export const RUN_SECONDS = 'kubeling.dev/run-seconds';
/** The exit code of a pod meant to finish (default 0). */
export const EXIT_CODE = 'kubeling.dev/exit-code';
/** How long a container takes to stop on SIGTERM, in seconds (default: it ignores SIGTERM and is killed when the grace period ends). */
export const STOP_SECONDS = 'kubeling.dev/stop-seconds';

/** The simulated durations. */
export interface PodTimings {
  /** From the first sync to the first container running (sandbox, image, create): [min, max] ms, picked per pod from its uid. */
  readonly startMs: readonly [number, number];
  /** How long each (non-restartable) init container runs, in ms. */
  readonly initMs: number;
  /** How long a pod meant to finish runs without a run-seconds annotation, in ms. */
  readonly runMs: number;
}

/** Short defaults, so a cluster (and its tests) moves quickly. */
export const DEFAULT_TIMINGS: PodTimings = { startMs: [500, 1000], initMs: 500, runMs: 3000 };

/** What the node knows of a pod beyond its object. */
export interface PodRuntime {
  /** When the node first synced the pod (ms, a whole second: status.startTime). */
  readonly startedAt: number;
  /** When the node first saw the pod's deletionTimestamp (ms). */
  readonly deletionSeenAt?: number;
  /** The pod has no IP (none free): its sandbox cannot be made, it stays ContainerCreating. */
  readonly noIP?: boolean;
}

/** How a container's run ends. */
export type Ending = 'exit' | 'grace' | 'stop' | 'unstarted';

/** One container's plan (times in ms; Infinity when it does not happen). */
export interface ContainerPlan {
  readonly name: string;
  readonly image: string;
  readonly init: boolean;
  /** A restartable init container: starts, then runs beside the containers. */
  readonly sidecar: boolean;
  /** When it starts running. */
  readonly from: number;
  /** When it would exit on its own (an init container after initMs, a finishing pod's after its run). */
  readonly to: number;
  readonly readyAt: number;
  /** Its exit code when it exits on its own. */
  readonly exitCode: number;
}

/** A pod's plan; see the file comment. */
export interface PodPlan {
  readonly start: number;
  /** When the sandbox (and the pod IP) is ready. */
  readonly sandboxAt: number;
  /** When the containers run (every init container done). */
  readonly runningAt: number;
  /** When the pod's containers have all stopped (Infinity: it runs on). */
  readonly end: number;
  /** Why it ends at `end`. */
  readonly ending: Ending;
  /** When the deletion was seen, if it was. */
  readonly deletionSeenAt?: number;
  readonly inits: readonly ContainerPlan[];
  readonly containers: readonly ContainerPlan[];
}

/** A number in [0, 1) drawn from a string (a pod's uid). */
export function fraction(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0) / 2 ** 32;
}

/** Whether the pod's containers are meant to finish (Jobs' pods), not to run until deleted. */
export function finishes(pod: Pod): boolean {
  const p = pod.spec.restartPolicy;
  return p === 'Never' || p === 'OnFailure';
}

/** A non-negative number of an annotation, or `fallback`. */
function seconds(pod: Pod, annotation: string): number | undefined {
  const v = pod.metadata.annotations?.[annotation];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The exit code the pod's annotation asks for (0 when unset or not an integer). */
export function exitCodeOf(pod: Pod): number {
  const n = Number(pod.metadata.annotations?.[EXIT_CODE] ?? 0);
  return Number.isInteger(n) ? n : 0;
}

/** The pod's plan, given what the node knows of it. */
export function planPod(pod: Pod, rt: PodRuntime, timings: PodTimings = DEFAULT_TIMINGS): PodPlan {
  const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
  const [lo, hi] = timings.startMs;
  const start = rt.startedAt;
  let t = rt.noIP ? Infinity : start + Math.round(lo + (hi - lo) * fraction(uid));
  const sandboxAt = t;
  const inits: ContainerPlan[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    const sidecar = c.restartPolicy === 'Always';
    const to = sidecar ? Infinity : t + timings.initMs;
    inits.push({ name: c.name, image: c.image ?? '', init: true, sidecar, from: t, to, readyAt: sidecar ? t + probeDelay(c) : Infinity, exitCode: 0 });
    if (!sidecar) t = to;
  }
  const runningAt = t;
  const run = finishes(pod) ? (seconds(pod, RUN_SECONDS) ?? timings.runMs / 1000) * 1000 : Infinity;
  const natural = runningAt + run;
  const code = exitCodeOf(pod);
  const containers = pod.spec.containers.map((c) => ({ name: c.name, image: c.image ?? '', init: false, sidecar: false, from: runningAt, to: natural, readyAt: runningAt + probeDelay(c), exitCode: code }));
  let end = natural;
  let ending: Ending = 'exit';
  const seen = rt.deletionSeenAt;
  if (pod.metadata.deletionTimestamp && seen !== undefined && seen < natural) {
    if (seen < runningAt) {
      end = seen;
      ending = 'unstarted';
    } else {
      // the lesser of the grace period (from when the node saw the deletion) and the time left before deletionTimestamp
      const grace = (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
      const left = Date.parse(pod.metadata.deletionTimestamp);
      const graceEnd = Math.max(seen, Math.min(seen + grace, Number.isNaN(left) ? Infinity : left));
      const stop = seconds(pod, STOP_SECONDS);
      const stopAt = stop === undefined ? Infinity : seen + stop * 1000;
      const kill = Math.min(graceEnd, stopAt);
      if (kill < natural) {
        end = kill;
        ending = stopAt <= graceEnd ? 'stop' : 'grace';
      }
    }
  }
  if (end === Infinity) ending = 'exit';
  return { start, sandboxAt, runningAt, end, ending, ...(seen !== undefined ? { deletionSeenAt: seen } : {}), inits, containers };
}

/** How long after it starts a container is ready: readinessProbe.initialDelaySeconds, or at once. */
function probeDelay(c: Container): number {
  return (c.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
}

/** An image reference as the container runtime reports it: `nginx` → `docker.io/library/nginx:latest`. */
export function normalizeImage(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const registry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = registry ? image : `docker.io/${slash < 0 ? 'library/' : ''}${image}`;
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (!name.includes('@') && !last.includes(':')) name += ':latest';
  return name;
}

/** The image ID the runtime reports: the repository and a digest made from the reference. */
export function imageID(image: string): string {
  const ref = normalizeImage(image);
  const repo = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref.replace(/:[^:/]+$/, '');
  return `${repo}@sha256:${createHash('sha256').update(ref).digest('hex')}`;
}

/** A container's ID: the runtime's scheme and a hash of the pod uid and the container name. */
export function containerID(uid: string, name: string): string {
  return `kubeling://${createHash('sha256').update(`${uid}/${name}`).digest('hex')}`;
}

/** v1.ContainerState. */
export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string };
}

/** v1.ContainerStatus, as the kubelet writes it. */
export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

/** The part of v1.PodStatus the kubelet owns. */
export interface KubeletPodStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  conditions: PodCondition[];
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses: ContainerStatus[];
}

/** Where the pod runs: the node's IP and the pod's own (unset until it has one). */
export interface PodAddresses {
  readonly hostIP: string;
  readonly podIP?: string;
}

/** The exit code and reason a container's end gives it. */
function endingOf(c: ContainerPlan, plan: PodPlan): { exitCode: number; reason: string; at: number } {
  if (c.to <= plan.end) return { exitCode: c.exitCode, reason: c.exitCode === 0 ? 'Completed' : 'Error', at: c.to };
  // stopped by the pod's end: killed after its grace period (137), exited on SIGTERM (0), or a sidecar stopped after the containers
  const code = plan.ending === 'grace' ? 137 : 0;
  return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', at: plan.end };
}

/** A container's status at `t`. */
function containerStatus(uid: string, c: ContainerPlan, plan: PodPlan, t: number, waitingReason: string): ContainerStatus {
  const base = { name: c.name, lastState: {}, restartCount: 0 };
  const started = { image: normalizeImage(c.image), imageID: imageID(c.image), containerID: containerID(uid, c.name) };
  if (t >= plan.end && c.from >= plan.end) {
    const terminated = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' };
    return { ...base, state: { terminated }, ready: false, image: c.image, imageID: '', started: false };
  }
  if (t < c.from) return { ...base, state: { waiting: { reason: waitingReason } }, ready: false, image: c.image, imageID: '', started: false };
  const e = endingOf(c, plan);
  if (t < e.at) return { ...base, ...started, state: { running: { startedAt: rfc3339(c.from) } }, ready: t >= c.readyAt, started: true };
  const terminated = { exitCode: e.exitCode, reason: e.reason, startedAt: rfc3339(c.from), finishedAt: rfc3339(e.at), containerID: started.containerID };
  // a completed init container counts as ready, as the kubelet reports it
  return { ...base, ...started, state: { terminated }, ready: c.init && !c.sidecar && e.exitCode === 0, started: false };
}

/** A condition true during [from, to) (empty when from >= to), as of t. */
function condition(type: string, t: number, start: number, from: number, to: number, whenFalse: { reason?: string; message?: string } = {}): PodCondition {
  const on = from < to && from <= t && t < to;
  const since = on ? from : from < to && t >= to ? to : start;
  return { type, status: on ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: rfc3339(since), ...(on ? {} : whenFalse) };
}

/** Names as Go prints a []string: `[a b]`. */
const goList = (names: string[]): string => `[${names.join(' ')}]`;

/** The pod's status at `t`; see the file comment. */
export function podStatusAt(pod: Pod, plan: PodPlan, t: number, at: PodAddresses): KubeletPodStatus {
  const uid = pod.metadata.uid ?? '';
  const inits = plan.inits.map((c) => containerStatus(uid, c, plan, t, 'PodInitializing'));
  const containers = plan.containers.map((c) => containerStatus(uid, c, plan, t, plan.inits.length ? 'PodInitializing' : 'ContainerCreating'));
  const ended = t >= plan.end;
  const mains = containers.filter((c) => c.state.terminated);
  const failed = mains.some((c) => c.state.terminated!.exitCode !== 0);
  const phase = ended ? (failed ? 'Failed' : 'Succeeded') : t >= plan.runningAt ? 'Running' : 'Pending';
  const allReady = Math.max(...[...plan.containers, ...plan.inits.filter((c) => c.sidecar)].map((c) => c.readyAt));
  const unready = [...plan.inits.filter((c) => c.sidecar), ...plan.containers].filter((c) => !(t >= c.readyAt && t < plan.end)).map((c) => c.name);
  const incomplete = plan.inits.filter((c) => (c.sidecar ? t < c.from : t < c.to)).map((c) => c.name);
  // initialized once every init container has completed (or, a sidecar, started); for good, even after the pod ends
  const initDone = plan.inits.length ? plan.runningAt : plan.start;
  const notReady = ended ? { reason: failed ? 'PodFailed' : 'PodCompleted' } : { reason: 'ContainersNotReady', message: `containers with unready status: ${goList(unready)}` };
  const conditions = [
    condition('PodReadyToStartContainers', t, plan.start, plan.sandboxAt, plan.end),
    condition('Initialized', t, plan.start, initDone, initDone < plan.end ? Infinity : initDone, {
      reason: 'ContainersNotInitialized',
      message: `containers with incomplete status: ${goList(incomplete)}`,
    }),
    condition('Ready', t, plan.start, allReady, plan.end, notReady),
    condition('ContainersReady', t, plan.start, allReady, plan.end, notReady),
  ];
  const podIP = at.podIP !== undefined && t >= plan.sandboxAt && plan.sandboxAt < plan.end ? at.podIP : undefined;
  return {
    phase,
    conditions,
    hostIP: at.hostIP,
    hostIPs: [{ ip: at.hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: rfc3339(plan.start),
    ...(plan.inits.length ? { initContainerStatuses: inits } : {}),
    containerStatuses: containers,
  };
}

/** The first instant after `t` at which the status changes, if any. */
export function nextChange(plan: PodPlan, t: number): number | undefined {
  const times = [plan.sandboxAt, plan.runningAt, plan.end];
  for (const c of [...plan.inits, ...plan.containers]) times.push(c.from, c.to, c.readyAt);
  let next = Infinity;
  for (const x of times) if (x > t && x < next) next = x;
  return next === Infinity ? undefined : next;
}

/** One line a container wrote. */
export interface LogLine {
  /** When it was written (ms). */
  readonly at: number;
  readonly text: string;
}

/** Every line the container writes in its (simulated) life, in time order, including lines still to come. */
export function logLines(pod: Pod, plan: PodPlan, container: string, where: { node: string; podIP?: string }): LogLine[] {
  const c = [...plan.inits, ...plan.containers].find((x) => x.name === container);
  if (!c || c.from === Infinity || c.from >= plan.end) return [];
  const id = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const out: LogLine[] = [
    { at: c.from, text: `kubeling: image ${normalizeImage(c.image)} pulled (${imageID(c.image)})` },
    { at: c.from, text: `kubeling: container ${c.name} of pod ${id} started on node ${where.node}${where.podIP ? ` with IP ${where.podIP}` : ''}` },
  ];
  const e = endingOf(c, plan);
  if (!c.init || c.sidecar) {
    if (c.readyAt < e.at) {
      const probe = c.readyAt > c.from ? `readiness probe succeeded after ${(c.readyAt - c.from) / 1000}s` : 'no readiness probe';
      out.push({ at: c.readyAt, text: `kubeling: ready (${probe})` });
    }
    if (!c.init && c.to !== Infinity && c.to > c.from) out.push({ at: c.from, text: `kubeling: working for ${(c.to - c.from) / 1000}s, then exiting with code ${c.exitCode}` });
  }
  if (plan.deletionSeenAt !== undefined && plan.ending !== 'unstarted' && plan.deletionSeenAt <= e.at && e.at === plan.end) {
    out.push({ at: Math.max(plan.deletionSeenAt, c.from), text: 'kubeling: received SIGTERM' });
  }
  if (e.at !== Infinity) {
    const how =
      e.at === c.to ? `${c.init && !c.sidecar ? 'done' : 'work done'}; exiting with code ${e.exitCode}` : plan.ending === 'grace' ? 'grace period over: killed (SIGKILL), exit code 137' : 'stopped on SIGTERM; exiting with code 0';
    out.push({ at: e.at, text: `kubeling: ${how}` });
  }
  return out.sort((a, b) => a.at - b.at);
}
