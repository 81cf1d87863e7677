/**
 * `npm run bench:cluster`: pod startup latency of a whole `kubeling up`
 * cluster, as Kubernetes' SLO defines it (a pod's creation to its Running,
 * observed through a watch, as clusterloader2's pod startup latency
 * measures it). The SLO is p99 ≤ 5 s; kwok users report Deployments
 * becoming ready at about 5 pods a second; the target here is p99 ≤ 1 s and
 * more than 200 pods Running per second.
 *
 * It starts a real `kubeling up --nodes N` (a 3-member store over TLS, the
 * API server, the scheduler, the controller manager and the simulated
 * nodes, each its own process) on a fresh temporary data dir and free
 * ports, waits for N Ready nodes, then, with the admin kubeconfig `up`
 * writes (client/rest.ts), watches the pods of `default` and creates a
 * Deployment of R replicas (one pause container, no requests). For each pod
 * the watch notes when it first showed:
 *
 *   A  ADDED: the pod's creation. metadata.creationTimestamp has whole
 *      seconds only, so the creation time is when the watch observed the
 *      ADDED event (a figure from creationTimestamp is printed too; it
 *      reads up to 1 s high);
 *   B  spec.nodeName: bound by the scheduler;
 *   S  status.startTime: the simulated kubelet's first status write;
 *   R  phase Running.
 *
 * The latency is R - A. Its parts are printed too: A→B, B→S, S→P and P→R,
 * where P is the instant the node planned the pod's containers to run
 * (nodes/lifecycle.ts's planPod from startTime and the pod's uid, with the
 * timings `up` gives its nodes: a start delay of 0.5-1 s after startTime,
 * which the node rounds up to the next whole second): S→P is simulated
 * container start-up, P→R is the node's timer, its status write and the
 * watch's delivery.
 *
 * It also reports the time from the Deployment's create request until all R
 * pods exist and until all are Running (and until the Deployment says
 * readyReplicas = R), pods Running per second (R over that time), the
 * store writes made meanwhile (revisions; per pod) and the Events among
 * them by who wrote them, the CPU per pod of the cluster's processes
 * together and how busy the machine's cores were, and for every process of
 * the cluster (`up`'s children, found through /proc) its RSS sampled every
 * 250 ms (peak, and at the end; VmHWM, the kernel's own peak) and its CPU
 * during the rollout, with the load average before and after: on a shared
 * machine the figures move with what else runs. Then it stops `up` with
 * SIGINT, kills whatever is left of its process group (all of it should
 * `up` not be gone within 60 s; a warning says how many were left) and
 * removes the data dir, also on SIGINT or SIGTERM to the bench.
 *
 * `--cpu-prof DIR` profiles each of the cluster's processes during the
 * rollout only (a preload module given through NODE_OPTIONS starts the
 * V8 profiler on SIGUSR2 and writes DIR/<component>-<pid>.cpuprofile on the
 * next) and prints their top costs by self time. `--keep` keeps the data
 * dir (the logs are in its logs/). `--up-arg ARG` (repeatable) passes ARG to
 * `kubeling up`; with one that sets the nodes' container start delay, the
 * planned Running instant is not known and its two rows show '-'.
 *
 *   npm run bench:cluster [-- --replicas 1000 --nodes 100 --timeout 300 --cpu-prof DIR --keep --up-arg=--flag=value]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RestClient } from '../client/rest.js';
import type { Event, KubeObject, Node, Pod } from '../client/types.js';
import type { Watch } from '../client/watch.js';
import { DEFAULT_TIMINGS, planPod } from '../nodes/lifecycle.js';
import { ROOT, cpuProfileTop, cpuSeconds, log, markdownTable, mib, ms, now, pause, percentile, runBench, until } from './util.js';

// ---------------------------------------------------------------- pure parts (bench/cluster.test.ts)

/** p50, p90, p99 and max of some latencies (ms), and how many. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The Summary of `values` (any order; NaNs left out). */
export function summarize(values: readonly number[]): Summary {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), max: s.at(-1) ?? NaN };
}

