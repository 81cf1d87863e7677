/**
 * etcd's Cluster and Maintenance services: membership through Raft conf
 * changes, and the member's status, hashes, snapshot and leadership moves.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { StateType, type NodeId } from '../raft/index.js';
import { ServerError, wire } from './errors.js';
import type { Handlers } from './grpc/handlers.js';
import { memberIdFor, type MemberInfo } from './identity.js';
import type { ServiceContext } from './kv-service.js';
import { RequestTimeoutError, type MemberDriver } from './member.js';

/** The version this member reports: the etcd release whose API it implements. */
export const ETCD_VERSION = '3.4.23';

function memberOut(m: MemberInfo): object {
  return { ID: m.id, name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs], isLearner: m.isLearner };
}

/** Everything Cluster and Maintenance need beyond the services' context. */
export interface ClusterContext extends ServiceContext {
  readonly token: string;
  /** The MVCC database file, for its size. */
  readonly dbFile: string;
  /** Since when (epoch ms) this member's connection to a peer has been up; 0 while down. */
  peerActiveSince(id: NodeId): number;
  /** Asks the leader (this member or, over the peer transport, another) a {@link LeaderQuestion}. */
  askLeader(q: LeaderQuestion): Promise<unknown>;
}

/** What a member asks the leader about membership: whether a learner is in sync enough to promote. */
export type LeaderQuestion = { readonly learnerReady: NodeId };

/** Whether `body` (a peer request) is a {@link LeaderQuestion}. */
export function isLeaderQuestion(body: unknown): body is LeaderQuestion {
  return typeof body === 'object' && body !== null && 'learnerReady' in body;
}

/** The leader's answer to a {@link LeaderQuestion}: as etcd, a learner is ready with at least 90% of the leader's log. */
export function answerLeaderQuestion(d: MemberDriver, q: LeaderQuestion): boolean {
  const pr = d.node.raft.trk.progress.get(q.learnerReady);
  return pr !== undefined && pr.match >= d.node.raft.raftLog.lastIndex() * 0.9;
}

/** etcd's HealthInterval: how long a member must have been connected to its peers before it changes the membership. */
const HEALTH_INTERVAL_MS = 5000;

/** Registers Cluster: MemberAdd, MemberRemove, MemberUpdate, MemberList, MemberPromote. */
export function registerCluster(h: Handlers, ctx: ClusterContext): void {
  const d = ctx.driver;
  const members = (): object[] => [...d.members.values()].sort((a, b) => a.id - b.id).map(memberOut);
  // as etcd's ClusterServer.header(): cluster, member and term, but no revision
  const header = (): object => ctx.header(0);

  // etcd's --strict-reconfig-check (on by default): refuse a membership change
  // that could leave fewer started (published) or connected voters than a quorum
  const voters = (): MemberInfo[] => [...d.members.values()].filter((m) => !m.isLearner);
  const quorum = (n: number): number => Math.floor(n / 2) + 1;
  const started = (ms: MemberInfo[]): number => ms.filter((m) => m.name !== '').length;
  const connectedFor5s = (): number => {
    const since = Date.now() - HEALTH_INTERVAL_MS;
    return voters().filter((m) => {
      const t = m.id === d.node.raft.id ? 1 : ctx.peerActiveSince(m.id);
      return t !== 0 && t < since;
    }).length;
  };
  const mayAddMember = (isLearner: boolean): void => {
    const n = voters().length + 1;
    const ready = started(voters());
    if (!isLearner && !(ready === 1 && n === 2) && ready < quorum(n)) {
      throw new ServerError('NotEnoughStartedMembers', 're-configuration failed due to not enough started members');
    }
    if (connectedFor5s() !== voters().length) throw new ServerError('Unhealthy', 'unhealthy cluster');
  };
  const mayRemoveMember = (id: NodeId): void => {
    if (d.members.get(id)?.isLearner) return;
    const others = voters().filter((m) => m.id !== id);
    if (started(others) < quorum(others.length)) {
      throw new ServerError('NotEnoughStartedMembers', 're-configuration failed due to not enough started members');
    }
    // removing a member we are not connected to cannot lower the active count
    if (id !== d.node.raft.id && ctx.peerActiveSince(id) === 0) return;
    if (connectedFor5s() - 1 < quorum(voters().length - 1)) throw new ServerError('Unhealthy', 'unhealthy cluster');
  };

  h.unary<object, object>('/etcdserverpb.Cluster/MemberList', wire(async () => ({ header: header(), members: members() })));

  h.unary<{ peerURLs: string[]; isLearner: boolean }, object>(
    '/etcdserverpb.Cluster/MemberAdd',
    wire(async (req: { peerURLs: string[]; isLearner: boolean }) => {
      for (const u of req.peerURLs) {
        try {
          new URL(u);
        } catch {
          throw new ServerError('BadURLs', 'given member URLs are invalid');
        }
      }
      mayAddMember(req.isLearner);
      const taken = new Set([...d.members.values()].flatMap((m) => m.peerURLs));
      if (req.peerURLs.some((u) => taken.has(u))) throw new ServerError('PeerURLExists', 'Peer URLs already exists');
      // as etcd, the time goes into the id so that a re-added member gets a new one (in ms: etcd's
      // seconds make a second add of the same URLs within a second fail with "member ID already exist")
      const id = memberIdFor(req.peerURLs, `${ctx.token}/${Date.now()}`);
      await d.proposeConfChange({
        type: req.isLearner ? 'addLearner' : 'addNode',
        nodeId: id,
        context: JSON.stringify({ peerURLs: req.peerURLs }),
      });
      const m = d.members.get(id);
      return { header: header(), member: m ? memberOut(m) : { ID: id, peerURLs: req.peerURLs, isLearner: req.isLearner }, members: members() };
    }),
  );

  h.unary<{ ID: number }, object>(
    '/etcdserverpb.Cluster/MemberRemove',
    wire(async (req: { ID: number }) => {
      mayRemoveMember(req.ID);
      if (!d.members.has(req.ID)) throw new ServerError('MemberNotFound', 'member not found');
      await d.proposeConfChange({ type: 'removeNode', nodeId: req.ID });
      return { header: header(), members: members() };
    }),
  );

  h.unary<{ ID: number }, object>(
    '/etcdserverpb.Cluster/MemberPromote',
    wire(async (req: { ID: number }) => {
      const m = d.members.get(req.ID);
      if (!m) throw new ServerError('MemberNotFound', 'member not found');
      if (!m.isLearner) throw new ServerError('MemberNotLearner', 'can only promote a learner member');
      // only the leader knows how far the learner is: a follower asks it, as etcd forwards the promotion
      const q: LeaderQuestion = { learnerReady: req.ID };
      if (!(d.isLeader ? answerLeaderQuestion(d, q) : await ctx.askLeader(q))) {
        throw new ServerError('LearnerNotReady', 'can only promote a learner member which is in sync with leader');
      }
      await d.proposeConfChange({ type: 'addNode', nodeId: req.ID, context: JSON.stringify({ peerURLs: m.peerURLs }) });
      return { header: header(), members: members() };
    }),
  );

  h.unary<{ ID: number; peerURLs: string[] }, object>(
    '/etcdserverpb.Cluster/MemberUpdate',
    wire(async (req: { ID: number; peerURLs: string[] }) => {
      const m = d.members.get(req.ID);
      if (!m) throw new ServerError('MemberNotFound', 'member not found');
      await d.proposeConfChange({
        type: m.isLearner ? 'addLearner' : 'addNode',
        nodeId: req.ID,
        context: JSON.stringify({ peerURLs: req.peerURLs }),
      });
      return { header: header(), members: members() };
    }),
  );
}

