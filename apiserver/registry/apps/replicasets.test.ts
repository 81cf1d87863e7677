import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { defaultPodSpec } from '../core/podspec.js';
import { replicasets } from './replicasets.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are untyped JSON
type Json = any;

const podSpec = { containers: [{ name: 'web', image: 'nginx:1.27' }] };

function minimal(): KubeObject {
  return {
    metadata: { name: 'web-5d4f8', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: structuredClone(podSpec) } },
  };
}

function defaulted(change?: (spec: Json) => void): KubeObject {
  const obj = minimal();
  change?.(obj.spec);
  replicasets.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => replicasets.validate(obj, old).map((e) => e.message);

describe('replicasets: defaults', () => {
  it('fills 1 replica, the template and status.replicas 0', () => {
    const templateSpec = structuredClone(podSpec) as Record<string, unknown>;
    defaultPodSpec(templateSpec);
    assert.deepEqual(defaulted(), {
      metadata: { name: 'web-5d4f8', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: templateSpec } },
      status: { replicas: 0 },
    });
    const again = defaulted();
    replicasets.defaults(again);
    assert.deepEqual(again, defaulted());
  });
});

describe('replicasets: validation', () => {
  const cases: [string, (s: Json) => void, string[]][] = [
    ['a valid replicaset', () => {}, []],
    [
      'a missing selector',
      (s) => delete s.selector,
      ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
    ],
    [
      'an empty selector (its message says deployment, as Kubernetes says)',
      (s) => (s.selector = { matchLabels: {} }),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ],
    [
      'a template without labels',
      (s) => delete s.template.metadata,
      ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`'],
    ],
    [
      'negative counts',
      (s) => Object.assign(s, { replicas: -2, minReadySeconds: -1 }),
      ['spec.replicas: Invalid value: -2: must be greater than or equal to 0', 'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'an invalid label value in the selector',
      (s) => (s.selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['x'] }] }),
      [
        "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"Exists", Values:[]string{"x"}}}}: invalid label selector',
      ],
    ],
    ['a template that restarts Never', (s) => (s.template.spec.restartPolicy = 'Never'), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(messages(defaulted(change)), want));

  it('checks status counts', () => {
    const obj = defaulted();
    obj.status = { replicas: 2, fullyLabeledReplicas: 3, readyReplicas: 1, availableReplicas: 2 };
    assert.deepEqual(messages(obj), [
      'status.fullyLabeledReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas',
    ]);
  });
});

describe('replicasets: updates', () => {
  it('refuses a selector change and accepts a scale', () => {
    const old = defaulted();
    const changed = defaulted((s) => (s.selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'app', operator: 'Exists' }] }));
    assert.deepEqual(messages(changed, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Exists", Values:[]string(nil)}}}: field is immutable',
    ]);
    assert.deepEqual(messages(defaulted((s) => (s.replicas = 0)), old), []);
  });
});

describe('replicasets: schema, fields and info', () => {
  it('keeps every field of a ReplicaSet as a Deployment controller writes it', () => {
    const manifest = parseYaml(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f8
  namespace: default
  labels: {app: web, pod-template-hash: 5d4f8}
  annotations: {deployment.kubernetes.io/desired-replicas: "2", deployment.kubernetes.io/revision: "1"}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: 0b1c, controller: true, blockOwnerDeletion: true}
spec:
  replicas: 2
  minReadySeconds: 0
  selector: {matchLabels: {app: web, pod-template-hash: 5d4f8}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d4f8}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
status: {replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1}
`) as unknown;
    assert.deepEqual(replicasets.schema.parse(manifest), manifest);
  });

  it('selects on status.replicas and names the resource as discovery does', () => {
    assert.deepEqual(replicasets.fields({ metadata: {}, status: { replicas: 3 } }), { 'status.replicas': '3' });
    assert.deepEqual(replicasets.fields({ metadata: {} }), { 'status.replicas': '0' });
    assert.deepEqual([replicasets.info.resource, replicasets.info.shortNames, replicasets.info.categories, replicasets.scale], ['replicasets', ['rs'], ['all'], true]);
  });
});
