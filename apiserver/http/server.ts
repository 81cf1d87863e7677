/**
 * The REST API over the registry (express): legacy discovery, /version and
 * the health endpoints, OpenAPI v3 (openapi.ts), and get, list, create, update, patch and delete of every
 * kind the registry has, each error a Status. Adding a kind touches only
 * the registry (STYLE.md item 8): routes are resolved from its tables.
 *
 * Paths: /api/v1/... for the core group, /apis/<group>/<version>/...; after
 * the group version, `<resource>[/<name>]` for cluster-scoped kinds (and
 * lists across namespaces), `namespaces/<ns>/<resource>[/<name>]` for
 * namespaced ones.
 *
 * The UiServer's observer, when there is one (observe.ts: the dashboard's
 * flow recorder), is told of each write once answered and of each watch
 * event as it is sent.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocketServer } from 'ws';
import { parse as parseYaml } from 'yaml';
import { invalid, type KubeObject } from '../api/meta.js';
import type { Authenticator } from '../auth/authenticate.js';
import { ACCESS_REVIEWS } from '../auth/access.js';
import { selfSubjectReview, type Review } from '../auth/review.js';
import { UNSECURED, type UserInfo } from '../auth/user.js';
import { BadRequestError, InvalidError, type FieldError } from '../registry/errors.js';
import type { DeleteOptions, FieldValidation, GenericStore, ListOptions, ListResult, PatchType, Preconditions } from '../registry/generic.js';
import { discoveryRoutes } from './discovery.js';
import { epochMs, type WatchObservation, type WriteObserver, type WriteVerb } from './observe.js';
import { openapiV3 } from './openapi.js';
import { openapiV2Handler } from './openapiv2.js';
import { podLogRoute } from './podlogs.js';
import { KubeProtobufError, decodeKubeProtobuf } from './protobuf.js';
import { StatusError, endWithStatus, failure, notFound, statusOf, unauthorized, type Status } from './status.js';
import { includeObject, listIn, negotiate, partial, table } from './table.js';
import { queryBool, streamWatch, watchOptions, watchStart, type EventChannel } from './watch.js';

/** What /version reports: the Kubernetes version whose API kubeling serves. */
export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kubeling',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'node' + process.versions.node,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch}`,
};

/** Bodies larger than this are refused (kube-apiserver's limit). */
const MAX_BODY = 3 * 1024 * 1024;

/** A parsed resource path. */
interface Target {
  readonly store: GenericStore;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  /** `status` or `scale` after the name. */
  readonly subresource: string | undefined;
}

/** How the server authenticates its callers. */
export interface AuthOptions {
  /** Names each request's user; a request it does not know is answered 401. Unset: nobody is asked (every caller is UNSECURED). */
  readonly authenticate?: Authenticator;
}

/**
 * What serves the dashboard (apiserver/inspect/): its routes, mounted
 * before the API's, and its WebSockets. The dashboard's static files (under
 * /ui/ but not /ui/api/) are public, as the login page must load; the rest
 * is authenticated as every request is.
 */
export interface UiServer {
  /** Mounts the routes under /ui/ on `app`. */
  routes(app: express.Express): void;
  /** Takes an upgrade to a WebSocket under /ui/api/ made by an authenticated `user`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): void;
  /** Told of every write the API answers and every watch event it sends (the flow recorder); unset: nothing is reported. */
  readonly observer?: WriteObserver;
}

/** Whether `path` is one of the dashboard's public static files. */
const isUiStatic = (path: string): boolean => (path === '/ui' || path.startsWith('/ui/')) && !path.startsWith('/ui/api/');

/** The reviews served beside the stores (create-only resources answered from the request). */
const REVIEWS: readonly Review[] = [selfSubjectReview, ...ACCESS_REVIEWS];

/** The paths anyone may read without credentials (kube-apiserver's system:public-info-viewer role). */
const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version']);

/** The user authentication found for a request (set by createApp's authentication step). */
export function userOf(res: Response): UserInfo {
  return (res.locals as { user?: UserInfo }).user ?? UNSECURED;
}

