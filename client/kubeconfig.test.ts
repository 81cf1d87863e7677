import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeling-kc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('kubeconfig', () => {
  it('reads the current context: server, embedded CA, client certificate and key', () => {
    const k = parseKubeconfig(
      `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443/", certificate-authority-data: ${b64('CA')}}
users:
- name: u
  user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: team}
current-context: ctx
`,
      dir,
    );
    assert.equal(k.server, 'https://127.0.0.1:6443');
    assert.equal(k.context, 'ctx');
    assert.equal(k.namespace, 'team');
    assert.equal(k.ca?.toString(), 'CA');
    assert.equal(k.cert?.toString(), 'CERT');
    assert.equal(k.key?.toString(), 'KEY');
    assert.equal(k.insecureSkipTLSVerify, false);
    assert.equal('token' in k, false, 'unset fields are absent');
  });

  it('reads files relative to the kubeconfig, tokens, insecure-skip-tls-verify, another context, plain http', () => {
    writeFileSync(join(dir, 'ca.crt'), 'FILECA');
    writeFileSync(join(dir, 'tok'), 'secret-from-file\n');
    writeFileSync(
      join(dir, 'config'),
      `clusters:
- {name: a, cluster: {server: "https://a:6443", certificate-authority: ca.crt}}
- {name: b, cluster: {server: "http://127.0.0.1:8080", insecure-skip-tls-verify: true}}
users:
- {name: t, user: {token: abc}}
- {name: f, user: {tokenFile: tok}}
contexts:
- {name: one, context: {cluster: a, user: t}}
- {name: two, context: {cluster: b, user: f}}
current-context: one
`,
    );
    const one = loadKubeconfig(join(dir, 'config'));
    assert.equal(one.ca?.toString(), 'FILECA');
    assert.equal(one.token, 'abc');
    assert.equal(one.namespace, 'default');
    const two = loadKubeconfig(join(dir, 'config'), 'two');
    assert.equal(two.server, 'http://127.0.0.1:8080');
    assert.equal(two.token, 'secret-from-file');
    assert.equal(two.insecureSkipTLSVerify, true);
    assert.throws(() => loadKubeconfig(join(dir, 'config'), 'three'), /no context named "three"/);
  });
});
