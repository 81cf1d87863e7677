/**
 * One gateway request, from JSON body to JSON answer (see gateway.ts for
 * the wire format). Two phases, as in etcd: decoding the body (errors
 * answer 400 code 3, or 500 code 2 for the first message of a bidi
 * stream, without trailers), then the call (errors answer with the
 * status's HTTP code and the Grpc-Trailer-Content-Type trailer, or as an
 * error line ending a stream).
 *
 * invariant: once `#finished` is set nothing more is written, and the
 * handler's signal is aborted by the time run() returns.
 */
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import type { Message, MethodInfo } from './codec.js';
import type { HttpRequest, HttpResponse } from './gateway.js';
import { messageFromJson, messageToJson } from './gateway-json.js';
import type { JsonValue } from './go-json.js';
import { GoJsonError, decodeNext, goQuote } from './go-json.js';
import { parseGrpcTimeout } from './grpc-call.js';
import type { CallContext, Handlers, Registered, StreamCall } from './handlers.js';
import { requestPeer } from './handlers.js';
import { GrpcError, Status, cancelledError, deadlineError, httpStatusOf, toGrpcError } from './status.js';

const STREAM_HEADERS = { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc' };
/** JSON may be larger than its protobuf (base64, field names): the body limit is this many times the message limit. */
const JSON_OVERHEAD = 4;

/** The error body of a failed unary call (grpc-gateway's errorBody, zero fields left out). */
export function errorJson(err: GrpcError): string {
  const parts: string[] = [];
  if (err.message !== '') parts.push(`"error":${goQuote(err.message)}`, `"message":${goQuote(err.message)}`);
  if (err.code !== Status.OK) parts.push(`"code":${err.code}`);
  return `{${parts.join(',')}}`;
}

/** The error line that ends a stream (grpc-gateway's StreamError, zero fields left out). */
export function streamErrorJson(err: GrpcError): string {
  const http = httpStatusOf(err.code);
  const parts = [`"grpc_code":${err.code}`, `"http_code":${http}`];
  if (err.message !== '') parts.push(`"message":${goQuote(err.message)}`);
  parts.push(`"http_status":${goQuote(STATUS_CODES[http] ?? '')}`);
  return `{"error":{${parts.join(',')}}}`;
}

/** Metadata a gateway call carries, as grpc-gateway forwards it: Authorization, and Grpc-Metadata-* headers unprefixed. */
export function gatewayMetadata(headers: HttpRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    if (k === 'authorization') out[k] = value;
    else if (k.startsWith('grpc-metadata-')) out[k.slice('grpc-metadata-'.length)] = value;
  }
  return out;
}

