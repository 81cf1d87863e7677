import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { endpointslices } from './endpointslices.js';

function created(body: object): KubeObject {
  const obj = endpointslices.schema.parse(body);
  endpointslices.defaults(obj);
  return obj;
}

const meta = { name: 'web-abc12', namespace: 'default' };
const ready = { ready: true, serving: true, terminating: false };

describe('endpointslices: defaults', () => {
  it('ports get name "" and protocol TCP; endpoints their conditions', () => {
    assert.deepEqual(created({ metadata: meta, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'] }], ports: [{ port: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }] }), {
      metadata: meta,
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'], conditions: {} }],
      ports: [
        { port: 8080, name: '', protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    });
  });

  it('empty endpoints and ports are null, as Kubernetes writes them', () => {
    assert.deepEqual(created({ metadata: meta, addressType: 'IPv4' }), { metadata: meta, addressType: 'IPv4', endpoints: null, ports: null });
    assert.deepEqual(created({ metadata: meta, addressType: 'IPv4', endpoints: [], ports: [] }), { metadata: meta, addressType: 'IPv4', endpoints: null, ports: null });
  });

  it('drops deprecatedTopology (only v1beta1 writes it)', () => {
    const got = created({ metadata: meta, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.1'], deprecatedTopology: { 'kubernetes.io/hostname': 'n1' } }] });
    assert.deepEqual(got.endpoints, [{ addresses: ['10.1.1.1'], conditions: {} }]);
  });
});

describe('endpointslices: validation', () => {
  const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['a valid slice', { addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'], conditions: ready, nodeName: 'n1', zone: 'z1', hostname: 'web-0' }], ports: [{ name: 'http', port: 80 }] }, []],
    ['no addressType', {}, ['addressType: Required value']],
    ['an unknown addressType', { addressType: 'IP' }, ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']],
    ['an endpoint without addresses', { addressType: 'IPv4', endpoints: [{ conditions: ready }] }, ['endpoints[0].addresses: Required value: must contain at least 1 address']],
    ['too many addresses', { addressType: 'IPv4', endpoints: [{ addresses: many(101, (i) => `10.0.${i >> 8}.${(i & 255) + 1}`) }] }, ['endpoints[0].addresses: Too many: 101: must have at most 100 items']],
    ['too many endpoints (nothing else checked)', { addressType: 'IPv4', endpoints: many(1001, () => ({ addresses: ['1.2.3'] })) }, ['endpoints: Too many: 1001: must have at most 1000 items']],
    ['an IPv6 address in an IPv4 slice', { addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }] }, ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']],
    [
      'not an address: both checks report it',
      { addressType: 'IPv6', endpoints: [{ addresses: ['zz'] }] },
      ['endpoints[0].addresses[0]: Invalid value: "zz": must be a valid IPv6 address', 'endpoints[0].addresses[0]: Invalid value: "zz": must be a valid IP address'],
    ],
    ['an IPv4-mapped IPv6 address counts as IPv4', { addressType: 'IPv6', endpoints: [{ addresses: ['::ffff:10.1.1.1'] }] }, ['endpoints[0].addresses[0]: Invalid value: "::ffff:10.1.1.1": must be a valid IPv6 address']],
    ['a loopback address', { addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'] }] }, ['endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    ['a link-local IPv6 address', { addressType: 'IPv6', endpoints: [{ addresses: ['fe80::1'] }] }, ['endpoints[0].addresses[0]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    ['FQDN addresses', { addressType: 'FQDN', endpoints: [{ addresses: ['example.com', 'db.example.com.'] }] }, []],
    ['an FQDN of one label', { addressType: 'FQDN', endpoints: [{ addresses: ['localhost'] }] }, ['endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots']],
    ['an empty FQDN', { addressType: 'FQDN', endpoints: [{ addresses: [''] }] }, ['endpoints[0].addresses[0]: Required value']],
    ['an FQDN with a label too long', { addressType: 'FQDN', endpoints: [{ addresses: [`${'a'.repeat(64)}.com`] }] }, [`endpoints[0].addresses[0]: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]],
    ['a bad node name', { addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.1'], nodeName: 'Node_1' }] }, [/^endpoints\[0\]\.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain/.source]],
    ['a bad hostname', { addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.1'], hostname: 'a.b' }] }, [/^endpoints\[0\]\.hostname: Invalid value: "a\.b": a lowercase RFC 1123 label/.source]],
    [
      'zone hints: duplicates and bad names',
      { addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.1'], hints: { forZones: [{ name: 'z1' }, { name: 'z1' }, { name: '-z' }] } }] },
      ['endpoints[0].hints.forZones[1].name: Duplicate value: "z1"', /^endpoints\[0\]\.hints\.forZones\[2\]\.name: Invalid value: "-z": a valid label must be/.source],
    ],
    ['too many zone hints', { addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.1'], hints: { forZones: many(9, (i) => ({ name: `z${i}` })) } }] }, ['endpoints[0].hints.forZones: Too many: 9: must have at most 8 items']],
    [
      'ports: a duplicate (default) name, a bad name, an unknown protocol, a bad appProtocol',
      { addressType: 'IPv4', ports: [{ port: 80 }, { port: 81 }, { name: 'HTTP', port: 82 }, { name: 'x', port: 83, protocol: 'ICMP', appProtocol: 'a/b/c' }] },
      [
        'ports[1].name: Duplicate value: ""',
        /^ports\[2\]\.name: Invalid value: "HTTP": a lowercase RFC 1123 label/.source,
        'ports[3].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        /^ports\[3\]\.appProtocol: Invalid value: "a\/b\/c": a qualified name must consist/.source,
      ],
    ],
    ['port numbers are not range-checked', { addressType: 'IPv4', ports: [{ name: 'a', port: 0 }, { name: 'b', port: 70000 }] }, []],
    ['a bad label', { addressType: 'IPv4', metadata: { ...meta, labels: { 'endpointslice.kubernetes.io/managed-by': 'bad value!' } } }, [/^metadata\.labels: Invalid value: "bad value!": a valid label must be/.source]],
  ];
  for (const [name, body, want] of cases) {
    it(name, () => {
      const obj = created({ metadata: meta, ...body });
      const got = endpointslices.validate(obj).map((e) => e.message);
      assert.equal(got.length, want.length, got.join('\n'));
      want.forEach((w, i) => (w.startsWith('^') ? assert.match(got[i]!, new RegExp(w)) : assert.equal(got[i], w)));
    });
  }

  it('addressType is immutable', () => {
    const old = created({ metadata: meta, addressType: 'IPv4' });
    assert.deepEqual(
      endpointslices.validate(created({ metadata: meta, addressType: 'IPv6' }), old).map((e) => e.message),
      ['addressType: Invalid value: "IPv6": field is immutable'],
    );
    assert.deepEqual(endpointslices.validate(created({ metadata: meta, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.2'] }] }), old), []);
  });

  it('too many errors are FieldValueTooMany causes', () => {
    const [e] = endpointslices.validate(created({ metadata: meta, addressType: 'IPv4', ports: many(20001, (i) => ({ name: `p${i}`, port: 80 })) }));
    assert.deepEqual(e, { field: 'ports', type: 'FieldValueTooMany', message: 'ports: Too many: 20001: must have at most 20000 items' });
  });

  it('a slice as the endpointslice controller writes it keeps every field', () => {
    const manifest = parseYaml(`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-7x2kq
  namespace: default
  generateName: web-
  labels: {app: web, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io, kubernetes.io/service-name: web}
  annotations: {endpoints.kubernetes.io/last-change-trigger-time: "2024-05-01T10:00:00Z"}
  ownerReferences: [{apiVersion: v1, kind: Service, name: web, uid: 6f1c, controller: true, blockOwnerDeletion: true}]
addressType: IPv4
endpoints:
- addresses: [10.244.0.5]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: n1
  zone: zone-a
  targetRef: {kind: Pod, namespace: default, name: web-1, uid: 7a2d}
- addresses: [10.244.1.3]
  conditions: {ready: false, serving: true, terminating: true}
  hostname: web-2
  nodeName: n2
  targetRef: {kind: Pod, namespace: default, name: web-2, uid: 8b3e}
  hints: {forZones: [{name: zone-a}]}
ports:
- {name: http, port: 8080, protocol: TCP, appProtocol: http}
`) as object;
    const parsed = endpointslices.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    endpointslices.defaults(parsed);
    assert.deepEqual(parsed, manifest);
    assert.deepEqual(endpointslices.validate(parsed), []);
  });

  it('a label change is a new generation; a metadata-only change is not', () => {
    const old = { ...created({ metadata: { ...meta, generation: 3, labels: { a: '1' } }, addressType: 'IPv4' }) };
    const relabelled = created({ metadata: { ...meta, generation: 3, labels: { a: '2' } }, addressType: 'IPv4' });
    endpointslices.prepareUpdate(relabelled, old);
    assert.equal(relabelled.metadata.generation, 4);
    const annotated = created({ metadata: { ...meta, generation: 3, labels: { a: '1' }, annotations: { x: 'y' } }, addressType: 'IPv4' });
    endpointslices.prepareUpdate(annotated, old);
    assert.equal(annotated.metadata.generation, 3);
  });
});
