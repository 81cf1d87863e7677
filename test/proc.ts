/**
 * Test support: a `kubeling` command as a child process, with everything it
 * prints collected, and bounded polling for a condition.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
