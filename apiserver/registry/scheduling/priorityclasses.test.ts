import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { SYSTEM_PRIORITY_CLASSES, priorityclasses } from './priorityclasses.js';

function pc(name: string, fields: Record<string, unknown> = {}): KubeObject {
  const obj: KubeObject = { metadata: { name }, ...fields };
  priorityclasses.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => priorityclasses.validate(obj, old).map((e) => e.message);

describe('priorityclasses: defaults', () => {
  it('fills preemptionPolicy and a missing value (0, as Go decodes it), and keeps what is set', () => {
    assert.deepEqual(pc('batch'), { metadata: { name: 'batch' }, value: 0, preemptionPolicy: 'PreemptLowerPriority' });
    assert.deepEqual(pc('low', { value: -10, preemptionPolicy: 'Never', globalDefault: true }), {
      metadata: { name: 'low' },
      value: -10,
      preemptionPolicy: 'Never',
      globalDefault: true,
    });
  });
});

describe('priorityclasses: validation', () => {
  const reserved = "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: ";
  const cases: [string, KubeObject, string[]][] = [
    ['a user class', pc('high', { value: 1000000, description: 'for the shop' }), []],
    ['the highest user value', pc('top', { value: 1000000000 }), []],
    ['a user value above it', pc('top', { value: 1000000001 }), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']],
    ['an unknown system- name', pc('system-special', { value: 5 }), [`${reserved}system-special is not a known system priority class`]],
    ['a built-in name with another value', pc('system-node-critical', { value: 2000000000 }), [`${reserved}value of system-node-critical PriorityClass must be 2000001000`]],
    ['a built-in name as the default', pc('system-cluster-critical', { value: 2000000000, globalDefault: true }), [`${reserved}globalDefault of system-cluster-critical PriorityClass must be false`]],
    ['an unknown preemptionPolicy', pc('x', { preemptionPolicy: 'Always' }), ['preemptionPolicy: Unsupported value: "Always": supported values: "PreemptLowerPriority", "Never"']],
  ];
  for (const [name, obj, want] of cases) it(name, () => assert.deepEqual(messages(obj), want));

  it('accepts the built-in classes', () => {
    for (const c of SYSTEM_PRIORITY_CLASSES) {
      const obj = structuredClone(c);
      priorityclasses.defaults(obj);
      assert.deepEqual(messages(obj), [], c.metadata.name);
    }
    assert.deepEqual(
      SYSTEM_PRIORITY_CLASSES.map((c) => [c.metadata.name, c.value]),
      [
        ['system-node-critical', 2000001000],
        ['system-cluster-critical', 2000000000],
      ],
    );
  });
});

describe('priorityclasses: updates', () => {
  it('refuses a new value or preemptionPolicy and accepts a new description', () => {
    const old = pc('high', { value: 1000 });
    assert.deepEqual(messages(pc('high', { value: 2000 }), old), ['value: Forbidden: may not be changed in an update.']);
    assert.deepEqual(messages(pc('high', { value: 1000, preemptionPolicy: 'Never' }), old), ['preemptionPolicy: Invalid value: "Never": field is immutable']);
    assert.deepEqual(messages(pc('high', { value: 1000, description: 'now documented' }), old), []);
  });
});

describe('priorityclasses: generation', () => {
  it('stays as created when an update changes the description (Kubernetes counts no changes)', () => {
    const old = pc('high', { value: 1000 });
    old.metadata.generation = 1; // the store's on create
    const obj = pc('high', { value: 1000, description: 'now documented' });
    obj.metadata.generation = 2; // the store counts the change before the kind's hook
    priorityclasses.prepareUpdate(obj, old);
    assert.equal(obj.metadata.generation, 1);
  });
});

describe('priorityclasses: schema and info', () => {
  it('keeps every field of a realistic manifest', () => {
    const manifest = parseYaml(`
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority
value: 1000000
globalDefault: false
description: "This priority class should be used for XYZ service pods only."
preemptionPolicy: Never
`) as unknown;
    assert.deepEqual(priorityclasses.schema.parse(manifest), manifest);
  });

  it('is cluster-scoped with the short name pc', () => {
    assert.deepEqual(priorityclasses.info, {
      group: 'scheduling.k8s.io',
      version: 'v1',
      kind: 'PriorityClass',
      resource: 'priorityclasses',
      singular: 'priorityclass',
      namespaced: false,
      shortNames: ['pc'],
    });
  });
});
