/**
 * The in-process channel: a member's handler table (handlers.ts) called
 * straight from the same process, for the all-in-one mode where the API
 * server runs the store itself. Requests and responses still cross as
 * protobuf bytes (decoded and encoded with the table's codec), so a caller
 * sees what a gRPC client would: the same messages, and failures as the
 * same status code and message (a handler's GrpcError, UNIMPLEMENTED for an
 * unknown method, RESOURCE_EXHAUSTED for a request over the server's limit,
 * DEADLINE_EXCEEDED and CANCELLED as grpc-go's contexts name them).
 *
 * It is structurally the API server's EtcdChannel (apiserver/storage/
 * channel.ts); store/ may not import apiserver/, so the types are restated
 * here and cli/ joins the two.
 *
 * Ordering: a stream's responses reach the listener in the order the
 * handler sent them, each in a later microtask than the send() (never from
 * inside write(), cancel() or the handler's send); send() resolves once its
 * message was delivered, which is the back-pressure a slow listener exerts.
 */
import type { Message, MessageInfo, MethodInfo } from './codec.js';
import { DEFAULT_MAX_RECEIVE_BYTES } from './framing.js';
import type { Handlers, PeerInfo, Registered, StreamCall } from './handlers.js';
import { GrpcError, Status, cancelledError, deadlineError, toGrpcError } from './status.js';

/** A failed call as a gRPC client reports it: the code, the server's message as details. */
export interface InProcessError extends Error {
  readonly code: Status;
  readonly details: string;
}

/** What a stream reports: data in order, then one error or one end. */
export interface InProcessListener {
  data(message: Uint8Array): void;
  error(err: InProcessError): void;
  end(): void;
}

/** A bidirectional call in progress. */
export interface InProcessStream {
  /** Sends a request message; ignored once the call is over. */
  write(message: Uint8Array): void;
  /** Cancels: the handler's signal aborts with CANCELLED, its requests end, the listener gets error(CANCELLED). */
  cancel(): void;
}

/** The channel: apiserver/storage/channel.ts's EtcdChannel, structurally. */
export interface InProcessChannel {
  /** A unary call; rejects with an InProcessError. `deadline` is epoch ms. */
  unary(path: string, request: Uint8Array, deadline: number): Promise<Uint8Array>;
  /** A bidirectional call reporting to `listener`. */
  bidi(path: string, listener: InProcessListener): InProcessStream;
  /** Ends every call in progress with CANCELLED; later calls fail alike. */
  close(): void;
}

/** Options of inProcessChannel. */
export interface InProcessOptions {
  /** The largest request message accepted, as GrpcServer's option; default the same. */
  readonly maxReceiveMessageBytes?: number;
}

/** Who an in-process call comes from. */
export const IN_PROCESS_PEER: PeerInfo = Object.freeze({ address: 'in-process', port: 0 });
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});
/** The reason a call's signal aborts with once its handler returned (grpc-go cancels the context then). */
const HANDLER_DONE = cancelledError();
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A unary call's send(): there is nothing to stream. */
const noSend = (): Promise<void> => Promise.reject(new GrpcError(Status.INTERNAL, 'send() on a unary call'));

/** A GrpcError as a gRPC client's error: message "<code> <NAME>: <details>", as @grpc/grpc-js words it. */
export function clientError(err: GrpcError): InProcessError {
  return Object.assign(new Error(`${err.code} ${Status[err.code] ?? 'UNKNOWN'}: ${err.message}`), { code: err.code, details: err.message });
}

/** The error of calls on a closed channel, and of calls a close() ends (grpc-go's ErrClientConnClosing). */
function closingError(): GrpcError {
  return new GrpcError(Status.CANCELLED, 'grpc: the client connection is closing');
}

/** A call the channel can end from outside (close()). */
interface Abortable {
  abort(err: GrpcError): void;
}

