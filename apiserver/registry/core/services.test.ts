import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../api/meta.js';
import { NODE_PORTS, allocateServiceIP, serviceIPInRange } from './network.js';
import { services } from './services.js';

const meta = (name = 'web') => ({ name, namespace: 'default', uid: `uid-${name}` });

/** The object as a create leaves it: parsed, defaulted. */
function created(body: object): KubeObject {
  const obj = services.schema.parse(body);
  services.defaults(obj);
  return obj;
}

/** The object as an update of `old` leaves it: parsed, defaulted, prepared with the stored object (as generic.ts does). */
function updated(body: object, old: KubeObject): KubeObject {
  const obj = created(body);
  obj.metadata.uid = old.metadata.uid;
  services.prepareUpdate(obj, old);
  return obj;
}

/** The messages of a create of `body`. */
function createErrors(body: object): string[] {
  return services.validate(created(body)).map((e) => e.message);
}

describe('services: defaults', () => {
  it('gives a minimal ClusterIP service what kube-apiserver gives it', () => {
    const obj = created({ metadata: meta(), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const ip = allocateServiceIP('uid-web');
    assert.deepEqual(obj, {
      metadata: meta(),
      spec: {
        selector: { app: 'web' },
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
        sessionAffinity: 'None',
        type: 'ClusterIP',
        internalTrafficPolicy: 'Cluster',
        ipFamilyPolicy: 'SingleStack',
        ipFamilies: ['IPv4'],
        clusterIP: ip,
        clusterIPs: [ip],
      },
      status: { loadBalancer: {} },
    });
    assert.ok(serviceIPInRange(ip) && ip.startsWith('10.'), ip);
    assert.deepEqual(services.validate(obj), []);
  });

  it('is idempotent', () => {
    const obj = created({ metadata: meta(), spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } });
    const again = structuredClone(obj);
    services.defaults(again);
    assert.deepEqual(again, obj);
  });

  it('allocates node ports (one per port number) and a health check port for LoadBalancer/Local', () => {
    const obj = created({
      metadata: meta('dns'),
      spec: {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        selector: { k8s: 'dns' },
        ports: [
          { name: 'udp', port: 53, protocol: 'UDP' },
          { name: 'tcp', port: 53 },
          { name: 'metrics', port: 9153, nodePort: 30999 },
        ],
      },
    });
    const spec = obj.spec as { ports: { nodePort: number }[]; healthCheckNodePort: number; allocateLoadBalancerNodePorts: boolean };
    const [udp, tcp, metrics] = spec.ports.map((p) => p.nodePort);
    assert.equal(udp, tcp);
    assert.equal(metrics, 30999);
    for (const p of [udp!, spec.healthCheckNodePort]) assert.ok(p >= NODE_PORTS.min && p <= NODE_PORTS.max, String(p));
    assert.notEqual(spec.healthCheckNodePort, udp);
    assert.equal(spec.allocateLoadBalancerNodePorts, true);
    assert.deepEqual(services.validate(obj), []);
  });

  it('allocates no node ports for a LoadBalancer that asks for none', () => {
    const obj = created({ metadata: meta(), spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] } });
    assert.equal((obj.spec as { ports: { nodePort?: number }[] }).ports[0]!.nodePort, undefined);
  });

  const families: [string, object, object][] = [
    ['headless without selector: dual-stack families', { clusterIP: 'None' }, { clusterIP: 'None', clusterIPs: ['None'], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }],
    ['headless with selector: single stack', { clusterIP: 'None', selector: { a: 'b' } }, { clusterIP: 'None', clusterIPs: ['None'], ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] }],
    ['a requested address', { clusterIP: '10.96.0.10' }, { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] }],
    ['ExternalName: none of them', { type: 'ExternalName', externalName: 'db.example.com' }, {}],
  ];
  for (const [name, spec, want] of families) {
    it(`IP fields: ${name}`, () => {
      const got = created({ metadata: meta(), spec: { ports: [{ port: 53 }], ...spec } }).spec as Record<string, unknown>;
      const fields = Object.fromEntries(['clusterIP', 'clusterIPs', 'ipFamilyPolicy', 'ipFamilies'].filter((k) => k in got).map((k) => [k, got[k]]));
      assert.deepEqual(fields, want);
    });
  }

  it('ExternalName: no internalTrafficPolicy; ClientIP affinity: a 3 hour timeout', () => {
    const ext = created({ metadata: meta(), spec: { type: 'ExternalName', externalName: 'db.example.com' } }).spec as Record<string, unknown>;
    assert.equal(ext.internalTrafficPolicy, undefined);
    const sticky = created({ metadata: meta(), spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } }).spec as Record<string, unknown>;
    assert.deepEqual(sticky.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });
});

