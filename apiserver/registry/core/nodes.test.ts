import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { nodes } from './nodes.js';

function created(body: object): KubeObject {
  const obj = nodes.schema.parse(body);
  nodes.defaults(obj);
  return obj;
}

const messages = (obj: KubeObject, old?: KubeObject) => nodes.validate(obj, old).map((e) => e.message);

describe('nodes: defaults', () => {
  it('writes out the status structs Go always writes, and nothing else', () => {
    assert.deepEqual(created({ metadata: { name: 'n1' } }), {
      metadata: { name: 'n1' },
      spec: {},
      status: {
        daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: '',
          osImage: '',
          containerRuntimeVersion: '',
          kubeletVersion: '',
          kubeProxyVersion: '',
          operatingSystem: '',
          architecture: '',
        },
      },
    });
  });

  it('keeps podCIDR and podCIDRs in step, podCIDR winning', () => {
    const cases: [object, object][] = [
      [{ podCIDR: '10.244.1.0/24' }, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }],
      [{ podCIDRs: ['10.244.2.0/24', 'fd00::/64'] }, { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24', 'fd00::/64'] }],
      [{ podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.9.0/24'] }, { podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.3.0/24'] }],
    ];
    for (const [spec, want] of cases) assert.deepEqual(created({ metadata: { name: 'n' }, spec }).spec, want);
  });

  it('copies capacity to allocatable and writes quantities canonically', () => {
    const status = created({ metadata: { name: 'n' }, status: { capacity: { cpu: 4, memory: '8192Mi', pods: '110' } } }).status as Record<string, unknown>;
    assert.deepEqual(status.capacity, { cpu: '4', memory: '8Gi', pods: '110' });
    assert.deepEqual(status.allocatable, status.capacity);
  });

  it('is idempotent', () => {
    const obj = created({ metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/24' }, status: { capacity: { cpu: '500m' } } });
    const again = structuredClone(obj);
    nodes.defaults(again);
    assert.deepEqual(again, obj);
  });
});

describe('nodes: validation', () => {
  const cases: [string, object, string[]][] = [
    ['a name that is no subdomain', { metadata: { name: 'Node_1' } }, [/^metadata\.name: Invalid value: "Node_1": a lowercase RFC 1123 subdomain/.source]],
    [
      'a taint without effect, and one with an unknown effect',
      { metadata: { name: 'n' }, spec: { taints: [{ key: 'a' }, { key: 'b', effect: 'Never' }] } },
      ['metadata.taints[0].effect: Required value', 'metadata.taints[1].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    ],
    [
      'a taint key that is no qualified name, and a bad value',
      { metadata: { name: 'n' }, spec: { taints: [{ key: 'a b', value: '-x', effect: 'NoSchedule' }] } },
      [/^metadata\.taints\[0\]\.key: Invalid value: "a b": name part must consist of/.source, /^metadata\.taints\[0\]\.value: Invalid value: "-x": a valid label must be/.source],
    ],
    [
      'the same key and effect twice',
      { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', value: 'a', effect: 'NoSchedule' }, { key: 'k', value: 'b', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' }] } },
      ['metadata.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"b", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair'],
    ],
    ['a bad pod CIDR', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0' } }, ['spec.podCIDRs[0]: Invalid value: "10.244.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']],
    [
      'two IPv4 pod CIDRs',
      { metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.0.0/24', '10.245.0.0/24'] } },
      ['spec.podCIDRs: Invalid value: []string{"10.244.0.0/24", "10.245.0.0/24"}: may specify no more than one CIDR for each IP family'],
    ],
    ['a negative capacity', { metadata: { name: 'n' }, status: { capacity: { cpu: '-1' } } }, ['status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0', 'status.allocatable.cpu: Invalid value: "-1": must be greater than or equal to 0']],
  ];
  for (const [name, body, want] of cases) {
    it(name, () => {
      const got = messages(created(body));
      assert.equal(got.length, want.length, got.join('\n'));
      want.forEach((w, i) => (w.startsWith('^') ? assert.match(got[i]!, new RegExp(w)) : assert.equal(got[i], w)));
    });
  }

  it('a quantity that does not parse does not decode', () => {
    assert.throws(() => nodes.schema.parse({ metadata: { name: 'n' }, status: { capacity: { cpu: 'lots' } } }), /quantities must match the regular expression/);
  });
});

describe('nodes: updates', () => {
  const old = created({ metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/24', providerID: 'kubeling://n', externalID: 'x' } });

  it('podCIDRs, providerID and externalID stay; unschedulable and taints change freely', () => {
    const next = structuredClone(old);
    Object.assign(next.spec as object, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
    assert.deepEqual(messages(next, old), []);
    const moved = structuredClone(old);
    Object.assign(moved.spec as object, { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'], providerID: 'other://n', externalID: 'y' });
    assert.deepEqual(messages(moved, old), [
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
      'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
      'spec.externalID: Forbidden: may not be updated',
    ]);
  });

  it('a pod CIDR may be set once', () => {
    const bare = created({ metadata: { name: 'n' } });
    assert.deepEqual(messages(created({ metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/24' } }), bare), []);
  });

  it('addresses are unique', () => {
    const next = created({ metadata: { name: 'n' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'InternalIP', address: '10.0.0.1' }] } });
    assert.deepEqual(messages(next, created({ metadata: { name: 'n' } })), ['status.addresses[1]: Duplicate value: core.NodeAddress{Type:"InternalIP", Address:"10.0.0.1"}']);
  });
});

describe('nodes: strategy', () => {
  it('keeps the status on create, selects by spec.unschedulable', () => {
    assert.deepEqual(nodes.status, { onCreate: 'keep' });
    assert.equal(nodes.info.namespaced, false);
    assert.deepEqual(nodes.fields(created({ metadata: { name: 'n' } })), { 'spec.unschedulable': 'false' });
    assert.deepEqual(nodes.fields(created({ metadata: { name: 'n' }, spec: { unschedulable: true } })), { 'spec.unschedulable': 'true' });
  });

  it('a node as a kubelet registers it keeps every field', () => {
    const manifest = parseYaml(`
apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels: {kubernetes.io/hostname: worker-1, kubernetes.io/os: linux, node-role.kubernetes.io/worker: ""}
  annotations: {node.alpha.kubernetes.io/ttl: "0"}
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24]
  providerID: kind://docker/kind/worker-1
  taints:
  - {key: node.kubernetes.io/not-ready, effect: NoExecute, timeAdded: "2024-05-01T10:00:00Z"}
status:
  capacity: {cpu: "8", memory: 16331416Ki, pods: "110", ephemeral-storage: 61202244Ki, hugepages-2Mi: "0"}
  allocatable: {cpu: "8", memory: 16331416Ki, pods: "110", ephemeral-storage: 61202244Ki, hugepages-2Mi: "0"}
  conditions:
  - {type: Ready, status: "True", lastHeartbeatTime: "2024-05-01T10:00:00Z", lastTransitionTime: "2024-05-01T09:00:00Z", reason: KubeletReady, message: kubelet is posting ready status}
  addresses:
  - {type: InternalIP, address: 172.18.0.3}
  - {type: Hostname, address: worker-1}
  daemonEndpoints: {kubeletEndpoint: {Port: 10250}}
  nodeInfo:
    machineID: 0b1e
    systemUUID: 7f2a
    bootID: 3c4d
    kernelVersion: 6.5.0
    osImage: Debian GNU/Linux 12 (bookworm)
    containerRuntimeVersion: containerd://1.7.15
    kubeletVersion: v1.32.0
    kubeProxyVersion: v1.32.0
    operatingSystem: linux
    architecture: amd64
  images:
  - {names: ["registry.k8s.io/pause:3.10"], sizeBytes: 320368}
  volumesInUse: [kubernetes.io/csi/driver^vol-1]
  volumesAttached: [{name: kubernetes.io/csi/driver^vol-1, devicePath: ""}]
  runtimeHandlers: [{name: runc, features: {recursiveReadOnlyMounts: true, userNamespaces: true}}]
  features: {supplementalGroupsPolicy: true}
`) as object;
    const parsed = nodes.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    nodes.defaults(parsed);
    assert.deepEqual(parsed, manifest);
    assert.deepEqual(nodes.validate(parsed), []);
  });
});
