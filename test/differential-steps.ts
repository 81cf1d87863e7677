/**
 * The step builders of test/differential.test.ts: each makes a named Step
 * that does one thing to a Side (one RPC through the etcd3 client's raw
 * clients, one etcdctl run, one watch-stream action) and answers what a
 * client would see, trimmed only where the comment says why.
 */
import { createHash } from 'node:crypto';
import {
  CompareResult,
  CompareTarget,
  type ICompare,
  type IDeleteRangeRequest,
  type IPutRequest,
  type IRangeRequest,
  type IRequestOp,
  type ITxnRequest,
  type IWatchCreateRequest,
  type Etcd3,
} from 'etcd3';
import type { Obj, Side, Step } from './differential-harness.js';

/** UTF-8 bytes of a string. */
export const b = (s: string): Buffer => Buffer.from(s);
/** A named step. */
export const step = (name: string, run: (s: Side) => Promise<unknown>): Step => ({ name, run });
/** Waits `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- KV ----
/** A RangeRequest's options, with `end` (a string) for range_end. */
export type RangeOpts = Omit<IRangeRequest, 'key' | 'range_end'> & { end?: string };
/** KV.Range of `key` (to `o.end`). */
export const range = (key: string, o: RangeOpts = {}, label = ''): Step =>
  step(`range ${key}${o.end !== undefined ? `..${JSON.stringify(o.end)}` : ''} ${label || JSON.stringify({ ...o, end: undefined })}`, (s) => {
    const { end, ...rest } = o;
    return s.client.kv.range({ key: b(key), ...(end !== undefined ? { range_end: b(end) } : {}), ...rest });
  });
/** KV.Put. */
export const put = (key: string, value: string, o: Omit<IPutRequest, 'key' | 'value'> = {}): Step =>
  step(`put ${key}=${value.length > 40 ? `<${value.length} bytes>` : value} ${JSON.stringify(o)}`, (s) => s.client.kv.put({ key: b(key), value: b(value), ...o }));
/** KV.DeleteRange of `key` (to `o.end`). */
export const del = (key: string, o: Omit<IDeleteRangeRequest, 'key' | 'range_end'> & { end?: string } = {}): Step =>
  step(`delete ${key}${o.end !== undefined ? `..${JSON.stringify(o.end)}` : ''} ${JSON.stringify({ ...o, end: undefined })}`, (s) => {
    const { end, ...rest } = o;
    return s.client.kv.deleteRange({ key: b(key), ...(end !== undefined ? { range_end: b(end) } : {}), ...rest });
  });
/** KV.Txn. */
export const txn = (name: string, t: ITxnRequest): Step => step(`txn ${name}`, (s) => s.client.kv.txn(t));
/** KV.Compact. */
export const compact = (revision: number, physical = true): Step => step(`compact ${revision}${physical ? ' physical' : ''}`, (s) => s.client.kv.compact({ revision, physical }));
/** Maintenance.HashKV at `revision` (0: the current one). */
export const hashKV = (revision: number): Step =>
  step(`hashKV ${revision}`, (s) => {
    const pool = (s.client as unknown as { pool: { exec(svc: string, m: string, req: object): Promise<unknown> } }).pool;
    // the etcd3 client's hashKV() misnames the method; call it by its proto name
    return pool.exec('Maintenance', 'HashKV', { revision });
  });

