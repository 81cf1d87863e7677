/**
 * A simulated pod's status over time, on a FakeClock: the transitions a
 * kubelet reports (ContainerCreating, init containers one by one, Running,
 * Ready after the readiness delay, Succeeded or Failed, killed after the
 * grace period), and a restarted node recomputing the same status.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../client/clock.js';
import type { Pod } from '../client/types.js';
import { containerID, imageID, logLines, nextChange, normalizeImage, planPod, podStatusAt, type KubeletPodStatus, type PodRuntime, type PodTimings } from './lifecycle.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const TIMINGS: PodTimings = { startMs: [1000, 1000], initMs: 2000, runMs: 5000 };
const AT = { hostIP: '127.0.0.1', podIP: '10.244.0.7' };

function pod(spec: Partial<Pod['spec']> = {}, annotations: Record<string, string> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'uid-1', annotations }, spec: { containers: [{ name: 'app', image: 'nginx' }], restartPolicy: 'Always', ...spec } };
}

/**
 * Runs the pod's timeline on a FakeClock as the node's worker does (a timer
 * for each next change) and returns each status it would write, with the
 * second it is written at.
 */
function run(p: Pod, rt: PodRuntime, untilMs = 60_000): { at: number; status: KubeletPodStatus }[] {
  const clock = new FakeClock(T0);
  const out: { at: number; status: KubeletPodStatus }[] = [];
  const sync = (): void => {
    const plan = planPod(p, rt, TIMINGS);
    const status = podStatusAt(p, plan, clock.now(), AT);
    if (JSON.stringify(out.at(-1)?.status) !== JSON.stringify(status)) out.push({ at: (clock.now() - T0) / 1000, status });
    const next = nextChange(plan, clock.now());
    if (next !== undefined) clock.setTimeout(sync, next - clock.now());
  };
  sync();
  clock.step(untilMs);
  return out;
}

const cond = (s: KubeletPodStatus, type: string) => s.conditions.find((c) => c.type === type)!;
const summary = (s: KubeletPodStatus) => [s.phase, ...s.containerStatuses.map((c) => Object.keys(c.state)[0]), cond(s, 'Ready').status];

