import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { endpoints } from './endpoints.js';

function created(body: object): KubeObject {
  const obj = endpoints.schema.parse(body);
  endpoints.defaults(obj);
  return obj;
}

const meta = { name: 'web', namespace: 'default' };
const pod = (name: string, uid: string) => ({ kind: 'Pod', namespace: 'default', name, uid });

describe('endpoints: defaults', () => {
  it('ports default to TCP', () => {
    assert.deepEqual(created({ metadata: meta, subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 8080 }] }] }), {
      metadata: meta,
      subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 8080, protocol: 'TCP' }] }],
    });
  });

  it('repacks subsets: each address once, sorted, grouped by the ports it serves; not ready wins', () => {
    const got = created({
      metadata: meta,
      subsets: [
        { addresses: [{ ip: '10.244.0.9', targetRef: pod('b', 'ub') }], ports: [{ name: 'http', port: 80 }] },
        { addresses: [{ ip: '10.244.0.5', targetRef: pod('a', 'ua') }], ports: [{ name: 'http', port: 80 }] },
        { addresses: [{ ip: '10.244.0.5', targetRef: pod('a', 'ua') }], notReadyAddresses: [{ ip: '10.244.0.9', targetRef: pod('b', 'ub') }], ports: [{ name: 'metrics', port: 9090 }] },
      ],
    });
    assert.deepEqual(got.subsets, [
      { addresses: [{ ip: '10.244.0.5', targetRef: pod('a', 'ua') }, { ip: '10.244.0.9', targetRef: pod('b', 'ub') }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      { addresses: [{ ip: '10.244.0.5', targetRef: pod('a', 'ua') }], notReadyAddresses: [{ ip: '10.244.0.9', targetRef: pod('b', 'ub') }], ports: [{ name: 'metrics', port: 9090, protocol: 'TCP' }] },
    ]);
    const again = structuredClone(got);
    endpoints.defaults(again);
    assert.deepEqual(again, got);
  });

  it('keeps addresses without ports (a headless service)', () => {
    assert.deepEqual(created({ metadata: meta, subsets: [{ addresses: [{ ip: '10.244.0.7' }, { ip: '10.244.0.6' }] }] }).subsets, [{ addresses: [{ ip: '10.244.0.6' }, { ip: '10.244.0.7' }] }]);
  });
});

describe('endpoints: validation', () => {
  const cases: [string, object[], string[]][] = [
    ['a subset without addresses', [{ ports: [{ port: 80 }] }], ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']],
    [
      'a bad IP (both of Kubernetes\' checks report it)',
      [{ addresses: [{ ip: '10.0.0' }] }],
      ['subsets[0].addresses[0].ip: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)', 'subsets[0].addresses[0].ip: Invalid value: "10.0.0": must be a valid IP address'],
    ],
    ['a link-local address', [{ notReadyAddresses: [{ ip: '169.254.169.254' }] }], ['subsets[0].notReadyAddresses[0].ip: Invalid value: "169.254.169.254": may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    ['an unspecified IPv6 address', [{ addresses: [{ ip: '::' }] }], ['subsets[0].addresses[0].ip: Invalid value: "::": may not be unspecified (::)']],
    [
      'unnamed ports among several, a port out of range, an unknown protocol',
      [{ addresses: [{ ip: '10.1.1.1' }], ports: [{ port: 80 }, { name: 'b', port: 0, protocol: 'ICMP' }] }],
      ['subsets[0].ports[0].name: Required value', 'subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'subsets[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    ['a bad node name', [{ addresses: [{ ip: '10.1.1.1', nodeName: 'Node_1' }] }], [/^subsets\[0\]\.addresses\[0\]\.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain/.source]],
  ];
  for (const [name, subsets, want] of cases) {
    it(name, () => {
      const obj = created({ metadata: meta, subsets });
      const got = endpoints.validate(obj).map((e) => e.message);
      assert.equal(got.length, want.length, got.join('\n'));
      want.forEach((w, i) => (w.startsWith('^') ? assert.match(got[i]!, new RegExp(w)) : assert.equal(got[i], w)));
    });
  }

  it('invalid subsets are left as sent, so errors name the indexes the client sent', () => {
    const subsets = [{ addresses: [{ ip: '10.1.1.9' }, { ip: '10.1.1.1' }], ports: [{ port: 0, protocol: 'TCP' }] }];
    assert.deepEqual(created({ metadata: meta, subsets }).subsets, subsets);
  });

  it('endpoints as the endpoints controller writes them keep every field', () => {
    const manifest = parseYaml(`
apiVersion: v1
kind: Endpoints
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
  annotations: {endpoints.kubernetes.io/last-change-trigger-time: "2024-05-01T10:00:00Z"}
subsets:
- addresses:
  - {ip: 10.244.0.2, nodeName: control-plane, targetRef: {kind: Pod, name: coredns-1, namespace: kube-system, uid: 6f1c}}
  - {ip: 10.244.0.3, hostname: coredns-2, nodeName: control-plane, targetRef: {kind: Pod, name: coredns-2, namespace: kube-system, uid: 7a2d}}
  ports:
  - {name: dns-tcp, port: 53, protocol: TCP}
  - {name: dns, port: 53, protocol: UDP}
  - {name: metrics, port: 9153, protocol: TCP, appProtocol: http}
`) as object;
    const parsed = endpoints.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    endpoints.defaults(parsed);
    assert.deepEqual(parsed, manifest);
    assert.deepEqual(endpoints.validate(parsed), []);
  });
});
