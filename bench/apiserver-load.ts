/**
 * The load of `bench:apiserver` (apiserver.ts): an HTTP keep-alive client of
 * the API server, pods shaped like a Deployment's, and the measurement of
 * watch event delivery to many watchers.
 */
import { Agent, request, type ClientRequest } from 'node:http';
import { microTime } from '../client/clock.js';
import { cpuSeconds, log, now, pause, rssBytes, until } from './util.js';

/** An answer: status, the Warning header and the whole body. */
export interface Reply {
  readonly status: number;
  readonly warning: string | undefined;
  readonly body: Buffer;
}

/** Calls to an API server on a loopback port over keep-alive connections. */
export class Api {
  readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  constructor(readonly port: number) {}

  /** One request; resolves with whatever status it answers. */
  call(method: string, path: string, body?: string, type = 'application/json'): Promise<Reply> {
    return new Promise((res, rej) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (body !== undefined) Object.assign(headers, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, warning: r.headers.warning, body: Buffer.concat(chunks) }));
        r.on('error', rej);
      });
      req.on('error', rej);
      req.end(body);
    });
  }

  /** A call that must answer `want`; throws with the Status message otherwise. */
  async expect(want: number, method: string, path: string, body?: string, type?: string): Promise<Reply> {
    const r = await this.call(method, path, body, type);
    if (r.status !== want) {
      let msg = r.body.toString().slice(0, 300);
      try {
        msg = (JSON.parse(msg) as { message?: string }).message ?? msg;
      } catch {
        // not a Status
      }
      throw new Error(`${method} ${path}: ${r.status} ${msg}`);
    }
    return r;
  }

  /**
   * Opens a chunked watch at `path` over `agent` (a connection of its own)
   * and calls `onLine` with each line of it and when it arrived (now());
   * resolves once the answer is 200, rejects otherwise. `onEnd` hears of
   * the stream's end or failure. Destroy the request to close it.
   */
  watchLines(path: string, agent: Agent, onLine: (line: string, at: number) => void, onEnd: (why: string) => void = () => {}): Promise<ClientRequest> {
    return new Promise((res, rej) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, agent }, (r) => {
        if (r.statusCode !== 200) return rej(new Error(`watch: ${r.statusCode}`));
        r.setEncoding('utf8');
        let partial = '';
        r.on('data', (chunk: string) => {
          const at = now();
          const lines = (partial + chunk).split('\n');
          partial = lines.pop()!;
          for (const line of lines) if (line) onLine(line, at);
        });
        r.on('end', () => onEnd('the watch ended'));
        r.on('error', (e) => onEnd(e.message));
        res(req);
      });
      req.on('error', rej);
      req.end();
    });
  }

  /** Creates a pod (podBody) named `name` in `namespace`. */
  createPod(namespace: string, name: string, annotations: Record<string, string> = {}): Promise<Reply> {
    return this.expect(201, 'POST', `/api/v1/namespaces/${namespace}/pods`, podBody(namespace, name, annotations));
  }
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** The i-th pod's name, as a ReplicaSet names its pods (`web-<hash>-<5 chars>`). */
export function podName(i: number): string {
  let s = '';
  for (let k = 0, n = i; k < 5; k++, n = Math.floor(n / NAME_CHARS.length)) s += NAME_CHARS[n % NAME_CHARS.length];
  return `web-7d9c5b8f4-${s}`;
}

/** A pod as a Deployment's ReplicaSet creates it: about 1.1 KiB of JSON. */
export function podBody(namespace: string, name: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '7d9c5b8f4', 'app.kubernetes.io/version': '1.27.3' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z', ...annotations },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c5b8f4', uid: '0b7f4c5e-2f4d-4a51-9c3e-6d1a8e2b9f10', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.k8s.io/nginx-slim:1.27.3',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
        },
      ],
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
  });
}

/** What watchDelivery() does. */
export interface WatchLoad {
  /** The (existing, empty) namespace watched and written to. */
  readonly namespace: string;
  readonly watchers: number;
  /** Writes per second, for `seconds`. */
  readonly rate: number;
  readonly seconds: number;
  /** The API server's process, for its CPU time and RSS. */
  readonly pid: number;
}

/** What watchDelivery() measured. */
export interface WatchResult {
  /** ms from each write's request to each delivery, ascending. */
  readonly fromRequest: number[];
  /** ms from each write's response to each delivery, ascending; negative when the event came first. */
  readonly fromResponse: number[];
  /** Deliveries there should have been: successful writes × watchers. */
  readonly expected: number;
  /** The writes' latencies (ms, ascending) and failures. */
  readonly writes: { readonly latencies: number[]; readonly errors: number; readonly firstError?: string };
  /** The API server's RSS with the watchers connected. */
  readonly rss: number;
  /** Cores used by the API server and by this process (the watchers' side), from the first write until every event arrived. */
  readonly cpu: { readonly api: number; readonly bench: number };
  /** How long opening every watch took. */
  readonly openSeconds: number;
}