/** A field of /proc/PID/status given in kB (VmRSS, VmHWM), in bytes; NaN when absent. */
export function statusBytes(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** The machine's CPU time from the first line of /proc/stat (clock ticks): busy (all but idle and iowait) and total. */
export function machineTicks(stat: string): { busy: number; total: number } {
  const f = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

/** A process of the cluster: its id and what it is (`store-1`, `apiserver`, `nodes` ...). */
export interface ClusterProcess {
  readonly pid: number;
  readonly name: string;
}

/** What a `kubeling` process is, from its argv: the command after bin.js, a store member by its --name. */
export function componentName(argv: readonly string[]): string {
  const i = argv.findIndex((a) => a.endsWith('bin.js'));
  const cmd = i < 0 ? undefined : argv[i + 1];
  if (cmd === undefined) return argv.join(' ').slice(0, 40);
  if (cmd === 'store') {
    const n = argv.indexOf('--name');
    return n >= 0 && argv[n + 1] ? argv[n + 1]! : 'store';
  }
  return cmd;
}

/** One process of a /proc-like tree: its id, parent, process group and argv. */
interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly argv: readonly string[];
}

/** The processes of a /proc-like tree (`proc`); those gone meanwhile are skipped. */
function processTable(proc: string): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const d of readdirSync(proc)) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(join(proc, d, 'stat'), 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the command name may hold spaces and parentheses; then state, ppid, pgrp
      const argv = readFileSync(join(proc, d, 'cmdline'), 'latin1').split('\0').filter((a) => a !== '');
      out.push({ pid: Number(d), ppid: Number(f[1]), pgrp: Number(f[2]), argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The `kubeling` children (run through cli/bin.js) of process `ppid`, by name; others (tsx's esbuild) are skipped. */
export function childProcesses(ppid: number, proc = '/proc'): ClusterProcess[] {
  return processTable(proc)
    .filter((p) => p.ppid === ppid && p.argv.some((a) => a.endsWith('bin.js')))
    .map((p) => ({ pid: p.pid, name: componentName(p.argv) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The ids of the processes in process group `pgrp`. */
export function groupMembers(pgrp: number, proc = '/proc'): number[] {
  return processTable(proc)
    .filter((p) => p.pgrp === pgrp)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

/** Peak and last RSS of processes, from samples of /proc/PID/status. */
export class RssSampler {
  readonly peak = new Map<number, number>();
  readonly last = new Map<number, number>();

  constructor(
    readonly pids: readonly number[],
    readonly proc = '/proc',
  ) {}

  /** Reads each process's VmRSS once. */
  sample(): void {
    for (const pid of this.pids) {
      const rss = this.#read(pid, 'VmRSS');
      if (Number.isNaN(rss)) continue;
      this.last.set(pid, rss);
      this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, rss));
    }
  }

  /** The kernel's own peak (VmHWM) of a process, NaN when gone. */
  hwm(pid: number): number {
    return this.#read(pid, 'VmHWM');
  }

  #read(pid: number, field: string): number {
    try {
      return statusBytes(readFileSync(join(this.proc, String(pid), 'status'), 'latin1'), field);
    } catch {
      return NaN;
    }
  }
}

// ---------------------------------------------------------------- the cluster

/** The preload (ESM, through NODE_OPTIONS) behind --cpu-prof: SIGUSR2 starts the V8 profiler, the next SIGUSR2 (or the exit) writes the profile. */
const PROFILER = `
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
const dir = process.env.KUBELING_BENCH_CPU_PROF;
const cmd = process.argv[2] ?? 'node';
if (dir && isMainThread && cmd !== 'up') {
  const i = process.argv.indexOf('--name');
  const name = cmd === 'store' && i > 0 ? process.argv[i + 1] : cmd;
  let s;
  const stop = () => {
    if (!s) return;
    s.post('Profiler.stop', (err, r) => { if (!err) writeFileSync(dir + '/' + name + '-' + process.pid + '.cpuprofile', JSON.stringify(r.profile)); });
    s.disconnect();
    s = undefined;
  };
  process.on('SIGUSR2', () => {
    if (s) return stop();
    s = new Session();
    s.connect();
    s.post('Profiler.enable');
    s.post('Profiler.start');
  });
  process.on('exit', stop);
}
`;

/** Whether a TCP port on 127.0.0.1 is free now. */
const portFree = (p: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createServer()
      .once('error', () => res(false))
      .listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });

/** A store port base whose member ports (base, +1, +10, +11, +20, +21) are free, and a free API server port (base + 5). */
async function freePorts(): Promise<{ store: number; api: number }> {
  for (;;) {
    // below the kernel's ephemeral range (32768 on), where outgoing connections take their ports
    const store = 20000 + 10 * Math.floor(Math.random() * 1200);
    const all = [0, 1, 10, 11, 20, 21, 5].map((d) => store + d);
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return { store, api: store + 5 };
  }
}

/** A running `kubeling up`, in a process group of its own. */
class Up {
  out = '';
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  #code: number | null | undefined;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [join(ROOT, 'cli/bin.js'), 'up', ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => void (this.out = (this.out + d.toString()).slice(-20_000));
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((res) => this.proc.once('exit', (code) => res((this.#code = code))));
  }

  get pid(): number {
    return this.proc.pid ?? NaN;
  }

  get running(): boolean {
    return this.#code === undefined;
  }

  /**
   * Ctrl-C, as a user stops it; then whatever is left of its process group
   * (all of it, should `up` not be gone within `graceMs`) is killed.
   * Resolves with how many processes were left.
   */
  async stop(graceMs = 60_000): Promise<number> {
    if (this.running) {
      this.proc.kill('SIGINT');
      const late = await Promise.race([this.exited.then(() => false), pause(graceMs).then(() => true)]);
      if (late) log(`up did not stop within ${graceMs / 1000} s: killing its process group`);
    }
    const left = Number.isNaN(this.pid) ? 0 : groupMembers(this.pid).length;
    if (left) this.killGroup();
    return left;
  }

  /** SIGKILL to whatever is left of its process group. */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // none left
    }
  }
}

// ---------------------------------------------------------------- the measurement

/** When the watch first showed each step of one pod (now(), ms). */
interface PodTimes {
  readonly added: number;
  readonly created: number; // creationTimestamp, wall ms
  bound: number;
  started: number;
  running: number;
  runningWall: number;
  /** The planned Running instant (wall ms), from startTime and the uid. */
  planned: number;
  events: number;
}

/** A watch of the Deployment's pods that notes PodTimes, resumed should it end. */
class PodWatch {
  readonly pods = new Map<string, PodTimes>();
  running = 0;
  lastRunning = NaN;
  error: string | undefined;
  #rv: string;
  #watch: Watch | undefined;
  #closed = false;

  constructor(
    readonly client: RestClient,
    resourceVersion: string,
    readonly selector: string,
    /** The nodes run with DEFAULT_TIMINGS, so the planned Running instant can be computed. */
    readonly defaultTimings: boolean,
  ) {
    this.#rv = resourceVersion;
    this.#open();
  }

  #open(): void {
    const w = this.client.watch<Pod>({ resource: 'pods', namespace: 'default' }, { resourceVersion: this.#rv, labelSelector: this.selector, timeoutSeconds: 3600 }, { onEvent: (e) => this.#event(e.type, e.object) });
    this.#watch = w;
    void w.done.then((err) => {
      if (this.#closed) return;
      if (err) log(`pod watch ended: ${err.message}; resuming from ${this.#rv}`);
      setTimeout(() => this.#open(), err ? 200 : 0);
    });
  }

  #event(type: string, pod: Pod): void {
    const at = now();
    if (type === 'ERROR') {
      this.error ??= `watch: ${JSON.stringify(pod).slice(0, 300)}`;
      return;
    }
    if (pod.metadata.resourceVersion) this.#rv = pod.metadata.resourceVersion;
    if (type === 'BOOKMARK' || type === 'DELETED') return;
    const uid = pod.metadata.uid ?? '';
    let t = this.pods.get(uid);
    if (!t) {
      const created = Date.parse(pod.metadata.creationTimestamp ?? '');
      t = { added: at, created, bound: NaN, started: NaN, running: NaN, runningWall: NaN, planned: NaN, events: 0 };
      this.pods.set(uid, t);
    }
    t.events++;
    if (Number.isNaN(t.bound) && pod.spec.nodeName) t.bound = at;
    const startTime = pod.status?.startTime;
    if (Number.isNaN(t.started) && startTime) {
      t.started = at;
      if (this.defaultTimings) t.planned = planPod(pod, { startedAt: Date.parse(startTime) }, DEFAULT_TIMINGS).runningAt;
    }
    if (Number.isNaN(t.running) && pod.status?.phase === 'Running') {
      t.running = at;
      t.runningWall = Date.now();
      this.running++;
      this.lastRunning = at;
    }
  }

  close(): void {
    this.#closed = true;
    this.#watch?.stop();
  }
}

/** Flags, checked. */
interface Options {
  readonly replicas: number;
  readonly nodes: number;
  readonly timeoutSeconds: number;
  readonly cpuProf?: string;
  readonly keep: boolean;
  /** More arguments for `kubeling up`. */
  readonly upArgs: readonly string[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '1000' },
      nodes: { type: 'string', default: '100' },
      timeout: { type: 'string', default: '300' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'up-arg': { type: 'string', multiple: true, default: [] },
    },
  });
  const int = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not ${v}`);
    return n;
  };
  return {
    replicas: int('replicas', values.replicas),
    nodes: int('nodes', values.nodes),
    timeoutSeconds: int('timeout', values.timeout),
    ...(values['cpu-prof'] ? { cpuProf: resolve(values['cpu-prof']) } : {}),
    keep: values.keep,
    upArgs: values['up-arg'],
  };
}

/** The 1, 5 and 15 minute load averages. */
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

/** Ready nodes among the API's. */
async function readyNodes(client: RestClient): Promise<number> {
  const list = await client.list<Node>({ resource: 'nodes' });
  return list.items.filter((n) => (n.status?.conditions as { type: string; status: string }[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

const DEPLOYMENT = 'bench';

function deployment(replicas: number): unknown {
  const labels = { app: DEPLOYMENT };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEPLOYMENT, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] } } },
  };
}

/** What one rollout measured. */
interface Rollout {
  readonly pods: readonly PodTimes[];
  readonly running: number;
  /** From the Deployment's create request: the last pod's ADDED seen, the last Running seen, readyReplicas seen (s; NaN: not seen). */
  readonly allCreated: number;
  readonly allRunning: number;
  readonly ready: number;
  /** The rollout's wall time (s), over which CPU is counted. */
  readonly wall: number;
  readonly cut?: string;
  readonly loadEnd: string;
  /** CPU seconds per process id, the bench's own under pid 0. */
  readonly cpu: ReadonlyMap<number, number>;
  /** Busy share of the machine's cores. */
  readonly machineBusy: number;
  /** Store revisions during the rollout. */
  readonly writes: number;
  /** Events in `default` by who reported them. */
  readonly events: ReadonlyMap<string, number>;
}

/**
 * Watches the pods, creates the Deployment and waits until every pod is
 * Running and the Deployment says so (or 30 s more have passed), or the
 * rollout is cut (--timeout, or no progress for 60 s).
 */
async function rollout(o: Options, c: RestClient, up: Up, procs: readonly ClusterProcess[]): Promise<Rollout> {
  const listed = await c.list<Pod>({ resource: 'pods', namespace: 'default' });
  const w = new PodWatch(c, listed.metadata.resourceVersion ?? '0', `app=${DEPLOYMENT}`, !o.upArgs.some((a) => /container-start-delay|init-container-duration/.test(a)));
  const timers: NodeJS.Timeout[] = [];
  try {
    await pause(200); // the watch is open
    const cpu0 = new Map(procs.map((p) => [p.pid, cpuSeconds(p.pid)]));
    const own0 = process.cpuUsage();
    const machine0 = machineTicks(readFileSync('/proc/stat', 'latin1'));
    if (o.cpuProf) for (const p of procs) process.kill(p.pid, 'SIGUSR2');

    log(`creating a Deployment of ${o.replicas} replicas (load average ${load()})`);
    const start = now();
    await c.create({ group: 'apps', resource: 'deployments', namespace: 'default' }, deployment(o.replicas));
    let readyAt = NaN;
    let polling = false;
    timers.push(
      setInterval(() => {
        const seen = [...w.pods.values()];
        const count = (k: 'bound' | 'started'): number => seen.filter((t) => !Number.isNaN(t[k])).length;
        log(`${((now() - start) / 1000).toFixed(0)} s: ${seen.length} created, ${count('bound')} bound, ${count('started')} started, ${w.running} Running (load ${loadavg()[0]!.toFixed(2)})`);
      }, 2000),
      setInterval(() => {
        if (polling || !Number.isNaN(readyAt)) return;
        polling = true;
        void c
          .get<KubeObject & { status?: { readyReplicas?: number } }>({ group: 'apps', resource: 'deployments', namespace: 'default', name: DEPLOYMENT })
          .then((d) => void ((d.status?.readyReplicas ?? 0) >= o.replicas && (readyAt = now())), () => undefined)
          .finally(() => (polling = false));
      }, 250),
    );
    let cut: string | undefined;
    let last = -1;
    let lastAt = now();
    while (w.running < o.replicas || (Number.isNaN(readyAt) && now() - w.lastRunning < 30_000)) {
      if (w.error) throw new Error(w.error);
      if (!up.running) throw new Error(`kubeling up exited (${await up.exited})`);
      if (w.running !== last) [last, lastAt] = [w.running, now()];
      if (now() - start > o.timeoutSeconds * 1000) cut = `cut after ${o.timeoutSeconds} s`;
      else if (w.running < o.replicas && now() - lastAt > 60_000) cut = 'cut: no pod Running for 60 s';
      if (cut) break;
      await pause(20);
    }
    const wall = (now() - start) / 1000;
    const loadEnd = load();
    const cpu = new Map(procs.map((p) => [p.pid, cpuSeconds(p.pid) - (cpu0.get(p.pid) ?? 0)]));
    const own = process.cpuUsage(own0);
    cpu.set(0, (own.user + own.system) / 1e6);
    const machine1 = machineTicks(readFileSync('/proc/stat', 'latin1'));
    if (o.cpuProf) for (const p of procs) process.kill(p.pid, 'SIGUSR2');
    const revision = Number((await c.list({ resource: 'pods', namespace: 'default' }, { limit: 1 })).metadata.resourceVersion);
    const events = new Map<string, number>();
    for (const e of (await c.listAll<Event>({ resource: 'events', namespace: 'default' })).items) {
      const who = e.reportingComponent || e.source?.component || '?';
      events.set(who, (events.get(who) ?? 0) + 1);
    }
    const pods = [...w.pods.values()];
    log(`${w.running} of ${o.replicas} Running ${cut ? `(${cut})` : `${((w.lastRunning - start) / 1000).toFixed(1)} s after the Deployment's create`}`);
    return {
      pods,
      running: w.running,
      allCreated: pods.length >= o.replicas ? (Math.max(...pods.map((t) => t.added)) - start) / 1000 : NaN,
      allRunning: (w.lastRunning - start) / 1000,
      ready: (readyAt - start) / 1000,
      wall,
      ...(cut ? { cut } : {}),
      loadEnd,
      cpu,
      machineBusy: (machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total),
      writes: revision - Number(listed.metadata.resourceVersion),
      events,
    };
  } finally {
    for (const t of timers) clearInterval(t);
    w.close();
  }
}

/** The report's tables (stdout). */
function report(o: Options, r: Rollout, loadStart: string, memory: { procs: readonly ClusterProcess[]; rss: RssSampler; hwm: ReadonlyMap<number, number> }): void {
  const n = (x: number): string => x.toLocaleString('en-US');
  const upArgs = o.upArgs.map((a) => ` ${a}`).join('');
  console.log(
    `\nkubeling up --nodes ${n(o.nodes)}${upArgs} (a 3-member store over TLS, the API server, scheduler, controller manager and simulated nodes, each its own process; node ${process.version}, ` +
      `${availableParallelism()} cores); a Deployment of ${n(o.replicas)} replicas (one pause container, no requests) in default.\n` +
      `Load average (1 / 5 / 15 min): ${loadStart} before up, ${r.loadEnd} at the end of the rollout.\n` +
      `Creation is when the watch observed each pod's ADDED event (metadata.creationTimestamp has whole seconds only); Running is when the watch first showed phase Running.\n`,
  );
  const { pods } = r;
  const total = summarize(pods.map((t) => t.running - t.added));
  const fromStamp = summarize(pods.map((t) => t.runningWall - t.created));
  const perSecond = r.running / r.allRunning;
  const clusterCpu = memory.procs.reduce((a, p) => a + (r.cpu.get(p.pid) ?? 0), 0);
  const s = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(2));
  const summary = [
    ['figure', 'value', 'target'],
    ['pod startup latency p50 / p90 / p99 / max (ms)', `${ms(total.p50)} / ${ms(total.p90)} / ${ms(total.p99)} / ${ms(total.max)}`, `p99 ≤ 1000 ms: ${total.p99 <= 1000 ? 'met' : 'MISSED'} (SLO ≤ 5000 ms: ${total.p99 <= 5000 ? 'met' : 'MISSED'})`],
    ['the same from creationTimestamp (whole seconds: up to 1 s high) p50 / p99 (ms)', `${ms(fromStamp.p50)} / ${ms(fromStamp.p99)}`, ''],
    [`Deployment created → all ${n(o.replicas)} pods created (s)`, Number.isNaN(r.allCreated) ? `${n(pods.length)} created` : s(r.allCreated), ''],
    [`Deployment created → all ${n(o.replicas)} Running (s)`, r.cut ? `${r.cut}: ${n(r.running)} Running` : s(r.allRunning), ''],
    ['pods Running per second', perSecond.toFixed(0), `> 200: ${perSecond > 200 && !r.cut ? 'met' : 'MISSED'}`],
    [`Deployment created → readyReplicas ${n(o.replicas)} (s, polled every 250 ms)`, s(r.ready), ''],
    ['watch events per pod', (pods.reduce((a, t) => a + t.events, 0) / Math.max(1, pods.length)).toFixed(1), ''],
    [
      'store writes (revisions) during the rollout, per pod; of them Events, by who wrote them',
      `${n(r.writes)}, ${(r.writes / Math.max(1, r.running)).toFixed(1)}; ${[...r.events].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`,
      '',
    ],
    [`CPU per pod, the cluster's processes together (ms); the machine's ${availableParallelism()} cores busy`, `${((clusterCpu / Math.max(1, r.running)) * 1000).toFixed(0)}; ${(r.machineBusy * 100).toFixed(0)}%`, ''],
  ];
  for (const line of markdownTable(summary)) console.log(line);

  const wallOf = (t: number): number => performance.timeOrigin + t;
  const stages: [string, Summary][] = [
    ['created → bound (scheduler)', summarize(pods.map((t) => t.bound - t.added))],
    ['bound → first status from the node (startTime)', summarize(pods.map((t) => t.started - t.bound))],
    ['first status → planned Running (simulated start-up: startTime rounded up to a second, + 0.5-1 s)', summarize(pods.map((t) => t.planned - wallOf(t.started)))],
    ['planned Running → Running seen (node timer, status write, watch)', summarize(pods.map((t) => wallOf(t.running) - t.planned))],
    ['created → Running (the SLO latency)', total],
  ];
  console.log('');
  const row = (name: string, x: Summary): string[] => [name, ms(x.p50), ms(x.p90), ms(x.p99), ms(x.max), String(x.n)];
  for (const line of markdownTable([['stage (per pod, ms)', 'p50', 'p90', 'p99', 'max', 'pods'], ...stages.map(([name, x]) => row(name, x))])) console.log(line);

  console.log('');
  const cpuCell = (sec: number | undefined): string => (sec === undefined ? '-' : `${sec.toFixed(1)} s (${(sec / r.wall).toFixed(2)})`);
  const rows = memory.procs.map((p) => [p.name, mib(memory.rss.peak.get(p.pid) ?? NaN), mib(memory.rss.last.get(p.pid) ?? NaN), mib(memory.hwm.get(p.pid) ?? NaN), cpuCell(r.cpu.get(p.pid))]);
  rows.push(['bench (this process)', mib(process.memoryUsage().rss), '', '', cpuCell(r.cpu.get(0))]);
  const header = ['process', 'RSS peak (250 ms samples)', 'RSS at the end', 'VmHWM', `CPU during the rollout (${r.wall.toFixed(1)} s; cores)`];
  for (const line of markdownTable([header, ...rows])) console.log(line);
}

async function main(): Promise<void> {
  const o = options();
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-cluster-'));
  const ports = await freePorts();
  const env = { ...process.env };
  if (o.cpuProf) {
    mkdirSync(o.cpuProf, { recursive: true });
    env.KUBELING_BENCH_CPU_PROF = o.cpuProf;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=data:text/javascript;base64,${Buffer.from(PROFILER).toString('base64')}`.trim();
  }
  const loadStart = load();
  const args = ['--data-dir', dir, '--store-port', String(ports.store), '--port', String(ports.api), '--nodes', String(o.nodes), ...o.upArgs];
  log(`kubeling up ${args.join(' ')}; load average ${loadStart}`);
  const up = new Up(args, env);
  const onSignal = (sig: string): void => {
    log(`${sig}: stopping kubeling up`);
    void up.stop(10_000).finally(() => {
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => up.killGroup());
  let client: RestClient | undefined;
  let sampling: NodeJS.Timeout | undefined;
  try {
    const t0 = now();
    while (!up.out.includes('Ctrl-C stops the cluster.')) {
      if (!up.running) throw new Error(`kubeling up exited (${await up.exited})`);
      if (now() - t0 > 300_000) throw new Error('kubeling up not up within 300 s');
      await pause(100);
    }
    const c = (client = RestClient.fromKubeconfig(join(dir, 'kubeconfig')));
    await until(`${o.nodes} Ready nodes`, 120_000, async () => ((await readyNodes(c)) >= o.nodes ? true : undefined), 250);
    log(`up, with ${o.nodes} Ready nodes, in ${((now() - t0) / 1000).toFixed(1)} s`);
    const procs = [{ pid: up.pid, name: 'up' }, ...childProcesses(up.pid)];
    log(`processes: ${procs.map((p) => `${p.name} (${p.pid})`).join(', ')}`);
    const rss = new RssSampler(procs.map((p) => p.pid));
    rss.sample();
    sampling = setInterval(() => rss.sample(), 250);

    const r = await rollout(o, c, up, procs.slice(1));
    clearInterval(sampling);
    rss.sample();
    const hwm = new Map(procs.map((p) => [p.pid, rss.hwm(p.pid)]));
    client.close();
    client = undefined;
    log('stopping kubeling up');
    const left = await up.stop();
    report(o, r, loadStart, { procs, rss, hwm });
    if (left) console.log(`\nwarning: ${left} processes of up's process group were left after it exited, and were killed`);
    if (o.cpuProf) printProfiles(o.cpuProf);
    if (r.cut) process.exitCode = 1;
  } catch (e) {
    log(`the end of up's output:\n${up.out.slice(-3000)}`);
    throw e;
  } finally {
    clearInterval(sampling);
    client?.close();
    await up.stop();
    if (o.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The top costs of each profile in `dir`. */
function printProfiles(dir: string): void {
  const pct = (p: number): string => `${p.toFixed(1)}%`;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
    const top = cpuProfileTop(join(dir, f), 15);
    console.log(`\n${f}: ${top.seconds.toFixed(1)} s of samples\n`);
    for (const line of markdownTable([['file (self time)', 'ms', 'share'], ...top.files.slice(0, 12).map((c) => [c.what, c.ms.toFixed(0), pct(c.percent)])])) console.log(line);
    console.log('');
    for (const line of markdownTable([['function (self time)', 'ms', 'share'], ...top.functions.map((c) => [c.what, c.ms.toFixed(0), pct(c.percent)])])) console.log(line);
  }
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) await runBench(main);
