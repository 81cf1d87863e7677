/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The job and ttl-after-finished controllers through a real API server:
 * Jobs made with the API, the controllers run by a ControllerManager (with
 * kube's delays shortened), the test playing the kubelet for the Jobs' pods
 * (their phase written as a kubelet would), and what a user sees: status,
 * conditions, events, and `kubectl wait`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNotFound } from '../../client/errors.js';
import { Informer } from '../../client/informer.js';
import { RestClient } from '../../client/rest.js';
import type { Pod } from '../../client/types.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { runningStatus } from '../daemonset/testing/kubelet.js';
import { ControllerManager } from '../manager.js';
import { jobRegistrationWith } from './job.js';
import { ttlAfterFinishedRegistration } from './ttl.js';

type Outcome = 'Succeeded' | 'Failed' | 'Running' | undefined;

/**
 * Plays the kubelet for Job pods: each new pod gets the phase `decide`
 * gives it (per Job name; undefined leaves it Pending), once, with the
 * container status a kubelet writes.
 */
class JobPodRunner {
  readonly #informer: Informer<Pod>;
  readonly #seen = new Set<string>();
  readonly decide = new Map<string, (pod: Pod, n: number) => Outcome>();
  readonly #count = new Map<string, number>();
  #chain: Promise<void> = Promise.resolve();

  constructor(private readonly client: RestClient) {
    this.#informer = new Informer<Pod>(client, { resource: { resource: 'pods', namespace: 'default' }, log: () => {} });
    this.#informer.addEventHandler({ onAdd: (p) => this.#look(p), onUpdate: (_o, p) => this.#look(p) });
  }

  async start(): Promise<void> {
    this.#informer.start();
    await this.#informer.waitForSync(10_000);
  }

  async stop(): Promise<void> {
    this.#informer.stop();
    await this.#chain;
  }

  #look(pod: Pod): void {
    const job = pod.metadata.labels?.['batch.kubernetes.io/job-name'];
    const uid = pod.metadata.uid ?? '';
    if (!job || this.#seen.has(uid) || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.metadata.deletionTimestamp) return;
    const n = this.#count.get(job) ?? 0;
    const outcome = this.decide.get(job)?.(pod, n);
    if (!outcome) return;
    this.#seen.add(uid);
    this.#count.set(job, n + 1);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status =
      outcome === 'Running'
        ? runningStatus(`10.244.9.${n + 2}`, true)
        : {
            phase: outcome,
            conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now }],
            containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { terminated: { exitCode: outcome === 'Succeeded' ? 0 : 1, reason: outcome === 'Succeeded' ? 'Completed' : 'Error', startedAt: now, finishedAt: now } } }],
          };
    this.#chain = this.#chain
      .then(() => this.client.patch({ resource: 'pods', namespace: 'default', name: pod.metadata.name!, subresource: 'status' }, 'merge', { status }))
      .then(
        () => undefined,
        (e: unknown) => {
          if (!isNotFound(e)) process.stderr.write(`job pod runner: ${(e as Error).message}\n`);
        },
      );
  }
}

