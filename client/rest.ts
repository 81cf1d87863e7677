/**
 * The REST client (client-go's rest.RESTClient and dynamic client in one):
 * JSON requests by resource path pieces over node:https or node:http with a
 * keep-alive agent, authenticated as a kubeconfig says (client certificate,
 * bearer token), with a user agent per component, a timeout per request and
 * optional client-side rate limiting (a token bucket; off unless `qps` is
 * set, since client-go's 5/10 would throttle a scheduler).
 *
 * Contract: a method resolves with the decoded answer of a 2xx, rejects with
 * an `ApiError` carrying the server's Status for any other code, and with a
 * plain Error for transport failures and timeouts. `watch()` (watch.ts)
 * streams events instead.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions as NodeRequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';
import { ApiError, isGone, statusFrom } from './errors.js';
import { loadKubeconfig, type ConnectionConfig } from './kubeconfig.js';
import { TokenBucket } from './ratelimit.js';
import type { KubeList, KubeObject, Status, WatchEvent } from './types.js';
import { startWatch, type Watch, type WatchHandlers } from './watch.js';

/** kubeling's version, in user agents. */
export const VERSION = 'v0.1.0';

/** The user agent of a component: `kubeling-scheduler/v0.1.0 (linux/x64) node/v20...`. */
export function userAgent(component: string): string {
  return `${component}/${VERSION} (${process.platform}/${process.arch}) node/${process.version}`;
}

/** A resource (or one object, or a subresource of one) by its path pieces. */
export interface ResourceRef {
  /** The API group; '' or unset for the core group (/api/v1). */
  readonly group?: string;
  /** The group's version (default v1). */
  readonly version?: string;
  /** The resource's plural name: pods, nodes, leases. */
  readonly resource: string;
  /** The namespace; unset for cluster-scoped resources or across all namespaces. */
  readonly namespace?: string;
  readonly name?: string;
  /** status, binding, scale, eviction ... (needs name). */
  readonly subresource?: string;
}

/** The URL path of a ResourceRef: /api/v1/namespaces/ns/pods/name/status. */
export function resourcePath(r: ResourceRef): string {
  const e = encodeURIComponent;
  let p = r.group ? `/apis/${e(r.group)}/${e(r.version ?? 'v1')}` : `/api/${e(r.version ?? 'v1')}`;
  if (r.namespace) p += `/namespaces/${e(r.namespace)}`;
  p += `/${e(r.resource)}`;
  if (r.name !== undefined) p += `/${e(r.name)}`;
  if (r.subresource) {
    if (r.name === undefined) throw new Error('resourcePath: a subresource needs a name');
    p += `/${e(r.subresource)}`;
  }
  return p;
}

/** Query parameters; unset ones are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** The options of a list or watch (metav1.ListOptions). */
export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  readonly timeoutSeconds?: number;
}

/** The options of a create, update or patch. */
export interface WriteOptions {
  readonly fieldManager?: string;
  readonly dryRun?: boolean;
}

/** The patch types the API takes, by their short names. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_CONTENT: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** metav1.DeleteOptions. */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
}

/** How a RestClient talks: the connection (from a kubeconfig) and the client's own options. */
export interface RestConfig extends ConnectionConfig {
  /** The User-Agent header (default userAgent('kubeling')). */
  readonly userAgent?: string;
  /** Per-request timeout in ms (default 30 s); watches use it only until the answer's headers. */
  readonly timeoutMs?: number;
  /** Client-side rate limit in requests a second; unset or 0: none. */
  readonly qps?: number;
  /** The rate limiter's burst (default max(qps, 1) * 2). */
  readonly burst?: number;
}

/** One request's options. */
export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** The body's content type (default application/json). */
  readonly contentType?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A client of one API server; see the file comment. */
export class RestClient {
  readonly #agent: HttpAgent;
  readonly #https: boolean;
  readonly #limiter: TokenBucket | undefined;
  readonly #headers: Record<string, string>;

