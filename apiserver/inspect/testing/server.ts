/**
 * Test support for the inspection API: a real 3-member kubeling store (child
 * processes), an API server in this process over it with HTTPS and bearer
 * tokens (an admin in system:masters and a viewer who is not), the
 * dashboard's parts a test asks for, JSON calls and WebSocket clients.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { TestCluster } from '../../../test/cluster.js';
import { until } from '../../../test/proc.js';
import { initPki } from '../../../store/server/pki.js';
import type { UserInfo } from '../../auth/user.js';
import { startApiServer, type ApiServer } from '../../server.js';
import { EtcdStore } from '../../storage/etcd.js';
import { uiServer, type UiPart } from '../index.js';

/** Who calls: the admin's token, the viewer's, or nobody. */
export type Caller = 'admin' | 'viewer' | 'none';

const TOKENS: Record<Exclude<Caller, 'none'>, string> = { admin: 'admin-token-0123456789', viewer: 'viewer-token-0123456789' };
const USERS = new Map<string, UserInfo>([
  [TOKENS.admin, { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] }],
  [TOKENS.viewer, { username: 'viewer', groups: ['system:authenticated'] }],
]);

/** A JSON answer. */
export interface Answer {
  readonly code: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON, read loosely by tests
  readonly body: any;
}

/** A WebSocket client that keeps every message (parsed JSON). */
export class SocketClient {
  readonly messages: unknown[] = [];
  closed: { code: number; reason: string } | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => this.messages.push(JSON.parse(d.toString('utf8'))));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** The first message from index `from` on that `pred` accepts, waiting for it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON
  next(pred: (m: any) => boolean, from = 0, ms = 15_000): Promise<any> {
    return until('a WebSocket message', () => this.messages.slice(from).find(pred), ms);
  }

  close(): void {
    this.ws.close();
  }
}

/** The parts a test serves, and what to close when it stops. */
export interface UiParts {
  readonly parts: UiPart[];
  readonly close?: () => void | Promise<void>;
}

/** The server of a test file; see the file comment. */
export class UiTestServer {
  private constructor(
    readonly cluster: TestCluster,
    readonly store: EtcdStore,
    readonly api: ApiServer,
    readonly dir: string,
    readonly ca: Buffer,
    private readonly closeParts: () => void | Promise<void>,
  ) {}

  /** Starts a 3-member store and an API server with the parts `parts` makes. */
  static async start(parts: (store: EtcdStore, cluster: TestCluster) => Promise<UiParts> | UiParts): Promise<UiTestServer> {
    const cluster = await TestCluster.start('kubeling', 3);
    const store = new EtcdStore({ endpoints: cluster.members.map((m) => m.clientUrl) });
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-ui-'));
    const pki = join(dir, 'pki');
    await initPki(pki, { keyAlgorithm: 'ecdsa' });
    const read = (f: string): Buffer => readFileSync(join(pki, f));
    const made = await parts(store, cluster);
    const api = await startApiServer(store, { tls: { cert: read('apiserver.crt'), key: read('apiserver.key'), clientCA: read('ca.crt') }, tokens: USERS, ui: uiServer(made.parts) });
    return new UiTestServer(cluster, store, api, dir, read('ca.crt'), made.close ?? (() => {}));
  }

  get base(): string {
    return `https://127.0.0.1:${this.api.port}`;
  }

  /** One call with a JSON body, as `as`. */
  call(method: string, path: string, body?: unknown, as: Caller = 'admin'): Promise<Answer> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = data === undefined ? {} : { 'content-type': 'application/json' };
    if (as !== 'none') headers.authorization = `Bearer ${TOKENS[as]}`;
    return new Promise((res, rej) => {
      const req = request(this.base + path, { method, headers, ca: this.ca }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          try {
            res({ code: r.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
          } catch (e) {
            rej(e as Error);
          }
        });
      });
      req.on('error', rej);
      req.end(data);
    });
  }

  /** Opens the WebSocket at `path` as `as` (the dashboard's subprotocols); rejects with the refusal's status code. */
  socket(path: string, as: Caller = 'admin'): Promise<SocketClient> {
    const protocols = ['kubeling.ui', ...(as === 'none' ? [] : [`base64url.bearer.authorization.k8s.io.${Buffer.from(TOKENS[as]).toString('base64url')}`])];
    const ws = new WebSocket(this.base.replace(/^https/, 'wss') + path, protocols, { ca: this.ca });
    const client = new SocketClient(ws);
    return new Promise((res, rej) => {
      ws.once('open', () => res(client));
      ws.once('unexpected-response', (_req, r) => rej(new Error(`refused: ${r.statusCode}`)));
      ws.once('error', rej);
    });
  }

  async stop(): Promise<void> {
    await this.api.close();
    await this.closeParts();
    this.store.close();
    await this.cluster.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
