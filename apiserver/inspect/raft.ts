/**
 * The Raft part of the inspection API (web/README.md, "Raft"): the store's
 * members as each sees itself (etcd's MemberList and each member's Status,
 * through storage/members.ts), leadership transfer (MoveLeader), and
 * stopping and starting a member through the supervisor of `kubeling up`
 * (cli/supervisor.ts: an HTTP server on loopback that holds the member
 * processes). A WebSocket sends the whole state again whenever it changes,
 * polled every 500 ms while anyone watches.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Request, type Response } from 'express';
import type { WebSocket } from 'ws';
import type { UserInfo } from '../auth/user.js';
import { StatusError, failure } from '../http/status.js';
import { userOf } from '../http/server.js';
import type { EtcdChannel } from '../storage/channel.js';
import type { ChannelTls } from '../storage/grpc-channel.js';
import { EtcdMembers, MemberCallError, type MemberInfo, type MemberStatus } from '../storage/members.js';
import type { UiPart } from './index.js';
import { MAX_SOCKET_BACKLOG, badRequest, handler, notFoundStatus, refuseUpgrade, requireAdmin, uiWebSockets } from './respond.js';

/** How the API server reaches `kubeling up`'s supervisor: its URL and the token it checks (Authorization: Bearer). */
export interface SupervisorAddress {
  readonly url: string;
  readonly token: string;
}

/** raftPart's options: the members as EtcdStore reaches them (endpoints with tls, or ready channels), and the supervisor if any. */
export interface RaftPartOptions {
  readonly endpoints?: readonly string[];
  readonly tls?: ChannelTls;
  readonly channels?: readonly EtcdChannel[];
  readonly supervisor?: SupervisorAddress;
  /** How often the watch polls (default 500 ms). */
  readonly pollMs?: number;
}

/** A member's role as the API server sees it. */
export type RaftRole = 'leader' | 'follower' | 'learner' | 'unreachable';

/** One member in GET /ui/api/raft. */
export interface RaftMember {
  id: string;
  name: string;
  clientURLs: readonly string[];
  peerURLs: readonly string[];
  isLearner: boolean;
  reachable: boolean;
  role: RaftRole;
  term?: number;
  /** The leader this member knows ('0': none). */
  leader?: string;
  commitIndex?: number;
  appliedIndex?: number;
  dbSize?: number;
  error?: string;
  /** With a supervisor: whether it holds the member stopped. */
  stopped?: boolean;
}

/** GET /ui/api/raft's body. */
export interface RaftState {
  /** In name order. */
  members: RaftMember[];
  /** The leader's id, when a member leads. */
  leader?: string;
  canStopMembers: boolean;
}

/** The supervisor's view of a member (cli/supervisor.ts). */
interface Supervised {
  readonly name: string;
  readonly running: boolean;
}

