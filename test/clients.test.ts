/**
 * Kubernetes' own client libraries against a running API server, each
 * connecting through the TestApi's kubeconfig file as a user's program would:
 * `@kubernetes/client-node` (typed CRUD, the three patch types, errors as
 * ApiException, and an informer that sees adds, updates and deletes, and
 * relists after a 410 when its resourceVersion has left the watch cache's
 * window), and Debian's `python3-kubernetes` (list and watch pods).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ADD,
  ApiException,
  AppsV1Api,
  CONNECT,
  CoreV1Api,
  DELETE,
  ERROR,
  KubeConfig,
  PatchStrategy,
  UPDATE,
  makeInformer,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { until } from './proc.js';
import { TestApi } from './apiserver.js';

/** Debian's Python, which has python3-kubernetes (a pyenv or venv python3 earlier in PATH may not). */
const PYTHON = '/usr/bin/python3';

/** The watch caches keep this many events, so that a test can make a resourceVersion expire with a few writes. */
const WATCH_CACHE_SIZE = 20;

/** The HTTP status of a failed call (an ApiException's code). */
async function failure(p: Promise<unknown>): Promise<{ code: number; reason: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiException, String(e));
    const body = JSON.parse(String(e.body)) as { reason: string };
    return { code: e.code, reason: body.reason };
  }
  throw new Error('the call succeeded');
}

let t: TestApi;
let kc: KubeConfig;
before(async () => {
  // HTTPS with the admin's client certificate in the kubeconfig, as `kubeling up` writes it (client-node refuses plain HTTP)
  t = await TestApi.start({ tls: true, watchCacheSize: WATCH_CACHE_SIZE });
  kc = new KubeConfig();
  kc.loadFromFile(t.kubeconfig);
});
after(async () => {
  await t.stop();
});