describe('services: validation', () => {
  const port = { port: 80 };
  const cases: [string, object, string[]][] = [
    [
      'a name that is no DNS-1035 label',
      { metadata: meta('1web'), spec: { ports: [port] } },
      [
        `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    ['no ports', { metadata: meta(), spec: { selector: { a: 'b' } } }, ['spec.ports: Required value']],
    ['a port out of range', { metadata: meta(), spec: { ports: [{ port: 70000, targetPort: 80 }] } }, ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    [
      'unnamed ports among several, and a name twice',
      { metadata: meta(), spec: { ports: [{ port: 80 }, { name: 'a', port: 81 }, { name: 'a', port: 82 }] } },
      ['spec.ports[0].name: Required value', 'spec.ports[2].name: Duplicate value: "a"'],
    ],
    ['an unknown protocol', { metadata: meta(), spec: { ports: [{ port: 80, protocol: 'HTTP' }] } }, ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']],
    [
      'an unknown type',
      { metadata: meta(), spec: { type: 'Ingress', ports: [port] } },
      ['spec.type: Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ],
    ['a nodePort on a ClusterIP service', { metadata: meta(), spec: { ports: [{ port: 80, nodePort: 30080 }] } }, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    [
      'the same port twice',
      { metadata: meta(), spec: { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] } },
      [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    ],
    ['a bad named targetPort', { metadata: meta(), spec: { ports: [{ port: 80, targetPort: 'HTTP' }] } }, ['spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'spec.ports[0].targetPort: Invalid value: "HTTP": must contain at least one letter (a-z)']],
    [
      'an address outside the service range',
      { metadata: meta(), spec: { clusterIP: '192.168.0.1', ports: [port] } },
      ['spec.clusterIPs: Invalid value: []string{"192.168.0.1"}: failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12'],
    ],
    [
      'a node port outside the range',
      { metadata: meta(), spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] } },
      ['spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    ],
    ['IPv6 on this IPv4 cluster', { metadata: meta(), spec: { ipFamilies: ['IPv6'], ports: [port] } }, ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster']],
    ['dual-stack on this cluster', { metadata: meta(), spec: { ipFamilyPolicy: 'RequireDualStack', selector: { a: 'b' }, ports: [port] } }, ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services']],
    ['an ExternalName without a name', { metadata: meta(), spec: { type: 'ExternalName' } }, ['spec.externalName: Required value']],
    ['an ExternalName with an address', { metadata: meta(), spec: { type: 'ExternalName', externalName: 'x.example.com', clusterIP: '10.96.0.9' } }, ['spec.clusterIPs: Forbidden: may not be set for ExternalName services']],
    ['externalTrafficPolicy on an internal service', { metadata: meta(), spec: { externalTrafficPolicy: 'Local', ports: [port] } }, ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']],
    ['a loopback external IP', { metadata: meta(), spec: { externalIPs: ['127.0.0.1'], ports: [port] } }, ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    ['a bad selector', { metadata: meta(), spec: { selector: { app: 'a b' }, ports: [port] } }, [/^spec\.selector: Invalid value: "a b": a valid label must be/.source]],
    ['a timeout too long', { metadata: meta(), spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 100000 } }, ports: [port] } }, ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 100000: must be greater than 0 and less than 86400']],
  ];
  for (const [name, body, want] of cases) {
    it(name, () => {
      const got = createErrors(body);
      assert.equal(got.length, want.length, got.join('\n'));
      want.forEach((w, i) => (w.startsWith('^') ? assert.match(got[i]!, new RegExp(w)) : assert.equal(got[i], w)));
    });
  }
});

describe('services: updates', () => {
  const body = { metadata: meta(), spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } };

  it('a service sent again without its allocated values gets the same ones (kubectl replace)', () => {
    const old = created(body);
    const next = created(body);
    assert.deepEqual(next.spec, old.spec);
    assert.deepEqual(services.validate(next, old), []);
  });

  it('clusterIP may not change', () => {
    const old = created(body);
    const next = structuredClone(old);
    Object.assign(next.spec as object, { clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'] });
    assert.deepEqual(
      services.validate(next, old).map((e) => e.message),
      ['spec.clusterIPs[0]: Invalid value: []string{"10.96.5.5"}: may not change once set'],
    );
  });

  it('values the client leaves out are carried over from the stored object (kubectl replace)', () => {
    const old = created({ ...body, spec: { ...body.spec, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, nodePort: 30080 }] } });
    const next = updated(body, old);
    const spec = next.spec as { clusterIP: string; clusterIPs: string[]; ports: { nodePort: number }[] };
    assert.deepEqual([spec.clusterIP, spec.clusterIPs, spec.ports[0]!.nodePort], ['10.96.0.10', ['10.96.0.10'], 30080]);
    assert.deepEqual(services.validate(next, old), []);
  });

  const typeChanges: [string, object, (spec: Record<string, unknown>) => void][] = [
    [
      'NodePort to ClusterIP drops the node ports and externalTrafficPolicy',
      { type: 'ClusterIP' },
      (spec) => {
        assert.equal(spec.externalTrafficPolicy, undefined);
        assert.deepEqual(spec.ports, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }]);
      },
    ],
    [
      'NodePort to ExternalName drops the addresses and IP families',
      { type: 'ExternalName', externalName: 'db.example.com' },
      (spec) => assert.deepEqual([spec.clusterIP, spec.clusterIPs, spec.ipFamilies, spec.ipFamilyPolicy, spec.internalTrafficPolicy], [undefined, undefined, undefined, undefined, undefined]),
    ],
  ];
  for (const [name, change, check] of typeChanges) {
    it(`a type change as kubectl edit sends it: ${name}`, () => {
      const old = created(body);
      const next = structuredClone(old);
      Object.assign(next.spec as object, change);
      services.defaults(next);
      services.prepareUpdate(next, old);
      check(next.spec as Record<string, unknown>);
      assert.deepEqual(services.validate(next, old), []);
    });
  }

  it('status: a load balancer\'s addresses are checked, and dropped from other types', () => {
    const lb = created({ metadata: meta(), spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    const withStatus = { ...structuredClone(lb), status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: '203.0.113.8' }] } } };
    services.defaults(withStatus);
    assert.deepEqual(withStatus.status, { loadBalancer: { ingress: [{ ip: '203.0.113.7', ipMode: 'VIP' }, { hostname: '203.0.113.8' }] } });
    assert.deepEqual(
      services.validate(withStatus, lb).map((e) => e.message),
      ['status.loadBalancer.ingress[1].hostname: Invalid value: "203.0.113.8": must be a DNS name, not an IP address'],
    );
    const internal = created({ metadata: meta(), spec: { ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    assert.deepEqual(internal.status, { loadBalancer: {} });
  });

  it('loadBalancerClass and healthCheckNodePort stay', () => {
    const old = created({ metadata: meta(), spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', loadBalancerClass: 'example.com/lb', ports: [{ port: 80 }] } });
    const next = structuredClone(old);
    Object.assign(next.spec as object, { loadBalancerClass: 'example.com/other', healthCheckNodePort: 31999 });
    assert.deepEqual(
      services.validate(next, old).map((e) => e.message),
      ['spec.loadBalancerClass: Invalid value: "example.com/other": may not change once set', 'spec.healthCheckNodePort: Forbidden: field is immutable'],
    );
  });
});

describe('services: a realistic manifest', () => {
  it('keeps every field it sets', () => {
    const manifest = parseYaml(`
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}
  annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv4]
  loadBalancerSourceRanges: [10.0.0.0/8]
  publishNotReadyAddresses: false
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  selector: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http, appProtocol: http}
  - {name: https, port: 443, protocol: TCP, targetPort: https, appProtocol: https, nodePort: 31443}
`) as object;
    const parsed = services.schema.parse(manifest);
    assert.deepEqual(parsed, manifest);
    services.defaults(parsed);
    assert.deepEqual(services.validate(parsed), []);
  });
});