/** Calls the supervisor: GET /members, POST /members/<name>/stop|start. */
async function callSupervisor(s: SupervisorAddress, method: 'GET' | 'POST', path: string): Promise<unknown> {
  let r: globalThis.Response;
  try {
    r = await fetch(s.url.replace(/\/$/, '') + path, { method, headers: { authorization: `Bearer ${s.token}` }, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new StatusError(failure(503, 'ServiceUnavailable', `the supervisor of kubeling up does not answer: ${e instanceof Error ? e.message : String(e)}`));
  }
  const body = (await r.json().catch(() => ({}))) as { error?: string };
  if (r.status === 404) throw notFoundStatus(body.error ?? `not found: ${path}`);
  if (!r.ok) throw new StatusError(failure(502, 'InternalError', `the supervisor of kubeling up answered ${r.status}: ${body.error ?? ''}`));
  return body;
}

/** The Raft state: every member with its own Status; see RaftState. */
export async function raftState(members: EtcdMembers, supervisor: SupervisorAddress | undefined): Promise<RaftState> {
  const supervised = supervisor ? callSupervisor(supervisor, 'GET', '/members').then((b) => (b as { members: Supervised[] }).members, () => undefined) : Promise.resolve(undefined);
  let list: MemberInfo[] | undefined;
  let listError = '';
  try {
    list = await members.memberList();
  } catch (e) {
    listError = e instanceof Error ? e.message : String(e);
  }
  // each member is asked at the first of its client URLs the API server was given, else its first
  const configured = new Set(members.endpoints);
  const endpointOf = (m: MemberInfo): string | undefined => m.clientURLs.find((u) => configured.has(u)) ?? m.clientURLs[0];
  const asked = new Set([...(list ?? []).map(endpointOf).filter((u): u is string => u !== undefined), ...members.endpoints]);
  const answers = new Map<string, MemberStatus | Error>();
  await Promise.all(
    [...asked].map(async (e) => {
      answers.set(e, await members.status(e).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    }),
  );
  const byId = new Map<string, MemberStatus>();
  for (const a of answers.values()) if (!(a instanceof Error)) byId.set(a.id, a);
  const stopped = new Map((await supervised)?.map((s) => [s.name, !s.running]));

  const out: RaftMember[] = list
    ? list.map((m) => {
        const st = byId.get(m.id);
        const e = endpointOf(m);
        const answer = e === undefined ? undefined : answers.get(e);
        const base = { id: m.id, name: m.name, clientURLs: m.clientURLs, peerURLs: m.peerURLs, isLearner: m.isLearner, ...(stopped.has(m.name) ? { stopped: stopped.get(m.name)! } : {}) };
        if (!st) {
          const error = answer instanceof Error ? answer.message : e === undefined ? 'the member has not started (no client URL)' : 'no answer';
          return { ...base, reachable: false, role: 'unreachable' as const, error };
        }
        const role: RaftRole = st.isLearner ? 'learner' : st.leader === st.id ? 'leader' : 'follower';
        return {
          ...base,
          reachable: true,
          role,
          term: st.term,
          leader: st.leader,
          commitIndex: st.commitIndex,
          appliedIndex: st.appliedIndex,
          dbSize: st.dbSize,
          ...(st.errors.length ? { error: st.errors.join('; ') } : {}),
        };
      })
    : members.endpoints.map((e) => {
        const a = answers.get(e);
        return { id: a instanceof Error || !a ? '' : a.id, name: e, clientURLs: [e], peerURLs: [], isLearner: false, reachable: false, role: 'unreachable' as const, error: a instanceof Error ? a.message : listError };
      });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
  // a deposed leader cut off from the others may still think it leads: the one of the highest term does
  const leaders = out.filter((m) => m.role === 'leader').sort((a, b) => (b.term ?? 0) - (a.term ?? 0));
  for (const stale of leaders.slice(1)) stale.role = 'follower';
  return { members: out, ...(leaders[0] ? { leader: leaders[0].id } : {}), canStopMembers: supervisor !== undefined };
}

/** A MemberCallError as a Status. */
function callStatus(e: unknown): unknown {
  if (!(e instanceof MemberCallError)) return e;
  if (e.unreachable) return new StatusError(failure(503, 'ServiceUnavailable', e.message));
  if (/bad leader transferee/.test(e.message)) return badRequest(e.message);
  if (/not leader|leader changed/.test(e.message)) return new StatusError(failure(409, 'Conflict', `${e.message}: try again`));
  return new StatusError(failure(500, 'InternalError', e.message));
}

/** The Raft part; see the file comment. close() ends its polling and closes its channels. */
export function raftPart(opts: RaftPartOptions): UiPart & { close(): void } {
  const members = new EtcdMembers({ ...(opts.channels ? { channels: opts.channels } : { endpoints: opts.endpoints ?? [] }), ...(opts.tls ? { tls: opts.tls } : {}) });
  const supervisor = opts.supervisor;
  const state = (): Promise<RaftState> => raftState(members, supervisor);
  const watchers = new RaftWatchers(state, opts.pollMs ?? 500);
  const wss = uiWebSockets();

  const moveLeader = async (req: Request, res: Response): Promise<void> => {
    requireAdmin(userOf(res), 'move the store\'s leadership');
    const body = jsonObject(req.body);
    const to = typeof body.to === 'number' && Number.isSafeInteger(body.to) ? String(body.to) : body.to;
    if (typeof to !== 'string' || !/^\d+$/.test(to)) throw badRequest('the body must be { to: <member id> }');
    const now = await state();
    if (!now.members.some((m) => m.id === to)) throw badRequest(`no member has the id ${to}`);
    const leader = now.members.find((m) => m.id === now.leader);
    if (!leader) throw new StatusError(failure(503, 'ServiceUnavailable', 'the store has no leader'));
    const at = leader.clientURLs.find((u) => members.endpoints.includes(u)) ?? leader.clientURLs[0] ?? members.endpoints[0]!;
    await members.moveLeader(at, to).catch((e: unknown) => {
      throw callStatus(e);
    });
    res.json(await state());
  };

  const stopStart = async (req: Request, res: Response): Promise<void> => {
    const { name, action } = req.params as { name: string; action: string };
    if (action !== 'stop' && action !== 'start') throw notFoundStatus('the server could not find the requested resource');
    requireAdmin(userOf(res), `${action} a store member`);
    if (!supervisor) throw new StatusError(failure(503, 'ServiceUnavailable', 'no supervisor: members can be stopped and started only under kubeling up'));
    await callSupervisor(supervisor, 'POST', `/members/${encodeURIComponent(name)}/${action}`);
    res.json(await state());
  };

  const watch = (req: IncomingMessage, socket: Duplex, head: Buffer, _user: UserInfo): void => {
    try {
      wss.handleUpgrade(req, socket, head, (ws) => watchers.add(ws));
    } catch (e) {
      refuseUpgrade(socket, e);
    }
  };

  return {
    routes(app) {
      const body = express.raw({ type: () => true, limit: 64 * 1024 });
      app.get('/ui/api/raft', handler(async (_req, res) => void res.json(await state())));
      app.post('/ui/api/raft/move-leader', body, handler(moveLeader));
      app.post('/ui/api/raft/members/:name/:action', handler(stopStart));
    },
    sockets: [{ path: '/ui/api/raft/watch', upgrade: watch }],
    close() {
      watchers.close();
      members.close();
    },
  };
}

/** A request body as a JSON object; 400 otherwise. */
function jsonObject(b: unknown): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.isBuffer(b) ? b.toString('utf8') : '');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // below
  }
  throw badRequest('the body must be a JSON object');
}

