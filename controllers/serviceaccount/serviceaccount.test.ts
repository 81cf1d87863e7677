/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The service accounts controller and the root CA publisher through a real
 * API server (with the ServiceAccount admission plugin on, as kubeling up
 * runs it): every namespace gets its `default` account and its
 * kube-root-ca.crt, both put back when deleted or changed, and a pod in a
 * namespace made a moment ago is admitted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { ControllerManager } from '../manager.js';
import { DESCRIPTION, rootCACertPublisherRegistration } from '../rootcacertpublisher/index.js';
import { serviceAccountsRegistration } from './index.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

describe('the service accounts controller and the root CA publisher over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  let m: ControllerManager;
  before(async () => {
    t = await TestApi.start({ serviceAccountAdmission: true });
    client = RestClient.fromKubeconfig(t.kubeconfig);
    const registry = new Map([
      ['serviceaccount-controller', serviceAccountsRegistration],
      ['root-ca-certificate-publisher-controller', rootCACertPublisherRegistration(CA)],
    ]);
    m = new ControllerManager({ client, registry, log: () => {} });
    await m.start();
  });
  after(async () => {
    await m?.stop();
    client?.close();
    await t?.stop();
  });

  const get = async (path: string): Promise<any> => {
    const r = await t.call('GET', path);
    return r.code === 200 ? r.body : undefined;
  };
  const account = (ns: string): Promise<any> => get(`/api/v1/namespaces/${ns}/serviceaccounts/default`);
  const rootCA = (ns: string): Promise<any> => get(`/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);

  it('gives every namespace, those there from the start and new ones, a default account and kube-root-ca.crt', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await until(`${ns}'s account and CA`, async () => ((await account(ns)) && (await rootCA(ns)) ? true : undefined));
    }
    assert.equal((await t.call('POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).code, 201);
    const sa = await until("team's default account", () => account('team'));
    assert.deepEqual(Object.keys(sa.metadata).filter((k) => k === 'labels' || k === 'annotations'), [], 'a bare account');
    assert.equal(sa.automountServiceAccountToken, undefined);
    const cm = await until("team's kube-root-ca.crt", () => rootCA('team'));
    assert.deepEqual(cm.data, { 'ca.crt': CA });
    assert.deepEqual(cm.metadata.annotations, { 'kubernetes.io/description': DESCRIPTION });

    // a pod in it is admitted: its account exists (the admission looks again for a moment if it does not yet)
    const pod = await t.call('POST', '/api/v1/namespaces/team/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    assert.equal(pod.code, 201, JSON.stringify(pod.body));
    assert.match(pod.body.spec.volumes[0].name, /^kube-api-access-/);
  });

  it('puts back a deleted account, and a deleted or changed kube-root-ca.crt', async () => {
    await until("team's account and CA", async () => ((await account('team')) && (await rootCA('team')) ? true : undefined));
    const before = (await account('team')).metadata.uid;
    assert.equal((await t.call('DELETE', '/api/v1/namespaces/team/serviceaccounts/default')).code, 200);
    await until('a new default account', async () => {
      const sa = await account('team');
      return sa && sa.metadata.uid !== before ? true : undefined;
    });

    const changed = await t.call('PATCH', '/api/v1/namespaces/team/configmaps/kube-root-ca.crt', { data: { 'ca.crt': 'tampered', extra: 'x' }, metadata: { annotations: { mine: 'kept' } } }, 'application/merge-patch+json');
    assert.equal(changed.code, 200);
    const restored = await until('the data put back', async () => {
      const cm = await rootCA('team');
      return cm?.data['ca.crt'] === CA ? cm : undefined;
    });
    assert.deepEqual(restored.data, { 'ca.crt': CA }, 'the whole data replaced');
    assert.deepEqual(restored.metadata.annotations, { 'kubernetes.io/description': DESCRIPTION, mine: 'kept' });

    assert.equal((await t.call('DELETE', '/api/v1/namespaces/team/configmaps/kube-root-ca.crt')).code, 200);
    await until('kube-root-ca.crt made again', async () => ((await rootCA('team'))?.data?.['ca.crt'] === CA ? true : undefined));
  });
});
