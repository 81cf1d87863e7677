/**
 * The server side of one HTTP/2 connection (RFC 9113), written for gRPC:
 * frames in and out of a socket (or a TLS socket that negotiated h2), HPACK
 * (hpack.ts), stream states, and flow control both ways.
 *
 * Why not node:http2: its C++ engine (nghttp2) resets every stream whose
 * :authority has a byte outside RFC 3986's authority characters, and etcd's
 * own clients send such values (etcdctl 3.4's maintenance calls send
 * "http://host:port"; clientv3 3.5.0-3.5.9 send "#initially=[...]",
 * etcd-io/etcd#13192), which grpc-go servers accept; and its layers (the
 * engine, its JavaScript streams, a filter in front to repair :authority)
 * cost more per call than the rest of a small call together.
 *
 * What the server does: advertises large receive windows and credits them
 * back (WINDOW_UPDATE once half is used), the connection's as data arrives,
 * a stream's as its handler consumes it (a stream that sends past its
 * window is reset with FLOW_CONTROL_ERROR); queues response
 * data per stream within the client's windows; answers SETTINGS and PING;
 * ends a stream the client has not finished with RST_STREAM(NO_ERROR) once
 * the response is complete, as grpc-go does; on close() sends GOAWAY and
 * refuses new streams. A protocol error ends the connection with GOAWAY and
 * the error's code. Writes made in one turn of the event loop leave in one
 * socket write.
 */
import type { Duplex } from 'node:stream';
import { type HeaderField, HpackDecoder, HpackError, encodeHeaders } from './hpack.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const enum Type {
  DATA = 0,
  HEADERS = 1,
  PRIORITY = 2,
  RST_STREAM = 3,
  SETTINGS = 4,
  PUSH_PROMISE = 5,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
  CONTINUATION = 9,
}

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

/** HTTP/2 error codes. */
export const enum ErrorCode {
  NO_ERROR = 0,
  PROTOCOL_ERROR = 1,
  INTERNAL_ERROR = 2,
  FLOW_CONTROL_ERROR = 3,
  STREAM_CLOSED = 5,
  FRAME_SIZE_ERROR = 6,
  REFUSED_STREAM = 7,
  CANCEL = 8,
  COMPRESSION_ERROR = 9,
}

const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
/** The largest frame we accept: the default SETTINGS_MAX_FRAME_SIZE, which we do not raise. */
const MAX_FRAME = 16_384;
/** Our receive windows: per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the connection. */
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;
/** A header block (HEADERS + CONTINUATION) larger than this ends the connection. */
const MAX_HEADER_BLOCK = 256 * 1024;
/** Bytes the socket may hold unsent before streams stop sending (see H2Connection.blocked). */
const OUTPUT_HIGH_WATER = 1 << 20;
/** Response bytes queued on a stream beyond which write() asks the writer to wait for onDrain. */
const HIGH_WATER = 64 * 1024;

class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function frameHeader(length: number, type: Type, flags: number, id: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(id, 5);
  return h;
}

/** Request headers as an object: lower-case names, repeated values joined with ", " (cookies with "; "). */
export type RequestHeaders = Record<string, string>;

/** One request/response exchange. Callbacks are set by whoever handles the stream. */
export class H2Stream {
  /** Request data, in order (credited back to the client as it arrives). */
  onData: ((chunk: Buffer) => void) | undefined;
  /** The client finished its side (END_STREAM). */
  onEnd: (() => void) | undefined;
  /** The stream is over: `reset` if the client reset it or the connection went before it ended. */
  onClose: ((reset: boolean) => void) | undefined;
  /** The queued response data fell below the high-water mark again. */
  onDrain: (() => void) | undefined;
  #remoteEnded = false;
  #localEnded = false;
  #closed = false;
  #responded = false;
  #sendWindow: number;
  /** What the client may still send on this stream, and what was consumed but not yet credited back. */
  #recvWindow = STREAM_WINDOW;
  #recvUnacked = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** write() said to wait: call onDrain when the queue is short again. */
  #wantDrain = false;
  /** Set by end(): the trailers (or none) to send once the pending data is out. */
  #ending: readonly HeaderField[] | null | undefined;

  constructor(
    readonly connection: H2Connection,
    readonly id: number,
    readonly headers: RequestHeaders,
    sendWindow: number,
    /** The request came whole in its HEADERS (END_STREAM): the client has nothing more to send. */
    remoteEnded: boolean,
  ) {
    this.#sendWindow = sendWindow;
    this.#remoteEnded = remoteEnded;
  }