// ops and compares for txns
/** A txn op: put. */
export const opPut = (key: string, value: string, o: Omit<IPutRequest, 'key' | 'value'> = {}): IRequestOp => ({ request_put: { key: b(key), value: b(value), ...o } });
/** A txn op: range. */
export const opGet = (key: string, o: RangeOpts = {}): IRequestOp => {
  const { end, ...rest } = o;
  return { request_range: { key: b(key), ...(end !== undefined ? { range_end: b(end) } : {}), ...rest } };
};
/** A txn op: delete range. */
export const opDel = (key: string, end?: string, prevKv = false): IRequestOp => ({
  request_delete_range: { key: b(key), ...(end !== undefined ? { range_end: b(end) } : {}), prev_kv: prevKv },
});
/** A txn op: a nested txn. */
export const opTxn = (t: ITxnRequest): IRequestOp => ({ request_txn: t });
/** A txn compare of `target` against `v`, over [key, end) when `end` is given. */
export const cmp = (key: string, target: CompareTarget, result: CompareResult, v: number | string, end?: string): ICompare => ({
  key: b(key),
  target,
  result,
  ...(end !== undefined ? { range_end: b(end) } : {}),
  ...(target === CompareTarget.Value
    ? { value: b(String(v)) }
    : target === CompareTarget.Version
      ? { version: v }
      : target === CompareTarget.Create
        ? { create_revision: v }
        : target === CompareTarget.Mod
          ? { mod_revision: v }
          : { lease: v }),
});
/** Compare results. */
export const { Equal: EQ, Greater: GT, Less: LT, NotEqual: NE } = CompareResult;
/** Compare targets. */
export const { Version: VER, Create: CREATE, Mod: MOD, Value: VAL, Lease: LEASE } = CompareTarget;

// ---- Lease ----
/** Lease.LeaseGrant with an explicit id. */
export const grant = (ttl: number, id: number | string): Step => step(`lease grant TTL ${ttl} ID ${id}`, (s) => s.client.leaseClient.leaseGrant({ TTL: ttl, ID: id }));
/** A grant with ID 0: the server picks the id, remembered (and printed) as `name`. */
export const grantNamed = (ttl: number, name: string): Step =>
  step(`lease grant TTL ${ttl} (server-picked id as ${name})`, async (s) => {
    const r = await s.client.leaseClient.leaseGrant({ TTL: ttl, ID: 0 });
    s.vars.set(name, r.ID);
    s.alias(r.ID, `<${name}>`);
    return r;
  });
/** A lease id: a literal, or one a grantNamed step remembered. */
export const lid = (s: Side, id: number | string): string => (typeof id === 'string' && !/^\d+$/.test(id) ? (s.vars.get(id) ?? '0') : String(id));
/** Lease.LeaseRevoke. */
export const revoke = (id: number | string): Step => step(`lease revoke ${id}`, (s) => s.client.leaseClient.leaseRevoke({ ID: lid(s, id) }));
/** How many seconds a remaining TTL may trail the granted one `g` and still compare alike (see ttl): 2, up to 10 for long leases. */
const ttlSlack = (g: number): number => Math.max(2, Math.min(10, Math.floor(g / 4)));

/**
 * Lease.LeaseTimeToLive, on the first member or on the leader or a follower.
 * The remaining TTL is trunc(seconds left) and may differ by a second (etcd
 * starts a lease's clock when it applies the grant, kubeling's lessor at its
 * next tick, up to 500 ms later), and the steps between the grant and the
 * read take seconds on a loaded machine, so a TTL within [granted -
 * ttlSlack(granted), granted] prints as "≈granted"; the granted TTL and -1 (no such
 * lease) compare exactly. The keys are sorted: etcd lists them in Go map order.
 */
export const ttl = (id: number | string, keys = false, on?: 'leader' | 'follower'): Step =>
  step(`lease timetolive ${id}${keys ? ' --keys' : ''}${on ? ` on the ${on}` : ''}`, async (s) => {
    const c = on === 'leader' ? await s.leader() : on === 'follower' ? await s.follower() : s.client;
    const r = await c.leaseClient.leaseTimeToLive({ ID: lid(s, id), keys });
    const t = Number(r.TTL);
    const g = Number(r.grantedTTL);
    return { ...r, TTL: t >= 0 && t <= g && t >= g - ttlSlack(g) ? `≈${g}` : r.TTL, keys: [...r.keys].sort(Buffer.compare) };
  });
