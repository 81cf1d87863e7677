import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { defaultPodSpec } from '../core/podspec.js';
import { TEMPLATE_GENERATION_ANNOTATION, daemonsets } from './daemonsets.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are untyped JSON
type Json = any;

const podSpec = { containers: [{ name: 'agent', image: 'fluent/fluent-bit:3.0' }] };

function minimal(): KubeObject {
  return {
    metadata: { name: 'logs', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { app: 'logs' } }, template: { metadata: { labels: { app: 'logs' } }, spec: structuredClone(podSpec) } },
  };
}

function defaulted(change?: (spec: Json) => void): KubeObject {
  const obj = minimal();
  change?.(obj.spec);
  daemonsets.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => daemonsets.validate(obj, old).map((e) => e.message);

/** A create as the store makes it: generation 1, then defaults. */
function created(annotations?: Record<string, string>): KubeObject {
  const obj = minimal();
  if (annotations) obj.metadata.annotations = annotations;
  obj.metadata.generation = 1;
  daemonsets.defaults(obj);
  return obj;
}

/** An update as the store makes it: the stored object changed by `change` as the body, defaults, then prepareUpdate. */
function updated(old: KubeObject, change: (obj: Json) => void): KubeObject {
  const obj = structuredClone(old);
  change(obj);
  daemonsets.defaults(obj);
  daemonsets.prepareUpdate(obj, old);
  return obj;
}

const templateGeneration = (obj: KubeObject) => [obj.metadata.generation, obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]];
const newImage = (o: Json) => (o.spec.template.spec.containers[0].image = 'fluent/fluent-bit:3.1');

describe('daemonsets: defaults', () => {
  it('fills a RollingUpdate of 1 unavailable and no surge, history, the template, the generation annotation and the status counters', () => {
    const templateSpec = structuredClone(podSpec) as Record<string, unknown>;
    defaultPodSpec(templateSpec);
    assert.deepEqual(defaulted(), {
      metadata: { name: 'logs', namespace: 'kube-system', annotations: { 'deprecated.daemonset.template.generation': '1' } },
      spec: {
        selector: { matchLabels: { app: 'logs' } },
        template: { metadata: { labels: { app: 'logs' } }, spec: templateSpec },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
      },
      status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
    });
  });

  it('leaves OnDelete alone, keeps a later template generation and is idempotent', () => {
    const obj = defaulted((s) => (s.updateStrategy = { type: 'OnDelete' }));
    assert.deepEqual((obj.spec as Json).updateStrategy, { type: 'OnDelete' });
    obj.metadata.annotations = { 'deprecated.daemonset.template.generation': '4' };
    const again = structuredClone(obj);
    daemonsets.defaults(again);
    assert.deepEqual(again, obj);
  });
});

describe('daemonsets: validation', () => {
  const mismatch = 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"logs"}: `selector` does not match template `labels`';
  const cases: [string, (s: Json) => void, string[]][] = [
    ['a valid daemonset', () => {}, []],
    ['a missing selector (only the template fails to match, as Kubernetes reports it)', (s) => delete s.selector, [mismatch]],
    [
      'an empty selector',
      (s) => (s.selector = {}),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset'],
    ],
    ['a selector that does not match', (s) => (s.selector = { matchLabels: { app: 'other' } }), [mismatch]],
    [
      'a template with activeDeadlineSeconds and OnFailure',
      (s) => Object.assign(s.template.spec, { restartPolicy: 'OnFailure', activeDeadlineSeconds: 10 }),
      [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
        'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported',
      ],
    ],
    [
      'maxUnavailable and maxSurge both set',
      (s) => (s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } }),
      ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero'],
    ],
    [
      'maxUnavailable and maxSurge both 0',
      (s) => (s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    ],
    [
      'an unknown update strategy',
      (s) => (s.updateStrategy = { type: 'Canary' }),
      ['spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Canary", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"'],
    ],
    [
      'negative minReadySeconds and revisionHistoryLimit',
      (s) => Object.assign(s, { minReadySeconds: -1, revisionHistoryLimit: -1 }),
      ['spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0', 'spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0'],
    ],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(messages(defaulted(change)), want));
});

