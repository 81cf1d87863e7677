/**
 * `npm run bench:scheduler`: kube-scheduler's scheduler_perf SchedulingBasic
 * workload through kubeling's own API server and 3-member store (every
 * binding durably committed), after kube-scheduler's bar of 680 pods/s at
 * 5,000 nodes.
 *
 * For each row it starts a fresh 3-member kubeling store and `kubeling
 * apiserver --insecure-port` over it (child processes on loopback,
 * util.ts's ControlPlane), and the scheduler as a child process of its own
 * (`kubeling scheduler --kubeconfig F --leader-elect=false` when the CLI has
 * it, else scheduler-child.ts). Then, as SchedulingBasic does:
 *
 * - creates the nodes from `--clients` concurrent clients, shaped like
 *   scheduler_perf's node template (allocatable cpu 4, memory 32Gi, pods
 *   110; the label kubernetes.io/hostname; Ready);
 * - creates one pod and waits until it is bound (the scheduler is up);
 * - creates the pods from `--clients` concurrent clients, shaped like
 *   scheduler_perf's pod-default (one container `pause` requesting cpu 100m
 *   and memory 500Mi), while a watch on their namespace notes when each is
 *   seen bound (spec.nodeName set).
 *
 * It reports pods/s (the pods over the time from the first pod's create
 * request to the last pod's binding seen), p50 and p99 of each pod's
 * latency from its create response to its binding seen, the scheduler's
 * peak RSS, and the CPU of each process; then checks that every pod is
 * bound and no node is over-committed (requests within allocatable, at most
 * its pods). A row that takes longer than `--row-seconds` to bind its pods
 * (or makes no progress for 60 s) is cut, and says so.
 *
 * Rows: 5,000 nodes / 10,000 pods and 1,000 nodes / 30,000 pods; `--nodes N
 * --pods P` for one row of your own; `--quick` for 500 / 1,000.
 * `--cpu-prof DIR` runs the scheduler and the API server under `node
 * --cpu-prof` (profiles per row in DIR/<nodes>n-<pods>p and its apiserver/)
 * and prints their top costs by self time. `KUBELING_STORE_CPU_PROF=DIR`
 * in the environment profiles the store members too (test/cluster.ts).
 * `--scheduler-qps N` gives the scheduler's client a rate limit (qps N,
 * burst N/4; kube-scheduler's clientConnection.qps and burst), through
 * scheduler-child.ts.
 *
 * Two options find where the bottleneck is:
 *
 * - `--store etcd` runs the same rows over a 3-member real etcd (the
 *   Debian package's `etcd`) instead of kubeling's store;
 * - `--binder bench` runs no scheduler: the bench itself binds each pod its
 *   watch sees unbound to the next node in turn and records a Scheduled
 *   event, the two writes the scheduler makes for a pod, up to 200 pods at
 *   a time. What it reaches is what the API server and the store can carry
 *   of this workload on this machine, with the pods' creation as the
 *   workload makes it: the ceiling of any scheduler here.
 *
 *   npm run bench:scheduler [-- --quick | --nodes 5000 --pods 10000] [--clients 50 --row-seconds 300 --scheduler-qps N --cpu-prof DIR --store kubeling|etcd --binder scheduler|bench]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, type ClientRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { milliValue, quantityValue } from '../client/quantity.js';
import type { Flavour } from '../test/cluster.js';
import { Api, bindingBody, scheduledEventBody } from './apiserver-load.js';
import { ControlPlane, ROOT, closedLoop, cpuProfileTop, cpuSeconds, log, markdownTable, mib, ms, now, percentile, rssBytes, runBench, stopOnSignals, type BenchChild } from './util.js';

const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string' },
    pods: { type: 'string' },
    quick: { type: 'boolean', default: false },
    clients: { type: 'string', default: '50' },
    'row-seconds': { type: 'string', default: '300' },
    'cpu-prof': { type: 'string' },
    'scheduler-qps': { type: 'string' },
    store: { type: 'string', default: 'kubeling' },
    binder: { type: 'string', default: 'scheduler' },
  },
});
if (flags.store !== 'kubeling' && flags.store !== 'etcd') throw new Error(`--store must be kubeling or etcd, not ${flags.store}`);
const STORE: Flavour = flags.store;
/** Who binds the pods: the scheduler, or (for the ceiling of the API server and store) the bench itself. */
const BINDER = flags.binder;
if (BINDER !== 'scheduler' && BINDER !== 'bench') throw new Error(`--binder must be scheduler or bench, not ${BINDER}`);
/** How many pods the bench binder binds at a time: enough that its own latency never limits it (kube-scheduler binds without a limit). */
const BINDER_CONCURRENCY = 200;
const positive = (name: 'nodes' | 'pods' | 'clients' | 'row-seconds' | 'scheduler-qps', fallback?: number): number => {
  const n = flags[name] === undefined ? fallback : Number(flags[name]);
  if (n === undefined || !Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not ${String(flags[name])}`);
  return n;
};
const CLIENTS = positive('clients');
const ROW_SECONDS = positive('row-seconds');
/** The scheduler client's rate limit (qps, burst qps / 4), if any. */
const SCHEDULER_QPS = flags['scheduler-qps'] === undefined ? undefined : positive('scheduler-qps');
/** The rows: [nodes, pods]. */
const ROWS: readonly (readonly [number, number])[] = flags.quick
  ? [[500, 1000]]
  : flags.nodes !== undefined || flags.pods !== undefined
    ? [[positive('nodes', 5000), positive('pods', 10_000)]]
    : [
        [5000, 10_000],
        [1000, 30_000],
      ];
/** A row with no new binding for this long is cut. */
const STALL_MS = 60_000;
const NS = 'bench';
/** scheduler_perf's node template's allocatable (and capacity). */
const NODE_RESOURCES = { cpu: '4', memory: '32Gi', pods: '110' } as const;
/** scheduler_perf's pod-default's requests. */
const POD_REQUESTS = { cpu: '100m', memory: '500Mi' } as const;

stopOnSignals();

// ---------------------------------------------------------------- the workload

const nodeBody = (name: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { capacity: NODE_RESOURCES, allocatable: NODE_RESOURCES, conditions: [{ type: 'Ready', status: 'True' }], phase: 'Running' },
  });

const podBody = (name: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 80 }], resources: { requests: POD_REQUESTS, limits: POD_REQUESTS } }] },
  });

/** The i-th pod's name; the warm-up pod is `warmup`. */
const podName = (i: number): string => `pod-${i}`;

/**
 * The command line of the scheduler's process: the CLI's command if it has
 * one, else (or for a client-side rate limit, which the CLI does not take)
 * scheduler-child.ts.
 */
function schedulerArgs(kubeconfig: string): { args: string[]; how: string } {
  const child = ['--import', 'tsx', join(ROOT, 'bench/scheduler-child.ts'), '--kubeconfig', kubeconfig];
  if (SCHEDULER_QPS) {
    const burst = String(Math.ceil(SCHEDULER_QPS / 4));
    return { args: [...child, '--qps', String(SCHEDULER_QPS), '--burst', burst], how: `bench/scheduler-child.ts with the client's qps ${SCHEDULER_QPS}, burst ${burst}` };
  }
  const help = spawnSync(process.execPath, [join(ROOT, 'cli/bin.js'), 'scheduler', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (help.status === 0 && !/unknown command/.test(help.stdout + help.stderr)) {
    return { args: [join(ROOT, 'cli/bin.js'), 'scheduler', '--kubeconfig', kubeconfig, '--leader-elect=false'], how: '`kubeling scheduler --leader-elect=false`' };
  }
  return { args: child, how: 'bench/scheduler-child.ts (`kubeling scheduler` does not exist yet)' };
}

/**
 * A chunked watch of the pods of NS (BindingWatch.open) that notes, for
 * each pod, when it was first seen bound (bound[i] for podName(i), and
 * `warmup`), and hands each pod it sees created unbound to `onUnbound`.
 */
class BindingWatch {
  readonly bound: Float64Array;
  count = 0;
  lastAt = NaN;
  warmupBound = false;
  error: string | undefined;
  #req: ClientRequest | undefined;
  #onUnbound: ((pod: PodRef) => void) | undefined;
  readonly #agent = new Agent({ keepAlive: false });

  private constructor(pods: number) {
    this.bound = new Float64Array(pods).fill(NaN);
  }

  /** Watches from `resourceVersion`, for `pods` pods. */
  static async open(api: Api, resourceVersion: string, pods: number, onUnbound?: (pod: PodRef) => void): Promise<BindingWatch> {
    const w = new BindingWatch(pods);
    w.#onUnbound = onUnbound;
    const path = `/api/v1/namespaces/${NS}/pods?watch=1&resourceVersion=${resourceVersion}&timeoutSeconds=3600`;
    w.#req = await api.watchLines(path, w.#agent, (line, at) => w.#event(line, at), (why) => void (w.error ??= why));
    return w;
  }

  #event(line: string, at: number): void {
    const e = JSON.parse(line) as { type: string; object: { metadata?: { name?: string; uid?: string; resourceVersion?: string }; spec?: { nodeName?: string }; message?: string } };
    if (e.type === 'ERROR') this.error ??= `watch: ${e.object.message ?? line.slice(0, 200)}`;
    const name = e.object.metadata?.name ?? '';
    if (!e.object.spec?.nodeName) {
      if (e.type === 'ADDED') this.#onUnbound?.({ name, uid: e.object.metadata?.uid ?? '', resourceVersion: e.object.metadata?.resourceVersion ?? '' });
      return;
    }
    if (name === 'warmup') this.warmupBound = true;
    else if (name.startsWith('pod-')) {
      const i = Number(name.slice(4));
      if (Number.isNaN(this.bound[i]!)) {
        this.bound[i] = at;
        this.count++;
        this.lastAt = at;
      }
    }
  }

  close(): void {
    this.#req?.destroy();
    this.#agent.destroy();
  }
}

/** A pod as the bench binder needs it. */
interface PodRef {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

/**
 * `--binder bench`: binds each pod handed to it to the next of the `nodes`
 * nodes in turn (POST pods/binding, as kube-scheduler's DefaultBinder) and
 * then records a Scheduled event shaped like the scheduler's
 * (events.k8s.io/v1), at most `limit` pods at a time.
 */
class BenchBinder {
  readonly #queue: PodRef[] = [];
  #head = 0;
  #inFlight = 0;
  #next = 0;
  error: string | undefined;

  constructor(
    readonly api: Api,
    readonly nodes: number,
    readonly limit: number,
  ) {}

  add(pod: PodRef): void {
    this.#queue.push(pod);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < this.limit && this.#head < this.#queue.length) {
      const pod = this.#queue[this.#head++]!;
      const node = `node-${this.#next++ % this.nodes}`;
      this.#inFlight++;
      this.#bind(pod, node)
        .catch((e: unknown) => void (this.error ??= `binding ${pod.name}: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }

  async #bind(pod: PodRef, node: string): Promise<void> {
    await this.api.expect(201, 'POST', `/api/v1/namespaces/${NS}/pods/${pod.name}/binding`, bindingBody(NS, pod.name, pod.uid, node));
    await this.api.expect(201, 'POST', `/apis/events.k8s.io/v1/namespaces/${NS}/events`, scheduledEventBody(NS, pod, node, Date.now()));
  }
}

// ---------------------------------------------------------------- one row

/** What one row measured. */
interface RowResult {
  readonly nodes: number;
  readonly pods: number;
  readonly bound: number;
  readonly seconds: number;
  readonly podsPerSecond: number;
  readonly latencies: number[];
  readonly nodesPerSecond: number;
  readonly createsPerSecond: number;
  readonly createErrors: string;
  readonly schedulerRssPeak: number;
  readonly schedulerRssEnd: number;
  /** Cores used while the pods were created and bound. */
  readonly cores: { readonly scheduler: number; readonly api: number; readonly store: number; readonly bench: number };
  readonly check: string;
  readonly cut?: string;
  readonly profile?: string;
  /** The API server's CPU profile, with --cpu-prof. */
  readonly apiProfile?: string;
}

/** Every pod bound, and every node's pods within its allocatable; the failures, or 'ok'. */
async function check(api: Api, pods: number): Promise<string> {
  interface Item { metadata: { name: string }; spec: { nodeName?: string; containers: { resources?: { requests?: Record<string, string> } }[] }; status?: { allocatable?: Record<string, string> } }
  const list = async (path: string): Promise<Item[]> => (JSON.parse((await api.expect(200, 'GET', path)).body.toString()) as { items: Item[] }).items;
  const [podItems, nodeItems] = [await list(`/api/v1/namespaces/${NS}/pods`), await list('/api/v1/nodes')];
  const problems: string[] = [];
  const unbound = podItems.filter((p) => !p.spec.nodeName).length;
  if (podItems.length !== pods + 1) problems.push(`${podItems.length} pods, expected ${pods + 1}`);
  if (unbound) problems.push(`${unbound} pods unbound`);
  const used = new Map<string, { cpu: number; memory: number; pods: number }>();
  for (const p of podItems) {
    if (!p.spec.nodeName) continue;
    const u = used.get(p.spec.nodeName) ?? { cpu: 0, memory: 0, pods: 0 };
    for (const c of p.spec.containers) {
      u.cpu += milliValue(c.resources?.requests?.cpu);
      u.memory += quantityValue(c.resources?.requests?.memory);
    }
    u.pods++;
    used.set(p.spec.nodeName, u);
  }
  let over = 0;
  let most = 0;
  const known = new Set(nodeItems.map((n) => n.metadata.name));
  for (const n of nodeItems) {
    const u = used.get(n.metadata.name);
    const a = n.status?.allocatable ?? {};
    if (u && (u.cpu > milliValue(a.cpu) || u.memory > quantityValue(a.memory) || u.pods > quantityValue(a.pods))) over++;
    most = Math.max(most, u?.pods ?? 0);
  }
  const nowhere = [...used.keys()].filter((n) => !known.has(n)).length;
  if (over) problems.push(`${over} nodes over-committed`);
  if (nowhere) problems.push(`pods bound to ${nowhere} unknown nodes`);
  log(`check: ${podItems.length} pods, ${unbound} unbound, on ${used.size} of ${nodeItems.length} nodes, at most ${most} on one node, ${over} over-committed`);
  return problems.length ? problems.join('; ') : `ok (≤ ${most} pods a node)`;
}

/** One row: a fresh control plane and scheduler, NODES nodes, then PODS pods. */
async function row(nodes: number, pods: number, how: { set(s: string): void }): Promise<RowResult> {
  const tag = `${nodes}n-${pods}p`;
  log(`${tag}: starting a 3-member ${STORE} store and the API server (load average ${loadavg()[0]!.toFixed(1)})`);
  const profDir = flags['cpu-prof'] ? resolve(flags['cpu-prof'], tag) : undefined;
  const plane = await ControlPlane.start({ store: STORE, ...(profDir ? { apiCpuProf: join(profDir, 'apiserver') } : {}) });
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-scheduler-'));
  let watch: BindingWatch | undefined;
  const api = new Api(plane.port);
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: k, cluster: {server: "${plane.url}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: k, context: {cluster: k, user: u}}]\ncurrent-context: k\n`);
    await api.expect(201, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: NS } }));
    // the account its pods run as (the service account controller's work; no controller manager runs here)
    await api.expect(201, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, JSON.stringify({ metadata: { name: 'default' } }));
    const cmd = BINDER === 'scheduler' ? schedulerArgs(kubeconfig) : undefined;
    how.set(cmd?.how ?? '');
    const scheduler: BenchChild | undefined = cmd ? plane.spawn('the scheduler', cmd.args, profDir) : undefined;
    const binder = cmd ? undefined : new BenchBinder(api, nodes, BINDER_CONCURRENCY);

    log(`${tag}: creating ${nodes} nodes from ${CLIENTS} clients`);
    const made = await closedLoop(CLIENTS, { ops: nodes }, (_, seq) => api.expect(201, 'POST', '/api/v1/nodes', nodeBody(`node-${seq}`)));
    if (made.errors) throw new Error(`${made.errors} node creates failed: ${made.firstError}`);
    const nodesPerSecond = nodes / made.seconds;
    log(`${tag}: ${nodes} nodes in ${made.seconds.toFixed(1)} s (${nodesPerSecond.toFixed(0)}/s)`);

    const listed = await api.expect(200, 'GET', `/api/v1/namespaces/${NS}/pods`);
    const rv = (JSON.parse(listed.body.toString()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const w = (watch = await BindingWatch.open(api, rv, pods, binder && ((p) => binder.add(p))));
    await api.expect(201, 'POST', `/api/v1/namespaces/${NS}/pods`, podBody('warmup'));
    const warm = (): Promise<true | undefined> => Promise.resolve(w.warmupBound || undefined);
    if (scheduler) await scheduler.until('the warm-up pod bound', 120_000, warm);
    else await plane.apiServer.until('the warm-up pod bound by the bench', 60_000, warm);
    log(`${tag}: the ${scheduler ? 'scheduler' : 'bench'} bound the warm-up pod; creating ${pods} pods from ${CLIENTS} clients`);

    const pids = { scheduler: scheduler?.pid, api: plane.apiServer.pid, store: plane.storePids };
    const cpuOf = (): { scheduler: number; api: number; store: number; bench: number } => {
      const own = process.cpuUsage();
      return { scheduler: pids.scheduler ? cpuSeconds(pids.scheduler) : 0, api: cpuSeconds(pids.api), store: pids.store.reduce((s, p) => s + cpuSeconds(p), 0), bench: (own.user + own.system) / 1e6 };
    };
    const schedulerRss = (): number => (pids.scheduler ? rssBytes(pids.scheduler) : NaN);
    let rssPeak = schedulerRss();
    const sampler = setInterval(() => void (rssPeak = Math.max(rssPeak, schedulerRss() || 0)), 250);
    const cpu0 = cpuOf();
    const createdAt = new Float64Array(pods).fill(NaN);
    const start = now();
    const progress = setInterval(() => log(`${tag}: ${((now() - start) / 1000).toFixed(0)} s: ${createdAt.filter((x) => !Number.isNaN(x)).length} created, ${w.count} bound`), 10_000);
    let cut: string | undefined;
    let created: Awaited<ReturnType<typeof closedLoop>>;
    try {
      const deadline = start + ROW_SECONDS * 1000;
      created = await closedLoop(CLIENTS, { ops: pods, seconds: ROW_SECONDS }, async (_, seq) => {
        await api.expect(201, 'POST', `/api/v1/namespaces/${NS}/pods`, podBody(podName(seq)));
        createdAt[seq] = now();
      });
      const wanted = created.latencies.length;
      let lastCount = -1;
      let lastProgress = now();
      while (w.count < wanted) {
        if (w.error) throw new Error(w.error);
        if (binder?.error) throw new Error(binder.error);
        if (scheduler?.exited) throw new Error(`the scheduler exited:\n${scheduler.output}`);
        if (w.count !== lastCount) [lastCount, lastProgress] = [w.count, now()];
        if (now() > deadline) cut = `cut after ${ROW_SECONDS} s`;
        else if (now() - lastProgress > STALL_MS) cut = `cut: no binding for ${STALL_MS / 1000} s`;
        if (cut) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (created.latencies.length < pods) cut ??= `cut after ${ROW_SECONDS} s: ${created.latencies.length} of ${pods} created`;
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const wall = ((Number.isNaN(w.lastAt) ? now() : w.lastAt) - start) / 1000;
    const cpu1 = cpuOf();
    const cores = { scheduler: (cpu1.scheduler - cpu0.scheduler) / wall, api: (cpu1.api - cpu0.api) / wall, store: (cpu1.store - cpu0.store) / wall, bench: (cpu1.bench - cpu0.bench) / wall };
    const schedulerRssEnd = schedulerRss();
    const latencies: number[] = [];
    for (let i = 0; i < pods; i++) if (!Number.isNaN(w.bound[i]!) && !Number.isNaN(createdAt[i]!)) latencies.push(w.bound[i]! - createdAt[i]!);
    latencies.sort((a, b) => a - b);
    const result = {
      nodes,
      pods,
      bound: w.count,
      seconds: wall,
      podsPerSecond: w.count / wall,
      latencies,
      nodesPerSecond,
      createsPerSecond: created.latencies.length / created.seconds,
      createErrors: created.errors ? `${created.errors} errors: ${created.firstError}` : '',
      schedulerRssPeak: Math.max(rssPeak, schedulerRssEnd || 0),
      schedulerRssEnd,
      cores,
      ...(cut ? { cut } : {}),
    };
    log(`${tag}: ${w.count} of ${pods} bound in ${wall.toFixed(1)} s: ${result.podsPerSecond.toFixed(0)} pods/s, p50 ${ms(percentile(latencies, 0.5))} ms, p99 ${ms(percentile(latencies, 0.99))} ms${cut ? ` (${cut})` : ''}`);
    if (cut && scheduler) log(`${tag}: the scheduler's last output:\n${scheduler.output.slice(-3000)}`);
    watch.close();
    watch = undefined;
    const verdict = await check(api, pods);
    if (profDir) await scheduler?.stop(120_000); // a busy scheduler takes its time to write the profile
    await plane.stop();
    const profile = profDir ? largestProfile(profDir) : undefined;
    const apiProfile = profDir ? largestProfile(join(profDir, 'apiserver')) : undefined;
    return { ...result, check: verdict, ...(profile ? { profile } : {}), ...(apiProfile ? { apiProfile } : {}) };
  } finally {
    watch?.close();
    api.agent.destroy();
    await plane.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the report

/** The main thread's profile in dir: the largest (tsx's loader thread writes one too). */
function largestProfile(dir: string): string | undefined {
  const profiles = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)) : [];
  return profiles.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

function printProfile(path: string, title: string): void {
  const top = cpuProfileTop(path, 20);
  console.log(`\n${title}: ${top.seconds.toFixed(1)} s of samples (${path})\n`);
  const pct = (p: number): string => `${p.toFixed(1)}%`;
  for (const line of markdownTable([['file (self time)', 'ms', 'share'], ...top.files.slice(0, 15).map((c) => [c.what, c.ms.toFixed(0), pct(c.percent)])])) console.log(line);
  console.log('');
  for (const line of markdownTable([['function (self time)', 'ms', 'share'], ...top.functions.map((c) => [c.what, c.ms.toFixed(0), pct(c.percent)])])) console.log(line);
}

async function main(): Promise<void> {
  const load = loadavg()[0]!.toFixed(1);
  let how = '';
  const results: RowResult[] = [];
  for (const [nodes, pods] of ROWS) results.push(await row(nodes, pods, { set: (s) => void (how = s) }));
  const n = (x: number): string => x.toLocaleString('en-US');
  const who = BINDER === 'bench' ? `no scheduler: the bench bound each pod to the next node and recorded its Scheduled event (--binder bench; node ${process.version})` : `kubeling scheduler (${how}, node ${process.version})`;
  console.log(
    `${who} through the kubeling API server over a 3-member ${STORE === 'etcd' ? 'real etcd' : 'kubeling store'} on loopback, fsync on, ` +
      `${availableParallelism()} cores (load average ${load} at the start); scheduler_perf's SchedulingBasic shapes; pods created from ${CLIENTS} concurrent clients; ` +
      `latency from each pod's create response to its binding seen on a watch; CPU in cores while the pods were created and bound`,
  );
  const rows = results.map((r) => [
    `${n(r.nodes)} nodes / ${n(r.pods)} pods`,
    `${r.podsPerSecond.toFixed(0)}${r.cut ? ` (${r.cut}; ${n(r.bound)} bound)` : ''}`,
    `${ms(percentile(r.latencies, 0.5))} / ${ms(percentile(r.latencies, 0.99))}`,
    `${r.seconds.toFixed(1)}`,
    `${r.createsPerSecond.toFixed(0)}${r.createErrors ? ` (${r.createErrors})` : ''}`,
    BINDER === 'bench' ? '-' : `${mib(r.schedulerRssPeak)} / ${mib(r.schedulerRssEnd)}`,
    `${r.cores.scheduler.toFixed(2)} / ${r.cores.api.toFixed(2)} / ${r.cores.store.toFixed(2)} / ${r.cores.bench.toFixed(2)}`,
    `${r.nodesPerSecond.toFixed(0)}`,
    r.check,
    r.nodes === 5000 ? `> 680: ${r.podsPerSecond > 680 ? 'met' : 'MISSED'}` : '',
  ]);
  const header = ['workload', 'pods/s', 'create→bound p50 / p99 (ms)', 'seconds', 'creates/s', 'scheduler RSS peak / end', 'CPU: scheduler / apiserver / store (3) / bench', 'nodes/s', 'check', 'target'];
  for (const line of markdownTable([header, ...rows])) console.log(line);
  for (const r of results) {
    if (r.profile) printProfile(r.profile, `scheduler CPU profile, ${n(r.nodes)} nodes / ${n(r.pods)} pods`);
    if (r.apiProfile) printProfile(r.apiProfile, `API server CPU profile, ${n(r.nodes)} nodes / ${n(r.pods)} pods`);
  }
}

await runBench(main);
