/**
 * `npm run bench:apiserver`: the API server under load, against Kubernetes'
 * scalability SLOs (mutating calls on single objects: p99 ≤ 1 s; a list
 * across the cluster: ≤ 30 s).
 *
 * It starts a 3-member kubeling store (child processes, test/cluster.ts) and
 * `kubeling apiserver --insecure-port` as a child process over it, all on
 * loopback, and drives it over HTTP keep-alive from this process with pods
 * shaped like a Deployment's (one container with ports, env, resource
 * requests and a probe; labels; a ReplicaSet owner; about 1 KiB of JSON):
 *
 * - creates from 1 client, then from `--clients` clients, `--duration`
 *   seconds each: pods/s, p50 and p99, and the API server's CPU per create;
 * - merge PATCHes of a label on those pods from `--clients` clients;
 * - creates up to 10,000 pods and up to `--pods`, and at each size the time
 *   to list every pod (`GET /api/v1/pods`) as a consistent read from the
 *   store and with resourceVersion=0 from the watch cache (the median of
 *   `--list-runs`), then the API server's RSS;
 * - the CPU of one request of each kind a scheduled pod costs (its create,
 *   its pods/binding, the scheduler's events.k8s.io/v1 Scheduled Event) and
 *   of a GET, in the API server and in the store's members, 5,000 of each
 *   from `--clients` clients, with the pods above cached: what bounds
 *   bench:scheduler on this machine;
 * - `--watchers` chunked HTTP watches of one namespace while a writer
 *   creates pods in it, `--watch-rate` a second for `--duration` seconds:
 *   the delay from each write's request (and from its response) to each
 *   watcher's receipt of the event, p50 and p99 over all deliveries, and
 *   the API server's RSS with the watchers connected.
 *
 * It prints one table; progress goes to stderr. Children and temp dirs are
 * removed at the end, on error and on SIGINT/SIGTERM. `--cpu-prof DIR` runs
 * the API server under `node --cpu-prof`, its profile written to DIR.
 *
 *   npm run bench:apiserver [-- --pods 30000 --clients 50 --duration 10 --watchers 1000 --watch-rate 20 --list-runs 3 --cpu-prof DIR]
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Api, bindingBody, podBody, podName, scheduledEventBody, watchDelivery } from './apiserver-load.js';
import { ControlPlane, closedLoop, cpuSeconds, log, markdownTable, mib, ms, now, percentile, rssBytes, runBench, stopOnSignals, type LoadResult } from './util.js';

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '30000' },
    clients: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    watchers: { type: 'string', default: '1000' },
    'watch-rate': { type: 'string', default: '20' },
    'list-runs': { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
  },
});
const positive = (name: keyof typeof flags): number => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not ${String(flags[name])}`);
  return n;
};
const PODS = positive('pods');
const CLIENTS = positive('clients');
const DURATION = positive('duration');
const WATCHERS = positive('watchers');
const WATCH_RATE = positive('watch-rate');
const LIST_RUNS = positive('list-runs');
/** The pod counts at which lists are timed. */
const LIST_AT = [...new Set([Math.min(10_000, PODS), PODS])];
/** Creates before the measured rows, so that they measure optimized code. */
const WARMUP = Math.min(1000, PODS);
/** Requests of each kind requestCostRows measures. */
const PER_KIND = 5000;
/** The namespace of the load's pods, and the one the watchers watch. */
const NS = 'bench';
const WATCH_NS = 'bench-watch';

// ---------------------------------------------------------------- children and cleanup

/** The store and the API server, once starting. */
let plane: Promise<ControlPlane> | undefined;
stopOnSignals();

// ---------------------------------------------------------------- the load

/** Pods whose creation in NS was tried so far (names podName(0 .. created - 1)). */
let created = 0;
/** Of those, the ones created. */
let stored = 0;

/** Creates pods in NS from `clients` clients until `limit`; the names continue from the last call's. */
async function createPods(api: Api, clients: number, limit: { seconds?: number; ops?: number }): Promise<LoadResult> {
  const base = created;
  let last = base;
  const r = await closedLoop(clients, limit, async (_, seq) => {
    last = Math.max(last, base + seq + 1);
    const reply = await api.createPod(NS, podName(base + seq));
    stored++;
    if (base + seq === 0 && reply.warning) log(`the pod body draws a warning: ${reply.warning}`);
  });
  created = last;
  return r;
}

