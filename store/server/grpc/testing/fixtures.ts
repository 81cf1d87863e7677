/**
 * Test fixtures for the wire layer: a toy handler table with canned
 * answers, a served listener on 127.0.0.1:0, a grpc-js client built on our
 * codec, self-signed certificates via the openssl CLI, and a raw HTTP
 * client that keeps trailers.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Message } from '../codec.js';
import { etcdCodec } from '../codec.js';
import { createGateway } from '../gateway.js';
import type { CallContext, PeerInfo } from '../handlers.js';
import { Handlers } from '../handlers.js';
import type { TlsOptions } from '../listener.js';
import { ClientListener } from '../listener.js';
import { GrpcServer } from '../server.js';
import { GrpcError, Status } from '../status.js';

/** UTF-8 bytes of a string. */
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The header every canned response carries (uint64 cluster id beyond 2^32, still safe). */
export const HEADER = { clusterId: 2 ** 40 + 7, memberId: 42, revision: 9, raftTerm: 3 };

/** What the toy handlers observed, for assertions. */
export interface Observed {
  lastMetadata?: Readonly<Record<string, string>>;
  lastRequest?: Message;
  lastPeer?: PeerInfo;
  /** Reasons of aborted signals, in order. */
  aborts: GrpcError[];
}

/**
 * The toy table: KV.Range (canned kvs for the requested key), KV.Put
 * (throws FAILED_PRECONDITION for key "boom", echoes otherwise), KV.Txn
 * (echoes the request's first op), KV.Compact (waits for its signal),
 * Watch (created + two events per create request; cancel → canceled),
 * LeaseKeepAlive (echo with TTL 60), Maintenance.Snapshot ("one", "two",
 * "three" + zeros to 512 bytes, then their sha256 as etcd appends it; metadata fail-after: N
 * fails with NOT_FOUND before chunk N),
 * Maintenance.Status.
 */
export function toyHandlers(observed: Observed = { aborts: [] }): Handlers {
  const remember = (ctx: CallContext, req?: Message): void => {
    observed.lastMetadata = ctx.metadata;
    observed.lastPeer = ctx.peer;
    if (req) observed.lastRequest = req;
    ctx.signal.addEventListener('abort', () => observed.aborts.push(ctx.signal.reason as GrpcError), { once: true });
  };
  return new Handlers()
    .unary('/etcdserverpb.KV/Range', (req: Message, ctx) => {
      remember(ctx, req);
      const key = req.key as Uint8Array;
      const kv = { key, value: bytes('bar'), createRevision: 2, modRevision: 5, version: 3, lease: 0 };
      return { header: HEADER, kvs: [kv], more: false, count: 1 };
    })
    .unary('/etcdserverpb.KV/Put', (req: Message, ctx) => {
      remember(ctx, req);
      if (Buffer.from(req.key as Uint8Array).toString() === 'boom') {
        throw new GrpcError(Status.FAILED_PRECONDITION, 'etcdserver: boom ünïcode 100%');
      }
      if (Buffer.from(req.key as Uint8Array).toString() === 'plain-error') throw new Error('something broke');
      return { header: HEADER, prevKv: { key: req.key, value: bytes('old'), modRevision: 1, createRevision: 1, version: 1 } };
    })
    .unary('/etcdserverpb.KV/Txn', (req: Message, ctx) => {
      remember(ctx, req);
      return { header: HEADER, succeeded: true, responses: [{ responsePut: { header: { revision: 10 } } }] };
    })
    .unary('/etcdserverpb.KV/Compact', async (req: Message, ctx) => {
      remember(ctx, req);
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      return { header: HEADER };
    })
    .bidi('/etcdserverpb.Watch/Watch', async (requests, call) => {
      remember(call);
      let nextId = 0;
      for await (const req of requests) {
        const create = req.createRequest as Message | undefined;
        const cancel = req.cancelRequest as Message | undefined;
        if (create) {
          const watchId = nextId++;
          await call.send({ header: HEADER, watchId, created: true });
          for (const [i, type] of [0, 1].entries()) {
            const kv = { key: create.key, value: type === 0 ? bytes(`v${i}`) : new Uint8Array(0), modRevision: 10 + i };
            await call.send({ header: { ...HEADER, revision: 10 + i }, watchId, events: [{ type, kv }] });
          }
        } else if (cancel) {
          await call.send({ header: HEADER, watchId: cancel.watchId, canceled: true });
        } else if (req.progressRequest) {
          await call.send({ header: HEADER, watchId: -1 });
        }
      }
    })
    .bidi('/etcdserverpb.Lease/LeaseKeepAlive', async (requests, call) => {
      remember(call);
      for await (const req of requests) await call.send({ header: HEADER, ID: req.ID, TTL: 60 });
    })
    .serverStream('/etcdserverpb.Maintenance/Snapshot', async (_req, call) => {
      remember(call);
      // as etcd does: a database of whole 512-byte pages, then its sha256 (etcdctl checks both)
      const data = [bytes('one'), bytes('two'), Buffer.concat([bytes('three'), Buffer.alloc(501)])];
      const chunks = [...data, createHash('sha256').update(Buffer.concat(data)).digest()];
      for (const [i, chunk] of chunks.entries()) {
        if (call.metadata['fail-after'] === String(i)) throw new GrpcError(Status.NOT_FOUND, 'etcdserver: snapshot gone');
        await call.send({ header: HEADER, remainingBytes: chunks.length - i - 1, blob: new Uint8Array(chunk) });
      }
    })
    .unary('/etcdserverpb.Maintenance/Status', (_req, ctx) => {
      remember(ctx);
      return { header: HEADER, version: '3.4.23', dbSize: 20480, leader: 42, raftIndex: 6, raftTerm: 3 };
    });
}

