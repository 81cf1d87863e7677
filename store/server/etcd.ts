/**
 * A whole store member as a process serves it: the driver (server.ts), the
 * MVCC store with its watch hub and lease clock, and the etcd v3 API (gRPC
 * and the JSON gateway) on every --listen-client-urls address.
 */
import { join } from 'node:path';
import { Lessor, minLeaseTtl } from '../mvcc/lessor.js';
import { MvccStore } from '../mvcc/store.js';
import { WatchHub } from '../mvcc/watch.js';
import { StateType, type NodeId } from '../raft/index.js';
import {
  answerLeaderQuestion,
  isLeaderQuestion,
  registerCluster,
  registerMaintenance,
  ETCD_VERSION,
  type ClusterContext,
} from './cluster-service.js';
import { ServerError } from './errors.js';
import { createGateway, type HttpRequest, type HttpResponse } from './grpc/gateway.js';
import { Handlers } from './grpc/handlers.js';
import { ClientListener } from './grpc/listener.js';
import { GrpcServer } from './grpc/server.js';
import { registerKv, registerWatch } from './kv-service.js';
import { KvStateMachine, type KvProposal } from './kvstate.js';
import { LeaseLeader, registerLease, type LeaseForward } from './lease-service.js';
import { NoLeaderError } from './member.js';
import { startMember, type StoreConfig, type StoreParts } from './server.js';
import { serverTls } from './tls.js';

/** etcd's limit on one request (--max-request-bytes). */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/** etcd's --backend-batch-interval default: the MVCC file commits at most this often (see MvccStoreOptions). */
const BACKEND_BATCH_INTERVAL_MS = 100;

/** About what a request weighs as protobuf: its bytes and strings, and a few bytes per other field. */
function requestBytes(v: unknown): number {
  if (v instanceof Uint8Array) return v.byteLength + 2;
  if (typeof v === 'string') return v.length + 2;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + requestBytes(x), 0);
  if (v !== null && typeof v === 'object') return Object.values(v).reduce((n: number, x) => n + requestBytes(x) + 1, 0);
  return 4;
}

