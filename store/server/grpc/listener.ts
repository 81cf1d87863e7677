/**
 * The one-port client listener, as etcd serves --listen-client-urls: gRPC
 * (HTTP/2) and the JSON gateway (HTTP/1.1) on the same port.
 *
 *   plaintext: net.Server ─ sniff the first bytes ─┬─ "PRI * HTTP/2.0…" ─► GrpcServer (http2)
 *                                                  └─ anything else ────► http.Server (gateway)
 *   TLS:       tls.Server (ALPN h2, http/1.1) ─────┬─ "h2" ─────────────► GrpcServer (http2)
 *                                                  ├─ "http/1.1" ───────► http.Server
 *                                                  └─ no ALPN ──────────► sniff, as plaintext
 *
 * (http2.createServer({ allowHTTP1 }) does not serve cleartext HTTP/1.1,
 * hence the sniffing: the consumed bytes are unshifted back before the
 * chosen server sees the socket.)
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import type { GrpcServer } from './server.js';

/** A connection that sends nothing for this long before its protocol is known is closed. */
export const SNIFF_TIMEOUT_MS = 30_000;

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** TLS settings, as etcd's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth give them. */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CAs that sign acceptable client certificates. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Ask clients for a certificate. */
  readonly requestCert?: boolean;
  /** Refuse clients without a certificate signed by `ca` (with requestCert: --client-cert-auth). */
  readonly rejectUnauthorized?: boolean;
}

/** What a ClientListener serves. */
export interface ClientListenerOptions {
  readonly grpc: GrpcServer;
  /** HTTP/1.1 requests: the gateway, usually with other endpoints behind it. */
  readonly http: http.RequestListener;
  /** Serve TLS instead of plaintext. */
  readonly tls?: TlsOptions;
}

/** Which server a connection's first bytes belong to: 'h2', 'http1', or undefined to wait for more. */
export function sniffProtocol(head: Buffer): 'h2' | 'http1' | undefined {
  const n = Math.min(head.length, HTTP2_PREFACE.length);
  if (!head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) return 'http1';
  return n === HTTP2_PREFACE.length ? 'h2' : undefined;
}

/** One port serving gRPC and HTTP/1.1, plaintext or TLS. */
export class ClientListener {
  /** The HTTP/1.1 server (it never listens itself). */
  readonly http1: http.Server;
  /** The listening server. */
  readonly server: net.Server;
  readonly #sockets = new Set<Socket>();
  /** HTTP/1.1 requests not yet answered. */
  #http1Active = 0;
  #closing = false;

  constructor(private readonly options: ClientListenerOptions) {
    // requestTimeout 0: a watch over the gateway keeps its request body open indefinitely
    this.http1 = http.createServer({ requestTimeout: 0 }, (req, res) => {
      this.#http1Active++;
      res.once('close', () => this.#http1Active--);
      if (this.#closing) res.shouldKeepAlive = false;
      options.http(req, res);
    });
    this.http1.on('clientError', (_err, socket) => socket.destroy());
    if (options.tls) {
      const t = options.tls;
      const server = tls.createServer({
        cert: t.cert,
        key: t.key,
        ...(t.ca !== undefined ? { ca: t.ca as string | Buffer | (string | Buffer)[] } : {}),
        requestCert: t.requestCert ?? false,
        rejectUnauthorized: t.rejectUnauthorized ?? false,
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      server.on('secureConnection', (socket) => this.#onTls(socket));
      server.on('tlsClientError', () => {}); // the handshake failed: the socket is already gone
      server.on('connection', (socket: Socket) => this.#track(socket));
      this.server = server;
    } else {
      this.server = net.createServer((socket) => {
        this.#track(socket);
        this.#sniff(socket);
      });
    }
  }

  /** Starts listening (port 0: any free port); resolves with the bound address. */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.address);
      });
    });
  }

  /** The bound address; throws before listen(). */
  get address(): AddressInfo {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
    return address;
  }

  /**
   * Stops accepting, lets calls and HTTP/1.1 requests in progress finish for
   * up to `graceMs` (idle HTTP/1.1 connections close at once, busy ones after
   * their response), then closes every connection.
   */
  async close(graceMs = 5000): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.http1.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    const http1Done = (async () => {
      while (this.#http1Active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    })();
    await Promise.all([this.options.grpc.close(graceMs), http1Done]);
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #track(socket: Socket): void {
    socket.setNoDelay(true); // as Go does: HTTP/2 writes small frames
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  #onTls(socket: tls.TLSSocket): void {
    socket.on('error', () => socket.destroy());
    if (socket.alpnProtocol === 'h2') this.options.grpc.accept(socket);
    else if (socket.alpnProtocol === 'http/1.1') this.http1.emit('connection', socket);
    else this.#sniff(socket);
  }

  #sniff(socket: Socket): void {
    let head: Buffer = Buffer.alloc(0);
    const onError = (): void => {
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const protocol = sniffProtocol(head);
      if (protocol === undefined) return;
      socket.setTimeout(0);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.pause();
      socket.unshift(head);
      if (protocol === 'h2') {
        this.options.grpc.accept(socket); // the session reads the unshifted bytes itself
      } else {
        this.http1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('error', onError);
    socket.on('data', onData);
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
  }
}
