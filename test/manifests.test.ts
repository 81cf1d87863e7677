/**
 * The demo manifests (manifests/*.yaml) against a real API server with the
 * real kubectl: `kubectl apply -f manifests/` creates every object, a second
 * apply changes none, and a server-side dry run is accepted.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestApi } from './apiserver.js';

const DIR = join(import.meta.dirname, '..', 'manifests');

/** `kind/name` of every object in the manifests, in apply order (kubectl's plural-less lowercase kind). */
const objects = (): string[] =>
  readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(DIR, f), 'utf8')
        .split(/^---$/m)
        .map((doc) => {
          const kind = /^kind: (\w+)$/m.exec(doc)?.[1];
          const name = /^ {2}name: ([\w-]+)/m.exec(doc)?.[1];
          assert.ok(kind && name, `a document of ${f} without kind or name`);
          const group = /^apiVersion: ([\w.]+)\/v\w+$/m.exec(doc)?.[1];
          return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
        }),
    );

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(async () => {
  await t.stop();
});

describe('manifests/', { concurrency: 1 }, () => {
  const expected = objects();

  it('holds the seven manifests', () => {
    assert.equal(readdirSync(DIR).filter((f) => f.endsWith('.yaml')).length, 7);
    assert.ok(expected.length >= 10, expected.join(' '));
  });

  it('a server-side dry run of the namespace stores nothing', async () => {
    // Only 01's Namespace: the rest name a namespace that does not exist yet, which
    // a dry run refuses as kube's does (NotFound).
    const r = await t.kubectl('create', '-f', join(DIR, '01-namespace.yaml'), '--dry-run=server', '-o', 'name');
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^namespace\/demo$/m);
    assert.match(r.stderr, /namespaces "demo" not found/);
    assert.equal((await t.call('GET', '/api/v1/namespaces/demo')).code, 404);
  });

  it('kubectl apply creates every object', async () => {
    const r = await t.kubectl('apply', '-f', DIR);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.trim().split('\n'), expected.map((o) => `${o} created`));
  });

  it('a second apply leaves every object unchanged', async () => {
    const r = await t.kubectl('apply', '-f', DIR);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), expected.map((o) => `${o} unchanged`));
  });

  it('a server-side dry run of the whole directory succeeds once it exists', async () => {
    const r = await t.kubectl('apply', '-f', DIR, '--dry-run=server');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), expected.map((o) => `${o} unchanged (server dry run)`));
  });

  it('the objects are in namespace demo, as written', async () => {
    const r = await t.kubectl('get', 'deployments,services,jobs,daemonsets,pods,configmaps,secrets', '-n', 'demo', '-o', 'name');
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['deployment.apps/web', 'deployment.apps/spread', 'service/web', 'job.batch/batch', 'daemonset.apps/node-agent', 'pod/zone-a-pod', 'pod/tolerant-pod', 'pod/too-big', 'configmap/web-config', 'secret/web-secret']) {
      assert.ok(r.stdout.split('\n').includes(name), `${name} missing from:\n${r.stdout}`);
    }
  });
});
