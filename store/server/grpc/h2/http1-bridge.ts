/**
 * Serves HTTP/2 requests that are not gRPC calls with an HTTP/1.1 handler
 * (the JSON gateway): each request goes through node:http's client and
 * server over an in-memory connection, so the handler sees an ordinary
 * IncomingMessage and ServerResponse, body and trailers streamed both ways.
 * Rare (curl over TLS negotiates h2), so simplicity over speed.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { type PeerInfo, bridgedPeers } from '../handlers.js';
import { ErrorCode, type H2Stream } from './connection.js';
import type { HeaderField } from './hpack.js';

/** Headers that belong to one HTTP/1.1 connection, not to the message. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host']);

/** Two connected in-memory stream ends: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
      destroy(err, callback) {
        const o = other();
        if (!o.destroyed) o.destroy();
        callback(err);
      },
    });
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  return [ends[0]!, ends[1]!];
}

/** See the file comment. */
export class Http1Bridge {
  readonly #server: http.Server;
  /** The in-memory connections of requests in progress. */
  readonly #open = new Set<Duplex>();

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    // requestTimeout 0: a watch over the gateway keeps its request body open indefinitely
    this.#server = http.createServer({ requestTimeout: 0 }, handler);
  }

  /** Answers `stream` with the handler; `peer` is what the handler's requestPeer() sees. */
  serve(stream: H2Stream, peer: PeerInfo): void {
    const [clientEnd, serverEnd] = duplexPair();
    this.#open.add(serverEnd);
    serverEnd.on('close', () => this.#open.delete(serverEnd));
    bridgedPeers.set(serverEnd, peer);
    this.#server.emit('connection', serverEnd);
    const h = stream.headers;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(h)) if (!name.startsWith(':') && !HOP_BY_HOP.has(name)) headers[name] = value;
    if (h[':authority'] !== undefined) headers.host = h[':authority'];
    const req = http.request({ createConnection: () => clientEnd, method: h[':method'] ?? 'GET', path: h[':path'] ?? '/', headers });
    const done = (): void => {
      clientEnd.destroy();
      serverEnd.destroy();
    };
    req.on('error', () => {
      if (!stream.closed) stream.reset(ErrorCode.INTERNAL_ERROR);
      done();
    });
    stream.onData = (chunk) => req.write(chunk, () => stream.consumed(chunk.length));
    stream.onEnd = () => req.end();
    stream.onClose = (reset) => {
      if (reset) req.destroy();
    };
    req.on('response', (res) => {
      const fields: HeaderField[] = [[':status', String(res.statusCode ?? 502)]];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i]!.toLowerCase();
        if (!HOP_BY_HOP.has(name)) fields.push([name, res.rawHeaders[i + 1]!]);
      }
      stream.respond(fields);
      res.on('data', (chunk: Buffer) => {
        if (stream.write(chunk)) return;
        res.pause();
        stream.onDrain = () => res.resume();
      });
      res.on('end', () => {
        const trailers: HeaderField[] = [];
        for (let i = 0; i < res.rawTrailers.length; i += 2) trailers.push([res.rawTrailers[i]!.toLowerCase(), res.rawTrailers[i + 1]!]);
        stream.end(trailers.length > 0 ? trailers : undefined);
        done();
      });
    });
  }

  /** Ends the connections of requests in progress. */
  close(): void {
    for (const d of this.#open) d.destroy();
  }
}
