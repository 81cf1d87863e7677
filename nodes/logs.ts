/**
 * The kubelet's container log endpoint for every node of the process, on
 * one port (each Node's status.addresses InternalIP and
 * daemonEndpoints.kubeletEndpoint.Port point at it):
 *
 *   GET /containerLogs/{namespace}/{pod}/{container}
 *       ?follow=true&tailLines=N&timestamps=true&previous=true&sinceSeconds=N&sinceTime=T&limitBytes=N
 *
 * The lines are the container's simulated life (lifecycle.ts logLines):
 * image pulled, started, ready, SIGTERM, exit. Errors are the kubelet's, as
 * plain text: 404 `pod "p" does not exist` and `container "c" not found in
 * pod "p"`; 400 for a container that has not started (`container "c" in
 * pod "p" is waiting to start: ContainerCreating`) and for `previous` (no
 * container restarts, so `previous terminated container "c" in pod "p" not
 * found`); 503 for a pod of a node stopped by its annotation (a dead
 * kubelet does not answer). With follow the answer streams until the
 * container stops (as the kubelet's does) or the caller goes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../client/clock.js';
import { logLines, type LogLine } from './lifecycle.js';
import type { PodView } from './pods.js';

/** How often a follow looks for new lines. */
const FOLLOW_POLL_MS = 100;

/** A running log server. */
export interface LogServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Where the server finds pods; with `uid`, that pod only, even deleted lately (a follow's last lines). */
export type PodLookup = (namespace: string, name: string, uid?: string) => PodView | undefined;

/** The query of a container log request. */
export interface LogQuery {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** Only lines at or after this instant (ms), from sinceSeconds or sinceTime. */
  readonly since?: number;
}

/** Parses the query; throws a message for a value that is not one. */
export function parseLogQuery(q: URLSearchParams, now: number): LogQuery {
  const bool = (k: string): boolean => q.get(k) === 'true' || q.get(k) === '1';
  const int = (k: string, min: number): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${k}: ${JSON.stringify(v)} must be an integer of at least ${min}`);
    return n;
  };
  const sinceSeconds = int('sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw new Error('at most one of sinceTime or sinceSeconds may be specified');
  const t = sinceTime ? Date.parse(sinceTime) : NaN;
  if (sinceTime && Number.isNaN(t)) throw new Error(`sinceTime: ${JSON.stringify(sinceTime)} is not RFC 3339`);
  const since = sinceSeconds !== undefined ? now - sinceSeconds * 1000 : sinceTime ? t : undefined;
  const tailLines = int('tailLines', 0);
  const limitBytes = int('limitBytes', 1);
  return { follow: bool('follow'), previous: bool('previous'), timestamps: bool('timestamps'), ...(tailLines !== undefined ? { tailLines } : {}), ...(limitBytes !== undefined ? { limitBytes } : {}), ...(since !== undefined ? { since } : {}) };
}

/** RFC 3339 with nanoseconds, trailing zeros dropped (Go's RFC3339Nano), as the kubelet stamps lines. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, f: string) => (f === '000' ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

/** The lines `q` selects of those written by `now` (before tailLines and limitBytes, which apply once). */
function written(all: readonly LogLine[], now: number, q: LogQuery): LogLine[] {
  return all.filter((l) => l.at <= now && (q.since === undefined || l.at >= q.since));
}

function format(l: LogLine, q: LogQuery): string {
  return `${q.timestamps ? `${rfc3339Nano(l.at)} ` : ''}${l.text}\n`;
}

/** Whether the container has stopped for good at `now`. */
function stopped(v: PodView, container: string): boolean {
  const s = [...(v.status.initContainerStatuses ?? []), ...v.status.containerStatuses].find((c) => c.name === container);
  return s?.state.terminated !== undefined;
}

/** Starts the server on `host:port` (port 0: any free one). */
export async function startLogServer(lookup: PodLookup, o: { host: string; port: number; clock: Clock }): Promise<LogServer> {
  const server: Server = createServer((req, res) => serve(req, res));
  const follows = new Set<() => void>();

  function fail(res: ServerResponse, code: number, message: string): void {
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(message);
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return fail(res, 404, '404 page not found\n');
    const [namespace, name, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
    let q: LogQuery;
    try {
      q = parseLogQuery(url.searchParams, o.clock.now());
    } catch (e) {
      return fail(res, 400, `${(e as Error).message}\n`);
    }
    const v = lookup(namespace, name);
    if (!v) return fail(res, 404, `pod "${name}" does not exist\n`);
    // a node stopped by its annotation is a dead kubelet: it does not answer
    if (!v.agent.active) return fail(res, 503, `the kubelet of node ${v.agent.name} is stopped (kubeling.dev/heartbeat: stopped)\n`);
    const spec = [...(v.pod.spec.initContainers ?? []), ...v.pod.spec.containers].find((c) => c.name === container);
    if (!spec) return fail(res, 404, `container "${container}" not found in pod "${name}"\n`);
    if (q.previous) return fail(res, 400, `previous terminated container "${container}" in pod "${name}" not found`);
    const status = [...(v.status.initContainerStatuses ?? []), ...v.status.containerStatuses].find((c) => c.name === container);
    if (status?.state.waiting) return fail(res, 400, `container "${container}" in pod "${name}" is waiting to start: ${status.state.waiting.reason}`);
    if (!status?.containerID) return fail(res, 400, `container "${container}" in pod "${name}" is waiting to start - no logs yet`);

    res.writeHead(200, { 'content-type': 'text/plain' });
    if (q.follow) res.flushHeaders(); // a follow may have nothing to say yet: its caller learns at once that it is on
    let budget = q.limitBytes ?? Infinity;
    const write = (lines: LogLine[]): boolean => {
      for (const l of lines) {
        const s = format(l, q);
        const b = Buffer.byteLength(s);
        if (b > budget) {
          res.write(Buffer.from(s).subarray(0, budget));
          budget = 0;
          return false;
        }
        budget -= b;
        res.write(s);
      }
      return true;
    };
    const podIP = v.podIP;
    const linesOf = (view: PodView): LogLine[] => logLines(view.pod, view.plan, container, { node: view.agent.name, ...(podIP ? { podIP } : {}) });
    const before = written(linesOf(v), o.clock.now(), q);
    const lines = q.tailLines === undefined ? before : q.tailLines === 0 ? [] : before.slice(-q.tailLines);
    // a container writes few lines: those written so far are remembered, so a follow sends only later ones
    const sent = new Set(before.map((l) => `${l.at} ${l.text}`));
    if (!write(lines) || !q.follow || stopped(v, container)) return void res.end();
    // follow: new lines as their time comes, until the container stops or the pod goes
    const uid = v.pod.metadata.uid;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      follows.delete(finish);
      res.end();
    };
    follows.add(finish);
    res.once('close', finish);
    const poll = (): void => {
      const now = o.clock.now();
      // this pod, even if deleted meanwhile (its containers stopped first): its last lines, then the end
      const cur = lookup(namespace, name, uid);
      if (!cur) return finish();
      const fresh = written(linesOf(cur), now, q).filter((l) => !sent.has(`${l.at} ${l.text}`));
      for (const l of fresh) sent.add(`${l.at} ${l.text}`);
      if (fresh.length && !write(fresh)) return finish();
      if (stopped(cur, container)) return finish();
      timer = setTimeout(poll, FOLLOW_POLL_MS);
    };
    timer = setTimeout(poll, FOLLOW_POLL_MS);
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(o.port, o.host, () => res());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((res) => {
        for (const f of [...follows]) f();
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
