/**
 * The all-in-one mode's store: a single-member kubeling store started inside
 * the API server's process, reached through the in-process channel
 * (store/server/grpc/inproc.ts) instead of gRPC over a socket. Its data is a
 * member's data directory like any other (a later start on the same
 * directory resumes it); a client URL, if asked for, lets etcdctl look in.
 */
import { EtcdStore } from '../apiserver/storage/etcd.js';
import type { Store } from '../store/server/etcd.js';
import { inProcessChannel } from '../store/server/grpc/inproc.js';

/** How startInProcessStore runs the member. */
export interface InProcessStoreOptions {
  /** Also serve the etcd v3 API (gRPC and the JSON gateway) here, e.g. http://127.0.0.1:2379; default nowhere. */
  readonly clientUrl?: string;
  /** The member's log lines; default none. */
  readonly log?: (line: string) => void;
  /** The deadline of each store call (EtcdStore's timeoutMs). */
  readonly timeoutMs?: number;
}

/** A running in-process store. */
export interface InProcessStore {
  /** The API server's StoreClient over the member. */
  readonly client: EtcdStore;
  /** The member itself (its handlers, driver, client addresses). */
  readonly member: Store;
  /** Closes the client, then stops the member. Safe to call twice. */
  stop(): Promise<void>;
}

/** etcd's default member name (a data directory records it; it must not change between starts). */
const NAME = 'default';
/** The member's peer URL: it has no peers, but the member id derives from it, so it stays the same on every start. */
const PEER_URL = 'http://127.0.0.1:0';

/** Starts (or resumes) the member whose data is in `dir` and waits until it leads; see the module comment. */
export async function startInProcessStore(dir: string, opts: InProcessStoreOptions = {}): Promise<InProcessStore> {
  const { startStore } = await import('../store/server/etcd.js');
  const clientUrls = opts.clientUrl ? [opts.clientUrl] : [];
  const member = await startStore(
    {
      name: NAME,
      dataDir: dir,
      listenClientUrls: clientUrls,
      advertiseClientUrls: clientUrls,
      listenPeerUrls: [PEER_URL],
      initialAdvertisePeerUrls: [PEER_URL],
      initialCluster: `${NAME}=${PEER_URL}`,
      initialClusterState: 'new',
      initialClusterToken: 'etcd-cluster',
      heartbeatMs: 100,
      electionMs: 1000,
      snapshotCount: 10_000,
      tls: {},
      quiet: opts.log === undefined,
    },
    opts.log,
  );
  try {
    await leading(member);
  } catch (e) {
    await member.stop();
    throw e;
  }
  const client = new EtcdStore({ channels: [inProcessChannel(member.handlers)], ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  let stopped: Promise<void> | undefined;
  return {
    client,
    member,
    stop: () => {
      stopped ??= (async () => {
        client.close();
        await member.stop();
      })();
      return stopped;
    },
  };
}

/** Resolves once the member has a leader (itself: it is alone); a single member elects itself within two election timeouts. */
function leading(member: Store, timeoutMs = 10_000): Promise<void> {
  if (member.driver.leader !== 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onLeader = (): void => {
      if (member.driver.leader === 0) return;
      clearTimeout(timer);
      member.driver.off('leader', onLeader);
      resolve();
    };
    const timer = setTimeout(() => {
      member.driver.off('leader', onLeader);
      reject(new Error(`the in-process store elected no leader within ${timeoutMs} ms`));
    }, timeoutMs);
    member.driver.on('leader', onLeader);
  });
}
