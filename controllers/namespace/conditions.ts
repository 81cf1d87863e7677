/**
 * The status conditions the namespace controller keeps on a terminating
 * namespace (kube's namespace deleter's condition updater): what one pass
 * of content deletion found, as five conditions of fixed types. A type the
 * pass found nothing wrong with is False with its "ok" reason; a new
 * condition, or one whose status flips, gets the pass's time as its
 * lastTransitionTime. Pure: the caller writes the status.
 */
import { GroupDiscoveryFailedError } from '../../client/discovery.js';

/** A NamespaceCondition as the API holds it. */
export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The condition types the controller owns, in the order it first writes them. */
export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGVParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

type ConditionType = (typeof CONDITION_TYPES)[number];

/** The reason and message of each type when nothing is wrong. */
const OK: Readonly<Record<ConditionType, { reason: string; message: string }>> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGVParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** What remains in the namespace after a pass: instances by `<resource>.<group>` (`pods.`, `deployments.apps`), and by finalizer. */
export interface ContentTotals {
  readonly byResource: ReadonlyMap<string, number>;
  readonly byFinalizer: ReadonlyMap<string, number>;
}

/** Collects one pass's findings, then merges them into a status; see the file comment. */
export class ConditionUpdater {
  readonly #found = new Map<ConditionType, NamespaceCondition>();
  readonly #contentErrors: Error[] = [];

  /** `now`: the pass's time, RFC 3339. */
  constructor(private readonly now: string) {}

  #set(type: ConditionType, reason: string, message: string): void {
    this.#found.set(type, { type, status: 'True', lastTransitionTime: this.now, reason, message });
  }

  /** Discovery failed, wholly or for some group versions. */
  discoveryFailed(e: Error): void {
    const message = e instanceof GroupDiscoveryFailedError ? `Discovery failed for some groups, ${e.groups.size} failing: ${e.message}` : e.message;
    this.#set('NamespaceDeletionDiscoveryFailure', 'DiscoveryFailed', message);
  }

  /** A discovered group version did not parse. */
  groupVersionFailed(e: Error): void {
    this.#set('NamespaceDeletionGVParsingFailure', 'GroupVersionParsingFailed', e.message);
  }

  /** Deleting (or listing) one resource's content failed. */
  deleteContentFailed(e: Error): void {
    this.#contentErrors.push(e);
  }

  /** What remains, by resource and by finalizer. */
  contentTotals(t: ContentTotals): void {
    const counted = (m: ReadonlyMap<string, number>, f: (k: string, n: number) => string): string[] =>
      [...m].filter(([, n]) => n > 0).map(([k, n]) => f(k, n)).sort();
    const resources = counted(t.byResource, (r, n) => `${r} has ${n} resource instances`);
    if (resources.length) this.#set('NamespaceContentRemaining', 'SomeResourcesRemain', `Some resources are remaining: ${resources.join(', ')}`);
    const finalizers = counted(t.byFinalizer, (f, n) => `${f} in ${n} resource instances`);
    if (finalizers.length) this.#set('NamespaceFinalizersRemaining', 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`);
  }

  /** Merges the findings into `status.conditions` (in place); whether anything changed. */
  update(status: { conditions?: NamespaceCondition[] }): boolean {
    if (this.#contentErrors.length && !this.#found.has('NamespaceDeletionContentFailure')) {
      const msgs = this.#contentErrors.map((e) => e.message).sort();
      this.#set('NamespaceDeletionContentFailure', 'ContentDeletionFailed', `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`);
    }
    const conditions = (status.conditions ??= []);
    let changed = false;
    for (const type of CONDITION_TYPES) {
      const want = this.#found.get(type) ?? { type, status: 'False' as const, lastTransitionTime: this.now, ...OK[type] };
      const have = conditions.find((c) => c.type === type);
      if (!have) {
        conditions.push(want);
        changed = true;
      } else if (have.status !== want.status || have.reason !== want.reason || have.message !== want.message) {
        if (have.status !== want.status) have.lastTransitionTime = this.now;
        have.status = want.status;
        have.reason = want.reason;
        have.message = want.message;
        changed = true;
      }
    }
    return changed;
  }
}
