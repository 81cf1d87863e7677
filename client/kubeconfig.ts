/**
 * Kubeconfig files (client-go's clientcmd, the parts a component needs):
 * clusters, users and contexts by name, `current-context` (or the context
 * asked for), and from them a `ConnectionConfig`: the server URL (https://
 * or http://), the CA (`certificate-authority` file or
 * `certificate-authority-data` base64), the client certificate and key
 * (file or `-data`), a bearer `token` (or `tokenFile`), and
 * `insecure-skip-tls-verify`. Relative file paths are relative to the
 * kubeconfig's directory, as kubectl resolves them. A missing context,
 * cluster or user is an Error naming it.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** Where and how to reach an API server: what a RestClient needs besides its own options. */
export interface ConnectionConfig {
  /** The server's base URL: https://127.0.0.1:6443 or http://127.0.0.1:8080. */
  readonly server: string;
  /** PEM CA bundle to verify the server with (else the system's). */
  readonly ca?: Buffer;
  /** PEM client certificate and key, presented when both are set. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** A bearer token. */
  readonly token?: string;
  /** Do not verify the server's certificate. */
  readonly insecureSkipTLSVerify?: boolean;
  /** The TLS server name to verify, if not the URL's host. */
  readonly tlsServerName?: string;
}

type Named<T> = { name?: string } & Record<string, T | undefined>;
interface RawCluster { server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'tls-server-name'?: string }
interface RawUser { 'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string; token?: string; tokenFile?: string }
interface RawContext { cluster?: string; user?: string; namespace?: string }
interface RawConfig {
  clusters?: Named<RawCluster>[];
  users?: Named<RawUser>[];
  contexts?: Named<RawContext>[];
  'current-context'?: string;
}

/** A loaded kubeconfig: the connection of its context and that context's namespace. */
export interface Kubeconfig extends ConnectionConfig {
  /** The context used. */
  readonly context: string;
  /** The context's namespace ('default' when it names none). */
  readonly namespace: string;
}

/** The kubeconfig path kubectl would use: $KUBECONFIG's first entry, else ~/.kube/config. */
export function defaultKubeconfigPath(): string {
  const env = process.env.KUBECONFIG?.split(':').find((p) => p !== '');
  return env ?? join(homedir(), '.kube', 'config');
}

function pick<T>(list: Named<T>[] | undefined, name: string, what: string, field: string): T {
  const entry = list?.find((e) => e.name === name);
  const v = entry?.[field];
  if (!entry || v === undefined) throw new Error(`kubeconfig: no ${what} named ${JSON.stringify(name)}`);
  return v;
}

/** Parses kubeconfig text; `baseDir` resolves relative file paths; `context` overrides current-context. */
export function parseKubeconfig(text: string, baseDir: string, context?: string): Kubeconfig {
  const raw = (parse(text) ?? {}) as RawConfig;
  const ctxName = context ?? raw['current-context'];
  if (!ctxName) throw new Error('kubeconfig: no current-context and no context given');
  const ctx = pick(raw.contexts, ctxName, 'context', 'context');
  const cluster = pick(raw.clusters, ctx.cluster ?? '', 'cluster', 'cluster');
  const user: RawUser = ctx.user ? pick(raw.users, ctx.user, 'user', 'user') ?? {} : {};
  if (!cluster.server) throw new Error(`kubeconfig: cluster ${JSON.stringify(ctx.cluster)} has no server`);
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : resolve(baseDir, p));
  const either = (data: string | undefined, path: string | undefined): Buffer | undefined =>
    data ? Buffer.from(data, 'base64') : path ? file(path) : undefined;
  const token = user.token ?? (user.tokenFile ? file(user.tokenFile).toString('utf8').trim() : undefined);
  const out: Kubeconfig = {
    context: ctxName,
    namespace: ctx.namespace || 'default',
    server: cluster.server.replace(/\/+$/, ''),
    ca: either(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: either(user['client-certificate-data'], user['client-certificate']),
    key: either(user['client-key-data'], user['client-key']),
    token,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster['tls-server-name'],
  };
  // drop the unset fields, so spreading a Kubeconfig never overrides with undefined
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as unknown as Kubeconfig;
}

/** Reads and parses a kubeconfig file (default: defaultKubeconfigPath()). */
export function loadKubeconfig(path = defaultKubeconfigPath(), context?: string): Kubeconfig {
  return parseKubeconfig(readFileSync(path, 'utf8'), dirname(resolve(path)), context);
}
