/**
 * Hash routes: `#/store`, `#/raft`, `#/cluster`, `#/flow`, each with an
 * optional query (`#/store?key=/registry/pods/default/web`,
 * `#/flow?pod=default/web-1`). Hash routes need nothing of the server: the
 * page is always /ui/. Parsing is pure (unit tested under Node).
 */

/** The views, in the order of the navigation. */
export const ROUTES = ['cluster', 'store', 'raft', 'flow'] as const;
/** One of ROUTES. */
export type RouteName = (typeof ROUTES)[number];

/** Where the dashboard is. */
export interface Route {
  readonly name: RouteName;
  readonly params: URLSearchParams;
}

/** The route view shown for an empty or unknown hash. */
export const DEFAULT_ROUTE: RouteName = 'cluster';

/** The route of `hash` (`#/store?key=...`); unknown names give the default. */
export function parseHash(hash: string): Route {
  const s = hash.replace(/^#\/?/, '');
  const q = s.indexOf('?');
  const name = q < 0 ? s : s.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : s.slice(q + 1));
  return { name: (ROUTES as readonly string[]).includes(name) ? (name as RouteName) : DEFAULT_ROUTE, params };
}

/** The hash of a route: `#/store?key=%2Fregistry%2F...`. */
export function href(name: RouteName, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return `#/${name}${s ? `?${s}` : ''}`;
}

/** Calls `onRoute` with the current route now and at every hash change; returns the stop function. */
export function startRouter(onRoute: (r: Route) => void): () => void {
  const f = (): void => onRoute(parseHash(location.hash));
  window.addEventListener('hashchange', f);
  f();
  return () => window.removeEventListener('hashchange', f);
}
