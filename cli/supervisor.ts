/**
 * The supervisor of `kubeling up`: a small HTTP server on 127.0.0.1 (a
 * random port) through which the API server's dashboard stops and starts
 * store members (apiserver/inspect/raft.ts is its client). Every request must
 * carry `Authorization: Bearer <token>`, a random token that `up` hands to
 * the API server in a file (--ui-supervisor-token-file); others get 401.
 *
 * ```
 *  GET  /members               → { members: [{ name, running }] }
 *  POST /members/<name>/stop   → { name, running: false }   (SIGTERM, once it has exited)
 *  POST /members/<name>/start  → { name, running: true }    (the same command again)
 * ```
 * Both POSTs are idempotent. An unknown member is 404, an error is
 * `{ error }` with its code.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One process the supervisor may stop and start. */
export interface SupervisedProcess {
  readonly name: string;
  /** Whether it runs now. */
  running(): boolean;
  /** Stops it (SIGTERM) and resolves once it has exited; its exit is not a failure. */
  stop(): Promise<void>;
  /** Starts it again with the arguments it was first started with. */
  start(): void;
}

/** A running supervisor. */
export interface Supervisor {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Starts the supervisor of `processes` (by name); see the file comment. */
export async function startSupervisor(processes: readonly SupervisedProcess[], token = randomBytes(32).toString('base64url')): Promise<Supervisor> {
  const byName = new Map(processes.map((p) => [p.name, p]));
  const expected = Buffer.from(`Bearer ${token}`);
  const authorized = (req: IncomingMessage): boolean => {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  const answer = (res: ServerResponse, code: number, body: unknown): void => {
    const data = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }).end(data);
  };
  /** One stop or start at a time per member: a start during a stop waits for it. */
  const busy = new Map<string, Promise<void>>();
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!authorized(req)) return answer(res, 401, { error: 'unauthorized' });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/members') {
      if (req.method !== 'GET') return answer(res, 405, { error: 'method not allowed' });
      return answer(res, 200, { members: processes.map((p) => ({ name: p.name, running: p.running() })) });
    }
    const m = /^\/members\/([^/]+)\/(stop|start)$/.exec(path);
    if (!m) return answer(res, 404, { error: `not found: ${path}` });
    if (req.method !== 'POST') return answer(res, 405, { error: 'method not allowed' });
    const name = decodeURIComponent(m[1]!);
    const p = byName.get(name);
    if (!p) return answer(res, 404, { error: `no store member named ${name}` });
    const prev = busy.get(name) ?? Promise.resolve();
    const op = prev.then(async () => {
      if (m[2] === 'stop') {
        if (p.running()) await p.stop();
      } else if (!p.running()) p.start();
    });
    const settled = op.catch(() => undefined);
    busy.set(name, settled);
    await op;
    if (busy.get(name) === settled) busy.delete(name);
    answer(res, 200, { name, running: p.running() });
  };
  const server = createServer((req, res) => {
    req.resume();
    serve(req, res).catch((e: unknown) => answer(res, 500, { error: e instanceof Error ? e.message : String(e) }));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
