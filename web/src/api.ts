/**
 * Talking to the API server: JSON requests with `Authorization: Bearer`,
 * errors as `ApiError` carrying the server's Status, WebSockets
 * authenticated with kube's bearer subprotocol (the inspection API's under
 * /ui/api/, and the Kubernetes API's own watches), and `ListWatch`: list,
 * then watch from the list's resourceVersion, re-listing when the watch is
 * refused or expired (410), as an informer does.
 */
import type { KubeList, KubeObject, Status, WatchEvent } from './types.js';

let token: string | null = null;
let onUnauthorized: ((e: ApiError) => void) | undefined;

/** Sets the bearer token sent with every request (null: none, for an unauthenticated server). */
export function setToken(t: string | null): void {
  token = t;
}

/** Calls `f` whenever a request is answered 401 (the token was refused or has expired). */
export function whenUnauthorized(f: (e: ApiError) => void): void {
  onUnauthorized = f;
}

/** An error answer of the API server, or a failure to reach it (code 0). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Status,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `e` as one line for a person: `403 Forbidden: message`. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.code === 0 ? e.message : `${e.code} ${e.reason}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` says the endpoint does not exist on this server (404 of a route, not of a key). */
export function isNotFound(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 404;
}

/** The ApiError of an answer with `code` and body `text` (a Status if it parses as one). */
export function errorOf(code: number, statusText: string, text: string): ApiError {
  try {
    const st = JSON.parse(text) as Status;
    if (st && typeof st === 'object' && (st.kind === 'Status' || typeof st.message === 'string')) {
      return new ApiError(st.code ?? code, st.reason || statusText || 'Error', st.message || text, st);
    }
  } catch {
    // not JSON: the text is the message
  }
  return new ApiError(code, statusText || 'Error', text.trim().slice(0, 500) || `HTTP ${code}`);
}

/** Options of a request. */
export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Do not call the whenUnauthorized handler on a 401 (the login form checks tokens itself). */
  readonly quiet401?: boolean;
}

/** Sends `body` (as JSON) with `method` to `path`; resolves with the decoded answer of a 2xx, rejects with an ApiError otherwise. */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new ApiError(0, 'ServiceUnavailable', `cannot reach the API server (${e instanceof Error ? e.message : String(e)})`);
  }
  const text = await res.text();
  if (!res.ok) {
    const err = errorOf(res.status, res.statusText, text);
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.(err);
    throw err;
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** GET `path` as JSON. */
export function get<T>(path: string, opts?: RequestOptions): Promise<T> {
  return request<T>('GET', path, undefined, opts);
}

/** A query string of `params`, unset ones left out: `?a=1&b=x`. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Who the server says the caller is (SelfSubjectReview, as `kubectl auth whoami`). */
export interface WhoAmI {
  username: string;
  groups: string[];
}

/** Asks the server who the current token belongs to. */
export async function whoAmI(opts?: RequestOptions): Promise<WhoAmI> {
  const r = await request<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    opts,
  );
  const u = r.status?.userInfo;
  return { username: u?.username ?? 'unknown', groups: u?.groups ?? [] };
}

// ---- WebSockets