/** The annotation in which each write carries its sequence number. */
const SEQ_ANNOTATION = 'bench.kubeling.io/seq';

/**
 * `watchers` chunked HTTP watches of the namespace from its current
 * resourceVersion, each on its own connection; then a writer creates pods
 * in it at `rate` a second for `seconds` (open loop: a slow write does not
 * hold back the next; creates, so that no two writes conflict), each
 * carrying its sequence number in an annotation. Each watcher notes when
 * each event arrives.
 */
export async function watchDelivery(api: Api, load: WatchLoad): Promise<WatchResult> {
  const { namespace, pid } = load;
  const list = await api.expect(200, 'GET', `/api/v1/namespaces/${namespace}/pods`);
  const rv = (JSON.parse(list.body.toString()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const writes = load.rate * load.seconds;
  const deliveredSeq: number[] = [];
  const deliveredAt: number[] = [];
  const streams: { destroy(): void }[] = [];
  const seqRe = new RegExp(`"${SEQ_ANNOTATION.replace(/\./g, '\\.')}":"(\\d+)"`);
  const watchAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const open = async (): Promise<void> => {
    const path = `/api/v1/namespaces/${namespace}/pods?watch=1&resourceVersion=${rv}&timeoutSeconds=3600`;
    streams.push(
      await api.watchLines(path, watchAgent, (line, at) => {
        const m = seqRe.exec(line);
        if (m) {
          deliveredSeq.push(Number(m[1]));
          deliveredAt.push(at);
        } else if (line.includes('"ERROR"')) log(`a watcher got ${line.slice(0, 200)}`);
      }),
    );
  };
  try {
    const t = now();
    for (let i = 0; i < load.watchers; i += 100) await Promise.all(Array.from({ length: Math.min(100, load.watchers - i) }, open));
    const openSeconds = (now() - t) / 1000;
    log(`${load.watchers} watchers open in ${openSeconds.toFixed(1)} s; creating ${load.rate} pods/s for ${load.seconds} s`);
    const sentAt = new Float64Array(writes).fill(NaN);
    const answeredAt = new Float64Array(writes).fill(NaN);
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const start = now();
    const apiCpu = cpuSeconds(pid);
    const ownCpu = process.cpuUsage();
    const inFlight: Promise<void>[] = [];
    for (let seq = 0; seq < writes; seq++) {
      const due = start + (seq * 1000) / load.rate;
      if (due > now()) await pause(due - now());
      sentAt[seq] = now();
      inFlight.push(
        api.createPod(namespace, `w-${seq}`, { [SEQ_ANNOTATION]: String(seq) }).then(
          () => void latencies.push((answeredAt[seq] = now()) - sentAt[seq]!),
          (e: unknown) => {
            errors++;
            firstError ??= e instanceof Error ? e.message : String(e);
          },
        ),
      );
    }
    await Promise.all(inFlight);
    const expected = (writes - errors) * load.watchers;
    await until('every delivery', 30_000, () => Promise.resolve(deliveredSeq.length >= expected ? true : undefined), 50).catch(() =>
      log(`only ${deliveredSeq.length} of ${expected} deliveries after 30 s`),
    );
    const wall = (now() - start) / 1000;
    const own = process.cpuUsage(ownCpu);
    const cpu = { api: (cpuSeconds(pid) - apiCpu) / wall, bench: (own.user + own.system) / 1e6 / wall };
    const rss = rssBytes(pid);
    const fromRequest = deliveredSeq.map((seq, i) => deliveredAt[i]! - sentAt[seq]!);
    const fromResponse = deliveredSeq.map((seq, i) => deliveredAt[i]! - answeredAt[seq]!);
    const up = (a: number, b: number): number => a - b;
    return { fromRequest: fromRequest.sort(up), fromResponse: fromResponse.sort(up), expected, writes: { latencies: latencies.sort(up), errors, ...(firstError === undefined ? {} : { firstError }) }, rss, cpu, openSeconds };
  } finally {
    for (const s of streams) s.destroy();
    watchAgent.destroy();
  }
}

/** The body of a pods/binding of `name` (uid `uid`) in `namespace` to `node`, as kube-scheduler's DefaultBinder posts it. */
export function bindingBody(namespace: string, name: string, uid: string, node: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
}

/** The body of the events.k8s.io/v1 Scheduled Event kube-scheduler records for pod `name` bound to `node`, at `atMs`. */
export function scheduledEventBody(namespace: string, pod: { name: string; uid: string; resourceVersion?: string }, node: string, atMs: number): string {
  return JSON.stringify({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${pod.name}.${(atMs * 1e6).toString(16)}`, namespace },
    eventTime: microTime(atMs),
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-bench',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: { kind: 'Pod', namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1', ...(pod.resourceVersion !== undefined ? { resourceVersion: pod.resourceVersion } : {}) },
    note: `Successfully assigned ${namespace}/${pod.name} to ${node}`,
    type: 'Normal',
  });
}
