import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { leases } from './leases.js';

function lease(spec: Record<string, unknown>): KubeObject {
  return { metadata: { name: 'kube-scheduler', namespace: 'kube-system' }, spec };
}

describe('leases: validation', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['a held lease', { holderIdentity: 'node-1_0f3c', leaseDurationSeconds: 15, leaseTransitions: 2 }, []],
    ['an empty spec', {}, []],
    [
      'a zero duration and negative transitions',
      { leaseDurationSeconds: 0, leaseTransitions: -1 },
      ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0', 'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0'],
    ],
    ['a known strategy with a preferred holder', { strategy: 'OldestEmulationVersion', preferredHolder: 'node-2' }, []],
    ['a domain-qualified strategy', { strategy: 'example.com/custom' }, []],
    ['an unknown strategy (its path repeats strategy, as Kubernetes does)', { strategy: 'Newest' }, ['spec.strategy.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion"']],
    ['a preferred holder without a strategy', { preferredHolder: 'node-2' }, ['spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined']],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () => assert.deepEqual(leases.validate(lease(spec)).map((e) => e.message), want));
  }

  it('checks the name as a DNS subdomain', () => {
    const obj = lease({});
    obj.metadata.name = 'Node_1';
    assert.equal(leases.validate(obj).length, 1);
  });
});

describe('leases: schema and info', () => {
  it('keeps every field of a leader-election lease', () => {
    const manifest = parseYaml(`
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: kube-controller-manager
  namespace: kube-system
spec:
  holderIdentity: cp-1_8e0b5c6a-2a47-4b2f-9d6e-7a1a2b3c4d5e
  leaseDurationSeconds: 15
  acquireTime: "2024-05-01T10:00:00.000000Z"
  renewTime: "2024-05-01T10:05:02.123456Z"
  leaseTransitions: 3
`) as unknown;
    assert.deepEqual(leases.schema.parse(manifest), manifest);
  });

  it('is namespaced, without status, scale or generation', () => {
    assert.deepEqual(leases.info, { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', singular: 'lease', namespaced: true });
    assert.equal('status' in leases || 'scale' in leases || 'hasGeneration' in leases, false);
  });
});
