import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { defaultPodSpec } from '../core/podspec.js';
import { jobs } from './jobs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are untyped JSON
type Json = any;

const podSpec = { containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }], restartPolicy: 'Never' };
const generatedLabels = {
  'job-name': 'pi',
  'batch.kubernetes.io/job-name': 'pi',
  'controller-uid': 'uid-1',
  'batch.kubernetes.io/controller-uid': 'uid-1',
};

/** A Job as a user writes it, with the uid the store gives it before defaults run. */
function minimal(): KubeObject {
  return { metadata: { name: 'pi', namespace: 'default', uid: 'uid-1' }, spec: { template: { spec: structuredClone(podSpec) } } };
}

function defaulted(change?: (spec: Json, obj: KubeObject) => void): KubeObject {
  const obj = minimal();
  change?.(obj.spec, obj);
  jobs.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => jobs.validate(obj, old).map((e) => e.message);

describe('jobs: defaults', () => {
  it('fills counts, mode, policies, and the generated selector with its template labels', () => {
    const templateSpec = structuredClone(podSpec) as Record<string, unknown>;
    defaultPodSpec(templateSpec);
    assert.deepEqual(defaulted(), {
      metadata: { name: 'pi', namespace: 'default', uid: 'uid-1' },
      spec: {
        template: { metadata: { labels: generatedLabels }, spec: templateSpec },
        completions: 1,
        parallelism: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        suspend: false,
        podReplacementPolicy: 'TerminatingOrFailed',
        manualSelector: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } },
      },
      status: {},
    });
  });

  it("gives a job without labels its template's, the generated ones included", () => {
    const obj = defaulted((s) => (s.template.metadata = { labels: { app: 'pi' } }));
    assert.deepEqual(obj.metadata.labels, { app: 'pi', ...generatedLabels });
    const labelled = defaulted((s, o) => {
      s.template.metadata = { labels: { app: 'pi' } };
      o.metadata.labels = { team: 'math' };
    });
    assert.deepEqual(labelled.metadata.labels, { team: 'math' });
  });

  it('leaves a manual selector and the template labels alone', () => {
    const obj = defaulted((s) => Object.assign(s, { manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: { metadata: { labels: { app: 'pi' } }, spec: s.template.spec } }));
    assert.deepEqual((obj.spec as Json).selector, { matchLabels: { app: 'pi' } });
    assert.deepEqual((obj.spec as Json).template.metadata.labels, { app: 'pi' });
  });

  it('follows the other fields: parallelism alone, per-index backoff, a pod failure policy', () => {
    const parallel = defaulted((s) => (s.parallelism = 3)).spec as Json;
    assert.deepEqual([parallel.parallelism, parallel.completions], [3, undefined]);
    const perIndex = defaulted((s) => Object.assign(s, { completionMode: 'Indexed', completions: 4, backoffLimitPerIndex: 1 })).spec as Json;
    assert.equal(perIndex.backoffLimit, 2147483647);
    const policy = defaulted((s) => (s.podFailurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] })).spec as Json;
    assert.equal(policy.podReplacementPolicy, 'Failed');
    assert.deepEqual(policy.podFailurePolicy.rules[0].onPodConditions, [{ type: 'DisruptionTarget', status: 'True' }]);
  });

  it('keeps the stored selector on an update, where a job without labels takes its template\'s (as Kubernetes\' decoding does)', () => {
    const created = defaulted();
    const updated = structuredClone(created);
    jobs.defaults(updated);
    assert.deepEqual(updated, { ...created, metadata: { ...created.metadata, labels: generatedLabels } });
    const again = structuredClone(updated);
    jobs.defaults(again);
    assert.deepEqual(again, updated);
  });
});

