/**
 * A cluster's PKI in kubeadm's layout (what `kubeadm init phase certs all`
 * writes to /etc/kubernetes/pki), plus an admin client certificate for
 * kubeconfigs:
 *
 * ```
 *  ca (CN kubernetes) ──────┬─ apiserver                 server auth, the Service and loopback SANs
 *                           ├─ apiserver-kubelet-client  client auth, O system:masters
 *                           └─ admin                     client auth, CN kubernetes-admin, O system:masters
 *  front-proxy-ca ──────────── front-proxy-client        client auth
 *  etcd/ca (CN etcd-ca) ────┬─ etcd/server, etcd/peer    server + client auth, CN and SAN the hostname
 *                           ├─ etcd/healthcheck-client   client auth
 *                           └─ apiserver-etcd-client     client auth
 *  sa.key / sa.pub                                       RSA pair that signs service account tokens
 * ```
 *
 * CAs last 10 years, the rest 1 year. Keys are RSA 2048 (kubeadm's default) or
 * ECDSA P-256, written as kubeadm does (PKCS#1 / SEC1 PEM, mode 0600);
 * certificates are PEM, mode 0644. Each file is written to a temporary name
 * and renamed, so a crash leaves either the old file or the new one.
 *
 * Certificates are built here with a small DER encoder and signed with
 * node:crypto (no global Reflect polyfill, which @peculiar/x509 would need).
 * Go's strict parser (etcd), OpenSSL and Node's X509Certificate all read them;
 * the tests check each.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { isIP, isIPv4 } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** Lifetime of the three CAs, as kubeadm. */
export const CA_VALIDITY_DAYS = 3650;
/** Lifetime of every other certificate, as kubeadm. */
export const LEAF_VALIDITY_DAYS = 365;
/** The `kubernetes` Service's ClusterIP (the first address of kubeadm's default 10.96.0.0/12). */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

/** Key type for new keys. sa.key is RSA 2048 whatever this says (service account tokens are RS256). */
export type KeyAlgorithm = 'rsa' | 'ecdsa';

/** Options of {@link initPki}. */
export interface PkiOptions {
  /** Regenerate every file, existing or not (old keys and certificates are replaced). */
  readonly force?: boolean;
  /** Extra DNS names and IP addresses for the server certificates (apiserver, etcd/server, etcd/peer). */
  readonly sans?: readonly string[];
  /** The node name: etcd's CN and a SAN of the server certificates. Default: os.hostname(), lowercased. */
  readonly hostname?: string;
  /** Default 'rsa' (2048 bits), as kubeadm. */
  readonly keyAlgorithm?: KeyAlgorithm;
}

/** One file of the PKI and what {@link initPki} did with it. */
export interface PkiFile {
  /** Path relative to the PKI directory, '/'-separated: 'etcd/ca.crt'. */
  readonly name: string;
  /** Absolute path. */
  readonly path: string;
  /** 'created': it was missing; 'regenerated': replaced because of `force`; 'kept': it existed and checked out. */
  readonly status: 'created' | 'regenerated' | 'kept';
  /** Problems with a kept file that init leaves alone: a requested SAN it lacks, expiry, loose mode. */
  readonly warnings: readonly string[];
}

/** The directory holds files init will not overwrite without `force`: a key without its certificate, a certificate from another CA... */
export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

type Usage = 'serverAuth' | 'clientAuth';

/** One certificate and key pair of the layout. invariant: a CA comes before the pairs it signs. */
interface PairSpec {
  readonly base: string;
  readonly cn: string;
  readonly o?: string;
  /** The issuing CA's base; absent for a (self-signed) CA. */
  readonly ca?: string;
  readonly usages: readonly Usage[];
  readonly sans?: 'apiserver' | 'etcd';
}

