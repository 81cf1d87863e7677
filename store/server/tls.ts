/**
 * etcd's TLS flags turned into node TLS options, for the member's client and
 * peer listeners (tls/https/http2 servers, grpc-js `ServerCredentials.createSsl`)
 * and for dialling out (peer transport, the apiserver's etcd client).
 *
 * As in etcd: no cert and key for a side means plain http on that side;
 * `--client-cert-auth` requires and verifies a client certificate against
 * `--trusted-ca-file`; without it, none is asked for. Every file is read and
 * checked here, once, so a member refuses to start with one line naming the
 * flag and file at fault (missing, unreadable, not PEM, key not the
 * certificate's) instead of failing on the first handshake.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { ParseArgsConfig } from 'node:util';

/** etcd's TLS flags (the flag each field stands for is in its comment). Unset: not given. */
export interface EtcdTlsFlags {
  /** --cert-file: the client-facing listener's certificate. */
  readonly certFile?: string;
  /** --key-file */
  readonly keyFile?: string;
  /** --trusted-ca-file: CAs that client certificates must chain to. */
  readonly trustedCaFile?: string;
  /** --client-cert-auth: require a client certificate. */
  readonly clientCertAuth?: boolean;
  /** --peer-cert-file: this member's certificate toward peers, as server and as client. */
  readonly peerCertFile?: string;
  /** --peer-key-file */
  readonly peerKeyFile?: string;
  /** --peer-trusted-ca-file: CAs that peers' certificates chain to. */
  readonly peerTrustedCaFile?: string;
  /** --peer-client-cert-auth: require a certificate from connecting peers. */
  readonly peerClientCertAuth?: boolean;
}

/** The flags as `node:util` parseArgs options, with etcd's names: spread them into a command's options. */
export const ETCD_TLS_OPTIONS = {
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
  'trusted-ca-file': { type: 'string' },
  'client-cert-auth': { type: 'boolean' },
  'peer-cert-file': { type: 'string' },
  'peer-key-file': { type: 'string' },
  'peer-trusted-ca-file': { type: 'string' },
  'peer-client-cert-auth': { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** parseArgs values (with {@link ETCD_TLS_OPTIONS} among the options) to {@link EtcdTlsFlags}. */
export function etcdTlsFlags(values: { readonly [flag: string]: unknown }): EtcdTlsFlags {
  const str = (f: string) => (typeof values[f] === 'string' ? values[f] : undefined);
  return {
    certFile: str('cert-file'),
    keyFile: str('key-file'),
    trustedCaFile: str('trusted-ca-file'),
    clientCertAuth: values['client-cert-auth'] === true,
    peerCertFile: str('peer-cert-file'),
    peerKeyFile: str('peer-key-file'),
    peerTrustedCaFile: str('peer-trusted-ca-file'),
    peerClientCertAuth: values['peer-client-cert-auth'] === true,
  };
}

/**
 * Options for a TLS server (tls.createServer, https, http2); for grpc-js:
 * `ServerCredentials.createSsl(ca ?? null, [{ cert_chain: cert, private_key: key }], requestCert)`.
 */
export interface ServerTls extends SecureContextOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The trusted CAs (--trusted-ca-file): what a client certificate must chain to. */
  readonly ca?: Buffer;
  /** Ask for a client certificate (--client-cert-auth). */
  readonly requestCert: boolean;
  /** Refuse a client without a certificate from `ca` (--client-cert-auth). */
  readonly rejectUnauthorized: boolean;
}

/** Options for a TLS client: `ca` to verify the server (default: the system's roots), `cert`/`key` to present. */
export interface ClientTls extends SecureContextOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Files for a TLS client, and the flags they came from (named in errors). */
export interface ClientTlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Flag names for errors. Default kube-apiserver's: --etcd-cafile, --etcd-certfile, --etcd-keyfile. */
  readonly flags?: { readonly ca: string; readonly cert: string; readonly key: string };
}

/** A TLS flag is inconsistent or names a file that is missing, unreadable, malformed or mismatched. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/**
 * The server options for the client-facing (`'client'`: --cert-file...) or
 * peer-facing (`'peer'`: --peer-cert-file...) listener, or undefined when that
 * side has no TLS flags (plain http). Throws {@link TlsConfigError}.
 */
