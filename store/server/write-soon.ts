/**
 * Coalescing writes: what a connection is given in one turn of the event
 * loop leaves in one writev, not a syscall per frame (the peer transport).
 */
import type { Writable } from 'node:stream';

/** Writes `data` to `stream`, corked until the current turn's writes are all in. */
export function writeSoon(stream: Writable, data: Buffer, callback?: (err?: Error | null) => void): void {
  if (stream.writableCorked === 0) {
    stream.cork();
    process.nextTick(() => stream.uncork());
  }
  stream.write(data, callback);
}