function layout(host: string): PairSpec[] {
  return [
    { base: 'ca', cn: 'kubernetes', usages: [] },
    { base: 'apiserver', ca: 'ca', cn: 'kube-apiserver', usages: ['serverAuth'], sans: 'apiserver' },
    { base: 'apiserver-kubelet-client', ca: 'ca', cn: 'kube-apiserver-kubelet-client', o: 'system:masters', usages: ['clientAuth'] },
    { base: 'admin', ca: 'ca', cn: 'kubernetes-admin', o: 'system:masters', usages: ['clientAuth'] },
    { base: 'front-proxy-ca', cn: 'front-proxy-ca', usages: [] },
    { base: 'front-proxy-client', ca: 'front-proxy-ca', cn: 'front-proxy-client', usages: ['clientAuth'] },
    { base: 'etcd/ca', cn: 'etcd-ca', usages: [] },
    { base: 'etcd/server', ca: 'etcd/ca', cn: host, usages: ['serverAuth', 'clientAuth'], sans: 'etcd' },
    { base: 'etcd/peer', ca: 'etcd/ca', cn: host, usages: ['serverAuth', 'clientAuth'], sans: 'etcd' },
    { base: 'etcd/healthcheck-client', ca: 'etcd/ca', cn: 'kube-etcd-healthcheck-client', usages: ['clientAuth'] },
    { base: 'apiserver-etcd-client', ca: 'etcd/ca', cn: 'kube-apiserver-etcd-client', usages: ['clientAuth'] },
  ];
}

/** A pair as loaded from disk or freshly made. */
interface Pair {
  readonly spec: PairSpec;
  readonly status: PkiFile['status'];
  readonly cert: X509Certificate;
  readonly key: KeyObject;
  readonly warnings: string[];
}

/**
 * Creates the PKI under `dir` (made if missing) and returns every file in it,
 * CAs first. Existing pairs are checked (key matches certificate, issued by
 * the CA on disk) and kept; missing ones are made. Throws {@link PkiError},
 * before writing anything, on a certificate without its key, on certificates
 * whose CA is missing, and on pairs that fail the checks; `force` regenerates
 * everything instead.
 */
export async function initPki(dir: string, opts: PkiOptions = {}): Promise<PkiFile[]> {
  const root = resolve(dir);
  const force = opts.force ?? false;
  const host = (opts.hostname ?? osHostname()).toLowerCase();
  const specs = layout(host);
  const alt = altNames(host, opts.sans ?? []);
  const p = (name: string) => join(root, ...name.split('/'));

  // plan and check everything before writing anything
  const existing = new Map<string, { cert: X509Certificate; key: KeyObject; warnings: string[] }>();
  const issuedBy = new Map<string, string[]>(); // CA base → existing pairs it must have issued
  for (const spec of specs) {
    const [crt, key] = [`${spec.base}.crt`, `${spec.base}.key`];
    const [hasCrt, hasKey] = await Promise.all([exists(p(crt)), exists(p(key))]);
    if (force || !hasCrt) continue; // (re)made; an orphan key without its certificate is replaced
    if (!hasKey) throw new PkiError(`${crt} exists but ${key} does not: restore the key, remove ${crt}, or use --force`);
    const loaded = await loadPair(p(crt), p(key), crt, key);
    if (!spec.ca) {
      if (!loaded.cert.ca) throw new PkiError(`${crt} is not a CA certificate: remove the ${spec.base} pair or use --force`);
    } else {
      issuedBy.set(spec.ca, [...(issuedBy.get(spec.ca) ?? []), crt]);
      const ca = existing.get(spec.ca);
      if (ca && !(loaded.cert.checkIssued(ca.cert) && loaded.cert.verify(ca.cert.publicKey))) {
        throw new PkiError(`${crt} was not issued by ${spec.ca}.crt: remove the ${spec.base} pair or use --force`);
      }
      if (spec.sans) loaded.warnings.push(...missingSans(crt, loaded.cert, alt[spec.sans]));
    }
    existing.set(spec.base, loaded);
  }
  for (const [ca, leaves] of issuedBy) {
    if (!existing.has(ca)) {
      throw new PkiError(`${ca}.crt is missing but ${leaves.join(', ')} exist (issued by the old CA): remove them too, or use --force`);
    }
  }
  const saKept = !force && (await exists(p('sa.key'))) ? await loadServiceAccountKey(p('sa.key')) : undefined;

  const algorithm = opts.keyAlgorithm ?? 'rsa';
  const missing = specs.filter((s) => !existing.has(s.base));
  const newKeys = await Promise.all([...missing.map(() => newKey(algorithm)), ...(saKept ? [] : [newKey('rsa')])]);
  const pairs = new Map<string, Pair>();
  const files: PkiFile[] = [];
  for (const spec of specs) {
    let pair: Pair;
    const kept = existing.get(spec.base);
    if (kept) {
      pair = { spec, status: 'kept', ...kept };
    } else {
      const key = newKeys[missing.indexOf(spec)];
      if (!key) throw new Error(`no key generated for ${spec.base}`);
      const issuer = spec.ca ? pairs.get(spec.ca) : undefined;
      if (spec.ca && !issuer) throw new Error(`layout: ${spec.base} comes before its CA ${spec.ca}`);
      const der = createCertificate(spec, key, issuer, spec.sans ? alt[spec.sans] : { dns: [], ips: [] });
      const cert = new X509Certificate(der);
      const status = force && (await exists(p(`${spec.base}.crt`))) ? 'regenerated' : 'created';
      await writeAtomic(p(`${spec.base}.key`), exportKey(key), 0o600);
      await writeAtomic(p(`${spec.base}.crt`), pem('CERTIFICATE', der), 0o644);
      pair = { spec, status, cert, key, warnings: [] };
    }
    pairs.set(spec.base, pair);
    for (const ext of ['crt', 'key']) {
      files.push({ name: `${spec.base}.${ext}`, path: p(`${spec.base}.${ext}`), status: pair.status, warnings: pair.warnings });
    }
  }
  const saKey = saKept ?? newKeys[missing.length];
  if (!saKey) throw new Error('no key generated for sa');
  files.push(...(await serviceAccountKeys(p('sa.key'), p('sa.pub'), saKey, saKept !== undefined, force)));
  return files;
}

