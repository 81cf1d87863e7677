/**
 * The peer transport: one persistent connection from each member to each
 * peer (TCP, or TLS with the --peer-* flags), carrying framed batches of
 * Raft messages, snapshots with the state machine's bytes, and small
 * request/response calls (such as forwarding a lease keep-alive to the
 * leader). All messages a Ready holds for one peer go in one frame.
 *
 * A dialer opens with a Hello naming its member id and cluster id; a peer
 * from another cluster is refused. A lost connection is redialled with
 * back-off; what could not be sent is reported so Raft can probe again.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Message, NodeId } from '../raft/types.js';
import { writeSoon } from './write-soon.js';
import { decodeJson, encodeJson } from './jsoncodec.js';
import { FrameKind, FrameReader, decodeMessages, decodeSnapshot, encodeMessages, encodeSnapshot, frame } from './wire.js';

/** What the transport hands to, and asks of, its member. */
export interface TransportHandler {
  /** Raft messages from a peer. */
  onMessages(msgs: Message[]): void;
  /** A snapshot message with the sender's state machine bytes. */
  onSnapshot(msg: Message, db: Uint8Array): void;
  /** A request from a peer; the result (or thrown error message) is sent back. */
  onRequest(from: NodeId, body: unknown): Promise<unknown>;
  /** Sending to `to` failed: Raft should treat it as unreachable. */
  onUnreachable(to: NodeId): void;
  /** A snapshot to `to` was delivered (ok) or lost. */
  onSnapshotStatus(to: NodeId, ok: boolean): void;
  /** What a joining member asks before it knows its cluster: the cluster id and members. */
  onDiscover(): unknown;
}

/** Options of a transport. */
export interface TransportOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** Where to listen for peers: host and port of --listen-peer-urls. */
  readonly listen: { host: string; port: number };
  /** TLS for the peer port, from the --peer-* flags. */
  readonly tls?: { server: tls.TlsOptions; client: tls.ConnectionOptions };
  readonly handler: TransportHandler;
  readonly log?: (line: string) => void;
}

interface Peer {
  readonly id: NodeId;
  url: URL;
  socket: net.Socket | undefined;
  connected: boolean;
  /** When the current outbound connection came up (epoch ms); 0 while down. */
  activeSince: number;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

interface PendingCall {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** The peer transport of one member. */
export class PeerTransport {
  private server: net.Server | undefined;
  private peers = new Map<NodeId, Peer>();
  private inbound = new Set<net.Socket>();
  private calls = new Map<number, PendingCall>();
  private nextCall = 1;
  private stopped = false;

  constructor(private readonly opts: TransportOptions) {}

  /** Starts listening for peers. */
  async start(): Promise<void> {
    const onConn = (s: net.Socket): void => this.accept(s);
    this.server = this.opts.tls ? tls.createServer(this.opts.tls.server, onConn) : net.createServer(onConn);
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** The port actually bound (for --listen-peer-urls with port 0 in tests). */
  port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** Adds (or re-addresses) a peer and dials it. */
  addPeer(id: NodeId, url: string): void {
    if (id === this.opts.id) return;
    const existing = this.peers.get(id);
    if (existing) {
      if (existing.url.href === new URL(url).href) return;
      existing.url = new URL(url);
      existing.socket?.destroy();
      return;
    }
    const p: Peer = { id, url: new URL(url), socket: undefined, connected: false, activeSince: 0, backoffMs: 50, timer: undefined };
    this.peers.set(id, p);
    this.dial(p);
  }

  /** Forgets a peer and closes its connection. */
  removePeer(id: NodeId): void {
    const p = this.peers.get(id);
    if (!p) return;
    this.peers.delete(id);
    if (p.timer) clearTimeout(p.timer);
    const socket = p.socket;
    if (!socket) return;
    // what this turn wrote goes out first: a removed member learns of its
    // removal from the commit index in the messages sent just before
    socket.uncork();
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** True when the outbound connection to `id` is up. */
  isConnected(id: NodeId): boolean {
    return this.peers.get(id)?.connected === true;
  }

  /** Since when (epoch ms) the connection to `id` has been up; 0 if it is down (etcd's ActiveSince). */
  activeSince(id: NodeId): number {
    return this.peers.get(id)?.activeSince ?? 0;
  }

  /** Sends Raft messages, one frame per peer. Snapshot messages need sendSnapshot. */
  send(msgs: readonly Message[]): void {
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of msgs) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [to, list] of byPeer) {
      const p = this.peers.get(to);
      if (!p?.connected || !p.socket) {
        this.opts.handler.onUnreachable(to);
        continue;
      }
      writeSoon(p.socket, frame(FrameKind.Messages, encodeMessages(list)));
    }
  }

  /**
   * Hands what this turn wrote to peers to the kernel now, not at the end of
   * the turn: a leader calls it before its own disk sync, so that followers
   * persist the same entries at the same time (Raft thesis §10.2.1).
   */
  flush(): void {
    for (const p of this.peers.values()) if (p.socket && p.socket.writableCorked > 0) p.socket.uncork();
  }

  /** Sends a snapshot message with the state machine bytes; reports its status when written or failed. */
  sendSnapshot(m: Message, db: Uint8Array): void {
    const p = this.peers.get(m.to);
    if (!p?.connected || !p.socket) {
      this.opts.handler.onSnapshotStatus(m.to, false);
      return;
    }
    p.socket.write(frame(FrameKind.Snapshot, encodeSnapshot(m, db)), (err) => {
      this.opts.handler.onSnapshotStatus(m.to, !err);
    });
  }

