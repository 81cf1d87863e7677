import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta.js';
import { ServiceAccountTokens } from './serviceaccount.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const sa: KubeObject = { metadata: { name: 'builder', namespace: 'ci', uid: 'sa-uid' } };
const T0 = Date.parse('2026-12-06T10:00:00Z');

function tamper(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, b, s] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(b, 'base64url').toString()) as Record<string, unknown>;
  change(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
}

describe('service account tokens', () => {
  let now = T0;
  const tokens = new ServiceAccountTokens({ signingKey: privateKey }, 'https://kubernetes.default.svc.cluster.local', undefined, () => now);

  it("carry Kubernetes' claims, checked with the public key", () => {
    const { token, expires } = tokens.issue(sa, { seconds: 3600 });
    assert.equal(expires.getTime(), T0 + 3600_000);
    const c = tokens.check(token)!;
    assert.equal(c.sub, 'system:serviceaccount:ci:builder');
    assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'ci', serviceaccount: { name: 'builder', uid: 'sa-uid' } });
    assert.equal(c.iat, T0 / 1000);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    assert.equal(header.alg, 'RS256');
    assert.match(header.kid, /^[A-Za-z0-9_-]{43}$/);
    const verifier = new ServiceAccountTokens({ verifyKeys: [publicKey] }, undefined, undefined, () => now);
    assert.ok(verifier.check(token), 'a server with only the public key (sa.pub) accepts it');
    assert.equal(verifier.canIssue, false);
  });

  it('are refused when signed by another key, tampered with, unsigned, for another issuer or audience', () => {
    const { token } = tokens.issue(sa, { seconds: 3600 });
    assert.equal(new ServiceAccountTokens({ verifyKeys: [other.publicKey] }, undefined, undefined, () => now).check(token), undefined);
    assert.equal(tokens.check(tamper(token, (c) => (c.sub = 'system:serviceaccount:kube-system:admin'))), undefined);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`;
    assert.equal(tokens.check(unsigned), undefined);
    assert.equal(new ServiceAccountTokens({ verifyKeys: [publicKey] }, 'https://elsewhere', undefined, () => now).check(token), undefined);
    const forVault = tokens.issue(sa, { seconds: 3600, audiences: ['vault'] }).token;
    assert.equal(tokens.check(forVault), undefined, 'a token for another audience does not authenticate here');
    assert.equal(tokens.check('not.a.jwt'), undefined);
    assert.equal(tokens.check('abc'), undefined);
  });

  it('expire, with a minute of leeway', () => {
    now = T0;
    const { token } = tokens.issue(sa, { seconds: 600 });
    now = T0 + 600_000 + 59_000;
    assert.ok(tokens.check(token));
    now = T0 + 600_000 + 61_000;
    assert.equal(tokens.check(token), undefined);
    now = T0;
  });

  it('authenticate while their service account (and bound pod) still exist with the same uids', async () => {
    const objects = new Map<string, KubeObject>([
      ['serviceaccounts/ci/builder', sa],
      ['pods/ci/runner', { metadata: { name: 'runner', namespace: 'ci', uid: 'pod-uid' } }],
    ]);
    const auth = tokens.authenticator(async (r, ns, name) => objects.get(`${r}/${ns}/${name}`));
    const req = (t: string) => ({ headers: { authorization: `Bearer ${t}` }, socket: {} }) as unknown as IncomingMessage;
    const plain = tokens.issue(sa, { seconds: 3600 }).token;
    const bound = tokens.issue(sa, { seconds: 3600, bound: { kind: 'Pod', name: 'runner', uid: 'pod-uid' } }).token;
    const user = await auth(req(bound));
    assert.equal(user?.username, 'system:serviceaccount:ci:builder');
    assert.equal(user?.uid, 'sa-uid');
    assert.deepEqual(user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated']);
    assert.deepEqual(user?.extra?.['authentication.kubernetes.io/pod-name'], ['runner']);
    objects.set('pods/ci/runner', { metadata: { name: 'runner', namespace: 'ci', uid: 'another-pod' } });
    assert.equal(await auth(req(bound)), undefined, 'the pod it was bound to is gone (a new one has the name)');
    assert.ok(await auth(req(plain)));
    objects.delete('serviceaccounts/ci/builder');
    assert.equal(await auth(req(plain)), undefined, 'the service account is gone');
  });
});
