/**
 * A DaemonSet's history: the ControllerRevisions it owns, one per template
 * it has had (Kubernetes' daemon/update.go constructHistory, snapshot,
 * dedupCurHistories, cleanupHistory, Match and getPatch). `kubectl rollout
 * history daemonset/x` lists them, and `kubectl rollout undo` patches the
 * DaemonSet with one's data.
 *
 *   revisions in the DaemonSet's namespace ─► claim (adopt orphans its selector
 *   (informer cache)                          matches, release owned ones it does not)
 *        each without a controller-revision-hash label gets its name as one
 *        │ its data the DaemonSet's current template? (matches)
 *        ├ yes: current; several: the highest revision stays, the others'
 *        │      pods relabelled to its hash, the others deleted
 *        └ no:  old
 *   no current ──► create `<ds>-<hash>`, revision max(old) + 1 (a name held by
 *                  other data: status.collisionCount + 1, and the sync is retried)
 *   current below max(old) + 1 (the template came back) ──► its revision raised
 *   after the sync (cleanup): the old beyond spec.revisionHistoryLimit deleted,
 *   lowest revision first, but never one whose hash a live pod carries
 *
 * A revision's data is the strategic merge patch that restores the template:
 * `{"spec":{"template":{"$patch":"replace", ...}}}`, written as Go's
 * json.Marshal writes the template (keys sorted, `metadata.creationTimestamp`
 * null, each container's `resources` {}), so that kubectl finds the current
 * template equal to it byte for byte as it does against Kubernetes. Here a
 * revision matches when its data is semantically equal to that patch (the
 * equality its hash follows: deployment/hash.ts), so that a template stored
 * with or without empty fields never looks like a hash collision.
 */
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import type { RestClient } from '../../client/rest.js';
import type { Pod } from '../../client/types.js';
import { computeHash } from '../deployment/hash.js';
import { claim, newControllerRef, recheckDeletion } from '../internal/controllerref.js';
import { labelSelectorMatcher } from '../internal/selector.js';
import { canonicalJson } from '../internal/semantic.js';
import type { PodTemplateSpec } from '../internal/types.js';
import { REVISION_HASH_LABEL } from './placement.js';
import { CONTROLLER_REVISIONS, DAEMONSETS, type ControllerRevision, type DaemonSet } from './types.js';

/** What a sync works with: its revision (whose hash daemon pods carry) and the others. */
export interface History {
  readonly cur: ControllerRevision;
  readonly old: readonly ControllerRevision[];
}

/** `v` with the keys of every object sorted, as Go's json.Marshal writes a map. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (typeof v !== 'object' || v === null) return v;
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = sortedKeys(obj[k]);
  return out;
}

/** The template as Go writes a v1.PodTemplateSpec: a zero creationTimestamp as null, and every container's resources (a struct) even when empty. */
function goTemplate(template: PodTemplateSpec | undefined): Record<string, unknown> {
  const t = structuredClone(template ?? {}) as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  const meta = (t.metadata ??= {});
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  const spec = (t.spec ??= {});
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = spec[list];
    if (Array.isArray(containers)) for (const c of containers as Record<string, unknown>[]) c.resources ??= {};
  }
  return t;
}

/** A revision's data for the DaemonSet's template (getPatch): see the file comment. */
export function revisionData(ds: DaemonSet): unknown {
  return sortedKeys({ spec: { template: { ...goTemplate(ds.spec.template), $patch: 'replace' } } });
}

/** Whether the revision holds the DaemonSet's current template (Match; see the file comment). */
export function matches(ds: DaemonSet, revision: ControllerRevision): boolean {
  return canonicalJson(revision.data) === canonicalJson(revisionData(ds));
}

/** The highest revision number of `revisions` (0 for none). */
export function maxRevision(revisions: readonly ControllerRevision[]): number {
  return revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
}