/** Lease.LeaseLeases, sorted by id. */
export const leases = (): Step =>
  step('lease leases', async (s) => {
    const r = await s.client.leaseClient.leaseLeases();
    return { ...r, leases: [...r.leases].sort((x, y) => (BigInt(x.ID) < BigInt(y.ID) ? -1 : 1)) };
  });
/** Lease.LeaseKeepAlive: `times` requests on one stream, then a half-close; the responses and how the call ended. */
export const keepAlive = (id: number | string, times = 1): Step =>
  step(`lease keepalive ${id} x${times}`, async (s) => {
    const stream = await s.client.leaseClient.leaseKeepAlive();
    const got: unknown[] = [];
    // the call ends when the client half-closes: its status is part of the answer
    const status = new Promise<unknown>((res) => {
      stream.on('data', (r) => got.push(r));
      stream.on('status', (st) => res({ code: st.code, details: st.details }));
      stream.on('error', () => {});
    });
    for (let i = 0; i < times; i++) stream.write({ ID: lid(s, id) });
    const deadline = Date.now() + 5000;
    while (got.length < times && Date.now() < deadline) await sleep(10);
    stream.end();
    const end = await Promise.race([status, sleep(5000).then(() => '<no status>')]);
    return { responses: got, end };
  });

// ---- Watch ----
/** Sends a create request on the named watch stream and takes `responses` responses. */
export const wcreate = (w: string, req: IWatchCreateRequest, responses = 1): Step =>
  step(`watch ${w}: create ${JSON.stringify({ ...req, key: req.key?.toString(), range_end: req.range_end?.toString() })} (${responses} responses)`, async (s) => {
    const ws = await s.watch(w);
    ws.send({ create_request: req });
    return ws.take(responses);
  });
/** The next `responses` responses of the named watch stream. */
export const wtake = (w: string, responses: number): Step => step(`watch ${w}: next ${responses} responses`, async (s) => (await s.watch(w)).take(responses));
/** Sends a cancel request; takes the answer (none within a second for an unknown id). */
export const wcancel = (w: string, id: number): Step =>
  step(`watch ${w}: cancel ${id}`, async (s) => {
    const ws = await s.watch(w);
    ws.send({ cancel_request: { watch_id: id } });
    return ws.take(1, 1000);
  });
/** Sends a progress request and takes the answer. */
export const wprogress = (w: string): Step =>
  step(`watch ${w}: progress request`, async (s) => {
    const ws = await s.watch(w);
    ws.send({ progress_request: {} });
    return ws.take(1);
  });
/** Whatever else the named watch stream got (normally nothing). */
export const wquiet = (w: string, ms = 300): Step => step(`watch ${w}: nothing more`, async (s) => (await s.watch(w)).rest(ms));
/** Every response until the stream is quiet (for batches whose count is not the point). */
export const wdrain = (w: string): Step => step(`watch ${w}: every response until it is quiet`, async (s) => (await s.watch(w)).drain());

// ---- Maintenance and Cluster ----
/** Maintenance.Status: its deterministic fields, and checks on the others. */
export const status = (): Step =>
  step('maintenance status (deterministic fields)', async (s) => {
    const r = await s.client.maintenance.status();
    const members = (await s.client.cluster.memberList({})).members.map((m) => m.ID);
    // leader, raft indexes and db sizes depend on each server's history and storage
    return {
      header: r.header,
      version: r.version,
      errors: r.errors,
      isLearner: r.isLearner,
      leaderIsAMember: members.includes(r.leader),
      raftTermIsHeaders: r.raftTerm === r.header.raft_term,
      appliedAtMostCommitted: BigInt(r.raftAppliedIndex) <= BigInt(r.raftIndex),
    };
  });
