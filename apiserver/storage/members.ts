/**
 * The store members' own state, over the etcd v3 API's Cluster and
 * Maintenance services (what `etcdctl member list`, `endpoint status` and
 * `move-leader` ask): for the dashboard's Raft view, beside the StoreClient
 * (which hides the members behind one store).
 *
 * A member is reached at a client URL, over a GrpcChannel with the same TLS
 * as EtcdStore's (or, in the all-in-one mode, through a ready channel). Ids
 * are decimal strings: etcd's member ids are 64-bit.
 */
import { Code, isChannelError, type EtcdChannel } from './channel.js';
import { unaryCodec } from './etcd.js';
import { GrpcChannel, type ChannelTls } from './grpc-channel.js';

/** One member as the cluster's membership lists it (etcdserverpb.Member). */
export interface MemberInfo {
  readonly id: string;
  /** Empty until the member has started. */
  readonly name: string;
  readonly peerURLs: readonly string[];
  /** Empty until the member has started. */
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** What one member says of itself (etcdserverpb.StatusResponse). */
export interface MemberStatus {
  /** The member's own id. */
  readonly id: string;
  /** The leader it knows, '0' for none. */
  readonly leader: string;
  readonly term: number;
  /** Its Raft commit index (etcd's raftIndex). */
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly dbSize: number;
  readonly isLearner: boolean;
  /** The store revision it has applied. */
  readonly revision: number;
  /** Its errors (etcd's: "etcdserver: no leader" ...). */
  readonly errors: readonly string[];
}

/** A failed call to a member: the gRPC status message it answered with, or why nothing answered. */
export class MemberCallError extends Error {
  override name = 'MemberCallError';
  constructor(
    message: string,
    /** The gRPC status code (14 UNAVAILABLE when nothing answered, 4 DEADLINE_EXCEEDED). */
    readonly code: number,
  ) {
    super(message);
  }

  /** Whether the member could not be reached (as opposed to refusing the call). */
  get unreachable(): boolean {
    return this.code === Code.UNAVAILABLE || this.code === Code.DEADLINE_EXCEEDED || this.code === Code.CANCELLED;
  }
}

/** How to reach the members: `endpoints` (client URLs) or `channels` (ready ones), one of the two. */
export interface MembersOptions {
  readonly endpoints?: readonly string[];
  /** PEM: the members' CA, and this client's certificate and key (EtcdStore's). */
  readonly tls?: ChannelTls;
  /** Ready channels (the in-process member's); owned and closed by the client. */
  readonly channels?: readonly EtcdChannel[];
  /** Deadline of each call (default 2 s: a member that does not answer in that time is shown as unreachable). */
  readonly timeoutMs?: number;
}

type Msg = Record<string, unknown>;

/** The members' admin client; see the file comment. */
export class EtcdMembers {
  readonly #tls: ChannelTls | undefined;
  readonly #timeoutMs: number;
  /** The configured endpoints (a URL, or '' for a ready channel), in order. */
  readonly #configured: string[];
  /** invariant: a channel for every configured URL, and for every member URL asked since */
  readonly #channels = new Map<string, EtcdChannel>();
  #closed = false;

  constructor(opts: MembersOptions) {
    if (opts.endpoints && opts.channels) throw new Error('EtcdMembers: endpoints or channels, not both');
    this.#tls = opts.tls;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
    if (opts.channels) {
      this.#configured = opts.channels.map((_, i) => `channel:${i}`);
      opts.channels.forEach((c, i) => this.#channels.set(`channel:${i}`, c));
    } else {
      this.#configured = [...(opts.endpoints ?? [])];
    }
    if (this.#configured.length === 0) throw new Error('no etcd endpoints');
  }

  /** The configured endpoints: client URLs (or `channel:N` for ready channels). */
  get endpoints(): readonly string[] {
    return this.#configured;
  }

  /** The cluster's members, from the first configured endpoint that answers; rejects with the last MemberCallError. */
  async memberList(): Promise<MemberInfo[]> {
    let last: unknown;
    for (const e of this.#configured) {
      try {
        const r = await this.#call(e, '/etcdserverpb.Cluster/MemberList', {});
        return (r.members as Msg[]).map((m) => ({
          id: String(m.ID),
          name: String(m.name),
          peerURLs: m.peerURLs as string[],
          clientURLs: m.clientURLs as string[],
          isLearner: Boolean(m.isLearner),
        }));
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  /** The status of the member at `endpoint` (a client URL, or a configured `channel:N`); rejects with MemberCallError. */
  async status(endpoint: string): Promise<MemberStatus> {
    const r = await this.#call(endpoint, '/etcdserverpb.Maintenance/Status', {});
    const header = r.header as Msg;
    return {
      id: String(header.member_id),
      leader: String(r.leader),
      term: Number(r.raftTerm),
      commitIndex: Number(r.raftIndex),
      appliedIndex: Number(r.raftAppliedIndex),
      dbSize: Number(r.dbSize),
      isLearner: Boolean(r.isLearner),
      revision: Number(header.revision),
      errors: r.errors as string[],
    };
  }

  /**
   * Asks the leader at `leaderEndpoint` to hand leadership to member `to`
   * (etcd's MoveLeader); resolves once `to` leads. Rejects with
   * MemberCallError: "etcdserver: not leader", "etcdserver: bad leader
   * transferee" (not a voter, or the leader itself) ...
   */
  async moveLeader(leaderEndpoint: string, to: string): Promise<void> {
    // a transfer waits for the target's election: more than a status call
    await this.#call(leaderEndpoint, '/etcdserverpb.Maintenance/MoveLeader', { targetID: to }, Math.max(this.#timeoutMs, 10_000));
  }

  /** Closes every channel; later calls reject. */
  close(): void {
    this.#closed = true;
    for (const c of this.#channels.values()) c.close();
    this.#channels.clear();
  }

  #channel(endpoint: string): EtcdChannel {
    let c = this.#channels.get(endpoint);
    if (!c) {
      if (endpoint.startsWith('channel:')) throw new MemberCallError(`no channel ${endpoint}`, Code.UNAVAILABLE);
      c = new GrpcChannel(endpoint, this.#tls);
      this.#channels.set(endpoint, c);
    }
    return c;
  }

  async #call(endpoint: string, path: string, req: Msg, timeoutMs = this.#timeoutMs): Promise<Msg> {
    if (this.#closed) throw new MemberCallError('the members client is closed', Code.UNAVAILABLE);
    const { encode, decode } = unaryCodec(path);
    try {
      return decode(await this.#channel(endpoint).unary(path, encode(req), Date.now() + timeoutMs));
    } catch (e) {
      if (e instanceof MemberCallError) throw e;
      if (isChannelError(e)) throw new MemberCallError(e.details || e.message, e.code);
      throw new MemberCallError(e instanceof Error ? e.message : String(e), Code.UNKNOWN);
    }
  }
}
