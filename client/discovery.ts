/**
 * Discovery (client-go's discovery client, ServerPreferredResources): the
 * resources the API server serves, read from its legacy discovery documents
 * (/api, /api/v1, /apis, /apis/<group>/<version>), each group at its
 * preferred version, subresources left out.
 *
 * Contract: `serverPreferredResources` rejects only when the group list
 * itself cannot be read; a group version whose document fails is named in
 * `failed` (client-go's ErrGroupDiscoveryFailed) and the others' resources
 * are still returned, since a caller can often work with a partial list.
 */
import type { RestClient } from './rest.js';

/** A resource the API serves (metav1.APIResource, with its group and version). */
export interface ApiResource {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** The plural name of the URL: `configmaps`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

/** What discovery found: the resources, and the group versions whose documents failed (by `group/version`, `v1` for the core group). */
export interface Discovered {
  readonly resources: ApiResource[];
  readonly failed: ReadonlyMap<string, Error>;
}

/** Some group versions could not be discovered (client-go's ErrGroupDiscoveryFailed and its message). */
export class GroupDiscoveryFailedError extends Error {
  constructor(readonly groups: ReadonlyMap<string, Error>) {
    super(`unable to retrieve the complete list of server APIs: ${[...groups].map(([gv, e]) => `${gv}: ${e.message}`).join(', ')}`);
    this.name = 'GroupDiscoveryFailedError';
  }
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface ApiGroupList {
  groups?: { name: string; preferredVersion?: { groupVersion: string; version: string }; versions?: { groupVersion: string; version: string }[] }[];
}

/** See the file comment. */
export async function serverPreferredResources(client: RestClient): Promise<Discovered> {
  const core = await client.request<{ versions?: string[] }>('GET', '/api');
  const groups = await client.request<ApiGroupList>('GET', '/apis');
  const wanted: { group: string; version: string; path: string }[] = [];
  if (core.versions?.includes('v1')) wanted.push({ group: '', version: 'v1', path: '/api/v1' });
  for (const g of groups.groups ?? []) {
    const v = g.preferredVersion ?? g.versions?.[0];
    if (v) wanted.push({ group: g.name, version: v.version, path: `/apis/${v.groupVersion}` });
  }
  const failed = new Map<string, Error>();
  const lists = await Promise.all(
    wanted.map(async (w) => {
      try {
        return { ...w, list: await client.request<ApiResourceList>('GET', w.path) };
      } catch (e) {
        failed.set(w.group ? `${w.group}/${w.version}` : w.version, e as Error);
        return undefined;
      }
    }),
  );
  const resources: ApiResource[] = [];
  for (const l of lists) {
    if (!l) continue;
    for (const r of l.list.resources ?? []) {
      if (r.name.includes('/')) continue; // a subresource
      resources.push({ group: l.group, version: l.version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [] });
    }
  }
  return { resources, failed };
}

/** Whether the resource supports every one of `verbs` (client-go's SupportsAllVerbs). */
export function supportsAll(r: ApiResource, verbs: readonly string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

/** The apiVersion of a resource's objects: `v1`, `apps/v1`. */
export function apiVersionOf(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
