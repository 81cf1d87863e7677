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
import { RequestTimeoutError } from './member.js';

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
}

/** Registers Cluster: MemberAdd, MemberRemove, MemberUpdate, MemberList, MemberPromote. */
export function registerCluster(h: Handlers, ctx: ClusterContext): void {
  const d = ctx.driver;
  const members = (): object[] => [...d.members.values()].sort((a, b) => a.id - b.id).map(memberOut);

  h.unary<object, object>('/etcdserverpb.Cluster/MemberList', wire(async () => ({ header: ctx.header(), members: members() })));

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
      const taken = new Set([...d.members.values()].flatMap((m) => m.peerURLs));
      if (req.peerURLs.some((u) => taken.has(u))) throw new ServerError('PeerURLExists', 'Peer URLs already exists');
      // as etcd, the time goes into the id so that a re-added member gets a new one
      const id = memberIdFor(req.peerURLs, `${ctx.token}/${Date.now()}`);
      await d.proposeConfChange({
        type: req.isLearner ? 'addLearner' : 'addNode',
        nodeId: id,
        context: JSON.stringify({ peerURLs: req.peerURLs }),
      });
      const m = d.members.get(id);
      return { header: ctx.header(), member: m ? memberOut(m) : { ID: id, peerURLs: req.peerURLs, isLearner: req.isLearner }, members: members() };
    }),
  );

  h.unary<{ ID: number }, object>(
    '/etcdserverpb.Cluster/MemberRemove',
    wire(async (req: { ID: number }) => {
      if (!d.members.has(req.ID)) throw new ServerError('MemberNotFound', 'member not found');
      await d.proposeConfChange({ type: 'removeNode', nodeId: req.ID });
      return { header: ctx.header(), members: members() };
    }),
  );

  h.unary<{ ID: number }, object>(
    '/etcdserverpb.Cluster/MemberPromote',
    wire(async (req: { ID: number }) => {
      const m = d.members.get(req.ID);
      if (!m) throw new ServerError('MemberNotFound', 'member not found');
      if (!m.isLearner) throw new ServerError('MemberNotLearner', 'can only promote a learner member');
      if (d.isLeader) {
        // as etcd: the learner must have at least 90% of the leader's log
        const pr = d.node.raft.trk.progress.get(req.ID);
        const leaderMatch = d.node.raft.raftLog.lastIndex();
        if (!pr || pr.match < leaderMatch * 0.9) {
          throw new ServerError('LearnerNotReady', 'can only promote a learner member which is in sync with leader');
        }
      }
      await d.proposeConfChange({ type: 'addNode', nodeId: req.ID, context: JSON.stringify({ peerURLs: m.peerURLs }) });
      return { header: ctx.header(), members: members() };
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
      return { header: ctx.header(), members: members() };
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
        errors: [],
        dbSizeInUse: size,
        isLearner: ctx.isLearner(),
      };
    }),
  );
  h.unary<object, object>('/etcdserverpb.Maintenance/Alarm', wire(async () => ({ header: ctx.header(), alarms: [] })));
  h.unary<object, object>('/etcdserverpb.Maintenance/Defragment', wire(async () => ({ header: ctx.header() })));
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
    // as etcd: the database, then its sha256, which etcdctl checks
    const db = Buffer.from(ctx.store.snapshot());
    const sum = createHash('sha256').update(db).digest();
    const all = Buffer.concat([db, sum]);
    const chunk = 32 * 1024;
    for (let off = 0; off < all.length; off += chunk) {
      const blob = all.subarray(off, off + chunk);
      await call.send({ header: ctx.header(), remainingBytes: all.length - off - blob.length, blob });
    }
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
      return { header: ctx.header() };
    }),
  );
}
