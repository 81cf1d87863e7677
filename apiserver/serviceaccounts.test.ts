/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The ServiceAccount admission plugin through a real API server (TestApi
 * with the plugin on, as kube-apiserver runs it): the account a pod runs as
 * must exist; the pod gets the kube-api-access volume, mounted in each
 * container, unless automounting is off; the account's imagePullSecrets;
 * mirror pods refused their references. And the plugin flags' checks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { disabledAdmissionPlugins } from './registry/admission.js';

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

describe('the ServiceAccount admission plugin', () => {
  let t: TestApi;
  before(async () => {
    // with service account tokens too: the serviceaccounts store then has the token action (a strategy of its own)
    t = await TestApi.start({ tls: true, serviceAccounts: true, serviceAccountAdmission: true });
    assert.equal((await t.call('POST', '/api/v1/namespaces', { metadata: { name: 'sa' } })).code, 201);
  });
  after(() => t?.stop());

  const pod = (name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => ({
    metadata: { name, ...metadata },
    spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'app', image: 'nginx' }, { name: 'side', image: 'envoy' }], ...spec },
  });
  const create = (body: unknown) => t.call('POST', '/api/v1/namespaces/sa/pods', body);
  const account = async (name: string, extra: Record<string, unknown> = {}): Promise<void> => {
    assert.equal((await t.call('POST', '/api/v1/namespaces/sa/serviceaccounts', { metadata: { name }, ...extra })).code, 201);
  };

  it('refuses a pod whose service account does not exist, `default` after looking again for a while', async () => {
    const started = Date.now();
    const none = await create(pod('early'));
    assert.deepEqual([none.code, none.body.reason], [403, 'Forbidden']);
    assert.equal(none.body.message, 'pods "early" is forbidden: error looking up service account sa/default: serviceaccount "default" not found');
    assert.ok(Date.now() - started >= 800, 'the default account is looked up again (a namespace just made)');
    const named = await create(pod('named', { serviceAccountName: 'builder' }));
    assert.deepEqual([named.code, named.body.message], [403, 'pods "named" is forbidden: error looking up service account sa/builder: serviceaccount "builder" not found']);
    assert.equal((await t.call('GET', '/api/v1/namespaces/sa/pods/early')).code, 404, 'nothing stored');
    // a generated name is made after admission in kube: the refusal names the prefix (as a ReplicaSet's FailedCreate shows it)
    const generated = await create({ ...pod(''), metadata: { generateName: 'web-5d8f7c9-' }, spec: { ...pod('').spec, serviceAccountName: 'builder' } });
    assert.equal(generated.body.message, 'pods "web-5d8f7c9-" is forbidden: error looking up service account sa/builder: serviceaccount "builder" not found');
  });

  it('gives a pod the kube-api-access volume, mounted read-only in every init and regular container', async () => {
    await account('default');
    const p = await create(pod('mounted'));
    assert.equal(p.code, 201, JSON.stringify(p.body));
    const spec = p.body.spec;
    assert.deepEqual([spec.serviceAccountName, spec.serviceAccount], ['default', 'default']);
    const volume = spec.volumes.at(-1);
    assert.match(volume.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(volume.projected, {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    });
    for (const c of [...spec.initContainers, ...spec.containers]) assert.deepEqual(c.volumeMounts, [{ name: volume.name, readOnly: true, mountPath: MOUNT }], c.name);

    // a container with something at that path keeps it; the others mount the volume
    const own = await create(pod('own', { containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] }, { name: 'side', image: 'envoy' }], volumes: [{ name: 'mine', emptyDir: {} }] }));
    assert.equal(own.code, 201, JSON.stringify(own.body));
    assert.deepEqual(own.body.spec.containers[0].volumeMounts, [{ name: 'mine', mountPath: MOUNT }]);
    assert.equal(own.body.spec.containers[1].volumeMounts[0].mountPath, MOUNT);
    assert.equal(own.body.spec.volumes.length, 2);
    // no container left to mount it: no volume
    const all = await create(pod('all', { initContainers: [], containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] }], volumes: [{ name: 'mine', emptyDir: {} }] }));
    assert.deepEqual(all.body.spec.volumes.map((v: any) => v.name), ['mine']);
    // a volume of that name given already is the one mounted
    const given = await create(pod('given', { volumes: [{ name: 'kube-api-access-mine', emptyDir: {} }] }));
    assert.deepEqual(given.body.spec.volumes.map((v: any) => v.name), ['kube-api-access-mine']);
    assert.equal(given.body.spec.containers[0].volumeMounts[0].name, 'kube-api-access-mine');
  });

  it("follows automountServiceAccountToken, the pod's over the account's; copies the account's imagePullSecrets", async () => {
    await account('quiet', { automountServiceAccountToken: false, imagePullSecrets: [{ name: 'regcred' }] });
    const volumesOf = (p: any): string[] => (p.body.spec.volumes ?? []).map((v: any) => v.name.replace(/-[^-]+$/, '-*'));
    const quiet = await create(pod('quiet', { serviceAccountName: 'quiet' }));
    assert.equal(quiet.code, 201, JSON.stringify(quiet.body));
    assert.deepEqual(volumesOf(quiet), []);
    assert.equal(quiet.body.spec.containers[0].volumeMounts, undefined);
    assert.deepEqual(quiet.body.spec.imagePullSecrets, [{ name: 'regcred' }]);
    const asked = await create(pod('asked', { serviceAccountName: 'quiet', automountServiceAccountToken: true, imagePullSecrets: [{ name: 'own' }] }));
    assert.deepEqual(volumesOf(asked), ['kube-api-access-*']);
    assert.deepEqual(asked.body.spec.imagePullSecrets, [{ name: 'own' }], "the pod's own are kept");
    const off = await create(pod('off', { automountServiceAccountToken: false }));
    assert.deepEqual(volumesOf(off), []);
  });

  it('refuses a mirror pod that references an account, a secret or a token', async () => {
    const mirror = { annotations: { 'kubernetes.io/config.mirror': 'abc' } };
    const cases: [string, Record<string, unknown>, string][] = [
      ['m-sa', { serviceAccountName: 'default' }, 'a mirror pod may not reference service accounts'],
      ['m-secret', { volumes: [{ name: 's', secret: { secretName: 'x' } }] }, 'a mirror pod may not reference secrets'],
      ['m-env', { containers: [{ name: 'app', image: 'nginx', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'x', key: 'k' } } }] }] }, 'a mirror pod may not reference secrets'],
      ['m-pull', { imagePullSecrets: [{ name: 'regcred' }] }, 'a mirror pod may not reference secrets'],
      ['m-csi', { volumes: [{ name: 'c', csi: { driver: 'd', nodePublishSecretRef: { name: 'x' } } }] }, 'a mirror pod may not reference secrets'],
      ['m-token', { volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }] }, 'a mirror pod may not use ServiceAccountToken volume projections'],
    ];
    for (const [name, spec, why] of cases) {
      const r = await create(pod(name, spec, mirror));
      assert.deepEqual([r.code, r.body.message], [403, `pods "${name}" is forbidden: ${why}`], name);
    }
    const plain = await create(pod('m-plain', {}, mirror));
    assert.equal(plain.code, 201, JSON.stringify(plain.body));
    assert.deepEqual([plain.body.spec.serviceAccountName, plain.body.spec.volumes], [undefined, undefined], 'left as it came');
  });
});

describe('--enable-admission-plugins and --disable-admission-plugins', () => {
  it("leave off what is disabled, with kube-apiserver's errors", () => {
    assert.deepEqual(disabledAdmissionPlugins(undefined, undefined), []);
    assert.deepEqual(disabledAdmissionPlugins('NamespaceLifecycle', 'ServiceAccount, LimitRanger'), ['ServiceAccount'], "a plugin of kube's kubeling lacks may be disabled");
    assert.throws(() => disabledAdmissionPlugins('Bogus', undefined), { message: 'enable-admission-plugins plugin "Bogus" is unknown' });
    assert.throws(() => disabledAdmissionPlugins(undefined, 'Bogus'), { message: 'disable-admission-plugins plugin "Bogus" is unknown' });
    assert.throws(() => disabledAdmissionPlugins('Priority', 'Priority'), { message: '[Priority] in enable-admission-plugins and disable-admission-plugins overlapped' });
    assert.throws(() => disabledAdmissionPlugins('ResourceQuota', undefined), /enable-admission-plugins plugin "ResourceQuota" is not one kubeling has/);
  });
});
