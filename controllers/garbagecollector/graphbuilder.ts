/**
 * Keeps the ownership graph (graph.ts) in step with the informers' events
 * (kube's GraphBuilder), and says which nodes the garbage collector should
 * look at. Pure and synchronous: `process` applies one event and tells the
 * sinks; the collector calls it from informer handlers, and with virtual
 * delete events when the API says an object it was asked about is gone.
 *
 * - An add or update of an unknown uid makes a node, and links it under its
 *   owners; an owner not in the graph gets a virtual node, which goes to
 *   attemptToDelete (the collector asks the API whether it exists).
 * - An update changes the node's owner links. Dropping a reference that
 *   blocked an owner's deletion (or unsetting its blockOwnerDeletion) sends
 *   that owner to attemptToDelete: it may be waiting for this dependent.
 * - An object that starts being deleted with the `orphan` finalizer goes to
 *   attemptToOrphan; with `foregroundDeletion`, it is marked deleting its
 *   dependents, and it and its dependents go to attemptToDelete.
 * - A delete removes the node: its dependents go to attemptToDelete (their
 *   owner is gone, recorded in the absent-owner cache), and so do its owners
 *   that wait for their dependents.
 *
 * References that disagree with what was observed (an owner in another
 * namespace, other coordinates for its uid) are checked as kube does: the
 * dependent goes to attemptToDelete (where the API lookup of its owner, in
 * the dependent's namespace, fails and the reference counts as dangling),
 * and a dependent naming an owner observed in another namespace is reported
 * (OwnerRefInvalidNamespace). A virtual delete that verifies only one of
 * several identities dependents give an owner keeps the node under another.
 */
import type { KubeObject } from '../../client/types.js';
import {
  FOREGROUND_FINALIZER,
  Node,
  ORPHAN_FINALIZER,
  ReferenceCache,
  alternateOwnerIdentity,
  identityOf,
  identityOfReference,
  partitionDependents,
  referenceMatches,
  referencesDiff,
  sameIdentity,
  startsDeletingWith,
  type Identity,
} from './graph.js';

/** One change the graph takes. */
export interface GraphEvent {
  readonly type: 'add' | 'update' | 'delete';
  readonly obj: KubeObject;
  /** An update's previous state. */
  readonly oldObj?: KubeObject;
  /** The apiVersion and kind of the informer's resource (list items do not carry them). */
  readonly apiVersion: string;
  readonly kind: string;
  /** A delete the collector made on finding the object absent, not one an informer saw. */
  readonly virtual?: boolean;
}

/** Where the graph sends its work. */
export interface GraphSinks {
  /** The node should be looked at by the attempt-to-delete workers (after its backoff when `rateLimited`). */
  attemptToDelete(n: Node, rateLimited?: boolean): void;
  /** The node's dependents should be orphaned, then its orphan finalizer removed. */
  attemptToOrphan(n: Node): void;
  /** `dependent` names as owner (`ownerUid`) an object observed in another namespace. */
  invalidNamespaceOwnerRef(dependent: Node, ownerUid: string): void;
}

/** See the file comment. */
export class GraphBuilder {
  /** Every node by uid. */
  readonly uidToNode = new Map<string, Node>();
  /** Owners known not to exist, shared with the collector. */
  readonly absentOwners = new ReferenceCache();

  constructor(private readonly sinks: GraphSinks) {}

  /** The event of the API having answered that `identity` does not exist. */
  virtualDelete(identity: Identity): void {
    const obj: KubeObject = { metadata: { name: identity.name, uid: identity.uid, ...(identity.namespace ? { namespace: identity.namespace } : {}) } };
    this.process({ type: 'delete', obj, apiVersion: identity.apiVersion, kind: identity.kind, virtual: true });
  }