describe('jobs: validation', () => {
  const longName = 'a'.repeat(62);
  const cases: [string, (s: Json, obj: KubeObject) => void, string[]][] = [
    ['a valid job', () => {}, []],
    ['a template that restarts Always', (s) => delete s.template.spec.restartPolicy, ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    [
      'a manual selector that does not match',
      (s) => Object.assign(s, { manualSelector: true, selector: { matchLabels: { app: 'pi' } } }),
      ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`'],
    ],
    [
      'a manual job without a selector',
      (s) => (s.manualSelector = true),
      ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`'],
    ],
    [
      'a template label that contradicts the generated one',
      (s) => (s.template.metadata = { labels: { 'controller-uid': 'other' } }),
      [
        'spec.template.metadata.labels[controller-uid]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"uid-1", "batch.kubernetes.io/job-name":"pi", "controller-uid":"other", "job-name":"pi"}: must be \'uid-1\'',
      ],
    ],
    [
      'negative counts',
      (s) => Object.assign(s, { parallelism: -1, backoffLimit: -1, ttlSecondsAfterFinished: -5 }),
      [
        'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
        'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
        'spec.ttlSecondsAfterFinished: Invalid value: -5: must be greater than or equal to 0',
      ],
    ],
    ['an unknown completion mode', (s) => (s.completionMode = 'Sometimes'), ['spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"']],
    ['an Indexed job without completions', (s) => Object.assign(s, { completionMode: 'Indexed', parallelism: 2 }), ['spec.completions: Required value: when completion mode is Indexed']],
    [
      'per-index backoff on a NonIndexed job',
      (s) => Object.assign(s, { backoffLimitPerIndex: 1, maxFailedIndexes: 1 }),
      ['spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode', 'spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode'],
    ],
    [
      'a pod failure policy with OnFailure and bad rules',
      (s) => {
        s.template.spec.restartPolicy = 'OnFailure';
        s.podFailurePolicy = { rules: [{ action: 'Retry', onExitCodes: { operator: 'In', values: [0, 2, 1] } }, { action: 'FailJob' }] };
      },
      [
        'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
        'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
        'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 2, 1}: must be ordered',
        'spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
    ],
    [
      'an Indexed job whose last pod hostname is not a DNS label',
      (s, obj) => {
        obj.metadata.name = longName;
        Object.assign(s, { completionMode: 'Indexed', completions: 10 });
      },
      [`metadata.name: Invalid value: "${longName}": will not able to create pod with invalid DNS label: ${longName}-9`],
    ],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(messages(defaulted(change)), want));
});

describe('jobs: updates', () => {
  it('refuses changes to completions, the selector and the template', () => {
    const old = defaulted();
    const completions = defaulted((s) => (s.completions = 3));
    assert.deepEqual(messages(completions, old), ['spec.completions: Invalid value: 3: field is immutable']);
    const template = defaulted((s) => (s.template.spec.containers[0].image = 'perl:5.36'));
    const [msg, ...rest] = messages(template, old);
    assert.deepEqual(rest, []);
    assert.ok(msg!.startsWith('spec.template: Invalid value: {') && msg!.endsWith('}: field is immutable'), msg);
    const manual = (sel: Json) => defaulted((s) => Object.assign(s, { manualSelector: true, selector: sel, template: { metadata: { labels: { app: 'pi', v: '1' } }, spec: s.template.spec } }));
    assert.deepEqual(messages(manual({ matchLabels: { app: 'pi' } }), manual({ matchLabels: { app: 'pi', v: '1' } })), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"pi"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it("lets a suspended job that never started change its pods' scheduling, and nothing else", () => {
    const old = defaulted((s) => (s.suspend = true));
    const moved = defaulted((s) => {
      s.suspend = false;
      s.template.spec.nodeSelector = { zone: 'b' };
      s.template.metadata = { annotations: { queue: 'fast' } };
    });
    assert.deepEqual(messages(moved, old), []);
    const started = structuredClone(old);
    started.status = { startTime: '2024-05-01T10:00:00Z' };
    assert.equal(messages(moved, started).length, 1);
  });

  it('lets an Indexed job scale when completions follow parallelism', () => {
    const old = defaulted((s) => Object.assign(s, { completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    assert.deepEqual(messages(defaulted((s) => Object.assign(s, { completionMode: 'Indexed', completions: 5, parallelism: 5 })), old), []);
    assert.deepEqual(messages(defaulted((s) => Object.assign(s, { completionMode: 'Indexed', completions: 5, parallelism: 3 })), old), [
      'spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism',
    ]);
  });
});

describe('jobs: generation', () => {
  it('counts changes of the spec only, compared as Semantic.DeepEqual compares them', () => {
    const old = defaulted((s) => (s.suspend = true));
    old.metadata.generation = 1;
    const after = (change: (obj: Json) => void) => {
      const obj = structuredClone(old);
      change(obj);
      jobs.defaults(obj);
      jobs.prepareUpdate(obj, old);
      return obj.metadata.generation;
    };
    assert.equal(after((o) => (o.spec.suspend = false)), 2);
    assert.equal(after((o) => (o.metadata.annotations = { owner: 'batch' })), 1);
    assert.equal(after((o) => (o.spec.template.spec.volumes = [])), 1);
  });
});

describe('jobs: schema, fields and info', () => {
  it('keeps every field of a realistic manifest', () => {
    const manifest = parseYaml(`
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: shop
  labels: {app: shop}
spec:
  parallelism: 2
  completions: 4
  completionMode: Indexed
  backoffLimitPerIndex: 1
  maxFailedIndexes: 2
  activeDeadlineSeconds: 600
  ttlSecondsAfterFinished: 3600
  suspend: false
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: migrate, operator: In, values: [42]}
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget, status: "True"}]
  podReplacementPolicy: Failed
  template:
    metadata: {labels: {app: shop}}
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.example.com/shop:2.1.0
        args: [migrate, --to=latest]
status:
  startTime: "2024-05-01T10:00:00Z"
  active: 2
  ready: 1
  terminating: 0
  succeeded: 1
  failed: 1
  completedIndexes: "0"
  failedIndexes: "3"
  uncountedTerminatedPods: {succeeded: [], failed: []}
  conditions:
  - {type: Suspended, status: "False", lastProbeTime: "2024-05-01T10:00:00Z", lastTransitionTime: "2024-05-01T10:00:00Z", reason: JobResumed, message: Job resumed}
`) as unknown;
    assert.deepEqual(jobs.schema.parse(manifest), manifest);
  });

  it('selects on status.successful and names the resource as discovery does', () => {
    assert.deepEqual(jobs.fields({ metadata: {}, status: { succeeded: 2 } }), { 'status.successful': '2' });
    assert.deepEqual(jobs.info, { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', singular: 'job', namespaced: true, categories: ['all'] });
    assert.equal(jobs.hasGeneration, true);
  });
});
