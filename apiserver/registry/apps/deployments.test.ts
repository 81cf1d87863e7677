import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { defaultPodSpec } from '../core/podspec.js';
import { deployments } from './deployments.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are untyped JSON
type Json = any;

const podSpec = { containers: [{ name: 'web', image: 'nginx:1.27' }] };

/** A minimal Deployment as a user writes it. */
function minimal(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: structuredClone(podSpec) } },
  };
}

/** A minimal Deployment with its defaults, as the store validates it. */
function defaulted(change?: (spec: Json) => void): KubeObject {
  const obj = minimal();
  change?.(obj.spec as Json);
  deployments.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => deployments.validate(obj, old).map((e) => e.message);

describe('deployments: defaults', () => {
  it('fills replicas, a 25%/25% RollingUpdate, history, deadline, the template and an empty status', () => {
    const templateSpec = structuredClone(podSpec) as Record<string, unknown>;
    defaultPodSpec(templateSpec);
    assert.deepEqual(defaulted(), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: 'u1' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: templateSpec },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
      status: {},
    });
  });

  it('keeps what is set: Recreate gets no rollingUpdate, 0 replicas stay 0, a partial rollingUpdate is completed', () => {
    const recreate = defaulted((s) => Object.assign(s, { replicas: 0, strategy: { type: 'Recreate' }, revisionHistoryLimit: 0 }));
    assert.deepEqual((recreate.spec as Json).strategy, { type: 'Recreate' });
    assert.equal((recreate.spec as Json).replicas, 0);
    assert.equal((recreate.spec as Json).revisionHistoryLimit, 0);
    const partial = defaulted((s) => (s.strategy = { rollingUpdate: { maxSurge: 1 } }));
    assert.deepEqual((partial.spec as Json).strategy, { rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' }, type: 'RollingUpdate' });
  });

  it('is idempotent', () => {
    const once = defaulted();
    const twice = structuredClone(once);
    deployments.defaults(twice);
    assert.deepEqual(twice, once);
  });
});

describe('deployments: validation', () => {
  const cases: [string, (s: Json) => void, string[]][] = [
    ['a valid deployment', () => {}, []],
    [
      'a missing selector',
      (s) => delete s.selector,
      ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
    ],
    [
      'an empty selector',
      (s) => (s.selector = {}),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ],
    [
      'a selector that does not match the template',
      (s) => (s.selector = { matchLabels: { app: 'api' } }),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
    ],
    [
      'an unknown selector operator',
      (s) => (s.selector = { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] }),
      [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Near", Values:[]string{"web"}}}}: invalid label selector',
      ],
    ],
    [
      'In without values',
      (s) => (s.selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In' }] }),
      [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"In", Values:[]string(nil)}}}: invalid label selector',
      ],
    ],
    ['matchExpressions that select the template', (s) => (s.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }), []],
    ['negative replicas', (s) => (s.replicas = -1), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'a template that does not restart Always',
      (s) => (s.template.spec.restartPolicy = 'OnFailure'),
      ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ],
    [
      'a template with activeDeadlineSeconds',
      (s) => (s.template.spec.activeDeadlineSeconds = 30),
      ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported'],
    ],
    [
      'maxSurge and maxUnavailable both 0',
      (s) => (s.strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0'],
    ],
    [
      'a malformed percent and one above 100%',
      (s) => (s.strategy = { rollingUpdate: { maxSurge: '25', maxUnavailable: '150%' } }),
      [
        `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"25"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
      ],
    ],
    [
      'an unknown strategy',
      (s) => (s.strategy = { type: 'BlueGreen' }),
      ['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'],
    ],
    [
      'Recreate with rollingUpdate',
      (s) => (s.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }),
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    ],
    [
      'a deadline not above minReadySeconds',
      (s) => Object.assign(s, { minReadySeconds: 30, progressDeadlineSeconds: 30 }),
      ['spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds'],
    ],
  ];
  for (const [name, change, want] of cases) it(name, () => assert.deepEqual(messages(defaulted(change)), want));

  it('checks the name as a DNS subdomain', () => {
    const obj = defaulted();
    obj.metadata.name = 'Web';
    assert.match(messages(obj)[0]!, /^metadata\.name: Invalid value: "Web": a lowercase RFC 1123 subdomain/);
  });

  it('checks status counts on a status write', () => {
    const old = defaulted();
    const obj = structuredClone(old);
    obj.status = { replicas: 1, readyReplicas: 2, availableReplicas: -1 };
    assert.deepEqual(messages(obj, old), [
      'status.availableReplicas: Invalid value: -1: must be greater than or equal to 0',
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
    ]);
  });
});

describe('deployments: updates', () => {
  it('refuses a selector change', () => {
    const old = defaulted();
    const obj = defaulted((s) => {
      s.selector = { matchLabels: { app: 'web', tier: 'front' } };
      s.template.metadata.labels.tier = 'front';
    });
    assert.deepEqual(messages(obj, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it('accepts a scale, a template change and the same selector written differently', () => {
    const old = defaulted();
    const obj = defaulted((s) => {
      s.replicas = 5;
      s.template.spec.containers[0].image = 'nginx:1.28';
      s.selector = { matchLabels: { app: 'web' }, matchExpressions: [] };
    });
    assert.deepEqual(messages(obj, old), []);
  });
});

describe('deployments: generation', () => {
  /** A stored Deployment (the store's generation 1, defaults) with annotations. */
  function stored(): KubeObject {
    const obj = minimal();
    obj.metadata.generation = 1;
    obj.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    deployments.defaults(obj);
    return obj;
  }
  /** An update as the store makes it: the stored object changed by `change` as the body, defaults, then prepareUpdate. */
  function generationAfter(change: (obj: Json) => void): number | undefined {
    const old = stored();
    const obj = structuredClone(old);
    change(obj);
    deployments.defaults(obj);
    deployments.prepareUpdate(obj, old);
    return obj.metadata.generation;
  }

  const cases: [string, (obj: Json) => void, number][] = [
    ['a new annotation', (o) => (o.metadata.annotations['kubernetes.io/change-cause'] = 'image 1.28'), 2],
    ['a changed annotation', (o) => (o.metadata.annotations['deployment.kubernetes.io/revision'] = '2'), 2],
    ['annotations removed', (o) => delete o.metadata.annotations, 2],
    ['a rollback annotation', (o) => (o.metadata.annotations['deprecated.deployment.rollback.to'] = '1'), 2],
    ['a spec and an annotation change together (one generation)', (o) => ((o.metadata.annotations.note = 'x'), (o.spec.replicas = 3)), 2],
    ['a label change', (o) => (o.metadata.labels = { team: 'web' }), 1],
    ['annotations written in another order', (o) => (o.metadata.annotations = { ...o.metadata.annotations }), 1],
    ['empty lists and maps where there were none (Semantic.DeepEqual)', (o) => Object.assign(o.spec.template.spec, { tolerations: [], nodeSelector: {} }), 1],
  ];
  for (const [name, change, want] of cases) it(`${name}: generation ${want}`, () => assert.equal(generationAfter(change), want));
});

describe('deployments: schema', () => {
  it('keeps every field of a realistic manifest', () => {
    const manifest = parseYaml(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels: {app: api, tier: backend}
  annotations: {deployment.kubernetes.io/revision: "3"}
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
    matchExpressions:
    - {key: tier, operator: In, values: [backend]}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  minReadySeconds: 5
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 300
  paused: false
  template:
    metadata:
      labels: {app: api, tier: backend}
      annotations: {prometheus.io/scrape: "true"}
    spec:
      containers:
      - name: api
        image: registry.example.com/api:2.1.0
        ports:
        - {name: http, containerPort: 8080, protocol: TCP}
        env:
        - {name: LOG_LEVEL, value: info}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
      nodeSelector: {kubernetes.io/os: linux}
status:
  observedGeneration: 4
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - {type: Available, status: "True", lastUpdateTime: "2024-05-01T10:00:00Z", lastTransitionTime: "2024-05-01T10:00:00Z", reason: MinimumReplicasAvailable, message: Deployment has minimum availability.}
  collisionCount: 0
`) as unknown;
    assert.deepEqual(deployments.schema.parse(manifest), manifest);
  });

  it('drops fields Kubernetes does not know', () => {
    const parsed = deployments.schema.parse({ ...minimal(), spec: { ...(minimal().spec as object), replica: 3 }, extra: true });
    assert.equal('extra' in parsed, false);
    assert.equal('replica' in (parsed.spec as object), false);
  });
});

describe('deployments: info', () => {
  it('names the resource as discovery does', () => {
    assert.deepEqual(deployments.info, {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      resource: 'deployments',
      singular: 'deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
    });
    assert.equal(deployments.scale, true);
    assert.deepEqual(deployments.status, { onCreate: 'clear' });
    assert.equal(deployments.mergeKeys['status.conditions'], 'type');
  });
});
