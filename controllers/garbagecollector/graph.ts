/**
 * The garbage collector's ownership graph: one node per object uid, linked
 * from each owner to its dependents by the dependents' ownerReferences
 * (kube's garbage collector graph). Pure data and the pure helpers that
 * compare references; graphbuilder.ts keeps it up to date.
 *
 * A node is "virtual" while it stands for an owner that dependents name but
 * no informer has shown: its identity is then what the first dependent said
 * (the owner reference's coordinates, in the dependent's namespace), which
 * may be wrong. An informer event makes it observed, with the identity the
 * informer saw.
 */
import type { KubeObject, OwnerReference } from '../../client/types.js';

/** An object's identity: its owner reference coordinates (apiVersion, kind, name, uid) and its namespace ('' when cluster-scoped). */
export interface Identity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
}

/** The finalizer that deletes an object's dependents before it (propagationPolicy Foreground). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** The finalizer that orphans an object's dependents before it goes (propagationPolicy Orphan). */
export const ORPHAN_FINALIZER = 'orphan';

/** One object in the graph; see the file comment. */
export class Node {
  /** Its dependents: the nodes whose ownerReferences name this node's uid. */
  readonly dependents = new Set<Node>();

  constructor(
    public identity: Identity,
    /** Its ownerReferences as last observed (none for a virtual node). */
    public owners: readonly OwnerReference[] = [],
    /** See the file comment; only an informer event clears it. */
    public virtual = false,
    /** It has a deletionTimestamp (one way: never cleared). */
    public beingDeleted = false,
    /** It is being deleted in the foreground: its blocking dependents go first. */
    public deletingDependents = false,
  ) {}

  /** The dependents whose reference to this node has blockOwnerDeletion. */
  blockingDependents(): Node[] {
    return [...this.dependents].filter((d) => d.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true));
  }
}

/** The identity of an object of `apiVersion` and `kind`. */
export function identityOf(obj: KubeObject, apiVersion: string, kind: string): Identity {
  const m = obj.metadata;
  return { apiVersion, kind, name: m.name ?? '', uid: m.uid ?? '', namespace: m.namespace ?? '' };
}

/** The identity an owner reference names, as seen from a dependent in `namespace`. */
export function identityOfReference(ref: OwnerReference, namespace: string): Identity {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace };
}

/** Whether two identities are the same in every field. */
export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind && a.apiVersion === b.apiVersion && a.namespace === b.namespace;
}

/** A key of an identity, for maps and sets. */
export function identityKey(i: Identity): string {
  return JSON.stringify([i.apiVersion, i.kind, i.namespace, i.name, i.uid]);
}

/** An identity as kube's garbage collector prints one in events and logs. */
export function formatIdentity(i: Identity): string {
  return `[${i.apiVersion}/${i.kind}, namespace: ${i.namespace}, name: ${i.name}, uid: ${i.uid}]`;
}

/** Whether an owner reference names exactly these coordinates (uid, name, kind, apiVersion). */
export function referenceMatches(ref: OwnerReference, i: Identity): boolean {
  return ref.uid === i.uid && ref.name === i.name && ref.kind === i.kind && ref.apiVersion === i.apiVersion;
}

/** Whether an object is being deleted and carries `finalizer`. */
export function deletingWith(obj: KubeObject | undefined, finalizer: string): boolean {
  return !!obj?.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).includes(finalizer);
}

/** Whether an object's deletion with `finalizer` starts between `old` (undefined: not seen before) and `obj`. */
export function startsDeletingWith(old: KubeObject | undefined, obj: KubeObject, finalizer: string): boolean {
  return deletingWith(obj, finalizer) && !deletingWith(old, finalizer);
}

/** The differences between two lists of owner references, by uid: added, removed, and changed (old and new). */
export function referencesDiff(
  old: readonly OwnerReference[],
  now: readonly OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: { old: OwnerReference; now: OwnerReference }[] } {
  const before = new Map(old.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: { old: OwnerReference; now: OwnerReference }[] = [];
  for (const r of now) {
    const o = before.get(r.uid);
    if (!o) added.push(r);
    else {
      if (!sameReference(o, r)) changed.push({ old: o, now: r });
      before.delete(r.uid);
    }
  }
  return { added, removed: [...before.values()], changed };
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return referenceMatches(a, { ...b, namespace: '' }) && (a.controller ?? undefined) === (b.controller ?? undefined) && (a.blockOwnerDeletion ?? undefined) === (b.blockOwnerDeletion ?? undefined);
}

/**
 * Splits `dependents` by whether they name `owner` rightly: a dependent
 * whose reference to owner.uid has owner's coordinates, in owner's
 * namespace (any, for a cluster-scoped owner), matches; one with a
 * reference of other coordinates, or in another namespace, does not (a
 * dependent may be in both lists).
 */
export function partitionDependents(dependents: Iterable<Node>, owner: Identity): { matching: Node[]; nonmatching: Node[] } {
  const matching: Node[] = [];
  const nonmatching: Node[] = [];
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (owner.namespace !== '' && owner.namespace !== dep.identity.namespace) mismatch = true;
    else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (referenceMatches(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonmatching.push(dep);
  }
  return { matching, nonmatching };
}

/** Orders identities by kind, apiVersion, namespace, name, uid. */
export function identityLess(a: Identity, b: Identity): boolean {
  for (const k of ['kind', 'apiVersion', 'namespace', 'name', 'uid'] as const) if (a[k] !== b[k]) return a[k] < b[k];
  return false;
}

/**
 * Another identity that `dependents` name the owner `absent` (verified not
 * to exist) by: the first in identityLess order after `absent`, else the
 * first of all; undefined when they name it by no other. A reference of a
 * kind `absent` shows to be cluster-scoped is taken without a namespace.
 */
export function alternateOwnerIdentity(dependents: Iterable<Node>, absent: Identity): Identity | undefined {
  const seen = new Set([identityKey(absent)]);
  let first: Identity | undefined;
  let following: Identity | undefined;
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (referenceMatches(ref, absent) && (absent.namespace === '' || absent.namespace === dep.identity.namespace)) continue;
      let alt = identityOfReference(ref, dep.identity.namespace);
      if (absent.namespace === '' && alt.apiVersion === absent.apiVersion && alt.kind === absent.kind) alt = { ...alt, namespace: '' };
      const key = identityKey(alt);
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first || identityLess(alt, first)) first = alt;
      if (identityLess(absent, alt) && (!following || identityLess(alt, following))) following = alt;
    }
  }
  return following ?? first;
}

/** A bounded set of identities known not to exist (kube's absent owner cache): the least recently added or asked go first. */
export class ReferenceCache {
  // insertion order is recency order: a hit is deleted and set again
  readonly #keys = new Set<string>();

  constructor(readonly capacity = 500) {}

  add(i: Identity): void {
    const k = identityKey(i);
    this.#keys.delete(k);
    this.#keys.add(k);
    if (this.#keys.size > this.capacity) this.#keys.delete(this.#keys.values().next().value!);
  }

  has(i: Identity): boolean {
    const k = identityKey(i);
    if (!this.#keys.has(k)) return false;
    this.#keys.delete(k);
    this.#keys.add(k);
    return true;
  }
}
