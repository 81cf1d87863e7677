/**
 * `kubeling scheduler`: the scheduler as its own process, with
 * kube-scheduler's flags: --kubeconfig, --config (a
 * KubeSchedulerConfiguration), and leader election on the Lease
 * kube-system/kube-scheduler (on by default, so two schedulers can run and
 * one is active; --leader-elect=false runs without it). A scheduler that
 * loses its lease exits, as kube-scheduler does; SIGTERM releases it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RestClient } from '../client/rest.js';
import { defaultSchedulerConfig, parseSchedulerConfig, type SchedulerConfiguration } from '../scheduler/framework/config.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { leaderElectArgs, leaderElectValue, runDaemon } from './daemon.js';

const USAGE = 'kubeling scheduler --kubeconfig FILE [--config FILE] [--leader-elect=true|false]';

/** Runs the scheduler until SIGINT or SIGTERM (or, under leader election, until the lease is lost). */
export async function scheduler(argv: string[]): Promise<void> {
  // kube-scheduler writes booleans as --flag or --flag=false
  const args = leaderElectArgs(argv);
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
  const leaderElect = leaderElectValue(values['leader-elect'], cfg.leaderElection.leaderElect);

  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: Scheduler.userAgent() });
  const s = new Scheduler({ client, profiles: cfg.profiles, log });
  const names = cfg.profiles.map((p) => p.schedulerName).join(', ');
  await runDaemon(client, { ...cfg.leaderElection, leaderElect }, { what: `scheduling pods for ${names}`, start: () => s.start(), stop: () => s.stop() }, log);
}
