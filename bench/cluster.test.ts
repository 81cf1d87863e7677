/**
 * The pure parts of bench/cluster.ts (the benchmark itself is not a test):
 * latency summaries, and reading processes, their RSS and the machine's CPU
 * from /proc, here from a /proc-like tree written to a temporary dir, and
 * once from the real /proc.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RssSampler, childProcesses, componentName, groupMembers, machineTicks, statusBytes, summarize } from './cluster.js';

describe('bench:cluster helpers', () => {
  const proc = mkdtempSync(join(tmpdir(), 'kubeling-bench-cluster-test-'));
  after(() => rmSync(proc, { recursive: true, force: true }));
  /** A fake /proc/PID: stat (the command name with a space and a parenthesis, as the kernel may show one), cmdline, status. */
  const fake = (pid: number, ppid: number, argv: string[], rssKb: number, hwmKb = rssKb, pgrp = pid): void => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'stat'), `${pid} (node (x) y) S ${ppid} ${pgrp} ${pgrp} 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 11 0\n`);
    writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
    writeFileSync(join(proc, String(pid), 'status'), `Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t ${hwmKb} kB\nVmRSS:\t ${rssKb} kB\nThreads:\t11\n`);
  };

  it('summarizes latencies: p50, p90, p99 (element floor((n - 1) * p) of the sorted values), max; NaNs left out', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1, unsorted
    assert.deepEqual(summarize([...values, NaN]), { n: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    assert.deepEqual(summarize([7]), { n: 1, p50: 7, p90: 7, p99: 7, max: 7 });
    const none = summarize([NaN]);
    assert.equal(none.n, 0);
    assert.ok(Number.isNaN(none.p99) && Number.isNaN(none.max));
  });

  it('reads kB fields of /proc/PID/status as bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n';
    assert.equal(statusBytes(status, 'VmRSS'), 1024 * 1024);
    assert.equal(statusBytes(status, 'VmHWM'), 2048 * 1024);
    assert.ok(Number.isNaN(statusBytes(status, 'VmSwap')));
  });

  it('names kubeling processes by command, store members by --name', () => {
    assert.equal(componentName(['/usr/bin/node', '/r/cli/bin.js', 'store', '--name', 'store-2', '--data-dir', 'd']), 'store-2');
    assert.equal(componentName(['/usr/bin/node', '/r/cli/bin.js', 'controller-manager', '--kubeconfig', 'f']), 'controller-manager');
    assert.equal(componentName(['/usr/bin/node', '/r/cli/bin.js', 'nodes', '--count', '100']), 'nodes');
  });

  it("finds a process's kubeling children and a process group's members in /proc, and samples RSS (peak and last)", () => {
    fake(100, 1, ['node', '/r/cli/bin.js', 'up'], 50_000);
    fake(101, 100, ['node', '/r/cli/bin.js', 'store', '--name', 'store-1'], 1000, 1000, 100);
    fake(102, 100, ['node', '/r/cli/bin.js', 'apiserver', '--secure-port', '6443'], 3000, 9000, 100);
    fake(103, 100, ['/r/node_modules/@esbuild/linux-x64/bin/esbuild', '--service'], 10, 10, 100);
    fake(104, 7, ['node', '/r/cli/bin.js', 'scheduler'], 2000);
    fake(105, 1, ['node', '/r/cli/bin.js', 'nodes'], 2000, 2000, 100); // orphaned: its parent is gone, its group stays
    mkdirSync(join(proc, 'self'), { recursive: true });
    const kids = childProcesses(100, proc);
    assert.deepEqual(kids, [
      { pid: 102, name: 'apiserver' },
      { pid: 101, name: 'store-1' },
    ]);
    assert.deepEqual(groupMembers(100, proc), [100, 101, 102, 103, 105]);
    assert.deepEqual(groupMembers(104, proc), [104]);
    const s = new RssSampler([101, 102, 999], proc);
    s.sample();
    fake(102, 100, ['node', '/r/cli/bin.js', 'apiserver'], 2000, 9000, 100);
    s.sample();
    assert.equal(s.peak.get(102), 3000 * 1024);
    assert.equal(s.last.get(102), 2000 * 1024);
    assert.equal(s.peak.get(101), 1000 * 1024);
    assert.equal(s.peak.has(999), false, 'a process gone is skipped');
    assert.equal(s.hwm(102), 9000 * 1024);
  });

  it("reads this process's RSS from the real /proc, and the machine's busy and total CPU from /proc/stat's first line", () => {
    const s = new RssSampler([process.pid]);
    s.sample();
    const rss = s.last.get(process.pid) ?? 0;
    assert.ok(rss > 10 * 2 ** 20 && Math.abs(rss - process.memoryUsage().rss) < 64 * 2 ** 20, `RSS ${rss}`);
    const t = machineTicks('cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 1 2 3 4\n');
    assert.deepEqual(t, { busy: 161, total: 981 });
  });
});
