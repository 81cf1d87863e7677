/* eslint-disable @typescript-eslint/no-explicit-any -- decoded objects are JSON, read loosely */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeKubeProtobuf, KubeProtobufError } from './protobuf.js';

// ---------------------------------------------------------------------------
// A small protobuf wire writer, independent of the .proto files: the unit
// cases spell out field numbers, so they also check the messages' numbering.

type Bytes = Buffer;
const varint = (n: number | bigint): Bytes => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return Buffer.from(out);
};
/** A varint field. */
const num = (field: number, n: number | bigint | boolean): Bytes => Buffer.concat([varint(field << 3), varint(typeof n === 'boolean' ? Number(n) : n)]);
/** A length-delimited field: a string, bytes, or a message made of the given fields. */
const len = (field: number, ...parts: (Bytes | string)[]): Bytes => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
};
/** A map<string, V> entry (key 1, value 2). */
const entry = (field: number, key: string, value: Bytes | string): Bytes => len(field, len(1, key), len(2, value));
/** A map<string, Message> entry. */
const entryMsg = (field: number, key: string, ...value: Bytes[]): Bytes => len(field, len(1, key), len(2, ...value));
/** The whole body: magic, runtime.Unknown{typeMeta{apiVersion, kind}, raw}, with extra envelope fields. */
const body = (apiVersion: string, kind: string, raw: Bytes[], ...envelope: Bytes[]): Bytes =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), len(1, len(1, apiVersion), len(2, kind)), len(2, ...raw), ...envelope]);
const meta = (...fields: Bytes[]): Bytes => len(1, ...fields);