/**
 * The watchers of /ui/api/raft/watch: one poll loop while any is connected,
 * each state sent to all when it differs from the last sent; a new watcher
 * gets the last state at once (or the first poll's).
 */
class RaftWatchers {
  readonly #clients = new Set<WebSocket>();
  #last: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Ends the poll loop's wait early (close()). */
  #wake: (() => void) | undefined;
  #polling = false;
  #closed = false;

  constructor(
    private readonly state: () => Promise<RaftState>,
    private readonly pollMs: number,
  ) {}

  add(ws: WebSocket): void {
    if (this.#closed) return void ws.close(1001);
    this.#clients.add(ws);
    ws.on('close', () => this.#clients.delete(ws));
    ws.on('error', () => ws.terminate());
    if (this.#last !== undefined) ws.send(this.#last);
    if (!this.#polling) void this.#poll();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    for (const ws of this.#clients) ws.close(1001);
    this.#clients.clear();
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    while (this.#clients.size > 0 && !this.#closed) {
      const body = await this.state().then(
        (s) => JSON.stringify(s),
        () => undefined, // a failure is a member's error inside the state; anything else: try again next time
      );
      if (body !== undefined && body !== this.#last) {
        this.#last = body;
        for (const ws of this.#clients) {
          if (ws.bufferedAmount > MAX_SOCKET_BACKLOG) ws.close(1011, 'the client is too far behind');
          else ws.send(body);
        }
      }
      await new Promise<void>((r) => {
        this.#wake = r;
        this.#timer = setTimeout(r, this.pollMs);
      });
    }
    this.#polling = false;
    // with no watcher the state goes stale: the next one must not get it
    this.#last = undefined;
  }
}
