/**
 * One gRPC call on one HTTP/2 stream (h2/connection.ts), from request
 * headers to trailers: method lookup, deadline, request decoding, the
 * handler, response frames, and exactly one status (Trailers-Only when
 * nothing was sent before it).
 *
 * invariant: once `#finished` is set nothing more is written, and the
 * handler's signal is aborted (it is made only if the handler asks for it:
 * an AbortController per call costs more than the rest of a small call).
 */
import type { Message, MethodInfo } from './codec.js';
import { FrameDecoder, MessageReader, encodeFrame } from './framing.js';
import type { H2Stream, RequestHeaders } from './h2/connection.js';
import type { HeaderField } from './h2/hpack.js';
import type { Handlers, PeerInfo, Registered, StreamCall } from './handlers.js';
import { metadataOf } from './handlers.js';
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

/** The context a handler sees: metadata, peer and signal made when first read. */
class Context implements StreamCall {
  readonly transport = 'grpc';
  #metadata: Record<string, string> | undefined;
  #peer: PeerInfo | undefined;

  constructor(
    readonly method: MethodInfo,
    readonly deadline: number | undefined,
    private readonly call: GrpcCall,
    private readonly headers: RequestHeaders,
    private readonly peerOf: () => PeerInfo,
    readonly send: (response: object) => Promise<void>,
  ) {}

  get signal(): AbortSignal {
    return this.call.signal;
  }

  get metadata(): Readonly<Record<string, string>> {
    return (this.#metadata ??= metadataOf(this.headers));
  }

  get peer(): PeerInfo {
    return (this.#peer ??= this.peerOf());
  }
}

/** A call in progress; the server tracks these to stop them on close. */
export class GrpcCall {
  readonly #stream: H2Stream;
  readonly #contentType: string;
  #controller: AbortController | undefined;
  /** Why the call is over, once it is. */
  #reason: GrpcError | undefined;
  readonly #reader: MessageReader;
  #onDone: (() => void) | undefined;
  #finished = false;
  #timer: NodeJS.Timeout | undefined;
  /** A send() waiting for the stream to drain: woken when the call ends too. */
  #wakeWriter: (() => void) | undefined;

  constructor(
    stream: H2Stream,
    readonly path: string,
    private readonly handlers: Handlers,
    private readonly maxReceiveBytes: number,
    private readonly peerOf: () => PeerInfo,
  ) {
    this.#stream = stream;
    const headers = stream.headers;
    this.#contentType = headers['content-type'] === 'application/grpc+proto' ? 'application/grpc+proto' : 'application/grpc';
    // the request body is read from the start: bytes wait in the reader until the handler asks
    const encoding = headers['grpc-encoding'];
    this.#reader = new MessageReader(new FrameDecoder(maxReceiveBytes, encoding), (bytes) => stream.consumed(bytes));
    stream.onData = (chunk) => this.#reader.push(chunk);
    stream.onEnd = () => this.#reader.end();
    stream.onClose = () => {
      if (this.#finished) return;
      this.#finished = true; // the stream is gone: nothing to write
      this.#end(cancelledError());
    };
  }

  /** Aborted once the call is over; made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Runs the call to its end; never rejects. `onDone` fires once the status is out. */
  async run(onDone: () => void): Promise<void> {
    this.#onDone = onDone;
    if (this.#reason) onDone();
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
    const stream = this.#stream;
    if (!stream.closed) {
      const trailers: HeaderField[] = [['grpc-status', String(err?.code ?? Status.OK)]];
      if (err && err.message !== '') trailers.push(['grpc-message', encodeGrpcMessage(err.message)]);
      if (stream.responded) stream.end(trailers);
      else stream.respond([[':status', '200'], ['content-type', this.#contentType], ...trailers], true); // Trailers-Only
    }
    this.#end(err ?? HANDLER_DONE); // grpc-go cancels the context once the handler returned
  }

  #end(reason: GrpcError): void {
    if (this.#reason) return;
    this.#reason = reason;
    clearTimeout(this.#timer);
    this.#wakeWriter?.();
    this.#reader.fail(reason);
    this.#controller?.abort(reason);
    this.#onDone?.();
  }

  async #serve(): Promise<void> {
    const registered = this.handlers.lookup(this.path);
    if (!registered) throw this.handlers.unimplemented(this.path);
    const deadline = this.#deadline();
    const reader = this.#reader;
    const ctx = new Context(registered.method, deadline, this, this.#stream.headers, this.peerOf, (response) => this.#send(registered, response));
    await this.#dispatch(registered, reader, ctx);
  }

  async #dispatch(registered: Registered, reader: MessageReader, ctx: Context): Promise<void> {
    switch (registered.kind) {
      case 'unary': {
        const request = await this.#single(registered, reader);
        const response = await registered.fn(request, ctx);
        await this.#send(registered, response);
        return;
      }
      case 'serverStream':
        return registered.fn(await this.#single(registered, reader), ctx);
      case 'bidi':
        return registered.fn(this.#requests(registered, reader), ctx);
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
    if (this.#finished) throw this.#reason ?? cancelledError();
    const frame = encodeFrame(this.handlers.codec.encode(registered.method.response, response));
    const stream = this.#stream;
    if (!stream.responded) stream.respond([[':status', '200'], ['content-type', this.#contentType], ['grpc-accept-encoding', 'identity']]);
    if (stream.write(frame)) return;
    await new Promise<void>((resolve) => {
      stream.onDrain = resolve;
      this.#wakeWriter = resolve;
    });
    if (this.#finished && stream.closed) throw this.#reason ?? cancelledError();
  }

  #deadline(): number | undefined {
    const header = this.#stream.headers['grpc-timeout'];
    if (typeof header !== 'string') return undefined;
    const ms = parseGrpcTimeout(header);
    if (ms === undefined) throw new GrpcError(Status.INTERNAL, `transport: malformed grpc-timeout: ${JSON.stringify(header)}`);
    if (ms <= MAX_TIMER_MS) this.#timer = setTimeout(() => this.finish(deadlineError()), ms);
    return Date.now() + ms;
  }
}