/** The express app serving `stores` (one per kind). */
export function createApp(stores: readonly GenericStore[], auth: AuthOptions = {}, ui?: UiServer): express.Express {
  const byGroupVersion = groupVersions(stores);
  const observer = ui?.observer;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // every answer goes through res.json: straight to Node's response, without
  // express's send (content-type parsing, a charset, freshness), and with
  // kube-apiserver's Content-Type, application/json
  app.response.json = function json(this: express.Response, obj: unknown): express.Response {
    const text = JSON.stringify(obj);
    if (!this.getHeader('Content-Type')) this.setHeader('Content-Type', 'application/json');
    if (this.statusCode === 204 || this.statusCode === 304) {
      this.end();
      return this;
    }
    this.setHeader('Content-Length', Buffer.byteLength(text));
    if (this.req.method === 'HEAD') this.end();
    else this.end(text);
    return this;
  };

  app.use((req, res, next) => {
    if (!auth.authenticate || PUBLIC.has(req.path) || isUiStatic(req.path)) return next();
    Promise.resolve(auth.authenticate(req)).then(
      (user) => {
        if (!user) return send(res, unauthorized());
        (res.locals as { user?: UserInfo }).user = user;
        next();
      },
      (e: unknown) => send(res, statusOf(e)),
    );
  });
  for (const p of ['/healthz', '/livez', '/readyz']) app.get(p, (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/version', (_req, res) => void res.json(VERSION));
  discoveryRoutes(app, stores, REVIEWS);
  ui?.routes(app);

  app.get('/openapi/v2', openapiV2Handler(stores));
  const openapi = openapiV3(stores);
  app.get('/openapi/v3', (_req, res) => void res.json(openapi.root));
  app.get('/openapi/v3/*gv', (req, res) => {
    const doc = openapi.docs.get(((req.params as { gv?: string[] }).gv ?? []).join('/'));
    if (!doc) return send(res, notFound());
    // a document named by its hash never changes: clients may keep it (as kube-apiserver lets them)
    if (req.query.hash === doc.hash) res.set('Cache-Control', 'public, immutable');
    res.type('application/json').send(doc.body);
  });

  const body = express.raw({ type: () => true, limit: MAX_BODY });
  for (const r of REVIEWS) {
    const gv = `/apis/${r.info.group}/${r.info.version}`;
    app.post(r.info.namespaced ? `${gv}/namespaces/:namespace/${r.info.resource}` : `${gv}/${r.info.resource}`, body, (req, res) => {
      try {
        res.status(201).json(r.create(decodeBody(req), userOf(res), (req.params as { namespace?: string }).namespace));
      } catch (e) {
        send(res, statusOf(e));
      }
    });
  }
  const serve = (gv: string) => async (req: Request, res: Response) => {
    const startedAt = observer ? epochMs() : 0;
    let t: Target | undefined;
    let outcome: Outcome | undefined;
    let failed: Status | undefined;
    try {
      const rest = (req.params as { rest?: string[] }).rest ?? [];
      t = resolve(byGroupVersion.get(gv), rest);
      if (!t) return send(res, notFound());
      outcome = await handle(t, req, res, observer);
    } catch (e) {
      failed = statusOf(e);
      send(res, failed);
    }
    if (observer && t) observeWrite(observer, t, req, res, startedAt, outcome, failed);
  };
  podLogRoute(app, stores); // pods/log is proxied to the pod's kubelet (podlogs.ts)
  app.all('/api/v1/*rest', body, serve('v1'));
  app.all('/apis/:group/:version/*rest', body, (req, res) => serve(`${req.params.group}/${req.params.version}`)(req, res));

  app.use((_req: Request, res: Response) => send(res, notFound()));
  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') {
      // the rest of the body is not read: the connection cannot carry another request
      res.set('Connection', 'close');
      return send(res, failure(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
    }
    send(res, statusOf(err));
  });
  return app;
}

/** The stores by group version (`v1`, `apps/v1`) and resource. */
function groupVersions(stores: readonly GenericStore[]): Map<string, Map<string, GenericStore>> {
  const byGroupVersion = new Map<string, Map<string, GenericStore>>();
  for (const s of stores) {
    const gv = s.apiVersion;
    if (!byGroupVersion.has(gv)) byGroupVersion.set(gv, new Map());
    byGroupVersion.get(gv)!.set(s.strategy.info.resource, s);
  }
  return byGroupVersion;
}

/**
 * The HTTP server's `upgrade` listener: a watch request (`?watch=true`) that
 * asks for a WebSocket gets one, each event a text message (base64 of the
 * event with the `base64.binary.k8s.io` subprotocol). Anything else is
 * answered with its Status and the connection closed.
 */
export function createUpgrade(stores: readonly GenericStore[], auth: AuthOptions = {}, ui?: UiServer): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const byGroupVersion = groupVersions(stores);
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('base64.binary.k8s.io') ? 'base64.binary.k8s.io' : false) });
  const refuse = (socket: Duplex, e: unknown): void => endWithStatus(socket, statusOf(e));
  const dispatch = (req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): void => {
    if (ui && req.url?.startsWith('/ui/api/')) return ui.upgrade(req, socket, head, user);
    upgrade(req, socket, head, user);
  };
  return (req, socket, head) => {
    if (!auth.authenticate) return dispatch(req, socket, head, UNSECURED);
    Promise.resolve(auth.authenticate(req)).then(
      (user) => (user ? dispatch(req, socket, head, user) : refuse(socket, new StatusError(unauthorized()))),
      (e: unknown) => refuse(socket, e),
    );
  };
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): void {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const m = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))\/(.+)$/.exec(url.pathname);
      const t = m ? resolve(byGroupVersion.get(m[1] ?? m[2]!), m[3]!.split('/').map(decodeURIComponent)) : undefined;
      if (!t || t.subresource !== undefined) throw new StatusError(notFound());
      const q = Object.fromEntries(url.searchParams);
      if (req.method !== 'GET' || !queryBool(q.watch)) throw new StatusError(failure(400, 'BadRequest', 'only watch requests may be upgraded to a WebSocket'));
      const opts = watchOptions(t.store, q, t.name);
      // the initial state first: a failure to read it is the answer to the upgrade request, a Status
      watchStart(t.store, t.namespace, opts).then(
        (start) =>
          wss.handleUpgrade(req, socket, head, (ws) => {
            const base64 = ws.protocol === 'base64.binary.k8s.io';
            const channel: EventChannel = {
              send: (event) => ws.send(base64 ? Buffer.from(event).toString('base64') : event),
              get backlog() {
                return ws.bufferedAmount;
              },
              close: () => ws.close(1000),
              onClose: (f) => (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED ? f() : void ws.once('close', f)),
            };
            streamWatch(t.store, t.namespace, { ...opts, ...(start ? { start } : {}) }, channel, observation(ui?.observer, t.store, req, user));
          }),
        (e: unknown) => refuse(socket, e),
      );
    } catch (e) {
      refuse(socket, e);
    }
  }
}