/** Registers Maintenance: Status, Alarm, Defragment, Hash, HashKV, Snapshot, MoveLeader. */
export function registerMaintenance(h: Handlers, ctx: ClusterContext): void {
  const d = ctx.driver;
  const dbSize = (): number => {
    try {
      return statSync(ctx.dbFile).size;
    } catch {
      return 0;
    }
  };

  h.unary<object, object>(
    '/etcdserverpb.Maintenance/Status',
    wire(async () => {
      const st = d.node.status();
      const size = dbSize();
      return {
        header: ctx.header(),
        version: ETCD_VERSION,
        dbSize: size,
        leader: st.lead,
        raftIndex: st.commit,
        raftTerm: st.term,
        raftAppliedIndex: st.applied,
        errors: st.lead === 0 ? ['etcdserver: no leader'] : [],
        dbSizeInUse: size,
        isLearner: ctx.isLearner(),
      };
    }),
  );
  // as etcd 3.4: Alarm, Defragment, Snapshot and MoveLeader answer without a header
  h.unary<object, object>('/etcdserverpb.Maintenance/Alarm', wire(async () => ({ alarms: [] })));
  h.unary<object, object>('/etcdserverpb.Maintenance/Defragment', wire(async () => ({})));
  h.unary<object, object>(
    '/etcdserverpb.Maintenance/Hash',
    wire(async () => ({ header: ctx.header(), hash: crc32(ctx.store.snapshot()) >>> 0 })),
  );
  h.unary<{ revision: number }, object>(
    '/etcdserverpb.Maintenance/HashKV',
    wire(async (req: { revision: number }) => {
      const r = ctx.store.hashKV(req.revision);
      return { header: ctx.header(r.revision), hash: r.hash, compactRevision: r.compactRevision };
    }),
  );
  h.serverStream<object, object>('/etcdserverpb.Maintenance/Snapshot', async (_req, call) => {
    // as etcd: the database in 32 KiB chunks, each with the database bytes
    // still to come, then its sha256 (remainingBytes 0), which etcdctl checks
    const db = Buffer.from(ctx.store.snapshot());
    const chunk = 32 * 1024;
    for (let off = 0; off < db.length; off += chunk) {
      const blob = db.subarray(off, off + chunk);
      await call.send({ remainingBytes: db.length - off - blob.length, blob });
    }
    await call.send({ remainingBytes: 0, blob: createHash('sha256').update(db).digest() });
  });
  h.unary<{ targetID: number }, object>(
    '/etcdserverpb.Maintenance/MoveLeader',
    wire(async (req: { targetID: number }) => {
      if (!d.isLeader) throw new ServerError('NotLeader', 'not leader');
      const target: NodeId = req.targetID;
      if (!d.node.raft.trk.isVoter(target) || target === d.node.raft.id) {
        throw new ServerError('BadLeaderTransferee', 'bad leader transferee');
      }
      d.transferLeader(target);
      const deadline = Date.now() + 7000;
      while (d.node.raft.lead !== target || d.node.raft.state === StateType.Leader) {
        if (Date.now() > deadline) throw new RequestTimeoutError();
        await new Promise((r) => setTimeout(r, 20));
      }
      return {};
    }),
  );
}
