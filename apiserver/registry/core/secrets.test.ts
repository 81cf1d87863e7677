import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { base64Error } from '../../api/core/secret.js';
import type { KubeObject } from '../../api/meta.js';
import { secrets } from './secrets.js';

const meta = { name: 'creds', namespace: 'default' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

function created(body: object): KubeObject {
  const obj = secrets.schema.parse(body);
  secrets.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => secrets.validate(obj, old).map((e) => e.message);

describe('secrets: decoding', () => {
  const cases: [string, number | undefined][] = [
    ['', undefined],
    ['aGVsbG8=', undefined],
    ['aGVs\nbG8=', undefined],
    ['aGVsbA==', undefined],
    ['aGVsbA', 4],
    ['abc', 0],
    ['a', 0],
    ['aGV$', 3],
    ['aGVsbA=', 7],
    ['aGVsbG8=x', 8],
    ['=AAA', 0],
  ];
  for (const [input, at] of cases) {
    it(`${JSON.stringify(input)}: ${at === undefined ? 'decodes' : `fails at byte ${at}`}`, () => assert.equal(base64Error(input), at));
  }

  it('a data value that is not base64 does not decode, with Go\'s message', () => {
    assert.throws(() => secrets.schema.parse({ metadata: meta, data: { password: 'hunter2' } }), /illegal base64 data at input byte 4/);
  });
});

describe('secrets: defaults', () => {
  it('type Opaque; stringData merged into data (its entries win) and dropped', () => {
    const obj = created({ metadata: meta, data: { user: b64('admin'), password: b64('old') }, stringData: { password: 'new', token: 'été' } });
    assert.deepEqual(obj, { metadata: meta, type: 'Opaque', data: { user: b64('admin'), password: b64('new'), token: b64('été') } });
    const again = structuredClone(obj);
    secrets.defaults(again);
    assert.deepEqual(again, obj);
  });

  it('an empty stringData is dropped', () => {
    assert.deepEqual(created({ metadata: meta, stringData: {} }), { metadata: meta, type: 'Opaque' });
  });
});

describe('secrets: validation', () => {
  const cases: [string, object, string[]][] = [
    [
      'a key that is no config key',
      { metadata: meta, data: { 'a/b': b64('x') } },
      ["data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
    ],
    ['a key starting with ..', { metadata: meta, stringData: { '..data': 'x' } }, ["data[..data]: Invalid value: \"..data\": must not start with '..'"]],
    ['more than 1 MiB', { metadata: meta, stringData: { big: 'x'.repeat(1024 * 1024 + 1) } }, ['data: Too long: may not be more than 1048576 bytes']],
    ['a TLS secret without its keys', { metadata: meta, type: 'kubernetes.io/tls', stringData: { 'ca.crt': 'x' } }, ['data[tls.crt]: Required value', 'data[tls.key]: Required value']],
    ['a docker config without its key', { metadata: meta, type: 'kubernetes.io/dockerconfigjson' }, ['data[.dockerconfigjson]: Required value']],
    [
      'a docker config that is no JSON object',
      { metadata: meta, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '[1]' } },
      ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}'],
    ],
    ['a token secret without its service account', { metadata: meta, type: 'kubernetes.io/service-account-token' }, ['metadata.annotations[kubernetes.io/service-account.name]: Required value']],
    ['basic auth without username or password', { metadata: meta, type: 'kubernetes.io/basic-auth' }, ['data[username]: Required value', 'data[password]: Required value']],
    ['ssh auth without its key', { metadata: meta, type: 'kubernetes.io/ssh-auth', stringData: { 'ssh-privatekey': '' } }, ['data[ssh-privatekey]: Required value']],
    ['any other type, anything goes', { metadata: meta, type: 'example.com/custom', stringData: { x: 'y' } }, []],
  ];
  for (const [name, body, want] of cases) it(name, () => assert.deepEqual(messages(created(body)), want));
});

describe('secrets: updates', () => {
  it('the type stays', () => {
    const old = created({ metadata: meta, stringData: { a: 'b' } });
    const next = created({ metadata: meta, type: 'kubernetes.io/basic-auth', stringData: { username: 'u' } });
    assert.deepEqual(messages(next, old), ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
  });

  it('an immutable secret keeps its data and stays immutable', () => {
    const old = created({ metadata: meta, immutable: true, stringData: { a: 'b' } });
    assert.deepEqual(messages(created({ metadata: meta, immutable: true, stringData: { a: 'b' } }), old), []);
    assert.deepEqual(messages(created({ metadata: meta, stringData: { a: 'c' } }), old), [
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });

  it('a realistic TLS secret keeps every field and selects by type', () => {
    const manifest = parseYaml(`
apiVersion: v1
kind: Secret
metadata:
  name: web-tls
  namespace: default
  labels: {app: web}
  annotations: {cert-manager.io/issuer-name: letsencrypt}
type: kubernetes.io/tls
immutable: false
data:
  tls.crt: ${b64('-----BEGIN CERTIFICATE-----')}
  tls.key: ${b64('-----BEGIN PRIVATE KEY-----')}
`) as object;
    const parsed = secrets.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    secrets.defaults(parsed);
    assert.deepEqual(parsed, manifest);
    assert.deepEqual(secrets.validate(parsed), []);
    assert.deepEqual(secrets.fields(parsed), { type: 'kubernetes.io/tls' });
  });
});
