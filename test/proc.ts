/**
 * Test support: a `kubeling` command as a child process, with everything it
 * prints collected, and bounded polling for a condition.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../cli/bin.js');

/** A running `kubeling <command>`: its process, what it has printed (stdout and stderr), its exit code once it exits. */
export interface KubelingProc {
  readonly proc: ChildProcess;
  out: string;
  readonly exited: Promise<number | null>;
}

/** Starts `kubeling <command> <args>`. */
export function startKubeling(command: string, args: string[]): KubelingProc {
  const proc = spawn(process.execPath, [BIN, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: KubelingProc = { proc, out: '', exited: new Promise((res) => proc.once('exit', (code) => res(code))) };
  proc.stdout!.on('data', (d: Buffer) => (p.out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (p.out += d.toString()));
  return p;
}

/** Polls `check` every 20 ms until it returns a value, at most `ms`; rejects naming `what` after that. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `cond` every 10 ms until it holds, at most `ms`. */
export async function waitUntil(cond: () => boolean, ms = 15_000): Promise<void> {
  await until('a condition', () => (cond() ? true : undefined), ms);
}

/** Resolves when `p` has printed `text`, rejects when it exits first. */
export async function printed(p: KubelingProc, text: string): Promise<void> {
  while (!p.out.includes(text)) {
    const code = await Promise.race([p.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
    if (code !== 'wait') throw new Error(`exited (${code}) before printing ${JSON.stringify(text)}:\n${p.out}`);
  }
}

/**
 * Ports for `kubeling up`: a store port base whose member ports (base,
 * base+1, base+10, base+11, base+20, base+21) are free, and a free API
 * server port.
 */
export async function upPorts(): Promise<{ store: number; api: number }> {
  for (;;) {
    // below the kernel's ephemeral range (32768 on), where outgoing connections take their ports; above cluster.ts's freePort() range
    const store = 20000 + 10 * Math.floor(Math.random() * 1200);
    const api = store + 5;
    const all = [0, 1, 10, 11, 20, 21].map((d) => store + d).concat(api);
    const free = await Promise.all(all.map((p) => new Promise<boolean>((res) => {
      const s = createServer().once('error', () => res(false)).listen(p, '127.0.0.1', () => s.close(() => res(true)));
    })));
    if (free.every(Boolean)) return { store, api };
  }
}

/** What a kubectl run ended with. */
export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real kubectl with `kubeconfig`. */
export function kubectlWith(kubeconfig: string, ...args: string[]): Promise<KubectlResult> {
  return new Promise((res) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => res({ status: err ? Number(err.code) || 1 : 0, stdout, stderr }));
  });
}

/** Runs the real kubectl with `kubeconfig`, asserting it succeeds; its stdout. */
export async function kubectlOk(kubeconfig: string, ...args: string[]): Promise<string> {
  const r = await kubectlWith(kubeconfig, ...args);
  assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
