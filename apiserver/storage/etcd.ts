/**
 * StoreClient over the etcd v3 gRPC API: a kubeling store cluster or a real
 * etcd, as kube-apiserver uses it. Writes are transactions guarded by a
 * key's mod_revision (optimistic concurrency); reads are linearizable Ranges;
 * a watch is a Watch stream with prev_kv.
 *
 * Endpoints: one gRPC channel per endpoint; calls go to the current one, and
 * a call that finds it unavailable moves on to the next. A read is retried
 * there once per endpoint; a write is not (it may have been applied): it
 * rejects with StoreUnavailableError and the next call uses the next endpoint.
 *
 * The protos are kubeling's copy of etcd's (store/server/grpc/proto): the
 * wire contract both backends speak, loaded as data.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, credentials, status as GrpcStatus, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StoreError, StoreUnavailableError } from './errors.js';
import { prefixEnd, type ListPage, type StoreClient, type StoreEvent, type StoreWatch, type StoredValue, type WatchHandler } from './interface.js';

const PROTO_DIR = fileURLToPath(new URL('../../store/server/grpc/proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => PROTO_DIR + target;
root.loadSync(['rpc.proto'], { keepCase: true });
root.resolveAll();

type Msg = Record<string, unknown>;

/** etcd's Compare enums and WatchResponse event types (rpc.proto, kv.proto). */
const CompareResult = { EQUAL: 0 } as const;
const CompareTarget = { MOD: 2 } as const;
const EventType = { PUT: 0, DELETE: 1 } as const;

/** Where the store is and how to reach it. */
export interface EtcdOptions {
  /** Client URLs: http://host:port or https://host:port. */
  readonly endpoints: readonly string[];
  /** PEM: the CA that signed the members' certificates, and this client's certificate and key. */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** Deadline of each call (default 10 s). */
  readonly timeoutMs?: number;
}

/** Reads the PEM files of the etcd flags (--etcd-cafile ...) into EtcdOptions.tls. */
export function tlsFromFiles(files: { ca?: string; cert?: string; key?: string }): EtcdOptions['tls'] {
  if (!files.ca && !files.cert && !files.key) return undefined;
  const read = (f: string | undefined): Buffer | undefined => (f ? readFileSync(f) : undefined);
  return { ca: read(files.ca), cert: read(files.cert), key: read(files.key) };
}

interface Kv {
  key: Uint8Array;
  value: Uint8Array;
  mod_revision: number;
  create_revision: number;
}

/** The StoreClient of an etcd v3 cluster; see the file comment. */
export class EtcdStore implements StoreClient {
  readonly #clients: Client[];
  readonly #timeoutMs: number;
  /** invariant: 0 <= #current < #clients.length */
  #current = 0;
  #closed = false;
  readonly #watches = new Set<ClientDuplexStream<Msg, Msg>>();

