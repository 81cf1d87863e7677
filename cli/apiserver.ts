/**
 * `kubeling apiserver`: the Kubernetes API over an etcd v3 store (a kubeling
 * store cluster or a real etcd), with kube-apiserver's flag names.
 *
 * It serves HTTPS on --secure-port with --tls-cert-file/--tls-private-key-file
 * (`kubeling pki init` writes apiserver.crt and apiserver.key), and
 * authenticates every request there: client certificates signed by
 * --client-ca-file (CN the user, O the groups) and bearer tokens of
 * --token-auth-file, and service account tokens (signed with
 * --service-account-signing-key-file, checked with it and
 * --service-account-key-file; `kubectl create token`). --insecure-port (kube-apiserver's until 1.24) also
 * serves plain HTTP without authentication, on the bind address: for tests
 * and benchmarks on loopback.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readTokenFile } from '../apiserver/auth/authenticate.js';
import { DEFAULT_ISSUER, ServiceAccountTokens } from '../apiserver/auth/serviceaccount.js';
import { startApiServer, type ServeOptions } from '../apiserver/server.js';
import { EtcdStore, tlsFromFiles } from '../apiserver/storage/etcd.js';
import type { InProcessStore } from './inprocess.js';

/** Runs the API server until SIGINT or SIGTERM. */
export async function apiserver(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'etcd-servers': { type: 'string' },
      'in-process-store': { type: 'string' },
      'in-process-store-client-url': { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'bind-address': { type: 'string', default: '127.0.0.1' },
      'secure-port': { type: 'string', default: '6443' },
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      'client-ca-file': { type: 'string' },
      'token-auth-file': { type: 'string' },
      'service-account-issuer': { type: 'string', default: DEFAULT_ISSUER },
      'service-account-key-file': { type: 'string', multiple: true },
      'service-account-signing-key-file': { type: 'string' },
      'insecure-port': { type: 'string' },
      'default-not-ready-toleration-seconds': { type: 'string', default: '300' },
      'default-unreachable-toleration-seconds': { type: 'string', default: '300' },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const endpoints = (values['etcd-servers'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const inProcessDir = values['in-process-store'];
  if (inProcessDir !== undefined && endpoints.length > 0) throw new Error('--etcd-servers and --in-process-store exclude each other');
  if (inProcessDir === undefined && endpoints.length === 0) throw new Error('--etcd-servers must name at least one etcd client URL (or run the store in this process: --in-process-store DIR)');
  const port = (flag: 'secure-port' | 'insecure-port'): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag}: ${v} is not a port`);
    return n;
  };
  const host = values['bind-address'];
  const certFile = values['tls-cert-file'];
  const keyFile = values['tls-private-key-file'];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const insecurePort = port('insecure-port');
  let opts: ServeOptions;
  if (certFile !== undefined && keyFile !== undefined) {
    const clientCA = values['client-ca-file'];
    const tokenFile = values['token-auth-file'];
    const signing = values['service-account-signing-key-file'];
    const verifying = values['service-account-key-file'] ?? [];
    const serviceAccounts =
      signing !== undefined || verifying.length > 0
        ? new ServiceAccountTokens(
            { ...(signing ? { signingKey: createPrivateKey(readFileSync(signing)) } : {}), verifyKeys: verifying.map((f) => createPublicKey(readFileSync(f))) },
            values['service-account-issuer'],
          )
        : undefined;
    if (clientCA === undefined && tokenFile === undefined && serviceAccounts === undefined) {
      throw new Error('HTTPS needs a way to authenticate callers: --client-ca-file, --token-auth-file or --service-account-key-file');
    }
    opts = {
      host,
      port: port('secure-port'),
      tls: { cert: readFileSync(certFile), key: readFileSync(keyFile), ...(clientCA ? { clientCA: readFileSync(clientCA) } : {}) },
      ...(tokenFile ? { tokens: readTokenFile(tokenFile) } : {}),
      ...(serviceAccounts ? { serviceAccounts } : {}),
      ...(insecurePort !== undefined ? { insecurePort } : {}),
    };
  } else if (insecurePort !== undefined) {
    opts = { host, port: insecurePort };
  } else {
    throw new Error('--tls-cert-file and --tls-private-key-file are required to serve HTTPS (kubeling pki init writes apiserver.crt and apiserver.key); or serve plain HTTP with --insecure-port');
  }
  const seconds = (flag: 'default-not-ready-toleration-seconds' | 'default-unreachable-toleration-seconds'): number => {
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: ${values[flag]} is not a whole number of seconds`);
    return n;
  };
  opts = { ...opts, defaultNotReadyTolerationSeconds: seconds('default-not-ready-toleration-seconds'), defaultUnreachableTolerationSeconds: seconds('default-unreachable-toleration-seconds') };
  const tls = tlsFromFiles({ ca: values['etcd-cafile'], cert: values['etcd-certfile'], key: values['etcd-keyfile'] });
  // the all-in-one mode: a single-member store in this process, reached without a socket (cli/inprocess.ts)
  const inProcess = inProcessDir === undefined ? undefined : await startInProcess(inProcessDir, values['in-process-store-client-url']);
  const store = inProcess?.client ?? new EtcdStore({ endpoints, ...(tls ? { tls } : {}) });
  const api = await startApiServer(store, opts).catch(async (e: unknown) => {
    await inProcess?.stop(); // its timers would keep the process alive
    throw e;
  });
  const urls = [`${opts.tls ? 'https' : 'http'}://${host}:${api.port}`, ...(api.insecure ? [`http://${host}:${api.insecure.port} (unauthenticated)`] : [])];
  process.stdout.write(`kubeling apiserver: serving ${urls.join(' and ')} over ${inProcess ? `the in-process store in ${inProcessDir}` : endpoints.join(',')}\n`);
  await new Promise<void>((res) => {
    process.once('SIGINT', res);
    process.once('SIGTERM', res);
  });
  await api.close();
  store.close();
  await inProcess?.stop();
}

/** Starts the in-process store (--in-process-store), logging to stderr; its client URL is for etcdctl. */
async function startInProcess(dir: string, clientUrl: string | undefined): Promise<InProcessStore> {
  const { startInProcessStore } = await import('./inprocess.js');
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} in-process store: ${line}\n`);
  return startInProcessStore(dir, { log, ...(clientUrl ? { clientUrl } : {}) });
}
