/**
 * `kubeling nodes`: a fleet of simulated kubelets in one process
 * (nodes/fleet.ts), with the kubelet's flag names where the kubelet has
 * one (--node-ip, --port, --node-lease-duration-seconds,
 * --node-status-update-frequency, --node-status-report-frequency). SIGINT
 * or SIGTERM stop it: heartbeats end, the Nodes stay (as a stopped kubelet
 * leaves them; the node lifecycle controller then marks them NotReady).
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../client/clock.js';
import { RestClient, userAgent } from '../client/rest.js';
import { NodeFleet, DEFAULT_CAPACITY, DEFAULT_ZONES } from '../nodes/fleet.js';
import { DEFAULT_TIMINGS } from '../nodes/lifecycle.js';
import { parseTaint } from '../nodes/node.js';
import { intFlag as int, runDaemon } from './daemon.js';

const USAGE = `kubeling nodes --kubeconfig FILE --count N [--name-prefix kubeling-node-]
       [--cpu 4] [--memory 16Gi] [--pods 110] [--ephemeral-storage 100Gi] [--zones zone-a,zone-b,zone-c]
       [--taint key=value:Effect ...] [--node-ip 127.0.0.1] [--port 0]
       [--node-lease-duration-seconds 40] [--node-status-update-frequency 10s] [--node-status-report-frequency 5m]
       [--container-start-delay 500ms-1s] [--init-container-duration 500ms] [--run-duration 3s]`;

/** A duration, or a range of two (`500ms-1s`), in ms. */
function range(name: string, v: string): [number, number] {
  const [a, b = a] = v.split('-');
  const lo = parseDuration(a ?? '', `--${name}`);
  const hi = parseDuration(b ?? '', `--${name}`);
  if (hi < lo) throw new Error(`--${name}: ${v} is not a range from low to high`);
  return [lo, hi];
}

/** Runs the fleet until SIGINT or SIGTERM. */
export async function nodes(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      count: { type: 'string' },
      'name-prefix': { type: 'string', default: 'kubeling-node-' },
      cpu: { type: 'string', default: DEFAULT_CAPACITY.cpu },
      memory: { type: 'string', default: DEFAULT_CAPACITY.memory },
      pods: { type: 'string', default: DEFAULT_CAPACITY.pods },
      'ephemeral-storage': { type: 'string', default: DEFAULT_CAPACITY['ephemeral-storage'] },
      zones: { type: 'string', default: DEFAULT_ZONES.join(',') },
      taint: { type: 'string', multiple: true, default: [] },
      'node-ip': { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'node-lease-duration-seconds': { type: 'string', default: '40' },
      'node-status-update-frequency': { type: 'string', default: '10s' },
      'node-status-report-frequency': { type: 'string', default: '5m' },
      'container-start-delay': { type: 'string', default: `${DEFAULT_TIMINGS.startMs[0]}ms-${DEFAULT_TIMINGS.startMs[1]}ms` },
      'init-container-duration': { type: 'string', default: `${DEFAULT_TIMINGS.initMs}ms` },
      'run-duration': { type: 'string', default: `${DEFAULT_TIMINGS.runMs}ms` },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return;
  }
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}" (usage: ${USAGE})`);
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required (usage: ${USAGE})`);
  if (!values.count) throw new Error(`--count is required (usage: ${USAGE})`);
  const count = int('count', values.count, 1, 100_000);
  const leaseDurationSeconds = int('node-lease-duration-seconds', values['node-lease-duration-seconds'], 1);
  const port = int('port', values.port, 0, 65535);
  const taints = values.taint.map(parseTaint);
  const zones = values.zones.split(',').filter((z) => z !== '');
  const capacity: Record<string, string> = { ...DEFAULT_CAPACITY };
  for (const k of ['cpu', 'memory', 'pods', 'ephemeral-storage'] as const) if (values[k]) capacity[k] = values[k];
  const [initMs] = range('init-container-duration', values['init-container-duration']);
  const [runMs] = range('run-duration', values['run-duration']);

  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const client = RestClient.fromKubeconfig(values.kubeconfig, { userAgent: userAgent('kubelet') });
  const fleet = new NodeFleet({
    client,
    count,
    namePrefix: values['name-prefix'],
    capacity,
    zones,
    taints,
    nodeIP: values['node-ip'],
    port,
    leaseDurationSeconds,
    statusUpdateMs: parseDuration(values['node-status-update-frequency'], '--node-status-update-frequency'),
    statusReportMs: parseDuration(values['node-status-report-frequency'], '--node-status-report-frequency'),
    timings: { startMs: range('container-start-delay', values['container-start-delay']), initMs, runMs },
    log,
  });
  const names = fleet.names;
  const what = `${count} simulated node${count === 1 ? '' : 's'} (${names[0]}${count > 1 ? ` .. ${names.at(-1)}` : ''})`;
  const election = { leaderElect: false, resourceNamespace: '', resourceName: '', leaseDurationMs: 0, renewDeadlineMs: 0, retryPeriodMs: 0 };
  await runDaemon(
    client,
    election,
    {
      what,
      start: async () => {
        const t0 = Date.now();
        await fleet.start();
        log(`registered ${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s; container logs on ${values['node-ip']}:${fleet.port}`);
      },
      stop: () => fleet.stop(),
    },
    log,
  );
}
