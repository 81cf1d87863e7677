/**
 * StoreClient over the etcd v3 gRPC API: a kubeling store cluster or a real
 * etcd, as kube-apiserver uses it. Writes are transactions guarded by a
 * key's mod_revision (optimistic concurrency); reads are linearizable Ranges;
 * a watch is a Watch stream with prev_kv.
 *
 * Endpoints: one channel per endpoint (channel.ts: gRPC to a member's client
 * URL, or in-process to a member's handler table in the all-in-one mode);
 * calls go to the current one, and a call that finds it unavailable moves on
 * to the next. A read is retried there, once per endpoint. A write is retried
 * only if it never reached the member (no connection: the channel marks it
 * `unsent`), as etcd's client retries a mutation only then; otherwise it may
 * have been applied, so it rejects with StoreUnavailableError and the next
 * call uses the next endpoint.
 *
 * The protos are kubeling's copy of etcd's (store/server/grpc/proto): the
 * wire contract both backends speak, loaded as data.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { Code, isChannelError, type ChannelError, type ChannelStream, type EtcdChannel } from './channel.js';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StoreError, StoreUnavailableError } from './errors.js';
import { GrpcChannel, type ChannelTls } from './grpc-channel.js';
import { prefixEnd, type ListPage, type StoreClient, type StoreEvent, type StoreWatch, type StoredValue, type WatchHandler, type Written } from './interface.js';

const PROTO_DIR = fileURLToPath(new URL('../../store/server/grpc/proto/', import.meta.url));
/** etcd's rpc.proto and the files it imports, loaded once (members.ts uses them too). */
export const root = new protobuf.Root();
root.resolvePath = (_origin, target) => PROTO_DIR + target;
root.loadSync(['rpc.proto'], { keepCase: true });
root.resolveAll();

type Msg = Record<string, unknown>;

/** etcd's Compare enums and WatchResponse event types (rpc.proto, kv.proto). */
const CompareResult = { EQUAL: 0 } as const;
const CompareTarget = { MOD: 2 } as const;
const EventType = { PUT: 0, DELETE: 1 } as const;

/** Where the store is and how to reach it: `endpoints` or `channels`, one of the two. */
export interface EtcdOptions {
  /** Client URLs: http://host:port or https://host:port (a GrpcChannel each). */
  readonly endpoints?: readonly string[];
  /** PEM: the CA that signed the members' certificates, and this client's certificate and key. */
  readonly tls?: ChannelTls;
  /** Ready channels, one per member (e.g. an in-process one); the store owns them and closes them. */
  readonly channels?: readonly EtcdChannel[];
  /** Deadline of each call (default 10 s). */
  readonly timeoutMs?: number;
}

/** Reads the PEM files of the etcd flags (--etcd-cafile ...) into EtcdOptions.tls. */
export function tlsFromFiles(files: { ca?: string; cert?: string; key?: string }): EtcdOptions['tls'] {
  if (!files.ca && !files.cert && !files.key) return undefined;
  const read = (f: string | undefined): Buffer | undefined => (f ? readFileSync(f) : undefined);
  return { ca: read(files.ca), cert: read(files.cert), key: read(files.key) };
}

/** A decoded mvccpb.KeyValue (64-bit fields as decimal strings: see decoder()). */
interface Kv {
  key: Uint8Array;
  value: Uint8Array;
  mod_revision: string;
  create_revision: string;
  version: string;
  lease: string;
}

/** The StoreClient of an etcd v3 cluster; see the file comment. */
export class EtcdStore implements StoreClient {
  readonly #channels: EtcdChannel[];
  readonly #timeoutMs: number;
  /** invariant: 0 <= #current < #channels.length */
  #current = 0;
  #closed = false;
  readonly #watches = new Set<ChannelStream>();