/** Times `runs` GETs of `path`, to the last byte; checks each holds at least `items` items. */
async function timeList(api: Api, path: string, runs: number, items: number): Promise<{ seconds: number[]; bytes: number }> {
  const seconds: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = now();
    const r = await api.expect(200, 'GET', path);
    seconds.push((now() - t) / 1000);
    bytes = r.body.length;
    const n = (JSON.parse(r.body.toString()) as { items: unknown[] }).items.length;
    if (n < items) throw new Error(`GET ${path}: ${n} items, expected ${items}`);
  }
  seconds.sort((a, b) => a - b);
  return { seconds, bytes };
}

// ---------------------------------------------------------------- the table

/** One line of the table. */
type Row = readonly [measurement: string, figure: string, slo: string];

const errs = (r: { errors: number; firstError?: string }): string => (r.errors > 0 ? ` (${r.errors} errors: ${r.firstError})` : '');
/** The SLO cell of a p99 of mutating calls. */
const mutatingSlo = (p99: number): string => `p99 ≤ 1 s: ${p99 <= 1000 ? 'met' : 'MISSED'}`;

/** The rows of a closed loop of writes: rate and latency percentiles. */
function loadRows(what: string, unit: string, r: LoadResult): Row[] {
  const p50 = percentile(r.latencies, 0.5);
  const p99 = percentile(r.latencies, 0.99);
  log(`${what}: ${(r.latencies.length / r.seconds).toFixed(0)} ${unit}/s, p50 ${ms(p50)} ms, p99 ${ms(p99)} ms${errs(r)}`);
  return [
    [`${what}: ${unit}/s`, `${(r.latencies.length / r.seconds).toFixed(0)}${errs(r)}`, ''],
    [`${what}: p50 / p99 (ms)`, `${ms(p50)} / ${ms(p99)}`, mutatingSlo(p99)],
  ];
}

/** The rows of the writes: creates from 1 and from CLIENTS clients, label patches. */
async function writeRows(api: Api, pid: number): Promise<Row[]> {
  log(`warming up: ${WARMUP} creates from ${CLIENTS} clients`);
  await createPods(api, CLIENTS, { ops: WARMUP });
  const rows = loadRows('create pod, 1 client', 'pods', await createPods(api, 1, { seconds: DURATION }));
  const cpu0 = cpuSeconds(pid);
  const concurrent = await createPods(api, CLIENTS, { seconds: DURATION });
  const cpuPerCreate = ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, concurrent.latencies.length);
  rows.push(...loadRows(`create pod, ${CLIENTS} clients`, 'pods', concurrent));
  rows.push([`API server CPU per create at ${CLIENTS} clients (ms)`, ms(cpuPerCreate), '']);
  const existing = created;
  const labelPatch = (seq: number): string => JSON.stringify({ metadata: { labels: { 'bench-generation': String(seq) } } });
  const patched = await closedLoop(CLIENTS, { seconds: DURATION }, (_, seq) =>
    api.expect(200, 'PATCH', `/api/v1/namespaces/${NS}/pods/${podName((seq * 7919) % existing)}`, labelPatch(seq), 'application/merge-patch+json'),
  );
  rows.push(...loadRows(`update pod (merge PATCH of a label), ${CLIENTS} clients`, 'updates', patched));
  return rows;
}

/**
 * The CPU one request of each kind a scheduled pod costs (its create, its
 * binding, the scheduler's Scheduled event) and of a GET, in the API server
 * and in the store's members together: each kind from CLIENTS clients over
 * the same PER_KIND fresh pods in NS (bound to nodes that need not exist,
 * as the API allows), measured from /proc around it.
 */
