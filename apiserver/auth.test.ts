/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { initPki } from '../store/server/pki.js';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';

describe('API server over HTTPS: authentication by client certificate and bearer token', () => {
  let t: TestApi;
  let stranger: string;
  before(async () => {
    t = await TestApi.start({
      tls: true,
      serviceAccounts: true,
      tokens: new Map([['s3cret-token', { username: 'alice', uid: '1001', groups: ['dev', 'system:authenticated'] }]]),
    });
    stranger = mkdtempSync(join(tmpdir(), 'kubeling-stranger-'));
    await initPki(stranger, { keyAlgorithm: 'ecdsa' });
  });
  after(async () => {
    await t?.stop();
    rmSync(stranger, { recursive: true, force: true });
  });

  it('answers a request without credentials 401 Unauthorized, as a Status', async () => {
    const r = await t.call('GET', '/api/v1/namespaces', undefined, undefined, {}, 'none');
    assert.deepEqual(r, { code: 401, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } });
    assert.equal((await t.call('GET', '/apis', undefined, undefined, {}, { token: 'wrong' })).code, 401);
  });

  it('serves the health endpoints and /version to anyone', async () => {
    assert.equal((await t.call('GET', '/version', undefined, undefined, {}, 'none')).body.major, '1');
    const r = await fetch(`${t.base}/healthz`).catch((e: Error) => e);
    assert.ok(r instanceof Error, 'fetch does not trust the cluster CA: the server is not plain HTTP');
  });

  it('names the user of a client certificate by its CN and groups by its O (kubectl auth whoami)', async () => {
    const r = await t.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.equal(r.code, 201);
    assert.deepEqual(r.body.status.userInfo, { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
    const k = await t.kubectl('auth', 'whoami');
    assert.equal(k.status, 0, k.stderr);
    assert.match(k.stdout, /^ATTRIBUTE\s+VALUE\nUsername\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]\n$/);
  });

  it('names the user of a bearer token from the token file', async () => {
    const r = await t.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview' }, undefined, {}, { token: 's3cret-token' });
    assert.deepEqual(r.body.status.userInfo, { username: 'alice', uid: '1001', groups: ['dev', 'system:authenticated'] });
    const cfg = join(t.dir, 'token.kubeconfig');
    writeFileSync(
      cfg,
      readFileSync(t.kubeconfig, 'utf8').replace(/client-certificate-data: \S+\n\s+client-key-data: \S+/, 'token: s3cret-token'),
    );
    const k = await t.kubectlWith(cfg, 'get', 'ns', '-o', 'name');
    assert.equal(k.status, 0, k.stderr);
    assert.match(k.stdout, /namespace\/kube-system/);
  });

  it('refuses a certificate from another CA, and kubectl says the user must log in', async () => {
    const cert = readFileSync(join(stranger, 'admin.crt'));
    const key = readFileSync(join(stranger, 'admin.key'));
    assert.equal((await t.call('GET', '/api/v1/namespaces', undefined, undefined, {}, { cert, key })).code, 401);
    const cfg = join(t.dir, 'stranger.kubeconfig');
    writeFileSync(
      cfg,
      readFileSync(t.kubeconfig, 'utf8')
        .replace(/client-certificate-data: \S+/, `client-certificate-data: ${cert.toString('base64')}`)
        .replace(/client-key-data: \S+/, `client-key-data: ${key.toString('base64')}`),
    );
    const k = await t.kubectlWith(cfg, 'get', 'ns');
    assert.notEqual(k.status, 0);
    assert.match(k.stderr, /You must be logged in to the server \(Unauthorized\)/);
  });

  it('lists authentication.k8s.io in discovery, and kubectl works with the admin kubeconfig', async () => {
    const r = await t.call('GET', '/apis/authentication.k8s.io/v1');
    assert.deepEqual(r.body.resources, [{ name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] }]);
    const k = await t.kubectl('get', 'ns', 'default', '-o', 'jsonpath={.metadata.name}');
    assert.equal(k.status, 0, k.stderr);
    assert.equal(k.stdout, 'default');
  });

  it('authenticates WebSocket watches, also by the bearer token subprotocol browsers use', async () => {
    const url = `${t.base.replace('https', 'wss')}/api/v1/namespaces?watch=true`;
    const ca = readFileSync(join(t.pkiDir, 'ca.crt'));
    const refused = await new Promise<number>((res) => {
      const ws = new WebSocket(url, { ca });
      ws.on('unexpected-response', (_req, r) => res(r.statusCode ?? 0));
      ws.on('open', () => res(101));
      ws.on('error', () => undefined);
    });
    assert.equal(refused, 401);
    const protocols = ['base64.binary.k8s.io', `base64url.bearer.authorization.k8s.io.${Buffer.from('s3cret-token').toString('base64url')}`];
    const first = await new Promise<any>((res, rej) => {
      const ws = new WebSocket(url, protocols, { ca });
      ws.on('message', (m: Buffer) => {
        ws.close();
        res(JSON.parse(Buffer.from(m.toString(), 'base64').toString('utf8')));
      });
      ws.on('error', rej);
    });
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.kind, 'Namespace');
  });

  it('issues service account tokens (kubectl create token) that authenticate while their service account and bound pod exist', async () => {
    assert.equal((await t.call('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'builder' } })).code, 201);
    const tok = await t.kubectl('create', 'token', 'builder');
    assert.equal(tok.status, 0, tok.stderr);
    const token = tok.stdout.trim();
    const as = { token };
    const who = await t.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview' }, undefined, {}, as);
    assert.equal(who.body.status.userInfo.username, 'system:serviceaccount:default:builder');
    assert.deepEqual(who.body.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);

    const short = await t.kubectl('create', 'token', 'builder', '--duration', '5m');
    assert.notEqual(short.status, 0);
    assert.match(short.stderr, /TokenRequest.authentication.k8s.io "builder" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
    const missing = await t.kubectl('create', 'token', 'nobody');
    assert.match(missing.stderr, /serviceaccounts "nobody" not found/);

    const pod = { metadata: { name: 'runner' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    assert.equal((await t.call('POST', '/api/v1/namespaces/default/pods', pod)).code, 201);
    const b = await t.call('POST', '/api/v1/namespaces/default/serviceaccounts/builder/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'runner' }, expirationSeconds: 1200 },
    });
    assert.equal(b.code, 201);
    assert.equal(b.body.spec.expirationSeconds, 1200);
    assert.match(b.body.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const bound = { token: b.body.status.token as string };
    assert.equal((await t.call('GET', '/api/v1/namespaces/default/pods', undefined, undefined, {}, bound)).code, 200);
    assert.equal((await t.call('DELETE', '/api/v1/namespaces/default/pods/runner?gracePeriodSeconds=0')).code, 200);
    await until('the bound token refused', async () => ((await t.call('GET', '/api/v1/namespaces/default/pods', undefined, undefined, {}, bound)).code === 401 ? true : undefined));

    assert.equal((await t.call('DELETE', '/api/v1/namespaces/default/serviceaccounts/builder')).code, 200);
    await until('the token refused', async () => ((await t.call('GET', '/api/v1/namespaces', undefined, undefined, {}, as)).code === 401 ? true : undefined));
  });
});
