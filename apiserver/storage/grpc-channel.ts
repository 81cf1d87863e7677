/**
 * An EtcdChannel over node:http2: gRPC's wire protocol spoken directly on
 * one HTTP/2 connection to one client URL of a kubeling store member or a
 * real etcd. Messages pass through as bytes; a failure is a ChannelError
 * whose message is "<code> <NAME>: <details>", as @grpc/grpc-js words it.
 *
 * It does what the API server needs of a gRPC client and no more (no
 * compression, name resolution, load balancing, retries or interceptors),
 * which costs a fraction of grpc-js's CPU per call (the API server's
 * hottest outbound path: every read and write of the store).
 *
 * The connection, as grpc-js's channel keeps it:
 *
 * ```
 *   none ──call──► connecting ──connected──► ready
 *     ▲                 │                      │ closed, GOAWAY, error
 *     │  failed: calls  ▼                      ▼
 *     └── fail fast ── backoff (100 ms, doubling to 1 s) ◄─┘ (next call reconnects at once)
 * ```
 *
 * A call made while connecting waits for the connection; one made during
 * the backoff after a failed connection fails at once with UNAVAILABLE
 * (grpc-js's TRANSIENT_FAILURE without waitForReady), so the caller moves
 * on to another member. Every failure of a call that cannot have reached
 * the server is marked `unsent` (channel.ts), so a write can move on too. The connection keeps the process alive only while
 * a call is in progress.
 *
 * The wire (grpc/doc/PROTOCOL-HTTP2.md): a POST of `path` with
 * `content-type: application/grpc`, `te: trailers` and `grpc-timeout`; each
 * message is framed as a compressed flag (0) and a 4-byte big-endian
 * length; the status is `grpc-status` and `grpc-message` in the trailers
 * (or in the headers of a trailers-only answer). An answer that is not
 * gRPC's maps its HTTP status to a code as the protocol's table does; a
 * stream reset or a lost connection is UNAVAILABLE (CANCELLED for a
 * cancel from either side).
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';
import { Code, type ChannelError, type ChannelStream, type EtcdChannel, type StreamListener } from './channel.js';

/** PEM: the CA that signed the members' certificates, and this client's certificate and key. */
export interface ChannelTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 1000;
/** The largest response message taken (256 MiB). */
const MAX_RECEIVE_BYTES = 256 << 20;
/** Each stream's receive window, and the connection's: a watch's burst need not wait for WINDOW_UPDATEs. */
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;

/** Each status code's name, by number, for messages. */
const CODE_NAMES: readonly string[] = Object.entries(Code).reduce<string[]>((names, [name, n]) => ((names[n] = name), names), []);

/** A ChannelError with grpc-js's message form; `unsent` when the server cannot have seen the call. */
export function channelError(code: number, details: string, unsent = false): ChannelError {
  const e = Object.assign(new Error(`${code} ${CODE_NAMES[code] ?? 'UNKNOWN'}: ${details}`), { code, details });
  return unsent ? Object.assign(e, { unsent }) : e;
}