/** A running member. */
export interface Store extends StoreParts {
  readonly store: MvccStore;
  /**
   * The etcd v3 services' handler table, as the client listeners serve it:
   * for in-process callers (grpc/inproc.ts). Calls made through it after
   * stop() fail; the caller ends its streams before stopping the member.
   */
  readonly handlers: Handlers;
  /** The bound client addresses (port 0 in the flags is resolved here). */
  readonly clientAddresses: { host: string; port: number }[];
  /** Stops serving, then closes the files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a member from its flags. */
export async function startStore(cfg: StoreConfig, log: (line: string) => void = () => {}): Promise<Store> {
  const electionTicks = Math.max(2, Math.round(cfg.electionMs / cfg.heartbeatMs));
  // the peer-request handler needs the lease leader, which needs the member
  const ref: { leaseLeader?: LeaseLeader } = {};
  const parts = await startMember(
    cfg,
    (dir) =>
      new KvStateMachine(
        MvccStore.open(join(dir, 'kv.db'), { minLeaseTtl: minLeaseTtl(electionTicks, cfg.heartbeatMs), batchIntervalMs: BACKEND_BATCH_INTERVAL_MS }),
      ),
    log,
    async (_from, body): Promise<unknown> => {
      if (!ref.leaseLeader || !parts.driver.isLeader) throw new Error('not leader');
      if (isLeaderQuestion(body)) return answerLeaderQuestion(parts.driver, body);
      return ref.leaseLeader.handle(body as LeaseForward);
    },
  );
  const { driver, identity, transport } = parts;
  const store = parts.sm.store;
  // responses are fragmented by size at the gRPC edge, as etcd does (kv-service.ts), not by count in the hub
  const hub = new WatchHub(store, { fragmentEvents: Infinity });
  const lessor = new Lessor(store.leases, { minTtl: minLeaseTtl(electionTicks, cfg.heartbeatMs) });
  const clusterId = parseInt(identity.clusterId, 16);

  const ctx: ClusterContext = {
    driver,
    store,
    hub,
    token: cfg.initialClusterToken,
    dbFile: join(parts.memberDir, 'kv.db'),
    progressIntervalMs: 10 * 60 * 1000,
    maxRequestBytes: MAX_REQUEST_BYTES,
    header: (revision = store.currentRevision()) => ({ clusterId, memberId: identity.memberId, revision, raftTerm: driver.term }),
    propose: async <T>(p: KvProposal): Promise<T> => {
      if (requestBytes(p) > MAX_REQUEST_BYTES) throw new ServerError('RequestTooLarge', 'request is too large');
      return (await driver.propose(p)) as T;
    },
    isLearner: () => driver.node.raft.isLearner,
    peerActiveSince: (id) => transport.activeSince(id),
    askLeader: async (q) => {
      if (driver.isLeader) return answerLeaderQuestion(driver, q);
      if (driver.leader === 0) throw new NoLeaderError();
      return transport.request(driver.leader, q);
    },
  };
  const leaseLeader = new LeaseLeader(ctx, lessor);
  ref.leaseLeader = leaseLeader;

  // the lease clock runs on the leader only
  driver.on('leader', (_lead: NodeId, _term: number, state: StateType) => {
    if (state === StateType.Leader) lessor.promote(Date.now(), cfg.electionMs);
    else lessor.demote();
  });
  const revoking = new Set<number>();
  const revoker = setInterval(() => {
    if (!lessor.primary) return;
    for (const id of lessor.expired(Date.now(), 500)) {
      if (revoking.has(id)) continue;
      revoking.add(id);
      ctx.propose({ leaseRevoke: { id } }).then(
        () => revoking.delete(id),
        () => revoking.delete(id),
      );
    }
  }, 500);
  const syncer = setInterval(() => {
    if (hub.behind > 0) hub.syncUnsynced(1000);
  }, 100);

  const h = new Handlers();
  registerKv(h, ctx);
  registerWatch(h, ctx);
  registerLease(h, ctx, leaseLeader, transport);
  registerCluster(h, ctx);
  registerMaintenance(h, ctx);

  const misc = (req: HttpRequest, res: HttpResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/version') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ etcdserver: ETCD_VERSION, etcdcluster: '3.4.0' }));
    } else if (path === '/health') {
      const ok = driver.leader !== 0;
      res.statusCode = ok ? 200 : 503;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ health: ok ? 'true' : 'false', ...(ok ? {} : { reason: 'RAFT NO LEADER' }) }));
    } else {
      res.statusCode = 404;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('404 page not found\n');
    }
  };
  const gateway = createGateway(h, { fallback: misc });
  const grpc = new GrpcServer(h, { fallback: gateway });
  const tls = serverTls(cfg.tls, 'client');
  const listeners: ClientListener[] = [];
  const clientAddresses: { host: string; port: number }[] = [];

  // announce our name and client URLs once there is a leader (etcd's publish)
  let published = false;
  const publish = (): void => {
    if (published || driver.leader === 0) return;
    const me = driver.members.get(identity.memberId);
    if (me && me.name === cfg.name && me.clientURLs.join(',') === cfg.advertiseClientUrls.join(',')) {
      published = true;
      return;
    }
    driver.propose({ publish: { id: identity.memberId, name: cfg.name, clientURLs: [...cfg.advertiseClientUrls] } }).then(
      () => {
        published = true;
      },
      () => {},
    );
  };
  const publisher = setInterval(publish, 500);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      clearInterval(revoker);
      clearInterval(syncer);
      clearInterval(publisher);
      await Promise.all(listeners.map((l) => l.close(1000)));
      driver.stop();
      await transport.stop();
      hub.close();
      lessor.close();
      parts.storage.close();
      store.close();
    })();
    return stopped;
  };
  try {
    for (const u of cfg.listenClientUrls) {
      const url = new URL(u);
      if (url.protocol === 'https:' && !tls) throw new Error(`--listen-client-urls ${u} is https but no --cert-file/--key-file was given`);
      const l = new ClientListener({ grpc, http: gateway, ...(url.protocol === 'https:' && tls ? { tls } : {}) });
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const a = await l.listen(Number(url.port || 2379), host === 'localhost' ? '127.0.0.1' : host);
      listeners.push(l);
      clientAddresses.push({ host: a.address, port: a.port });
    }
  } catch (e) {
    // a port in use: nothing of the member may keep running (its Raft node, peers, timers)
    await stop();
    throw e;
  }
  driver.on('leader', publish);

  driver.on('removed', () => void stop());
  log(`member ${identity.memberId.toString(16)} of cluster ${identity.clusterId} serving clients on ${clientAddresses.map((a) => `${a.host}:${a.port}`).join(', ')}`);
  return { ...parts, store, handlers: h, clientAddresses, stop };
}