/** A running listener with the toy handlers (or `handlers`). */
export interface Served {
  readonly port: number;
  readonly listener: ClientListener;
  readonly grpc: GrpcServer;
  close(graceMs?: number): Promise<void>;
}

/** Serves `handlers` (gRPC and gateway) on 127.0.0.1:0, plaintext or TLS. */
export async function serve(handlers: Handlers, options: { tls?: TlsOptions; maxReceiveMessageBytes?: number } = {}): Promise<Served> {
  const gateway = createGateway(handlers, { ...(options.maxReceiveMessageBytes ? { maxReceiveMessageBytes: options.maxReceiveMessageBytes } : {}) });
  const server = new GrpcServer(handlers, {
    fallback: gateway,
    ...(options.maxReceiveMessageBytes ? { maxReceiveMessageBytes: options.maxReceiveMessageBytes } : {}),
  });
  const listener = new ClientListener({ grpc: server, http: gateway, ...(options.tls ? { tls: options.tls } : {}) });
  const { port } = await listener.listen(0, '127.0.0.1');
  return { port, listener, grpc: server, close: (graceMs = 200) => listener.close(graceMs) };
}

/** A grpc-js client for one etcdserverpb service, (de)serializing with our codec. */
export function grpcClient(port: number, service: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  const codec = etcdCodec();
  const definition: Record<string, grpc.MethodDefinition<object, Message>> = {};
  for (const m of codec.methods.values()) {
    if (m.service !== `etcdserverpb.${service}`) continue;
    definition[m.name] = {
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: (o: object) => Buffer.from(codec.encode(m.request, o)),
      requestDeserialize: (b: Buffer) => codec.decode(m.request, b),
      responseSerialize: (o: object) => Buffer.from(codec.encode(m.response, o)),
      responseDeserialize: (b: Buffer) => codec.decode(m.response, b),
    };
  }
  const Client = grpc.makeGenericClientConstructor(definition as grpc.ServiceDefinition, service);
  return new Client(`127.0.0.1:${port}`, credentials, options) as unknown as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
}

/** Calls a unary method of a grpc-js client as a promise. */
export function unary(client: Record<string, (...args: unknown[]) => unknown>, name: string, request: object, options: grpc.CallOptions = {}, metadata = new grpc.Metadata()): Promise<Message> {
  return new Promise((resolve, reject) => {
    client[name]!(request, metadata, options, (err: grpc.ServiceError | null, res: Message) => (err ? reject(err) : resolve(res)));
  });
}

/** Paths of a CA, a server certificate (127.0.0.1, localhost) and a client certificate, in a temp dir. */
export interface Certs {
  readonly dir: string;
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

/** Makes a throwaway CA and certificates with the openssl CLI. */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-grpc-tls-'));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kubeling-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [['server', 'kubeling-server'], ['client', 'kubeling-client']] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return { dir, ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: read('client.crt'), clientKey: read('client.key') };
}

/** An HTTP/1.1 answer with its trailers. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly trailers: NodeJS.Dict<string>;
  readonly body: string;
}

/** POSTs `body` (a string, or chunks written one by one with `gapMs` between) and collects the answer. */
export function post(port: number, path: string, body: string | string[], options: { tls?: https.RequestOptions; method?: string; gapMs?: number; headers?: http.OutgoingHttpHeaders } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const mod = options.tls ? https : http;
    const req = mod.request({ host: '127.0.0.1', port, path, method: options.method ?? 'POST', headers: options.headers ?? {}, ...(options.tls ?? {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const chunks = typeof body === 'string' ? [body] : body;
    const gap = options.gapMs ?? 0;
    void (async () => {
      for (const chunk of chunks) {
        req.write(chunk);
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      }
      req.end();
    })();
  });
}