  /** True once the stream is over (no more writes). */
  get closed(): boolean {
    return this.#closed;
  }

  get remoteEnded(): boolean {
    return this.#remoteEnded;
  }

  /** Whether response headers went out. */
  get responded(): boolean {
    return this.#responded;
  }

  /** Sends the response headers (`:status` first); with `endStream` the response is complete (Trailers-Only). */
  respond(fields: readonly HeaderField[], endStream = false): void {
    if (this.#closed || this.#responded) return;
    this.#responded = true;
    this.connection.sendHeaders(this.id, fields, endStream);
    if (endStream) this.#endLocal();
  }

  /** Queues response data; false when the writer should wait for onDrain. */
  write(data: Buffer): boolean {
    if (this.#closed || this.#ending !== undefined) return false;
    if (data.length > 0) {
      this.#pending.push(data);
      this.#pendingBytes += data.length;
      this.pump();
    }
    if (this.#pendingBytes < HIGH_WATER) return true;
    this.#wantDrain = true;
    return false;
  }

  /** Ends the response after the queued data: with trailers, or with an empty DATA frame carrying END_STREAM. */
  end(trailers?: readonly HeaderField[]): void {
    if (this.#closed || this.#ending !== undefined) return;
    this.#ending = trailers ?? null;
    this.pump();
  }

  /** Resets the stream (RST_STREAM with `code`). */
  reset(code: ErrorCode = ErrorCode.CANCEL): void {
    if (this.#closed) return;
    this.connection.sendReset(this.id, code);
    this.close(true);
  }

  /** Sends what the windows allow; internal, called by the connection too. */
  pump(): void {
    const c = this.connection;
    while (this.#pendingBytes > 0) {
      const n = c.blocked ? 0 : Math.min(this.#pendingBytes, this.#sendWindow, c.sendWindow, c.peerMaxFrame);
      if (n <= 0) return;
      const chunk = this.#take(n);
      this.#sendWindow -= n;
      const last = this.#pendingBytes === 0 && this.#ending === null;
      c.sendData(this.id, chunk, last);
      if (last) {
        this.#endLocal();
        return;
      }
      if (this.#wantDrain && this.#pendingBytes < HIGH_WATER) {
        this.#wantDrain = false;
        this.onDrain?.();
      }
    }
    if (this.#ending === undefined || this.#localEnded) return;
    if (this.#ending === null) c.sendData(this.id, Buffer.alloc(0), true);
    else c.sendHeaders(this.id, this.#ending, true);
    this.#endLocal();
  }

  #take(n: number): Buffer {
    let head = this.#pending[0]!;
    if (head.length > n) {
      this.#pending[0] = head.subarray(n);
      head = head.subarray(0, n);
    } else if (head.length < n) {
      head = Buffer.concat(this.#pending);
      this.#pending = head.length > n ? [head.subarray(n)] : [];
      head = head.subarray(0, n);
    } else {
      this.#pending.shift();
    }
    this.#pendingBytes -= n;
    return head;
  }

  #endLocal(): void {
    this.#localEnded = true;
    if (!this.#remoteEnded) {
      // the response is complete: the client need not send more (grpc-go does the same)
      this.connection.sendReset(this.id, ErrorCode.NO_ERROR);
    }
    this.close(false);
  }

  // ---- from the connection ----

  /**
   * The handler has taken `n` bytes of request data: the client may send as
   * many more. Crediting consumption, not arrival, bounds what a stream
   * whose handler does not read can make us hold (its window, 1 MiB).
   */
  consumed(n: number): void {
    this.#recvUnacked += n;
    if (this.#recvUnacked < STREAM_WINDOW / 2 || this.#remoteEnded || this.#closed) return;
    this.connection.sendWindowUpdate(this.id, this.#recvUnacked);
    this.#recvWindow += this.#recvUnacked;
    this.#recvUnacked = 0;
  }

  /** @internal */
  receiveData(chunk: Buffer, frameLength: number, end: boolean): void {
    this.#recvWindow -= frameLength;
    if (this.#recvWindow < 0) {
      this.reset(ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    if (frameLength > chunk.length) this.consumed(frameLength - chunk.length); // padding
    if (chunk.length > 0) this.onData?.(chunk);
    if (end) this.receiveEnd();
  }

  /** @internal */
  receiveEnd(): void {
    if (this.#remoteEnded) return;
    this.#remoteEnded = true;
    this.onEnd?.();
    if (this.#localEnded) this.close(false);
  }

  /** @internal */
  addSendWindow(n: number): void {
    this.#sendWindow += n;
    if (this.#sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
    this.pump();
  }

  /** @internal: ends the stream; `reset` when it did not end normally. */
  close(reset: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.connection.forget(this.id);
    this.onClose?.(reset);
  }
}

/** A pending header block: HEADERS seen, CONTINUATION frames awaited. */
interface PartialBlock {
  readonly id: number;
  readonly endStream: boolean;
  readonly parts: Buffer[];
  size: number;
}

/** One connection; see the file comment. */
export class H2Connection {
  /** The client's limits and our send window for the connection. */
  peerMaxFrame = MAX_FRAME;
  sendWindow = DEFAULT_WINDOW;
  #peerStreamWindow = DEFAULT_WINDOW;
  #tableSizeUpdate: number | undefined;
  readonly #streams = new Map<number, H2Stream>();
  readonly #decoder = new HpackDecoder();
  #input: Buffer | undefined;
  #prefaceLeft = PREFACE.length;
  #block: PartialBlock | undefined;
  #lastStreamId = 0;
  #recvWindow = CONNECTION_WINDOW;
  #recvUnacked = 0;
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  /** A stream stopped sending because the socket was full: pump them all once it drains. */
  #starved = false;
  #goingAway = false;
  #dead = false;

  /** @param onStream called for each new stream, with its request headers; set its callbacks there. */
  constructor(
    readonly socket: Duplex,
    private readonly onStream: (stream: H2Stream) => void,
  ) {
    // our SETTINGS (the server preface) and the connection's receive window
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(0x4, 0); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(STREAM_WINDOW, 2);
    this.#frame(Type.SETTINGS, 0, 0, settings);
    this.sendWindowUpdate(0, CONNECTION_WINDOW - DEFAULT_WINDOW);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#closeAll());
    socket.on('end', () => socket.end());
    socket.on('drain', () => {
      socket.resume();
      this.#pumpAll();
    });
    socket.resume(); // the listener paused it after sniffing the preface
  }

  /** Streams in progress. */
  get streams(): number {
    return this.#streams.size;
  }

  /** Stops taking new streams (GOAWAY); the socket closes when the last stream ends. */
  close(): void {
    if (this.#goingAway || this.#dead) return;
    this.#goingAway = true;
    this.#goAway(ErrorCode.NO_ERROR, '');
    if (this.#streams.size === 0) this.#endSocket();
  }

  /** Closes the socket now; streams in progress see a reset. */
  destroy(): void {
    this.#dead = true;
    this.socket.destroy();
    this.#closeAll();
  }

  // ---- output ----

  #frame(type: Type, flags: number, id: number, payload?: Buffer): void {
    this.#write(frameHeader(payload?.length ?? 0, type, flags, id));
    if (payload && payload.length > 0) this.#write(payload);
  }

  /**
   * True while the socket holds more than OUTPUT_HIGH_WATER unsent: streams
   * stop moving data to it, and (once a write says so) we stop reading, so a
   * client that does not read cannot make us buffer without bound.
   */
  get blocked(): boolean {
    const full = this.#outBytes + this.socket.writableLength > OUTPUT_HIGH_WATER;
    if (full) this.#starved = true;
    return full;
  }

  #pumpAll(): void {
    this.#starved = false;
    for (const s of [...this.#streams.values()]) s.pump();
  }

  #write(b: Buffer): void {
    if (this.#dead) return;
    this.#outBytes += b.length;
    this.#out.push(b);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const out = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    if (this.#dead || out.length === 0) return;
    if (!this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out))) this.socket.pause(); // until 'drain'
    else if (this.#starved) this.#pumpAll();
  }

  /** @internal */
  sendHeaders(id: number, fields: readonly HeaderField[], endStream: boolean): void {
    let block = encodeHeaders(fields, this.#tableSizeUpdate);
    this.#tableSizeUpdate = undefined;
    let type = Type.HEADERS;
    const flags = endStream ? END_STREAM : 0;
    while (block.length > this.peerMaxFrame) {
      this.#frame(type, type === Type.HEADERS ? flags : 0, id, block.subarray(0, this.peerMaxFrame));
      block = block.subarray(this.peerMaxFrame);
      type = Type.CONTINUATION;
    }
    this.#frame(type, (type === Type.HEADERS ? flags : 0) | END_HEADERS, id, block);
  }

  /** @internal */
  sendData(id: number, data: Buffer, endStream: boolean): void {
    this.sendWindow -= data.length;
    this.#frame(Type.DATA, endStream ? END_STREAM : 0, id, data);
  }

  /** @internal */
  sendReset(id: number, code: ErrorCode): void {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(code, 0);
    this.#frame(Type.RST_STREAM, 0, id, p);
  }

  /** @internal */
  sendWindowUpdate(id: number, increment: number): void {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(increment, 0);
    this.#frame(Type.WINDOW_UPDATE, 0, id, p);
  }

  /** @internal: a stream is over. */
  forget(id: number): void {
    this.#streams.delete(id);
    if (this.#goingAway && this.#streams.size === 0) this.#endSocket();
  }

  #goAway(code: ErrorCode, message: string): void {
    const p = Buffer.alloc(8 + Buffer.byteLength(message));
    p.writeUInt32BE(this.#lastStreamId, 0);
    p.writeUInt32BE(code, 4);
    p.write(message, 8);
    this.#frame(Type.GOAWAY, 0, 0, p);
  }

  #endSocket(): void {
    if (this.#dead) return;
    this.#flush();
    this.#dead = true;
    this.socket.end();
  }

  #closeAll(): void {
    this.#dead = true;
    for (const s of [...this.#streams.values()]) s.close(true);
  }

  // ---- input ----

  #receive(chunk: Buffer): void {
    if (this.#dead) return;
    let b = this.#input ? Buffer.concat([this.#input, chunk]) : chunk;
    this.#input = undefined;
    try {
      if (this.#prefaceLeft > 0) {
        const n = Math.min(this.#prefaceLeft, b.length);
        const at = PREFACE.length - this.#prefaceLeft;
        if (!b.subarray(0, n).equals(PREFACE.subarray(at, at + n))) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
        this.#prefaceLeft -= n;
        b = b.subarray(n);
      }
      let pos = 0;
      while (b.length - pos >= 9) {
        const length = b.readUIntBE(pos, 3);
        if (length > MAX_FRAME) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
        if (b.length - pos < 9 + length) break;
        const type = b[pos + 3]!;
        const flags = b[pos + 4]!;
        const id = b.readUInt32BE(pos + 5) & 0x7fffffff;
        const payload = b.subarray(pos + 9, pos + 9 + length);
        pos += 9 + length;
        this.#onFrame(type, flags, id, payload);
        if (this.#dead) return;
      }
      if (pos < b.length) this.#input = Buffer.from(b.subarray(pos)); // a copy: the socket's chunk is not kept
    } catch (err) {
      // never out of the socket's 'data' listener: an error we did not foresee ends this connection only
      const e =
        err instanceof ConnectionError
          ? err
          : err instanceof HpackError
            ? new ConnectionError(ErrorCode.COMPRESSION_ERROR, err.message)
            : new ConnectionError(ErrorCode.INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
      this.#goAway(e.code, e.message);
      this.#endSocket();
      this.#closeAll();
    }
  }

  #onFrame(type: number, flags: number, id: number, p: Buffer): void {
    if (this.#block && type !== Type.CONTINUATION) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
    switch (type) {
      case Type.DATA:
        return this.#onDataFrame(flags, id, p);
      case Type.HEADERS:
        return this.#onHeadersFrame(flags, id, p);
      case Type.CONTINUATION: {
        const block = this.#block;
        if (!block || block.id !== id) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
        block.parts.push(p);
        block.size += 9 + p.length; // frames count too: empty CONTINUATIONs must not go on for ever
        if (block.size > MAX_HEADER_BLOCK) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'header block too large');
        if (flags & END_HEADERS) {
          this.#block = undefined;
          this.#onHeaderBlock(id, Buffer.concat(block.parts), block.endStream);
        }
        return;
      }
      case Type.PRIORITY:
        if (p.length !== 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY length');
        return;
      case Type.RST_STREAM:
        if (p.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM length');
        if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        this.#streams.get(id)?.close(true);
        return;
      case Type.SETTINGS:
        return this.#onSettings(flags, id, p);
      case Type.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
      case Type.PING:
        if (p.length !== 8 || id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad PING');
        if (!(flags & ACK)) this.#frame(Type.PING, ACK, 0, Buffer.from(p));
        return;
      case Type.GOAWAY:
        this.#goingAway = true; // the client opens no more streams; it closes when it is done
        return;
      case Type.WINDOW_UPDATE: {
        if (p.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE length');
        const n = p.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) {
          if (n === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
          this.sendWindow += n;
          if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
          for (const s of [...this.#streams.values()]) s.pump();
        } else {
          const s = this.#streams.get(id);
          if (s && n === 0) {
            this.sendReset(id, ErrorCode.PROTOCOL_ERROR);
            s.close(true);
          } else s?.addSendWindow(n);
        }
        return;
      }
      default:
        return; // unknown frame types are ignored
    }
  }

  #onDataFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const length = p.length;
    let data = p;
    if (flags & PADDED) {
      const pad = p[0] ?? 0;
      if (pad >= p.length) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad padding');
      data = p.subarray(1, p.length - pad);
    }
    // the connection's window is credited as data arrives (each stream's, as it is consumed)
    this.#recvWindow -= length;
    if (this.#recvWindow < 0) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.#recvUnacked += length;
    if (this.#recvUnacked >= CONNECTION_WINDOW / 2) {
      this.sendWindowUpdate(0, this.#recvUnacked);
      this.#recvWindow += this.#recvUnacked;
      this.#recvUnacked = 0;
    }
    const s = this.#streams.get(id);
    if (!s) {
      if (id > this.#lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      return; // a stream we closed: its data is dropped (and credited above)
    }
    if (s.remoteEnded) {
      this.sendReset(id, ErrorCode.STREAM_CLOSED);
      s.close(true);
      return;
    }
    s.receiveData(data, length, (flags & END_STREAM) !== 0);
  }

  #onHeadersFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = 0;
    let end = p.length;
    if (flags & PADDED) {
      const pad = p[0] ?? 0;
      start = 1;
      end -= pad;
    }
    if (flags & PRIORITY_FLAG) start += 5;
    if (start > end) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad HEADERS padding');
    const fragment = p.subarray(start, end);
    const endStream = (flags & END_STREAM) !== 0;
    if (flags & END_HEADERS) this.#onHeaderBlock(id, fragment, endStream);
    else this.#block = { id, endStream, parts: [Buffer.from(fragment)], size: fragment.length };
  }

  #onHeaderBlock(id: number, block: Buffer, endStream: boolean): void {
    const fields = this.#decoder.decode(block); // always: the dynamic table must follow every block
    const existing = this.#streams.get(id);
    if (existing) {
      // trailers from the client: they end its side
      if (!endStream) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
      existing.receiveEnd();
      return;
    }
    if (id % 2 === 0 || id <= this.#lastStreamId) {
      if (id % 2 === 0 || id > this.#lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${id}`);
      return; // headers for a stream we already closed
    }
    this.#lastStreamId = id;
    if (this.#goingAway) {
      this.sendReset(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    const headers: RequestHeaders = {};
    for (const [name, value] of fields) {
      const prev = headers[name];
      headers[name] = prev === undefined ? value : `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
    const s = new H2Stream(this, id, headers, this.#peerStreamWindow, endStream);
    this.#streams.set(id, s);
    try {
      this.onStream(s);
    } catch {
      s.reset(ErrorCode.INTERNAL_ERROR); // headers its handler cannot take (the HTTP/1.1 bridge refuses bytes HTTP/1.1 forbids)
      return;
    }
    if (endStream && !s.closed) s.onEnd?.();
  }

  #onSettings(flags: number, id: number, p: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) return;
    if (p.length % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length');
    for (let i = 0; i < p.length; i += 6) {
      const key = p.readUInt16BE(i);
      const value = p.readUInt32BE(i + 2);
      switch (key) {
        case 0x1: // HEADER_TABLE_SIZE: we never index, but a smaller table must be announced
          if (value < 4096) this.#tableSizeUpdate = value;
          break;
        case 0x4: {
          // INITIAL_WINDOW_SIZE
          if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE too large');
          const delta = value - this.#peerStreamWindow;
          this.#peerStreamWindow = value;
          for (const s of [...this.#streams.values()]) s.addSendWindow(delta);
          break;
        }
        case 0x5: // MAX_FRAME_SIZE
          if (value < 16_384 || value > 16_777_215) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad MAX_FRAME_SIZE');
          this.peerMaxFrame = value;
          break;
        default:
          break;
      }
    }
    this.#frame(Type.SETTINGS, ACK, 0);
  }
}