  constructor(opts: EtcdOptions) {
    if (opts.endpoints && opts.channels) throw new Error('EtcdStore: endpoints or channels, not both');
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#channels = opts.channels ? [...opts.channels] : (opts.endpoints ?? []).map((e) => new GrpcChannel(e, opts.tls));
    if (this.#channels.length === 0) throw new Error('no etcd endpoints');
  }

  async get(key: string): Promise<{ value: StoredValue | undefined; revision: number }> {
    const r = await this.#read('/etcdserverpb.KV/Range', { key: Buffer.from(key) });
    const kv = (r.kvs as Kv[])[0];
    return { value: kv && stored(kv), revision: headerRevision(r) };
  }

  async list(prefix: string, opts: { start?: string; limit?: number; revision?: number; keysOnly?: boolean } = {}): Promise<ListPage> {
    const r = await this.#read('/etcdserverpb.KV/Range', {
      key: Buffer.from(opts.start ?? prefix),
      range_end: prefixEnd(prefix),
      limit: opts.limit ?? 0,
      revision: opts.revision ?? 0,
      keys_only: opts.keysOnly ?? false,
    });
    const items = (r.kvs as Kv[]).map(stored);
    const count = Number(r.count);
    // etcd's header carries the store's current revision, not the one read at
    const revision = opts.revision || headerRevision(r);
    return { items, revision, more: Boolean(r.more), remaining: r.more ? count - items.length : 0 };
  }

  async create(key: string, value: Uint8Array): Promise<StoredValue> {
    const k = Buffer.from(key);
    const r = await this.#write('/etcdserverpb.KV/Txn', {
      compare: [modIs(k, 0)],
      success: [{ request_put: { key: k, value } }],
    });
    if (!r.succeeded) throw new KeyExistsError(key);
    const rev = headerRevision(r);
    return { key, value, modRevision: rev, createRevision: rev, version: 1, lease: '0' };
  }

  async update(key: string, value: Uint8Array, expected: number): Promise<Written> {
    const k = Buffer.from(key);
    const r = await this.#write('/etcdserverpb.KV/Txn', {
      compare: [modIs(k, expected)],
      success: [{ request_put: { key: k, value } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) throw this.#mismatch(key, expected, r);
    return { key, value, modRevision: headerRevision(r) };
  }

  async delete(key: string, expected?: number): Promise<{ deleted: StoredValue; revision: number }> {
    const k = Buffer.from(key);
    const r = await this.#write('/etcdserverpb.KV/Txn', {
      compare: expected === undefined ? [] : [modIs(k, expected)],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) throw this.#mismatch(key, expected ?? 0, r);
    const prev = ((r.responses as Msg[])[0]?.response_delete_range as { prev_kvs: Kv[] } | undefined)?.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    return { deleted: stored(prev), revision: headerRevision(r) };
  }

  watch(prefix: string, afterRevision: number, handler: WatchHandler): StoreWatch {
    let done = false;
    const end = (err: Error): void => {
      if (done) return;
      done = true;
      this.#watches.delete(call);
      call.cancel();
      handler.ended(err);
    };
    const onData = (bytes: Uint8Array): void => {
      if (done) return;
      const r = decodeWatchResponse(bytes);
      const compactRevision = Number(r.compact_revision);
      if (r.canceled) {
        end(compactRevision > 0 ? new CompactedError(compactRevision) : new StoreError(`watch canceled: ${String(r.cancel_reason)}`));
        return;
      }
      const events = (r.events as { type: number; kv: Kv; prev_kv?: Kv }[]).map(
        (e): StoreEvent => ({ type: e.type === EventType.DELETE ? 'delete' : 'put', kv: stored(e.kv), prev: e.prev_kv && stored(e.prev_kv) }),
      );
      if (events.length > 0) handler.events(events);
    };
    const call = this.#channels[this.#current]!.bidi('/etcdserverpb.Watch/Watch', {
      data: onData,
      error: (e: ChannelError) => {
        if (e.code !== Code.CANCELLED) this.#rotate();
        end(new StoreUnavailableError(`watch: ${e.details || e.message}`));
      },
      end: () => end(new StoreUnavailableError('watch: the stream ended')),
    });
    this.#watches.add(call);
    call.write(
      encodeWatchRequest({
        create_request: { key: Buffer.from(prefix), range_end: prefixEnd(prefix), start_revision: afterRevision + 1, prev_kv: true },
      }),
    );
    return {
      cancel: () => {
        done = true;
        this.#watches.delete(call);
        call.cancel();
      },
    };
  }

  async compact(revision: number): Promise<void> {
    await this.#write('/etcdserverpb.KV/Compact', { revision });
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watches) w.cancel();
    for (const c of this.#channels) c.close();
  }

  /** The error of a guarded write whose compare failed: the failure branch read the key. */
  #mismatch(key: string, expected: number, r: Msg): StoreError {
    const kv = ((r.responses as Msg[])[0]?.response_range as { kvs: Kv[] } | undefined)?.kvs[0];
    return kv ? new RevisionConflictError(key, expected, stored(kv)) : new KeyNotFoundError(key);
  }

  /** A read: tried on each endpoint in turn while they are unavailable. */
  #read(path: string, req: Msg): Promise<Msg> {
    return this.#call(path, req, true);
  }

  /** A write: tried on the next endpoint only while it never reached one (see the file comment). */
  #write(path: string, req: Msg): Promise<Msg> {
    return this.#call(path, req, false);
  }

  async #call(path: string, req: Msg, idempotent: boolean): Promise<Msg> {
    const { encode, decode } = unaryCodec(path);
    for (let tries = 1; ; tries++) {
      if (this.#closed) throw new StoreUnavailableError('the store client is closed');
      const channel = this.#channels[this.#current]!;
      const request = encode(req); // a channel may keep the bytes it was given
      let res: Uint8Array;
      try {
        res = await channel.unary(path, request, Date.now() + this.#timeoutMs);
      } catch (err) {
        const e = fromGrpc(err);
        if (!(e instanceof StoreUnavailableError)) throw e;
        if (channel === this.#channels[this.#current]) this.#rotate();
        const again = idempotent || (isChannelError(err) && err.unsent === true);
        if (!again || tries >= this.#channels.length) throw e;
        continue;
      }
      return decode(res);
    }
  }

  #rotate(): void {
    this.#current = (this.#current + 1) % this.#channels.length;
  }
}

function modIs(key: Buffer, rev: number): Msg {
  return { result: CompareResult.EQUAL, target: CompareTarget.MOD, key, mod_revision: rev };
}

function stored(kv: Kv): StoredValue {
  return {
    key: Buffer.from(kv.key).toString(),
    value: kv.value,
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    version: Number(kv.version),
    lease: String(kv.lease),
  };
}

function headerRevision(r: Msg): number {
  return Number((r.header as { revision?: string } | undefined)?.revision ?? 0);
}

const encodeWatchRequest = encoder(root.lookupType('etcdserverpb.WatchRequest'));
const decodeWatchResponse = decoder(root.lookupType('etcdserverpb.WatchResponse'));

/** A unary method's request encoder and response decoder (`/etcdserverpb.KV/Range`), looked up once per path. */
const methods = new Map<string, { encode: (v: Msg) => Uint8Array; decode: (b: Uint8Array) => Msg }>();
export function unaryCodec(path: string): { encode: (v: Msg) => Uint8Array; decode: (b: Uint8Array) => Msg } {
  let m = methods.get(path);
  if (!m) {
    const [, service, name] = /^\/(.+)\/(\w+)$/.exec(path)!;
    const def = root.lookupService(service!).methods[name!]!;
    m = { encode: encoder(def.resolvedRequestType!), decode: decoder(def.resolvedResponseType!) };
    methods.set(path, m);
  }
  return m;
}

/** An encoder of `t` from plain objects (a 64-bit field may be given as a decimal string). */
export function encoder(t: protobuf.Type): (v: Msg) => Uint8Array {
  return (v) => t.encode(t.fromObject(v)).finish();
}

/**
 * A decoder of `t` to plain objects. 64-bit fields come as decimal strings,
 * as lease and member ids may pass 2^53: revisions, counts and versions
 * (far below it) are read with Number().
 */
export function decoder(t: protobuf.Type): (b: Uint8Array) => Msg {
  return (b) => t.toObject(t.decode(b), { longs: String, bytes: Buffer, defaults: true, arrays: true }) as Msg;
}

/** A channel's failure as a store error, by etcd's codes and messages. */
function fromGrpc(thrown: unknown): StoreError {
  const err: Partial<ChannelError> | undefined = isChannelError(thrown) ? thrown : undefined;
  const details = err?.details || err?.message || (thrown instanceof Error ? thrown.message : 'no response');
  switch (err?.code) {
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
    case Code.CANCELLED:
      return new StoreUnavailableError(`etcd: ${details}`);
    case Code.OUT_OF_RANGE:
      if (details.includes('compacted')) return new CompactedError(0);
      if (details.includes('future revision')) return new FutureRevisionError();
      return new StoreError(`etcd: ${details}`);
    default:
      return new StoreError(`etcd: ${details}`);
  }
}