  /** Calls a peer; rejects if the peer is not connected or answers with an error. */
  request(to: NodeId, body: unknown, timeoutMs = 5000): Promise<unknown> {
    const p = this.peers.get(to);
    if (!p?.connected || !p.socket) return Promise.reject(new Error(`member ${to.toString(16)} is not connected`));
    const id = this.nextCall++;
    const socket = p.socket;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`request to member ${to.toString(16)} timed out`));
      }, timeoutMs);
      this.calls.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      writeSoon(socket, frame(FrameKind.Request, Buffer.from(encodeJson({ id, body }))));
    });
  }

  /** Closes every connection and the listener. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.peers.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.socket?.destroy();
    }
    for (const s of this.inbound) s.destroy();
    for (const c of this.calls.values()) c.reject(new Error('transport stopped'));
    this.calls.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- outbound ----

  private dial(p: Peer): void {
    if (this.stopped || !this.peers.has(p.id)) return;
    const port = Number(p.url.port);
    const host = p.url.hostname.replace(/^\[|\]$/g, '');
    const socket = this.opts.tls
      ? tls.connect({ ...this.opts.tls.client, host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    p.socket = socket;
    const ready = this.opts.tls ? 'secureConnect' : 'connect';
    socket.once(ready, () => {
      p.connected = true;
      p.activeSince = Date.now();
      p.backoffMs = 50;
      socket.write(frame(FrameKind.Hello, Buffer.from(JSON.stringify({ from: this.opts.id, clusterId: this.opts.clusterId }))));
      this.opts.log?.(`peer ${p.id.toString(16)} connected at ${p.url.host}`);
    });
    // the peer answers requests on this connection
    const reader = new FrameReader((kind, body) => this.onOutboundFrame(kind, body));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        this.opts.log?.(`peer ${p.id.toString(16)}: ${String(e)}`);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (p.connected) this.opts.log?.(`peer ${p.id.toString(16)} disconnected`);
      p.connected = false;
      p.activeSince = 0;
      p.socket = undefined;
      if (this.stopped || !this.peers.has(p.id)) return;
      p.timer = setTimeout(() => this.dial(p), p.backoffMs);
      p.backoffMs = Math.min(1000, p.backoffMs * 2);
    });
  }

  private onOutboundFrame(kind: FrameKind, body: Buffer): void {
    if (kind !== FrameKind.Response) return;
    const r = decodeJson<{ id: number; body?: unknown; error?: string }>(body);
    const c = this.calls.get(r.id);
    if (!c) return;
    this.calls.delete(r.id);
    if (r.error !== undefined) c.reject(new Error(r.error));
    else c.resolve(r.body);
  }

  // ---- inbound ----

  private accept(socket: net.Socket): void {
    this.inbound.add(socket);
    socket.setNoDelay(true);
    let from: NodeId | undefined;
    const reader = new FrameReader((kind, body) => {
      if (kind === FrameKind.Hello) {
        const h = JSON.parse(body.toString('utf8')) as { from: NodeId; clusterId: string };
        if (h.clusterId === '') {
          // a member joining with --initial-cluster-state existing asks who we are
          socket.end(frame(FrameKind.Response, Buffer.from(JSON.stringify({ id: 0, body: this.opts.handler.onDiscover() }))));
          return;
        }
        if (h.clusterId !== this.opts.clusterId) {
          this.opts.log?.(`refused peer ${h.from.toString(16)}: cluster id ${h.clusterId} is not ${this.opts.clusterId}`);
          socket.destroy();
          return;
        }
        from = h.from;
        return;
      }
      if (from === undefined) throw new Error('peer sent a frame before its hello');
      switch (kind) {
        case FrameKind.Messages:
          this.opts.handler.onMessages(decodeMessages(body));
          return;
        case FrameKind.Snapshot: {
          const { msg, db } = decodeSnapshot(body);
          this.opts.handler.onSnapshot(msg, db);
          return;
        }
        case FrameKind.Request: {
          const r = decodeJson<{ id: number; body: unknown }>(body);
          const peer = from;
          Promise.resolve()
            .then(() => this.opts.handler.onRequest(peer, r.body))
            .then(
            (res) => writeSoon(socket, frame(FrameKind.Response, Buffer.from(encodeJson({ id: r.id, body: res })))),
            (e: unknown) =>
              writeSoon(socket, frame(FrameKind.Response, Buffer.from(encodeJson({ id: r.id, error: e instanceof Error ? e.message : String(e) })))),
          );
          return;
        }
        default:
          return;
      }
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        this.opts.log?.(`bad frame from peer: ${String(e)}`);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.inbound.delete(socket));
  }
}

/**
 * Asks a running member, at its peer URL, for its cluster id and members: how
 * a member started with --initial-cluster-state existing learns who it is.
 */
export function discover(url: string, tlsClient?: tls.ConnectionOptions, timeoutMs = 5000): Promise<unknown> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port);
  return new Promise((resolve, reject) => {
    const socket = tlsClient
      ? tls.connect({ ...tlsClient, host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${url}`));
    }, timeoutMs);
    const reader = new FrameReader((kind, body) => {
      if (kind !== FrameKind.Response) return;
      clearTimeout(timer);
      socket.destroy();
      resolve((JSON.parse(body.toString('utf8')) as { body: unknown }).body);
    });
    socket.once(tlsClient ? 'secureConnect' : 'connect', () => {
      socket.write(frame(FrameKind.Hello, Buffer.from(JSON.stringify({ from: 0, clusterId: '' }))));
    });
    socket.on('data', (c: Buffer) => reader.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach ${url}: ${e.message}`));
    });
  });
}
