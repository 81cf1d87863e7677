import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { serviceaccounts } from './serviceaccounts.js';

describe('serviceaccounts', () => {
  const cases: [string, string, string[]][] = [
    ['a subdomain name', 'build-robot.ci', []],
    [
      'a name with capitals',
      'Robot',
      [
        "metadata.name: Invalid value: \"Robot\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
  ];
  for (const [name, value, want] of cases) {
    it(name, () => {
      const obj = serviceaccounts.schema.parse({ metadata: { name: value, namespace: 'default' } });
      assert.deepEqual(serviceaccounts.validate(obj).map((e) => e.message), want);
    });
  }

  it('a realistic service account keeps every field; secrets merge by name', () => {
    const manifest = parseYaml(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: build-robot, namespace: ci, annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::1:role/x"}}
secrets: [{name: build-robot-token}]
imagePullSecrets: [{name: registry-creds}]
automountServiceAccountToken: false
`) as object;
    const parsed = serviceaccounts.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    assert.deepEqual(serviceaccounts.validate(parsed), []);
    assert.deepEqual(serviceaccounts.mergeKeys, { secrets: 'name' });
    assert.deepEqual(serviceaccounts.info.shortNames, ['sa']);
  });
});