describe('daemonsets: updates', () => {
  it('refuses a selector change and a lower collisionCount', () => {
    const old = defaulted();
    (old.status as Json).collisionCount = 2;
    const obj = defaulted((s) => (s.selector = { matchLabels: { app: 'logs', node: 'all' } }));
    obj.status = { ...(old.status as object), collisionCount: 1 };
    (obj.spec as Json).template.metadata.labels.node = 'all';
    assert.deepEqual(messages(obj, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"logs", "node":"all"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      'status.collisionCount: Invalid value: 1: cannot be decremented',
    ]);
  });
});

describe('daemonsets: the template generation', () => {
  it('starts at 1, or at the value a new DaemonSet is given (read as Go parses an integer)', () => {
    const cases: [Record<string, string> | undefined, string][] = [
      [undefined, '1'],
      [{ [TEMPLATE_GENERATION_ANNOTATION]: '4' }, '4'],
      [{ [TEMPLATE_GENERATION_ANNOTATION]: '+3' }, '3'],
      [{ [TEMPLATE_GENERATION_ANNOTATION]: '0' }, '1'],
      [{ [TEMPLATE_GENERATION_ANNOTATION]: 'two' }, '1'],
    ];
    for (const [annotations, want] of cases) assert.deepEqual(templateGeneration(created(annotations)), [1, want], JSON.stringify(annotations));
  });

  it('rises by one with each update that changes the template, with the generation', () => {
    const once = updated(created(), newImage);
    assert.deepEqual(templateGeneration(once), [2, '2']);
    const twice = updated(once, (o) => (o.spec.template.metadata.labels.version = 'b'));
    assert.deepEqual(templateGeneration(twice), [3, '3']);
  });

  it('keeps the stored value when a PUT drops the annotation or writes another', () => {
    const old = updated(created(), newImage);
    const dropped = updated(old, (o) => delete o.metadata.annotations);
    assert.deepEqual(templateGeneration(dropped), [2, '2']);
    assert.deepEqual(templateGeneration(updated(old, (o) => (o.metadata.annotations = { team: 'infra', [TEMPLATE_GENERATION_ANNOTATION]: '9' }))), [2, '2']);
    const withTemplate = updated(old, (o) => {
      o.metadata.annotations = { team: 'infra' };
      o.spec.template.spec.containers[0].image = 'fluent/fluent-bit:3.2';
    });
    assert.deepEqual(withTemplate.metadata.annotations, { team: 'infra', [TEMPLATE_GENERATION_ANNOTATION]: '3' });
  });

  it('stays when only the rest of the spec changes (the generation does not)', () => {
    assert.deepEqual(templateGeneration(updated(created(), (o) => (o.spec.minReadySeconds = 5))), [2, '1']);
    assert.deepEqual(templateGeneration(updated(created(), (o) => (o.metadata.labels = { team: 'infra' }))), [1, '1']);
  });
});

describe('daemonsets: schema and info', () => {
  it('keeps every field of a realistic manifest', () => {
    const manifest = parseYaml(`
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  namespace: monitoring
  labels: {app.kubernetes.io/name: node-exporter}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: node-exporter}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 10%, maxSurge: 0}
  minReadySeconds: 10
  revisionHistoryLimit: 3
  template:
    metadata:
      labels: {app.kubernetes.io/name: node-exporter}
    spec:
      hostNetwork: true
      hostPID: true
      containers:
      - name: node-exporter
        image: quay.io/prometheus/node-exporter:v1.8.1
        args: [--path.rootfs=/host]
        ports: [{name: metrics, containerPort: 9100}]
      tolerations:
      - {operator: Exists}
status:
  currentNumberScheduled: 3
  numberMisscheduled: 0
  desiredNumberScheduled: 3
  numberReady: 3
  observedGeneration: 1
  updatedNumberScheduled: 3
  numberAvailable: 3
`) as unknown;
    assert.deepEqual(daemonsets.schema.parse(manifest), manifest);
  });

  it('names the resource as discovery does, with /status and without /scale', () => {
    assert.deepEqual([daemonsets.info.resource, daemonsets.info.group, daemonsets.info.shortNames, daemonsets.info.categories], ['daemonsets', 'apps', ['ds'], ['all']]);
    assert.equal('scale' in daemonsets, false);
    assert.deepEqual(daemonsets.status, { onCreate: 'clear' });
  });
});