/**
 * A client certificate for the user `cn` in group `o`, issued by the CA in
 * `dir` (ca.crt, ca.key) and returned as PEM with its new key, not written:
 * as kubeadm issues the certificates it embeds in scheduler.conf
 * (system:kube-scheduler) and controller-manager.conf.
 */
export async function issueClientCertificate(dir: string, cn: string, o?: string): Promise<{ cert: string; key: string }> {
  const root = resolve(dir);
  const ca = await loadPair(join(root, 'ca.crt'), join(root, 'ca.key'), 'ca.crt', 'ca.key');
  const caSpec = layout('').find((s) => s.base === 'ca')!;
  const spec: PairSpec = { base: cn, cn, ...(o ? { o } : {}), ca: 'ca', usages: ['clientAuth'] };
  const key = await newKey('rsa');
  const der = createCertificate(spec, key, { spec: caSpec, status: 'kept', ...ca }, { dns: [], ips: [] });
  return { cert: pem('CERTIFICATE', der), key: exportKey(key) };
}

async function loadPair(crtPath: string, keyPath: string, crt: string, keyName: string) {
  const warnings: string[] = [];
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(await readFile(crtPath));
  } catch (e) {
    throw new PkiError(`${crt}: not a PEM certificate (${errorText(e)}): remove it or use --force`);
  }
  try {
    key = createPrivateKey(await readFile(keyPath));
  } catch (e) {
    throw new PkiError(`${keyName}: not a usable private key (${errorText(e)}): remove it or use --force`);
  }
  if (!cert.checkPrivateKey(key)) throw new PkiError(`${crt} and ${keyName} do not match: remove both or use --force`);
  if (Date.parse(cert.validTo) < Date.now()) warnings.push(`${crt} expired on ${cert.validTo}: use --force to renew`);
  if (((await stat(keyPath)).mode & 0o077) !== 0) warnings.push(`${keyName} is readable by group or others (chmod 600)`);
  return { cert, key, warnings };
}

