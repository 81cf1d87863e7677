/**
 * Starting and stopping a store member process: resolve who it is (from its
 * data directory, or from --initial-cluster for a new member), open its Raft
 * log and its MVCC store, connect to its peers, start the driver loop, serve
 * the etcd v3 API on its client URLs, and announce itself to the cluster.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapState, type NodeId } from '../raft/index.js';
import { SqliteStorage } from '../storage/sqlite.js';
import { StorageCorruptError } from '../storage/storage.js';
import {
  clusterIdFor,
  memberIdFor,
  parseInitialCluster,
  readIdentity,
  writeIdentity,
  type Identity,
  type MemberInfo,
} from './identity.js';
import { MemberDriver, type StateMachine } from './member.js';
import { peerClientTls, serverTls, type EtcdTlsFlags } from './tls.js';
import { PeerTransport, discover } from './transport.js';

/** A member's configuration: etcd's flags (see cli/store.ts). */
export interface StoreConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly initialCluster: string;
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotCount: number;
  /** etcd's TLS flags, client and peer side. */
  readonly tls: EtcdTlsFlags;
  readonly quiet: boolean;
}

/** Resolves the member's identity: recorded in its data dir, or derived from the flags (and, to join, from a peer). */
export async function resolveIdentity(cfg: StoreConfig, memberDir: string): Promise<{ identity: Identity; founders: MemberInfo[]; fresh: boolean }> {
  const known = readIdentity(memberDir);
  const cluster = parseInitialCluster(cfg.initialCluster);
  const founders: MemberInfo[] = [...cluster].map(([name, peerURLs]) => ({
    id: memberIdFor(peerURLs, cfg.initialClusterToken),
    name,
    peerURLs,
    clientURLs: [],
    isLearner: false,
  }));
  if (known) return { identity: known, founders, fresh: false };

  const mine = cluster.get(cfg.name);
  if (!mine) throw new Error(`couldn't find local name "${cfg.name}" in the initial cluster configuration`);
  const advertised = [...cfg.initialAdvertisePeerUrls].sort().join(',');
  if ([...mine].sort().join(',') !== advertised) {
    throw new Error(
      `--initial-cluster has ${cfg.name}=${mine.join(',')} but missing from --initial-advertise-peer-urls=${cfg.initialAdvertisePeerUrls.join(',')}`,
    );
  }
  if (cfg.initialClusterState === 'new') {
    const identity: Identity = {
      name: cfg.name,
      memberId: memberIdFor(mine, cfg.initialClusterToken),
      clusterId: clusterIdFor(
        founders.map((f) => f.id),
        cfg.initialClusterToken,
      ),
    };
    return { identity, founders, fresh: true };
  }
  // joining: ask a running member who the cluster is and which id we were added under
  const errors: string[] = [];
  for (const [name, urls] of cluster) {
    if (name === cfg.name) continue;
    for (const url of urls) {
      try {
        const d = (await discover(url, peerClientTls(cfg.tls))) as { clusterId: string; members: MemberInfo[] };
        const me = d.members.find((m) => [...m.peerURLs].sort().join(',') === advertised);
        if (!me) {
          throw new Error(
            `member with peer URLs ${advertised} has not been added to the cluster ${d.clusterId}; run "etcdctl member add" first`,
          );
        }
        return { identity: { name: cfg.name, memberId: me.id, clusterId: d.clusterId }, founders: d.members, fresh: true };
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  }
  throw new Error(`cannot join the existing cluster: ${errors.join('; ') || 'no other member in --initial-cluster'}`);
}

/** A running member's parts. */
export interface StoreParts {
  readonly identity: Identity;
  readonly storage: SqliteStorage;
  readonly transport: PeerTransport;
  readonly driver: MemberDriver;
}

/**
 * Opens the Raft log and transport and starts the driver over `sm`. The
 * caller owns `sm` (opened from the same data dir) and the client API.
 */
export async function startMember<S extends StateMachine>(
  cfg: StoreConfig,
  openStateMachine: (memberDir: string) => S,
  log: (line: string) => void,
  /** Answers requests from peers (a follower forwarding to the leader). */
  onRequest: (from: NodeId, body: unknown) => Promise<unknown>,
): Promise<StoreParts & { sm: S; founders: MemberInfo[]; memberDir: string }> {
  const memberDir = join(cfg.dataDir, 'member');
  mkdirSync(memberDir, { recursive: true });
  const { identity, founders, fresh } = await resolveIdentity(cfg, memberDir);
  const raftFile = join(memberDir, 'raft.db');
  if (!fresh && !(existsSync(raftFile) && statSync(raftFile).size > 0)) {
    // identity.json is written only after raft.db was created and bootstrapped:
    // a member that recorded who it is but has no log lost it, and starting on a
    // new empty one would forget its term and vote (and could vote twice)
    throw new StorageCorruptError(
      raftFile,
      `${existsSync(raftFile) ? 'is empty' : 'is missing'}, but ${join(memberDir, 'identity.json')} records member ${identity.memberId.toString(16)} of cluster ${identity.clusterId}; refusing to start on a new empty Raft log (restore the file, or remove this member and its data directory and add it again)`,
    );
  }
  const storage = SqliteStorage.open(raftFile, { clusterId: identity.clusterId, memberId: identity.memberId });
  if (fresh && cfg.initialClusterState === 'new' && storage.lastIndex() === 0) {
    const contexts = new Map<NodeId, string>(founders.map((f) => [f.id, JSON.stringify({ name: f.name, peerURLs: f.peerURLs })]));
    storage.save(bootstrapState(founders.map((f) => f.id), contexts));
  }
  if (fresh) writeIdentity(memberDir, identity);
  const sm = openStateMachine(memberDir);
  const peerUrl = new URL(cfg.listenPeerUrls[0] ?? 'http://localhost:2380');
  const peerServer = serverTls(cfg.tls, 'peer');
  const peerClient = peerClientTls(cfg.tls);
  // the transport's handler needs the driver, which needs the transport
  const ref: { driver?: MemberDriver } = {};
  const transport = new PeerTransport({
    id: identity.memberId,
    clusterId: identity.clusterId,
    listen: { host: peerUrl.hostname.replace(/^\[|\]$/g, ''), port: Number(peerUrl.port || 2380) },
    ...(peerServer && peerClient ? { tls: { server: peerServer, client: peerClient } } : {}),
    log,
    handler: {
      onMessages: (msgs) => ref.driver?.receive(msgs),
      onSnapshot: (m, db) => ref.driver?.receiveSnapshot(m, db),
      onRequest,
      onUnreachable: (to) => ref.driver?.reportUnreachable(to),
      onSnapshotStatus: (to, ok) => ref.driver?.reportSnapshot(to, ok),
      onDiscover: () => ({ clusterId: identity.clusterId, members: ref.driver ? [...ref.driver.members.values()] : founders }),
    },
  });
  await transport.start();
  const driver = new MemberDriver(
    {
      id: identity.memberId,
      clusterId: identity.clusterId,
      tickMs: cfg.heartbeatMs,
      electionTicks: Math.max(2, Math.round(cfg.electionMs / cfg.heartbeatMs)),
      snapshotCount: cfg.snapshotCount,
      catchUpEntries: Math.min(5000, Math.floor(cfg.snapshotCount / 2)),
      requestTimeoutMs: 7000,
      log,
    },
    storage,
    sm,
    transport,
    founders,
  );
  ref.driver = driver;
  for (const m of driver.members.values()) {
    const url = m.peerURLs[0];
    if (url && m.id !== identity.memberId) transport.addPeer(m.id, url);
  }
  driver.start();
  return { identity, storage, transport, driver, sm, founders, memberDir };
}