/** `s` in base64url without padding (UTF-8 first). */
export function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text of a base64 message (kube's base64.binary.k8s.io subprotocol). */
export function fromBase64(s: string): string {
  const bin = atob(s.trim());
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

const bearer = (): string[] => (token ? [`base64url.bearer.authorization.k8s.io.${base64url(token)}`] : []);

/** The subprotocols of a WebSocket under /ui/api/. */
export function uiProtocols(): string[] {
  return ['kubeling.ui', ...bearer()];
}

/**
 * The subprotocols of a Kubernetes API watch. Browsers fail a handshake
 * that offers subprotocols when the server picks none, so base64.binary.k8s.io
 * is offered too (kube-apiserver and kubeling pick it); messages are then
 * base64 of the event's JSON.
 */
export function kubeProtocols(): string[] {
  return ['base64.binary.k8s.io', ...bearer()];
}

/** The ws:// or wss:// URL of `path` on this server. */
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/** The text of a message, whatever its frame and subprotocol. */
function messageText(data: unknown, protocol: string): string {
  const text = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : String(data);
  return protocol === 'base64.binary.k8s.io' ? fromBase64(text) : text;
}

/** What a LiveSocket tells its owner. */
export interface LiveHandlers {
  /** Each message, as text. */
  onMessage(text: string): void;
  /** The socket is open (again). */
  onOpen?(): void;
  /** The socket closed or could not open; it is tried again after a pause unless closed. */
  onDown?(wasOpen: boolean): void;
}

/** How a live connection is doing, for the status indicators. */
export type LiveState = 'connecting' | 'open' | 'down' | 'closed';

/** A WebSocket under /ui/api/ that reconnects (backing off to 10 s) until closed; `path()` is asked again at each try, so a stream can resume. */
export class LiveSocket {
  private ws: WebSocket | undefined;
  private timer: number | undefined;
  private backoffMs = 500;
  private stopped = false;
  state: LiveState = 'connecting';

  constructor(
    private readonly path: () => string,
    private readonly handlers: LiveHandlers,
    private readonly protocols: () => string[] = uiProtocols,
  ) {
    this.connect();
  }

  private connect(): void {
    this.timer = undefined;
    this.state = 'connecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl(this.path()), this.protocols());
    } catch {
      return this.down(false);
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.backoffMs = 500;
      this.state = 'open';
      this.handlers.onOpen?.();
    };
    ws.onmessage = (m) => this.handlers.onMessage(messageText(m.data, ws.protocol));
    ws.onclose = () => {
      if (this.ws === ws) this.down(opened);
    };
  }

  private down(wasOpen: boolean): void {
    this.ws = undefined;
    if (this.stopped) return;
    this.state = 'down';
    this.handlers.onDown?.(wasOpen);
    if (this.stopped) return; // onDown may close it
    this.timer = window.setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
  }

  /** Closes the socket for good. */
  close(): void {
    this.stopped = true;
    this.state = 'closed';
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
  }
}

// ---- list and watch of the Kubernetes API

/** The key of an object in a ListWatch: namespace/name, or name. */
export function objectKey(o: KubeObject): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/**
 * A live copy of a collection (`/api/v1/pods`, `/apis/apps/v1/deployments`):
 * listed, then watched over a WebSocket from the list's resourceVersion;
 * a watch that closes is resumed from the last resourceVersion seen, and
 * one that is refused or told 410 Gone starts over with a new list.
 */
export class ListWatch<T extends KubeObject> {
  /** The objects by objectKey. */
  readonly items = new Map<string, T>();
  /** Whether a list has arrived. */
  synced = false;
  /** The last failure to list, until a list succeeds. */
  error: unknown;
  /** Whether the watch is open (updates are live). */
  live = false;
  private rv = '';
  private ws: WebSocket | undefined;
  private timer: number | undefined;
  private stopped = false;
  private backoffMs = 1000;

  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
  ) {
    void this.relist();
  }

  private async relist(): Promise<void> {
    this.timer = undefined;
    try {
      const list = await get<KubeList<T>>(this.path);
      if (this.stopped) return;
      this.items.clear();
      for (const o of list.items ?? []) this.items.set(objectKey(o), o);
      this.rv = list.metadata?.resourceVersion ?? '';
      this.synced = true;
      this.error = undefined;
      this.backoffMs = 1000;
      this.onChange();
      this.watch();
    } catch (e) {
      if (this.stopped) return;
      this.error = e;
      this.onChange();
      this.retry(() => void this.relist());
    }
  }

  private retry(f: () => void): void {
    this.timer = window.setTimeout(f, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 15_000);
  }

  private watch(): void {
    this.timer = undefined;
    const sep = this.path.includes('?') ? '&' : '?';
    const ws = new WebSocket(wsUrl(`${this.path}${sep}watch=true&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(this.rv)}`), kubeProtocols());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    let gone = false;
    ws.onopen = () => {
      opened = true;
      this.live = true;
      this.onChange();
    };
    ws.onmessage = (m) => {
      let changed = false;
      for (const line of messageText(m.data, ws.protocol).split('\n')) {
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as WatchEvent<T>;
        const rv = ev.object?.metadata?.resourceVersion;
        switch (ev.type) {
          case 'ADDED':
          case 'MODIFIED':
            this.items.set(objectKey(ev.object), ev.object);
            changed = true;
            break;
          case 'DELETED':
            this.items.delete(objectKey(ev.object));
            changed = true;
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR':
            gone = (ev.object as Status).code === 410;
            ws.close();
            return;
        }
        if (rv) this.rv = rv;
      }
      if (changed) this.onChange();
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = undefined;
      this.live = false;
      this.onChange();
      if (opened && !gone) {
        this.backoffMs = 1000;
        this.timer = window.setTimeout(() => this.watch(), 500);
      } else this.retry(() => void this.relist());
    };
  }

  /** Stops listing and watching. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
  }
}
