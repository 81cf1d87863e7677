/**
 * What the benchmarks share: a monotonic clock, polling, percentiles, closed
 * load loops, a process's CPU time and memory from /proc, and the Markdown
 * table they print.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

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
