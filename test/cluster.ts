/**
 * Test support: 1-, 3- or 5-member clusters of kubeling stores or of real
 * etcd, each member a child process on loopback with free ports and its own
 * temporary data dir; waiting is by polling for readiness, never by sleeping.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * A free TCP port on 127.0.0.1, below the kernel's ephemeral range (32768
 * on): a port there could be taken by an outgoing connection between this
 * check and the child process binding it, seconds later. 10000-19999:
 * proc.ts's upPorts() takes its ports from 20000 on.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if (handedOut.has(port)) continue; // never the same one twice
    const free = await new Promise<boolean>((res) => {
      const s = createServer().once('error', () => res(false)).listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Ports freePort() has returned in this process. */
const handedOut = new Set<number>();

/** One member process. */
export interface MemberProc {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  proc: ChildProcess | undefined;
  /** Extra flags it was started with (TLS). */
  readonly extra: readonly string[];
  log: string;
}

/** Which server to run: kubeling's store or the real etcd. */
export type Flavour = 'kubeling' | 'etcd';

/** True when the real etcd and etcdctl are installed (the tests that compare need them). */
export function haveEtcd(): boolean {
  return spawnSync('etcd', ['--version']).status === 0 && spawnSync('etcdctl', ['version']).status === 0;
}

/** A running cluster. */
export class TestCluster {
  private constructor(
    readonly flavour: Flavour,
    readonly members: MemberProc[],
    private readonly root: string,
  ) {}

  /** Starts `size` members and waits until every one answers and there is a leader. */
  static async start(flavour: Flavour, size: number, opts: { tls?: TlsFiles; extra?: string[] } = {}): Promise<TestCluster> {
    const root = mkdtempSync(join(tmpdir(), `kubeling-test-${flavour}-`));
    const scheme = opts.tls ? 'https' : 'http';
    const members: MemberProc[] = [];
    for (let i = 1; i <= size; i++) {
      members.push({
        name: `m${i}`,
        clientUrl: `${scheme}://127.0.0.1:${await freePort()}`,
        peerUrl: `${scheme}://127.0.0.1:${await freePort()}`,
        dataDir: join(root, `m${i}`),
        proc: undefined,
        extra: [...(opts.tls ? tlsFlags(opts.tls) : []), ...(opts.extra ?? [])],
        log: '',
      });
    }
    const c = new TestCluster(flavour, members, root);
    const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    for (const m of members) c.spawn(m, initial, 'new');
    try {
      await c.waitReady(opts.tls);
    } catch (e) {
      // a member that never came up (a port taken meanwhile by another process,
      // say) must not leave the others running: they would keep the test alive
      await c.stop();
      throw e;
    }
    return c;
  }

  /** The flags of a member, as etcd and `kubeling store` both take them. */
  flags(m: MemberProc, initialCluster: string, state: 'new' | 'existing'): string[] {
    return [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      ...m.extra,
    ];
  }

  /** Starts (or restarts) a member's process. */
  spawn(m: MemberProc, initialCluster: string, state: 'new' | 'existing'): void {
    const args = this.flags(m, initialCluster, state);
    const p =
      this.flavour === 'etcd'
        ? spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, [...profiling(), join(ROOT, 'cli/bin.js'), 'store', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    m.log = '';
    const keep = (d: Buffer): void => {
      m.log = (m.log + d.toString()).slice(-20000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    m.proc = p;
  }

  /** Restarts a stopped member with the cluster's flags. */
  restart(m: MemberProc): void {
    this.spawn(m, this.members.map((x) => `${x.name}=${x.peerUrl}`).join(','), 'new');
  }

  /** Kills a member: SIGKILL (crash) or SIGTERM (graceful); waits for it to exit. */
  async kill(m: MemberProc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = m.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await exited;
    m.proc = undefined;
  }

  /** Client endpoints, comma-separated, for etcdctl. */
  get endpoints(): string {
    return this.members.filter((m) => m.proc).map((m) => m.clientUrl).join(',');
  }

  /** Polls until every running member reports healthy with a leader (bounded). */
  async waitReady(tls?: TlsFiles, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = spawnSync('etcdctl', [...etcdctlTls(tls), '--endpoints', this.endpoints, 'endpoint', 'health', '--command-timeout=2s'], {
        env: { ...process.env, ETCDCTL_API: '3' },
        encoding: 'utf8',
      });
      if (r.status === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`cluster not ready: ${r.stderr}\n${this.members.map((m) => `--- ${m.name}\n${m.log.slice(-2000)}`).join('\n')}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Stops every member and removes the data. */
  async stop(): Promise<void> {
    // profiled members stop gracefully, to write their profiles
    await Promise.all(this.members.map((m) => this.kill(m, profiling().length ? 'SIGTERM' : 'SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The PKI files a TLS cluster uses (see `kubeling pki init`). */
export interface TlsFiles {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly peerCert: string;
  readonly peerKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** The TLS files of a `kubeling pki init` directory. */
export function pkiFiles(dir: string): TlsFiles {
  return {
    ca: join(dir, 'etcd/ca.crt'),
    serverCert: join(dir, 'etcd/server.crt'),
    serverKey: join(dir, 'etcd/server.key'),
    peerCert: join(dir, 'etcd/peer.crt'),
    peerKey: join(dir, 'etcd/peer.key'),
    clientCert: join(dir, 'apiserver-etcd-client.crt'),
    clientKey: join(dir, 'apiserver-etcd-client.key'),
  };
}

function tlsFlags(t: TlsFiles): string[] {
  return [
    '--cert-file', t.serverCert, '--key-file', t.serverKey, '--trusted-ca-file', t.ca, '--client-cert-auth',
    '--peer-cert-file', t.peerCert, '--peer-key-file', t.peerKey, '--peer-trusted-ca-file', t.ca, '--peer-client-cert-auth',
  ];
}

/** etcdctl's TLS flags for a client with the apiserver's etcd client certificate. */
export function etcdctlTls(t: TlsFiles | undefined): string[] {
  return t ? ['--cacert', t.ca, '--cert', t.clientCert, '--key', t.clientKey] : [];
}

/** Runs etcdctl (v3 API) and returns its output; throws with stderr on failure unless `allowFail`. */
export function etcdctl(endpoints: string, args: string[], opts: { tls?: TlsFiles; input?: string; allowFail?: boolean } = {}): { stdout: string; stderr: string; status: number } {
  const r = spawnSync('etcdctl', [...etcdctlTls(opts.tls), '--endpoints', endpoints, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    encoding: 'utf8',
    input: opts.input,
    timeout: 30_000,
  });
  const out = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? -1 };
  if (out.status !== 0 && !opts.allowFail) throw new Error(`etcdctl ${args.join(' ')} failed (${out.status}): ${out.stderr}`);
  return out;
}

/** With KUBELING_STORE_CPU_PROF=DIR (for benchmarks), kubeling members run under `node --cpu-prof`, their profiles written to DIR when they stop. */
function profiling(): string[] {
  const dir = process.env.KUBELING_STORE_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}