  /** `shared`: the connection pool and rate limiter of the client this one is made from (withUserAgent). */
  constructor(
    readonly config: RestConfig,
    shared?: { readonly agent: HttpAgent; readonly limiter: TokenBucket | undefined },
  ) {
    this.#https = config.server.startsWith('https:');
    this.#agent = shared
      ? shared.agent
      : this.#https
      ? new HttpsAgent({
          keepAlive: true,
          // made once: given the PEM files instead, every new connection would parse them again
          secureContext: createSecureContext({
            ...(config.ca ? { ca: config.ca } : {}),
            ...(config.cert && config.key ? { cert: config.cert, key: config.key } : {}),
          }),
          ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
          rejectUnauthorized: !config.insecureSkipTLSVerify,
        })
      : new HttpAgent({ keepAlive: true });
    this.#limiter = shared ? shared.limiter : config.qps ? new TokenBucket(config.qps, config.burst ?? Math.max(config.qps, 1) * 2) : undefined;
    this.#headers = {
      'user-agent': config.userAgent ?? userAgent('kubeling'),
      accept: 'application/json',
      ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
    };
  }

  /**
   * This client under another User-Agent, sharing its connections and rate
   * limiter: kube-controller-manager gives each controller its own client
   * so that each write names the controller (client-go's AddUserAgent).
   */
  withUserAgent(userAgent: string): RestClient {
    return new RestClient({ ...this.config, userAgent }, { agent: this.#agent, limiter: this.#limiter });
  }

  /** A client from a kubeconfig file, with `opts` (user agent, qps ...) on top. */
  static fromKubeconfig(path?: string, opts: Omit<RestConfig, keyof ConnectionConfig> & { context?: string } = {}): RestClient {
    const { context, ...rest } = opts;
    return new RestClient({ ...loadKubeconfig(path, context), ...rest });
  }

  /** Opens an HTTP request (after the rate limiter) and resolves with its response's head; the caller reads the body. */
  async open(method: string, path: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    await this.#limiter?.take(o.signal);
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const url = this.config.server + path + (qs.size ? `?${qs.toString()}` : '');
    const data = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    const headers: Record<string, string> = { ...this.#headers };
    if (data !== undefined) {
      headers['content-type'] = o.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(data));
    }
    const opts: NodeRequestOptions = { method, headers, agent: this.#agent, ...(o.signal ? { signal: o.signal } : {}) };
    return new Promise((res, rej) => {
      const req = this.#https ? httpsRequest(url, opts) : httpRequest(url, opts);
      const ms = o.timeoutMs ?? this.config.timeoutMs ?? 30_000;
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer within ${ms} ms`)), ms);
      req.on('error', (e) => {
        clearTimeout(timer);
        rej(e);
      });
      req.on('response', (r) => {
        clearTimeout(timer);
        res(r);
      });
      req.end(data);
    });
  }

  /** One request with a JSON answer; see the file comment for what it rejects with. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const ms = o.timeoutMs ?? this.config.timeoutMs ?? 30_000;
    const started = Date.now();
    const r = await this.open(method, path, o);
    const text = await readBody(r, Math.max(1, ms - (Date.now() - started)), `${method} ${path}`);
    const code = r.statusCode ?? 0;
    if (code < 200 || code > 299) throw new ApiError(statusFrom(code, text));
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** GET one object. */
  get<T extends KubeObject = KubeObject>(ref: ResourceRef & { name: string }, o: { resourceVersion?: string } = {}): Promise<T> {
    return this.request('GET', resourcePath(ref), { query: { ...o } });
  }

  /** GET a list (one page when `limit` is set). */
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, o: ListOptions = {}): Promise<KubeList<T>> {
    return this.request('GET', resourcePath(ref), { query: { ...o } });
  }

  /**
   * The whole list, fetched in pages of `pageSize` (default 500) and joined
   * (client-go's pager). When a continue token has expired (410) it lists
   * once more without paging, as the pager falls back.
   */
  async listAll<T extends KubeObject = KubeObject>(ref: ResourceRef, o: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {}): Promise<KubeList<T>> {
    const { pageSize = 500, ...opts } = o;
    const first = await this.list<T>(ref, { ...opts, limit: pageSize });
    const items = [...first.items];
    let cont = first.metadata.continue;
    try {
      while (cont) {
        const page = await this.list<T>(ref, { ...opts, resourceVersion: undefined, resourceVersionMatch: undefined, limit: pageSize, continue: cont });
        items.push(...page.items);
        cont = page.metadata.continue;
      }
    } catch (e) {
      if (!isGone(e)) throw e;
      return this.list<T>(ref, opts);
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  /** POST a new object into `ref`'s collection. */
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, body: unknown, o: WriteOptions = {}): Promise<T> {
    return this.request('POST', resourcePath(ref), { body, query: writeQuery(o) });
  }

  /** PUT an object (its metadata.resourceVersion, if set, guards the write). */
  update<T extends KubeObject = KubeObject>(ref: ResourceRef & { name: string }, body: unknown, o: WriteOptions = {}): Promise<T> {
    return this.request('PUT', resourcePath(ref), { body, query: writeQuery(o) });
  }

  /** PATCH an object; `apply` (server-side apply) needs a fieldManager and takes `force`. */
  patch<T extends KubeObject = KubeObject>(ref: ResourceRef & { name: string }, type: PatchType, body: unknown, o: WriteOptions & { force?: boolean } = {}): Promise<T> {
    if (type === 'apply' && !o.fieldManager) throw new Error('patch: an apply patch needs a fieldManager');
    return this.request('PATCH', resourcePath(ref), { body, contentType: PATCH_CONTENT[type], query: { ...writeQuery(o), force: o.force } });
  }

  /** DELETE an object; resolves with what the server answered (the object, or a Status). */
  delete<T = KubeObject | Status>(ref: ResourceRef & { name: string }, o: DeleteOptions = {}): Promise<T> {
    return this.request('DELETE', resourcePath(ref), { body: deleteBody(o), query: { dryRun: o.dryRun ? 'All' : undefined } });
  }

  /** DELETE a collection (the objects `o`'s selectors match). */
  deleteCollection<T extends KubeObject = KubeObject>(ref: ResourceRef, o: ListOptions & DeleteOptions = {}): Promise<KubeList<T> | Status> {
    const { gracePeriodSeconds, propagationPolicy, preconditions, dryRun, ...list } = o;
    return this.request('DELETE', resourcePath(ref), {
      body: deleteBody({ gracePeriodSeconds, propagationPolicy, preconditions }),
      query: { ...list, dryRun: dryRun ? 'All' : undefined },
    });
  }

  /** Watches `ref` (see watch.ts): events as they come, then one end. */
  watch<T extends KubeObject = KubeObject>(ref: ResourceRef, o: ListOptions & { allowWatchBookmarks?: boolean }, h: WatchHandlers<T>): Watch {
    return startWatch<T>(this, resourcePath(ref), o, h);
  }

  /** Closes the idle keep-alive sockets (and any open ones). */
  close(): void {
    this.#agent.destroy();
  }
}

function writeQuery(o: WriteOptions): Query {
  return { fieldManager: o.fieldManager, dryRun: o.dryRun ? 'All' : undefined };
}

function deleteBody(o: DeleteOptions): unknown {
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: o.gracePeriodSeconds, propagationPolicy: o.propagationPolicy, preconditions: o.preconditions };
  return JSON.parse(JSON.stringify(body)) as unknown;
}

/** A response's body as text, failing after `ms`. */
function readBody(r: IncomingMessage, ms: number, what: string): Promise<string> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => r.destroy(new Error(`${what}: answer not complete within ${ms} ms`)), ms);
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    r.on('end', () => {
      clearTimeout(timer);
      res(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

export type { Watch, WatchHandlers, WatchEvent };
