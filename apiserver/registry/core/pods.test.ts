import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { podQOSClass, pods } from './pods.js';

/** A pod as the store would hold it after a create: parsed, defaulted. */
function created(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  const pod = pods.schema.parse({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', ...metadata }, spec });
  pods.defaults(pod);
  return pod;
}

const messages = (errs: { message: string }[]): string[] => errs.map((e) => e.message);
const nginx = { containers: [{ name: 'nginx', image: 'nginx:1.27' }] };

describe('pods strategy', () => {
  it('is named as kube-apiserver lists it', () => {
    assert.deepEqual(pods.info, { group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'] });
    assert.deepEqual(pods.status, { onCreate: 'clear' });
    assert.equal('hasGeneration' in pods, false, 'pods count no generations in 1.32');
  });

  it('defaults a minimal pod as Kubernetes does', () => {
    assert.deepEqual(created(nginx), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }],
        enableServiceLinks: true,
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
        schedulerName: 'default-scheduler',
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
  });

  it('defaults requests from limits, host ports under hostNetwork, and is idempotent', () => {
    const pod = created({ hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } }] });
    const c = (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!;
    assert.deepEqual(c.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
    assert.deepEqual(c.ports, [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
    const again = structuredClone(pod);
    pods.defaults(again);
    assert.deepEqual(again, pod);
  });

  it('notes gated scheduling and merges matchLabelKeys into affinity selectors on create', () => {
    const pod = created(
      {
        ...nginx,
        schedulingGates: [{ name: 'example.com/wait' }],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash'] }] } },
      },
      { labels: { app: 'web', 'pod-template-hash': 'abc' } },
    );
    assert.deepEqual((pod.status as Record<string, unknown>).conditions, [
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    ]);
    const term = (pod.spec as { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { labelSelector: unknown }[] } } }).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!;
    assert.deepEqual(term.labelSelector, { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'pod-template-hash', operator: 'In', values: ['abc'] }] });
    pods.defaults(pod);
    assert.equal((term.labelSelector as { matchExpressions: unknown[] }).matchExpressions.length, 1);
  });

  const qos: [string, Record<string, unknown>[], string][] = [
    ['no resources', [{}], 'BestEffort'],
    ['requests only', [{ requests: { cpu: '100m' } }], 'Burstable'],
    ['limits equal to requests for cpu and memory', [{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } }], 'Guaranteed'],
    ['limits only (requests default to them)', [{ limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['a container without a memory limit', [{ limits: { cpu: '1', memory: '1Gi' } }, { limits: { cpu: '1' } }], 'Burstable'],
    ['requests below limits', [{ limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }], 'Burstable'],
    ['only other resources', [{ limits: { 'nvidia.com/gpu': '1' } }], 'BestEffort'],
  ];
  for (const [name, resources, want] of qos) {
    it(`QoS class: ${name} → ${want}`, () => {
      const pod = created({ containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) });
      assert.equal((pod.status as Record<string, unknown>).qosClass, want);
      assert.equal(podQOSClass(pod.spec), want);
    });
  }

  const invalid: [string, Record<string, unknown>, Record<string, unknown>, string[]][] = [
    ['a name that is no DNS subdomain', nginx, { name: 'Web_1' }, [
      `metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]],
    ['no containers', {}, {}, ['spec.containers: Required value']],
    ['an image with whitespace', { containers: [{ name: 'a', image: ' nginx' }] }, {}, ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']],
    ['host ports under hostNetwork', { hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 81 }] }] }, {}, [
      'spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true',
    ]],
    ['ephemeral containers on create', { ...nginx, ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }, {}, ['spec.ephemeralContainers: Forbidden: cannot be set on create']],
    ['a node name with scheduling gates', { ...nginx, nodeName: 'n1', schedulingGates: [{ name: 'wait' }] }, {}, ['spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared']],
  ];
  for (const [name, spec, meta, want] of invalid) {
    it(`rejects ${name}`, () => assert.deepEqual(messages(pods.validate(created(spec, meta))), want));
  }

  it('accepts a valid pod', () => assert.deepEqual(pods.validate(created(nginx)), []));
});

describe('pod updates', () => {
  const old = created({ ...nginx, activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] });
  /** The stored pod with `change` applied to a copy of its spec, defaulted as an update is. */
  function update(change: (spec: Record<string, unknown>) => void): string[] {
    const pod = structuredClone(old);
    change(pod.spec as Record<string, unknown>);
    pods.defaults(pod);
    return messages(pods.validate(pod, old));
  }
  const containers = (s: Record<string, unknown>) => s.containers as Record<string, unknown>[];

  it('allows the same spec, a new image, a lower activeDeadlineSeconds, an added toleration', () => {
    assert.deepEqual(update(() => {}), []);
    assert.deepEqual(update((s) => (containers(s)[0]!.image = 'nginx:1.28')), []);
    assert.deepEqual(update((s) => (s.activeDeadlineSeconds = 50)), []);
    assert.deepEqual(update((s) => ((s.tolerations as unknown[]).push({ key: 'b', operator: 'Exists' }))), []);
    assert.deepEqual(update((s) => ((s.tolerations as Record<string, unknown>[])[0]!.tolerationSeconds = 20)), []);
  });

  it('forbids other changes, with Kubernetes message', () => {
    const errs = update((s) => (containers(s)[0]!.ports = [{ containerPort: 80 }]));
    assert.equal(errs.length, 1);
    assert.equal(
      errs[0]!.split('\n')[0],
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    assert.match(errs[0]!, /\n\+ spec\.containers\[0\]\.ports: \[\{"containerPort":80,"protocol":"TCP"\}\]/);
    assert.equal(update((s) => (s.nodeName = 'node-1')).length, 1);
  });

  it('forbids adding containers, raising the deadline, changing tolerations, adding gates', () => {
    assert.deepEqual(update((s) => containers(s).push({ name: 'b', image: 'x' })), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
    assert.deepEqual(update((s) => (s.activeDeadlineSeconds = 200)), ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);
    assert.deepEqual(update((s) => delete s.activeDeadlineSeconds), ['spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value']);
    assert.deepEqual(update((s) => (s.tolerations = [])), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
    assert.deepEqual(update((s) => (s.schedulingGates = [{ name: 'g' }])), ["spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new scheduling gate 'g'"]);
  });

  it('requires the image on an update', () => {
    assert.deepEqual(update((s) => (containers(s)[0]!.image = '')), ['spec.containers[0].image: Required value', 'spec.containers[0].image: Required value']);
  });
});

describe('pod status writes', () => {
  it('keep podIP and podIPs in step, and the QoS class as it was', () => {
    const old = created(nginx);
    const pod = structuredClone(old);
    pod.status = { phase: 'Running', podIP: '10.0.0.7', hostIP: '192.168.0.2', qosClass: 'BestEffort' };
    pods.defaults(pod);
    assert.deepEqual(pod.status, { phase: 'Running', podIP: '10.0.0.7', podIPs: [{ ip: '10.0.0.7' }], hostIP: '192.168.0.2', hostIPs: [{ ip: '192.168.0.2' }], qosClass: 'BestEffort' });
    assert.deepEqual(pods.validate(pod, old), []);
    (pod.status as Record<string, unknown>).qosClass = 'Guaranteed';
    assert.deepEqual(messages(pods.validate(pod, old)), ['status.qosClass: Invalid value: "Guaranteed": field is immutable']);
  });
});

describe('pod fields and deletion', () => {
  it('has the field selector fields of ToSelectableFields', () => {
    const pod = created({ ...nginx, nodeName: 'n1', serviceAccountName: 'sa' });
    (pod.status as Record<string, unknown>).podIPs = [{ ip: '10.0.0.5' }];
    assert.deepEqual(pods.fields(pod), {
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'sa',
      'spec.hostNetwork': 'false',
      'status.phase': 'Pending',
      'status.podIP': '10.0.0.5',
      'status.nominatedNodeName': '',
    });
  });

  it('deletes gracefully only a pod on a node that has not finished', () => {
    const pod = created(nginx);
    assert.equal(pods.gracePeriod(pod, undefined), 0, 'not scheduled');
    (pod.spec as Record<string, unknown>).nodeName = 'n1';
    assert.equal(pods.gracePeriod(pod, undefined), 30);
    assert.equal(pods.gracePeriod(pod, 5), 5);
    assert.equal(pods.gracePeriod(pod, -3), 1);
    (pod.status as Record<string, unknown>).phase = 'Succeeded';
    assert.equal(pods.gracePeriod(pod, 5), 0);
  });
});

describe('a realistic manifest', () => {
  const manifest = parseYaml(`
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
  labels: { app: api, tier: backend }
  annotations: { prometheus.io/scrape: "true" }
spec:
  serviceAccountName: api
  automountServiceAccountToken: false
  priorityClassName: high
  nodeSelector: { kubernetes.io/os: linux }
  securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: RuntimeDefault } }
  imagePullSecrets: [{ name: regcred }]
  hostAliases: [{ ip: 10.1.2.3, hostnames: [db.local] }]
  dnsConfig: { options: [{ name: ndots, value: "2" }] }
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{ matchExpressions: [{ key: topology.kubernetes.io/zone, operator: In, values: [a, b] }] }]
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: disk, operator: Exists }] } }]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm: { topologyKey: kubernetes.io/hostname, labelSelector: { matchLabels: { app: api } } }
  tolerations: [{ key: dedicated, operator: Equal, value: api, effect: NoSchedule }, { key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300 }]
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app: api } } }]
  initContainers:
    - name: migrate
      image: registry.example.com/api:2.3.1
      command: [/app/migrate]
      args: [--wait]
      envFrom: [{ secretRef: { name: db } }]
    - name: proxy
      image: envoyproxy/envoy:v1.31.0
      restartPolicy: Always
      ports: [{ name: admin, containerPort: 9901 }]
  containers:
    - name: api
      image: registry.example.com/api:2.3.1
      imagePullPolicy: IfNotPresent
      workingDir: /app
      ports: [{ name: http, containerPort: 8080, protocol: TCP }]
      env:
        - { name: LOG_LEVEL, value: info }
        - { name: POD_IP, valueFrom: { fieldRef: { apiVersion: v1, fieldPath: status.podIP } } }
        - { name: DB_PASSWORD, valueFrom: { secretKeyRef: { name: db, key: password } } }
        - { name: MEM_LIMIT, valueFrom: { resourceFieldRef: { resource: limits.memory, divisor: 1Mi } } }
      resources: { requests: { cpu: 250m, memory: 256Mi }, limits: { cpu: "1", memory: 512Mi } }
      volumeMounts: [{ name: config, mountPath: /etc/api, readOnly: true }, { name: tmp, mountPath: /tmp }, { name: data, mountPath: /data, subPath: api }]
      readinessProbe: { httpGet: { path: /ready, port: http, httpHeaders: [{ name: X-Probe, value: "1" }] }, initialDelaySeconds: 5, periodSeconds: 5 }
      livenessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 5 }
      startupProbe: { exec: { command: [cat, /tmp/started] }, failureThreshold: 30, periodSeconds: 2 }
      lifecycle: { preStop: { exec: { command: [sh, -c, sleep 5] } } }
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
      terminationMessagePolicy: FallbackToLogsOnError
      stdin: false
      tty: false
  volumes:
    - { name: config, configMap: { name: api-config, items: [{ key: app.yaml, path: app.yaml }] } }
    - { name: tmp, emptyDir: { medium: Memory, sizeLimit: 64Mi } }
    - { name: data, persistentVolumeClaim: { claimName: api-data } }
    - { name: certs, secret: { secretName: api-tls, defaultMode: 256 } }
    - name: kube-api-access
      projected:
        sources:
          - serviceAccountToken: { expirationSeconds: 3607, path: token }
          - configMap: { name: kube-root-ca.crt, items: [{ key: ca.crt, path: ca.crt }] }
          - downwardAPI: { items: [{ path: namespace, fieldRef: { apiVersion: v1, fieldPath: metadata.namespace } }] }
    - { name: host, hostPath: { path: /var/log, type: Directory } }
    - { name: legacy, iscsi: { targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0 } }
status:
  phase: Running
  conditions: [{ type: Ready, status: "True", lastProbeTime: null, lastTransitionTime: "2025-01-01T00:00:00Z" }]
  hostIP: 192.168.1.10
  hostIPs: [{ ip: 192.168.1.10 }]
  podIP: 10.244.1.7
  podIPs: [{ ip: 10.244.1.7 }]
  startTime: "2025-01-01T00:00:00Z"
  qosClass: Burstable
  containerStatuses:
    - name: api
      ready: true
      started: true
      restartCount: 1
      image: registry.example.com/api:2.3.1
      imageID: registry.example.com/api@sha256:0123
      containerID: containerd://abc
      state: { running: { startedAt: "2025-01-01T00:00:05Z" } }
      lastState: { terminated: { exitCode: 137, reason: OOMKilled, startedAt: "2025-01-01T00:00:01Z", finishedAt: "2025-01-01T00:00:04Z" } }
`) as Record<string, unknown>;

  it('keeps every field through the schema', () => assert.deepEqual(pods.schema.parse(manifest), manifest));

  it('is valid once defaulted', () => {
    const pod = pods.schema.parse(structuredClone(manifest));
    pods.defaults(pod);
    assert.deepEqual(pods.validate(pod), []);
  });
});