async function loadServiceAccountKey(keyPath: string): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(keyPath));
  } catch (e) {
    throw new PkiError(`sa.key: not a usable private key (${errorText(e)}): remove it or use --force`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new PkiError('sa.key is not an RSA key: remove it or use --force');
  return key;
}

/** Writes sa.key/sa.pub: a kept sa.key stays (sa.pub is rewritten from it if missing or different). */
async function serviceAccountKeys(
  keyPath: string,
  pubPath: string,
  key: KeyObject,
  kept: boolean,
  force: boolean,
): Promise<PkiFile[]> {
  const file = (name: string, path: string, status: PkiFile['status'], warnings: string[] = []): PkiFile => ({
    name,
    path,
    status,
    warnings,
  });
  if (kept) {
    const pub = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    const current = (await exists(pubPath)) ? await readFile(pubPath, 'utf8') : undefined;
    if (current === pub) return [file('sa.key', keyPath, 'kept'), file('sa.pub', pubPath, 'kept')];
    await writeAtomic(pubPath, pub, 0o644);
    return [file('sa.key', keyPath, 'kept'), file('sa.pub', pubPath, current === undefined ? 'created' : 'regenerated')];
  }
  const status = force && (await exists(keyPath)) ? 'regenerated' : 'created';
  await writeAtomic(keyPath, exportKey(key), 0o600);
  await writeAtomic(pubPath, createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(), 0o644);
  return [file('sa.key', keyPath, status), file('sa.pub', pubPath, status)];
}

interface AltNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

const DNS_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function altNames(host: string, extra: readonly string[]): Record<'apiserver' | 'etcd', AltNames> {
  if (!DNS_NAME.test(host) || host.length > 253) throw new PkiError(`hostname ${JSON.stringify(host)} is not a valid DNS name`);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const raw of extra) {
    const san = raw.trim().toLowerCase();
    if (isIP(san)) ips.push(san);
    else if (san.length <= 253 && DNS_NAME.test(san)) dns.push(san);
    else throw new PkiError(`--san ${JSON.stringify(raw)}: neither an IP address nor a DNS name`);
  }
  const svc = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  return {
    apiserver: dedupe([host, ...svc, 'localhost', ...dns], [KUBERNETES_SERVICE_IP, '127.0.0.1', '::1', ...ips]),
    etcd: dedupe([host, 'localhost', ...dns], ['127.0.0.1', '::1', ...ips]),
  };
}

function dedupe(dns: string[], ips: string[]): AltNames {
  const seen = new Set<string>();
  const uniqueIps = ips.filter((ip) => {
    const k = ipBytes(ip).toString('hex');
    return !seen.has(k) && seen.add(k);
  });
  return { dns: [...new Set(dns)], ips: uniqueIps };
}

function missingSans(name: string, cert: X509Certificate, alt: AltNames): string[] {
  const lacking = [
    ...alt.dns.filter((d) => cert.checkHost(d, { wildcards: false }) === undefined),
    ...alt.ips.filter((ip) => cert.checkIP(ip) === undefined),
  ];
  return lacking.length === 0 ? [] : [`${name} lacks SAN ${lacking.join(', ')}: use --force to reissue it`];
}

const generateKeyPairAsync = promisify(generateKeyPair);

async function newKey(algorithm: KeyAlgorithm): Promise<KeyObject> {
  const pair =
    algorithm === 'rsa'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  return pair.privateKey;
}

/** PKCS#1 for RSA, SEC1 for EC: the PEM blocks kubeadm writes ("RSA PRIVATE KEY", "EC PRIVATE KEY"). */
function exportKey(key: KeyObject): string {
  return key.export({ type: key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    },
  );
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await chmod(tmp, mode); // exact, whatever the umask
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- X.509 (RFC 5280) in DER: only what these certificates need ----

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280 4.2.1.3). */
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5 } as const;

function createCertificate(spec: PairSpec, key: KeyObject, issuer: Pair | undefined, alt: AltNames): Buffer {
  const isCA = !spec.ca;
  const signer = issuer?.key ?? key;
  const subject = seq(...(spec.o ? [rdn(OID.organization, spec.o)] : []), rdn(OID.commonName, spec.cn));
  const issuerParts = issuer ? certParts(issuer.cert.raw) : undefined;
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const skid = createHash('sha1').update(spkiKeyBits(spki)).digest();
  const akid = issuer ? issuerParts?.skid : skid;
  const now = Date.now();
  const notBefore = new Date(now - 5 * 60_000); // tolerate some clock skew between machines
  const notAfter = new Date(now + (isCA ? CA_VALIDITY_DAYS : LEAF_VALIDITY_DAYS) * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40; // positive, and minimal as DER wants

  // keyEncipherment only means something for RSA keys (kubeadm sets it on every leaf)
  const usages = isCA
    ? [KU.digitalSignature, KU.keyEncipherment, KU.keyCertSign]
    : key.asymmetricKeyType === 'rsa'
      ? [KU.digitalSignature, KU.keyEncipherment]
      : [KU.digitalSignature];
  const extensions = [
    extension(OID.keyUsage, true, namedBits(usages)),
    ...(spec.usages.length > 0 ? [extension(OID.extKeyUsage, false, seq(...spec.usages.map((u) => oid(OID[u]))))] : []),
    extension(OID.basicConstraints, true, isCA ? seq(bool(true)) : seq()),
    extension(OID.subjectKeyId, false, octets(skid)),
    ...(akid ? [extension(OID.authorityKeyId, false, seq(tlv(0x80, akid)))] : []),
    ...(alt.dns.length + alt.ips.length > 0
      ? [
          extension(
            OID.subjectAltName,
            false,
            seq(...alt.dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...alt.ips.map((ip) => tlv(0x87, ipBytes(ip)))),
          ),
        ]
      : []),
  ];
  const algorithm = signer.asymmetricKeyType === 'rsa' ? seq(oid(OID.sha256WithRSA), NULL) : seq(oid(OID.ecdsaWithSHA256));
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    issuerParts?.subject ?? subject, // the issuer's subject byte for byte: Go matches chains on the raw bytes
    seq(time(notBefore), time(notAfter)),
    subject,
    spki,
    tlv(0xa3, seq(...extensions)),
  );
  // RSA: PKCS#1 v1.5; ECDSA: a DER Ecdsa-Sig-Value (node's defaults, both what X.509 wants)
  return seq(tbs, algorithm, bitString(sign('sha256', tbs, signer)));
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
  const header = n < 0x80 ? [tag, n] : [tag, 0x80 | len.length, ...len];
  return Buffer.concat([Buffer.from(header), body]);
}

