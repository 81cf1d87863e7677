/**
 * The scheduler as a process of its own for `bench:scheduler` when
 * `kubeling scheduler` cannot serve: `node --import tsx
 * bench/scheduler-child.ts --kubeconfig FILE [--qps N --burst B]` runs a
 * Scheduler over a RestClient made from FILE (with the client-side rate
 * limit kube-scheduler's clientConnection.qps and burst set, when given),
 * without leader election, until SIGTERM or SIGINT, then stops it and exits
 * (so that a `node --cpu-prof` profile is written).
 */
import { parseArgs } from 'node:util';
import { RestClient } from '../client/rest.js';
import { Scheduler } from '../scheduler/scheduler.js';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, qps: { type: 'string' }, burst: { type: 'string' } } });
if (!values.kubeconfig) throw new Error('--kubeconfig FILE is required');
const limit = values.qps ? { qps: Number(values.qps), ...(values.burst ? { burst: Number(values.burst) } : {}) } : {};
const client = RestClient.fromKubeconfig(values.kubeconfig, { userAgent: Scheduler.userAgent(), ...limit });
const scheduler = new Scheduler({ client });
await scheduler.start();
process.stdout.write('scheduler started\n');
await new Promise<void>((res) => {
  process.once('SIGTERM', res);
  process.once('SIGINT', res);
});
const stopped = scheduler.stop();
await Promise.race([stopped, new Promise((r) => setTimeout(r, 5000))]);
client.close();
process.exit(0);
