/**
 * What makes one kind differ from another (Kubernetes' RESTCreateStrategy,
 * RESTUpdateStrategy and RESTDeleteStrategy in one): its names, its schema,
 * its defaults and validation. The generic store (generic.ts) does the rest.
 */
import type { z } from 'zod';
import type { KubeObject } from '../api/meta.js';
import type { FieldError } from './errors.js';
import type { GenericStore } from './generic.js';
import type { Path } from './managedfields/fieldset.js';
import type { MergeKeys } from './patch.js';
import type { Printer } from './printer.js';

/** A resource's names and place in the API. */
export interface ResourceInfo {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The plural lower-case name of the URL: `configmaps`. */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

/**
 * A subresource that takes a POST of another kind and acts on the object
 * (pods/binding, pods/eviction). It answers 201 with what post() returns.
 */
export interface Action {
  /** The kind its body is (and discovery names). */
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  post(store: GenericStore, namespace: string | undefined, name: string, body: unknown, opts: { dryRun?: boolean }): Promise<unknown>;
}

/**
 * How a kind that shares another kind's keys is stored (Kubernetes'
 * cohabitating resources): each value is the other kind's object, converted
 * on the way in and out (registry/cohabiting.ts).
 */
export interface StorageConversion {
  /** An object of this kind, as the generic store writes it, to the object the store keeps. */
  toStorage(obj: KubeObject): KubeObject;
  /** A kept object to one of this kind. */
  fromStorage(obj: KubeObject): KubeObject;
}

/** One kind's behaviour; see the file comment. */
export interface Strategy {
  readonly info: ResourceInfo;
  /** The object's shape: a body that does not parse is a BadRequest. */
  readonly schema: z.ZodType<KubeObject>;
  /** Sets a new object's defaults (before validation). */
  defaults?(obj: KubeObject): void;
  /** Adjusts a new object after defaults (a namespace gets the `kubernetes` finalizer); not called for updates. */
  prepareCreate?(obj: KubeObject): void;
  /**
   * Adjusts an update after defaults and the generic bookkeeping (uid,
   * timestamps, generation, the status kept): what a kind changes beyond
   * that (a DaemonSet's template generation, a generation bumped by an
   * annotation). Not called for writes to /status.
   */
  prepareUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Adjusts a write to /status after it took the new status (a pod keeps its qosClass). */
  prepareStatusUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * The fields beyond the spec that a write to /status leaves as stored
   * (kube's status strategies' GetResetFields): the write takes them from
   * the stored object, and server-side apply to /status neither owns them
   * nor conflicts over them. As managedFields paths of fields:
   * `[['f:metadata', 'f:labels']]`.
   */
  readonly statusResetFields?: readonly Path[];
  /**
   * Subresources a PUT of the whole object writes (a namespace's
   * `finalize`), by name: each adjusts its writes in place of prepareUpdate
   * (the stored status is kept, as for any write but /status).
   */
  readonly updates?: Readonly<Record<string, (obj: KubeObject, old: KubeObject) => void>>;
  /**
   * The kind's own finalizers beyond metadata.finalizers (a namespace's
   * spec.finalizers): while any remain, an object being deleted stays, and
   * its deletion only marks it.
   */
  finalizers?(obj: KubeObject): readonly string[];
  /** Adjusts an object as a deletion marks it (deletionTimestamp set): a namespace turns Terminating. */
  markDeleted?(obj: KubeObject): void;
  /** The object's errors (old: the stored object, for an update). */
  validate(obj: KubeObject, old?: KubeObject): FieldError[];
  /** Whether metadata.generation counts spec changes (kinds with a spec). */
  readonly hasGeneration?: boolean;
  /**
   * Top-level fields held as given (runtime.RawExtension: a
   * ControllerRevision's `data`): the nulls inside them stay, where any
   * other field's nulls are unset fields and dropped; server-side apply
   * and managedFields treat each as one atomic value.
   */
  readonly rawFields?: readonly string[];
  /** The merge keys of the kind's lists for strategic merge patch (ObjectMeta's are added). */
  readonly mergeKeys?: MergeKeys;
  /** Whether DELETE answers with the deleted object (else a Status with its details). */
  readonly returnDeletedObject?: boolean;
  /**
   * The kind has a `/status` subresource: a write to the object keeps the
   * stored status; a write to `/status` keeps the stored spec, system
   * metadata and generation, and the kind's statusResetFields; the rest of
   * the body, its status and metadata, is written. `onCreate`: whether a create keeps
   * the status it is given (nodes) or starts from none (most kinds; defaults()
   * may then fill it, as a pod's phase Pending).
   */
  readonly status?: { readonly onCreate: 'clear' | 'keep' };
  /** The kind has a `/scale` subresource over `spec.replicas`, `status.replicas` and `spec.selector`. */
  readonly scale?: boolean;
  /**
   * The kind's fields for field selectors beyond `metadata.name` and
   * `metadata.namespace` (which every kind has), as their string values:
   * pods' `spec.nodeName`, `status.phase`...
   */
  fields?(obj: KubeObject): Record<string, string>;
  /**
   * The grace period of a deletion of `obj` (Kubernetes' graceful deletion:
   * pods), given the one the request asks for; 0 deletes at once. Without
   * it, every deletion is immediate.
   */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number;
  /** Subresources that take a POST, by name (`binding`, `eviction`). */
  readonly actions?: Readonly<Record<string, Action>>;
  /** The columns `kubectl get` shows (Kubernetes' printers); without one, Name and Created At. */
  readonly printer?: Printer;
  /**
   * The kind is kept as another kind's object under the keys of
   * `info.resource` (events.k8s.io/v1 Events as core/v1 Events in
   * /registry/events/); without it, values are the kind's own JSON.
   */
  readonly storedAs?: StorageConversion;
}
