import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalQuantity, parseQuantity, QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR } from '../../api/quantity.js';
import { PodTemplateSpec } from '../../api/core/pod.js';
import { defaultPodSpec, imageTag, labelSelectorMatches, podSpecMergeKeys, validateLabelSelector, validatePodSpec, validatePodTemplate } from './podspec.js';

/** A valid, defaulted spec with the given changes. */
function spec(extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Record<string, unknown> {
  const s: Record<string, unknown> = { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...extra };
  defaultPodSpec(s);
  return s;
}

const messages = (errs: { message: string }[]): string[] => errs.map((e) => e.message);

describe('defaultPodSpec', () => {
  it('fills a minimal spec as Kubernetes does', () => {
    const s: Record<string, unknown> = {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { limits: { cpu: 0.5, memory: '1024Mi' } },
          readinessProbe: { httpGet: { port: 80 } },
          livenessProbe: { grpc: { port: 9000 } },
        },
      ],
      volumes: [{ name: 'cache' }, { name: 'cfg', configMap: { name: 'c' } }, { name: 'host', hostPath: { path: '/var' } }, { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
    };
    defaultPodSpec(s);
    assert.deepEqual(s, {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
          resources: { limits: { cpu: '500m', memory: '1Gi' } },
          readinessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          livenessProbe: { grpc: { port: 9000, service: '' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      volumes: [
        { name: 'cache', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
        { name: 'host', hostPath: { path: '/var', type: '' } },
        { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 3600 } }], defaultMode: 420 } },
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    });
  });

  it('keeps what is set and is idempotent', () => {
    const s = spec({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', volumes: [{ name: 's', secret: { secretName: 's', defaultMode: 0 } }] }, { imagePullPolicy: 'Never' });
    assert.deepEqual(s.volumes, [{ name: 's', secret: { secretName: 's', defaultMode: 0 } }], 'an explicit zero mode stays');
    const again = structuredClone(s);
    defaultPodSpec(again);
    assert.deepEqual(again, s);
    assert.equal(s.restartPolicy, 'Never');
    assert.equal(s.terminationGracePeriodSeconds, 0);
    assert.equal(s.dnsPolicy, 'Default');
    assert.equal((s.containers as Record<string, unknown>[])[0]!.imagePullPolicy, 'Never');
  });

  it('pulls Always only for :latest or an untagged image', () => {
    for (const [image, tag] of [
      ['nginx', 'latest'],
      ['nginx:latest', 'latest'],
      ['nginx:1.27', '1.27'],
      ['localhost:5000/app', 'latest'],
      ['localhost:5000/app:v1', 'v1'],
      ['nginx@sha256:abcd', ''],
      ['nginx:1.27@sha256:abcd', '1.27'],
    ] as const) {
      assert.equal(imageTag(image), tag, image);
    }
  });
});

describe('quantities', () => {
  it('are written canonically, rounded up to milli units', () => {
    for (const [given, want] of [
      ['1.5Gi', '1536Mi'],
      ['1024Mi', '1Gi'],
      [0.5, '500m'],
      [2, '2'],
      ['1e3', '1e3'],
      ['100n', '1m'],
      ['1000m', '1'],
      ['1500', '1500'],
      ['1k', '1k'],
      ['512Ki', '512Ki'],
      ['100Mi', '100Mi'],
    ] as const) {
      assert.equal(canonicalQuantity(given), want, String(given));
    }
  });

  it('that do not parse are reported as Kubernetes decodes them', () => {
    assert.equal(parseQuantity('abc'), QUANTITY_FORMAT_ERROR);
    assert.equal(parseQuantity('1Gi2'), QUANTITY_SUFFIX_ERROR);
    assert.equal(PodTemplateSpec.safeParse({ spec: { containers: [{ name: 'a', resources: { limits: { cpu: 'lots' } } }] } }).success, false);
  });
});

describe('validatePodSpec', () => {
  const cases: { name: string; spec: Record<string, unknown>; want: string[] }[] = [
    { name: 'a valid spec', spec: spec(), want: [] },
    { name: 'no containers', spec: spec({ containers: [] }), want: ['spec.containers: Required value'] },
    {
      name: 'container name and image',
      spec: spec({ containers: [{ name: 'Web' }, { name: '' , image: 'x'}] }),
      want: [
        `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        'spec.containers[0].image: Required value',
        'spec.containers[1].name: Required value',
      ],
    },
    {
      name: 'names unique across init and regular containers',
      spec: spec({ initContainers: [{ name: 'app', image: 'busybox' }] }),
      want: ['spec.initContainers[0].name: Duplicate value: "app"'],
    },
    {
      name: 'ports',
      spec: spec({}, { ports: [{ containerPort: 0 }, { containerPort: 70000, name: 'http', protocol: 'HTTP' }, { containerPort: 81, name: 'http' }, { containerPort: 82, name: 'Web_1' }] }),
      want: [
        'spec.containers[0].ports[0].containerPort: Required value',
        'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[2].name: Duplicate value: "http"',
        'spec.containers[0].ports[3].name: Invalid value: "Web_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      ],
    },
    {
      name: 'policies',
      spec: spec({ restartPolicy: 'Sometimes', dnsPolicy: 'Cluster' }, { imagePullPolicy: 'Maybe' }),
      want: [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
      ],
    },
    {
      name: 'volumes and mounts',
      spec: spec({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }, { name: 'two', emptyDir: {}, secret: { secretName: 's' } }] }, { volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'nope', mountPath: '/d' }] }),
      want: [
        'spec.volumes[1].name: Duplicate value: "data"',
        'spec.volumes[2].secret: Forbidden: may not specify more than 1 volume type',
        'spec.containers[0].volumeMounts[1].name: Not found: "nope"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
      ],
    },
    {
      name: 'requests above limits',
      spec: spec({}, { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1500m', memory: '1Gi' } } }),
      want: ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1500m'],
    },
    {
      name: 'env',
      spec: spec({}, { env: [{ name: '1X' }, { name: 'A', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'B', valueFrom: {} }] }),
      want: [
        `spec.containers[0].env[0].name: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
        'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ],
    },
    {
      name: 'probes',
      spec: spec({}, { livenessProbe: { successThreshold: 2 }, readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } }),
      want: [
        'spec.containers[0].livenessProbe: Required value: must specify a handler type',
        'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
        'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
      ],
    },
    {
      name: 'init containers without restartPolicy Always have no probes',
      spec: spec({ initContainers: [{ name: 'init', image: 'busybox', restartPolicy: 'OnFailure', readinessProbe: { exec: { command: ['true'] } } }] }),
      want: [
        'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
        'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      ],
    },
    {
      name: 'node selector and tolerations',
      spec: spec({ nodeSelector: { 'disk type': 'ssd' }, tolerations: [{ key: 'a', operator: 'Exists', value: 'x' }, { key: 'b', operator: 'Near', effect: 'NoRun' }, { key: 'c', tolerationSeconds: 5 }] }),
      want: [
        `spec.nodeSelector: Invalid value: "disk type": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        "spec.tolerations[0].operator: Invalid value: \"x\": value must be empty when `operator` is 'Exists'",
        'spec.tolerations[1].operator: Unsupported value: "Near": supported values: "Equal", "Exists"',
        'spec.tolerations[1].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        "spec.tolerations[2].effect: Invalid value: \"\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      ],
    },
    {
      name: 'spec-level names and ranges',
      spec: spec({ hostname: 'My_Host', activeDeadlineSeconds: 0, serviceAccountName: 'sa!', dnsPolicy: 'None' }),
      want: [
        `spec.dnsConfig: Required value: must provide \`dnsConfig\` when \`dnsPolicy\` is None`,
        `spec.serviceAccountName: Invalid value: "sa!": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
        `spec.hostname: Invalid value: "My_Host": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    },
    {
      name: 'affinity and spread constraints',
      spec: spec({
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 200, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] },
        },
        topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Whatever' }],
      }),
      want: [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 200: must be in the range 1-100',
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Whatever": supported values: "DoNotSchedule", "ScheduleAnyway"',
      ],
    },
    {
      name: 'host network in a template allows an unset host port only',
      spec: spec({ hostNetwork: true }, { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 8081 }] }),
      want: ['spec.containers[0].ports[1].hostPort: Invalid value: 8081: must match `containerPort` when `hostNetwork` is true'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(messages(validatePodSpec(c.spec, 'spec')), c.want));
  }

  it('reports under the path it is given', () => {
    assert.deepEqual(messages(validatePodSpec(spec({ containers: [] }), 'spec.template.spec')), ['spec.template.spec.containers: Required value']);
  });
});

describe('validatePodTemplate', () => {
  const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: spec() });

  it('checks the selector against the labels', () => {
    assert.deepEqual(messages(validatePodTemplate(template({ app: 'web' }), 'spec.template', { matchLabels: { app: 'web' } })), []);
    assert.deepEqual(messages(validatePodTemplate(template({ app: 'api', tier: 'x' }), 'spec.template', { matchLabels: { app: 'web' } })), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"api", "tier":"x"}: `selector` does not match template `labels`',
    ]);
  });

  it('checks the labels (at `labels`, as Kubernetes does) and the spec', () => {
    const t = { metadata: { labels: { app: 'a b' } }, spec: spec({ containers: [] }) };
    assert.deepEqual(messages(validatePodTemplate(t, 'spec.template')), [
      `spec.template.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      'spec.template.spec.containers: Required value',
    ]);
  });

  it('forbids ephemeral containers', () => {
    const t = { metadata: {}, spec: spec({ ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }) };
    assert.deepEqual(messages(validatePodTemplate(t, 'spec.template')), ['spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template']);
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  for (const [selector, want] of [
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'api' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'app', operator: 'Like' }] }, undefined],
  ] as const) {
    it(`${JSON.stringify(selector)} → ${String(want)}`, () => assert.equal(labelSelectorMatches(selector, labels), want));
  }

  it('are validated as metav1 validates them', () => {
    const sel = { matchExpressions: [{ key: 'app', operator: 'In' }, { key: 'x', operator: 'Exists', values: ['y'] }, { key: 'z', operator: 'Like' }] };
    assert.deepEqual(messages(validateLabelSelector(sel, 'spec.selector')), [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Like": not a valid selector operator',
    ]);
  });
});

describe('podSpecMergeKeys', () => {
  it('lists the merge keys of types.go under the prefix', () => {
    const keys = podSpecMergeKeys('spec.template.spec');
    assert.equal(keys['spec.template.spec.containers'], 'name');
    assert.equal(keys['spec.template.spec.initContainers'], 'name');
    assert.equal(keys['spec.template.spec.containers[].ports'], 'containerPort');
    assert.equal(keys['spec.template.spec.containers[].env'], 'name');
    assert.equal(keys['spec.template.spec.initContainers[].volumeMounts'], 'mountPath');
    assert.equal(keys['spec.template.spec.volumes'], 'name');
    assert.equal(keys['spec.template.spec.imagePullSecrets'], 'name');
    assert.equal(keys['spec.template.spec.topologySpreadConstraints'], 'topologyKey');
    assert.equal(keys['spec.template.spec.tolerations'], undefined, 'tolerations are replaced, not merged');
  });
});
