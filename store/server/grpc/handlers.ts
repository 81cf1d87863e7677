/**
 * The handler table both edges dispatch to: the gRPC server (server.ts) and
 * the JSON gateway (gateway.ts). Handlers see decoded messages (the shapes
 * codec.ts documents) and never a socket, a frame or a JSON byte.
 *
 * Contract for handlers:
 * - a unary handler returns the response or throws (a GrpcError for a
 *   status; anything else becomes UNKNOWN with its message);
 * - a streaming handler sends with `call.send()` (resolves once the frame
 *   is handed to the transport, so awaiting it applies back-pressure;
 *   rejects with `call.signal.reason` once the call is over) and returns
 *   or throws to end the call;
 * - `signal` aborts when the client cancels (CANCELLED), the deadline passes
 *   (DEADLINE_EXCEEDED), the request stream is bad (its status) or the
 *   server stops (UNAVAILABLE); `signal.reason` is that GrpcError. After it,
 *   whatever the handler returns or sends is dropped.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Message, MethodInfo, ProtoCodec } from './codec.js';
import { etcdCodec } from './codec.js';
import { GrpcError, Status } from './status.js';

/** Who is calling. */
export interface PeerInfo {
  readonly address: string;
  readonly port: number;
  /** Present on TLS connections. */
  readonly tls?: {
    /** The client's certificate chains to a trusted CA. */
    readonly authorized: boolean;
    /** The client certificate's subject CN, if one was presented. */
    readonly commonName?: string;
  };
}

/** What every handler gets besides its request. */
export interface CallContext {
  readonly method: MethodInfo;
  /** Aborted when the call is over early; the reason is a GrpcError (see the module comment). */
  readonly signal: AbortSignal;
  /** Request headers, lower-case, without pseudo-headers (etcd reads "token" and "hasleader"). */
  readonly metadata: Readonly<Record<string, string>>;
  /** When the client gives up (epoch ms), from grpc-timeout; undefined for none. */
  readonly deadline: number | undefined;
  readonly peer: PeerInfo;
  /** Which edge the call came through (in-process: inproc.ts, the all-in-one mode's API server). */
  readonly transport: 'grpc' | 'gateway' | 'in-process';
}

/** A streaming call: the context plus the way out. */
export interface StreamCall<Res extends object = object> extends CallContext {
  /** Sends one response message; see the module comment for its promise. */
  send(response: Res): Promise<void>;
}

/** Handles a unary RPC. */
export type UnaryHandler<Req = Message, Res extends object = object> = (request: Req, ctx: CallContext) => Promise<Res> | Res;
/** Handles a server-streaming RPC (Maintenance/Snapshot). */
export type ServerStreamHandler<Req = Message, Res extends object = object> = (request: Req, call: StreamCall<Res>) => Promise<void>;
/**
 * Handles a bidirectional RPC (Watch, LeaseKeepAlive). `requests` ends when
 * the client half-closes, and throws if the request stream turns out bad.
 */
export type BidiHandler<Req = Message, Res extends object = object> = (requests: AsyncIterable<Req>, call: StreamCall<Res>) => Promise<void>;

/** A registered handler with its method. */
export type Registered =
  | { readonly kind: 'unary'; readonly method: MethodInfo; readonly fn: UnaryHandler }
  | { readonly kind: 'serverStream'; readonly method: MethodInfo; readonly fn: ServerStreamHandler }
  | { readonly kind: 'bidi'; readonly method: MethodInfo; readonly fn: BidiHandler };

/**
 * Handlers by full method name (/etcdserverpb.KV/Range). The type
 * parameters of the register methods are the caller's claim about the
 * decoded shape (e.g. store/mvcc's RangeRequest); codec.ts makes it true.
 */
export class Handlers {
  readonly #table = new Map<string, Registered>();

  constructor(readonly codec: ProtoCodec = etcdCodec()) {}

  /** Registers a unary method; throws if the protos have no such unary method. */
  unary<Req = Message, Res extends object = object>(path: string, fn: UnaryHandler<Req, Res>): this {
    this.#table.set(path, { kind: 'unary', method: this.#method(path, false, false), fn: fn as unknown as UnaryHandler });
    return this;
  }

  /** Registers a server-streaming method; throws if the protos disagree. */
  serverStream<Req = Message, Res extends object = object>(path: string, fn: ServerStreamHandler<Req, Res>): this {
    this.#table.set(path, { kind: 'serverStream', method: this.#method(path, false, true), fn: fn as unknown as ServerStreamHandler });
    return this;
  }

  /** Registers a bidirectional-streaming method; throws if the protos disagree. */
  bidi<Req = Message, Res extends object = object>(path: string, fn: BidiHandler<Req, Res>): this {
    this.#table.set(path, { kind: 'bidi', method: this.#method(path, true, true), fn: fn as unknown as BidiHandler });
    return this;
  }

  /** The handler for `path`, or undefined. */
  lookup(path: string): Registered | undefined {
    return this.#table.get(path);
  }

  /** The UNIMPLEMENTED status grpc-go answers for an unregistered `path`. */
  unimplemented(path: string): GrpcError {
    const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
    if (!match) return new GrpcError(Status.UNIMPLEMENTED, `malformed method name: ${JSON.stringify(path)}`);
    const [, service, name] = match;
    const prefix = `/${service}/`;
    const known = [...this.#table.keys()].some((p) => p.startsWith(prefix));
    return new GrpcError(Status.UNIMPLEMENTED, known ? `unknown method ${name} for service ${service}` : `unknown service ${service}`);
  }

  #method(path: string, requestStream: boolean, responseStream: boolean): MethodInfo {
    const method = this.codec.method(path);
    if (!method) throw new Error(`no method ${path} in the protos`);
    if (method.requestStream !== requestStream || method.responseStream !== responseStream) {
      throw new Error(`${path} streams requests: ${method.requestStream}, responses: ${method.responseStream}`);
    }
    return method;
  }
}

/**
 * Peers of connections that are not the client's socket, by connection:
 * the in-memory ones of HTTP/2 requests served by an HTTP/1.1 handler
 * (h2/http1-bridge.ts).
 */
export const bridgedPeers = new WeakMap<object, PeerInfo>();

/** The peer of an HTTP/1.1 request. */
export function requestPeer(req: { readonly socket: Socket | TLSSocket }): PeerInfo {
  return bridgedPeers.get(req.socket) ?? peerOf(req.socket);
}

/** The peer of a (possibly TLS) socket. */
export function peerOf(socket: Socket | TLSSocket): PeerInfo {
  const address = socket.remoteAddress ?? '';
  const port = socket.remotePort ?? 0;
  if (!('encrypted' in socket) || socket.encrypted !== true) return { address, port };
  const tlsSocket = socket as TLSSocket;
  const cn = tlsSocket.getPeerCertificate?.()?.subject?.CN;
  const commonName = Array.isArray(cn) ? cn[0] : cn;
  return { address, port, tls: { authorized: tlsSocket.authorized === true, ...(commonName ? { commonName } : {}) } };
}

/** Request headers as CallContext.metadata: no pseudo-headers, repeated values joined. */
export function metadataOf(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
