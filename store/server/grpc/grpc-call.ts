/**
 * One gRPC call on one HTTP/2 stream, from request headers to trailers:
 * method lookup, deadline, request decoding, the handler, response frames,
 * and exactly one status (Trailers-Only when nothing was sent before it).
 *
 * invariant: once `#finished` is set nothing more is written, and the
 * handler's signal is aborted.
 */
import type { Http2ServerRequest, Http2ServerResponse, OutgoingHttpHeaders } from 'node:http2';
import type { Message } from './codec.js';
import { FrameDecoder, MessageReader, encodeFrame } from './framing.js';
import type { CallContext, Handlers, Registered, StreamCall } from './handlers.js';
import { metadataOf, requestPeer } from './handlers.js';
import { GrpcError, Status, cancelledError, deadlineError, encodeGrpcMessage, toGrpcError } from './status.js';

/** grpc-timeout units in milliseconds. */
const TIMEOUT_UNITS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
/** The reason a call's signal aborts with once its handler returned (one instance: a stack per call costs). */
const HANDLER_DONE = cancelledError();
/** The longest delay setTimeout takes; longer deadlines are not timed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parses a grpc-timeout header value to milliseconds; undefined if malformed. */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * TIMEOUT_UNITS[match[2]!]!;
}

/** A call in progress; the server tracks these to stop them on close. */
export class GrpcCall {
  readonly #controller = new AbortController();
  readonly #req: Http2ServerRequest;
  readonly #res: Http2ServerResponse;
  readonly #contentType: string;
  #finished = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    req: Http2ServerRequest,
    res: Http2ServerResponse,
    readonly path: string,
    private readonly handlers: Handlers,
    private readonly maxReceiveBytes: number,
  ) {
    this.#req = req;
    this.#res = res;
    this.#contentType = req.headers['content-type'] === 'application/grpc+proto' ? 'application/grpc+proto' : 'application/grpc';
    res.on('close', () => {
      if (this.#finished) return;
      this.#finished = true; // the stream is gone: nothing to write
      this.#end(cancelledError());
    });
  }

  /** Runs the call to its end; never rejects. `onDone` fires once the status is out. */
  async run(onDone: () => void): Promise<void> {
    this.#controller.signal.addEventListener('abort', onDone, { once: true });
    try {
      await this.#serve();
      this.finish();
    } catch (err) {
      this.finish(toGrpcError(err));
    }
  }

  /** Ends the call with OK (no argument) or `err`; later calls are no-ops. */
  finish(err?: GrpcError): void {
    if (this.#finished) return;
    this.#finished = true;
    const res = this.#res;
    if (!res.stream.destroyed && !res.stream.closed) {
      const trailers: OutgoingHttpHeaders = { 'grpc-status': String(err?.code ?? Status.OK) };
      if (err && err.message !== '') trailers['grpc-message'] = encodeGrpcMessage(err.message);
      if (res.headersSent) {
        res.addTrailers(trailers);
        res.end();
      } else {
        // Trailers-Only: one HEADERS frame with END_STREAM, which the compat
        // API's writeHead + end does not produce (it sends END_STREAM apart)
        res.stream.respond({ ':status': 200, 'content-type': this.#contentType, ...trailers }, { endStream: true });
      }
    }
    this.#end(err ?? HANDLER_DONE); // grpc-go cancels the context once the handler returned
  }

  #end(reason: GrpcError): void {
    clearTimeout(this.#timer);
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  async #serve(): Promise<void> {
    const registered = this.handlers.lookup(this.path);
    if (!registered) throw this.handlers.unimplemented(this.path);
    const deadline = this.#deadline();
    const encoding = this.#req.headers['grpc-encoding'];
    const reader = new MessageReader(this.#req, new FrameDecoder(this.maxReceiveBytes, typeof encoding === 'string' ? encoding : undefined));
    this.#controller.signal.addEventListener('abort', () => reader.fail(this.#controller.signal.reason as GrpcError), { once: true });
    const ctx: CallContext = {
      method: registered.method,
      signal: this.#controller.signal,
      metadata: metadataOf(this.#req.headers),
      deadline,
      peer: requestPeer(this.#req),
      transport: 'grpc',
    };
    await this.#dispatch(registered, reader, ctx);
  }

  async #dispatch(registered: Registered, reader: MessageReader, ctx: CallContext): Promise<void> {
    const call: StreamCall = { ...ctx, send: (response) => this.#send(registered, response) };
    switch (registered.kind) {
      case 'unary': {
        const request = await this.#single(registered, reader);
        const response = await registered.fn(request, ctx);
        await this.#send(registered, response);
        return;
      }
      case 'serverStream':
        return registered.fn(await this.#single(registered, reader), call);
      case 'bidi':
        return registered.fn(this.#requests(registered, reader), call);
    }
  }

  /** The request of a unary or server-streaming call: the first message. */
  async #single(registered: Registered, reader: MessageReader): Promise<Message> {
    const message = await reader.next();
    if (message === null) throw new GrpcError(Status.INTERNAL, 'grpc: the client sent no request message');
    return this.handlers.codec.decode(registered.method.request, message);
  }

  async *#requests(registered: Registered, reader: MessageReader): AsyncGenerator<Message> {
    for (;;) {
      let message: Uint8Array | null;
      let decoded: Message;
      try {
        message = await reader.next();
        if (message === null) return;
        decoded = this.handlers.codec.decode(registered.method.request, message);
      } catch (err) {
        const status = toGrpcError(err);
        this.finish(status); // a bad request stream ends the call even if the handler catches
        throw status;
      }
      yield decoded;
    }
  }

  async #send(registered: Registered, response: object): Promise<void> {
    if (this.#finished) throw this.#controller.signal.reason as GrpcError;
    const frame = encodeFrame(this.handlers.codec.encode(registered.method.response, response));
    const res = this.#res;
    if (!res.headersSent) res.writeHead(200, { 'content-type': this.#contentType, 'grpc-accept-encoding': 'identity' });
    if (res.write(frame)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
    if (this.#finished && this.#res.stream.destroyed) throw this.#controller.signal.reason as GrpcError;
  }

  #deadline(): number | undefined {
    const header = this.#req.headers['grpc-timeout'];
    if (typeof header !== 'string') return undefined;
    const ms = parseGrpcTimeout(header);
    if (ms === undefined) throw new GrpcError(Status.INTERNAL, `transport: malformed grpc-timeout: ${JSON.stringify(header)}`);
    if (ms <= MAX_TIMER_MS) this.#timer = setTimeout(() => this.finish(deadlineError()), ms);
    return Date.now() + ms;
  }
}