describe('a simulated pod over time', () => {
  it('creates, runs, then is ready after readinessProbe.initialDelaySeconds', () => {
    const seen = run(pod({ containers: [{ name: 'app', image: 'nginx', readinessProbe: { initialDelaySeconds: 3 } }] }), { startedAt: T0 });
    assert.deepEqual(
      seen.map((s) => [s.at, ...summary(s.status)]),
      [
        [0, 'Pending', 'waiting', 'False'],
        [1, 'Running', 'running', 'False'],
        [4, 'Running', 'running', 'True'],
      ],
    );
    const [creating, running, ready] = seen.map((s) => s.status) as [KubeletPodStatus, KubeletPodStatus, KubeletPodStatus];
    assert.deepEqual(creating.containerStatuses[0], { name: 'app', lastState: {}, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, ready: false, image: 'nginx', imageID: '', started: false });
    assert.equal(creating.podIP, undefined, 'no IP before the sandbox');
    assert.deepEqual([creating.hostIP, creating.startTime], ['127.0.0.1', '2025-01-01T00:00:00Z']);
    assert.deepEqual([cond(creating, 'PodReadyToStartContainers').status, cond(creating, 'Initialized').status], ['False', 'True']);
    assert.deepEqual([running.podIP, running.podIPs], ['10.244.0.7', [{ ip: '10.244.0.7' }]]);
    assert.deepEqual(running.containerStatuses[0], {
      name: 'app',
      lastState: {},
      restartCount: 0,
      image: 'docker.io/library/nginx:latest',
      imageID: imageID('nginx'),
      containerID: containerID('uid-1', 'app'),
      state: { running: { startedAt: '2025-01-01T00:00:01Z' } },
      ready: false,
      started: true,
    });
    assert.deepEqual(cond(running, 'Ready'), { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    assert.deepEqual(cond(ready, 'Ready'), { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:04Z' });
    assert.deepEqual(ready.conditions.map((c) => c.type), ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);
  });

  it('runs init containers one by one before the containers (Init:0/2, Init:1/2), a sidecar beside them', () => {
    const p = pod({
      initContainers: [
        { name: 'setup', image: 'busybox' },
        { name: 'proxy', image: 'envoy', restartPolicy: 'Always' },
        { name: 'migrate', image: 'busybox' },
      ],
    });
    const seen = run(p, { startedAt: T0 });
    const inits = (s: KubeletPodStatus) => s.initContainerStatuses!.map((c) => Object.keys(c.state)[0]).join(',');
    assert.deepEqual(
      seen.map((s) => [s.at, s.status.phase, inits(s.status), Object.keys(s.status.containerStatuses[0]!.state)[0]]),
      [
        [0, 'Pending', 'waiting,waiting,waiting', 'waiting'],
        [1, 'Pending', 'running,waiting,waiting', 'waiting'],
        [3, 'Pending', 'terminated,running,running', 'waiting'],
        [5, 'Running', 'terminated,running,terminated', 'running'],
      ],
    );
    const first = seen[1]!.status;
    assert.equal(first.initContainerStatuses![1]!.state.waiting!.reason, 'PodInitializing');
    assert.equal(first.containerStatuses[0]!.state.waiting!.reason, 'PodInitializing');
    assert.deepEqual([cond(first, 'Initialized').status, cond(first, 'Initialized').message], ['False', 'containers with incomplete status: [setup proxy migrate]']);
    assert.equal(cond(seen[2]!.status, 'Initialized').message, 'containers with incomplete status: [migrate]');
    const done = seen.at(-1)!.status;
    assert.deepEqual(done.initContainerStatuses![0]!.state.terminated, { exitCode: 0, reason: 'Completed', startedAt: '2025-01-01T00:00:01Z', finishedAt: '2025-01-01T00:00:03Z', containerID: containerID('uid-1', 'setup') });
    assert.deepEqual(done.initContainerStatuses!.map((c) => c.ready), [true, true, true], 'completed init containers and a started sidecar are ready');
    assert.deepEqual([cond(done, 'Initialized').status, cond(done, 'Initialized').lastTransitionTime], ['True', '2025-01-01T00:00:05Z']);
  });

  it('finishes a pod meant to finish: Succeeded after run-seconds, Failed with the exit-code annotation', () => {
    const ok = run(pod({ restartPolicy: 'Never' }, { 'kubeling.dev/run-seconds': '2' }), { startedAt: T0 });
    assert.deepEqual(ok.map((s) => [s.at, ...summary(s.status)]), [[0, 'Pending', 'waiting', 'False'], [1, 'Running', 'running', 'True'], [3, 'Succeeded', 'terminated', 'False']]);
    const end = ok.at(-1)!.status;
    assert.deepEqual(end.containerStatuses[0]!.state.terminated, { exitCode: 0, reason: 'Completed', startedAt: '2025-01-01T00:00:01Z', finishedAt: '2025-01-01T00:00:03Z', containerID: containerID('uid-1', 'app') });
    assert.deepEqual([cond(end, 'Ready').reason, cond(end, 'ContainersReady').reason, cond(end, 'PodReadyToStartContainers').status], ['PodCompleted', 'PodCompleted', 'False']);
    assert.equal(end.podIP, '10.244.0.7', 'a finished pod keeps its IP in its status');

    const bad = run(pod({ restartPolicy: 'OnFailure' }, { 'kubeling.dev/exit-code': '2' }), { startedAt: T0 }).at(-1)!;
    assert.equal(bad.at, 6, 'the default run time');
    assert.deepEqual([bad.status.phase, bad.status.containerStatuses[0]!.state.terminated!.exitCode, bad.status.containerStatuses[0]!.state.terminated!.reason], ['Failed', 2, 'Error']);
    assert.equal(cond(bad.status, 'Ready').reason, 'PodFailed');
  });

  it('kills a deleted pod when its grace period ends, or when it stops on SIGTERM, or at once before it runs', () => {
    const deleted = (grace: number, annotations: Record<string, string> = {}, spec: Partial<Pod['spec']> = {}): Pod => {
      const p = pod(spec, annotations);
      p.metadata.deletionTimestamp = new Date(T0 + 10_000 + grace * 1000).toISOString();
      p.metadata.deletionGracePeriodSeconds = grace;
      return p;
    };
    const graceful = run(deleted(5), { startedAt: T0, deletionSeenAt: T0 + 10_000 }).at(-1)!;
    assert.equal(graceful.at, 15);
    assert.deepEqual([graceful.status.phase, graceful.status.containerStatuses[0]!.state.terminated!.exitCode, graceful.status.containerStatuses[0]!.state.terminated!.reason], ['Failed', 137, 'Error']);
    // the node saw the deletion late: only the time left before deletionTimestamp
    assert.equal(run(deleted(5), { startedAt: T0, deletionSeenAt: T0 + 13_000 }).at(-1)!.at, 15);

    const stops = run(deleted(30, { 'kubeling.dev/stop-seconds': '1' }), { startedAt: T0, deletionSeenAt: T0 + 10_000 }).at(-1)!;
    assert.equal(stops.at, 11);
    assert.deepEqual([stops.status.phase, stops.status.containerStatuses[0]!.state.terminated!.exitCode], ['Succeeded', 0]);

    // a Job's pod whose work ends within the grace period ends as it would have
    const job = run(deleted(30, { 'kubeling.dev/run-seconds': '12', 'kubeling.dev/exit-code': '1' }, { restartPolicy: 'Never' }), { startedAt: T0, deletionSeenAt: T0 + 10_000 }).at(-1)!;
    assert.deepEqual([job.at, job.status.containerStatuses[0]!.state.terminated!.exitCode], [13, 1]);

    const early = run(deleted(30), { startedAt: T0, deletionSeenAt: T0 + 500 });
    const last = early.at(-1)!;
    assert.equal(last.at, 0.5);
    assert.deepEqual(last.status.containerStatuses[0]!.state.terminated, { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' });
    assert.equal(last.status.phase, 'Failed');
  });

  it('recomputes the same status from the pod\'s startTime (a restarted node adopts its pods without rewriting them)', () => {
    const p = pod({ containers: [{ name: 'app', image: 'nginx', readinessProbe: { initialDelaySeconds: 2 } }] });
    const now = T0 + 30_000;
    const before = podStatusAt(p, planPod(p, { startedAt: T0 }, TIMINGS), now, AT);
    const again = podStatusAt(p, planPod(p, { startedAt: Date.parse(before.startTime) }, TIMINGS), now, AT);
    assert.deepEqual(again, before);
    assert.equal(nextChange(planPod(p, { startedAt: T0 }, TIMINGS), now), undefined, 'nothing more happens to a running pod');
  });

  it('a pod without an IP stays ContainerCreating', () => {
    const seen = run(pod(), { startedAt: T0, noIP: true });
    assert.deepEqual(seen.map((s) => [s.at, ...summary(s.status)]), [[0, 'Pending', 'waiting', 'False']]);
  });

  it('names images and writes log lines as a runtime would', () => {
    assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
    assert.equal(normalizeImage('bitnami/redis:7'), 'docker.io/bitnami/redis:7');
    assert.equal(normalizeImage('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
    assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.match(imageID('nginx:1.27'), /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);

    const p = pod({ restartPolicy: 'Never' }, { 'kubeling.dev/run-seconds': '2' });
    const lines = logLines(p, planPod(p, { startedAt: T0 }, TIMINGS), 'app', { node: 'n1', podIP: '10.244.0.7' });
    assert.deepEqual(
      lines.map((l) => [(l.at - T0) / 1000, l.text]),
      [
        [1, `kubeling: image docker.io/library/nginx:latest pulled (${imageID('nginx')})`],
        [1, 'kubeling: container app of pod default/p started on node n1 with IP 10.244.0.7'],
        [1, 'kubeling: ready (no readiness probe)'],
        [1, 'kubeling: working for 2s, then exiting with code 0'],
        [3, 'kubeling: work done; exiting with code 0'],
      ],
    );
  });
});
