/**
 * `kubeling up`, for now: a store cluster of N members, each its own
 * `kubeling store` child process on loopback with its data under
 * <data-dir>/store/ and its log under <data-dir>/logs/. It waits until every
 * member is healthy, prints how to reach it, and stops the members cleanly on
 * Ctrl-C; a second `up` resumes the same cluster with its data. The API
 * server, scheduler, controllers and nodes join it in later issues.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const BIN = resolve(import.meta.dirname, 'bin.js');

interface Child {
  readonly name: string;
  readonly client: string;
  readonly logFile: string;
  readonly proc: ChildProcess;
  exited: boolean;
}

function healthy(url: string): Promise<boolean> {
  return new Promise((res) => {
    const req = get(`${url}/health`, { timeout: 1000 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs the local cluster until SIGINT or SIGTERM. */
export async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: '.kubeling' },
      'store-members': { type: 'string', default: '3' },
      port: { type: 'string', default: '2379' },
    },
  });
  const dataDir = resolve(values['data-dir']);
  const n = Number(values['store-members']);
  const base = Number(values.port);
  if (!Number.isInteger(n) || n < 1 || n > 7) throw new Error('--store-members must be 1 to 7');
  if (!Number.isInteger(base) || base < 1024 || base > 65000) throw new Error('--port must be 1024 to 65000');
  mkdirSync(join(dataDir, 'logs'), { recursive: true });

  // member i listens for clients on base + 10*(i-1) and for peers one above
  const members = Array.from({ length: n }, (_, i) => ({
    name: `store-${i + 1}`,
    client: `http://127.0.0.1:${base + 10 * i}`,
    peer: `http://127.0.0.1:${base + 10 * i + 1}`,
  }));
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(',');
  const children: Child[] = members.map((m) => {
    const logFile = join(dataDir, 'logs', `${m.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(
      process.execPath,
      [
        BIN, 'store',
        '--name', m.name,
        '--data-dir', join(dataDir, 'store', m.name),
        '--listen-client-urls', m.client,
        '--advertise-client-urls', m.client,
        '--listen-peer-urls', m.peer,
        '--initial-advertise-peer-urls', m.peer,
        '--initial-cluster', initial,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    const c: Child = { name: m.name, client: m.client, logFile, proc, exited: false };
    proc.once('exit', () => {
      c.exited = true;
    });
    return c;
  });
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((res) => {
            if (c.exited) return res();
            c.proc.once('exit', () => res());
            c.proc.kill('SIGTERM');
          }),
      ),
    );
  };

  process.stdout.write(`starting ${n} store members (logs in ${join(dataDir, 'logs')})`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const dead = children.find((c) => c.exited);
    if (dead) {
      await stopAll();
      throw new Error(`${dead.name} exited during start-up; the end of ${dead.logFile}:\n${tail(dead.logFile)}`);
    }
    const ok = await Promise.all(children.map((c) => healthy(c.client)));
    if (ok.every(Boolean)) break;
    if (Date.now() > deadline) {
      const slow = children.filter((_, i) => !ok[i]);
      await stopAll();
      throw new Error(`not healthy after 60 s: ${slow.map((c) => `${c.name}\n${tail(c.logFile)}`).join('\n')}`);
    }
    process.stdout.write('.');
    await new Promise((r) => setTimeout(r, 250));
  }
  const endpoints = members.map((m) => m.client).join(',');
  process.stdout.write(' ready\n\n');
  process.stdout.write(`kubeling store: ${n} members, data in ${join(dataDir, 'store')}\n`);
  process.stdout.write(`  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}\n`);
  process.stdout.write('  etcdctl endpoint status -w table\n');
  process.stdout.write('The API server, scheduler, controllers and nodes are not built yet (see README.md). Ctrl-C stops.\n');

  const stop = await new Promise<string>((res) => {
    process.once('SIGINT', () => res('interrupted'));
    process.once('SIGTERM', () => res('terminated'));
    for (const c of children) c.proc.once('exit', (code) => res(`${c.name} exited (${code ?? 'signal'}); the end of its log:\n${tail(c.logFile)}`));
  });
  process.stdout.write(`\n${stop}; stopping the members\n`);
  await stopAll();
}