/** The code for an answer that is not gRPC's, by its HTTP status (the protocol's HTTP-to-gRPC table). */
function httpStatusCode(status: number): number {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/** grpc-message is percent-encoded; a malformed escape is kept as written. */
function decodeMessage(raw: string | string[] | undefined): string {
  const s = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A message in gRPC's length-prefixed framing. */
function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/**
 * Splits the framed messages out of a stream's bytes, across DATA chunks.
 * A message's chunks are kept apart until the last of it arrives and then
 * joined once (a range of many objects arrives in thousands of chunks).
 */
class Deframer {
  #chunks: Buffer[] = [];
  #size = 0;
  /** The frame's length (prefix included) once its prefix is in, else -1. */
  #need = -1;

  /** The whole messages `chunk` completes, or a ChannelError for a frame the channel cannot take. */
  push(chunk: Buffer): Uint8Array[] | ChannelError {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (this.#size < 5) break;
        const head = this.#joined();
        if (head[0] !== 0) return channelError(Code.INTERNAL, 'a compressed message, though none was asked for');
        const length = head.readUInt32BE(1);
        if (length > MAX_RECEIVE_BYTES) return channelError(Code.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${MAX_RECEIVE_BYTES})`);
        this.#need = 5 + length;
      }
      if (this.#size < this.#need) break;
      const all = this.#joined();
      out.push(all.subarray(5, this.#need));
      const rest = all.subarray(this.#need);
      this.#chunks = rest.length ? [rest] : [];
      this.#size = rest.length;
      this.#need = -1;
    }
    return out;
  }

  /** Whether bytes of an unfinished message are left. */
  get partial(): boolean {
    return this.#size > 0;
  }

  /** The bytes held, as one buffer (and kept so). */
  #joined(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)];
    return this.#chunks[0]!;
  }
}

/** What one call's stream reports to the channel's call code. */
interface CallEvents {
  message(m: Uint8Array): void;
  /** The call's status: code 0 is OK. Once. */
  done(err: ChannelError | undefined): void;
}

/** The channel to one endpoint; see the module comment. */
export class GrpcChannel implements EtcdChannel {
  readonly #authority: string;
  readonly #options: SecureClientSessionOptions;
  #session: ClientHttp2Session | undefined;
  /** Why the last connection failed, while its backoff lasts. */
  #failure: { readonly error: ChannelError; readonly until: number } | undefined;
  #backoffMs = INITIAL_BACKOFF_MS;
  #closed = false;
  /** The connections that got as far as connected. */
  readonly #connected = new WeakSet<ClientHttp2Session>();
  /** The calls in progress, each with how to end it from this side. */
  readonly #calls = new Set<(err: ChannelError) => void>();

  /** `endpoint`: http://host:port or https://host:port (with `tls` for the latter's CA and client certificate). */
  constructor(endpoint: string, tls?: ChannelTls) {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`etcd endpoint ${endpoint}: the scheme must be http or https`);
    this.#authority = `${u.protocol}//${u.host}`;
    this.#options = {
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
      maxSessionMemory: 64,
      ...(u.protocol === 'https:' ? { ...(tls?.ca ? { ca: tls.ca } : {}), ...(tls?.cert ? { cert: tls.cert } : {}), ...(tls?.key ? { key: tls.key } : {}) } : {}),
    };
  }

  unary(path: string, request: Uint8Array, deadline: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let answer: Uint8Array | undefined;
      let extra = false;
      this.#call(path, deadline, request, {
        message: (m) => {
          if (answer) extra = true;
          answer = m;
        },
        done: (err) => {
          if (err) reject(err);
          else if (!answer) reject(channelError(Code.INTERNAL, 'No message received'));
          else if (extra) reject(channelError(Code.UNKNOWN, 'Server sent multiple responses to a unary call'));
          else resolve(answer);
        },
      });
    });
  }

  bidi(path: string, listener: StreamListener): ChannelStream {
    let over = false;
    const call = this.#call(path, undefined, undefined, {
      message: (m) => {
        if (!over) listener.data(m);
      },
      done: (err) => {
        if (over) return;
        over = true;
        if (err) listener.error(err);
        else listener.end();
      },
    });
    return {
      write: (m) => {
        if (!over) call.write(m);
      },
      cancel: () => call.cancel(),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const end of [...this.#calls]) end(channelError(Code.CANCELLED, 'Channel closed'));
    this.#session?.close();
    this.#session = undefined;
  }

  /**
   * Starts one call: sends `request` and ends the request side when given
   * (unary), else leaves it open for write(). Events reach `events` from
   * later turns only; done() once, after every message.
   */
  #call(path: string, deadline: number | undefined, request: Uint8Array | undefined, events: CallEvents): { write(m: Uint8Array): void; cancel(): void } {
    let finished = false;
    let session: ClientHttp2Session | undefined;
    let stream: ClientHttp2Stream | undefined;
    let timer: NodeJS.Timeout | undefined;
    /** Marks the call over; false if it already was. */
    const settle = (): boolean => {
      if (finished) return false;
      finished = true;
      if (timer) clearTimeout(timer);
      this.#calls.delete(end);
      if (this.#calls.size === 0) session?.unref();
      return true;
    };
    /** Ends the call from this side with `err` (the server sees a cancel), reported in a later turn. */
    const end = (err: ChannelError): void => {
      if (!settle()) return;
      if (stream && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      setImmediate(() => events.done(err));
    };
    this.#calls.add(end);

    const remaining = deadline === undefined ? undefined : deadline - Date.now();
    try {
      if (this.#closed) throw channelError(Code.UNAVAILABLE, 'Channel has been shut down', true);
      if (remaining !== undefined && remaining <= 0) throw channelError(Code.DEADLINE_EXCEEDED, 'Deadline exceeded');
      session = this.#connection();
    } catch (e) {
      end(e as ChannelError);
      return { write: () => {}, cancel: () => {} };
    }
    session.ref();
    const headers: Record<string, string> = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'kubeling-apiserver',
    };
    if (remaining !== undefined) headers['grpc-timeout'] = `${Math.min(Math.ceil(remaining), 99_999_999)}m`;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (e) {
      end(channelError(Code.UNAVAILABLE, e instanceof Error ? e.message : String(e), true));
      return { write: () => {}, cancel: () => {} };
    }
    if (remaining !== undefined) {
      const on = session;
      // past the deadline on a connection still being made (a member that does not answer): nothing was sent
      timer = setTimeout(() => end(channelError(Code.DEADLINE_EXCEEDED, 'Deadline exceeded', !this.#connected.has(on))), remaining);
    }

    const deframer = new Deframer();
    let status: ChannelError | null | undefined; // null: OK; undefined: not known yet
    /** Takes the first status the stream tells. */
    const decide = (s: ChannelError | null): void => {
      if (status === undefined) status = s;
    };
    const statusOf = (h: IncomingHttpHeaders): ChannelError | null | undefined => {
      const code = h['grpc-status'];
      if (code === undefined) return undefined;
      const n = Number(code);
      if (!Number.isInteger(n) || n < 0) return channelError(Code.UNKNOWN, `Invalid grpc-status ${String(code)}`);
      return n === 0 ? null : channelError(n, decodeMessage(h['grpc-message']));
    };
    stream.on('response', (h) => {
      const http = h[':status'] ?? 0;
      if (http !== 200) decide(channelError(httpStatusCode(http), `Received HTTP status code ${http}`));
      else if (!String(h['content-type'] ?? '').startsWith('application/grpc')) decide(channelError(Code.UNKNOWN, `Received a response of content-type ${String(h['content-type'])}`));
      else {
        const s = statusOf(h); // a trailers-only answer
        if (s !== undefined) decide(s);
      }
    });
    stream.on('trailers', (h) => {
      const s = statusOf(h);
      decide(s === undefined ? channelError(Code.UNKNOWN, 'Trailers without grpc-status') : s);
    });
    stream.on('data', (chunk: Buffer) => {
      if (finished || status) return; // an answer that is not gRPC's: its body is not messages
      const got = deframer.push(chunk);
      if (Array.isArray(got)) {
        for (const m of got) events.message(m);
      } else {
        end(got);
      }
    });
    let failed: Error | undefined; // the stream's error: its connection's, mostly
    stream.on('error', (e) => void (failed ??= e.cause instanceof Error ? e.cause : e));
    /** The server's side is over (its end, or the stream's close): the call is, with the status it told. */
    const over = (): void => {
      if (!settle()) return;
      if (status === undefined) status = this.#lost(session, failed, stream?.rstCode ?? constants.NGHTTP2_NO_ERROR);
      else if (status === null && deframer.partial) status = channelError(Code.INTERNAL, 'The stream ended inside a message');
      if (stream && !stream.closed && !stream.writableEnded) stream.close(constants.NGHTTP2_NO_ERROR); // our side of a stream the server ended (a watch's)
      events.done(status ?? undefined);
    };
    stream.on('end', over);
    stream.on('close', over);
    if (request) stream.end(frame(request));

    const s = stream;
    return {
      write: (m) => {
        if (!finished && !s.closed) s.write(frame(m));
      },
      cancel: () => end(channelError(Code.CANCELLED, 'Cancelled on client')),
    };
  }

  /** The status of a call whose stream closed without one: its connection failed or went, or the server reset it. */
  #lost(session: ClientHttp2Session | undefined, failed: Error | undefined, rst: number): ChannelError {
    // headers wait for the connection: on one that never connected, nothing was sent
    const connected = session !== undefined && this.#connected.has(session);
    if (!connected && this.#failure && this.#failure.until >= Date.now()) return this.#failure.error;
    // (a refused stream also reports an error: the reset's code says more)
    if (rst === constants.NGHTTP2_REFUSED_STREAM) return channelError(Code.UNAVAILABLE, 'Stream refused by server', true);
    if (failed) return channelError(Code.UNAVAILABLE, `${connected ? 'Connection lost' : 'No connection established. Last error'}: ${failed.message}`, !connected);
    if (!session || session.destroyed || session.closed) return channelError(Code.UNAVAILABLE, 'Connection dropped', !connected);
    if (rst === constants.NGHTTP2_CANCEL) return channelError(Code.CANCELLED, 'Call cancelled by the server');
    if (rst === constants.NGHTTP2_NO_ERROR) return channelError(Code.UNAVAILABLE, 'The stream ended without a status');
    return channelError(Code.UNAVAILABLE, `Stream reset with code ${rst}`);
  }

  /** The connection, opened now if there is none; throws UNAVAILABLE during the backoff after a failed one. */
  #connection(): ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    if (this.#failure && this.#failure.until > Date.now()) throw this.#failure.error;
    const session = connect(this.#authority, this.#options);
    this.#session = session;
    session.on('connect', () => {
      this.#connected.add(session);
      this.#failure = undefined;
      this.#backoffMs = INITIAL_BACKOFF_MS;
      session.setLocalWindowSize(CONNECTION_WINDOW);
    });
    const gone = (err?: Error): void => {
      if (this.#session === session) this.#session = undefined;
      if (!this.#connected.has(session) && err) {
        const error = channelError(Code.UNAVAILABLE, `No connection established. Last error: ${err.message}`, true);
        this.#failure = { error, until: Date.now() + this.#backoffMs };
        this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
      }
    };
    session.on('error', (err) => gone(err));
    session.on('goaway', () => gone());
    session.on('close', () => gone());
    return session;
  }
}