describe('@kubernetes/client-node', () => {
  it('creates, reads, lists, replaces, patches (three types) and deletes, with Kubernetes errors as ApiException', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = 'client-node';
    const created = await core.createNamespace({ body: { metadata: { name: ns } } });
    assert.equal(created.status?.phase, 'Active');

    const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings', labels: { app: 'demo' } }, data: { mode: 'fast' } } });
    assert.equal(cm.metadata?.namespace, ns);
    assert.match(cm.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(cm.metadata?.creationTimestamp instanceof Date, 'creationTimestamp is parsed as a date');
    assert.deepEqual(await failure(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' } } })), { code: 409, reason: 'AlreadyExists' });

    const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
    assert.deepEqual(read.data, { mode: 'fast' });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other' } } });
    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=demo' });
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name),
      ['settings'],
    );
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);

    const replaced = await core.replaceNamespacedConfigMap({ namespace: ns, name: 'settings', body: { ...read, data: { mode: 'slow' } } });
    assert.notEqual(replaced.metadata?.resourceVersion, read.metadata?.resourceVersion);
    // the same resourceVersion again is stale
    assert.deepEqual(await failure(core.replaceNamespacedConfigMap({ namespace: ns, name: 'settings', body: { ...read, data: { mode: 'stale' } } })), { code: 409, reason: 'Conflict' });

    const merged = await core.patchNamespacedConfigMap({ namespace: ns, name: 'settings', body: { data: { level: 'info' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.deepEqual(merged.data, { mode: 'slow', level: 'info' });
    const jsonPatched = await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'settings', body: [{ op: 'remove', path: '/data/mode' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    assert.deepEqual(jsonPatched.data, { level: 'info' });

    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: 'web' };
    const container = (image: string) => ({ name: 'web', image });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container('nginx:1.27')] } } } },
    });
    // a strategic merge patch merges the containers by name: the image changes, the defaults stay
    const smp = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'web', body: { spec: { template: { spec: { containers: [container('nginx:1.28')] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const c = smp.spec?.template.spec?.containers[0];
    assert.deepEqual([c?.image, c?.imagePullPolicy, c?.terminationMessagePolicy], ['nginx:1.28', 'IfNotPresent', 'File']);
    const scale = await apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { metadata: { name: 'web', namespace: ns }, spec: { replicas: 3 } } });
    assert.equal(scale.spec?.replicas, 3);
    assert.equal((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas, 3);

    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'settings' });
    assert.deepEqual(await failure(core.readNamespacedConfigMap({ namespace: ns, name: 'settings' })), { code: 404, reason: 'NotFound' });
    assert.deepEqual(await failure(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Bad_Name' } } })), { code: 422, reason: 'Invalid' });
  });

  it('an informer sees adds, updates and deletes, and after a 410 relists and goes on', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = 'informed';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' }, data: { v: '0' } } });

    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: ns });
    });
    const seen: string[] = [];
    const errors: unknown[] = [];
    let connects = 0;
    /** The resourceVersion of the last event: where the informer resumes from. */
    let last = 0;
    const note = (line: string, o: V1ConfigMap): void => {
      seen.push(line);
      last = Math.max(last, Number(o.metadata?.resourceVersion));
    };
    informer.on(ADD, (o) => note(`add ${o.metadata?.name} ${o.data?.v}`, o));
    informer.on(UPDATE, (o) => note(`update ${o.metadata?.name} ${o.data?.v}`, o));
    informer.on(DELETE, (o) => note(`delete ${o.metadata?.name}`, o));
    informer.on(ERROR, (e) => errors.push(e));
    informer.on(CONNECT, () => connects++);
    const saw = (line: string): Promise<true> => until(`the informer to see "${line}" (saw ${JSON.stringify(seen)})`, () => (seen.includes(line) ? true : undefined));
    await informer.start();
    try {
      await saw('add before 0');
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'live' }, data: { v: '1' } } });
      await saw('add live 1');
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'live', body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await saw('update live 2');
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'before' });
      await saw('delete before');
      assert.equal(lists, 1);

      // away: its resourceVersion leaves the watch cache's window while it does not watch
      await informer.stop();
      const rv = last;
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'live', body: { data: { v: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'while-away' }, data: { v: '4' } } });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'live' });
      for (let i = 0; i < WATCH_CACHE_SIZE + 5; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `filler-${i}` } } });
      const expired = await t.call('GET', `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
      assert.deepEqual([expired.body.type, expired.body.object.code, expired.body.object.reason], ['ERROR', 410, 'Expired']);

      // back: the resume is answered 410, so it lists again and reports what changed meanwhile
      await informer.start();
      await saw('delete live');
      await saw('add while-away 4');
      assert.equal(lists, 2, 'it listed again after the 410');
      assert.deepEqual(
        informer.list(ns).map((o) => o.metadata?.name),
        ['while-away'],
      );
      // and it watches on from the new list
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' }, data: { v: '5' } } });
      await saw('add after 5');
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'while-away', body: { data: { v: '6' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await saw('update while-away 6');
      // the only errors: the aborts of its own watch requests by stop()
      assert.deepEqual(
        errors.filter((e) => !(e instanceof Error && e.name === 'AbortError')),
        [],
      );
      assert.ok(connects >= 2);
    } finally {
      await informer.stop();
    }
  });
});

/** Lists the namespace's pods, then watches from the list's resourceVersion, printing one JSON line per step; stops after `count` events. */
const PYTHON_LIST_AND_WATCH = `
import json, sys
from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
namespace, count = sys.argv[2], int(sys.argv[3])
v1 = client.CoreV1Api()
pods = v1.list_namespaced_pod(namespace, label_selector="app=py")
print(json.dumps({"listed": [p.metadata.name for p in pods.items], "phases": [p.status.phase for p in pods.items],
                  "images": [p.spec.containers[0].image for p in pods.items], "resourceVersion": pods.metadata.resource_version}), flush=True)
w = watch.Watch()
seen = 0
for event in w.stream(v1.list_namespaced_pod, namespace, label_selector="app=py", resource_version=pods.metadata.resource_version, timeout_seconds=20):
    pod = event["object"]
    print(json.dumps({"type": event["type"], "name": pod.metadata.name, "labels": pod.metadata.labels, "resourceVersion": pod.metadata.resource_version}), flush=True)
    seen += 1
    if seen == count:
        w.stop()
`;

describe('python3-kubernetes (Debian)', () => {
  it('lists pods and watches them from the list\'s resourceVersion', async () => {
    const ns = 'python';
    assert.equal((await t.call('POST', '/api/v1/namespaces', { metadata: { name: ns } })).code, 201);
    const pod = (name: string, labels: Record<string, string> = { app: 'py' }) => ({ metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    for (const name of ['py-a', 'py-b']) assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/pods`, pod(name))).code, 201);
    assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/pods`, pod('not-py', { app: 'other' }))).code, 201);

    const script = join(t.dir, 'list_and_watch.py');
    writeFileSync(script, PYTHON_LIST_AND_WATCH);
    // the changes are made after the list, while the watch may or may not have started: it replays them from the list's resourceVersion
    const changes = async (): Promise<void> => {
      assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/pods`, pod('py-c'))).code, 201);
      assert.equal((await t.call('PATCH', `/api/v1/namespaces/${ns}/pods/py-a`, { metadata: { labels: { app: 'py', tier: 'x' } } }, 'application/merge-patch+json')).code, 200);
      assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/pods`, pod('not-py-2', { app: 'other' }))).code, 201);
      const deleted = await t.call('DELETE', `/api/v1/namespaces/${ns}/pods/py-b?gracePeriodSeconds=0`);
      assert.equal(deleted.code, 200);
    };
    let out = '';
    let changed: Promise<void> | undefined;
    const done = new Promise<{ code: number; stderr: string }>((res) => {
      const child = execFile(PYTHON, [script, t.kubeconfig, ns, '3'], { timeout: 30_000 }, (err, _stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stderr }));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (!changed && out.includes('\n')) changed = changes();
      });
    });
    const r = await done;
    await changed;
    assert.equal(r.code, 0, r.stderr);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { listed: ['py-a', 'py-b'], phases: ['Pending', 'Pending'], images: ['busybox:1.36', 'busybox:1.36'], resourceVersion: lines[0]!.resourceVersion });
    const events = lines.slice(1).map((l) => [l.type, l.name]);
    assert.deepEqual(events, [
      ['ADDED', 'py-c'],
      ['MODIFIED', 'py-a'],
      ['DELETED', 'py-b'],
    ]);
    assert.deepEqual(lines[2]!.labels, { app: 'py', tier: 'x' });
    const rvs = lines.slice(1).map((l) => Number(l.resourceVersion));
    assert.ok(rvs.every((v, i) => v > Number(lines[0]!.resourceVersion) && (i === 0 || v > rvs[i - 1]!)), `resourceVersions increase: ${rvs.join(' ')}`);
  });
});