export function serverTls(flags: EtcdTlsFlags, side: 'client' | 'peer'): ServerTls | undefined {
  const f = side === 'client' ? clientSide(flags) : peerSide(flags);
  if (f.certFile === undefined && f.keyFile === undefined) {
    if (f.caFile !== undefined) throw new TlsConfigError(`${f.names.ca} needs ${f.names.cert} and ${f.names.key}`);
    if (f.clientCertAuth) throw new TlsConfigError(`${f.names.auth} needs ${f.names.cert}, ${f.names.key} and ${f.names.ca}`);
    return undefined;
  }
  const { cert, key } = keyPair(f.certFile, f.keyFile, f.names);
  if (f.clientCertAuth && f.caFile === undefined) throw new TlsConfigError(`${f.names.auth} needs ${f.names.ca}`);
  const ca = f.caFile !== undefined ? caBundle(f.caFile, f.names.ca) : undefined; // checked even when unused, as etcd
  return { cert, key, ...(ca ? { ca } : {}), requestCert: f.clientCertAuth, rejectUnauthorized: f.clientCertAuth };
}

/**
 * The client options a member dials its peers with (--peer-cert-file and
 * --peer-key-file as its client certificate, --peer-trusted-ca-file to verify
 * them), or undefined when no peer TLS flags are given. Throws {@link TlsConfigError}.
 */
export function peerClientTls(flags: EtcdTlsFlags): ClientTls | undefined {
  const f = peerSide(flags);
  if (f.certFile === undefined && f.keyFile === undefined && f.caFile === undefined) return undefined;
  return clientTls({ caFile: f.caFile, certFile: f.certFile, keyFile: f.keyFile, flags: f.names });
}

/**
 * Client options from CA, certificate and key files (kube-apiserver's
 * --etcd-cafile --etcd-certfile --etcd-keyfile, etcdctl's --cacert --cert
 * --key). Certificate and key come together or not at all. Throws {@link TlsConfigError}.
 */
export function clientTls(files: ClientTlsFiles): ClientTls {
  const names = files.flags ?? { ca: '--etcd-cafile', cert: '--etcd-certfile', key: '--etcd-keyfile' };
  const ca = files.caFile !== undefined ? caBundle(files.caFile, names.ca) : undefined;
  const pair = files.certFile !== undefined || files.keyFile !== undefined ? keyPair(files.certFile, files.keyFile, names) : undefined;
  return { ...(ca ? { ca } : {}), ...(pair ?? {}) };
}

interface Side {
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly caFile?: string;
  readonly clientCertAuth: boolean;
  readonly names: { readonly cert: string; readonly key: string; readonly ca: string; readonly auth: string };
}

function clientSide(f: EtcdTlsFlags): Side {
  return {
    certFile: f.certFile,
    keyFile: f.keyFile,
    caFile: f.trustedCaFile,
    clientCertAuth: f.clientCertAuth ?? false,
    names: { cert: '--cert-file', key: '--key-file', ca: '--trusted-ca-file', auth: '--client-cert-auth' },
  };
}

function peerSide(f: EtcdTlsFlags): Side {
  return {
    certFile: f.peerCertFile,
    keyFile: f.peerKeyFile,
    caFile: f.peerTrustedCaFile,
    clientCertAuth: f.peerClientCertAuth ?? false,
    names: { cert: '--peer-cert-file', key: '--peer-key-file', ca: '--peer-trusted-ca-file', auth: '--peer-client-cert-auth' },
  };
}

function keyPair(
  certFile: string | undefined,
  keyFile: string | undefined,
  names: { readonly cert: string; readonly key: string },
): { cert: Buffer; key: Buffer } {
  if (certFile === undefined) throw new TlsConfigError(`${names.key} is set but ${names.cert} is not`);
  if (keyFile === undefined) throw new TlsConfigError(`${names.cert} is set but ${names.key} is not`);
  const cert = read(certFile, names.cert);
  const key = read(keyFile, names.key);
  const leaf = certificates(cert, certFile, names.cert)[0];
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new TlsConfigError(`${names.key} ${keyFile}: not a usable PEM private key (${errorText(e)})`);
  }
  if (!leaf?.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(`${names.cert} ${certFile} and ${names.key} ${keyFile} do not match: the key is not the certificate's`);
  }
  return { cert, key };
}

function caBundle(file: string, flag: string): Buffer {
  const pem = read(file, flag);
  certificates(pem, file, flag);
  return pem;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM file (a chain or a bundle); at least one, all valid. */
function certificates(pem: Buffer, file: string, flag: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new TlsConfigError(`${flag} ${file}: no PEM certificate in it`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw new TlsConfigError(`${flag} ${file}: certificate ${i + 1} is malformed (${errorText(e)})`);
    }
  });
}

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot read it (${errorText(e)})`;
    throw new TlsConfigError(`${flag} ${file}: ${why}`);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