describe('the job controller over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  let m: ControllerManager;
  let runner: JobPodRunner;
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
    runner = new JobPodRunner(client);
    await runner.start();
    const registry = new Map([
      ['job', jobRegistrationWith({ batchMs: 20, podFailureBackoffMs: 50 })],
      ['ttl-after-finished', ttlAfterFinishedRegistration],
    ]);
    m = new ControllerManager({ client, registry, log: () => {} });
    await m.start();
  });
  after(async () => {
    await m?.stop();
    await runner?.stop();
    client?.close();
    await t?.stop();
  });

  const job = async (name: string, spec: Record<string, unknown>, restartPolicy = 'Never'): Promise<any> => {
    const r = await t.call('POST', '/apis/batch/v1/namespaces/default/jobs', {
      metadata: { name },
      spec: { template: { spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }, ...spec },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
    return r.body;
  };
  const getJob = async (name: string): Promise<any> => (await t.call('GET', `/apis/batch/v1/namespaces/default/jobs/${name}`)).body;
  const podsOf = async (name: string): Promise<any[]> =>
    (await t.call('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/job-name=${name}`)}`)).body.items;
  const condition = (j: any, type: string): any => (j.status?.conditions ?? []).find((c: any) => c.type === type);
  const events = async (name: string): Promise<any[]> =>
    (await t.call('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},involvedObject.kind=Job`)}`)).body.items;

  it('runs completions pods, parallelism at a time, and completes: kubectl wait --for=condition=complete', async () => {
    let maxActive = 0;
    runner.decide.set('pi', () => 'Succeeded');
    const created = await job('pi', { completions: 3, parallelism: 2 });
    const uid = created.metadata.uid;
    const watchActive = setInterval(() => void getJob('pi').then((j) => (maxActive = Math.max(maxActive, j.status?.active ?? 0)), () => {}), 10);
    const wait = await t.kubectl('wait', '--for=condition=complete', 'job/pi', '--timeout=20s');
    clearInterval(watchActive);
    assert.equal(wait.status, 0, wait.stderr);
    assert.equal(wait.stdout, 'job.batch/pi condition met\n');

    const j = await getJob('pi');
    assert.equal(j.status.succeeded, 3);
    assert.equal(j.status.failed, undefined);
    assert.equal(j.status.active, undefined, 'no active pods: left out, as Go omits a zero');
    assert.deepEqual([j.status.ready, j.status.terminating, j.status.uncountedTerminatedPods], [0, 0, {}]);
    assert.ok(j.status.startTime && j.status.completionTime);
    assert.deepEqual(
      j.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ],
    );
    assert.ok(maxActive <= 2, `never more than parallelism pods active (saw ${maxActive})`);

    const pods = await podsOf('pi');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata.name, /^pi-[a-z0-9]{5}$/);
      assert.deepEqual(
        [p.metadata.labels['batch.kubernetes.io/controller-uid'], p.metadata.labels['controller-uid'], p.metadata.labels['batch.kubernetes.io/job-name'], p.metadata.labels['job-name']],
        [uid, uid, 'pi', 'pi'],
      );
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid, controller: true, blockOwnerDeletion: true }]);
      // (kube-apiserver would leave the emptied list out; kubeling's keeps `[]`)
      assert.deepEqual(p.metadata.finalizers ?? [], [], 'counted: the tracking finalizer is off');
    }
    // the Completed event goes out after the status write that `kubectl wait` saw
    const reasons = await until('the Completed event', async () => {
      const all = (await events('pi')).map((e) => `${e.reason}: ${e.message}`);
      return all.includes('Completed: Job completed') ? all : undefined;
    });
    assert.equal(reasons.filter((r) => r.startsWith('SuccessfulCreate: Created pod: pi-')).length, 3, reasons.join('\n'));
    assert.ok(reasons.includes('Completed: Job completed'), reasons.join('\n'));
  });

  it('keeps the tracking finalizer on running pods and counts them ready', async () => {
    runner.decide.set('held', () => 'Running');
    await job('held', { parallelism: 2, completions: 4 });
    const j = await until('two ready', async () => ((await getJob('held')).status?.ready === 2 ? getJob('held') : undefined));
    assert.equal(j.status.active, 2);
    for (const p of await podsOf('held')) assert.deepEqual(p.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
  });

  it('fails after backoffLimit failed pods, with FailureTarget then Failed: BackoffLimitExceeded', async () => {
    runner.decide.set('flaky', () => 'Failed');
    await job('flaky', { backoffLimit: 1 });
    const wait = await t.kubectl('wait', '--for=condition=failed', 'job/flaky', '--timeout=20s');
    assert.equal(wait.status, 0, wait.stderr);
    const j = await getJob('flaky');
    assert.equal(j.status.failed, 2, 'backoffLimit 1: the second failure fails the Job');
    assert.deepEqual(
      j.status.conditions.map((c: any) => [c.type, c.reason, c.message]),
      [
        ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    );
    assert.equal(j.status.completionTime, undefined);
    await until('a BackoffLimitExceeded warning', async () => ((await events('flaky')).some((e) => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded') ? true : undefined));
  });

  it('deletes the remaining pods of a failed Job', async () => {
    runner.decide.set('fragile', (_p, n) => (n === 0 ? 'Failed' : 'Running'));
    await job('fragile', { backoffLimit: 0, parallelism: 2, completions: 2 });
    await until('fragile failed', async () => (condition(await getJob('fragile'), 'Failed') ? true : undefined));
    const left = await until('the running pod gone', async () => {
      const pods = await podsOf('fragile');
      return pods.every((p) => p.status?.phase === 'Failed') ? pods : undefined;
    });
    assert.ok(left.length >= 1);
    const j = await getJob('fragile');
    assert.equal(j.status.active, undefined);
    assert.ok(j.status.failed >= 1);
  });

  it('fails a Job active longer than activeDeadlineSeconds: DeadlineExceeded', async () => {
    runner.decide.set('slow', () => 'Running');
    await job('slow', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 });
    const j = await until('deadline exceeded', async () => {
      const cur = await getJob('slow');
      return condition(cur, 'Failed') ? cur : undefined;
    });
    assert.deepEqual([condition(j, 'Failed').reason, condition(j, 'Failed').message], ['DeadlineExceeded', 'Job was active longer than specified deadline']);
    assert.ok(Date.parse(condition(j, 'Failed').lastTransitionTime) - Date.parse(j.status.startTime) >= 1000);
    assert.equal(j.status.failed, 2, 'its running pods were deleted and counted failed');
    assert.deepEqual(await podsOf('slow'), [], 'unscheduled pods go as soon as their finalizer is off');
  });

  it('runs nothing while suspended; resumes on suspend=false', async () => {
    runner.decide.set('later', () => 'Succeeded');
    await job('later', { suspend: true, completions: 2, parallelism: 2 });
    const s = await until('Suspended', async () => {
      const j = await getJob('later');
      return condition(j, 'Suspended') ? j : undefined;
    });
    assert.deepEqual([condition(s, 'Suspended').status, condition(s, 'Suspended').reason, condition(s, 'Suspended').message], ['True', 'JobSuspended', 'Job suspended']);
    assert.equal(s.status.startTime, undefined);
    assert.deepEqual(await podsOf('later'), []);
    await client.patch({ group: 'batch', version: 'v1', resource: 'jobs', namespace: 'default', name: 'later' }, 'merge', { spec: { suspend: false } });
    const wait = await t.kubectl('wait', '--for=condition=complete', 'job/later', '--timeout=20s');
    assert.equal(wait.status, 0, wait.stderr);
    const j = await getJob('later');
    assert.deepEqual([condition(j, 'Suspended').status, condition(j, 'Suspended').reason], ['False', 'JobResumed']);
    assert.ok(j.status.startTime);
    const reasons = (await events('later')).map((e) => e.reason);
    assert.ok(reasons.includes('Suspended') && reasons.includes('Resumed'), reasons.join(','));
  });

  it('suspending a running Job deletes its pods', async () => {
    runner.decide.set('pause', () => 'Running');
    await job('pause', { parallelism: 2, completions: 2 });
    await until('two active', async () => ((await getJob('pause')).status?.active === 2 ? true : undefined));
    await client.patch({ group: 'batch', version: 'v1', resource: 'jobs', namespace: 'default', name: 'pause' }, 'merge', { spec: { suspend: true } });
    const j = await until('suspended with no pods', async () => {
      const cur = await getJob('pause');
      return condition(cur, 'Suspended')?.status === 'True' && !cur.status.active && (await podsOf('pause')).length === 0 ? cur : undefined;
    });
    assert.equal(j.status.failed, undefined, 'pods removed on purpose are not failures');
  });

  it('takes the tracking finalizer off the pods of a deleted Job', async () => {
    runner.decide.set('dropped', () => 'Running');
    await job('dropped', { parallelism: 2, completions: 2 });
    await until('two active', async () => ((await getJob('dropped')).status?.active === 2 ? true : undefined));
    await client.delete({ group: 'batch', version: 'v1', resource: 'jobs', namespace: 'default', name: 'dropped' }, { propagationPolicy: 'Background' });
    assert.equal((await t.call('GET', '/apis/batch/v1/namespaces/default/jobs/dropped')).code, 404);
    // no garbage collector runs here to delete the pods, but they are no longer held
    const pods = await until('finalizers off', async () => {
      const cur = await podsOf('dropped');
      return cur.length === 2 && cur.every((p) => (p.metadata.finalizers ?? []).length === 0) ? cur : undefined;
    });
    assert.equal(pods.length, 2);
  });

  it('runs an Indexed Job: one pod per index, with the index annotation, label, hostname and variable', async () => {
    runner.decide.set('idx', () => 'Succeeded');
    await job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' });
    const wait = await t.kubectl('wait', '--for=condition=complete', 'job/idx', '--timeout=20s');
    assert.equal(wait.status, 0, wait.stderr);
    const j = await getJob('idx');
    assert.deepEqual([j.status.succeeded, j.status.completedIndexes], [3, '0-2']);
    const pods = (await podsOf('idx')).sort((a, b) => a.metadata.annotations['batch.kubernetes.io/job-completion-index'].localeCompare(b.metadata.annotations['batch.kubernetes.io/job-completion-index']));
    assert.deepEqual(
      pods.map((p) => [p.metadata.annotations['batch.kubernetes.io/job-completion-index'], p.metadata.labels['batch.kubernetes.io/job-completion-index'], p.spec.hostname]),
      [['0', '0', 'idx-0'], ['1', '1', 'idx-1'], ['2', '2', 'idx-2']],
    );
    assert.match(pods[1].metadata.name, /^idx-1-[a-z0-9]{5}$/);
    assert.deepEqual(pods[0].spec.containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
  });

  it('ttl-after-finished deletes a finished Job once its TTL has passed (foreground)', async () => {
    runner.decide.set('brief', () => 'Succeeded');
    await job('brief', { ttlSecondsAfterFinished: 1 });
    const done = await until('brief complete', async () => {
      const j = await getJob('brief');
      return condition(j, 'Complete') ? j : undefined;
    });
    const gone = await until('brief deleted', async () => {
      const r = await t.call('GET', '/apis/batch/v1/namespaces/default/jobs/brief');
      if (r.code === 404) return { at: Date.now() };
      return r.body.metadata.deletionTimestamp ? { at: Date.parse(r.body.metadata.deletionTimestamp), finalizers: r.body.metadata.finalizers } : undefined;
    });
    assert.ok(gone.at - Date.parse(condition(done, 'Complete').lastTransitionTime) >= 1000, 'not before its TTL');
    // without a garbage collector running, the foreground deletion waits with its finalizer
    if ('finalizers' in gone) assert.deepEqual(gone.finalizers, ['foregroundDeletion']);
  });
});