describe('decodeKubeProtobuf: the JSON forms', () => {
  it('Time in seconds, a zero Time left out, MicroTime in microseconds, int64 as numbers', () => {
    const lease = decodeKubeProtobuf(
      body('coordination.k8s.io/v1', 'Lease', [
        meta(len(1, 'l'), len(3, 'kube-system'), num(7, 3), len(8, num(1, 1704164645)), len(9)),
        len(2, len(1, 'me'), num(2, 15), len(3, num(1, 1704164645), num(2, 123456789)), len(4, num(1, 0), num(2, 0)), num(5, 0)),
      ]),
    );
    assert.deepEqual(lease, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', namespace: 'kube-system', generation: 3, creationTimestamp: '2024-01-02T03:04:05Z' },
      spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2024-01-02T03:04:05.123456Z', renewTime: '1970-01-01T00:00:00.000000Z', leaseTransitions: 0 },
    });
  });

  it('IntOrString as a number or a string, Quantity as its string, a zero pointer kept and a zero omitempty dropped', () => {
    const intOrString = (v: number | string): Bytes => (typeof v === 'number' ? Buffer.concat([num(1, 0), num(2, v), len(3, '')]) : Buffer.concat([num(1, 1), num(2, 0), len(3, v)]));
    const svc = decodeKubeProtobuf(
      body('v1', 'Service', [
        meta(len(1, 's')),
        len(2, len(1, len(1, 'http'), len(2, 'TCP'), num(3, 80), len(4, intOrString('web')), num(5, 0)), len(1, len(1, ''), num(3, 0), len(4, intOrString(8443))), len(4, 'ClusterIP')),
      ]),
    );
    assert.deepEqual(svc.spec, { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }, { port: 0, targetPort: 8443 }], type: 'ClusterIP' });

    const container = Buffer.concat([
      len(1, 'app'),
      len(2, 'nginx'),
      len(8, entryMsg(1, 'cpu', len(1, '500m')), entryMsg(1, 'memory', len(1, '128Mi')), entryMsg(2, 'cpu', len(1, '250m'))),
      len(10, len(1, len(2, len(1, '/healthz'), len(2, intOrString(8080)))), num(2, 0), num(4, 10)),
      num(16, false),
      len(6, num(3, 0)),
    ]);
    const deploy = decodeKubeProtobuf(
      body('apps/v1', 'Deployment', [
        meta(len(1, 'd')),
        len(2, num(1, 0), num(7, false), len(3, len(2, len(2, container), len(1, len(1, 'scratch'), len(2, len(2))))), len(4, len(1, 'RollingUpdate'), len(2, len(1, intOrString(0)), len(2, intOrString('25%'))))),
      ]),
    );
    assert.deepEqual(deploy.spec, {
      replicas: 0,
      template: {
        spec: {
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [
            {
              name: 'app',
              image: 'nginx',
              ports: [{ containerPort: 0 }],
              resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
            },
          ],
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
    });
  });

  it('bytes maps as base64, string maps as objects, labels and annotations, FieldsV1 as JSON', () => {
    const secret = decodeKubeProtobuf(
      body('v1', 'Secret', [
        meta(
          len(1, 's'),
          entry(11, 'app', 'x'),
          entry(11, 'tier', ''),
          entry(12, 'note', 'a=b'),
          len(17, len(1, 'kubectl'), len(2, 'Update'), len(3, 'v1'), len(4, num(1, 1704164645)), len(6, 'FieldsV1'), len(7, len(1, '{"f:data":{"f:p":{}}}'))),
        ),
        entry(2, 'p', Buffer.from([0, 1, 2, 255])),
        entry(2, 'empty', Buffer.alloc(0)),
        len(3, 'Opaque'),
        entry(4, 'plain', 'text'),
        num(5, false),
      ]),
    );
    assert.deepEqual(secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        labels: { app: 'x', tier: '' },
        annotations: { note: 'a=b' },
        managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:p': {} } } }],
      },
      data: { p: 'AAEC/w==', empty: '' },
      type: 'Opaque',
      stringData: { plain: 'text' },
      immutable: false,
    });
    const cm = decodeKubeProtobuf(body('v1', 'ConfigMap', [meta(len(1, 'c')), entry(2, 'k', 'v'), entry(3, 'bin', Buffer.from('hi'))]));
    assert.deepEqual(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' }, binaryData: { bin: 'aGk=' } });
  });

  it('Eviction with DeleteOptions, DeleteOptions in any group version, TokenRequest with its renamed uid field', () => {
    const eviction = decodeKubeProtobuf(body('policy/v1', 'Eviction', [meta(len(1, 'p'), len(3, 'default')), len(2, num(1, 0), len(2, len(1, 'u-1'), len(2, '42')), len(4, 'Foreground'), len(5, 'All'))]));
    assert.deepEqual(eviction, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p', namespace: 'default' },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u-1', resourceVersion: '42' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
    });
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      assert.deepEqual(decodeKubeProtobuf(body(apiVersion, 'DeleteOptions', [num(3, true)])), { apiVersion, kind: 'DeleteOptions', orphanDependents: true });
    }
    const token = decodeKubeProtobuf(body('authentication.k8s.io/v1', 'TokenRequest', [meta(), len(2, len(1, 'api'), num(4, 3600), len(3, len(1, 'Pod'), len(2, 'v1'), len(3, 'p'), len(4, 'u-2')))]));
    assert.deepEqual(token, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { audiences: ['api'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u-2' } } });
  });

  it('negative and large int64 values, unknown fields skipped, an empty raw as an empty object', () => {
    const pod = decodeKubeProtobuf(body('v1', 'Pod', [meta(len(1, 'p')), len(2, num(4, -1), num(5, 2 ** 40), len(99, 'future field'))]));
    assert.deepEqual(pod.spec, { terminationGracePeriodSeconds: -1, activeDeadlineSeconds: 2 ** 40 });
    assert.deepEqual(decodeKubeProtobuf(body('v1', 'Namespace', [])), { apiVersion: 'v1', kind: 'Namespace' });
  });

  it('refuses what it cannot decode, saying why', () => {
    const cases: [string, Bytes, RegExp, boolean][] = [
      ['JSON', Buffer.from('{"kind":"ConfigMap"}'), /does not start with the Kubernetes prefix/, false],
      ['too short', Buffer.from('k8s'), /does not start with the Kubernetes prefix/, false],
      ['unknown kind', body('v1', 'Widget', []), /no protobuf decoding for apiVersion "v1", kind "Widget"/, true],
      ['a message that is not a kind', body('v1', 'Container', []), /no protobuf decoding for apiVersion "v1", kind "Container"/, true],
      ['unknown group version', body('example.com/v1', 'ConfigMap', []), /no protobuf decoding for apiVersion "example.com\/v1", kind "ConfigMap"/, true],
      ['a group version named like an Object property', body('constructor', 'DeleteOptions', []), /no protobuf decoding for apiVersion "constructor"/, true],
      ['no type meta', Buffer.concat([Buffer.from('k8s\0', 'latin1'), len(2, '')]), /does not name its apiVersion and kind/, false],
      ['truncated envelope', body('v1', 'ConfigMap', [meta(len(1, 'c'))]).subarray(0, 20), /the runtime.Unknown envelope of the protobuf body does not decode as k8s.io.apimachinery.pkg.runtime.Unknown/, false],
      ['truncated object', body('v1', 'ConfigMap', [Buffer.from([0x0a, 0x10, 0x0a])]), /the ConfigMap in the protobuf body does not decode as k8s.io.api.core.v1.ConfigMap/, false],
      ['bad wire type', body('v1', 'ConfigMap', [Buffer.from([0x0f])]), /the ConfigMap in the protobuf body does not decode/, false],
      ['gzip', body('v1', 'ConfigMap', [], len(3, 'gzip')), /content encoding "gzip"/, true],
      ['JSON raw', body('v1', 'ConfigMap', [], len(4, 'application/json')), /content type "application\/json"/, true],
      ['FieldsV1 not JSON', body('v1', 'ConfigMap', [meta(len(17, len(7, len(1, '{nope'))))]), /a FieldsV1 in the protobuf body does not hold JSON/, false],
    ];
    for (const [name, bytes, message, unsupported] of cases) {
      assert.throws(() => decodeKubeProtobuf(bytes), (e: unknown) => e instanceof KubeProtobufError && message.test(e.message) && e.unsupported === unsupported, name);
    }
  });
});