/** A gateway request in progress. */
export class GatewayCall {
  readonly #controller = new AbortController();
  readonly #reader: JsonBodyReader;
  #finished = false;
  #wroteHeader = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly req: HttpRequest,
    private readonly res: HttpResponse,
    private readonly method: MethodInfo,
    private readonly handlers: Handlers,
    private readonly maxBytes: number,
  ) {
    this.#reader = new JsonBodyReader(req as Readable, maxBytes * JSON_OVERHEAD);
    res.on('close', () => {
      if (this.#finished) return;
      this.#finished = true; // the client went away
      this.#abort(cancelledError());
    });
  }

  /** Serves the request to its end; never rejects. */
  async run(): Promise<void> {
    try {
      const timeout = this.req.headers['grpc-timeout'];
      const ms = typeof timeout === 'string' ? parseGrpcTimeout(timeout) : undefined;
      if (ms !== undefined && ms < 2 ** 31) this.#timer = setTimeout(() => this.#expire(), ms);
      if (this.method.requestStream) await this.#bidi();
      else await this.#single();
    } catch (err) {
      this.#fail(toGrpcError(err));
    } finally {
      this.#abort(cancelledError());
    }
  }

  /** Unary and server-streaming: one request, decoded before the call. */
  async #single(): Promise<void> {
    let request: Message;
    try {
      const value = await this.#reader.next(true);
      request = value === null ? {} : messageFromJson(this.method.request, value);
    } catch (err) {
      return this.#writeError(decodeError(err, Status.INVALID_ARGUMENT), false);
    }
    try {
      const registered = this.#lookup();
      const decoded = this.#normalize(request);
      if (registered.kind === 'unary') {
        const json = this.#toJson(await registered.fn(decoded, this.#context(registered)));
        if (this.#finished) return;
        this.#finished = true;
        this.res.writeHead(200, { ...STREAM_HEADERS, 'Content-Length': Buffer.byteLength(json) });
        this.res.end(json);
      } else if (registered.kind === 'serverStream') {
        await registered.fn(decoded, this.#streamCall(registered));
        this.#endStream();
      }
    } catch (err) {
      this.#fail(toGrpcError(err));
    }
  }

  async #bidi(): Promise<void> {
    let first: Message | null;
    try {
      const value = await this.#reader.next(false);
      first = value === null ? null : messageFromJson(this.method.request, value);
    } catch (err) {
      return this.#writeError(decodeError(err, Status.UNKNOWN), false);
    }
    const registered = this.#lookup();
    if (registered.kind !== 'bidi') throw new GrpcError(Status.INTERNAL, `${this.method.path} is not bidirectional`);
    await registered.fn(this.#requests(first), this.#streamCall(registered));
    this.#endStream();
  }

  /** The request stream: the first message, then each later one; a bad one half-closes it, as in etcd. */
  async *#requests(first: Message | null): AsyncGenerator<Message> {
    let next = first;
    while (next !== null) {
      let decoded: Message;
      try {
        decoded = this.#normalize(next);
      } catch {
        return;
      }
      yield decoded;
      try {
        const value = await this.#reader.next(false);
        next = value === null ? null : messageFromJson(this.method.request, value);
      } catch {
        return;
      }
    }
  }

  #lookup(): Registered {
    const registered = this.handlers.lookup(this.method.path);
    if (!registered) throw this.handlers.unimplemented(this.method.path);
    return registered;
  }

  /** Through protobuf and back: the receive limit applies, and the handler gets what gRPC would give it. */
  #normalize(request: Message): Message {
    const wire = this.handlers.codec.encode(this.method.request, request);
    if (wire.length > this.maxBytes) {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${wire.length} vs. ${this.maxBytes})`);
    }
    return this.handlers.codec.decode(this.method.request, wire);
  }

  #toJson(response: object): string {
    const codec = this.handlers.codec;
    return messageToJson(this.method.response, codec.decode(this.method.response, codec.encode(this.method.response, response)));
  }

  #context(registered: Registered): CallContext {
    const ms = typeof this.req.headers['grpc-timeout'] === 'string' ? parseGrpcTimeout(this.req.headers['grpc-timeout']) : undefined;
    return {
      method: registered.method,
      signal: this.#controller.signal,
      metadata: gatewayMetadata(this.req.headers),
      deadline: ms === undefined ? undefined : Date.now() + ms,
      peer: requestPeer(this.req as Parameters<typeof requestPeer>[0]),
      transport: 'gateway',
    };
  }

  #streamCall(registered: Registered): StreamCall {
    return { ...this.#context(registered), send: (response) => this.#send(response) };
  }

  async #send(response: object): Promise<void> {
    if (this.#finished) throw this.#controller.signal.reason as GrpcError;
    const line = `{"result":${this.#toJson(response)}}\n`;
    if (!this.#wroteHeader) {
      this.#wroteHeader = true;
      this.res.writeHead(200, STREAM_HEADERS);
    }
    if ((this.res as NodeJS.WritableStream).write(line)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  #endStream(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#wroteHeader) this.res.writeHead(200, STREAM_HEADERS);
    this.res.end();
  }

  /** Ends the call with `err`, in the form its method and progress call for. */
  #fail(err: GrpcError): void {
    if (this.method.responseStream) this.#streamError(err);
    else this.#writeError(err, true);
  }

  #streamError(err: GrpcError): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#wroteHeader) this.res.writeHead(httpStatusOf(err.code), STREAM_HEADERS);
    this.res.end(streamErrorJson(err));
    this.#abort(err);
  }

  #writeError(err: GrpcError, afterCall: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    const body = errorJson(err);
    const status = httpStatusOf(err.code);
    if (afterCall) {
      this.res.writeHead(status, { 'Content-Type': 'application/json', Trailer: 'Grpc-Trailer-Content-Type' });
      (this.res as NodeJS.WritableStream).write(body);
      this.res.addTrailers({ 'Grpc-Trailer-Content-Type': 'application/grpc' });
      this.res.end();
    } else {
      this.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      this.res.end(body);
    }
    this.#abort(err);
  }

  #expire(): void {
    const err = deadlineError();
    this.#fail(err);
    this.#abort(err);
  }

  #abort(reason: GrpcError): void {
    clearTimeout(this.#timer);
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    this.#reader.fail(reason);
  }
}

/** A body-phase error as the status etcd's gateway answers it with. */
function decodeError(err: unknown, code: Status): GrpcError {
  if (err instanceof GoJsonError) return new GrpcError(code, err.message);
  return toGrpcError(err);
}

/** Reads JSON values from a request body as they complete (Go's json.Decoder over the body). */
class JsonBodyReader {
  #buf: Buffer = Buffer.alloc(0);
  #ended = false;
  #error: GrpcError | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly body: Readable,
    private readonly limit: number,
  ) {
    body.on('data', (chunk: Buffer) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      if (this.#buf.length > limit) {
        this.#error ??= new GrpcError(Status.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${this.#buf.length} vs. ${limit})`);
      }
      body.pause();
      this.#notify();
    });
    body.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    body.on('close', () => {
      if (!this.#ended) this.fail(cancelledError());
    });
  }

  /** Makes later reads throw `err`. */
  fail(err: GrpcError): void {
    this.#error ??= err;
    this.#notify();
  }

  /**
   * The next JSON value, or null at the end of the body. `whole`: wait for
   * the end of the body first (one parse instead of one per chunk).
   * Throws GoJsonError on bad JSON ("unexpected EOF" if cut short).
   */
  async next(whole: boolean): Promise<JsonValue | null> {
    for (;;) {
      if (this.#error) throw this.#error;
      if (!whole || this.#ended) {
        const r = decodeNext(this.#buf, 0, this.#ended);
        if (typeof r === 'object') {
          this.#buf = this.#buf.subarray(r.end);
          return r.value;
        }
        if (this.#ended) {
          if (r === 'eof') return null;
          throw new GoJsonError('unexpected EOF');
        }
      }
      this.body.resume();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
