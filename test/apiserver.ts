/**
 * An API server for tests: a one-member kubeling store in child processes,
 * an API server in this process over it, JSON calls against it, and the real
 * kubectl with a kubeconfig pointing at it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../apiserver/server.js';
import { EtcdStore } from '../apiserver/storage/etcd.js';
import { TestCluster } from './cluster.js';

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
    readonly cluster: TestCluster,
    readonly store: EtcdStore,
    readonly api: ApiServer,
    /** A scratch directory (the kubeconfig and kubectl's cache live here), removed by stop(). */
    readonly dir: string,
  ) {}

  static async start(): Promise<TestApi> {
    const cluster = await TestCluster.start('kubeling', 1);
    const store = new EtcdStore({ endpoints: [cluster.members[0]!.clientUrl] });
    const api = await startApiServer(store);
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-api-'));
    const t = new TestApi(cluster, store, api, dir);
    writeFileSync(
      t.kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: k, cluster: {server: "${t.base}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: k, context: {cluster: k, user: u}}]\ncurrent-context: k\n`,
    );
    return t;
  }

  get base(): string {
    return `http://127.0.0.1:${this.api.port}`;
  }

  get kubeconfig(): string {
    return join(this.dir, 'kubeconfig');
  }

  /** One request with a JSON body (of `type`) and a JSON answer. */
  async call(method: string, path: string, body?: unknown, type = 'application/json', headers: Record<string, string> = {}): Promise<Answer> {
    const r = await fetch(this.base + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { code: r.status, body: (await r.json()) as Answer['body'] };
  }

  /** Runs the real kubectl against the server, asynchronously (the server answers from this process's event loop). */
  kubectl(...args: string[]): Promise<KubectlRun> {
    return new Promise((res) => {
      execFile('kubectl', ['--kubeconfig', this.kubeconfig, '--cache-dir', join(this.dir, 'cache'), ...args], (err, stdout, stderr) => {
        res({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  async stop(): Promise<void> {
    await this.api.close();
    this.store.close();
    await this.cluster.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