/** The hash a revision stands for: its controller-revision-hash label. */
export function revisionHash(revision: ControllerRevision): string | undefined {
  return revision.metadata.labels?.[REVISION_HASH_LABEL];
}

/** Of several revisions that match the template, the one kept: the highest revision (the last of equals). */
export function revisionToKeep(current: readonly ControllerRevision[]): ControllerRevision {
  let keep = current[0]!;
  for (const c of current) if ((c.revision ?? 0) >= (keep.revision ?? 0)) keep = c;
  return keep;
}

/**
 * The old revisions to delete so that at most `limit` stay: the lowest
 * revisions first (by name among equals), skipping those whose hash a live
 * pod carries (they may stay beyond the limit).
 */
export function revisionsToDelete(old: readonly ControllerRevision[], limit: number, liveHashes: ReadonlySet<string>): ControllerRevision[] {
  let toKill = old.length - limit;
  if (toKill <= 0) return [];
  const byRevision = [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const out: ControllerRevision[] = [];
  for (const r of byRevision) {
    if (toKill <= 0) break;
    const hash = revisionHash(r);
    if (hash !== undefined && liveHashes.has(hash)) continue;
    out.push(r);
    toKill--;
  }
  return out;
}

/** A DaemonSet's spec.revisionHistoryLimit (the API server defaults it to 10). */
export function historyLimit(ds: DaemonSet): number {
  return ds.spec.revisionHistoryLimit ?? 10;
}

/** Reads and writes a DaemonSet's history; see the file comment. */
export class DaemonSetHistory {
  readonly #client: RestClient;
  readonly #cached: (namespace: string) => readonly ControllerRevision[];

  /** `cached`: the revisions of a namespace as the informer has them. */
  constructor(client: RestClient, cached: (namespace: string) => readonly ControllerRevision[]) {
    this.#client = client;
    this.#cached = cached;
  }

  /**
   * The DaemonSet's current revision (created, or its number raised, as
   * needed) and its old ones (constructHistory). `daemonPods` gives its pods,
   * to relabel when duplicates of the current revision are removed.
   */
  async construct(ds: DaemonSet, daemonPods: () => Promise<readonly Pod[]>): Promise<History> {
    const current: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (let r of await this.#controlled(ds)) {
      // the name stands for the hash, which then needs no recomputing (and no collision handling)
      if (revisionHash(r) === undefined) {
        r = await this.#client.update<ControllerRevision>(this.#ref(ds, r.metadata.name!), {
          ...r,
          metadata: { ...r.metadata, labels: { ...(r.metadata.labels ?? {}), [REVISION_HASH_LABEL]: r.metadata.name! } },
        });
      }
      (matches(ds, r) ? current : old).push(r);
    }
    const next = maxRevision(old) + 1;
    if (current.length === 0) return { cur: await this.#snapshot(ds, next), old };
    let cur = await this.#dedup(ds, current, daemonPods);
    if ((cur.revision ?? 0) < next) cur = await this.#client.update<ControllerRevision>(this.#ref(ds, cur.metadata.name!), { ...cur, revision: next });
    return { cur, old };
  }

  /** Deletes the old revisions beyond the DaemonSet's limit (cleanupHistory); `pods`: its pods, those being deleted included. */
  async cleanup(ds: DaemonSet, old: readonly ControllerRevision[], pods: readonly Pod[]): Promise<void> {
    const live = new Set<string>();
    for (const p of pods) {
      const hash = p.metadata.labels?.[REVISION_HASH_LABEL];
      if (hash) live.add(hash);
    }
    for (const r of revisionsToDelete(old, historyLimit(ds), live)) await this.#delete(ds, r.metadata.name!);
  }

  /** The revisions the DaemonSet controls, after adopting and releasing (controlledHistories). */
  #controlled(ds: DaemonSet): Promise<ControllerRevision[]> {
    const ns = ds.metadata.namespace ?? '';
    return claim(
      {
        client: this.#client,
        resource: CONTROLLER_REVISIONS,
        controller: ds,
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        selector: labelSelectorMatcher(ds.spec.selector),
        canAdopt: recheckDeletion(this.#client, { ...DAEMONSETS, namespace: ns, name: ds.metadata.name! }, ds.metadata.uid),
      },
      this.#cached(ns),
    );
  }

  /**
   * Creates the revision of the DaemonSet's template (snapshot). Its name
   * taken already: by this very template, that one is it; by another, the
   * DaemonSet's collisionCount goes up (on a fresh read, unless the count
   * this sync hashed with is stale) and the AlreadyExists is thrown, so
   * that the sync is retried with the new hash.
   */
  async #snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const collisionCount = ds.status?.collisionCount ?? null;
    const hash = computeHash(ds.spec.template, collisionCount);
    const name = `${ds.metadata.name ?? ''}-${hash}`;
    const annotations = ds.metadata.annotations;
    const body: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ds.metadata.namespace,
        labels: { ...(ds.spec.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
        ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
      },
      data: revisionData(ds),
      revision,
    };
    try {
      return await this.#client.create<ControllerRevision>({ ...CONTROLLER_REVISIONS, namespace: ds.metadata.namespace }, body);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await this.#client.get<ControllerRevision>(this.#ref(ds, name));
      if (matches(ds, existing)) return existing;
      const fresh = await this.#client.get<DaemonSet>({ ...DAEMONSETS, namespace: ds.metadata.namespace, name: ds.metadata.name! });
      const freshCount = fresh.status?.collisionCount ?? null;
      if (freshCount !== collisionCount) {
        throw new Error(`found a stale collision count (${collisionCount ?? 'nil'}, expected ${freshCount ?? 'nil'}) of DaemonSet "${ds.metadata.name ?? ''}" while processing; will retry until it is updated`, {
          cause: e,
        });
      }
      const status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, ...fresh.status, collisionCount: (freshCount ?? 0) + 1 };
      await this.#client.update({ ...DAEMONSETS, namespace: ds.metadata.namespace, name: ds.metadata.name!, subresource: 'status' }, { ...fresh, status });
      throw e;
    }
  }

  /**
   * Of several revisions of the current template, keeps one
   * (dedupCurHistories): the pods of the others get its hash, and the
   * others are deleted. (Kubernetes relabels every pod whose hash differs,
   * those of old templates too, which would count them as updated; here
   * only the pods of the duplicates are.)
   */
  async #dedup(ds: DaemonSet, current: readonly ControllerRevision[], daemonPods: () => Promise<readonly Pod[]>): Promise<ControllerRevision> {
    if (current.length === 1) return current[0]!;
    const keep = revisionToKeep(current);
    const hash = revisionHash(keep) ?? '';
    const duplicates = current.filter((r) => r.metadata.name !== keep.metadata.name);
    const dropped = new Set(duplicates.map(revisionHash));
    for (const p of await daemonPods()) {
      const podHash = p.metadata.labels?.[REVISION_HASH_LABEL];
      if (podHash === undefined || podHash === hash || !dropped.has(podHash)) continue;
      await this.#client.patch({ resource: 'pods', namespace: p.metadata.namespace, name: p.metadata.name! }, 'strategic', { metadata: { labels: { [REVISION_HASH_LABEL]: hash } } });
    }
    for (const r of duplicates) await this.#delete(ds, r.metadata.name!);
    return keep;
  }

  /** Deletes a revision of the DaemonSet's namespace; one already gone is no error. */
  async #delete(ds: DaemonSet, name: string): Promise<void> {
    try {
      await this.#client.delete(this.#ref(ds, name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  #ref(ds: DaemonSet, name: string): typeof CONTROLLER_REVISIONS & { namespace: string | undefined; name: string } {
    return { ...CONTROLLER_REVISIONS, namespace: ds.metadata.namespace, name };
  }
}