// ---------------------------------------------------------------------------
// The real kubectl against a stand-in server that records what it is sent.

const hasKubectl = ((): boolean => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  readonly accept: string;
  readonly body: Buffer;
}

const resource = (name: string, kind: string, namespaced: boolean, extra: Record<string, unknown> = {}) => ({
  name,
  singularName: name.includes('/') ? '' : kind.toLowerCase(),
  namespaced,
  kind,
  verbs: name.includes('/') ? ['create'] : ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  ...extra,
});
const RESOURCES: Record<string, object[]> = {
  v1: [
    resource('namespaces', 'Namespace', false),
    resource('configmaps', 'ConfigMap', true),
    resource('secrets', 'Secret', true),
    resource('services', 'Service', true),
    resource('serviceaccounts', 'ServiceAccount', true),
    resource('serviceaccounts/token', 'TokenRequest', true, { group: 'authentication.k8s.io', version: 'v1' }),
    resource('nodes', 'Node', false),
    resource('pods', 'Pod', true),
    resource('pods/eviction', 'Eviction', true, { group: 'policy', version: 'v1' }),
  ],
  'apps/v1': [resource('deployments', 'Deployment', true)],
  'batch/v1': [resource('jobs', 'Job', true)],
  'scheduling.k8s.io/v1': [resource('priorityclasses', 'PriorityClass', false)],
  'policy/v1': [],
  'authentication.k8s.io/v1': [],
};

const NODE = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'node-uid', resourceVersion: '5' }, spec: {} };
const POD = {
  metadata: { name: 'p1', namespace: 'default', uid: 'pod-uid', resourceVersion: '7', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true }] },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running' },
};

/** The stand-in API server: discovery, a node and a pod for drain, and 201 with the decoded object for every POST. */
function answer(req: IncomingMessage, res: ServerResponse, body: Buffer, recorded: Recorded[]): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const json = (code: number, obj: unknown): void => void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
  recorded.push({ method: req.method ?? '', path: url.pathname, contentType: req.headers['content-type'] ?? '', accept: req.headers.accept ?? '', body });
  const p = url.pathname;
  if (req.method === 'GET') {
    if (p === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (p === '/apis') {
      const groups = Object.keys(RESOURCES)
        .filter((gv) => gv.includes('/'))
        .map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: 'v1' }], preferredVersion: { groupVersion: gv, version: 'v1' } }));
      return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const gv = p === '/api/v1' ? 'v1' : p.replace(/^\/apis\//, '');
    if (RESOURCES[gv]) return json(200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: RESOURCES[gv] });
    if (p === '/api/v1/nodes/n1') return json(200, NODE);
    if (p === '/api/v1/pods') return json(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [POD] });
    return json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 });
  }
  if (req.method === 'PATCH' && p === '/api/v1/nodes/n1') return json(200, { ...NODE, spec: { unschedulable: true } });
  if (req.method === 'POST') {
    let obj: any;
    try {
      obj = req.headers['content-type'] === 'application/json' ? JSON.parse(body.toString()) : decodeKubeProtobuf(body);
    } catch (e) {
      return json(415, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(e), reason: 'UnsupportedMediaType', code: 415 });
    }
    if (obj.kind === 'TokenRequest') obj.status = { token: 'the-token', expirationTimestamp: '2030-01-01T00:00:00Z' };
    const ns = /\/namespaces\/([^/]+)\//.exec(p)?.[1];
    obj.metadata = { ...obj.metadata, ...(ns ? { namespace: ns } : {}), uid: 'new-uid', resourceVersion: '10', creationTimestamp: '2024-01-02T03:04:05Z' };
    return json(201, obj);
  }
  json(405, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not allowed', reason: 'MethodNotAllowed', code: 405 });
}

