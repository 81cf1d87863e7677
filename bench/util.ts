/**
 * What the benchmarks share: a monotonic clock, polling, percentiles, closed
 * load loops, a process's CPU time and memory from /proc, the Markdown
 * table they print and its number formats, and the control plane they load
 * (a 3-member store and `kubeling apiserver` as child processes, removed at
 * the end, on error and on SIGINT/SIGTERM).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TestCluster, freePort, type Flavour } from '../test/cluster.js';

/** Milliseconds on a monotonic clock. */
export const now = (): number => performance.now();

/** Resolves after `ms` milliseconds. */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One progress line on stderr with the time of day (the table goes to stdout). */
export const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Polls `probe` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 20): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(everyMs);
  }
}

/**
 * The `p` quantile (0..1) of ascending `sorted`: the element at
 * floor((n - 1) * p), so p = 0.5 of [1, 2, 3, 4] is 2. NaN when empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

/** What a closed loop measured. */
export interface LoadResult {
  /** Latencies of the operations that succeeded, in ms, ascending. */
  readonly latencies: number[];
  readonly errors: number;
  /** The first error's message, if any. */
  readonly firstError?: string;
  /** Wall time of the whole loop. */
  readonly seconds: number;
}

/**
 * `clients` concurrent loops, each calling `op` and awaiting it before the
 * next call, until `limit.seconds` have passed or `limit.ops` operations have
 * started in all (whichever comes first). `op` gets its loop's number and a
 * sequence number unique across loops (0, 1, 2 ... in order of start).
 */
export async function closedLoop(
  clients: number,
  limit: { readonly seconds?: number; readonly ops?: number },
  op: (client: number, seq: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = now();
  const end = limit.seconds === undefined ? Infinity : started + limit.seconds * 1000;
  const ops = limit.ops ?? Infinity;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (next < ops && now() < end) {
        const t = now();
        try {
          await op(client, next++);
          latencies.push(now() - t);
        } catch (e) {
          errors++;
          firstError ??= e instanceof Error ? e.message : String(e);
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, errors, ...(firstError === undefined ? {} : { firstError }), seconds: (now() - started) / 1000 };
}

/** Clock ticks per second, the unit of /proc/PID/stat's times. */
let clockTicks: number | undefined;

/** CPU time (user + system) process `pid` has used, in seconds (Linux: /proc/PID/stat). */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the command name may hold spaces
  return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime: fields 14 and 15
}

/** The resident set size of process `pid` in bytes (VmRSS of /proc/PID/status); NaN when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * `rows` (the first one the header) as the lines of a Markdown table: the
 * first column left-aligned, the others right-aligned, each padded to its
 * widest cell.
 */
export function markdownTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  const lines: string[] = [];
  for (const [n, r] of rows.entries()) {
    lines.push(`| ${widths.map((w, col) => (col === 0 ? (r[col] ?? '').padEnd(w) : (r[col] ?? '').padStart(w))).join(' | ')} |`);
    if (n === 0) lines.push(`|${widths.map((w, col) => (col === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  }
  return lines;
}

/** Milliseconds for a table: two decimals under 10, one under 100, none above; '-' for NaN. */
export const ms = (v: number): string => (Number.isNaN(v) ? '-' : Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 100 ? v.toFixed(1) : v.toFixed(0));

/** Bytes as whole MiB. */
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The repository's root. */
export const ROOT = resolve(import.meta.dirname, '..');

/** A child process of a benchmark (node running a file), with the tail of its output. */
export class BenchChild {
  #output = '';
  #stopping: Promise<void> | undefined;
  readonly proc: ChildProcess;

  /**
   * Starts `node [--cpu-prof --cpu-prof-dir cpuProf] ...args` in the
   * repository's root. `what` names it in messages.
   */
  constructor(
    readonly what: string,
    args: readonly string[],
    cpuProf?: string,
  ) {
    const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf)] : [];
    const p = spawn(process.execPath, [...prof, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => void (this.#output = (this.#output + d.toString()).slice(-20_000));
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    this.proc = p;
  }

  /** Its process id. */
  get pid(): number {
    return this.proc.pid ?? NaN;
  }

  /** The last 20,000 characters it wrote to stdout and stderr. */
  get output(): string {
    return this.#output;
  }

  /** Whether it has exited. */
  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** until(), failing at once (with its output) should the child exit meanwhile. */
  async until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
    const p = this.proc;
    let onExit: (() => void) | undefined;
    const exited = new Promise<never>((_, rej) => {
      onExit = () => rej(new Error(`${this.what} exited (${p.exitCode ?? p.signalCode}):\n${this.#output}`));
      if (this.exited) onExit();
      else p.once('exit', onExit);
    });
    try {
      return await Promise.race([until(what, timeoutMs, probe, everyMs), exited]);
    } finally {
      if (onExit) p.off('exit', onExit);
    }
  }

  /** Stops it: SIGTERM (so that a --cpu-prof profile is written), SIGKILL after `graceMs`. */
  stop(graceMs = 10_000): Promise<void> {
    this.#stopping ??= (async () => {
      const p = this.proc;
      if (this.exited) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    })();
    return this.#stopping;
  }
}

/** The control planes started and not yet stopped, for the exit and signal handlers. */
const planes = new Set<ControlPlane>();

/**
 * A 3-member kubeling store (test/cluster.ts) and `kubeling apiserver
 * --insecure-port` over it, child processes on loopback, and the further
 * children (components) a benchmark starts beside them. stop() removes them
 * all and the store's data; see also stopOnSignals().
 */