/** Resolves the segments after the group version to a store, namespace, name and subresource. */
function resolve(kinds: Map<string, GenericStore> | undefined, seg: string[]): Target | undefined {
  if (!kinds) return undefined;
  let namespace: string | undefined;
  const [a, b, c] = seg;
  if (a === 'namespaces' && b !== undefined && c !== undefined && kinds.get(c)?.strategy.info.namespaced) {
    namespace = b;
    seg = seg.slice(2);
  }
  const [resource, name, subresource, ...more] = seg;
  const store = resource === undefined ? undefined : kinds.get(resource);
  if (!store || more.length > 0 || name === '') return undefined;
  if (
    subresource !== undefined &&
    !(subresource === 'status' && store.strategy.status) &&
    !(subresource === 'scale' && store.strategy.scale) &&
    !store.strategy.actions?.[subresource] &&
    !store.strategy.updates?.[subresource]
  ) {
    return undefined;
  }
  return { store, namespace, name, subresource };
}

/**
 * What a write left, for the observer (server.ts's observeWrite): the
 * objects as answered (see ObservedWrite), an action's body, whether it was
 * a dry run. Reads answer undefined.
 */
interface Outcome {
  readonly object?: KubeObject;
  readonly deleted?: boolean;
  readonly items?: readonly KubeObject[];
  readonly request?: unknown;
  readonly dryRun?: boolean;
}

