/**
 * etcd's Lease service. Grants and revokes go through Raft; the expiry clock
 * lives on the leader only (store/mvcc/lessor.ts), so keep-alives and
 * time-to-live questions are answered by the leader, forwarded there by a
 * follower over the peer transport, as etcd does.
 */
import { InvalidRequestError, LeaseNotFoundError } from '../mvcc/errors.js';
import type { Lessor } from '../mvcc/lessor.js';
import { wire } from './errors.js';
import type { Handlers } from './grpc/handlers.js';
import type { ServiceContext } from './kv-service.js';
import { NoLeaderError } from './member.js';
import type { PeerTransport } from './transport.js';

const MAX_LEASE_TTL = 9_000_000_000;

/** A request a follower forwards to the leader. */
export type LeaseForward = { leaseRenew: number } | { leaseTimeToLive: { id: number; keys: boolean } };

/** The leader-side answers, also used for forwarded requests. */
export class LeaseLeader {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly lessor: Lessor,
  ) {}

  /** Renews a lease; its TTL in seconds, or 0 if it does not exist (etcd's keep-alive answer). */
  renew(id: number): number {
    try {
      return this.lessor.renew(id, Date.now());
    } catch (e) {
      if (e instanceof LeaseNotFoundError) return 0;
      throw e;
    }
  }

  /** TTL left (s, -1 if the lease does not exist), granted TTL, and attached keys. */
  timeToLive(id: number, keys: boolean): { TTL: number; grantedTTL: number; keys: Uint8Array[] } {
    const lease = this.ctx.store.leases.get(id);
    if (!lease) return { TTL: -1, grantedTTL: 0, keys: [] };
    const ttl = this.ctx.store.leases.timeToLive(id, keys);
    let remaining: number;
    try {
      remaining = Math.trunc(this.lessor.remaining(id, Date.now()) / 1000);
    } catch {
      remaining = ttl.grantedTtl;
    }
    return { TTL: Math.max(0, remaining), grantedTTL: ttl.grantedTtl, keys: keys ? ttl.keys : [] };
  }

  /** Answers a request forwarded by a follower. */
  handle(req: LeaseForward): unknown {
    if ('leaseRenew' in req) return this.renew(req.leaseRenew);
    return this.timeToLive(req.leaseTimeToLive.id, req.leaseTimeToLive.keys);
  }
}

/** Registers Lease: Grant, Revoke, KeepAlive, TimeToLive, Leases. */
export function registerLease(h: Handlers, ctx: ServiceContext, leader: LeaseLeader, transport: PeerTransport): void {
  const atLeader = async <T>(local: () => T, fwd: LeaseForward): Promise<T> => {
    if (ctx.driver.isLeader) return local();
    const lead = ctx.driver.leader;
    if (lead === 0) throw new NoLeaderError();
    return (await transport.request(lead, fwd)) as T;
  };

  h.unary<{ TTL: number; ID: number }, object>(
    '/etcdserverpb.Lease/LeaseGrant',
    wire(async (req: { TTL: number; ID: number }) => {
      if (req.TTL > MAX_LEASE_TTL) throw new InvalidRequestError('LeaseTTLTooLarge');
      const r = await ctx.propose<{ header: { revision: number }; id: number; ttl: number }>({ leaseGrant: { id: req.ID, ttl: req.TTL } });
      return { header: ctx.header(r.header.revision), ID: r.id, TTL: r.ttl, error: '' };
    }),
  );
  h.unary<{ ID: number }, object>(
    '/etcdserverpb.Lease/LeaseRevoke',
    wire(async (req: { ID: number }) => {
      const r = await ctx.propose<{ header: { revision: number } }>({ leaseRevoke: { id: req.ID } });
      return { header: ctx.header(r.header.revision) };
    }),
  );
  h.bidi<{ ID: number }, object>('/etcdserverpb.Lease/LeaseKeepAlive', async (requests, call) => {
    for await (const req of requests) {
      const ttl = await wire(() => atLeader(() => leader.renew(req.ID), { leaseRenew: req.ID }))();
      await call.send({ header: ctx.header(), ID: req.ID, TTL: ttl });
    }
  });
  h.unary<{ ID: number; keys: boolean }, object>(
    '/etcdserverpb.Lease/LeaseTimeToLive',
    wire(async (req: { ID: number; keys: boolean }) => {
      const r = await atLeader(() => leader.timeToLive(req.ID, req.keys), { leaseTimeToLive: { id: req.ID, keys: req.keys } });
      return { header: ctx.header(), ID: req.ID, ...r };
    }),
  );
  h.unary<object, object>(
    '/etcdserverpb.Lease/LeaseLeases',
    wire(async () => ({ header: ctx.header(), leases: ctx.store.leases.list().map((l) => ({ ID: l.id })) })),
  );
}