const NULL = Buffer.from([0x05, 0x00]);
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const integer = (positive: Buffer) => tlv(0x02, positive);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const bitString = (b: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const rdn = (type: string, value: string) => tlv(0x31, seq(oid(type), tlv(0x0c, Buffer.from(value, 'utf8'))));
const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A named BIT STRING (KeyUsage): bit 0 is the most significant, trailing zero bits dropped. */
function namedBits(bits: readonly number[]): Buffer {
  const top = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return bitString(bytes, bytes.length * 8 - (top + 1));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const s = `${d.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(s.slice(2))) : tlv(0x18, Buffer.from(s));
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6 || ip.includes('%')) throw new PkiError(`${ip}: not an IP address`);
  let s = ip;
  let v4: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (dotted) {
    s = `${dotted[1] ?? ''}0:0`; // placeholder words for the IPv4 tail
    v4 = (dotted[2] ?? '').split('.').map(Number);
  }
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const words = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  if (v4.length === 4) Buffer.from(v4).copy(out, 12);
  return out;
}

interface Tlv {
  readonly tag: number;
  readonly body: Buffer;
  readonly whole: Buffer;
}

/** The TLVs laid end to end in `buf` (a constructed value's contents). */
function readTlvs(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i];
    let len = buf[i + 1];
    let p = i + 2;
    if (tag === undefined || len === undefined) throw new PkiError('truncated DER');
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + (buf[p + k] ?? 0);
      p += n;
    }
    if (p + len > buf.length) throw new PkiError('truncated DER');
    out.push({ tag, body: buf.subarray(p, p + len), whole: buf.subarray(i, p + len) });
    i = p + len;
  }
  return out;
}

/** A CA certificate's subject name (raw DER) and subject key identifier, to issue certificates under it. */
function certParts(der: Buffer): { subject: Buffer; skid?: Buffer } {
  const tbs = readTlvs(readTlvs(der)[0]?.body ?? Buffer.alloc(0))[0];
  const fields = readTlvs(tbs?.body ?? Buffer.alloc(0));
  const first = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const subject = fields[first + 4]?.whole;
  if (!subject) throw new PkiError('CA certificate: cannot find its subject');
  const extensions = fields.find((f) => f.tag === 0xa3);
  const skidOid = oid(OID.subjectKeyId);
  for (const ext of readTlvs(readTlvs(extensions?.body ?? Buffer.alloc(0))[0]?.body ?? Buffer.alloc(0))) {
    const parts = readTlvs(ext.body);
    if (parts[0]?.whole.equals(skidOid)) {
      const value = parts[parts.length - 1]?.body;
      const inner = value ? readTlvs(value)[0]?.body : undefined;
      if (inner) return { subject, skid: Buffer.from(inner) };
    }
  }
  return { subject };
}

/** The subjectPublicKey BIT STRING's bits: what the key identifier hashes (RFC 5280 4.2.1.2, method 1). */
function spkiKeyBits(spki: Buffer): Buffer {
  const bits = readTlvs(readTlvs(spki)[0]?.body ?? Buffer.alloc(0))[1]?.body;
  if (!bits) throw new PkiError('malformed public key');
  return bits.subarray(1);
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
