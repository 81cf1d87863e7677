/**
 * An API server for tests: a one-member store in a child process (kubeling's,
 * or a real etcd: see STORE),
 * an API server in this process over it, JSON calls against it, and the real
 * kubectl with a kubeconfig pointing at it.
 *
 * By default the server speaks plain HTTP and authenticates nobody; with
 * `{ tls: true }` it serves HTTPS with a fresh PKI (in the scratch
 * directory's pki/) and authenticates as `kubeling up`'s does, and the
 * kubeconfig is the admin's (a client certificate), as `kubeling up` writes it.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceAccountTokens } from '../apiserver/auth/serviceaccount.js';
import type { UserInfo } from '../apiserver/auth/user.js';
import type { UiServer } from '../apiserver/http/server.js';
import { startApiServer, type ApiServer } from '../apiserver/server.js';
import { EtcdStore } from '../apiserver/storage/etcd.js';
import { startInProcessStore } from '../cli/inprocess.js';
import { writeAdminKubeconfig } from '../cli/kubeconfig.js';
import { initPki } from '../store/server/pki.js';
import { TestCluster, type Flavour } from './cluster.js';

/**
 * The store behind every TestApi: a kubeling store, or with
 * KUBELING_TEST_STORE=etcd a real etcd 3.4 (`npm run test:apiserver:etcd`
 * runs the API server's tests so, as CI does), or with
 * KUBELING_TEST_STORE=inproc a member in this process (startTestStore).
 */
const STORE: Flavour | 'inproc' = process.env.KUBELING_TEST_STORE === 'etcd' || process.env.KUBELING_TEST_STORE === 'inproc' ? process.env.KUBELING_TEST_STORE : 'kubeling';

/**
 * The store STORE names and the API server's client of it: with
 * KUBELING_TEST_STORE=inproc a single member inside this process over the
 * in-process channel (the all-in-one mode's store, cli/inprocess.ts).
 */
