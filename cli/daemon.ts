/**
 * How a control-plane component runs as its own process (`kubeling
 * scheduler`, `kubeling controller-manager`): under leader election on a
 * Lease, as kube-scheduler and kube-controller-manager do, so two can run
 * and one is active; or, with leader election off, at once.
 *
 * Under leader election it waits to lead (logging `waiting to lead (Lease
 * ns/name) as <identity>`), starts the component when it leads (`leading as
 * <identity>: <what>`), and exits with status 1 when it loses the lease, as
 * those components do. SIGINT or SIGTERM stop the component and release the
 * lease. The process is held alive until then (client/'s timers are
 * unref'd).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LeaderElector } from '../client/leaderelection.js';
import type { RestClient } from '../client/rest.js';

/** The leader election settings (KubeSchedulerConfiguration's and kube-controller-manager's leaderElection). */
export interface LeaderElection {
  readonly leaderElect: boolean;
  readonly resourceNamespace: string;
  readonly resourceName: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** Kubernetes components take `--leader-elect` alone for true: argv with it written `--leader-elect=true`, for parseArgs. */
export function leaderElectArgs(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--leader-elect' ? '--leader-elect=true' : a));
}

/** The value of --leader-elect (`true` or `false`; `dflt` when not given). */
export function leaderElectValue(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v !== 'true' && v !== 'false') throw new Error(`--leader-elect must be true or false, not "${v}"`);
  return v === 'true';
}

/** A component as the daemon runs it. */
export interface Component {
  /** What it does once started, for the log: `scheduling pods for default-scheduler`. */
  readonly what: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `c` until a signal or (under leader election) a lost lease; see the file comment. */
export async function runDaemon(client: RestClient, election: LeaderElection, c: Component, log: (line: string) => void): Promise<void> {
  let elector: LeaderElector | undefined;
  const keepAlive = setInterval(() => {}, 1 << 30);
  const stopped = new Promise<string>((res) => {
    process.once('SIGINT', () => res('interrupted'));
    process.once('SIGTERM', () => res('terminated'));
    if (!election.leaderElect) return;
    const identity = `${hostname()}_${randomUUID()}`;
    const { resourceNamespace, resourceName, leaseDurationMs, renewDeadlineMs, retryPeriodMs } = election;
    elector = new LeaderElector(client, {
      namespace: resourceNamespace,
      name: resourceName,
      identity,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      log,
      onNewLeader: (id) => log(`the leader is ${id}${id === identity ? ' (this process)' : ''}`),
      onStartedLeading: () => {
        log(`leading as ${identity}: ${c.what}`);
        c.start().catch((e: unknown) => res(`cannot start: ${(e as Error).message}`));
      },
      onStoppedLeading: () => res('leader election lost'),
    });
    log(`waiting to lead (Lease ${resourceNamespace}/${resourceName}) as ${identity}`);
    void elector.run();
  });
  if (!election.leaderElect) {
    await c.start();
    log(`${c.what} (no leader election)`);
  }
  const why = await stopped;
  log(`${why}; stopping`);
  let failed = why === 'leader election lost' || why.startsWith('cannot start');
  try {
    await c.stop();
  } catch (e) {
    // a last write refused (the store electing a leader, say): the component is stopped all the same
    log(`stopping: ${(e as Error).message}`);
    failed = true;
  }
  await elector?.stop();
  client.close();
  clearInterval(keepAlive);
  if (failed) process.exitCode = 1;
  // stopped is stopped: whatever a component left open (a timer, a socket) must not keep the process alive
  setTimeout(() => process.exit(), 2000).unref();
}

/** A flag's whole, non-negative number from `min` to `max`; throws naming the flag otherwise. */
export function intFlag(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, not "${v}"`);
  return n;
}
