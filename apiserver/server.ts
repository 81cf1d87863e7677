/**
 * An API server: the registry's stores over one StoreClient, served by the
 * HTTP layer, with the namespaces Kubernetes creates at start.
 *
 * Over TLS it authenticates every request (client certificates verified
 * against the client CA, bearer tokens) as kube-apiserver's secure port
 * does; over plain HTTP (tests, and the --insecure-port kube-apiserver had
 * until 1.24) it asks nobody.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { tokens, union, x509, type Authenticator } from './auth/authenticate.js';
import type { ObjectLookup, ServiceAccountTokens } from './auth/serviceaccount.js';
import type { UserInfo } from './auth/user.js';
import { createApp, createUpgrade, type AuthOptions, type UiServer } from './http/server.js';
import { NamespaceLifecycle, podDefaultTolerations, podPriority, podServiceAccount, type AdmissionPlugin } from './registry/admission.js';
import { controllerrevisions } from './registry/apps/controllerrevisions.js';
import { daemonsets } from './registry/apps/daemonsets.js';
import { deployments } from './registry/apps/deployments.js';
import { replicasets } from './registry/apps/replicasets.js';
import { jobs } from './registry/batch/jobs.js';
import { leases } from './registry/coordination/leases.js';
import { configmaps } from './registry/core/configmaps.js';
import { endpointslices } from './registry/discovery/endpointslices.js';
import { endpoints } from './registry/core/endpoints.js';
import { events } from './registry/core/events.js';
import { eventsV1 } from './registry/events/events.js';
import { namespaces } from './registry/core/namespaces.js';
import { nodes } from './registry/core/nodes.js';
import { pods } from './registry/core/pods.js';
import { secrets } from './registry/core/secrets.js';
import { tokenRequest } from './registry/core/serviceaccount-token.js';
import { serviceaccounts } from './registry/core/serviceaccounts.js';
import { services } from './registry/core/services.js';
import { SYSTEM_PRIORITY_CLASSES, priorityclasses } from './registry/scheduling/priorityclasses.js';
import { storeFor } from './registry/cohabiting.js';
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
  controllerrevisions,
  eventsV1,
  jobs,
  leases,
  priorityclasses,
  endpointslices,
];

/**
 * How long an idle keep-alive connection is kept (kube-apiserver's 90 s; Node's
 * default of 5 s made every component that paused for 5 s open, and
 * TLS-handshake, new connections).
 */
const IDLE_TIMEOUT_MS = 90_000;

/** The namespaces that exist from the start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Where and how to serve. */
export interface ServeOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /**
   * Serve HTTPS with this certificate and key (PEM) and authenticate every
   * request: with a client certificate signed by `clientCA`, or a bearer
   * token of `tokens`. Without it: plain HTTP, nobody authenticated.
   */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCA?: Buffer };
  /** Bearer tokens and their users (kube-apiserver's --token-auth-file). */
  readonly tokens?: ReadonlyMap<string, UserInfo>;
  /**
   * Service account tokens: accepted as bearer tokens (over TLS), and issued
   * by serviceaccounts/token when they have a signing key.
   */
  readonly serviceAccounts?: ServiceAccountTokens;
  /** Also serve plain, unauthenticated HTTP on this port (kube-apiserver's old --insecure-port), on `host`. */
  readonly insecurePort?: number;
  /**
   * How many recent events each resource's watch cache keeps (kube-apiserver's
   * --default-watch-cache-size); a watch resuming from before them gets 410
   * Expired. Default 10000.
   */
  readonly watchCacheSize?: number;
  /** The DefaultTolerationSeconds admission's tolerationSeconds (kube-apiserver's --default-not-ready-toleration-seconds, -unreachable-; 300 each). */
  readonly defaultNotReadyTolerationSeconds?: number;
  readonly defaultUnreachableTolerationSeconds?: number;
  /** The dashboard, served under /ui/ (apiserver/inspect/). */
  readonly ui?: UiServer;
  /** Admission plugins not to run (kube-apiserver's --disable-admission-plugins); every one runs by default. */
  readonly disabledAdmissionPlugins?: readonly AdmissionPlugin[];
}

