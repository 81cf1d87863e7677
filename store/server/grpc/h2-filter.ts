/**
 * A Duplex between a client connection and the HTTP/2 server that passes
 * every byte through, except that header blocks (HEADERS + CONTINUATION
 * frames) are held until complete and their :authority fixed in place
 * (authority.ts). Frame lengths never change; other frames stream through
 * unbuffered. Node wraps a Duplex like this one in its JSStreamSocket, so
 * HTTP/2 works over it as over a socket.
 */
import { Duplex } from 'node:stream';
import { fixAuthority } from './authority.js';
import { writeSoon } from './write-soon.js';

const PREFACE_LENGTH = 24;
const FRAME_HEADERS = 0x1;
const FRAME_CONTINUATION = 0x9;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** Header blocks larger than this pass through untouched (nghttp2 limits them anyway). */
const MAX_BLOCK = 256 * 1024;

/** The inbound side of one HTTP/2 connection, with :authority fixed; outbound bytes go straight to the socket. */
export class AuthorityFilter extends Duplex {
  /** Bytes of the connection preface still to pass. */
  #preface = PREFACE_LENGTH;
  /** A frame header being assembled. */
  #head: Buffer = Buffer.alloc(0);
  /** Payload bytes of the current pass-through frame still to come. */
  #passing = 0;
  /** A header-block frame being collected: its header, and payload bytes still missing. */
  #collecting: { head: Buffer; parts: Buffer[]; missing: number } | undefined;
  /** Complete frames of a header block that has not ended yet. */
  #block: Buffer[] = [];
  #blockSize = 0;

  constructor(readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => {
      if (!this.#push(this.#filter(chunk))) socket.pause();
    });
    socket.on('end', () => {
      // a cut-short frame goes on as it is: nghttp2 reports it
      const c = this.#collecting;
      this.#push([...this.#takeBlock(), ...(c ? [c.head, ...c.parts] : []), this.#head]);
      this.push(null);
    });
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    writeSoon(this.socket, chunk, callback);
  }

  /** What HTTP/2 writes in one go (Node's JSStreamSocket corks around a batch) reaches the socket as one buffer. */
  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    writeSoon(this.socket, chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy(err ?? undefined);
    callback(err);
  }

  #push(parts: Buffer[]): boolean {
    let ok = true;
    for (const part of parts) if (part.length > 0) ok = this.push(part) && ok;
    return ok;
  }

  /** Consumes a chunk; returns the bytes that may go on now. */
  #filter(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#preface > 0) {
        const n = Math.min(this.#preface, chunk.length - pos);
        out.push(chunk.subarray(pos, pos + n));
        this.#preface -= n;
        pos += n;
      } else if (this.#passing > 0) {
        const n = Math.min(this.#passing, chunk.length - pos);
        out.push(chunk.subarray(pos, pos + n));
        this.#passing -= n;
        pos += n;
      } else if (this.#collecting) {
        const c = this.#collecting;
        const n = Math.min(c.missing, chunk.length - pos);
        c.parts.push(chunk.subarray(pos, pos + n));
        c.missing -= n;
        pos += n;
        if (c.missing === 0) this.#frameCollected(out);
      } else {
        const n = Math.min(9 - this.#head.length, chunk.length - pos);
        this.#head = Buffer.concat([this.#head, chunk.subarray(pos, pos + n)]);
        pos += n;
        if (this.#head.length === 9) this.#frameStarts(out);
      }
    }
    return out;
  }

  #frameStarts(out: Buffer[]): void {
    const head = this.#head;
    this.#head = Buffer.alloc(0);
    const length = head.readUIntBE(0, 3);
    const type = head[3]!;
    const isBlock = type === FRAME_HEADERS || (type === FRAME_CONTINUATION && this.#block.length > 0);
    if (!isBlock || this.#blockSize + length > MAX_BLOCK) {
      // a pending block interrupted (a protocol error nghttp2 will report) goes on unfixed
      out.push(...this.#takeBlock(), head);
      this.#passing = length;
      return;
    }
    this.#collecting = { head, parts: [], missing: length };
    if (length === 0) this.#frameCollected(out);
  }

  #frameCollected(out: Buffer[]): void {
    const c = this.#collecting!;
    this.#collecting = undefined;
    const frame = Buffer.concat([c.head, ...c.parts]);
    this.#block.push(frame);
    this.#blockSize += frame.length;
    if (frame[4]! & FLAG_END_HEADERS) {
      this.#fixBlock();
      out.push(...this.#takeBlock());
    }
  }

  /** Fixes the :authority of the complete pending block, in place. */
  #fixBlock(): void {
    const fragments = this.#block.map(fragmentOf);
    const joined = Buffer.concat(fragments);
    fixAuthority(joined);
    let at = 0;
    for (const fragment of fragments) {
      joined.copy(fragment, 0, at, at + fragment.length); // same lengths: back into the frames
      at += fragment.length;
    }
  }

  #takeBlock(): Buffer[] {
    const frames = this.#block;
    this.#block = [];
    this.#blockSize = 0;
    return frames;
  }
}

/** The header block fragment of a HEADERS or CONTINUATION frame (a view into it). */
function fragmentOf(frame: Buffer): Buffer {
  const type = frame[3]!;
  const flags = frame[4]!;
  let start = 9;
  let end = frame.length;
  if (type === FRAME_HEADERS) {
    if (flags & FLAG_PADDED) {
      end -= frame[9] ?? 0;
      start += 1;
    }
    if (flags & FLAG_PRIORITY) start += 5;
  }
  return start <= end ? frame.subarray(start, end) : frame.subarray(0, 0);
}