  constructor(opts: EtcdOptions) {
    if (opts.endpoints.length === 0) throw new Error('no etcd endpoints');
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#clients = opts.endpoints.map((e) => {
      const u = new URL(e);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`etcd endpoint ${e}: the scheme must be http or https`);
      let creds: ChannelCredentials = credentials.createInsecure();
      if (u.protocol === 'https:') creds = credentials.createSsl(opts.tls?.ca ?? null, opts.tls?.key ?? null, opts.tls?.cert ?? null);
      return new Client(`${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, creds, {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        'grpc.max_receive_message_length': 256 << 20,
      });
    });
  }

  async get(key: string): Promise<{ value: StoredValue | undefined; revision: number }> {
    const r = await this.#read('/etcdserverpb.KV/Range', { key: Buffer.from(key) });
    const kv = (r.kvs as Kv[])[0];
    return { value: kv && stored(kv), revision: headerRevision(r) };
  }

  async list(prefix: string, opts: { start?: string; limit?: number; revision?: number } = {}): Promise<ListPage> {
    const r = await this.#read('/etcdserverpb.KV/Range', {
      key: Buffer.from(opts.start ?? prefix),
      range_end: prefixEnd(prefix),
      limit: opts.limit ?? 0,
      revision: opts.revision ?? 0,
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
    return { key, value, modRevision: rev, createRevision: rev };
  }

  async update(key: string, value: Uint8Array, expected: number): Promise<StoredValue> {
    const k = Buffer.from(key);
    const r = await this.#write('/etcdserverpb.KV/Txn', {
      compare: [modIs(k, expected)],
      success: [{ request_put: { key: k, value, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) throw this.#mismatch(key, expected, r);
    const prev = ((r.responses as Msg[])[0]?.response_put as { prev_kv?: Kv } | undefined)?.prev_kv;
    const rev = headerRevision(r);
    return { key, value, modRevision: rev, createRevision: prev ? Number(prev.create_revision) : rev };
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
    const call = this.#clients[this.#current]!.makeBidiStreamRequest<Msg, Msg>(
      '/etcdserverpb.Watch/Watch',
      encoder(root.lookupType('etcdserverpb.WatchRequest')),
      decoder(root.lookupType('etcdserverpb.WatchResponse')),
    );
    this.#watches.add(call);
    let done = false;
    const end = (err: Error): void => {
      if (done) return;
      done = true;
      this.#watches.delete(call);
      call.cancel();
      handler.ended(err);
    };
    call.on('data', (r: Msg) => {
      if (done) return;
      const compactRevision = Number(r.compact_revision);
      if (r.canceled) {
        end(compactRevision > 0 ? new CompactedError(compactRevision) : new StoreError(`watch canceled: ${String(r.cancel_reason)}`));
        return;
      }
      const events = (r.events as { type: number; kv: Kv; prev_kv?: Kv }[]).map(
        (e): StoreEvent => ({ type: e.type === EventType.DELETE ? 'delete' : 'put', kv: stored(e.kv), prev: e.prev_kv && stored(e.prev_kv) }),
      );
      if (events.length > 0) handler.events(events);
    });
    call.on('error', (e: ServiceError) => {
      if (e.code !== GrpcStatus.CANCELLED) this.#rotate();
      end(new StoreUnavailableError(`watch: ${e.details || e.message}`));
    });
    call.on('end', () => end(new StoreUnavailableError('watch: the stream ended')));
    call.write({
      create_request: { key: Buffer.from(prefix), range_end: prefixEnd(prefix), start_revision: afterRevision + 1, prev_kv: true },
    });
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
    for (const c of this.#clients) c.close();
  }

  /** The error of a guarded write whose compare failed: the failure branch read the key. */
  #mismatch(key: string, expected: number, r: Msg): StoreError {
    const kv = ((r.responses as Msg[])[0]?.response_range as { kvs: Kv[] } | undefined)?.kvs[0];
    return kv ? new RevisionConflictError(key, expected, stored(kv)) : new KeyNotFoundError(key);
  }

  /** A read: tried on each endpoint in turn while they are unavailable. */
  async #read(path: string, req: Msg): Promise<Msg> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.#call(path, req);
      } catch (e) {
        if (!(e instanceof StoreUnavailableError) || tries >= this.#clients.length || this.#closed) throw e;
      }
    }
  }

  /** A write: one try (see the file comment). */
  #write(path: string, req: Msg): Promise<Msg> {
    return this.#call(path, req);
  }

  #call(path: string, req: Msg): Promise<Msg> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store client is closed'));
    const { encode, decode } = method(path);
    const client = this.#clients[this.#current]!;
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest<Msg, Msg>(
        path,
        encode,
        decode,
        req,
        { deadline: Date.now() + this.#timeoutMs },
        (err: ServiceError | null, res?: Msg) => {
          if (!err && res) return resolve(res);
          const e = fromGrpc(err);
          if (e instanceof StoreUnavailableError && client === this.#clients[this.#current]) this.#rotate();
          reject(e);
        },
      );
    });
  }

  #rotate(): void {
    this.#current = (this.#current + 1) % this.#clients.length;
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
  };
}

function headerRevision(r: Msg): number {
  return Number((r.header as { revision?: number } | undefined)?.revision ?? 0);
}

/** A unary method's request encoder and response decoder, looked up once per path. */
const methods = new Map<string, { encode: (v: Msg) => Buffer; decode: (b: Buffer) => Msg }>();
function method(path: string): { encode: (v: Msg) => Buffer; decode: (b: Buffer) => Msg } {
  let m = methods.get(path);
  if (!m) {
    const [, service, name] = /^\/(.+)\/(\w+)$/.exec(path)!;
    const def = root.lookupService(service!).methods[name!]!;
    m = { encode: encoder(def.resolvedRequestType!), decode: decoder(def.resolvedResponseType!) };
    methods.set(path, m);
  }
  return m;
}

function encoder(t: protobuf.Type): (v: Msg) => Buffer {
  return (v) => Buffer.from(t.encode(t.fromObject(v)).finish());
}

function decoder(t: protobuf.Type): (b: Buffer) => Msg {
  // 64-bit fields as numbers: revisions stay far below 2^53 (member ids do not, and are not read here)
  return (b) => t.toObject(t.decode(b), { longs: Number, bytes: Buffer, defaults: true, arrays: true }) as Msg;
}

/** A gRPC failure as a store error, by etcd's codes and messages. */
function fromGrpc(err: ServiceError | null): StoreError {
  const details = err?.details || err?.message || 'no response';
  switch (err?.code) {
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
    case GrpcStatus.CANCELLED:
      return new StoreUnavailableError(`etcd: ${details}`);
    case GrpcStatus.OUT_OF_RANGE:
      if (details.includes('compacted')) return new CompactedError(0);
      if (details.includes('future revision')) return new FutureRevisionError();
      return new StoreError(`etcd: ${details}`);
    default:
      return new StoreError(`etcd: ${details}`);
  }
}
