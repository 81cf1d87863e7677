/**
 * Discovery: what the server serves, in the two forms clients read.
 *
 * - Aggregated (apidiscovery.k8s.io v2 and v2beta1): `/api` and `/apis`
 *   answer with every group's versions and resources in one document when
 *   the Accept header asks for `as=APIGroupDiscoveryList`; the Content-Type
 *   names the version chosen. kubectl 1.26+ and client-go ask for it first.
 * - Legacy: `/api` (APIVersions), `/apis` (APIGroupList), and one
 *   APIResourceList per group version (`/api/v1`, `/apis/apps/v1`).
 *
 * Both are built from the registry: a kind's names, scope, verbs and
 * subresources come from its strategy. Reviews (create-only resources such
 * as selfsubjectreviews) are listed beside the kinds.
 */
import type { Express, Request, Response } from 'express';
import type { Review } from '../auth/review.js';
import type { GenericStore } from '../registry/generic.js';
import type { ResourceInfo } from '../registry/strategy.js';
import { mediaRanges } from './accept.js';
import { notFound } from './status.js';

/** The verbs of a stored resource, as discovery lists them. */
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A resource as discovery describes it. */
interface Described {
  readonly info: ResourceInfo;
  readonly verbs: readonly string[];
  readonly subresources: readonly Subresource[];
}

/** A store's kind, or a review, as discovery describes it. */
function describe(r: GenericStore | Review): Described {
  return 'strategy' in r ? { info: r.strategy.info, verbs: VERBS, subresources: subresourcesOf(r) } : { info: r.info, verbs: ['create'], subresources: [] };
}

/** A subresource as discovery names it. */
interface Subresource {
  readonly name: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly verbs: readonly string[];
}

/** The subresources of a store's kind. */
export function subresourcesOf(store: GenericStore): Subresource[] {
  const { group, version, kind } = store.strategy.info;
  const out: Subresource[] = [];
  if (store.strategy.scale) out.push({ name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
  if (store.strategy.status) out.push({ name: 'status', kind: { group, version, kind }, verbs: ['get', 'patch', 'update'] });
  for (const [name, action] of Object.entries(store.strategy.actions ?? {})) out.push({ name, kind: action.kind, verbs: ['create'] });
  for (const name of Object.keys(store.strategy.updates ?? {})) out.push({ name, kind: { group, version, kind }, verbs: ['update'] });
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The aggregated discovery versions a client may ask for, newest first. */
const AGGREGATED = ['v2', 'v2beta1'];

/** The aggregated discovery version the Accept header asks for, if any. */
function aggregatedVersion(req: Request): string | undefined {
  for (const { type, params: p } of mediaRanges(req.headers.accept)) {
    if (type === 'application/json' && Object.keys(p).length === 0) return undefined; // the legacy form comes first
    if (type === 'application/json' && p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList' && AGGREGATED.includes(p.v ?? '')) return p.v;
  }
  return undefined;
}

/** Adds the discovery routes of `stores` and `reviews` to `app`. */
export function discoveryRoutes(app: Express, stores: readonly GenericStore[], reviews: readonly Review[]): void {
  const byGroupVersion = new Map<string, Described[]>();
  for (const d of [...stores, ...reviews].map(describe)) {
    const gv = d.info.group ? `${d.info.group}/${d.info.version}` : d.info.version;
    byGroupVersion.set(gv, [...(byGroupVersion.get(gv) ?? []), d]);
  }
  const groupVersions = [...byGroupVersion.keys()];
  const aggregated = (core: boolean, v: string, res: Response): void => {
    const items = groupVersions
      .filter((gv) => gv.includes('/') !== core)
      .map((gv) => ({
        metadata: { name: core ? '' : gv.split('/')[0], creationTimestamp: null },
        versions: [{ version: gv.split('/').at(-1), resources: byGroupVersion.get(gv)!.map(aggregatedResource), freshness: 'Current' }],
      }));
    res.setHeader('Content-Type', `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
    res.setHeader('Vary', 'Accept');
    res.end(JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items })); // as is: express would rewrite the Content-Type
  };

  app.get('/api', (req, res) => {
    const v = aggregatedVersion(req);
    if (v) return aggregated(true, v, res);
    res.setHeader('Vary', 'Accept');
    res.json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${req.socket.localAddress}:${req.socket.localPort}` }] });
  });
  app.get('/apis', (req, res) => {
    const v = aggregatedVersion(req);
    if (v) return aggregated(false, v, res);
    res.setHeader('Vary', 'Accept');
    res.json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groupVersions
        .filter((gv) => gv.includes('/'))
        .map((gv) => {
          const [group, version] = gv.split('/') as [string, string];
          return { name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        }),
    });
  });
  app.get('/apis/:group', (req, res, next) => {
    const gv = groupVersions.find((g) => g.split('/')[0] === req.params.group);
    if (!gv) return next();
    const version = gv.split('/')[1];
    res.json({ kind: 'APIGroup', apiVersion: 'v1', name: req.params.group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } });
  });
  const resourceList = (gv: string, res: Response): void => {
    const kinds = byGroupVersion.get(gv);
    if (!kinds) return void res.status(404).json(notFound());
    res.json({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: kinds.flatMap(legacyResources) });
  };
  app.get('/api/v1', (_req, res) => resourceList('v1', res));
  app.get('/apis/:group/:version', (req, res) => resourceList(`${req.params.group}/${req.params.version}`, res));
}

/** A kind and its subresources as APIResourceList entries. */
function legacyResources(d: Described): Record<string, unknown>[] {
  const i = d.info;
  return [
    {
      name: i.resource,
      singularName: i.singular,
      namespaced: i.namespaced,
      kind: i.kind,
      verbs: d.verbs,
      ...(i.shortNames ? { shortNames: i.shortNames } : {}),
      ...(i.categories ? { categories: i.categories } : {}),
    },
    ...d.subresources.map((sub) => ({
      name: `${i.resource}/${sub.name}`,
      singularName: '',
      namespaced: i.namespaced,
      ...(sub.kind.group !== i.group || sub.kind.version !== i.version ? { group: sub.kind.group, version: sub.kind.version } : {}),
      kind: sub.kind.kind,
      verbs: sub.verbs,
    })),
  ];
}

/** A kind as an APIResourceDiscovery entry. */
function aggregatedResource(d: Described): Record<string, unknown> {
  const i = d.info;
  const subs = d.subresources;
  return {
    resource: i.resource,
    responseKind: { group: i.group, version: i.version, kind: i.kind },
    scope: i.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: i.singular,
    verbs: d.verbs,
    ...(i.shortNames ? { shortNames: i.shortNames } : {}),
    ...(i.categories ? { categories: i.categories } : {}),
    ...(subs.length ? { subresources: subs.map((sub) => ({ subresource: sub.name, responseKind: sub.kind, verbs: sub.verbs })) } : {}),
  };
}
