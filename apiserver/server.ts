/**
 * An API server: the registry's stores over one StoreClient, served by the
 * HTTP layer, with the namespaces Kubernetes creates at start.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, createUpgrade } from './http/server.js';
import { namespaceLifecycle } from './registry/admission.js';
import { daemonsets } from './registry/apps/daemonsets.js';
import { deployments } from './registry/apps/deployments.js';
import { replicasets } from './registry/apps/replicasets.js';
import { jobs } from './registry/batch/jobs.js';
import { leases } from './registry/coordination/leases.js';
import { configmaps } from './registry/core/configmaps.js';
import { endpoints } from './registry/core/endpoints.js';
import { events } from './registry/core/events.js';
import { namespaces } from './registry/core/namespaces.js';
import { nodes } from './registry/core/nodes.js';
import { pods } from './registry/core/pods.js';
import { secrets } from './registry/core/secrets.js';
import { serviceaccounts } from './registry/core/serviceaccounts.js';
import { services } from './registry/core/services.js';
import { SYSTEM_PRIORITY_CLASSES, priorityclasses } from './registry/scheduling/priorityclasses.js';
import { AlreadyExistsError } from './registry/errors.js';
import { GenericStore } from './registry/generic.js';
import type { Strategy } from './registry/strategy.js';
import type { StoreClient } from './storage/interface.js';
import type { KubeObject } from './api/meta.js';

/** Every kind served, in discovery order. */
export const STRATEGIES: readonly Strategy[] = [
  namespaces,
  nodes,
  pods,
  configmaps,
  secrets,
  serviceaccounts,
  services,
  endpoints,
  events,
  deployments,
  replicasets,
  daemonsets,
  jobs,
  leases,
  priorityclasses,
];

/** The namespaces that exist from the start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** A running API server. */
export interface ApiServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts an API server over `store` on host:port (port 0: any free one). */
export async function startApiServer(store: StoreClient, listen: { host?: string; port?: number } = {}): Promise<ApiServer> {
  const stores = STRATEGIES.map((s) => new GenericStore(store, s));
  const ns = stores.find((s) => s.strategy === namespaces)!;
  for (const s of stores) s.admission.push(namespaceLifecycle(ns));
  const pcs = stores.find((s) => s.strategy === priorityclasses)!;
  const ensure = (store: GenericStore, obj: KubeObject) =>
    store.create(obj.metadata.namespace, obj).catch((e: unknown) => {
      if (!(e instanceof AlreadyExistsError)) throw e;
    });
  for (const name of SYSTEM_NAMESPACES) await ensure(ns, { metadata: { name } });
  for (const pc of SYSTEM_PRIORITY_CLASSES) await ensure(pcs, pc);
  // the Service clients in pods find the API server by (kube-apiserver's first service address)
  const svc = stores.find((s) => s.strategy === services)!;
  await ensure(svc, {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  });
  await Promise.all(stores.map((s) => s.start()));
  const server = createServer(createApp(stores));
  server.on('upgrade', createUpgrade(stores));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => res());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((res) => {
        for (const s of stores) s.stop();
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
