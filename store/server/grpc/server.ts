/**
 * The gRPC server: node:http2 (not grpc-js), serving the handler table of
 * handlers.ts. It does not listen by itself: the one-port listener
 * (listener.ts) hands it connections whose first bytes are the HTTP/2
 * preface (plaintext) or that negotiated "h2" by ALPN (TLS).
 *
 * On an HTTP/2 connection, requests whose content-type is not
 * application/grpc go to `fallback` (the JSON gateway, so that curl over
 * TLS, which negotiates h2, reaches it as on etcd), else get 415.
 *
 * Connections pass through AuthorityFilter (h2-filter.ts) by default:
 * nghttp2 would otherwise reset the calls of etcd clients that send a URL
 * as :authority (etcdctl's endpoint status, clientv3 3.5.0-3.5.9).
 */
import http2 from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse, IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { DEFAULT_MAX_RECEIVE_BYTES } from './framing.js';
import { GrpcCall } from './grpc-call.js';
import { AuthorityFilter } from './h2-filter.js';
import type { Handlers, PeerInfo } from './handlers.js';
import { peerOf, sessionPeers } from './handlers.js';
import { GrpcError, Status } from './status.js';

/** Options of GrpcServer. */
export interface GrpcServerOptions {
  /** The largest request message accepted; default etcd's 1.5 MiB + 512 KiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Non-gRPC requests on HTTP/2 connections; default: 415. */
  readonly fallback?: (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  /** HTTP/2 SETTINGS to advertise. */
  readonly settings?: http2.Settings;
  /**
   * Repair the :authority etcd's clients send and nghttp2 refuses (see
   * authority.ts); default true. Off, connections skip the filter (a little
   * faster) and such requests are reset with PROTOCOL_ERROR.
   */
  readonly fixAuthority?: boolean;
}

/** Whether a content-type names gRPC: application/grpc, optionally followed by "+subtype" or ";params". */
export function isGrpcContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  const next = contentType.charAt('application/grpc'.length);
  return next === '' || next === '+' || next === ';';
}

/** A gRPC server over node:http2 for one handler table. */
export class GrpcServer {
  /** The HTTP/2 server; connections reach it through accept(). */
  readonly http2: http2.Http2Server;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #calls = new Set<GrpcCall>();
  readonly #maxReceive: number;
  #closing: Promise<void> | undefined;
  /** The peer of the connection accept() is handing over. */
  #accepting: PeerInfo | undefined;

  constructor(
    readonly handlers: Handlers,
    private readonly options: GrpcServerOptions = {},
  ) {
    this.#maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.http2 = http2.createServer({ settings: options.settings ?? {} });
    // gRPC calls use the core API; other requests get the compatibility
    // layer's request and response, whose 'stream' listener node:http2 adds
    // with the first 'request' listener: take it, and call it for them only
    this.http2.on('request', (req, res) => this.#onOther(req, res));
    const compat = this.http2.listeners('stream');
    if (compat.length !== 1) throw new Error(`node:http2 has ${compat.length} compatibility 'stream' listeners, expected 1`);
    const toCompat = compat[0] as (...args: unknown[]) => void;
    this.http2.removeAllListeners('stream');
    this.http2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
      if (isGrpcContentType(headers['content-type']) && headers[':method'] === 'POST') this.#onCall(stream, headers);
      else toCompat.call(this.http2, stream, headers, ...rest);
    });
    this.http2.on('session', (session) => {
      if (this.#accepting) sessionPeers.set(session, this.#accepting); // emitted inside accept()
      this.#sessions.add(session);
      session.on('close', () => this.#sessions.delete(session));
      session.on('error', () => {}); // the session closes; its calls see 'close'
      if (this.#closing) session.close();
    });
    this.http2.on('sessionError', () => {});
  }

  /** Serves a connection: a plain socket, or a TLS socket that negotiated h2; no bytes consumed yet. */
  accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#accepting = peerOf(socket);
    try {
      this.http2.emit('connection', this.options.fixAuthority === false ? socket : new AuthorityFilter(socket));
    } finally {
      this.#accepting = undefined;
    }
  }

  /** Calls in progress. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /**
   * Stops: refuses new calls (GOAWAY), lets calls in progress finish for up
   * to `graceMs`, then ends the rest with UNAVAILABLE and closes every
   * connection. Idempotent.
   */
  close(graceMs = 5000): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    for (const session of this.#sessions) session.close();
    const deadline = Date.now() + graceMs;
    while (this.#calls.size > 0 && Date.now() < deadline) await sleep(Math.min(20, graceMs));
    const stopped = new GrpcError(Status.UNAVAILABLE, 'etcdserver: server stopped');
    for (const call of this.#calls) call.finish(stopped);
    await sleep(10); // let the final frames out before the connections go
    for (const session of this.#sessions) session.destroy();
    if (this.http2.listening) await new Promise<void>((resolve) => this.http2.close(() => resolve()));
  }

  #onCall(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const session = stream.session;
    const peer = (): PeerInfo => (session && sessionPeers.get(session)) || peerOf(session?.socket as Socket);
    const call = new GrpcCall(stream, headers, headers[':path'] ?? '', this.handlers, this.#maxReceive, peer);
    if (this.#closing) {
      call.finish(new GrpcError(Status.UNAVAILABLE, 'etcdserver: server stopped'));
      return;
    }
    this.#calls.add(call);
    void call.run(() => this.#calls.delete(call));
  }

  /** A request that is not a gRPC call (see the constructor). */
  #onOther(req: Http2ServerRequest, res: Http2ServerResponse): void {
    const contentType = req.headers['content-type'];
    if (!isGrpcContentType(contentType)) {
      if (this.options.fallback) {
        this.options.fallback(req, res);
        return;
      }
      res.writeHead(415, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`invalid gRPC request content-type ${JSON.stringify(contentType ?? '')}\n`);
      return;
    }
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`invalid gRPC request method ${JSON.stringify(req.method)}\n`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
