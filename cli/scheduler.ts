/**
 * `kubeling scheduler`: the scheduler as its own process, with
 * kube-scheduler's flags: --kubeconfig, --config (a
 * KubeSchedulerConfiguration), and leader election on the Lease
 * kube-system/kube-scheduler (on by default, so two schedulers can run and
 * one is active; --leader-elect=false runs without it). A scheduler that
 * loses its lease exits, as kube-scheduler does; SIGTERM releases it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { LeaderElector } from '../client/leaderelection.js';
import { RestClient } from '../client/rest.js';
import { defaultSchedulerConfig, parseSchedulerConfig, type SchedulerConfiguration } from '../scheduler/framework/config.js';
import { Scheduler } from '../scheduler/scheduler.js';

const USAGE = 'kubeling scheduler --kubeconfig FILE [--config FILE] [--leader-elect=true|false]';

/** Runs the scheduler until SIGINT or SIGTERM (or, under leader election, until the lease is lost). */
export async function scheduler(argv: string[]): Promise<void> {
  // kube-scheduler writes booleans as --flag or --flag=false
  const args = argv.map((a) => (a === '--leader-elect' ? '--leader-elect=true' : a));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      config: { type: 'string' },
      'leader-elect': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return;
  }
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}" (usage: ${USAGE})`);
  const cfg: SchedulerConfiguration = values.config ? parseSchedulerConfig(readFileSync(values.config, 'utf8')) : defaultSchedulerConfig();
  const kubeconfig = values.kubeconfig ?? cfg.kubeconfig;
  if (!kubeconfig) throw new Error(`--kubeconfig is required (usage: ${USAGE})`);
  const le = values['leader-elect'];
  if (le !== undefined && le !== 'true' && le !== 'false') throw new Error(`--leader-elect must be true or false, not "${le}"`);
  const leaderElect = le === undefined ? cfg.leaderElection.leaderElect : le === 'true';

  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: Scheduler.userAgent() });
  const s = new Scheduler({ client, profiles: cfg.profiles, log });
  const names = cfg.profiles.map((p) => p.schedulerName).join(', ');
  let elector: LeaderElector | undefined;
  // client/'s timers do not hold the process; a daemon holds itself until it is told to stop
  const keepAlive = setInterval(() => {}, 1 << 30);
  const stopped = new Promise<string>((res) => {
    process.once('SIGINT', () => res('interrupted'));
    process.once('SIGTERM', () => res('terminated'));
    if (!leaderElect) return;
    const identity = `${hostname()}_${randomUUID()}`;
    const { resourceNamespace, resourceName, leaseDurationMs, renewDeadlineMs, retryPeriodMs } = cfg.leaderElection;
    elector = new LeaderElector(client, {
      namespace: resourceNamespace,
      name: resourceName,
      identity,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      log,
      onNewLeader: (id) => log(`the leader is ${id}${id === identity ? ' (this scheduler)' : ''}`),
      onStartedLeading: () => {
        log(`leading as ${identity}: scheduling pods for ${names}`);
        s.start().catch((e: unknown) => res(`cannot start: ${(e as Error).message}`));
      },
      onStoppedLeading: () => res('leader election lost'),
    });
    log(`waiting to lead (Lease ${resourceNamespace}/${resourceName}) as ${identity}`);
    void elector.run();
  });
  if (!leaderElect) {
    await s.start();
    log(`scheduling pods for ${names} (no leader election)`);
  }
  const why = await stopped;
  log(`${why}; stopping`);
  await s.stop();
  await elector?.stop();
  client.close();
  clearInterval(keepAlive);
  if (why === 'leader election lost' || why.startsWith('cannot start')) process.exitCode = 1;
}
