/**
 * What the garbage collector does with an object it looks at, once it has
 * the object's latest state and has looked up each of its owners (kube's
 * attemptToDeleteItem, its decision without the I/O).
 *
 * Each owner reference is one of:
 * - solid: the owner exists (same uid) and is not deleting its dependents;
 * - dangling: the owner does not exist, or another object has its name;
 * - waiting: the owner exists, being deleted in the foreground.
 *
 * Then:
 * - a solid owner keeps the object; its dangling and waiting references are
 *   removed (a waiting owner would otherwise wait for it for ever);
 * - else, with a waiting owner and dependents of its own, the object is
 *   deleted in the foreground too (first unblocking its own references if
 *   one of its dependents is deleting its dependents as well: a cycle);
 * - else (every owner dangling, or waiting and no dependents) it is
 *   deleted, with the policy its own finalizers ask for (orphan,
 *   foregroundDeletion), Background by default.
 */
import type { KubeObject, OwnerReference } from '../../client/types.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, deletingWith, type Node } from './graph.js';

/** A propagation policy. */
export type Policy = 'Orphan' | 'Foreground' | 'Background';

/** An object's owner references by what their owners are; see the file comment. */
export interface Classification {
  readonly solid: readonly OwnerReference[];
  readonly dangling: readonly OwnerReference[];
  readonly waiting: readonly OwnerReference[];
}

/** What to do; see the file comment. */
export type Decision =
  | { readonly action: 'keep' }
  | { readonly action: 'removeReferences'; readonly uids: readonly string[] }
  | { readonly action: 'deleteForeground'; readonly unblockFirst: boolean }
  | { readonly action: 'delete'; readonly policy: Policy };

/** What an owner found by its reference is: undefined (not found, or another uid) is dangling. */
export function classifyOwner(ref: OwnerReference, owner: KubeObject | undefined): keyof Classification {
  if (!owner || owner.metadata.uid !== ref.uid) return 'dangling';
  return deletingWith(owner, FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
}

/** The decision for `item` (its graph node), whose latest state is `latest`; see the file comment. */
export function decide(item: Pick<Node, 'dependents'>, latest: KubeObject, c: Classification): Decision {
  if (c.solid.length > 0) {
    if (c.dangling.length === 0 && c.waiting.length === 0) return { action: 'keep' };
    return { action: 'removeReferences', uids: [...c.dangling, ...c.waiting].map((r) => r.uid) };
  }
  if (c.waiting.length > 0 && item.dependents.size > 0) {
    return { action: 'deleteForeground', unblockFirst: [...item.dependents].some((d) => d.deletingDependents) };
  }
  const finalizers = latest.metadata.finalizers ?? [];
  const policy: Policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
  return { action: 'delete', policy };
}
