/**
 * The real kubectl, in three versions (1.27, 1.32 and 1.33), against a
 * running API server: each version runs the same commands in a namespace of
 * its own, and the output is checked for the shape a real cluster prints
 * (column headers, `describe` sections with Events, the messages of create,
 * apply, patch, label, annotate, scale and delete). kubectl 1.27 reads
 * OpenAPI v2 (protobuf) where the later ones read v3.
 *
 * What apiserver/server.test.ts, workloads.test.ts and watch.test.ts already
 * run with kubectl 1.32 is not repeated here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from './proc.js';
import { TestApi, type KubectlRun } from './apiserver.js';

const SDK = '/usr/lib/google-cloud-sdk/bin';
const VERSIONS = [
  { version: '1.27', binary: `${SDK}/kubectl.1.27` },
  { version: '1.32', binary: 'kubectl' },
  { version: '1.33', binary: `${SDK}/kubectl.1.33` },
];

/** kubectl 1.27 colours cluster-info even into a pipe. */
const plain = (s: string): string => s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

/** The words of each line (columns are separated by runs of spaces). */
const rows = (s: string): string[][] =>
  s
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}|\t/));

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(async () => {
  await t.stop();
});

describe('kubectl against kubeling', { concurrency: true }, () => {
  for (const { version, binary } of VERSIONS) {
    const missing = binary.startsWith('/') && !existsSync(binary);
    describe(`kubectl ${version}`, { concurrency: 1, skip: missing ? `${binary} is not installed` : false }, () => {
      const ns = `kubectl-${version.replace('.', '-')}`;
      const run = (...args: string[]): Promise<KubectlRun> => t.kubectlAt(binary, ...args);
      /** Runs kubectl in the version's namespace; it must succeed; its stdout. */
      const ok = async (...args: string[]): Promise<string> => {
        const r = await run('-n', ns, ...args);
        assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      /** Creates a deployment through the API (what kubectl does with it is the test). */
      const createDeployment = async (name: string, replicas: number): Promise<void> => {
        const labels = { app: name };
        const body = { metadata: { name, labels }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } };
        assert.equal((await t.call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, body)).code, 201);
      };

      it('cluster-info, version and api-resources describe the server', async () => {
        const info = await run('cluster-info');
        assert.equal(info.status, 0, info.stderr);
        assert.match(plain(info.stdout), new RegExp(`^Kubernetes control plane is running at ${t.base}\n`));
        const text = await run('version');
        assert.match(text.stdout, version === '1.27' ? /Server Version: version\.Info\{Major:"1", Minor:"32", GitVersion:"v1\.32\.0-kubeling"/ : /^Server Version: v1\.32\.0-kubeling$/m);
        const res = rows((await run('api-resources', '-o', 'wide')).stdout);
        assert.deepEqual(res[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', 'VERBS', 'CATEGORIES']);
        const verbs = 'create,delete,deletecollection,get,list,patch,update,watch';
        assert.deepEqual(
          res.find((r) => r[0] === 'deployments'),
          ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment', verbs, 'all'],
        );
        assert.deepEqual(
          res.find((r) => r[0] === 'namespaces'),
          ['namespaces', 'ns', 'v1', 'false', 'Namespace', verbs],
        );
      });

      it('creates a namespace, a configmap, a secret and a deployment, and gets them in every output', async () => {
        assert.equal((await run('create', 'namespace', ns)).stdout, `namespace/${ns} created\n`);
        assert.equal(await ok('create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=rank=2'), 'configmap/settings created\n');
        assert.equal(await ok('create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret'), 'secret/creds created\n');
        assert.equal(await ok('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2'), 'deployment.apps/web created\n');

        const wide = rows(await ok('get', 'deploy', '-o', 'wide'));
        assert.deepEqual(wide[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
        assert.deepEqual([...wide[1]!.slice(0, 4), ...wide[1]!.slice(5)], ['web', '0/2', '0', '0', 'nginx', 'nginx:1.27', 'app=web']);

        const yaml = await ok('get', 'cm', 'settings', '-o', 'yaml');
        assert.match(yaml, /^apiVersion: v1\ndata:\n {2}mode: fast\n {2}rank: "2"\nkind: ConfigMap\nmetadata:\n {2}creationTimestamp: "[-0-9T:]+Z"\n {2}name: settings\n {2}namespace: kubectl-/);
        assert.match(yaml, /\n {2}resourceVersion: "\d+"\n {2}uid: [0-9a-f-]{36}\n$/);
        const json = JSON.parse(await ok('get', 'secret', 'creds', '-o', 'json')) as { kind: string; type: string; data: Record<string, string> };
        assert.deepEqual([json.kind, json.type, Buffer.from(json.data.password!, 'base64').toString()], ['Secret', 'Opaque', 's3cret']);
        assert.equal(await ok('get', 'deploy,cm', '-o', 'name'), 'deployment.apps/web\nconfigmap/settings\n');
        assert.equal(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.strategy.type}'), '2 nginx:1.27 RollingUpdate');

        const all = rows((await run('get', 'cm', '-A', '--field-selector', `metadata.namespace=${ns}`)).stdout);
        assert.deepEqual(all[0], ['NAMESPACE', 'NAME', 'DATA', 'AGE']);
        assert.deepEqual(all[1]!.slice(0, 3), [ns, 'settings', '2']);
      });

      it('creates from a file, lists by label with --show-labels, sorts by a field, and prints a jsonpath range', async () => {
        const file = join(t.dir, `ranked-${version}.yaml`);
        const cm = (name: string, rank: number, tier: string) =>
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: {tier: ${tier}, app: ranked}\ndata:\n  rank: "${rank}"\n`;
        writeFileSync(file, [cm('alpha', 3, 'back'), cm('bravo', 1, 'front'), cm('charlie', 2, 'front')].join('---\n'));
        assert.equal(await ok('create', '-f', file), 'configmap/alpha created\nconfigmap/bravo created\nconfigmap/charlie created\n');
        const again = await run('-n', ns, 'create', '-f', file);
        assert.notEqual(again.status, 0);
        assert.match(again.stderr, /Error from server \(AlreadyExists\): error when creating ".*": configmaps "alpha" already exists/);

        const labelled = rows(await ok('get', 'cm', '-l', 'tier=front', '--show-labels'));
        assert.deepEqual(labelled[0], ['NAME', 'DATA', 'AGE', 'LABELS']);
        assert.deepEqual(
          labelled.slice(1).map((r) => [r[0], r[3]]),
          [
            ['bravo', 'app=ranked,tier=front'],
            ['charlie', 'app=ranked,tier=front'],
          ],
        );
        const sorted = rows(await ok('get', 'cm', '-l', 'app=ranked', '--sort-by=.data.rank'));
        assert.deepEqual(
          sorted.map((r) => r[0]),
          ['NAME', 'bravo', 'charlie', 'alpha'],
        );
        const none = await run('-n', ns, 'get', 'cm', '-l', 'tier=nowhere');
        assert.equal(none.stdout, '');
        assert.equal(none.stderr, `No resources found in ${ns} namespace.\n`);
        const range = await ok('get', 'cm', '-l', 'app=ranked', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.data.rank}{"\\n"}{end}');
        assert.equal(range, 'alpha=3\nbravo=1\ncharlie=2\n');
      });

      it('applies a file client-side: created, then unchanged, then configured', async () => {
        const file = join(t.dir, `applied-${version}.yaml`);
        const manifest = (image: string) =>
          `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, labels: {app: api}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: ${image}, ports: [{containerPort: 8080}], env: [{name: MODE, value: fast}]}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: api-config}\ndata: {level: info}\n`;
        writeFileSync(file, manifest('busybox:1.36'));
        assert.equal(await ok('apply', '-f', file), 'deployment.apps/api created\nconfigmap/api-config created\n');
        // the containers merge by name (the OpenAPI's patch merge keys), so the server's defaults do not count as a change
        assert.equal(await ok('apply', '-f', file), 'deployment.apps/api unchanged\nconfigmap/api-config unchanged\n');
        writeFileSync(file, manifest('busybox:1.37'));
        assert.equal(await ok('apply', '-f', file), 'deployment.apps/api configured\nconfigmap/api-config unchanged\n');
        const got = await ok('get', 'deploy', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].imagePullPolicy} {.metadata.generation}');
        assert.equal(got, 'busybox:1.37 IfNotPresent 2');
      });

      it('patches (strategic, merge and JSON), labels, annotates and scales', async () => {
        await createDeployment('patched', 1);
        assert.equal(await ok('patch', 'deploy', 'patched', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}'), 'deployment.apps/patched patched\n');
        assert.equal(await ok('patch', 'deploy', 'patched', '--type=merge', '-p', '{"spec":{"minReadySeconds":5}}'), 'deployment.apps/patched patched\n');
        assert.equal(await ok('patch', 'deploy', 'patched', '--type=json', '-p', '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]'), 'deployment.apps/patched patched\n');
        assert.equal(await ok('patch', 'deploy', 'patched', '--type=merge', '-p', '{"spec":{"minReadySeconds":5}}'), 'deployment.apps/patched patched (no change)\n');
        const failed = await run('-n', ns, 'patch', 'deploy', 'patched', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":7}]');
        assert.notEqual(failed.status, 0);
        assert.match(failed.stderr, /testing value \/spec\/replicas failed/);

        assert.equal(await ok('label', 'deploy', 'patched', 'tier=web'), 'deployment.apps/patched labeled\n');
        const relabel = await run('-n', ns, 'label', 'deploy', 'patched', 'tier=db');
        assert.notEqual(relabel.status, 0);
        assert.match(relabel.stderr, /'tier' already has a value \(web\), and --overwrite is false/);
        // kubectl 1.27 prints "annotate" (its own message, fixed in 1.28)
        assert.match(await ok('annotate', 'deploy', 'patched', 'owner=team-a'), /^deployment\.apps\/patched annotated?\n$/);
        assert.equal(await ok('scale', 'deploy', 'patched', '--replicas=4'), 'deployment.apps/patched scaled\n');
        const got = await ok(
          'get',
          'deploy',
          'patched',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].image} {.spec.minReadySeconds} {.spec.revisionHistoryLimit} {.metadata.labels.tier} {.metadata.annotations.owner} {.spec.replicas}',
        );
        assert.equal(got, 'nginx:1.28 5 3 web team-a 4');
      });

      it('describes a pod with its events, and a deployment', async () => {
        const pod = await t.call('POST', `/api/v1/namespaces/${ns}/pods`, {
          metadata: { name: 'web-0', labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
        });
        assert.equal(pod.code, 201);
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const event = (name: string, reason: string, message: string, source: Record<string, string>, count: number, fieldPath?: string) => ({
          metadata: { name },
          involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: ns, name: 'web-0', uid: pod.body.metadata.uid, ...(fieldPath ? { fieldPath } : {}) },
          reason,
          message,
          source,
          type: 'Normal',
          count,
          firstTimestamp: now,
          lastTimestamp: now,
        });
        for (const e of [
          event('web-0.1', 'Scheduled', `Successfully assigned ${ns}/web-0 to node-1`, { component: 'default-scheduler' }, 1),
          event('web-0.2', 'Pulling', 'Pulling image "nginx:1.27"', { component: 'kubelet', host: 'node-1' }, 3, 'spec.containers{nginx}'),
        ]) {
          assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/events`, e)).code, 201);
        }

        const text = await ok('describe', 'pod', 'web-0');
        for (const line of [/^Name: +web-0$/m, new RegExp(`^Namespace: +${ns}$`, 'm'), /^Node: +<none>$/m, /^Labels: +app=web$/m, /^Status: +Pending$/m, /^Containers:\n {2}nginx:\n {4}Image: +nginx:1\.27\n {4}Port: +80\/TCP$/m, /^QoS Class: +BestEffort$/m]) {
          assert.match(text, line);
        }
        const events = text.slice(text.indexOf('\nEvents:'));
        assert.deepEqual(rows(events).slice(1, 3), [
          ['Type', 'Reason', 'Age', 'From', 'Message'],
          ['----', '------', '----', '----', '-------'],
        ]);
        const [scheduled, pulling] = rows(events).slice(3);
        assert.deepEqual([scheduled![0], scheduled![1], scheduled![3], scheduled![4]], ['Normal', 'Scheduled', 'default-scheduler', `Successfully assigned ${ns}/web-0 to node-1`]);
        assert.deepEqual([pulling![0], pulling![1], pulling![3], pulling![4]], ['Normal', 'Pulling', 'kubelet', 'Pulling image "nginx:1.27"']);
        assert.match(pulling![2]!, /^\d+s \(x3 over \d+s\)$/);

        const ev = rows(await ok('get', 'events', '--field-selector', 'involvedObject.name=web-0'));
        assert.deepEqual(ev[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
        assert.deepEqual(ev.slice(1).map((r) => r.slice(1, 4)), [
          ['Normal', 'Scheduled', 'pod/web-0'],
          ['Normal', 'Pulling', 'pod/web-0'],
        ]);

        await createDeployment('described', 3);
        const d = await ok('describe', 'deployment', 'described');
        for (const line of [
          /^Name: +described$/m,
          /^Selector: +app=described$/m,
          /^Replicas: +3 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m,
          /^StrategyType: +RollingUpdate$/m,
          /^RollingUpdateStrategy: +25% max unavailable, 25% max surge$/m,
          /^Pod Template:\n {2}Labels: +app=described\n {2}Containers:\n {3}nginx:\n {4}Image: +nginx:1\.27$/m,
          /^Events: +<none>$/m,
        ]) {
          assert.match(d, line);
        }
      });

      it('explains a kind and a field', async () => {
        const kind = await run('explain', 'deployment');
        assert.equal(kind.status, 0, kind.stderr);
        assert.match(kind.stdout, /^(GROUP: +apps\n)?KIND: +Deployment\nVERSION: +(apps\/)?v1\n/);
        assert.match(kind.stdout, /\nFIELDS:\n/);
        for (const field of ['apiVersion', 'kind', 'metadata', 'spec', 'status']) assert.match(kind.stdout, new RegExp(`\\n {2}${field}\\t<`));
        const field = await run('explain', 'pod.spec.containers.ports');
        assert.equal(field.status, 0, field.stderr);
        assert.match(field.stdout, /FIELD: +ports <\[\]Object>/);
        assert.match(field.stdout, /\n {2}containerPort\t<integer>/);
        const wrong = await run('explain', 'pod.spec.nonsense');
        assert.notEqual(wrong.status, 0);
        assert.match(wrong.stderr, /field "nonsense" does not exist/);
      });

      it('deletes with --cascade=background at once, and with orphan and foreground once the garbage collector lets go', async () => {
        for (const name of ['bg', 'orphaned', 'fg']) await createDeployment(name, 1);
        assert.equal(await ok('delete', 'deployment', 'bg', '--cascade=background'), 'deployment.apps "bg" deleted\n');
        assert.equal((await t.call('GET', `/apis/apps/v1/namespaces/${ns}/deployments/bg`)).code, 404);
        for (const [name, cascade, finalizer] of [
          ['orphaned', 'orphan', 'orphan'],
          ['fg', 'foreground', 'foregroundDeletion'],
        ] as const) {
          // kubectl waits until the object is gone; the server marks it with the garbage collector's finalizer ...
          const deleting = run('-n', ns, 'delete', 'deployment', name, `--cascade=${cascade}`, '--timeout=20s');
          const path = `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
          const marked = await until(`${name}'s deletion`, async () => {
            const r = await t.call('GET', path);
            return r.body.metadata?.deletionTimestamp ? r.body : undefined;
          });
          assert.deepEqual(marked.metadata.finalizers, [finalizer]);
          // ... which this test removes as the garbage collector would (no controller runs here)
          const released = await t.call('PATCH', path, { metadata: { finalizers: null } }, 'application/merge-patch+json');
          assert.equal(released.code, 200);
          const r = await deleting;
          assert.equal(r.status, 0, r.stderr);
          assert.equal(r.stdout, `deployment.apps "${name}" deleted\n`);
          assert.equal((await t.call('GET', path)).code, 404);
        }
      });

      it('get -w prints the table, then each change, until it is killed', async () => {
        const cm = (name: string, data: Record<string, string>) => ({ metadata: { name, labels: { watched: 'yes' } }, data });
        assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('watched-1', { a: '1' }))).code, 201);
        const child = spawn(binary, ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, `cache-w-${version}`), '-n', ns, 'get', 'cm', '-l', 'watched=yes', '-w']);
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        const exited = new Promise<void>((res) => child.once('exit', () => res()));
        try {
          await until('the first rows', () => (/watched-1/.test(out) ? true : undefined));
          assert.equal((await t.call('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('watched-2', { b: '2', c: '3' }))).code, 201);
          await until('the added row', () => (/watched-2/.test(out) ? true : undefined));
          assert.equal((await t.call('PATCH', `/api/v1/namespaces/${ns}/configmaps/watched-1`, { data: { a: '1', z: '26' } }, 'application/merge-patch+json')).code, 200);
          await until('the modified row', () => (out.split('\n').filter((l) => l.startsWith('watched-1')).length === 2 ? true : undefined));
        } finally {
          child.kill('SIGTERM');
        }
        await exited;
        const lines = rows(out);
        assert.deepEqual(lines[0], ['NAME', 'DATA', 'AGE']);
        assert.deepEqual(
          lines.slice(1).map((r) => r.slice(0, 2)),
          [
            ['watched-1', '1'],
            ['watched-2', '2'],
            ['watched-1', '2'],
          ],
        );
      });
    });
  }
});