async function requestCostRows(api: Api, pid: number, storePids: readonly number[]): Promise<Row[]> {
  const base = created;
  const n = Math.min(PER_KIND, PODS);
  const uids: string[] = [];
  const cost = async (what: string, op: (i: number) => Promise<unknown>): Promise<string> => {
    const storeCpu = (): number => storePids.reduce((t, p) => t + cpuSeconds(p), 0);
    const [api0, store0] = [cpuSeconds(pid), storeCpu()];
    const r = await closedLoop(CLIENTS, { ops: n }, (_, seq) => op(seq));
    if (r.errors > 0) throw new Error(`${what}: ${r.errors} failed: ${r.firstError}`);
    const per = (seconds: number): string => ms((seconds * 1000) / n);
    const figure = `${per(cpuSeconds(pid) - api0)} / ${per(storeCpu() - store0)}`;
    log(`${what}: ${(n / r.seconds).toFixed(0)}/s, CPU per request: API server / store ${figure} ms`);
    return figure;
  };
  const create = await cost('create pod', async (i) => {
    const reply = await api.createPod(NS, podName(base + i));
    uids[i] = (JSON.parse(reply.body.toString()) as { metadata: { uid: string } }).metadata.uid;
  });
  created = stored = base + n;
  const binding = await cost('pods/binding', (i) => {
    const name = podName(base + i);
    return api.expect(201, 'POST', `/api/v1/namespaces/${NS}/pods/${name}/binding`, bindingBody(NS, name, uids[i]!, `node-${i % 100}`));
  });
  const event = await cost('Scheduled event', (i) =>
    api.expect(201, 'POST', `/apis/events.k8s.io/v1/namespaces/${NS}/events`, scheduledEventBody(NS, { name: podName(base + i), uid: uids[i]! }, `node-${i % 100}`, Date.now())),
  );
  const get = await cost('GET pod', (i) => api.expect(200, 'GET', `/api/v1/namespaces/${NS}/pods/${podName(base + i)}`));
  const sum = [create, binding, event].map((f) => f.split(' / ').map(Number)).reduce((a, b) => [a[0]! + b[0]!, a[1]! + b[1]!]);
  const at = `${CLIENTS} clients, ${n.toLocaleString('en-US')} each`;
  return [
    [`CPU per request, API server / store's 3 members (ms), ${at}: create pod`, create, ''],
    [`… pods/binding`, binding, ''],
    [`… an events.k8s.io/v1 Event (the scheduler's Scheduled)`, event, ''],
    [`… the three a scheduled pod costs, together`, `${ms(sum[0]!)} / ${ms(sum[1]!)}`, ''],
    [`… GET pod (a consistent read from the store)`, get, ''],
  ];
}

/** The rows of the lists: at each size of LIST_AT (creating pods up to it, if there are fewer), both kinds of list and the RSS after them. */
async function listRows(api: Api, pid: number): Promise<Row[]> {
  const rows: Row[] = [];
  let filling: LoadResult | undefined;
  for (const size of LIST_AT) {
    if (stored < size) {
      log(`creating pods up to ${size}`);
      const r = await createPods(api, CLIENTS, { ops: size - stored });
      if (r.errors > 0) throw new Error(`${r.errors} creates failed while filling: ${r.firstError}`);
      filling = filling ? { ...r, latencies: [...filling.latencies, ...r.latencies].sort((a, b) => a - b), seconds: filling.seconds + r.seconds } : r;
    }
    const n = stored.toLocaleString('en-US'); // the load rows may have created more than `size`
    for (const [how, query] of [
      ['consistent read from the store', ''],
      ['resourceVersion=0, from the watch cache', '?resourceVersion=0'],
    ] as const) {
      const r = await timeList(api, `/api/v1/pods${query}`, LIST_RUNS, stored);
      log(`list ${n} pods, ${how}: ${r.seconds.map((s) => s.toFixed(2)).join(', ')} s, ${mib(r.bytes)}`);
      rows.push([
        `list all ${n} pods, ${how}: s (median of ${LIST_RUNS}; ${mib(r.bytes)})`,
        `${percentile(r.seconds, 0.5).toFixed(2)} (${r.seconds[0]!.toFixed(2)}-${r.seconds.at(-1)!.toFixed(2)})`,
        `≤ 30 s: ${r.seconds.at(-1)! <= 30 ? 'met' : 'MISSED'}`,
      ]);
    }
    rows.push([`API server RSS after the lists at ${n} pods`, mib(rssBytes(pid)), '']);
  }
  if (filling) {
    const p99 = percentile(filling.latencies, 0.99);
    const figure = `${(filling.latencies.length / filling.seconds).toFixed(0)}; ${ms(percentile(filling.latencies, 0.5))} / ${ms(p99)}`;
    rows.push([`create pod while filling to ${PODS.toLocaleString('en-US')}, ${CLIENTS} clients: pods/s; p50 / p99 (ms)`, figure, mutatingSlo(p99)]);
  }
  return rows;
}