async function startTestStore(): Promise<{ cluster: TestCluster | undefined; store: EtcdStore; stopStore: () => Promise<void> }> {
  if (STORE === 'inproc') {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-inproc-'));
    const s = await startInProcessStore(dir);
    const stopStore = async (): Promise<void> => {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    return { cluster: undefined, store: s.client, stopStore };
  }
  const cluster = await TestCluster.start(STORE, 1);
  return { cluster, store: new EtcdStore({ endpoints: [cluster.members[0]!.clientUrl] }), stopStore: () => cluster.stop() };
}

/** How TestApi.start serves. */
export interface TestApiOptions {
  /** HTTPS with authentication (see the file comment). */
  readonly tls?: boolean;
  /** Bearer tokens the server accepts (with tls). */
  readonly tokens?: ReadonlyMap<string, UserInfo>;
  /** Issue and accept service account tokens signed with the PKI's sa.key (with tls). */
  readonly serviceAccounts?: boolean;
  /** The watch caches' size (ServeOptions.watchCacheSize): a small one lets a test make a watch's resourceVersion expire. */
  readonly watchCacheSize?: number;
  /** The dashboard's server side (ServeOptions.ui): apiserver/inspect's uiServer of some parts. */
  readonly ui?: UiServer;
  /**
   * Run the ServiceAccount admission plugin. Off by default, as envtest runs
   * kube-apiserver: it refuses a pod whose account does not exist, and with
   * no controller manager nobody creates the namespaces' `default` accounts.
   */
  readonly serviceAccountAdmission?: boolean;
}

/** Credentials for one call: the admin's client certificate (the default with tls), a bearer token, or none. */
export type Credentials = 'admin' | 'none' | { readonly token: string } | { readonly cert: Buffer; readonly key: Buffer };

/** A JSON answer: its status code and body. */
export interface Answer {
  readonly code: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely by tests
  readonly body: Record<string, any>;
}

/** What kubectl did. */
export interface KubectlRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running API server for a test file; see the file comment. */
export class TestApi {
  private constructor(
    /** The store's processes (undefined with the in-process store). */
    readonly cluster: TestCluster | undefined,
    readonly store: EtcdStore,
    readonly api: ApiServer,
    /** A scratch directory (the kubeconfig and kubectl's cache live here), removed by stop(). */
    readonly dir: string,
    private readonly stopStore: () => Promise<void>,
  ) {}

  static async start(opts: TestApiOptions = {}): Promise<TestApi> {
    const { cluster, store, stopStore } = await startTestStore();
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-api-'));
    const pki = join(dir, 'pki');
    if (opts.tls) await initPki(pki, { keyAlgorithm: 'ecdsa' });
    const read = (f: string): Buffer => readFileSync(join(pki, f));
    const api = await startApiServer(store, {
      ...(opts.tls ? { tls: { cert: read('apiserver.crt'), key: read('apiserver.key'), clientCA: read('ca.crt') } } : {}),
      ...(opts.tokens ? { tokens: opts.tokens } : {}),
      ...(opts.watchCacheSize ? { watchCacheSize: opts.watchCacheSize } : {}),
      ...(opts.ui ? { ui: opts.ui } : {}),
      ...(opts.serviceAccountAdmission ? {} : { disabledAdmissionPlugins: ['ServiceAccount' as const] }),
      ...(opts.tls && opts.serviceAccounts ? { serviceAccounts: new ServiceAccountTokens({ signingKey: createPrivateKey(read('sa.key')) }) } : {}),
    });
    const t = new TestApi(cluster, store, api, dir, stopStore);
    if (opts.tls) await writeAdminKubeconfig(t.kubeconfig, { server: t.base, pkiDir: pki });
    else {
      writeFileSync(
        t.kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters: [{name: k, cluster: {server: "${t.base}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: k, context: {cluster: k, user: u}}]\ncurrent-context: k\n`,
      );
    }
    return t;
  }

  /** Whether the server speaks HTTPS (TestApiOptions.tls). */
  get tls(): boolean {
    return 'cert' in this.api.server;
  }

  get base(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.api.port}`;
  }

  /** The PKI of a tls server: pki/ca.crt, pki/admin.crt ... */
  get pkiDir(): string {
    return join(this.dir, 'pki');
  }

  get kubeconfig(): string {
    return join(this.dir, 'kubeconfig');
  }

  /** The PKI files calls present, read once. */
  #ca: Buffer | undefined;
  #admin: { cert: Buffer; key: Buffer } | undefined;

  /** The client certificate and key `as` presents, if any. */
  #clientCert(as: Credentials): { cert: Buffer; key: Buffer } | undefined {
    if (as === 'none' || (typeof as === 'object' && 'token' in as)) return undefined;
    if (as === 'admin') return (this.#admin ??= { cert: readFileSync(join(this.pkiDir, 'admin.crt')), key: readFileSync(join(this.pkiDir, 'admin.key')) });
    return as;
  }

  /** One request with a JSON body (of `type`) and a JSON answer; over HTTPS with `as`'s credentials (default the admin's). */
  async call(method: string, path: string, body?: unknown, type = 'application/json', headers: Record<string, string> = {}, as: Credentials = 'admin'): Promise<Answer> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const h: Record<string, string> = { ...headers, ...(data === undefined ? {} : { 'content-type': type, 'content-length': String(Buffer.byteLength(data)) }) };
    if (typeof as === 'object' && 'token' in as) h.authorization = `Bearer ${as.token}`;
    const cert = this.tls ? this.#clientCert(as) : undefined;
    return new Promise((res, rej) => {
      const url = this.base + path;
      const req = this.tls
        ? httpsRequest(url, { method, headers: h, ca: (this.#ca ??= readFileSync(join(this.pkiDir, 'ca.crt'))), ...(cert ?? {}) })
        : httpRequest(url, { method, headers: h });
      req.on('error', rej);
      req.on('response', (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          try {
            res({ code: r.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] });
          } catch (e) {
            rej(e as Error);
          }
        });
      });
      req.end(data);
    });
  }

  /** Runs the real kubectl against the server, asynchronously (the server answers from this process's event loop). */
  kubectl(...args: string[]): Promise<KubectlRun> {
    return this.kubectlWith(this.kubeconfig, ...args);
  }

  /** Runs another kubectl binary (`/usr/lib/google-cloud-sdk/bin/kubectl.1.27` ...) against the server, with a cache of its own. */
  kubectlAt(binary: string, ...args: string[]): Promise<KubectlRun> {
    return new Promise((res) => {
      const cache = join(this.dir, `cache-${binary.replace(/\W/g, '_')}`);
      execFile(binary, ['--kubeconfig', this.kubeconfig, '--cache-dir', cache, ...args], (err, stdout, stderr) => {
        res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  /** Runs the real kubectl with another kubeconfig (other credentials). */
  kubectlWith(kubeconfig: string, ...args: string[]): Promise<KubectlRun> {
    return new Promise((res) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(this.dir, 'cache'), ...args], (err, stdout, stderr) => {
        res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  async stop(): Promise<void> {
    await this.api.close();
    this.store.close();
    await this.stopStore();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
