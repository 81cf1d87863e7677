/**
 * gRPC message framing (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"):
 * 1 byte compressed flag, 4 bytes big-endian length, then the message.
 * The decoder enforces the receive limit before buffering a message and
 * refuses compressed messages (this server installs no decompressor).
 */
import { GrpcError, Status } from './status.js';

/** etcd's receive limit: --max-request-bytes (1.5 MiB) plus 512 KiB of gRPC overhead. */
export const DEFAULT_MAX_RECEIVE_BYTES = 1.5 * 1024 * 1024 + 512 * 1024;

/** Prefixes `message` with its 5-byte frame header (uncompressed). */
export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Splits a byte stream into messages. Errors are GrpcErrors with grpc-go's status and message. */
export class FrameDecoder {
  #buffered: Buffer[] = [];
  #size = 0;

  /**
   * @param maxBytes the largest message accepted (RESOURCE_EXHAUSTED beyond)
   * @param encoding the request's grpc-encoding header, for the compressed-flag error
   */
  constructor(
    readonly maxBytes: number = DEFAULT_MAX_RECEIVE_BYTES,
    readonly encoding: string | undefined = undefined,
  ) {}

  /** Adds bytes; returns the messages now complete, in order. */
  push(chunk: Buffer): Uint8Array[] {
    this.#buffered.push(chunk);
    this.#size += chunk.length;
    const out: Uint8Array[] = [];
    while (this.#size >= 5) {
      const head = this.#peek(5);
      const flag = head[0]!;
      const length = head.readUInt32BE(1);
      this.#check(flag, length);
      if (this.#size < 5 + length) break;
      const all = this.#take(5 + length);
      out.push(all.subarray(5));
    }
    return out;
  }

  /** Call at end of stream: throws if a message was cut short. */
  end(): void {
    if (this.#size > 0) throw new GrpcError(Status.INTERNAL, 'grpc: request stream ended inside a message (unexpected EOF)');
  }

  #check(flag: number, length: number): void {
    if (flag === 1) {
      const enc = this.encoding;
      if (enc === undefined || enc === '' || enc === 'identity') {
        throw new GrpcError(Status.INTERNAL, 'grpc: compressed flag set with identity or empty encoding');
      }
      throw new GrpcError(Status.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(enc)}`);
    }
    if (flag !== 0) throw new GrpcError(Status.INTERNAL, `grpc: received unexpected payload format ${flag}`);
    if (length > this.maxBytes) {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${length} vs. ${this.maxBytes})`);
    }
  }

  #peek(n: number): Buffer {
    if (this.#buffered[0]!.length < n) this.#buffered = [Buffer.concat(this.#buffered)];
    return this.#buffered[0]!;
  }

  #take(n: number): Buffer {
    const all = this.#buffered.length === 1 ? this.#buffered[0]! : Buffer.concat(this.#buffered);
    const rest = all.subarray(n);
    this.#buffered = rest.length > 0 ? [rest] : [];
    this.#size -= n;
    return all.subarray(0, n);
  }
}

/**
 * The messages of a request body, one at a time: the transport pushes
 * bytes in (push, end) and the call takes messages out (next).
 */
export class MessageReader {
  readonly #queue: Uint8Array[] = [];
  #error: GrpcError | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  /** Bytes pushed but not yet passed to `credit`. */
  #uncredited = 0;

  /**
   * @param credit told of bytes the client may replace (the transport's flow
   * control): at once while no complete message waits (a message being
   * assembled is bounded by the decoder's limit), else once the waiting
   * messages are taken, so a handler that does not read stops the client
   */
  constructor(
    readonly decoder: FrameDecoder,
    private readonly credit: (bytes: number) => void = () => {},
  ) {}

  /** Request body bytes. */
  push(chunk: Buffer): void {
    if (this.#error) return;
    this.#uncredited += chunk.length;
    try {
      for (const m of this.decoder.push(chunk)) this.#queue.push(m);
    } catch (err) {
      this.#error = err as GrpcError;
    }
    if (this.#queue.length === 0) this.#giveCredit();
    this.#notify();
  }

  #giveCredit(): void {
    const n = this.#uncredited;
    this.#uncredited = 0;
    if (n > 0) this.credit(n);
  }

  /** The client finished its side. */
  end(): void {
    try {
      this.decoder.end();
    } catch (err) {
      this.#error ??= err as GrpcError;
    }
    this.#ended = true;
    this.#notify();
  }

  /** Makes every later next() throw `err` (the call is over). */
  fail(err: GrpcError): void {
    this.#error ??= err;
    this.#notify();
  }

  /** The next message in order, or null once the client half-closed; then throws the stream's GrpcError, if any. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      const message = this.#queue.shift();
      if (message) {
        if (this.#queue.length === 0) this.#giveCredit();
        return message;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
