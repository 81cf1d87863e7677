/**
 * The DaemonSet tests' cluster: a real API server (TestApi), hand-made Nodes
 * with a fake kubelet on them, the scheduler (DaemonSet pods are scheduled
 * like any other), and a controller manager running `registry`.
 */
import { RestClient } from '../../../client/rest.js';
import { Scheduler } from '../../../scheduler/scheduler.js';
import { TestApi } from '../../../test/apiserver.js';
import { ControllerManager, type Registration } from '../../manager.js';
import { createNode, FakeKubelet, type NodeOptions } from './kubelet.js';

/** A running DaemonSetCluster's parts, and how to stop it all. */
export interface DaemonSetCluster {
  readonly t: TestApi;
  readonly client: RestClient;
  /** Tell it of nodes added later (addNode); its `ready` decides which pods become Ready. */
  readonly kubelet: FakeKubelet;
  stop(): Promise<void>;
}

/** Starts the cluster with `nodes` (name → options) and the controllers of `registry`. */
export async function startDaemonSetCluster(nodes: Readonly<Record<string, NodeOptions>>, registry: ReadonlyMap<string, Registration>): Promise<DaemonSetCluster> {
  const t = await TestApi.start();
  const client = RestClient.fromKubeconfig(t.kubeconfig);
  for (const [name, o] of Object.entries(nodes)) await createNode(client, name, o);
  const kubelet = await new FakeKubelet(client, Object.keys(nodes)).start();
  const scheduler = new Scheduler({ client, log: () => {} });
  await scheduler.start();
  const m = new ControllerManager({ client, registry, log: () => {} });
  await m.start();
  return {
    t,
    client,
    kubelet,
    async stop() {
      await m.stop();
      await scheduler.stop();
      await kubelet.stop();
      client.close();
      await t.stop();
    },
  };
}