/** A running API server. */
export interface ApiServer {
  readonly server: Server;
  /** The port of `server`. */
  readonly port: number;
  /** The plain HTTP listener of ServeOptions.insecurePort, if asked for. */
  readonly insecure?: { readonly server: Server; readonly port: number };
  close(): Promise<void>;
}

/** Starts an API server over `store`; see ServeOptions. */
export async function startApiServer(store: StoreClient, listen: ServeOptions = {}): Promise<ApiServer> {
  const sat = listen.serviceAccounts;
  const lookup: ObjectLookup = (resource, namespace, name) => stores.find((s) => s.strategy.info.resource === resource)!.cached(namespace, name);
  const stores = STRATEGIES.map(
    (s) => new GenericStore(storeFor(store, s), s === serviceaccounts && sat?.canIssue ? { ...s, actions: { token: tokenRequest(sat, lookup) } } : s, undefined, listen.watchCacheSize),
  );
  const ns = stores.find((s) => s.strategy === namespaces)!;
  const pcs = stores.find((s) => s.strategy === priorityclasses)!;
  const sas = stores.find((s) => s.strategy.info.resource === 'serviceaccounts')!; // its strategy may be a copy with the token action
  const lifecycle = new NamespaceLifecycle(ns);
  const off = new Set(listen.disabledAdmissionPlugins ?? []);
  // in kube-apiserver's order: NamespaceLifecycle, ServiceAccount, Priority, DefaultTolerationSeconds
  const plugins: [AdmissionPlugin, (obj: KubeObject, store: GenericStore) => Promise<void>][] = [
    ['NamespaceLifecycle', lifecycle.create],
    ['ServiceAccount', podServiceAccount(sas)],
    ['Priority', podPriority(pcs)],
    ['DefaultTolerationSeconds', podDefaultTolerations(listen.defaultNotReadyTolerationSeconds, listen.defaultUnreachableTolerationSeconds)],
  ];
  const admit = plugins.filter(([name]) => !off.has(name)).map(([, f]) => f);
  for (const s of stores) {
    s.admission.push(...admit);
    if (!off.has('NamespaceLifecycle')) s.deleteAdmission.push(lifecycle.delete);
  }
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
  const host = listen.host ?? '127.0.0.1';
  const servers: Server[] = [];
  // WebSockets (watches, the dashboard's) leave the HTTP server's reach once upgraded: close() ends them itself
  const upgraded = new Set<Duplex>();
  const serve = async (server: Server, port: number, auth: AuthOptions): Promise<{ server: Server; port: number }> => {
    server.keepAliveTimeout = IDLE_TIMEOUT_MS;
    server.on('request', createApp(stores, auth, listen.ui));
    server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
    });
    server.on('upgrade', createUpgrade(stores, auth, listen.ui));
    servers.push(server);
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, host, () => res());
    });
    return { server, port: (server.address() as AddressInfo).port };
  };
  const close = async (): Promise<void> => {
    for (const s of stores) s.stop();
    for (const socket of upgraded) socket.destroy();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((res) => {
            server.closeAllConnections();
            server.close(() => res());
          }),
      ),
    );
  };
  try {
    const { tls } = listen;
    const main = tls
      ? await serve(
          // a client certificate is asked for, not required: a caller may bring a token instead
          createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.clientCA ? { ca: tls.clientCA, requestCert: true } : {}), rejectUnauthorized: false }) as unknown as Server,
          listen.port ?? 0,
          { authenticate: authenticator(listen, lookup) },
        )
      : await serve(createServer(), listen.port ?? 0, {});
    const insecure = listen.insecurePort !== undefined && tls ? await serve(createServer(), listen.insecurePort, {}) : undefined;
    return { ...main, ...(insecure ? { insecure } : {}), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The authenticators ServeOptions asks for: client certificates when there is a client CA, then static tokens, then service account tokens. */
function authenticator(o: ServeOptions, lookup: ObjectLookup): Authenticator {
  return union(...(o.tls?.clientCA ? [x509] : []), ...(o.tokens ? [tokens(o.tokens)] : []), ...(o.serviceAccounts ? [o.serviceAccounts.authenticator(lookup)] : []));
}
