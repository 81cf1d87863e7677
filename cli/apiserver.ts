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
 *
 * Admission: NamespaceLifecycle, ServiceAccount, Priority and
 * DefaultTolerationSeconds run unless --disable-admission-plugins names
 * them (--enable-admission-plugins may name them too: they are on already).
 *
 * It also serves the dashboard under /ui/ (apiserver/inspect/): the store's
 * keys, the Raft members, the flow of writes. `kubeling up` passes
 * --ui-supervisor-url and --ui-supervisor-token-file (kubeling's own flags),
 * its supervisor through which the dashboard stops and starts store members.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readTokenFile } from '../apiserver/auth/authenticate.js';
import { DEFAULT_ISSUER, ServiceAccountTokens } from '../apiserver/auth/serviceaccount.js';
import { createFlow } from '../apiserver/inspect/flow.js';
import { uiServer, type UiPart } from '../apiserver/inspect/index.js';
import { raftPart, type SupervisorAddress } from '../apiserver/inspect/raft.js';
import { staticPart } from '../apiserver/inspect/static.js';
import { storePart } from '../apiserver/inspect/store.js';
import { disabledAdmissionPlugins } from '../apiserver/registry/admission.js';
import { startApiServer, type ServeOptions } from '../apiserver/server.js';
import type { EtcdChannel } from '../apiserver/storage/channel.js';
import { EtcdStore, tlsFromFiles } from '../apiserver/storage/etcd.js';
import type { StoreClient } from '../apiserver/storage/interface.js';
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
      'enable-admission-plugins': { type: 'string' },
      'disable-admission-plugins': { type: 'string' },
      'ui-supervisor-url': { type: 'string' },
      'ui-supervisor-token-file': { type: 'string' },
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
  opts = {
    ...opts,
    defaultNotReadyTolerationSeconds: seconds('default-not-ready-toleration-seconds'),
    defaultUnreachableTolerationSeconds: seconds('default-unreachable-toleration-seconds'),
    disabledAdmissionPlugins: disabledAdmissionPlugins(values['enable-admission-plugins'], values['disable-admission-plugins']),
  };
  const tls = tlsFromFiles({ ca: values['etcd-cafile'], cert: values['etcd-certfile'], key: values['etcd-keyfile'] });
  // the all-in-one mode: a single-member store in this process, reached without a socket (cli/inprocess.ts)
  const inProcess = inProcessDir === undefined ? undefined : await startInProcess(inProcessDir, values['in-process-store-client-url']);
  const store = inProcess?.client ?? new EtcdStore({ endpoints, ...(tls ? { tls } : {}) });
  // the dashboard asks the members themselves: the in-process one through a channel of its own
  const members = inProcess ? { channels: [(await import('../store/server/grpc/inproc.js')).inProcessChannel(inProcess.member.handlers)] } : { endpoints, ...(tls ? { tls } : {}) };
  const ui = dashboard(store, members, supervisorOf(values['ui-supervisor-url'], values['ui-supervisor-token-file']));
  const api = await startApiServer(store, { ...opts, ui: ui.server }).catch(async (e: unknown) => {
    ui.close();
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
  ui.close();
  store.close();
  await inProcess?.stop();
}

/** The supervisor of --ui-supervisor-url with the token in --ui-supervisor-token-file (both or neither). */
function supervisorOf(url: string | undefined, tokenFile: string | undefined): SupervisorAddress | undefined {
  if ((url === undefined) !== (tokenFile === undefined)) throw new Error('--ui-supervisor-url and --ui-supervisor-token-file go together');
  if (url === undefined || tokenFile === undefined) return undefined;
  const token = readFileSync(tokenFile, 'utf8').trim();
  if (token === '') throw new Error(`--ui-supervisor-token-file: ${tokenFile} is empty`);
  return { url, token };
}

/** The dashboard's server side (apiserver/inspect/): its parts over the store, the members (as the store is reached) and the supervisor. */
function dashboard(
  store: StoreClient,
  members: { endpoints: string[]; tls?: ReturnType<typeof tlsFromFiles> } | { channels: EtcdChannel[] },
  supervisor: SupervisorAddress | undefined,
): { server: ReturnType<typeof uiServer>; close(): void } {
  const raft = raftPart({ ...members, ...(supervisor ? { supervisor } : {}) });
  // the inspection API's parts (store, Raft, flow), then the dashboard's files (web/), whose routes come last
  const parts: UiPart[] = [storePart(store), raft, createFlow().part, staticPart()];
  return { server: uiServer(parts), close: () => raft.close() };
}

/** Starts the in-process store (--in-process-store), logging to stderr; its client URL is for etcdctl. */
async function startInProcess(dir: string, clientUrl: string | undefined): Promise<InProcessStore> {
  const { startInProcessStore } = await import('./inprocess.js');
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} in-process store: ${line}\n`);
  return startInProcessStore(dir, { log, ...(clientUrl ? { clientUrl } : {}) });
}
