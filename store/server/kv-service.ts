/**
 * etcd's KV and Watch services over a member: writes go through Raft,
 * linearizable reads wait for a ReadIndex round, serializable reads are
 * local, and watches stream from the member's watch hub.
 */
import { MvccError } from '../mvcc/errors.js';
import { WatchFilter, type WatchHub, type WatchResponse } from '../mvcc/watch.js';
import type { MvccStore } from '../mvcc/store.js';
import { checkDelete, checkPut, checkRange, checkTxn, isTxnReadOnly } from '../mvcc/validate.js';
import type {
  CompactionRequest,
  DeleteRangeRequest,
  Event,
  KeyValue,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../mvcc/types.js';
import { ServerError, toWire, wire } from './errors.js';
import type { ProtoCodec } from './grpc/codec.js';
import type { Handlers } from './grpc/handlers.js';
import type { KvProposal } from './kvstate.js';
import type { MemberDriver } from './member.js';

/** The response header etcd puts on every answer. */
export interface ResponseHeader {
  clusterId: number;
  memberId: number;
  revision: number;
  raftTerm: number;
}

/** What the services need of the member. */
export interface ServiceContext {
  readonly driver: MemberDriver;
  readonly store: MvccStore;
  readonly hub: WatchHub;
  /** A header at `revision` (the store's current one by default). */
  header(revision?: number): ResponseHeader;
  /** Proposes a write through Raft. */
  propose<T>(p: KvProposal): Promise<T>;
  /** True if this member is a learner (learners serve serializable reads only). */
  isLearner(): boolean;
  /** How often watchers that asked for it get a progress notification (etcd: 10 minutes). */
  readonly progressIntervalMs: number;
  /** etcd's --max-request-bytes, which is also the size watch responses are fragmented at. */
  readonly maxRequestBytes: number;
}

/** Waits until a linearizable read may be served here. */
async function linearizable(ctx: ServiceContext): Promise<void> {
  if (ctx.isLearner()) throw new ServerError('NotSupportedForLearner', 'rpc not supported for learner');
  await ctx.driver.linearizableBarrier();
}

function withHeader<T extends { header: { revision: number } }>(ctx: ServiceContext, r: T): T & { header: ResponseHeader } {
  return { ...r, header: ctx.header(r.header.revision) };
}

/** Registers KV: Range, Put, DeleteRange, Txn, Compact. */
export function registerKv(h: Handlers, ctx: ServiceContext): void {
  h.unary<RangeRequest, object>(
    '/etcdserverpb.KV/Range',
    wire(async (req: RangeRequest) => {
      checkRange(req);
      if (!req.serializable) await linearizable(ctx);
      return withHeader(ctx, ctx.store.range(req));
    }),
  );
  h.unary<PutRequest, object>(
    '/etcdserverpb.KV/Put',
    wire(async (req: PutRequest) => {
      checkPut(req);
      return withHeader(ctx, await ctx.propose<{ header: { revision: number } }>({ put: req }));
    }),
  );
  h.unary<DeleteRangeRequest, object>(
    '/etcdserverpb.KV/DeleteRange',
    wire(async (req: DeleteRangeRequest) => {
      checkDelete(req);
      return withHeader(ctx, await ctx.propose<{ header: { revision: number } }>({ deleteRange: req }));
    }),
  );
  h.unary<TxnRequest, object>(
    '/etcdserverpb.KV/Txn',
    wire(async (req: TxnRequest) => {
      checkTxn(req);
      if (isTxnReadOnly(req)) {
        // as etcd: a txn that only reads is served like a read, not logged
        const serializable = [...(req.success ?? []), ...(req.failure ?? [])].every((op) => op.requestRange?.serializable);
        if (!serializable) await linearizable(ctx);
        return withHeader(ctx, ctx.store.readTxn(req));
      }
      return withHeader(ctx, await ctx.propose<{ header: { revision: number } }>({ txn: req }));
    }),
  );
  h.unary<CompactionRequest, object>(
    '/etcdserverpb.KV/Compact',
    wire(async (req: CompactionRequest) => withHeader(ctx, await ctx.propose<{ header: { revision: number } }>({ compaction: req }))),
  );
}

interface WatchCreate {
  key: Uint8Array;
  rangeEnd: Uint8Array;
  startRevision: number;
  progressNotify: boolean;
  filters: number[];
  prevKv: boolean;
  watchId: number;
  fragment: boolean;
}

interface WatchRequestMsg {
  createRequest?: WatchCreate;
  cancelRequest?: { watchId: number };
  progressRequest?: object;
}

function eventOut(e: Event): object {
  const kv = (k: KeyValue): object => ({ ...k });
  return { type: e.type, kv: kv(e.kv), ...(e.prevKv ? { prevKv: kv(e.prevKv) } : {}) };
}

/** A watch response as it goes to the codec. */
interface WatchOut {
  readonly events: object[];
  readonly fragment?: boolean;
}

const varintLength = (n: number): number => (n < 128 ? 1 : 1 + varintLength(Math.floor(n / 128)));

/**
 * etcd's sendFragments: a response to a watch that asked for fragments, of at
 * least `max` bytes and two or more events, goes out in pieces of less than
 * `max` bytes (but at least one event each), all but the last marked fragment.
 */
function fragments<T extends WatchOut>(msg: T, codec: ProtoCodec, max: number): T[] {
  if (msg.events.length < 2) return [msg];
  // sizes as protobuf encodes them: each event is a length-delimited field with a one-byte tag
  const sizes = msg.events.map((e) => {
    const n = codec.encode('mvccpb.Event', e).byteLength;
    return 1 + varintLength(n) + n;
  });
  const whole = codec.encode('etcdserverpb.WatchResponse', { ...msg, events: [] }).byteLength + sizes.reduce((a, b) => a + b, 0);
  if (whole < max) return [msg];
  const base = codec.encode('etcdserverpb.WatchResponse', { ...msg, events: [], fragment: true }).byteLength;
  const out: T[] = [];
  for (let i = 0; ; ) {
    const events: object[] = [];
    let size = base;
    for (; i < msg.events.length; i++) {
      events.push(msg.events[i] as object);
      size += sizes[i] ?? 0;
      if (events.length > 1 && size >= max) {
        events.pop();
        break;
      }
    }
    const last = i === msg.events.length;
    out.push({ ...msg, events, fragment: !last });
    if (last) return out;
  }
}

/** Registers Watch: one hub stream per RPC, responses sent in order with back-pressure. */
export function registerWatch(h: Handlers, ctx: ServiceContext): void {
  h.bidi<WatchRequestMsg, object>('/etcdserverpb.Watch/Watch', async (requests, call) => {
    // responses leave in order through one chain; too deep a chain makes the
    // hub hold a watcher's responses back (a "victim") until the client reads
    let chain: Promise<void> = Promise.resolve();
    let depth = 0;
    const out = (msg: object): void => {
      depth++;
      chain = chain
        .then(() => call.send(msg))
        .catch(() => {})
        .finally(() => {
          depth--;
        });
    };
    // the watches that asked for fragments (etcd splits by size here, at the gRPC edge)
    const fragmented = new Set<number>();
    const stream = ctx.hub.newStream({
      send: (r: WatchResponse) => {
        if (depth > 1024) return false;
        const msg = {
          header: ctx.header(r.revision),
          watchId: r.watchId,
          events: r.events.map(eventOut),
          ...(r.canceled ? { canceled: true } : {}),
          ...(r.compactRevision !== undefined ? { compactRevision: r.compactRevision } : {}),
          ...(r.fragment ? { fragment: true } : {}),
        };
        if (fragmented.has(r.watchId)) for (const m of fragments(msg, h.codec, ctx.maxRequestBytes)) out(m);
        else out(msg);
        return true;
      },
    });
    const progress = new Set<number>();
    const ticker = setInterval(() => {
      for (const id of progress) stream.progress(id);
    }, ctx.progressIntervalMs);
    try {
      for await (const req of requests) {
        if (req.createRequest) {
          const c = req.createRequest;
          let id: number;
          try {
            id = stream.watch({
              key: c.key,
              rangeEnd: c.rangeEnd,
              startRevision: c.startRevision,
              prevKv: c.prevKv,
              filters: c.filters.map((f) => (f === 1 ? WatchFilter.NoDelete : WatchFilter.NoPut)),
              fragment: c.fragment,
              watchId: c.watchId,
            });
          } catch (e) {
            // as etcd: the mvcc error's own text ("mvcc: ..."), without the "etcdserver: " of a status
            const reason = e instanceof MvccError ? e.message : toWire(e).message;
            out({ header: ctx.header(), watchId: -1, created: true, canceled: true, cancelReason: reason });
            continue;
          }
          out({ header: ctx.header(), watchId: id, created: true });
          if (c.progressNotify) progress.add(id);
          if (c.fragment) fragmented.add(id);
          setImmediate(() => ctx.hub.syncUnsynced(1000));
        } else if (req.cancelRequest) {
          const id = req.cancelRequest.watchId;
          progress.delete(id);
          fragmented.delete(id);
          if (stream.cancel(id)) out({ header: ctx.header(), watchId: id, canceled: true });
        } else if (req.progressRequest) {
          out({ header: ctx.header(), watchId: -1 });
        }
      }
      await chain;
    } finally {
      clearInterval(ticker);
      stream.close();
    }
  });
}
