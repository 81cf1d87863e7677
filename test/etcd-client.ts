/**
 * Test and benchmark support: a minimal etcd v3 client over raw grpc-js,
 * with our copy of etcd's protos (store/server/grpc/proto/). Unlike the
 * etcd3 npm client it never retries, never switches endpoints and gives each
 * call a deadline, so a caller can record exactly when an operation was
 * invoked and when (or whether) it returned: what a linearizability history
 * and a latency measurement both need. It talks to real etcd the same way.
 */
import { join } from 'node:path';
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_DIR } from '../store/server/grpc/codec.js';

// protobufjs directly rather than ProtoCodec: etcd's 64-bit member and
// cluster ids exceed 2^53, which ProtoCodec (rightly, for a server) refuses;
// here every 64-bit integer is decoded as a string and converted on use
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
root.loadSync(['rpc.proto'], { keepCase: true });
root.resolveAll();
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A decoded response: proto field names (snake_case), 64-bit integers as decimal strings. */
export type Message = Record<string, unknown>;

/** A 64-bit field as a number (exact below 2^53; ids above it are compared as strings instead). */
const num = (v: unknown): number => (v === undefined || v === null ? 0 : Number(v));

/** A key's value as a Range at some revision saw it. */
export interface KvRead {
  /** The value, or null when the key is absent. */
  readonly value: string | null;
  readonly modRevision: number;
  /** The store's revision the read was served at (header.revision). */
  readonly revision: number;
}

/** What Maintenance.Status reports. */
export interface MemberStatus {
  /** Decimal strings: etcd's ids are 64-bit. */
  readonly memberId: string;
  readonly leader: string;
  readonly raftTerm: number;
  readonly raftIndex: number;
  readonly raftAppliedIndex: number;
  readonly revision: number;
}

/** A failed call: the gRPC code and message (DEADLINE_EXCEEDED = 4, UNAVAILABLE = 14 ...). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** One connection to one member, e.g. `new EtcdClient('http://127.0.0.1:2379')`. */
export class EtcdClient {
  readonly #client: Client;

  constructor(
    readonly url: string,
    /** Default deadline of each call. */
    readonly timeoutMs = 5000,
  ) {
    const u = new URL(url);
    this.#client = new Client(`${u.hostname}:${u.port}`, credentials.createInsecure(), {
      // reconnect quickly after a member comes back
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 250,
    });
  }

  /** Calls a unary method, e.g. `call('/etcdserverpb.KV/Put', {...})`. */
  call(path: string, req: object, timeoutMs = this.timeoutMs): Promise<Message> {
    const [, service, method] = /^\/(.+)\/(\w+)$/.exec(path) ?? [];
    const m = service && method ? root.lookupService(service).methods[method] : undefined;
    if (!m) throw new Error(`unknown method ${path}`);
    const reqType = m.resolvedRequestType;
    const resType = m.resolvedResponseType;
    if (!reqType || !resType) throw new Error(`unresolved method ${path}`);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest<object, Message>(
        path,
        (v) => Buffer.from(reqType.encode(reqType.fromObject(v)).finish()),
        (b) => resType.toObject(resType.decode(b), { longs: String, defaults: true }) as Message,
        req,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, res?: Message) => {
          if (err || !res) reject(new RpcError(err?.code ?? 2, err?.details ?? err?.message ?? 'no response'));
          else resolve(res);
        },
      );
    });
  }

  /** Puts `key` = `value`; resolves with the revision the write created. */
  async put(key: string, value: string, timeoutMs?: number): Promise<number> {
    const r = await this.call('/etcdserverpb.KV/Put', { key: enc.encode(key), value: enc.encode(value) }, timeoutMs);
    return headerRevision(r);
  }

  /** Reads one key: linearizable unless `serializable`; at `revision` when given (> 0). */
  async get(key: string, opts: { serializable?: boolean; revision?: number; timeoutMs?: number } = {}): Promise<KvRead> {
    const r = await this.call(
      '/etcdserverpb.KV/Range',
      { key: enc.encode(key), serializable: opts.serializable ?? false, revision: opts.revision ?? 0 },
      opts.timeoutMs,
    );
    const kvs = (r.kvs ?? []) as { value: Uint8Array; mod_revision: string }[];
    const kv = kvs[0];
    return { value: kv ? dec.decode(kv.value) : null, modRevision: num(kv?.mod_revision), revision: headerRevision(r) };
  }

  /** Range [key, rangeEnd) (rangeEnd '' = the key alone) at `revision` (0: the latest), serializable or not. */
  async range(
    key: string,
    rangeEnd: string,
    opts: { serializable?: boolean; revision?: number; timeoutMs?: number } = {},
  ): Promise<{ kvs: { key: string; value: string; modRevision: number }[]; revision: number }> {
    const r = await this.call(
      '/etcdserverpb.KV/Range',
      { key: enc.encode(key), range_end: enc.encode(rangeEnd), serializable: opts.serializable ?? false, revision: opts.revision ?? 0 },
      opts.timeoutMs,
    );
    const kvs = (r.kvs ?? []) as { key: Uint8Array; value: Uint8Array; mod_revision: string }[];
    return { kvs: kvs.map((kv) => ({ key: dec.decode(kv.key), value: dec.decode(kv.value), modRevision: num(kv.mod_revision) })), revision: headerRevision(r) };
  }

  /** Maintenance.Status of the member this client talks to. */
  async status(timeoutMs?: number): Promise<MemberStatus> {
    const r = await this.call('/etcdserverpb.Maintenance/Status', {}, timeoutMs);
    const h = r.header as { member_id: string; revision: string };
    return {
      memberId: h.member_id,
      leader: String(r.leader),
      raftTerm: num(r.raftTerm),
      raftIndex: num(r.raftIndex),
      raftAppliedIndex: num(r.raftAppliedIndex),
      revision: num(h.revision),
    };
  }

  /** Maintenance.HashKV at `revision` (0: the latest). */
  async hashKV(revision: number, timeoutMs?: number): Promise<{ hash: number; revision: number; compactRevision: number }> {
    const r = await this.call('/etcdserverpb.Maintenance/HashKV', { revision }, timeoutMs);
    return { hash: r.hash as number, revision: headerRevision(r), compactRevision: num(r.compact_revision) };
  }

  close(): void {
    this.#client.close();
  }
}

function headerRevision(r: Message): number {
  return num((r.header as { revision?: string } | undefined)?.revision);
}
