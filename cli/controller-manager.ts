/**
 * `kubeling controller-manager`: the controllers as their own process, with
 * kube-controller-manager's flags: --kubeconfig, --controllers (`*`,
 * `name`, `-name`), and leader election on the Lease
 * kube-system/kube-controller-manager (on by default; --leader-elect=false
 * runs without it; --leader-elect-lease-duration, -renew-deadline and
 * -retry-period as durations such as 15s); the node lifecycle's
 * --node-monitor-period, --node-monitor-grace-period and
 * --node-eviction-rate; the pod garbage collector's
 * --terminated-pod-gc-threshold (12500; 0 or less: terminated pods are kept);
 * the endpointslice controller's --max-endpoints-per-slice (100); the root
 * CA publisher's --root-ca-file (else the kubeconfig's CA).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../client/clock.js';
import { RestClient } from '../client/rest.js';
import { ControllerManager } from '../controllers/manager.js';
import { controllers as controllersWith } from '../controllers/registry.js';
import { intFlag, leaderElectArgs, leaderElectValue, runDaemon } from './daemon.js';

const USAGE =
  'kubeling controller-manager --kubeconfig FILE [--controllers *,NAME,-NAME] [--leader-elect=true|false] [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s] [--leader-elect-retry-period 2s] [--node-monitor-period 5s] [--node-monitor-grace-period 50s] [--node-eviction-rate 0.1] [--terminated-pod-gc-threshold 12500] [--max-endpoints-per-slice 100] [--root-ca-file FILE]';

/** Runs the controller manager until SIGINT or SIGTERM (or, under leader election, until the lease is lost). */
export async function controllerManager(argv: string[]): Promise<void> {
  const args = leaderElectArgs(argv);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      controllers: { type: 'string', default: '*' },
      'leader-elect': { type: 'string' },
      'leader-elect-lease-duration': { type: 'string', default: '15s' },
      'leader-elect-renew-deadline': { type: 'string', default: '10s' },
      'leader-elect-retry-period': { type: 'string', default: '2s' },
      'node-monitor-period': { type: 'string', default: '5s' },
      'node-monitor-grace-period': { type: 'string', default: '50s' },
      'node-eviction-rate': { type: 'string', default: '0.1' },
      'terminated-pod-gc-threshold': { type: 'string', default: '12500' },
      'max-endpoints-per-slice': { type: 'string', default: '100' },
      'root-ca-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return;
  }
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}" (usage: ${USAGE})`);
  if (!values.kubeconfig) throw new Error(`--kubeconfig is required (usage: ${USAGE})`);
  const leaderElect = leaderElectValue(values['leader-elect'], true);
  const controllers = values.controllers.split(',').map((s) => s.trim()).filter(Boolean);

  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const client = RestClient.fromKubeconfig(values.kubeconfig, { userAgent: `kubeling-controller-manager/v0.1.0 (${process.platform}/${process.arch}) kube-controller-manager` });
  const evictionRate = Number(values['node-eviction-rate']);
  if (!(evictionRate > 0)) throw new Error(`--node-eviction-rate must be a positive number, not "${values['node-eviction-rate']}"`);
  const gcThreshold = values['terminated-pod-gc-threshold'];
  if (!/^[+-]?\d+$/.test(gcThreshold)) throw new Error(`--terminated-pod-gc-threshold must be an integer, not "${gcThreshold}"`);
  const terminatedPodGCThreshold = Number(gcThreshold);
  // kube-controller-manager's range: 1 to 1000 (an EndpointSlice holds at most 1000 endpoints)
  const maxEndpointsPerSlice = intFlag('max-endpoints-per-slice', values['max-endpoints-per-slice'], 1, 1000);
  const registry = controllersWith({
    rootCA: rootCAOf(values['root-ca-file'], client.config.ca),
    monitorPeriodMs: parseDuration(values['node-monitor-period'], '--node-monitor-period'),
    gracePeriodMs: parseDuration(values['node-monitor-grace-period'], '--node-monitor-grace-period'),
    evictionRate,
    terminatedPodGCThreshold,
    maxEndpointsPerSlice,
  });
  const manager = new ControllerManager({ client, registry, controllers, log });
  const names = manager.names; // refuses unknown names before anything starts
  const election = {
    leaderElect,
    resourceNamespace: 'kube-system',
    resourceName: 'kube-controller-manager',
    leaseDurationMs: parseDuration(values['leader-elect-lease-duration'], '--leader-elect-lease-duration'),
    renewDeadlineMs: parseDuration(values['leader-elect-renew-deadline'], '--leader-elect-renew-deadline'),
    retryPeriodMs: parseDuration(values['leader-elect-retry-period'], '--leader-elect-retry-period'),
  };
  await runDaemon(client, election, { what: `running controllers ${names.join(', ') || '(none)'}`, start: () => manager.start(), stop: () => manager.stop() }, log);
}


/**
 * The CA bundle the root CA publisher publishes, as kube-controller-manager
 * takes it: --root-ca-file (which must hold PEM certificates), else the CA
 * of its kubeconfig, inline or from the file it names (none: empty).
 */
function rootCAOf(file: string | undefined, kubeconfigCA: Buffer | undefined): string {
  if (file === undefined) return kubeconfigCA?.toString() ?? '';
  const pem = readFileSync(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (blocks.length === 0) throw new Error('no PEM certificates in it');
    for (const b of blocks) new X509Certificate(b);
  } catch (e) {
    throw new Error(`error parsing root-ca-file at ${file}: ${(e as Error).message}`, { cause: e });
  }
  return pem;
}