/** Member list sorted by name (ids differ per cluster), after checking each side sorts by id as etcd does. */
export const memberList = (c?: (s: Side) => Promise<Etcd3>): Step =>
  step('member list', async (s) => {
    const r = await (c ? await c(s) : s.client).cluster.memberList({});
    const ids = r.members.map((m) => BigInt(m.ID));
    const sortedById = ids.every((id, i) => i === 0 || (ids[i - 1] as bigint) < id);
    return { ...r, sortedById, members: [...r.members].sort((x, y) => x.name.localeCompare(y.name) || x.peerURLs.join().localeCompare(y.peerURLs.join())) };
  });
/** Maintenance.Snapshot: the shape of the stream (headers, chunk sizes, remaining bytes, the closing sha256). */
export const snapshotShape = (): Step =>
  step('maintenance snapshot (stream shape; the database bytes differ by design)', async (s) => {
    const stream = await s.client.maintenance.snapshot();
    const msgs: Obj[] = [];
    await new Promise<void>((res, rej) => {
      stream.on('data', (m) => msgs.push(m as unknown as Obj));
      stream.on('end', () => res());
      stream.on('error', rej);
    });
    const blobs = msgs.map((m) => m.blob as Buffer);
    const db = Buffer.concat(blobs.slice(0, -1));
    const sha = blobs[blobs.length - 1];
    let left = db.length;
    const remainingOk = msgs.slice(0, -1).every((m, i) => {
      left -= (blobs[i] as Buffer).length;
      return Number(m.remaining_bytes) === left;
    });
    return {
      headers: [...new Set(msgs.map((m) => JSON.stringify(s.normalise(m.header))))],
      lastIsSha256OfTheRest: sha?.equals(createHash('sha256').update(db).digest()) ?? false,
      lastRemaining: msgs[msgs.length - 1]?.remaining_bytes,
      remainingBytesCountTheDatabaseOnly: remainingOk,
      chunksAtMost32KiB: blobs.every((x) => x.length <= 32 * 1024),
    };
  });

// ---- etcdctl ----
/**
 * etcdctl with `args` (split at spaces if a string); "{name}" is a lease id
 * (hex) a grant step remembered. TimeToLive's remaining "ttl" and its keys
 * are normalised as in ttl() above.
 */
export const ctl = (args: string | string[], input?: string): Step => {
  const list = typeof args === 'string' ? args.split(' ').filter(Boolean) : args;
  return step(`etcdctl ${list.map((a) => (a === '' ? "''" : a)).join(' ')}`, async (s) => {
    const r = await s.ctl(
      list.map((a) => a.replace(/\{(\w+)\}/g, (_, v: string) => BigInt(s.vars.get(v) ?? '0').toString(16))),
      input,
    );
    const out = r.stdout as { ttl?: number; 'granted-ttl'?: number; keys?: string[] } | string;
    if (typeof out === 'object' && out !== null && typeof out.ttl === 'number' && typeof out['granted-ttl'] === 'number') {
      const g = out['granted-ttl'];
      const t = out.ttl >= 0 && out.ttl >= g - ttlSlack(g) && out.ttl <= g ? `≈${g}` : out.ttl;
      return { ...r, stdout: { ...out, ttl: t, ...(out.keys ? { keys: [...out.keys].sort() } : {}) } };
    }
    return r;
  });
};
/** `etcdctl lease grant` whose id (the server picks it) is remembered as `name`. */
export const ctlGrant = (ttl: number, name: string): Step =>
  step(`etcdctl lease grant ${ttl} -w json (id as ${name})`, async (s) => {
    const r = await s.ctl(['lease', 'grant', String(ttl), '-w', 'json']);
    const id = String((r.stdout as { ID?: unknown }).ID ?? '0');
    s.vars.set(name, id);
    s.alias(id, `<${name}>`);
    return r;
  });

/** A value of `n` bytes. */
export const big = (n: number): string => 'x'.repeat(n);
/** A mebibyte. */
export const MiB = 1024 * 1024;