/** Drops `creationTimestamp: null`, which the JSON form carries for a zero Time and the decoder leaves out. */
function withoutNullTimes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullTimes);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (k === 'creationTimestamp' && x === null ? [] : [[k, withoutNullTimes(x)]])));
}

describe('decodeKubeProtobuf: what the real kubectl sends', { skip: hasKubectl ? false : 'kubectl is not installed' }, () => {
  let server: Server;
  let dir: string;
  const recorded: Recorded[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => answer(req, res, Buffer.concat(chunks), recorded));
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    dir = mkdtempSync(join(tmpdir(), 'kubeling-protobuf-'));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters: [{name: k, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: k, context: {cluster: k, user: u, namespace: default}}]\ncurrent-context: k\n`,
    );
  });
  after(async () => {
    await new Promise((res) => server.close(res));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]): Promise<string> =>
    new Promise((res, rej) => {
      execFile('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], (err, stdout, stderr) => {
        if (err) rej(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
        else res(stdout);
      });
    });
  /** Runs a command and returns the requests it POSTed. */
  const posted = async (...args: string[]): Promise<Recorded[]> => {
    const from = recorded.length;
    await kubectl(...args);
    return recorded.slice(from).filter((r) => r.method === 'POST');
  };
  /** Runs a command and returns the protobuf bodies it POSTed, checking their Content-Type and Accept. */
  const postedProtobuf = async (...args: string[]): Promise<Recorded[]> => {
    const posts = await posted(...args);
    for (const r of posts) {
      assert.equal(r.contentType, 'application/vnd.kubernetes.protobuf', `${args.join(' ')} sends protobuf`);
      assert.equal(r.accept, 'application/vnd.kubernetes.protobuf,application/json');
    }
    return posts;
  };

  const creates: [string, string[]][] = [
    ['configmap', ['create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=n=1']],
    ['secret generic', ['create', 'secret', 'generic', 's', '--from-literal=p=q']],
    ['secret docker-registry', ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example.com', '--docker-username=u', '--docker-password=pw']],
    ['deployment', ['create', 'deployment', 'd', '--image=nginx:1.27', '--replicas=2', '--port=80']],
    ['namespace', ['create', 'namespace', 'n']],
    ['service nodeport', ['create', 'service', 'nodeport', 'svc', '--tcp=80:8080']],
    ['service clusterip', ['create', 'service', 'clusterip', 'cip', '--tcp=443:8443', '--tcp=80']],
    ['serviceaccount', ['create', 'serviceaccount', 'sa']],
    ['job', ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi']],
    ['priorityclass', ['create', 'priorityclass', 'pc', '--value=1000', '--description=important']],
  ];
  for (const [name, args] of creates) {
    it(`kubectl create ${name}: the decoded body is the object kubectl writes as JSON`, async () => {
      const [post, ...more] = await postedProtobuf(...args);
      assert.ok(post, 'one POST');
      assert.equal(more.length, 0);
      const asJson = JSON.parse(await kubectl(...args.slice(0, args.indexOf('--') < 0 ? args.length : args.indexOf('--')), '--dry-run=client', '-o', 'json', ...(args.includes('--') ? args.slice(args.indexOf('--')) : [])));
      assert.deepEqual(decodeKubeProtobuf(post.body), withoutNullTimes(asJson));
    });
  }

  it('kubectl create token: a TokenRequest', async () => {
    const [post] = await postedProtobuf('create', 'token', 'sa', '--audience=api', '--duration=1h', '--bound-object-kind=Pod', '--bound-object-name=p1', '--bound-object-uid=pod-uid');
    assert.equal(post?.path, '/api/v1/namespaces/default/serviceaccounts/sa/token');
    assert.deepEqual(decodeKubeProtobuf(post.body), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['api'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: 'pod-uid' } },
      status: { token: '' }, // a Go string without omitempty: the JSON form carries it too
    });
  });

  it('kubectl drain: its Eviction comes as JSON (kubectl 1.32), so the decoder is not needed there', async () => {
    const posts = await posted('drain', 'n1', '--grace-period=5', '--timeout=20s');
    assert.deepEqual(
      posts.map((r) => [r.path, r.contentType, JSON.parse(r.body.toString())]),
      [
        [
          '/api/v1/namespaces/default/pods/p1/eviction',
          'application/json',
          { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'default', creationTimestamp: null }, deleteOptions: { gracePeriodSeconds: 5 } },
        ],
      ],
    );
  });
});
