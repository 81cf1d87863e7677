/**
 * The gRPC server: our own HTTP/2 server side (h2/connection.ts; see there
 * why not node:http2), serving the handler table of handlers.ts. It does
 * not listen by itself: the one-port listener (listener.ts) hands it
 * connections whose first bytes are the HTTP/2 preface (plaintext) or that
 * negotiated "h2" by ALPN (TLS).
 *
 * On an HTTP/2 connection, requests that are not gRPC calls (a content-type
 * other than application/grpc...) go to `fallback` (the JSON gateway, so
 * that curl over TLS, which negotiates h2, reaches it as on etcd), else get
 * 415 (or 405 for a gRPC content-type with another method than POST). The
 * fallback is an HTTP/1.1 handler: each such request reaches it through
 * node:http's client and server over an in-memory connection (http1-bridge.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULT_MAX_RECEIVE_BYTES } from './framing.js';
import { GrpcCall } from './grpc-call.js';
import { H2Connection, type H2Stream } from './h2/connection.js';
import { Http1Bridge } from './h2/http1-bridge.js';
import type { Handlers, PeerInfo } from './handlers.js';
import { peerOf } from './handlers.js';
import { GrpcError, Status } from './status.js';

/** Options of GrpcServer. */
export interface GrpcServerOptions {
  /** The largest request message accepted; default etcd's 1.5 MiB + 512 KiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Non-gRPC requests on HTTP/2 connections (an HTTP/1.1 handler); default: 415. */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** Whether a content-type names gRPC: application/grpc, optionally followed by "+subtype" or ";params". */
export function isGrpcContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  const next = contentType.charAt('application/grpc'.length);
  return next === '' || next === '+' || next === ';';
}

/** A gRPC server for one handler table. */
export class GrpcServer {
  readonly #connections = new Set<H2Connection>();
  readonly #calls = new Set<GrpcCall>();
  readonly #maxReceive: number;
  readonly #bridge: Http1Bridge;
  /** gRPC content-types not POSTed: 405. */
  readonly #refuse = new Http1Bridge(notGrpc);
  #closing: Promise<void> | undefined;

  constructor(
    readonly handlers: Handlers,
    options: GrpcServerOptions = {},
  ) {
    this.#maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.#bridge = new Http1Bridge(options.fallback ?? notGrpc);
  }

  /** Serves a connection: a plain socket, or a TLS socket that negotiated h2; no bytes consumed yet. */
  accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const peer = peerOf(socket);
    const connection = new H2Connection(socket, (stream) => this.#onStream(stream, peer));
    this.#connections.add(connection);
    socket.on('close', () => this.#connections.delete(connection));
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
    for (const c of this.#connections) c.close();
    const deadline = Date.now() + graceMs;
    while (this.#calls.size > 0 && Date.now() < deadline) await sleep(Math.min(20, graceMs));
    const stopped = new GrpcError(Status.UNAVAILABLE, 'etcdserver: server stopped');
    for (const call of this.#calls) call.finish(stopped);
    await sleep(10); // let the final frames out before the connections go
    for (const c of this.#connections) c.destroy();
    this.#bridge.close();
    this.#refuse.close();
  }

  #onStream(stream: H2Stream, peer: PeerInfo): void {
    const h = stream.headers;
    if (!isGrpcContentType(h['content-type'])) {
      this.#bridge.serve(stream, peer);
      return;
    }
    if (h[':method'] !== 'POST') {
      this.#refuse.serve(stream, peer);
      return;
    }
    const call = new GrpcCall(stream, h[':path'] ?? '', this.handlers, this.#maxReceive, () => peer);
    if (this.#closing) {
      call.finish(new GrpcError(Status.UNAVAILABLE, 'etcdserver: server stopped'));
      return;
    }
    this.#calls.add(call);
    void call.run(() => this.#calls.delete(call));
  }
}

/** The answer to a request that is not a gRPC call when there is no fallback (and to a gRPC content-type not POSTed). */
function notGrpc(req: IncomingMessage, res: ServerResponse): void {
  const contentType = req.headers['content-type'];
  if (isGrpcContentType(contentType)) {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`invalid gRPC request method ${JSON.stringify(req.method)}\n`);
    return;
  }
  res.writeHead(415, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`invalid gRPC request content-type ${JSON.stringify(contentType ?? '')}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
