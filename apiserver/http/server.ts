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
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { KubeObject } from '../api/meta.js';
import { BadRequestError } from '../registry/errors.js';
import type { GenericStore, PatchType } from '../registry/generic.js';
import { openapiV3 } from './openapi.js';
import { StatusError, failure, statusOf, type Status } from './status.js';

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
}

/** The express app serving `stores` (one per kind). */
export function createApp(stores: readonly GenericStore[]): express.Express {
  const byGroupVersion = new Map<string, Map<string, GenericStore>>();
  for (const s of stores) {
    const gv = s.apiVersion;
    if (!byGroupVersion.has(gv)) byGroupVersion.set(gv, new Map());
    byGroupVersion.get(gv)!.set(s.strategy.info.resource, s);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  for (const p of ['/healthz', '/livez', '/readyz']) app.get(p, (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/version', (_req, res) => void res.json(VERSION));
  app.get('/api', (req, res) => {
    res.json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.socket.localAddress + ':' + req.socket.localPort }] });
  });
  app.get('/apis', (_req, res) => {
    const groups = [...byGroupVersion.keys()].filter((gv) => gv.includes('/'));
    res.json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((gv) => {
        const [group, version] = gv.split('/') as [string, string];
        return { name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      }),
    });
  });

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
  const resourceList = (gv: string, res: Response): void => {
    const kinds = byGroupVersion.get(gv);
    if (!kinds) return void send(res, notFound());
    res.json({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: [...kinds.values()].map((s) => {
        const i = s.strategy.info;
        return {
          name: i.resource,
          singularName: i.singular,
          namespaced: i.namespaced,
          kind: i.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
          ...(i.shortNames ? { shortNames: i.shortNames } : {}),
        };
      }),
    });
  };
  app.get('/api/v1', (_req, res) => resourceList('v1', res));
  app.get('/apis/:group/:version', (req, res) => resourceList(`${req.params.group}/${req.params.version}`, res));

  const serve = (gv: string) => async (req: Request, res: Response) => {
    try {
      const rest = (req.params as { rest?: string[] }).rest ?? [];
      const t = resolve(byGroupVersion.get(gv), rest);
      if (!t) return send(res, notFound());
      await handle(t, req, res);
    } catch (e) {
      send(res, statusOf(e));
    }
  };
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

/** Resolves the segments after the group version to a store, namespace and name. */
function resolve(kinds: Map<string, GenericStore> | undefined, seg: string[]): Target | undefined {
  if (!kinds) return undefined;
  const [a, b, c, d, ...more] = seg;
  if (a === undefined || more.length > 0) return undefined;
  if (a === 'namespaces' && b !== undefined && c !== undefined) {
    const store = kinds.get(c);
    if (!store?.strategy.info.namespaced) return undefined;
    return { store, namespace: b, name: d };
  }
  const store = kinds.get(a);
  if (!store || c !== undefined) return undefined;
  return { store, namespace: undefined, name: b };
}

async function handle(t: Target, req: Request, res: Response): Promise<void> {
  const { store, namespace, name } = t;
  const q = req.query as Record<string, string | undefined>;
  const dryRun = q.dryRun === 'All';
  const info = store.strategy.info;
  if (namespace === undefined && info.namespaced && (name !== undefined || req.method !== 'GET')) {
    throw new BadRequestError('the server could not find the requested resource (a namespaced resource needs a namespace)');
  }
  switch (req.method) {
    case 'GET': {
      if (name !== undefined) return void res.json(await store.get(namespace, name));
      const limit = q.limit === undefined ? undefined : Number(q.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new BadRequestError(`invalid limit: ${q.limit}`);
      const list = await store.list(namespace, {
        ...(limit ? { limit } : {}),
        ...(q.continue ? { continue: q.continue } : {}),
        ...(q.resourceVersion !== undefined ? { resourceVersion: q.resourceVersion } : {}),
        ...(q.resourceVersionMatch !== undefined ? { resourceVersionMatch: q.resourceVersionMatch } : {}),
      });
      const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
      if (list.continue) metadata.continue = list.continue;
      if (list.remainingItemCount !== undefined) metadata.remainingItemCount = list.remainingItemCount;
      return void res.json({ kind: `${info.kind}List`, apiVersion: store.apiVersion, metadata, items: list.items });
    }
    case 'POST': {
      if (name !== undefined) throw notAllowed();
      const obj = await store.create(namespace, parseBody(store, req), { dryRun });
      return void res.status(201).json(obj);
    }
    case 'PUT': {
      if (name === undefined) throw notAllowed();
      return void res.json(await store.update(namespace, name, parseBody(store, req), { dryRun }));
    }
    case 'PATCH': {
      if (name === undefined) throw notAllowed();
      const type = PATCH_TYPES[mediaType(req)];
      if (!type) {
        throw new StatusError(
          failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`),
        );
      }
      return void res.json(await store.patch(namespace, name, type, req.body instanceof Buffer ? json(req.body) : undefined, { dryRun }));
    }
    case 'DELETE': {
      if (name === undefined) throw notAllowed();
      const opts = req.body instanceof Buffer && req.body.length > 0 ? (json(req.body) as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
      const r = await store.delete(namespace, name, opts.preconditions ?? {}, { dryRun });
      if (store.strategy.returnDeletedObject || !r.deleted) return void res.json(r.object);
      return void res.json({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, ...(info.group ? { group: info.group } : {}), kind: info.resource, uid: r.object.metadata.uid },
      });
    }
    default:
      return send(res, failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
  }
}

function json(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch (e) {
    throw new BadRequestError(`the body of the request was in an unknown format: ${(e as Error).message}`);
  }
}

/** The request's body as an object of the store's kind. */
function parseBody(store: GenericStore, req: Request): KubeObject {
  const type = mediaType(req);
  if (type !== 'application/json') {
    throw new StatusError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`));
  }
  return store.parse(req.body instanceof Buffer ? json(req.body) : undefined);
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

/** The Status of a path that names nothing the server serves. */
function notFound(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource');
}

/** A verb the path's target does not take (a POST to a named object, a PUT to a collection). */
function notAllowed(): BadRequestError {
  return new BadRequestError('the server does not allow this method on the requested resource');
}

function send(res: Response, s: Status): void {
  res.status(s.code).json(s);
}