/** Serves one request to a resource; answers what a write left (for the observer), undefined for a read. */
async function handle(t: Target, req: Request, res: Response, observer: WriteObserver | undefined): Promise<Outcome | undefined> {
  const { store, namespace, name, subresource } = t;
  const q = req.query as Record<string, string | undefined>;
  const dryRun = q.dryRun === 'All';
  const info = store.strategy.info;
  if (namespace === undefined && info.namespaced && (name !== undefined || req.method !== 'GET')) {
    throw new BadRequestError('the server could not find the requested resource (a namespaced resource needs a namespace)');
  }
  const warnings: string[] = [];
  // unknown fields: Kubernetes' default is to warn (a protobuf body cannot carry any: its decoder drops them)
  const fieldValidation = mediaType(req) === PROTOBUF ? 'Ignore' : fieldValidationOf(q.fieldValidation);
  const manager = managerParams(req, q);
  const updating = subresource !== undefined && store.strategy.updates?.[subresource] !== undefined;
  const opts = { dryRun, fieldValidation, warnings, ...manager, ...(subresource === 'status' || updating ? { subresource } : {}) };
  const sendWarnings = (): void => {
    if (warnings.length) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  };
  const watching = queryBool(q.watch);
  const action = subresource === undefined ? undefined : store.strategy.actions?.[subresource];
  if (action) {
    if (req.method !== 'POST') return void send(res, failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
    const request = decodeBody(req);
    res.status(201).json(await action.post(store, namespace, name!, request, { dryRun }));
    return { request };
  }
  if (updating) {
    // an update subresource (a namespace's finalize) takes a PUT of the whole object, nothing else
    if (req.method !== 'PUT') return void send(res, failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
    const obj = await store.update(namespace, name!, parseBody(store, req, opts), opts);
    sendWarnings();
    res.json(obj);
    return { object: obj };
  }
  switch (`${req.method} ${name === undefined ? 'collection' : (subresource ?? 'object')}`) {
    case 'GET collection':
    case 'GET object': {
      const form = negotiate(req.headers.accept, name === undefined || watching);
      const include = includeObject(q.includeObject);
      if (watching) {
        const opts = watchOptions(store, q, name);
        const start = await watchStart(store, namespace, opts); // before the stream: a failure is answered as a Status
        return void streamWatch(store, namespace, { ...opts, form, include, ...(start ? { start } : {}) }, httpChannel(res), observation(observer, store, req, userOf(res)));
      }
      if (name !== undefined) {
        const obj = await store.get(namespace, name);
        if (form.as === 'Table') return void res.json(table(store, [obj], { resourceVersion: obj.metadata.resourceVersion }, form.version, include));
        return void res.json(form.as === 'PartialObjectMetadata' ? partial(obj, form.version) : obj);
      }
      const list = await store.list(namespace, listOptions(store, q));
      return void res.json(listIn(store, list, form, include) ?? listBody(store, list));
    }
    case 'GET status':
      return void res.json(await store.get(namespace, name!));
    case 'GET scale':
      return void res.json(await store.getScale(namespace, name!));
    case 'POST collection': {
      const obj = await store.create(namespace, parseBody(store, req, opts), { dryRun, ...manager });
      sendWarnings();
      res.status(201).json(obj);
      return { object: obj };
    }
    case 'PUT object':
    case 'PUT status': {
      const obj = await store.update(namespace, name!, parseBody(store, req, opts), opts);
      sendWarnings();
      res.json(obj);
      return { object: obj };
    }
    case 'PUT scale': {
      const scale = await store.writeScale(namespace, name!, { body: json(req.body as Buffer) }, { dryRun, ...manager });
      res.json(scale);
      return { object: scale };
    }
    case 'PATCH object':
    case 'PATCH status': {
      const type = patchType(req);
      const r = type === 'apply' ? await store.apply(namespace, name!, applyBody(req), opts) : { object: await store.patch(namespace, name!, type, json(req.body as Buffer), opts), created: false };
      sendWarnings();
      res.status(r.created ? 201 : 200).json(r.object);
      return { object: r.object };
    }
    case 'PATCH scale': {
      const scale = await store.writeScale(namespace, name!, { type: patchType(req), patch: json(req.body as Buffer) }, { dryRun, ...manager });
      res.json(scale);
      return { object: scale };
    }
    case 'DELETE object': {
      const del = deleteOptions(req, q);
      const r = await store.delete(namespace, name!, del);
      if (store.strategy.returnDeletedObject || !r.deleted) res.json(r.object);
      else {
        res.json({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, ...(info.group ? { group: info.group } : {}), kind: info.resource, uid: r.object.metadata.uid },
        });
      }
      return { object: r.object, deleted: r.deleted, dryRun: del.dryRun ?? false };
    }
    case 'DELETE collection': {
      const { filter } = listOptions(store, q);
      const del = deleteOptions(req, q);
      const list = await store.deleteCollection(namespace, filter, del);
      res.json(listBody(store, list));
      return { items: list.items, dryRun: del.dryRun ?? false };
    }
    default:
      return void send(res, failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
  }
}

/** The verb of a write request (undefined for a read). */
function writeVerb(method: string, name: string | undefined): WriteVerb | undefined {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default:
      return undefined;
  }
}

/** Tells `observer` of an answered write to `t` (not of reads, nor of dry runs). */
function observeWrite(observer: WriteObserver, t: Target, req: Request, res: Response, startedAt: number, outcome: Outcome | undefined, failed: Status | undefined): void {
  const verb = writeVerb(req.method, t.name);
  if (verb === undefined || (outcome?.dryRun ?? (req.query as Record<string, unknown>).dryRun === 'All')) return;
  const info = t.store.strategy.info;
  try {
    observer.write({
      verb,
      resource: info.resource,
      group: info.group,
      kind: info.kind,
      ...(t.subresource !== undefined ? { subresource: t.subresource } : {}),
      ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
      ...(t.name !== undefined ? { name: t.name } : {}),
      code: failed?.code ?? res.statusCode,
      user: userOf(res).username,
      userAgent: req.headers['user-agent'] ?? '',
      startedAt,
      durationMs: epochMs() - startedAt,
      ...(outcome?.object ? { object: outcome.object } : {}),
      ...(outcome?.deleted !== undefined ? { deleted: outcome.deleted } : {}),
      ...(outcome?.items ? { items: outcome.items } : {}),
      ...(outcome?.request !== undefined ? { request: outcome.request } : {}),
      ...(failed ? { failure: { ...(failed.reason ? { reason: failed.reason } : {}), ...(failed.message ? { message: failed.message } : {}) } } : {}),
    });
  } catch {
    // an observer's failure is not the request's
  }
}

/** What a watch stream tells `observer` about who it sends to (undefined without an observer). */
function observation(observer: WriteObserver | undefined, store: GenericStore, req: IncomingMessage, user: UserInfo): WatchObservation | undefined {
  if (!observer) return undefined;
  return { observer, watcher: { user: user.username, userAgent: req.headers['user-agent'] ?? '', resource: store.strategy.info.resource } };
}

/** A list request's options from its query. */
function listOptions(store: GenericStore, q: Record<string, string | undefined>): ListOptions {
  const limit = q.limit === undefined ? undefined : Number(q.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new BadRequestError(`invalid limit: ${q.limit}`);
  const filter = store.selector(q.labelSelector, q.fieldSelector);
  return {
    ...(limit ? { limit } : {}),
    ...(q.continue ? { continue: q.continue } : {}),
    ...(q.resourceVersion !== undefined ? { resourceVersion: q.resourceVersion } : {}),
    ...(q.resourceVersionMatch !== undefined ? { resourceVersionMatch: q.resourceVersionMatch } : {}),
    ...(filter ? { filter } : {}),
  };
}

/** A list as Kubernetes answers it: `<Kind>List` with the list's metadata. */
function listBody(store: GenericStore, list: ListResult): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
  if (list.continue) metadata.continue = list.continue;
  if (list.remainingItemCount !== undefined) metadata.remainingItemCount = list.remainingItemCount;
  return { kind: `${store.strategy.info.kind}List`, apiVersion: store.apiVersion, metadata, items: list.items };
}

/** A DELETE's DeleteOptions, from its body and its query; Invalid for a policy Kubernetes does not have. */
function deleteOptions(req: Request, q: Record<string, string | undefined>): DeleteOptions {
  const body = (json(req.body as Buffer | undefined) ?? {}) as {
    gracePeriodSeconds?: number | null;
    propagationPolicy?: string | null;
    orphanDependents?: boolean | null;
    preconditions?: Preconditions | null;
    dryRun?: string[] | null;
  };
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the body of a DELETE must be DeleteOptions');
  const grace = q.gracePeriodSeconds !== undefined ? Number(q.gracePeriodSeconds) : body.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && !Number.isInteger(grace)) throw new BadRequestError(`invalid gracePeriodSeconds: ${String(grace)}`);
  let policy = q.propagationPolicy ?? body.propagationPolicy ?? undefined;
  const orphan = q.orphanDependents !== undefined ? queryBool(q.orphanDependents) : body.orphanDependents;
  const causes: FieldError[] = [];
  if (orphan !== undefined && orphan !== null) {
    if (policy) causes.push(invalid('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'));
    policy = orphan ? 'Orphan' : 'Background';
  }
  if (policy && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    causes.push({ field: 'propagationPolicy', type: 'FieldValueNotSupported', message: `propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"` });
  }
  if (causes.length) throw new InvalidError('DeleteOptions.meta.k8s.io', '', causes);
  return {
    ...(body.preconditions ? { preconditions: body.preconditions } : {}),
    ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: Math.max(grace, 0) } : {}),
    ...(policy ? { propagationPolicy: policy as 'Orphan' | 'Background' | 'Foreground' } : {}),
    dryRun: q.dryRun === 'All' || (body.dryRun ?? []).includes('All'),
  };
}

