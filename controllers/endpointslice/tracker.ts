/**
 * The slices this controller wrote, by Service, with the generation each
 * write returned (Kubernetes' EndpointSliceTracker). The informer's cache
 * lags the controller's own writes; before a sync acts on the cache it asks
 * `stale`, so that it never creates a slice twice or updates an old copy:
 *
 * - a slice it wrote that the cache lacks, or has at a lower generation, or
 *   one it deleted that the cache still has: stale (the sync is retried);
 * - a cache event for a slice at the generation it wrote is its own echo
 *   and needs no sync (`shouldSync` false); a newer generation, or a slice
 *   it never wrote, is someone else's change (sync);
 * - a deletion it did not ask for (`handleDeletion` false) means the slice
 *   must come back (sync).
 *
 * Pure; keys are `namespace/service`.
 */
import type { EndpointSlice } from './types.js';
import { SERVICE_NAME_LABEL } from './types.js';

/** The generation recorded for a slice whose deletion this controller asked for. */
const DELETION_EXPECTED = -1;

/** The key of the Service a slice belongs to (by its service-name label). */
export function serviceKeyOf(slice: EndpointSlice): string {
  return `${slice.metadata.namespace ?? ''}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
}

/** See the file comment. */
export class SliceTracker {
  /** service key → slice uid → generation written (or DELETION_EXPECTED). */
  readonly #byService = new Map<string, Map<string, number>>();

  #generations(slice: EndpointSlice): Map<string, number> | undefined {
    return this.#byService.get(serviceKeyOf(slice));
  }

  /** Whether the slice is tracked. */
  has(slice: EndpointSlice): boolean {
    return this.#generations(slice)?.has(slice.metadata.uid ?? '') ?? false;
  }

  /** Whether a cache event for the slice calls for a sync: not written by this controller, or changed since. */
  shouldSync(slice: EndpointSlice): boolean {
    const g = this.#generations(slice)?.get(slice.metadata.uid ?? '');
    return g === undefined || (slice.metadata.generation ?? 0) > g;
  }

  /** Records a slice as the API answered a create or update of it. */
  update(slice: EndpointSlice): void {
    const key = serviceKeyOf(slice);
    let gens = this.#byService.get(key);
    if (!gens) this.#byService.set(key, (gens = new Map()));
    gens.set(slice.metadata.uid ?? '', slice.metadata.generation ?? 0);
  }

  /** Records that this controller deleted the slice. */
  expectDeletion(slice: EndpointSlice): void {
    const key = serviceKeyOf(slice);
    let gens = this.#byService.get(key);
    if (!gens) this.#byService.set(key, (gens = new Map()));
    gens.set(slice.metadata.uid ?? '', DELETION_EXPECTED);
  }

  /** Forgets a slice the cache saw deleted; whether this controller had asked for the deletion. */
  handleDeletion(slice: EndpointSlice): boolean {
    const gens = this.#generations(slice);
    const uid = slice.metadata.uid ?? '';
    const g = gens?.get(uid);
    gens?.delete(uid);
    if (gens?.size === 0) this.#byService.delete(serviceKeyOf(slice));
    return g === DELETION_EXPECTED;
  }

  /** Whether the cache's slices of a service are behind this controller's writes (see the file comment). */
  stale(serviceKey: string, slices: readonly EndpointSlice[]): boolean {
    const gens = this.#byService.get(serviceKey);
    if (!gens) return false;
    const seen = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata.uid ?? '';
      seen.add(uid);
      const g = gens.get(uid);
      if (g !== undefined && (g === DELETION_EXPECTED || g > (s.metadata.generation ?? 0))) return true;
    }
    for (const [uid, g] of gens) if (g !== DELETION_EXPECTED && !seen.has(uid)) return true;
    return false;
  }

  /** Forgets a deleted Service's slices. */
  deleteService(serviceKey: string): void {
    this.#byService.delete(serviceKey);
  }
}