export class ControlPlane {
  #starting: Promise<TestCluster> | undefined;
  #cluster: TestCluster | undefined;
  /** The API server first, then the children spawn() started. */
  readonly #children: BenchChild[] = [];
  #stopping: Promise<void> | undefined;

  private constructor(
    /** The API server's plain-HTTP port on 127.0.0.1. */
    readonly port: number,
  ) {}

  /**
   * Starts a 3-member store (kubeling's, or real etcd with `store: 'etcd'`)
   * and the API server over it (under `node --cpu-prof` with `apiCpuProf`);
   * resolves once /readyz answers.
   */
  static async start(opts: { readonly apiCpuProf?: string; readonly store?: Flavour } = {}): Promise<ControlPlane> {
    const plane = new ControlPlane(await freePort());
    planes.add(plane);
    try {
      plane.#starting = TestCluster.start(opts.store ?? 'kubeling', 3);
      plane.#cluster = await plane.#starting;
      const endpoints = plane.#cluster.members.map((m) => m.clientUrl).join(',');
      const api = plane.spawn('the API server', [join(ROOT, 'cli/bin.js'), 'apiserver', '--etcd-servers', endpoints, '--insecure-port', String(plane.port)], opts.apiCpuProf);
      await api.until('the API server', 60_000, async () => ((await fetch(`${plane.url}/readyz`)).status === 200 ? true : undefined));
      return plane;
    } catch (e) {
      await plane.stop();
      throw e;
    }
  }

  /** The API server's URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The API server's process. */
  get apiServer(): BenchChild {
    return this.#children[0]!;
  }

  /** The store members' process ids. */
  get storePids(): number[] {
    return (this.#cluster?.members ?? []).flatMap((m) => (m.proc?.pid === undefined ? [] : [m.proc.pid]));
  }

  /** Starts a further child (BenchChild), stopped with the others. */
  spawn(what: string, args: readonly string[], cpuProf?: string): BenchChild {
    const c = new BenchChild(what, args, cpuProf);
    this.#children.push(c);
    return c;
  }

  /** Stops the children (the last started first), then the store members, and removes the store's data. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const c of [...this.#children].reverse()) await c.stop();
      const c = await this.#starting?.catch(() => undefined);
      await c?.stop();
      planes.delete(this);
    })();
    return this.#stopping;
  }

  /** Kills every process at once, synchronously, and removes the store's data (the last resort at exit). */
  killNow(): void {
    for (const c of this.#children) c.proc.kill('SIGKILL');
    for (const m of this.#cluster?.members ?? []) m.proc?.kill('SIGKILL');
    const first = this.#cluster?.members[0];
    if (first) rmSync(dirname(first.dataDir), { recursive: true, force: true });
  }
}

/**
 * On SIGINT or SIGTERM, stops every control plane (ControlPlane.stop) and
 * exits with 130; should the process exit some other way with one still
 * running, kills its processes (ControlPlane.killNow).
 */
export function stopOnSignals(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping the children and the store`);
      void Promise.all([...planes].map((p) => p.stop())).finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    for (const p of planes) p.killNow();
  });
}

/** Self time of one function (or one file) in a CPU profile. */
export interface ProfileCost {
  /** `name file:line` for a function; the file (relative to the root; `node:...` for node's own) for a file. */
  readonly what: string;
  readonly ms: number;
  /** Of the whole profile, 0..100. */
  readonly percent: number;
}

/** A `node --cpu-prof` profile (.cpuprofile): the parts read here. */
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }; readonly hitCount?: number }[];
  readonly startTime: number;
  readonly endTime: number;
}

/**
 * The costs of the `.cpuprofile` at `path`, by self time (samples ×
 * the mean sampling interval), largest first: `top` functions, and every
 * file (V8's pseudo-functions `(garbage collector)`, `(program)`, `(idle)`
 * count as files of their own).
 */
export function cpuProfileTop(path: string, top: number): { functions: ProfileCost[]; files: ProfileCost[]; seconds: number } {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const samples = prof.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const perSample = samples ? (prof.endTime - prof.startTime) / 1000 / samples : 0;
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const root = `file://${ROOT}/`;
  for (const n of prof.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const t = (n.hitCount ?? 0) * perSample;
    if (!t) continue;
    const file = url.startsWith(root) ? url.slice(root.length) : url || `(${functionName.replace(/[()]/g, '')})`;
    const fn = url ? `${functionName || '(anonymous)'} ${file}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}` : functionName; // tsx's transpiled files report line 0
    fns.set(fn, (fns.get(fn) ?? 0) + t);
    files.set(file, (files.get(file) ?? 0) + t);
  }
  const total = samples * perSample;
  const sorted = (m: Map<string, number>): ProfileCost[] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([what, t]) => ({ what, ms: t, percent: total ? (100 * t) / total : 0 }));
  return { functions: sorted(fns).slice(0, top), files: sorted(files), seconds: total / 1000 };
}

/**
 * Runs a benchmark's `main`, logging how long it took, or its failure (the
 * exit code then 1), and then `finish` (cleanup) either way.
 */
export async function runBench(main: () => Promise<void>, finish?: () => Promise<void>): Promise<void> {
  const started = now();
  try {
    await main();
    log(`done in ${((now() - started) / 1000).toFixed(0)} s`);
  } catch (e) {
    process.exitCode = 1;
    log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    await finish?.();
  }
}