/** The patch type of a PATCH's Content-Type; 415 for another. */
function patchType(req: Request): PatchType {
  const type = PATCH_TYPES[mediaType(req)];
  if (!type) {
    throw new StatusError(
      failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`),
    );
  }
  return type;
}

/** A chunked HTTP response as a watch's channel. */
function httpChannel(res: Response): EventChannel {
  res.status(200);
  res.setHeader('Content-Type', 'application/json'); // as kube-apiserver sends it, without a charset
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  return {
    send: (line) => void res.write(line + '\n'),
    get backlog() {
      return res.writableLength;
    },
    close: () => void res.end(),
    onClose: (f) => (res.closed ? f() : void res.once('close', f)),
  };
}

function json(b: Buffer | undefined): unknown {
  if (!(b instanceof Buffer) || b.length === 0) return undefined; // no body
  try {
    return JSON.parse(b.toString('utf8'));
  } catch (e) {
    throw new BadRequestError(`the body of the request was in an unknown format: ${(e as Error).message}`);
  }
}

/** The request's body as an object of the store's kind. */
function parseBody(store: GenericStore, req: Request, check: FieldValidation): KubeObject {
  return store.parse(decodeBody(req), check);
}

/** The fieldValidation parameter (Warn when unset, as Kubernetes defaults it); BadRequest for another value. */
function fieldValidationOf(v: string | undefined): 'Ignore' | 'Warn' | 'Strict' {
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw new BadRequestError(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got ${JSON.stringify(v)}`);
}

/** A JSON or Kubernetes protobuf body as JSON; 415 for another format, 400 for one that does not decode. */
function decodeBody(req: Request): unknown {
  const type = mediaType(req);
  if (type === 'application/json') return json(req.body as Buffer | undefined);
  if (type === 'application/yaml') {
    try {
      return parseYaml(String(req.body as Buffer));
    } catch (e) {
      throw new BadRequestError(`the body of the request was in an unknown format: ${(e as Error).message}`);
    }
  }
  if (type !== PROTOBUF) throw unsupportedBody();
  try {
    return decodeKubeProtobuf(req.body as Buffer);
  } catch (e) {
    if (!(e instanceof KubeProtobufError)) throw e;
    if (e.unsupported) throw new StatusError(failure(415, 'UnsupportedMediaType', e.message));
    throw new BadRequestError(e.message);
  }
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The 415 of a body in a format the server does not read. */
function unsupportedBody(): StatusError {
  return new StatusError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${PROTOBUF}`));
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** A write's manager parameters: fieldManager, the User-Agent (the manager when it is unset), and force (true or false when given). */
function managerParams(req: Request, q: Record<string, string | undefined>): { fieldManager?: string; userAgent?: string; force?: boolean } {
  const ua = req.headers['user-agent'];
  return { ...(q.fieldManager ? { fieldManager: q.fieldManager } : {}), ...(ua ? { userAgent: ua } : {}), ...(q.force !== undefined ? { force: q.force === 'true' } : {}) };
}

/** An apply patch's body: YAML (or JSON, which is YAML). */
function applyBody(req: Request): unknown {
  const b = req.body as Buffer | undefined;
  if (!(b instanceof Buffer) || b.length === 0) return undefined;
  try {
    return parseYaml(b.toString('utf8'));
  } catch (e) {
    throw new BadRequestError(`error decoding YAML: ${(e as Error).message}`);
  }
}

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}


function send(res: Response, s: Status): void {
  res.status(s.code).json(s);
}