  /** Applies one event; see the file comment. */
  process(e: GraphEvent): void {
    const obj = e.obj;
    const uid = obj.metadata.uid;
    if (!uid) return;
    let existing = this.uidToNode.get(uid);
    if (existing?.virtual && !e.virtual) this.#observe(existing, identityOf(obj, e.apiVersion, e.kind));
    if (e.type !== 'delete') {
      const beingDeleted = !!obj.metadata.deletionTimestamp;
      if (!existing) {
        existing = new Node(identityOf(obj, e.apiVersion, e.kind), [...(obj.metadata.ownerReferences ?? [])], false, beingDeleted, beingDeleted && (obj.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER));
        this.uidToNode.set(uid, existing);
        this.#addToOwners(existing, existing.owners);
      } else {
        const { added, removed, changed } = referencesDiff(existing.owners, obj.metadata.ownerReferences ?? []);
        if (added.length || removed.length || changed.length) {
          // an owner waiting for its blocking dependents may have been waiting for this one
          const unblocked = [...removed.filter((r) => r.blockOwnerDeletion === true), ...changed.filter((c) => c.old.blockOwnerDeletion === true && c.now.blockOwnerDeletion !== true).map((c) => c.now)];
          for (const r of unblocked) {
            const owner = this.uidToNode.get(r.uid);
            if (owner) this.sinks.attemptToDelete(owner);
          }
          existing.owners = [...(obj.metadata.ownerReferences ?? [])];
          this.#addToOwners(existing, added);
          for (const r of removed) this.uidToNode.get(r.uid)?.dependents.delete(existing);
        }
        if (beingDeleted) existing.beingDeleted = true;
      }
      this.#transitions(e.oldObj, obj, existing);
      return;
    }
    if (!existing) return;
    if (e.virtual && !this.#keepOnVirtualDelete(existing, identityOf(obj, e.apiVersion, e.kind))) return;
    this.uidToNode.delete(uid);
    for (const r of existing.owners) this.uidToNode.get(r.uid)?.dependents.delete(existing);
    if (existing.dependents.size > 0) this.absentOwners.add(identityOf(obj, e.apiVersion, e.kind));
    for (const dep of existing.dependents) this.sinks.attemptToDelete(dep);
    for (const r of existing.owners) {
      const owner = this.uidToNode.get(r.uid);
      if (owner?.deletingDependents) this.sinks.attemptToDelete(owner);
    }
  }

  /** A virtual node seen by an informer: it takes the observed identity, and dependents that named it otherwise are checked. */
  #observe(n: Node, observed: Identity): void {
    if (!sameIdentity(observed, n.identity)) {
      for (const dep of partitionDependents(n.dependents, observed).nonmatching) {
        if (observed.namespace !== '' && dep.identity.namespace !== observed.namespace) this.sinks.invalidNamespaceOwnerRef(dep, observed.uid);
        this.sinks.attemptToDelete(dep);
      }
      n.identity = observed;
    }
    n.virtual = false;
  }

  /**
   * Handles a virtual delete of `deleted` (verified absent) for the node `n`
   * of its uid; whether `n` is to be removed all the same (false: it stays,
   * its dependents that named the absent identity having been sent to
   * attemptToDelete).
   */
  #keepOnVirtualDelete(n: Node, deleted: Identity): boolean {
    if (n.virtual) {
      const { matching, nonmatching } = partitionDependents(n.dependents, deleted);
      if (nonmatching.length === 0) return true;
      this.#absent(deleted, matching);
      if (sameIdentity(n.identity, deleted)) {
        // the identity the node had is verified absent: try another that its other dependents give
        const alt = alternateOwnerIdentity(nonmatching, n.identity);
        if (alt) {
          n.identity = alt;
          this.sinks.attemptToDelete(n, true);
        }
      }
      return false;
    }
    if (sameIdentity(n.identity, deleted)) return true;
    // an observed object disagrees with what was verified absent: only dependents naming the absent identity lose their owner
    this.#absent(deleted, partitionDependents(n.dependents, deleted).matching);
    return false;
  }

  #absent(deleted: Identity, dependents: Node[]): void {
    if (dependents.length === 0) return;
    this.absentOwners.add(deleted);
    for (const dep of dependents) this.sinks.attemptToDelete(dep);
  }

  /** Links `n` under the owners `refs` name, making virtual nodes for unknown ones; a reference that disagrees with its owner's node sends `n` to attemptToDelete. */
  #addToOwners(n: Node, refs: readonly { uid: string; apiVersion: string; kind: string; name: string }[]): void {
    let suspect = false;
    for (const ref of refs) {
      let owner = this.uidToNode.get(ref.uid);
      if (!owner) {
        owner = new Node(identityOfReference({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid }, n.identity.namespace), [], true);
        this.uidToNode.set(ref.uid, owner);
        owner.dependents.add(n);
        this.sinks.attemptToDelete(owner);
        continue;
      }
      owner.dependents.add(n);
      if (suspect) continue;
      const ownerNamespaced = owner.identity.namespace !== '';
      if (ownerNamespaced && owner.identity.namespace !== n.identity.namespace) {
        if (!owner.virtual) this.sinks.invalidNamespaceOwnerRef(n, ref.uid);
        suspect = true;
      } else if (!referenceMatches({ ...ref }, owner.identity)) {
        suspect = true;
      } else if (!ownerNamespaced && n.identity.namespace !== '' && owner.virtual) {
        // a virtual owner made for a cluster-scoped dependent: it may be a namespaced kind named wrongly
        suspect = true;
      }
    }
    if (suspect) this.sinks.attemptToDelete(n);
  }

  /** Queues the work a change of deletion state asks for. */
  #transitions(old: KubeObject | undefined, obj: KubeObject, n: Node): void {
    if (startsDeletingWith(old, obj, ORPHAN_FINALIZER)) {
      this.sinks.attemptToOrphan(n);
      return;
    }
    if (startsDeletingWith(old, obj, FOREGROUND_FINALIZER)) {
      n.deletingDependents = true;
      for (const dep of n.dependents) this.sinks.attemptToDelete(dep);
      this.sinks.attemptToDelete(n);
    }
  }
}