/** The rows of watch delivery to WATCHERS watchers. */
async function watchRows(api: Api, pid: number): Promise<Row[]> {
  log(`opening ${WATCHERS} watchers`);
  const w = await watchDelivery(api, { namespace: WATCH_NS, watchers: WATCHERS, rate: WATCH_RATE, seconds: DURATION, pid });
  const got = w.fromRequest.length;
  const watch = `${WATCHERS} watchers (opened in ${w.openSeconds.toFixed(1)} s), ${WATCH_RATE} creates/s for ${DURATION} s`;
  const p = (xs: number[]): string => `${ms(percentile(xs, 0.5))} / ${ms(percentile(xs, 0.99))}`;
  log(`${watch}: ${got} of ${w.expected} delivered; from the request p50 / p99 ${p(w.fromRequest)} ms`);
  const early = (100 * w.fromResponse.filter((d) => d < 0).length) / Math.max(1, got);
  return [
    [`watch delivery, ${watch}: from the write's request, p50 / p99 (ms)`, p(w.fromRequest), ''],
    [`watch delivery, ${watch}: from the write's response (< 0: the event came first), p50 / p99 (ms)`, p(w.fromResponse), `${early.toFixed(0)}% came before the response`],
    [`watch deliveries received`, `${got} of ${w.expected}`, ''],
    [`the writer's creates with ${WATCHERS} watchers: p50 / p99 (ms)`, `${p(w.writes.latencies)}${errs(w.writes)}`, mutatingSlo(percentile(w.writes.latencies, 0.99))],
    [`CPU while writing, of a core: API server / this process (the watchers)`, `${(100 * w.cpu.api).toFixed(0)}% / ${(100 * w.cpu.bench).toFixed(0)}%`, ''],
    [`API server RSS with ${WATCHERS} watchers`, mib(w.rss), ''],
  ];
}

async function main(): Promise<void> {
  const load = loadavg()[0]!.toFixed(1);
  log(`starting a 3-member kubeling store (load average ${load} on ${availableParallelism()} cores)`);
  plane = ControlPlane.start(flags['cpu-prof'] ? { apiCpuProf: flags['cpu-prof'] } : {});
  const p = await plane;
  const api = new Api(p.port);
  const pid = p.apiServer.pid;
  for (const ns of [NS, WATCH_NS]) {
    await api.expect(201, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: ns } }));
    // the account its pods run as (the service account controller's work; no controller manager runs here)
    await api.expect(201, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, JSON.stringify({ metadata: { name: 'default' } }));
  }
  const rows = [...(await writeRows(api, pid)), ...(await listRows(api, pid)), ...(await requestCostRows(api, pid, p.storePids)), ...(await watchRows(api, pid))];
  api.agent.destroy();
  console.log(
    `kubeling API server (node ${process.version}) over a 3-member kubeling store on loopback, fsync on, ${availableParallelism()} cores (load average ${load} at the start); ` +
      `pods of ${podBody(NS, podName(0)).length} bytes of JSON; ${DURATION} s per load row after ${WARMUP} creates to warm up, ${CLIENTS} concurrent clients over HTTP/1.1 keep-alive`,
  );
  for (const line of markdownTable([['measurement', 'kubeling', 'Kubernetes SLO'], ...rows])) console.log(line);
}

await runBench(main, async () => {
  await (await plane?.catch(() => undefined))?.stop();
  if (flags['cpu-prof']) log(`API server CPU profile in ${resolve(flags['cpu-prof'])}`);
});