/** Creates the channel over `handlers`; see the module comment. */
export function inProcessChannel(handlers: Handlers, opts: InProcessOptions = {}): InProcessChannel {
  const maxBytes = opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  const calls = new Set<Abortable>();
  let closed = false;

  /** The registered handler of `path` if it is of `kind`; else the status a server answers. */
  const find = <K extends Registered['kind']>(path: string, kind: K): Extract<Registered, { kind: K }> => {
    if (closed) throw closingError();
    const registered = handlers.lookup(path);
    if (!registered) throw handlers.unimplemented(path);
    if (registered.kind !== kind) throw new GrpcError(Status.INTERNAL, `in-process: ${path} is a ${registered.kind} method, not ${kind}`);
    return registered as Extract<Registered, { kind: K }>;
  };
  const decode = (method: MethodInfo, message: Uint8Array): Message => {
    if (message.byteLength > maxBytes) {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${message.byteLength} vs. ${maxBytes})`);
    }
    return handlers.codec.decode(method.request, message);
  };

  return {
    unary(path, request, deadline) {
      let registered: Extract<Registered, { kind: 'unary' }>;
      let decoded: Message;
      try {
        registered = find(path, 'unary');
        decoded = decode(registered.method, request);
      } catch (err) {
        return Promise.reject(clientError(toGrpcError(err)));
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        const call = new Call(registered.method, deadline);
        const entry: Abortable = { abort: (err) => call.finish(err) };
        call.onEnd = (err) => {
          calls.delete(entry);
          if (err) reject(clientError(err));
        };
        calls.add(entry);
        const left = deadline - Date.now();
        if (left <= 0) return call.finish(deadlineError());
        if (left <= MAX_TIMER_MS) call.timer = setTimeout(() => call.finish(deadlineError()), left);
        (async () => handlers.codec.encode(registered.method.response, await registered.fn(decoded, call)))().then(
          (bytes) => {
            if (call.over) return;
            call.finish();
            resolve(bytes);
          },
          (err: unknown) => call.finish(toGrpcError(err)),
        );
      });
    },

    bidi(path, listener) {
      let registered: Extract<Registered, { kind: 'bidi' }>;
      try {
        registered = find(path, 'bidi');
      } catch (err) {
        queueMicrotask(() => listener.error(clientError(toGrpcError(err))));
        return { write: () => {}, cancel: () => {} };
      }
      const stream = new BidiCall(registered, listener, decode, handlers.codec.encode.bind(handlers.codec));
      calls.add(stream);
      stream.onOver = () => calls.delete(stream);
      stream.start();
      return stream;
    },

    close() {
      if (closed) return;
      closed = true;
      for (const c of [...calls]) c.abort(closingError());
      calls.clear();
    },
  };
}

/**
 * One call's context as its handler sees it, and its end: `finish()` once,
 * with no error (OK) or the status; the signal is made on first use (an
 * AbortController costs more than the rest of a small call).
 * invariant: once `over` is set the signal (if made) is aborted and onEnd ran once.
 */
class Call implements StreamCall {
  readonly transport = 'in-process';
  readonly metadata = NO_METADATA;
  readonly peer = IN_PROCESS_PEER;
  over = false;
  timer: NodeJS.Timeout | undefined;
  /** Told the end: undefined for OK. */
  onEnd: (err: GrpcError | undefined) => void = () => {};
  #controller: AbortController | undefined;
  #reason: GrpcError | undefined;

  constructor(
    readonly method: MethodInfo,
    readonly deadline: number | undefined,
    readonly send: (response: object) => Promise<void> = noSend,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why the call is over, once it is. */
  get reason(): GrpcError | undefined {
    return this.#reason;
  }

  /** Ends the call with OK (no argument) or `err` (what the handler's signal carries); later calls are no-ops. */
  finish(err?: GrpcError): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.timer);
    this.#reason = err ?? HANDLER_DONE;
    this.#controller?.abort(this.#reason);
    this.onEnd(err);
  }
}

/** A response on its way to the listener, or the call's end. */
type Outgoing = { data: Uint8Array; sent: (ok: boolean) => void } | { error: GrpcError } | { end: true };

/** A bidirectional call: requests queued for the handler's iterator, responses queued for the listener. */
class BidiCall implements InProcessStream, Abortable {
  readonly call: Call;
  onOver: () => void = () => {};
  readonly #requests = new RequestQueue();
  /** Responses and the final status, delivered in order by #drain. */
  readonly #out: Outgoing[] = [];
  #draining = false;
  /** Set once the listener was told the end: nothing more reaches it. */
  #told = false;

  constructor(
    private readonly registered: Extract<Registered, { kind: 'bidi' }>,
    private readonly listener: InProcessListener,
    private readonly decode: (method: MethodInfo, message: Uint8Array) => Message,
    private readonly encode: (type: MessageInfo, value: object) => Uint8Array,
  ) {
    this.call = new Call(registered.method, undefined, (response) => this.#send(response));
    this.call.onEnd = (err) => {
      this.#requests.end();
      this.#queue(err ? { error: err } : { end: true });
      this.onOver();
    };
  }

  /** Runs the handler, from a later microtask. */
  start(): void {
    queueMicrotask(() => {
      if (this.call.over) return;
      this.registered.fn(this.#requests, this.call).then(
        () => this.call.finish(),
        (err: unknown) => this.call.finish(toGrpcError(err)),
      );
    });
  }

  write(message: Uint8Array): void {
    if (this.call.over) return;
    try {
      this.#requests.push(this.decode(this.registered.method, message));
    } catch (err) {
      this.call.finish(toGrpcError(err)); // a bad request stream ends the call, as on the server
    }
  }

  cancel(): void {
    this.#abandon(cancelledError(), new GrpcError(Status.CANCELLED, 'Cancelled on client'));
  }

  abort(err: GrpcError): void {
    this.#abandon(err, err);
  }

  /** Ends the call from the client's side: responses not yet delivered are dropped (their send() rejects), the listener gets `told`. */
  #abandon(reason: GrpcError, told: GrpcError): void {
    if (this.call.over) return;
    for (const item of this.#out.splice(0)) if ('sent' in item) item.sent(false);
    this.call.onEnd = () => {
      this.#requests.end();
      this.#queue({ error: told });
      this.onOver();
    };
    this.call.finish(reason);
  }

  #send(response: object): Promise<void> {
    if (this.call.over) return Promise.reject(this.call.reason ?? cancelledError());
    const data = this.encode(this.registered.method.response, response);
    return new Promise((resolve, reject) => {
      this.#queue({ data, sent: (ok) => (ok ? resolve() : reject(this.call.reason ?? cancelledError())) });
    });
  }

  #queue(item: Outgoing): void {
    this.#out.push(item);
    if (this.#draining) return;
    this.#draining = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#draining = false;
    while (!this.#told) {
      const item = this.#out.shift();
      if (!item) return;
      if ('data' in item) {
        item.sent(true);
        this.listener.data(item.data);
      } else {
        this.#told = true;
        if ('error' in item) this.listener.error(clientError(item.error));
        else this.listener.end();
      }
    }
  }
}
/** The handler's request iterator: messages written, until the call ends. */
class RequestQueue implements AsyncIterable<Message> {
  readonly #items: Message[] = [];
  #ended = false;
  #waiter: ((r: IteratorResult<Message>) => void) | undefined;

  push(m: Message): void {
    if (this.#ended) return;
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w) w({ value: m, done: false });
    else this.#items.push(m);
  }

  end(): void {
    this.#ended = true;
    this.#items.length = 0;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return {
      next: () => {
        const m = this.#items.shift();
        if (m !== undefined) return Promise.resolve({ value: m, done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiter = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
