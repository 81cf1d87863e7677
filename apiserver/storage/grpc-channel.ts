/**
 * An EtcdChannel over @grpc/grpc-js: one HTTP/2 connection (reconnected with
 * a short backoff) to one client URL of a kubeling store member or a real
 * etcd. Messages pass through as bytes (identity serializers); errors are
 * grpc-js's ServiceErrors, which are ChannelErrors.
 */
import { Client, credentials, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { ChannelError, ChannelStream, EtcdChannel, StreamListener } from './channel.js';

/** PEM: the CA that signed the members' certificates, and this client's certificate and key. */
export interface ChannelTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.max_receive_message_length': 256 << 20,
};

const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const fromBuffer = (b: Buffer): Uint8Array => b;

/** The channel to one endpoint; see the module comment. */
export class GrpcChannel implements EtcdChannel {
  readonly #client: Client;

  /** `endpoint`: http://host:port or https://host:port (with `tls` for the latter's CA and client certificate). */
  constructor(endpoint: string, tls?: ChannelTls) {
    const u = new URL(endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`etcd endpoint ${endpoint}: the scheme must be http or https`);
    let creds: ChannelCredentials = credentials.createInsecure();
    if (u.protocol === 'https:') creds = credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null);
    this.#client = new Client(`${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, creds, CHANNEL_OPTIONS);
  }

  unary(path: string, request: Uint8Array, deadline: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest<Uint8Array, Uint8Array>(path, toBuffer, fromBuffer, request, { deadline }, (err: ServiceError | null, res?: Uint8Array) => {
        if (!err && res) resolve(res);
        else reject(err ?? Object.assign(new Error('2 UNKNOWN: no response'), { code: 2, details: 'no response' }));
      });
    });
  }

  bidi(path: string, listener: StreamListener): ChannelStream {
    const call: ClientDuplexStream<Uint8Array, Uint8Array> = this.#client.makeBidiStreamRequest<Uint8Array, Uint8Array>(path, toBuffer, fromBuffer);
    let over = false;
    call.on('data', (m: Uint8Array) => {
      if (!over) listener.data(m);
    });
    call.on('error', (e: ChannelError) => {
      if (over) return;
      over = true;
      listener.error(e);
    });
    call.on('end', () => {
      if (over) return;
      over = true;
      listener.end();
    });
    return {
      write: (m) => {
        if (!over) call.write(m);
      },
      cancel: () => call.cancel(),
    };
  }

  close(): void {
    this.#client.close();
  }
}
