import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../test/cluster.js';
import { until } from '../../test/proc.js';
import { CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS, PkiError, initPki, type PkiFile } from './pki.js';
import { clientTls } from './tls.js';

const HOST = 'node-1';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY = 86_400_000;

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeling-pki-'));
  temps.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

const cert = async (dir: string, name: string) => new X509Certificate(await readFile(join(dir, `${name}.crt`)));
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Every file under dir, relative, sorted. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const PAIRS = [
  'ca',
  'apiserver',
  'apiserver-kubelet-client',
  'admin',
  'front-proxy-ca',
  'front-proxy-client',
  'etcd/ca',
  'etcd/server',
  'etcd/peer',
  'etcd/healthcheck-client',
  'apiserver-etcd-client',
];
const ALL_FILES = [...PAIRS.flatMap((p) => [`${p}.crt`, `${p}.key`]), 'sa.key', 'sa.pub'];

/** What each certificate must be: issuer, subject, EKUs, SANs. */
const EXPECTED: Record<string, { ca: string; subject: string; ekus: string[]; dns?: string[]; ips?: string[] }> = {
  ca: { ca: 'ca', subject: 'CN=kubernetes', ekus: [] },
  'front-proxy-ca': { ca: 'front-proxy-ca', subject: 'CN=front-proxy-ca', ekus: [] },
  'etcd/ca': { ca: 'etcd/ca', subject: 'CN=etcd-ca', ekus: [] },
  apiserver: {
    ca: 'ca',
    subject: 'CN=kube-apiserver',
    ekus: [SERVER_AUTH],
    dns: [HOST, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
    ips: ['127.0.0.1', '::1', '10.96.0.1'],
  },
  'apiserver-kubelet-client': { ca: 'ca', subject: 'O=system:masters\nCN=kube-apiserver-kubelet-client', ekus: [CLIENT_AUTH] },
  admin: { ca: 'ca', subject: 'O=system:masters\nCN=kubernetes-admin', ekus: [CLIENT_AUTH] },
  'front-proxy-client': { ca: 'front-proxy-ca', subject: 'CN=front-proxy-client', ekus: [CLIENT_AUTH] },
  'etcd/server': { ca: 'etcd/ca', subject: `CN=${HOST}`, ekus: [SERVER_AUTH, CLIENT_AUTH], dns: [HOST, 'localhost'], ips: ['127.0.0.1', '::1'] },
  'etcd/peer': { ca: 'etcd/ca', subject: `CN=${HOST}`, ekus: [SERVER_AUTH, CLIENT_AUTH], dns: [HOST, 'localhost'], ips: ['127.0.0.1', '::1'] },
  'etcd/healthcheck-client': { ca: 'etcd/ca', subject: 'CN=kube-etcd-healthcheck-client', ekus: [CLIENT_AUTH] },
  'apiserver-etcd-client': { ca: 'etcd/ca', subject: 'CN=kube-apiserver-etcd-client', ekus: [CLIENT_AUTH] },
};

describe('initPki: a fresh PKI (RSA 2048, the default)', () => {
  let dir = '';
  let files: PkiFile[] = [];
  before(async () => {
    dir = await tempDir();
    files = await initPki(dir, { hostname: HOST });
  });

  it("writes kubeadm's layout and nothing else, keys 0600, certificates 0644", async () => {
    assert.deepEqual(files.map((f) => f.name).sort(), [...ALL_FILES].sort());
    assert.ok(files.every((f) => f.status === 'created' && f.path === join(dir, f.name) && f.warnings.length === 0));
    assert.deepEqual(await listing(dir), [...ALL_FILES].sort()); // no temporary files left behind
    for (const name of ALL_FILES) {
      const mode = (await stat(join(dir, name))).mode & 0o777;
      assert.equal(mode, name.endsWith('.key') ? 0o600 : 0o644, name);
    }
    for (const p of PAIRS) {
      assert.match(await readFile(join(dir, `${p}.crt`), 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
      assert.match(await readFile(join(dir, `${p}.key`), 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----\n/);
    }
    assert.match(await readFile(join(dir, 'sa.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('keys are RSA 2048 and match their certificates; sa.pub is sa.key’s public half', async () => {
    for (const p of PAIRS) {
      const key = createPrivateKey(await readFile(join(dir, `${p}.key`)));
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048, p);
      assert.ok((await cert(dir, p)).checkPrivateKey(key), p);
    }
    const sa = createPrivateKey(await readFile(join(dir, 'sa.key')));
    assert.equal(sa.asymmetricKeyType, 'rsa');
    const pub = createPublicKey(await readFile(join(dir, 'sa.pub')));
    assert.ok(createPublicKey(sa).equals(pub));
  });

  it('every certificate verifies against its CA only (Node), and openssl verify agrees', async () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const c = await cert(dir, name);
      for (const ca of ['ca', 'front-proxy-ca', 'etcd/ca']) {
        const caCert = await cert(dir, ca);
        const issued = c.checkIssued(caCert) && c.verify(caCert.publicKey);
        assert.equal(issued, ca === want.ca, `${name} issued by ${ca}`);
      }
      assert.match(openssl('verify', '-CAfile', join(dir, `${want.ca}.crt`), join(dir, `${name}.crt`)), /: OK\n$/, name);
      const other = want.ca === 'etcd/ca' ? 'ca' : 'etcd/ca';
      assert.throws(() => openssl('verify', '-CAfile', join(dir, `${other}.crt`), join(dir, `${name}.crt`)), name);
    }
    // openssl's purpose checks: server certificates for TLS servers, client certificates for TLS clients
    for (const [name, ca, purpose] of [
      ['apiserver', 'ca', 'sslserver'],
      ['etcd/server', 'etcd/ca', 'sslserver'],
      ['etcd/peer', 'etcd/ca', 'sslserver'],
      ['etcd/peer', 'etcd/ca', 'sslclient'],
      ['apiserver-etcd-client', 'etcd/ca', 'sslclient'],
      ['admin', 'ca', 'sslclient'],
    ] as const) {
      assert.match(openssl('verify', '-purpose', purpose, '-CAfile', join(dir, `${ca}.crt`), join(dir, `${name}.crt`)), /OK/);
    }
    assert.throws(() => openssl('verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'etcd/ca.crt'), join(dir, 'apiserver-etcd-client.crt')));
  });

  it('subjects, extended key usages, SANs and validity are as kubeadm’s', async () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const c = await cert(dir, name);
      const isCA = want.ca === name;
      assert.equal(c.subject, want.subject, name);
      assert.equal(c.ca, isCA, name);
      assert.deepEqual(c.keyUsage ?? [], want.ekus, name);
      for (const d of want.dns ?? []) assert.equal(c.checkHost(d, { wildcards: false }), d, `${name} ${d}`);
      for (const ip of want.ips ?? []) assert.equal(c.checkIP(ip), ip, `${name} ${ip}`);
      if (!want.dns) assert.equal(c.subjectAltName, undefined, name);
      assert.equal(c.checkHost('example.com'), undefined);
      const from = Date.parse(c.validFrom);
      const to = Date.parse(c.validTo);
      assert.ok(from <= Date.now() && from > Date.now() - 10 * 60_000, `${name} valid from now, with a little backdating`);
      const days = (to - Date.now()) / DAY;
      assert.ok(Math.abs(days - (isCA ? CA_VALIDITY_DAYS : LEAF_VALIDITY_DAYS)) < 1, `${name}: ${days} days`);
    }
  });

  it('key usages and basic constraints are critical: CAs sign certificates, leaves sign and encipher', async () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const exts = 'keyUsage,basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier';
      const text = openssl('x509', '-in', join(dir, `${name}.crt`), '-noout', '-ext', exts);
      const isCA = want.ca === name;
      assert.match(text, /Key Usage: critical\n\s+Digital Signature, Key Encipherment(, Certificate Sign)?\n/, name);
      assert.equal(text.includes('Certificate Sign'), isCA, name);
      assert.match(text, isCA ? /Basic Constraints: critical\n\s+CA:TRUE\n/ : /Basic Constraints: critical\n\s+CA:FALSE\n/, name);
      // the authority key id is the issuer's subject key id
      const caText = openssl('x509', '-in', join(dir, `${want.ca}.crt`), '-noout', '-ext', 'subjectKeyIdentifier');
      const skid = /Identifier:\s*\n\s+([0-9A-F:]+)/.exec(caText)?.[1];
      assert.ok(skid && text.includes(`Authority Key Identifier: \n    ${skid}`), name);
    }
  });
});

describe('initPki: options', () => {
  it('ECDSA P-256 keys on request (sa.key stays RSA); --san goes to the three server certificates only', async () => {
    const dir = await tempDir();
    await initPki(dir, { hostname: HOST, keyAlgorithm: 'ecdsa', sans: ['api.example.com', '10.0.0.5', 'fd00::5', ' API.example.com '] });
    for (const p of PAIRS) {
      const key = createPrivateKey(await readFile(join(dir, `${p}.key`)));
      assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1', p);
      assert.match(await readFile(join(dir, `${p}.key`), 'utf8'), /^-----BEGIN EC PRIVATE KEY-----\n/);
      assert.match(openssl('verify', '-CAfile', join(dir, `${EXPECTED[p]?.ca ?? ''}.crt`), join(dir, `${p}.crt`)), /OK/);
    }
    assert.equal(createPrivateKey(await readFile(join(dir, 'sa.key'))).asymmetricKeyType, 'rsa');
    for (const p of ['apiserver', 'etcd/server', 'etcd/peer']) {
      const c = await cert(dir, p);
      assert.equal(c.checkHost('api.example.com'), 'api.example.com', p);
      assert.equal(c.checkIP('10.0.0.5'), '10.0.0.5', p);
      assert.equal(c.checkIP('fd00::5'), 'fd00::5', p);
      assert.equal((c.subjectAltName?.match(/api\.example\.com/g) ?? []).length, 1, 'deduplicated');
    }
    for (const p of ['apiserver-etcd-client', 'admin', 'etcd/healthcheck-client']) {
      assert.equal((await cert(dir, p)).subjectAltName, undefined, p);
    }
    // ECDSA leaves: no keyEncipherment (meaningless for EC keys)
    assert.match(openssl('x509', '-in', join(dir, 'etcd/server.crt'), '-noout', '-ext', 'keyUsage'), /critical\n\s+Digital Signature\n/);
  });

  it('refuses a --san that is neither a DNS name nor an IP, or a bad hostname, writing nothing', async () => {
    const dir = await tempDir();
    await assert.rejects(initPki(dir, { sans: ['bad name!'] }), (e: unknown) => e instanceof PkiError && /--san "bad name!"/.test(e.message));
    await assert.rejects(initPki(dir, { hostname: 'under score?' }), /hostname "under score\?" is not a valid DNS name/);
    assert.deepEqual(await listing(dir), []);
  });
});

describe('initPki: idempotence and --force', () => {
  /** Every file's content (null: missing). */
  const snapshot = async (dir: string) =>
    Object.fromEntries(await Promise.all(ALL_FILES.map(async (f) => [f, await readFile(join(dir, f), 'utf8').catch(() => null)] as const)));

  it('a second init keeps every file byte for byte; a third makes only what was removed, under the existing CAs', async () => {
    const dir = await tempDir();
    await initPki(dir, { hostname: HOST, keyAlgorithm: 'ecdsa' });
    const first = await snapshot(dir);

    const again = await initPki(dir, { hostname: HOST, keyAlgorithm: 'ecdsa' });
    assert.ok(again.every((f) => f.status === 'kept'));
    assert.deepEqual(await snapshot(dir), first);

    await unlink(join(dir, 'apiserver.crt'));
    await unlink(join(dir, 'apiserver.key'));
    await unlink(join(dir, 'etcd/peer.crt')); // a key without its certificate is replaced with the pair
    await unlink(join(dir, 'sa.pub')); // rewritten from sa.key
    const third = await initPki(dir, { hostname: HOST, keyAlgorithm: 'ecdsa' });
    const made = third.filter((f) => f.status !== 'kept').map((f) => f.name);
    assert.deepEqual(made.sort(), ['apiserver.crt', 'apiserver.key', 'etcd/peer.crt', 'etcd/peer.key', 'sa.pub']);
    const now = await snapshot(dir);
    for (const f of ALL_FILES) if (!made.includes(f)) assert.equal(now[f], first[f], f);
    assert.equal(now['sa.pub'], first['sa.pub']);
    assert.match(openssl('verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'apiserver.crt')), /OK/);
    assert.match(openssl('verify', '-CAfile', join(dir, 'etcd/ca.crt'), join(dir, 'etcd/peer.crt')), /OK/);
  });

  it('--force regenerates everything, CAs included', async () => {
    const dir = await tempDir();
    await initPki(dir, { keyAlgorithm: 'ecdsa' });
    const first = await snapshot(dir);
    const forced = await initPki(dir, { keyAlgorithm: 'ecdsa', force: true });
    assert.ok(forced.every((f) => f.status === 'regenerated'));
    const now = await snapshot(dir);
    for (const f of ALL_FILES) assert.notEqual(now[f], first[f], f);
    assert.match(openssl('verify', '-CAfile', join(dir, 'etcd/ca.crt'), join(dir, 'apiserver-etcd-client.crt')), /OK/);
    assert.deepEqual(await listing(dir), [...ALL_FILES].sort());
  });

  it('warns about a kept server certificate that lacks a newly requested SAN', async () => {
    const dir = await tempDir();
    await initPki(dir, { keyAlgorithm: 'ecdsa' });
    const files = await initPki(dir, { keyAlgorithm: 'ecdsa', sans: ['10.1.2.3'] });
    const warned = files.filter((f) => f.warnings.length > 0).map((f) => f.name);
    assert.deepEqual(warned, ['apiserver.crt', 'apiserver.key', 'etcd/server.crt', 'etcd/server.key', 'etcd/peer.crt', 'etcd/peer.key']);
    assert.match(files.find((f) => f.name === 'apiserver.crt')?.warnings[0] ?? '', /^apiserver\.crt lacks SAN 10\.1\.2\.3: use --force/);
  });

  it('refuses, before writing anything, what it must not paper over', async () => {
    const dir = await tempDir();
    await initPki(dir, { keyAlgorithm: 'ecdsa' });
    const foreign = await tempDir();
    await initPki(foreign, { keyAlgorithm: 'ecdsa' });
    const refuses = async (re: RegExp) => {
      const before = await snapshot(dir);
      await assert.rejects(initPki(dir, { keyAlgorithm: 'ecdsa' }), (e: unknown) => e instanceof PkiError && re.test(e.message));
      assert.deepEqual(await snapshot(dir), before);
      assert.deepEqual((await listing(dir)).filter((f) => f.endsWith('.tmp')), []);
    };

    // a certificate whose key is gone
    const key = await readFile(join(dir, 'admin.key'));
    await unlink(join(dir, 'admin.key'));
    await refuses(/^admin\.crt exists but admin\.key does not/);
    await writeFile(join(dir, 'admin.key'), key, { mode: 0o600 });

    // a key that is not the certificate's
    await copyFile(join(dir, 'apiserver.key'), join(dir, 'admin.key'));
    await refuses(/^admin\.crt and admin\.key do not match/);
    await writeFile(join(dir, 'admin.key'), key, { mode: 0o600 });

    // a certificate from another CA
    const [crt, k] = await Promise.all([readFile(join(dir, 'admin.crt')), readFile(join(dir, 'admin.key'))]);
    await copyFile(join(foreign, 'admin.crt'), join(dir, 'admin.crt'));
    await copyFile(join(foreign, 'admin.key'), join(dir, 'admin.key'));
    await refuses(/^admin\.crt was not issued by ca\.crt/);
    await writeFile(join(dir, 'admin.crt'), crt);
    await writeFile(join(dir, 'admin.key'), k, { mode: 0o600 });

    // a service account key that cannot sign RS256 tokens
    const sa = await readFile(join(dir, 'sa.key'));
    await copyFile(join(dir, 'admin.key'), join(dir, 'sa.key'));
    await unlink(join(dir, 'apiserver.crt')); // something to make, were the check late
    await refuses(/^sa\.key is not an RSA key/);
    await writeFile(join(dir, 'sa.key'), sa, { mode: 0o600 });
    await unlink(join(dir, 'apiserver.key'));

    // a missing CA whose certificates remain: a new CA would not have issued them
    await unlink(join(dir, 'etcd/ca.crt'));
    await assert.rejects(
      initPki(dir, { keyAlgorithm: 'ecdsa' }),
      /etcd\/ca\.crt is missing but etcd\/server\.crt, .*apiserver-etcd-client\.crt exist/,
    );
    assert.ok(!existsSync(join(dir, 'etcd/ca.crt')));

    // --force is the way out
    const forced = await initPki(dir, { keyAlgorithm: 'ecdsa', force: true });
    assert.equal(forced.length, ALL_FILES.length);
    assert.match(openssl('verify', '-CAfile', join(dir, 'etcd/ca.crt'), join(dir, 'etcd/server.crt')), /OK/);
  });
});

// ---- the real etcd 3.4 with these certificates ----

const execFileAsync = promisify(execFile);

/** Free loopback ports, below the ephemeral range (test/cluster.ts's freePort: an outgoing connection cannot take one before etcd binds it). */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

describe('the real etcd 3.4 accepts the PKI', () => {
  let pki = '';
  let foreign = '';
  const members: { name: string; client: string; peer: string; proc?: ChildProcess; log: string[] }[] = [];

  before(async () => {
    pki = await tempDir();
    foreign = await tempDir();
    await Promise.all([initPki(pki), initPki(foreign, { keyAlgorithm: 'ecdsa' })]);
    const data = await tempDir();
    const ports = await freePorts(6);
    for (let i = 0; i < 3; i++) {
      members.push({ name: `m${i + 1}`, client: `https://127.0.0.1:${ports[2 * i]}`, peer: `https://127.0.0.1:${ports[2 * i + 1]}`, log: [] });
    }
    const cluster = members.map((m) => `${m.name}=${m.peer}`).join(',');
    const f = (name: string) => join(pki, name);
    for (const m of members) {
      m.proc = spawn(
        'etcd',
        [
          `--name=${m.name}`,
          `--data-dir=${join(data, m.name)}`,
          `--listen-client-urls=${m.client}`,
          `--advertise-client-urls=${m.client}`,
          `--listen-peer-urls=${m.peer}`,
          `--initial-advertise-peer-urls=${m.peer}`,
          `--initial-cluster=${cluster}`,
          '--initial-cluster-state=new',
          '--initial-cluster-token=kubeling-pki-test',
          `--cert-file=${f('etcd/server.crt')}`,
          `--key-file=${f('etcd/server.key')}`,
          `--trusted-ca-file=${f('etcd/ca.crt')}`,
          '--client-cert-auth',
          `--peer-cert-file=${f('etcd/peer.crt')}`,
          `--peer-key-file=${f('etcd/peer.key')}`,
          `--peer-trusted-ca-file=${f('etcd/ca.crt')}`,
          '--peer-client-cert-auth',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      m.proc.stderr?.on('data', (chunk: Buffer) => m.log.push(chunk.toString()));
    }
    // ready when every member reports healthy (a quorum read through each, over client TLS)
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await etcdctl(pki, ['endpoint', 'health'], { endpoints: members.map((m) => m.client) });
      if (r.ok) break;
      const dead = members.find((m) => m.proc?.exitCode !== null);
      if (dead || Date.now() > deadline) {
        throw new Error(`etcd did not become healthy: ${r.out}\n${members.map((m) => `${m.name}:\n${m.log.join('').slice(-2000)}`).join('\n')}`);
      }
      await new Promise((res) => setTimeout(res, 200)); // poll interval
    }
  });

  after(async () => {
    // one at a time: a leader stopping hands leadership to a live member at once, where
    // stopping all together leaves it waiting out the transfer timeout (7 s)
    for (const m of members) {
      const p = m.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((res) => p.once('exit', res));
      p.kill('SIGTERM'); // this child's pid only
      const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  });

  it('etcdctl with apiserver-etcd-client puts through one member and reads the value back through another', async () => {
    const put = await etcdctl(pki, ['put', '/registry/configmaps/default/pki', 'hello'], { endpoints: [members[0]?.client ?? ''] });
    assert.ok(put.ok, put.out);
    assert.equal(put.out.trim(), 'OK');
    const get = await etcdctl(pki, ['get', '/registry/configmaps/default/pki', '--print-value-only'], { endpoints: [members[2]?.client ?? ''] });
    assert.ok(get.ok, get.out);
    assert.equal(get.out.trim(), 'hello');
    const list = await etcdctl(pki, ['member', 'list'], { endpoints: [members[1]?.client ?? ''] });
    assert.equal(list.out.trim().split('\n').filter((l) => l.includes(', started, ')).length, 3, list.out);
  });

  it('etcdctl with the healthcheck client certificate is accepted too', async () => {
    const r = await etcdctl(pki, ['get', '/registry/configmaps/default/pki', '--print-value-only'], {
      endpoints: [members[1]?.client ?? ''],
      cert: 'etcd/healthcheck-client',
    });
    assert.ok(r.ok, r.out);
    assert.equal(r.out.trim(), 'hello');
  });

  it('etcdctl without a client certificate, or with one from another CA, is refused', async () => {
    // a refused handshake makes etcdctl retry until its timeout; etcd's log says why it refused
    const endpoints = [members[0]?.client ?? ''];
    const [none, other] = await Promise.all([
      etcdctl(pki, ['get', 'x'], { endpoints, cert: null, timeout: '1s' }),
      etcdctl(pki, ['get', 'x'], { endpoints, certDir: foreign, timeout: '1s' }),
    ]);
    assert.ok(!none.ok, none.out);
    assert.ok(!other.ok, other.out);
    // etcd's log is read as it comes: wait for both refusals to be in it
    const log = await until('both refusals in etcd\'s log', () => {
      const l = members[0]?.log.join('') ?? '';
      return /client didn't provide a certificate/.test(l) && /certificate signed by unknown authority/.test(l) ? l : undefined;
    });
    assert.match(log, /client didn't provide a certificate/);
    assert.match(log, /certificate signed by unknown authority/);
  });

  it('tls.ts client options reach etcd over HTTPS (GET /version) and are refused without the certificate', async () => {
    const files = {
      caFile: join(pki, 'etcd/ca.crt'),
      certFile: join(pki, 'apiserver-etcd-client.crt'),
      keyFile: join(pki, 'apiserver-etcd-client.key'),
    };
    const body = await httpsGet(`${members[0]?.client ?? ''}/version`, clientTls(files));
    assert.match(body, /"etcdserver":"3\.4\./);
    await assert.rejects(httpsGet(`${members[0]?.client ?? ''}/version`, clientTls({ caFile: files.caFile })));
  });
});

/** Runs etcdctl (v3 API) with etcd/ca.crt and a client certificate (default apiserver-etcd-client; null: none). */
async function etcdctl(
  pki: string,
  args: string[],
  opts: { endpoints: string[]; cert?: string | null; certDir?: string; timeout?: string },
): Promise<{ ok: boolean; out: string }> {
  const certName = opts.cert === undefined ? 'apiserver-etcd-client' : opts.cert;
  const certDir = opts.certDir ?? pki;
  const tls = [`--cacert=${join(pki, 'etcd/ca.crt')}`];
  if (certName !== null) tls.push(`--cert=${join(certDir, `${certName}.crt`)}`, `--key=${join(certDir, `${certName}.key`)}`);
  const timeouts = [`--dial-timeout=${opts.timeout ?? '5s'}`, `--command-timeout=${opts.timeout ?? '10s'}`];
  const argv = [`--endpoints=${opts.endpoints.join(',')}`, ...tls, ...timeouts, ...args];
  try {
    const { stdout } = await execFileAsync('etcdctl', argv, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 15_000 });
    return { ok: true, out: stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? err.message}` };
  }
}

function httpsGet(url: string, tls: ReturnType<typeof clientTls>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
