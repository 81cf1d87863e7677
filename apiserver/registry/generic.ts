/**
 * The generic resource store (Kubernetes' registry/generic/registry.Store):
 * every kind's get, list, create, update and delete over one StoreClient,
 * with the kind's differences in its Strategy.
 *
 * Storage: `/registry/<resource>/<namespace>/<name>` (cluster-scoped kinds
 * without the namespace), the value the object's JSON with apiVersion and
 * kind and without resourceVersion: an object's resourceVersion is its key's
 * mod_revision, set on every read.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { invalid, type KubeObject } from '../api/meta.js';
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreUnavailableError,
} from '../storage/errors.js';
import type { StoreClient, StoredValue } from '../storage/interface.js';
import {
  AlreadyExistsError,
  ApiError,
  BadRequestError,
  ConflictError,
  ExpiredError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  TooLargeResourceVersionError,
  UnavailableError,
} from './errors.js';
import { WatchCache, type CacheWatcher, type WatchSink } from '../watchcache/cache.js';
import { applyPatch, type MergeKeys } from './patch.js';
import { dropNulls, parseScale, unknownFields, withoutMeta, withoutType } from './bodies.js';
import type { Path } from './managedfields/fieldset.js';
import { applySchema, type ApplySchema } from './managedfields/schema.js';
import type { ManagedFieldsEntry } from './managedfields/managers.js';
import { apply as applyConfig, update as trackUpdate, managerOf, type Context as TrackContext } from './managedfields/track.js';
import { checkManagerOptions } from './managedfields/options.js';
import { decodeContinue, encodeContinue, parseResourceVersion, validateListOptions } from './listoptions.js';
import { fieldsMatch, fromLabelSelector, matches, parseFieldSelector, parseLabelSelector, selectorString, type LabelSelectorObject } from './selector.js';
import type { Strategy } from './strategy.js';
import { copyJson } from './copy.js';

/** What list() takes: the query parameters of a list. */
export interface ListOptions {
  /** At most this many items (0 or unset: all). */
  readonly limit?: number;
  /** The token of the previous page. */
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
  /** Keeps the objects it returns true for. */
  readonly filter?: (obj: KubeObject) => boolean;
}

/** The objects a watch starts with, and the revision they are at (initialState). */
export interface InitialState {
  readonly items: readonly KubeObject[];
  readonly revision: number;
}

/** What watch() takes: the query parameters of a watch. */
export interface WatchOptions {
  readonly resourceVersion?: string;
  /** true: the current objects first, as ADDED (also with a resourceVersion); false: none, even without one. */
  readonly sendInitialEvents?: boolean;
  readonly filter?: (obj: KubeObject) => boolean;
}

/** How a write treats fields its kind does not have (the fieldValidation parameter). */
export interface FieldValidation {
  /** Ignore (and unset): drop them; Warn: drop them with a warning each; Strict: refuse the write. */
  readonly fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  /** Where Warn's warnings go. */
  readonly warnings?: string[];
}

/** The subresources a write may name: the object itself, only its status, or one of the kind's update subresources (Strategy.updates: a namespace's `finalize`). */
export type Subresource = string | undefined;

/** Who makes a write, for metadata.managedFields. */
export interface ManagerOptions {
  /** The fieldManager parameter (required for apply). */
  readonly fieldManager?: string;
  /** The request's User-Agent: the manager of a write without a fieldManager is its first part. */
  readonly userAgent?: string;
}

/** What create takes besides the body. */
export interface CreateOptions extends ManagerOptions {
  readonly dryRun?: boolean;
}

/** What update and patch take besides the body. */
export interface WriteOptions extends FieldValidation, ManagerOptions {
  readonly dryRun?: boolean;
  /** 'status': the write changes only the status (the kind must have the status subresource). */
  readonly subresource?: Subresource;
  /** The force parameter: an apply takes the fields other managers own (only apply may give it). */
  readonly force?: boolean;
}

/** What an apply did: the object, and whether it created it. */
export interface ApplyResult {
  readonly object: KubeObject;
  readonly created: boolean;
}

/** A list's items (without apiVersion and kind, as Kubernetes lists them) and metadata. */
export interface ListResult {
  readonly items: KubeObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

/** What a delete did. */
export interface DeleteResult {
  /** The object as deleted, or as marked for deletion. */
  readonly object: KubeObject;
  /** False when finalizers keep it: it is only marked (deletionTimestamp set). */
  readonly deleted: boolean;
}

/** Preconditions of a delete (DeleteOptions.preconditions). */
export interface Preconditions {
  readonly uid?: string | null;
  readonly resourceVersion?: string | null;
}

/** meta/v1 DeleteOptions, as a DELETE's body or query gives them. */
export interface DeleteOptions {
  readonly preconditions?: Preconditions | null;
  /** Seconds before the object goes (kinds that delete gracefully: pods); 0: at once. */
  readonly gracePeriodSeconds?: number | null;
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground' | null;
  readonly dryRun?: boolean;
}

/** The patch formats of PATCH: application/json-patch+json, merge-patch+json, strategic-merge-patch+json, and apply-patch+yaml (server-side apply: apply()). */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** ObjectMeta's merge keys (as Kubernetes' types declare them), shared by every kind. */
const META_MERGE_KEYS: MergeKeys = { 'metadata.finalizers': '', 'metadata.ownerReferences': 'uid' };

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const enc = new TextEncoder();

/** An RFC 3339 time with seconds, as Kubernetes writes metav1.Time. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The store of one kind; see the file comment. */
export class GenericStore {
  /** The resource's watch cache: every watch is served from it, and lists at resourceVersion 0. */
  readonly cache: WatchCache;
  #cacheReady = false;
  #fieldNames: ReadonlySet<string>;
  readonly #applySchema: ApplySchema;

  /**
   * Checks run on every create, after defaults and validation (Kubernetes'
   * validating admission, such as NamespaceLifecycle); each throws to refuse.
   */
  readonly admission: ((obj: KubeObject, store: GenericStore) => Promise<void>)[] = [];

  /** Checks run on every delete (dry runs too) before the object is read (NamespaceLifecycle's immortal namespaces); each throws to refuse. */
  readonly deleteAdmission: ((namespace: string | undefined, name: string, store: GenericStore) => Promise<void>)[] = [];

  constructor(
    readonly store: StoreClient,
    readonly strategy: Strategy,
    private readonly now: () => Date = () => new Date(),
    /** How many recent events the watch cache keeps (WatchCache's default when unset). */
    watchCacheSize?: number,
  ) {
    this.cache = new WatchCache(store, this.prefix(), (v) => this.#decode(v), watchCacheSize);
    this.#fieldNames = new Set(Object.keys(this.#fields({ metadata: {} })));
    this.#applySchema = applySchema({ ...META_MERGE_KEYS, ...this.strategy.mergeKeys }, this.strategy.rawFields);
  }

  /** The object named `name`, from the watch cache if it has it, else from the store (undefined when it does not exist). */
  async cached(namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const hit = this.#cacheReady ? this.cache.get(this.key(namespace, name)) : undefined;
    if (hit) return hit;
    const { value } = await this.#store(() => this.store.get(this.key(namespace, name)));
    return value ? this.#decode(value) : undefined;
  }

  /** Fills the watch cache and follows the store. */
  async start(): Promise<void> {
    await this.#store(() => this.cache.start());
    this.#cacheReady = true;
  }

  /** Stops following the store. */
  stop(): void {
    this.cache.stop();
  }

  /** `configmaps` or `deployments.apps`: how errors name the resource. */
  get qualifiedResource(): string {
    const { resource, group } = this.strategy.info;
    return group ? `${resource}.${group}` : resource;
  }

  /** `ConfigMap` or `Deployment.apps`: how validation errors name the kind. */
  get qualifiedKind(): string {
    const { kind, group } = this.strategy.info;
    return group ? `${kind}.${group}` : kind;
  }

  get apiVersion(): string {
    const { group, version } = this.strategy.info;
    return group ? `${group}/${version}` : version;
  }

  /** The key prefix of a namespace's objects (all namespaces' when undefined). */
  prefix(namespace?: string): string {
    const base = `/registry/${this.strategy.info.resource}/`;
    return this.strategy.info.namespaced && namespace !== undefined ? `${base}${namespace}/` : base;
  }

  key(namespace: string | undefined, name: string): string {
    return this.prefix(namespace) + name;
  }

  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    const { value } = await this.#store(() => this.store.get(this.key(namespace, name)));
    if (!value) throw new NotFoundError(this.qualifiedResource, name);
    return this.#decode(value);
  }

  /**
   * Lists `namespace`'s objects (all namespaces' when undefined), as the
   * resourceVersion parameters ask: none, the latest state read from the
   * store (consistent); `0`, any recent state, the watch cache's; N (match
   * NotOlderThan or unset), a state at least as new as N: the watch cache's
   * when it is there already and no limit is asked, else the store's latest
   * (TooLargeResourceVersionError when the store is older than N); N with
   * Exact, the state at N (ExpiredError when compacted).
   */
  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    validateListOptions(opts);
    const prefix = this.prefix(namespace);
    const exact = opts.resourceVersionMatch === 'Exact';
    const atLeast = opts.resourceVersion && opts.resourceVersion !== '0' && !opts.continue && !exact ? parseResourceVersion(opts.resourceVersion) : undefined;
    const cacheWill = opts.resourceVersion === '0' || (atLeast !== undefined && !opts.limit && this.cache.revision >= atLeast);
    if (cacheWill && !opts.continue && this.#cacheReady) {
      // a recent enough state will do: the watch cache's, whole (a limit is ignored, as Kubernetes' cache does)
      const snap = this.cache.snapshot(prefix);
      const items = snap.items.filter((o) => !opts.filter || opts.filter(o)).map((o) => withoutType(o));
      return { items, resourceVersion: String(snap.revision) };
    }
    let revision = 0;
    let start: string | undefined;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      revision = c.rv;
      start = prefix + c.start;
    } else if (opts.resourceVersion && exact) {
      revision = parseResourceVersion(opts.resourceVersion);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: KubeObject[] = [];
    let page;
    // with a filter, keep reading pages until the limit is filled (as Kubernetes does)
    for (;;) {
      const at = revision;
      page = await this.#store(
        () =>
          this.store.list(prefix, { start, limit, revision: at }).catch(async (e: unknown) => {
            if (!(e instanceof FutureRevisionError)) throw e;
            throw new TooLargeResourceVersionError(at, (await this.store.get(prefix)).revision);
          }),
        opts.continue !== undefined,
      );
      if (atLeast !== undefined && page.revision < atLeast) throw new TooLargeResourceVersionError(atLeast, page.revision);
      revision = page.revision;
      let more = page.more;
      for (let i = 0; i < page.items.length; i++) {
        const v = page.items[i]!;
        start = `${v.key}\0`;
        const obj = this.#decode(v);
        if (!opts.filter || opts.filter(obj)) items.push(obj);
        if (limit && items.length >= limit) {
          // never more than the limit: the next page starts after the last item given
          more ||= i < page.items.length - 1;
          break;
        }
      }
      page = { ...page, more };
      if (!page.more || !limit || items.length >= limit) break;
    }
    for (const o of items) {
      delete o.apiVersion;
      delete o.kind;
    }
    const rv = String(revision);
    if (!page.more || start === undefined) return { items, resourceVersion: rv };
    const token = encodeContinue(revision, start.slice(prefix.length));
    return opts.filter ? { items, resourceVersion: rv, continue: token } : { items, resourceVersion: rv, continue: token, remainingItemCount: page.remaining };
  }

  /**
   * Watches `namespace`'s objects (all namespaces' when undefined) through
   * the watch cache. Without a resourceVersion (or with 0), the current
   * objects come first as ADDED events; with one, the changes after it.
   * Throws ExpiredError for a resourceVersion older than the cache's window.
   */
  watch(namespace: string | undefined, opts: WatchOptions, sink: WatchSink): CacheWatcher {
    const rv = opts.resourceVersion;
    const fromNow = rv === undefined || rv === '' || rv === '0';
    let from: number | undefined = fromNow ? undefined : parseResourceVersion(rv);
    if (opts.sendInitialEvents === true) from = undefined;
    else if (opts.sendInitialEvents === false && fromNow) from = this.cache.revision;
    return this.cache.watch({ prefix: this.prefix(namespace), ...(from === undefined ? {} : { from }), ...(opts.filter ? { filter: opts.filter } : {}) }, sink);
  }

  /**
   * The state a watch with sendInitialEvents=true starts from, as its
   * resourceVersion asks (Kubernetes' streaming lists): unset, a consistent
   * read (at least the store's revision now); N, at least N; 0, any. The
   * watch cache's when it is that fresh (undefined: watch() starts from
   * it), else the objects read from the store at its latest revision
   * (TooLargeResourceVersionError when that is older than N), for the
   * caller to send before watching from that revision.
   */
  async initialState(namespace: string | undefined, opts: WatchOptions): Promise<InitialState | undefined> {
    const rv = opts.resourceVersion;
    if (rv === '0') return undefined;
    const atLeast = rv ? parseResourceVersion(rv) : (await this.#store(() => this.store.get(this.prefix(namespace)))).revision;
    if (this.#cacheReady && this.cache.revision >= atLeast) return undefined;
    const list = await this.list(namespace, { resourceVersion: String(atLeast), ...(opts.filter ? { filter: opts.filter } : {}) });
    const typed = { apiVersion: this.apiVersion, kind: this.strategy.info.kind };
    return { items: list.items.map((o) => ({ ...typed, ...o })), revision: Number(list.resourceVersion) };
  }

  /**
   * The filter of a `labelSelector` and a `fieldSelector` parameter
   * (undefined when both are empty); BadRequest when either does not parse
   * or names a field the kind does not have.
   */
  selector(labelSelector: string | undefined, fieldSelector: string | undefined): ((obj: KubeObject) => boolean) | undefined {
    const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
    const fields = fieldSelector ? parseFieldSelector(fieldSelector, this.#fieldNames) : [];
    if (labels.length === 0 && fields.length === 0) return undefined;
    return (obj) => matches(labels, obj.metadata.labels) && fieldsMatch(fields, this.#fields(obj));
  }

  /** An object's field-selector fields: its name, its namespace (namespaced kinds), and the kind's own. */
  #fields(obj: KubeObject): Record<string, string> {
    return {
      'metadata.name': obj.metadata.name ?? '',
      ...(this.strategy.info.namespaced ? { 'metadata.namespace': obj.metadata.namespace ?? '' } : {}),
      ...this.strategy.fields?.(obj),
    };
  }

  /** Creates `body` in `namespace`: names it (generateName), sets uid, timestamps and defaults, validates, stores. */
  async create(namespace: string | undefined, body: KubeObject, opts: CreateOptions = {}): Promise<KubeObject> {
    checkManagerOptions('CreateOptions', opts);
    return this.#create(namespace, body, opts);
  }

  /** create(), with the managedFields of an apply (else those of an Update by the writer). */
  async #create(namespace: string | undefined, body: KubeObject, opts: CreateOptions, applied?: ManagedFieldsEntry[]): Promise<KubeObject> {
    this.#checkBody(namespace, body);
    const generated = !body.metadata.name && !!body.metadata.generateName;
    for (let attempt = 0; ; attempt++) {
      // the name first: defaults may use it (a Job's job-name label)
      const named = generated ? { ...body, metadata: { ...body.metadata, name: body.metadata.generateName! + randomSuffix() } } : body;
      const obj = this.#prepareCreate(namespace, named);
      setManagedFields(obj, applied ?? trackUpdate(undefined, obj, body.metadata.managedFields, { manager: managerOf(opts.fieldManager, opts.userAgent) }, this.#trackContext()));
      this.#validate(obj);
      try {
        for (const admit of this.admission) await admit(obj, this);
      } catch (e) {
        // kube's admission sees the object before its name is generated: a refusal names the generateName
        if (generated && e instanceof ForbiddenError && e.objectName === obj.metadata.name) throw new ForbiddenError(e.resource, body.metadata.generateName!, e.why, e.causes);
        throw e;
      }
      if (opts.dryRun) return obj;
      try {
        const v = await this.#store(() => this.store.create(this.key(namespace, obj.metadata.name!), this.#encode(obj)));
        obj.metadata.resourceVersion = String(v.modRevision);
        return obj;
      } catch (e) {
        if (!(e instanceof AlreadyExistsError) || !generated || attempt >= 7) throw e;
      }
    }
  }

  /**
   * Replaces the object named `name` with `body` (PUT), guarded by body's
   * resourceVersion when it has one. A body's uid is a precondition, as
   * kube-apiserver takes it: another object's uid is a Conflict.
   */
  async update(namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    checkManagerOptions('UpdateOptions', opts);
    this.#checkBody(namespace, body, name);
    const wanted = body.metadata.resourceVersion ? parseResourceVersion(body.metadata.resourceVersion) : undefined;
    const uid = body.metadata.uid;
    for (let cached = !opts.dryRun; ; cached = false) {
      let precondition = false;
      try {
        const current = await this.#current(namespace, name, cached);
        const old = this.#decode(current);
        if (uid && uid !== old.metadata.uid) {
          if (cached) continue; // the cache may hold an older object of that name
          precondition = true;
          throw this.#uidPreconditionFailed(name, uid, old);
        }
        if (wanted !== undefined && wanted !== current.modRevision) throw new ConflictError(this.qualifiedResource, name);
        return await this.#replace(namespace, name, current, body, opts, old);
      } catch (e) {
        if (cached && mayBeStale(e)) continue;
        if (e instanceof ConflictError && wanted === undefined && !precondition) continue; // unconditional: retry on the newer object
        throw e;
      }
    }
  }

  /**
   * Patches the object named `name` (PATCH): the patch applies to the stored
   * object, and the result replaces it as an update does. A patch that sets
   * metadata.resourceVersion is guarded by it; others are retried on a newer
   * object when a write comes between.
   */
  async patch(namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    if (type === 'apply') return (await this.apply(namespace, name, patch, opts)).object;
    checkManagerOptions('PatchOptions', opts);
    for (let cached = !opts.dryRun; ; cached = false) {
      let guarded = false;
      try {
        const current = await this.#current(namespace, name, cached);
        const old = this.#decode(current);
        const body = this.parse(applyPatch(old, type, patch, { ...META_MERGE_KEYS, ...this.strategy.mergeKeys }), opts);
        if (body.metadata.name !== name) throw new InvalidError(this.qualifiedKind, name, [invalid('metadata.name', body.metadata.name ?? '', 'field is immutable')]);
        this.#checkUid(body, old);
        // a patch that names a resourceVersion other than the one it applied to
        // is guarded by it; on a retry, one that named the old one now differs
        guarded = isGuarded(body, old);
        if (guarded && parseResourceVersion(body.metadata.resourceVersion!) !== current.modRevision) {
          throw new ConflictError(this.qualifiedResource, name);
        }
        return await this.#replace(namespace, name, current, body, opts, old);
      } catch (e) {
        if (cached && mayBeStale(e)) continue;
        if (e instanceof ConflictError && !guarded) continue;
        throw e;
      }
    }
  }

  /**
   * Server-side apply (PATCH with application/apply-patch+yaml): merges the
   * configuration `patch` over the object named `name` for the manager
   * opts.fieldManager (required), or creates the object from it when it does
   * not exist. The result is defaulted and validated as any write; a change
   * to fields other managers own is an ApplyConflictError unless opts.force.
   */
  async apply(namespace: string | undefined, name: string, patch: unknown, opts: WriteOptions = {}): Promise<ApplyResult> {
    checkManagerOptions('PatchOptions', opts, true);
    const config = this.#applyConfig(namespace, name, patch, opts);
    const writer = { manager: opts.fieldManager!, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
    for (;;) {
      const { value: current } = await this.#store(() => this.store.get(this.key(namespace, name)));
      const live = current ? this.#decode(current) : undefined;
      if (!current && opts.subresource) throw new NotFoundError(this.qualifiedResource, name);
      const r = applyConfig(live, config, writer, opts.force === true, this.#trackContext(opts.subresource));
      const body = this.parse(r.object);
      if (live) this.#checkUid(body, live);
      try {
        if (!current) return { object: await this.#create(namespace, body, opts, r.managedFields), created: true };
        return { object: await this.#replace(namespace, name, current, body, opts, live, { managedFields: r.managedFields }), created: false };
      } catch (e) {
        // another write came between: apply again over it
        if (e instanceof ConflictError || (e instanceof AlreadyExistsError && !current)) continue;
        throw e;
      }
    }
  }

  /** A write whose uid precondition (a PUT's body's, a delete's preconditions.uid) names another object than `current`: kube-apiserver's Conflict. */
  #uidPreconditionFailed(name: string, uid: string, current: KubeObject): ConflictError {
    return new ConflictError(this.qualifiedResource, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
  }

  /** A patch or an apply may not change the uid (kube's ValidateObjectMetaUpdate; a PUT's uid is a precondition instead). */
  #checkUid(body: KubeObject, old: KubeObject): void {
    const uid = body.metadata.uid;
    if (uid && uid !== old.metadata.uid) throw new InvalidError(this.qualifiedKind, body.metadata.name ?? '', [invalid('metadata.uid', uid, 'field is immutable')]);
  }

  /** An apply's configuration: an object of the kind and version, named as the URL, without managedFields; unknown fields dropped (or refused, with Strict). */
  #applyConfig(namespace: string | undefined, name: string, patch: unknown, opts: FieldValidation): KubeObject {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new BadRequestError('the body of an apply patch must be an object');
    const raw = patch as { apiVersion?: unknown; metadata?: { managedFields?: unknown } | null };
    if (raw.apiVersion !== this.apiVersion) {
      throw new BadRequestError(`Incorrect version specified in apply patch. Specified patch version: ${typeof raw.apiVersion === 'string' ? raw.apiVersion : ''}, expected: ${this.apiVersion}`);
    }
    if (raw.metadata?.managedFields !== undefined && raw.metadata.managedFields !== null) throw new BadRequestError('metadata.managedFields must be nil');
    const config = this.parse({ metadata: {}, ...raw }, opts);
    this.#checkBody(namespace, config, name);
    return config;
  }

  /** What the managed-fields bookkeeping needs: the kind's shape, the time, and what a write to the object or a subresource does not own. */
  #trackContext(subresource?: string): TrackContext {
    return { schema: this.#applySchema, apiVersion: this.apiVersion, now: timestamp(this.now()), ignored: subresource === 'status' ? [['f:spec'], ...(this.strategy.statusResetFields ?? [])] : [['f:status']] };
  }

  /**
   * Changes the object named `name` with `change` (which gets a copy of the
   * stored object and returns the new one, or throws to refuse), validated
   * and written guarded by the revision it read; retried when a write came
   * between. Unlike update, it may change spec and status together: for
   * actions such as a pod's binding.
   */
  async mutate(namespace: string | undefined, name: string, change: (obj: KubeObject) => KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    for (let cached = !opts.dryRun; ; cached = false) {
      let writing = false;
      try {
        const current = await this.#current(namespace, name, cached);
        const obj = change(this.#decode(current)); // #decode's object is the action's own: a parse, or a copy of the cached one
        const resourceVersion = String(current.modRevision);
        delete obj.metadata.resourceVersion;
        this.#validate(obj); // as a whole object: the kind's update rules are for clients' writes, not the action's
        if (opts.dryRun) return { ...obj, metadata: { ...obj.metadata, resourceVersion } };
        writing = true;
        const v = await this.#store(() => this.store.update(this.key(namespace, name), this.#encode(obj), current.modRevision));
        obj.metadata.resourceVersion = String(v.modRevision);
        return obj;
      } catch (e) {
        if (cached && mayBeStale(e)) continue;
        if (!writing || !(e instanceof ConflictError)) throw e; // a write came between: change the newer object
      }
    }
  }

  /** The object's autoscaling/v1 Scale (its `/scale` subresource). */
  async getScale(namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.#scaleOf(await this.get(namespace, name));
  }

  /**
   * Sets the object's replicas from a Scale (PUT of `/scale`), or from a
   * patch of its Scale (PATCH), guarded by the Scale's resourceVersion when it
   * names one; answers with the new Scale.
   */
  async writeScale(namespace: string | undefined, name: string, change: { body: unknown } | { type: PatchType; patch: unknown }, opts: WriteOptions = {}): Promise<KubeObject> {
    checkManagerOptions('body' in change ? 'UpdateOptions' : 'PatchOptions', opts);
    for (;;) {
      const current = await this.#current(namespace, name);
      const old = this.#decode(current);
      const scale = this.#scaleOf(old);
      const raw = 'body' in change ? change.body : applyPatch(scale, change.type, change.patch, {});
      const wanted = parseScale(raw, name);
      const guarded = 'body' in change ? wanted.metadata.resourceVersion !== undefined : isGuarded(wanted, scale);
      if (guarded && parseResourceVersion(wanted.metadata.resourceVersion!) !== current.modRevision) throw new ConflictError(this.qualifiedResource, name);
      const spec = { ...(old.spec as Record<string, unknown> | undefined), replicas: (wanted.spec as { replicas: number }).replicas };
      try {
        return this.#scaleOf(await this.#replace(namespace, name, current, { ...old, spec }, opts, old, { subresource: 'scale' }));
      } catch (e) {
        if (e instanceof ConflictError && !guarded) continue;
        throw e;
      }
    }
  }

  #scaleOf(obj: KubeObject): KubeObject {
    const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelectorObject };
    const status = (obj.status ?? {}) as { replicas?: number };
    const m = obj.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name!, namespace: m.namespace!, uid: m.uid!, resourceVersion: m.resourceVersion!, creationTimestamp: m.creationTimestamp! },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector: selectorString(fromLabelSelector(spec.selector)) },
    };
  }

  /**
   * A request body (or a patched object) as an object of this kind: the
   * schema drops unknown fields; BadRequest when it does not fit. With
   * `fieldValidation` Strict, an unknown field is a BadRequest (Kubernetes'
   * strict decoding error); with Warn, each is a warning pushed to `warnings`.
   */
  parse(raw: unknown, check: FieldValidation = {}): KubeObject {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequestError('the body of the request must be a JSON object');
    // a null field is an unset one, as Kubernetes' decoding into its types makes it
    const given = dropNulls(raw, this.strategy.rawFields);
    const parsed = this.strategy.schema.safeParse(given);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BadRequestError(`error decoding the ${this.strategy.info.kind}: ${issue.path.join('.')}: ${issue.message}`);
    }
    if (check.fieldValidation === 'Strict' || check.fieldValidation === 'Warn') {
      const unknown = unknownFields(given, parsed.data, '');
      if (unknown.length && check.fieldValidation === 'Strict') {
        const { kind, version } = this.strategy.info;
        throw new BadRequestError(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
      }
      for (const f of unknown) check.warnings?.push(`unknown field "${f}"`);
    }
    // the answer names its kind even when the request did not (as Kubernetes' does)
    return { apiVersion: this.apiVersion, kind: this.strategy.info.kind, ...withoutType(parsed.data) };
  }

  /**
   * The object named `name` as stored, to be written over guarded by its
   * revision. With `cached`, the watch cache's copy when it has one (no read
   * from the store, as Kubernetes' GuaranteedUpdate starts from the cached
   * object): it may be behind, so a write that fails on it in any way
   * (mayBeStale) is tried again on a fresh read, and one that would change
   * nothing must be confirmed on a fresh read too (#replace).
   */
  async #current(namespace: string | undefined, name: string, cached = false): Promise<Current> {
    const hit = cached && this.#cacheReady ? this.cache.get(this.key(namespace, name)) : undefined;
    if (hit) {
      // its bytes only when asked for (#replace's no-change check): an action's write never asks
      const encode = (): Uint8Array => this.#encode(hit);
      let value: Uint8Array | undefined;
      return {
        key: this.key(namespace, name),
        get value() {
          return (value ??= encode());
        },
        modRevision: parseResourceVersion(hit.metadata.resourceVersion!),
        createRevision: 0,
        version: 0,
        lease: '0',
        cached: hit,
      };
    }
    const { value } = await this.#store(() => this.store.get(this.key(namespace, name)));
    if (!value) throw new NotFoundError(this.qualifiedResource, name);
    return value;
  }

  /**
   * Writes `body` over `current` (an update's or a patch's last step), unless
   * nothing changes. Its managedFields: an apply's (`track.managedFields`),
   * else those of an Update by the writer, to the object or to
   * `track.subresource` (`scale`) or opts.subresource.
   */
  async #replace(
    namespace: string | undefined,
    name: string,
    current: Current,
    body: KubeObject,
    opts: WriteOptions,
    old = this.#decode(current),
    track: { subresource?: 'scale'; managedFields?: ManagedFieldsEntry[] } = {},
  ): Promise<KubeObject> {
    const obj = opts.subresource === 'status' ? this.#prepareStatusUpdate(body, old) : this.#prepareUpdate(body, old, opts.subresource);
    const subresource = track.subresource ?? opts.subresource;
    const writer = { manager: managerOf(opts.fieldManager, opts.userAgent), ...(subresource ? { subresource } : {}) };
    setManagedFields(obj, track.managedFields ?? trackUpdate(old, obj, body.metadata.managedFields, writer, this.#trackContext(subresource)));
    this.#validate(obj, old);
    const bytes = this.#encode(obj);
    if (opts.dryRun || sameJson(bytes, current.value)) {
      if (current.cached) throw new ConflictError(this.qualifiedResource, name); // unchanged from a copy that may be old: ask the store
      obj.metadata.resourceVersion = String(current.modRevision);
      return obj; // nothing changed: no write, no new resourceVersion (kubectl apply's "unchanged")
    }
    const m = obj.metadata;
    if (m.deletionTimestamp && !m.finalizers?.length && !m.deletionGracePeriodSeconds && !this.strategy.finalizers?.(obj).length) {
      // the last finalizer is gone from an object being deleted: it goes now
      await this.#store(() => this.store.delete(this.key(namespace, name), current.modRevision));
      m.resourceVersion = String(current.modRevision);
      return obj;
    }
    const v = await this.#store(() => this.store.update(this.key(namespace, name), bytes, current.modRevision));
    obj.metadata.resourceVersion = String(v.modRevision);
    return obj;
  }

  /**
   * Deletes the object, or marks it (deletionTimestamp) when finalizers keep
   * it or its kind deletes gracefully (a pod on a node): Kubernetes'
   * graceful deletion. The propagation policy sets the garbage collector's
   * finalizers: `orphan` for Orphan, `foregroundDeletion` for Foreground.
   * The kind's own finalizers (Strategy.finalizers) keep it as metadata's
   * do, and Strategy.markDeleted adjusts the marked object.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    for (const admit of this.deleteAdmission) await admit(namespace, name, this);
    const pre = opts.preconditions ?? {};
    for (;;) {
      const current = await this.#current(namespace, name);
      const obj = this.#decode(current);
      if (pre.uid !== undefined && pre.uid !== null && pre.uid !== obj.metadata.uid) {
        throw this.#uidPreconditionFailed(name, pre.uid, obj);
      }
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== null && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw new ConflictError(
          this.qualifiedResource,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
        );
      }
      const m = obj.metadata;
      let finalizers = m.finalizers ?? [];
      if (opts.propagationPolicy) {
        finalizers = finalizers.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
        if (opts.propagationPolicy === 'Orphan') finalizers.push('orphan');
        if (opts.propagationPolicy === 'Foreground') finalizers.push('foregroundDeletion');
      }
      let grace = this.strategy.gracePeriod?.(obj, opts.gracePeriodSeconds ?? undefined) ?? 0;
      // an object already going may only have its grace period shortened
      if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds !== null) grace = Math.min(grace, m.deletionGracePeriodSeconds);
      try {
        if (finalizers.length === 0 && !this.strategy.finalizers?.(obj).length && grace === 0) {
          if (!opts.dryRun) await this.#store(() => this.store.delete(this.key(namespace, name), current.modRevision));
          return { object: obj, deleted: true };
        }
        const marked = copyJson(obj);
        const mm = marked.metadata;
        if (!mm.deletionTimestamp || grace < (mm.deletionGracePeriodSeconds ?? 0)) {
          mm.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
          mm.deletionGracePeriodSeconds = grace;
        }
        if (finalizers.length) mm.finalizers = finalizers;
        else delete mm.finalizers;
        this.strategy.markDeleted?.(marked);
        delete mm.resourceVersion;
        const unmarked = copyJson(obj);
        delete unmarked.metadata.resourceVersion;
        if (opts.dryRun || isDeepStrictEqual(marked, unmarked)) return { object: obj, deleted: false };
        const v = await this.#store(() => this.store.update(this.key(namespace, name), this.#encode(marked), current.modRevision));
        mm.resourceVersion = String(v.modRevision);
        return { object: marked, deleted: false };
      } catch (e) {
        if (e instanceof ConflictError && (pre.resourceVersion === undefined || pre.resourceVersion === null)) continue;
        throw e;
      }
    }
  }

  /** Deletes every object of `namespace` that `filter` keeps (DELETE of the collection); answers with them, as deleted or marked. */
  async deleteCollection(namespace: string | undefined, filter: ((obj: KubeObject) => boolean) | undefined, opts: DeleteOptions = {}): Promise<ListResult> {
    const list = await this.list(namespace, filter ? { filter } : {});
    const items: KubeObject[] = [];
    for (const o of list.items) {
      try {
        items.push(withoutType((await this.delete(o.metadata.namespace, o.metadata.name!, { ...opts, preconditions: {} })).object));
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e; // deleted meanwhile
      }
    }
    return { items, resourceVersion: list.resourceVersion };
  }

  #prepareCreate(namespace: string | undefined, body: KubeObject): KubeObject {
    const obj = copyJson(body);
    const m = obj.metadata;
    if (this.strategy.info.namespaced) m.namespace = namespace;
    else delete m.namespace;
    m.uid = randomUUID();
    m.creationTimestamp = timestamp(this.now());
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if (this.strategy.hasGeneration) m.generation = 1;
    else delete m.generation;
    if (this.strategy.status?.onCreate === 'clear') delete obj.status;
    this.strategy.defaults?.(obj);
    this.strategy.prepareCreate?.(obj);
    return obj;
  }

  /**
   * A write to `/status`, as kube-apiserver's status strategies take one:
   * the body with the stored object's spec (everything but its metadata and
   * status) and the system metadata an update keeps, the generation
   * unchanged; the body's labels, annotations, finalizers and the rest of
   * its metadata are written, but for the kind's statusResetFields, kept as
   * stored too (a pod's ownerReferences, a Deployment's labels). The top-level keys stay in the stored object's order, so that
   * a write that changes nothing mostly encodes as the stored bytes
   * (#replace's sameJson compares parsed when they differ).
   */
  #prepareStatusUpdate(body: KubeObject, old: KubeObject): KubeObject {
    const obj = {} as KubeObject;
    for (const k of Object.keys(old)) {
      if (k === 'metadata') obj.metadata = copyJson(body.metadata);
      else if (k === 'status') {
        if (body.status !== undefined) obj.status = copyJson(body.status);
      } else (obj as Record<string, unknown>)[k] = copyJson((old as Record<string, unknown>)[k]);
    }
    if (body.status !== undefined && !('status' in old)) obj.status = copyJson(body.status);
    keepSystemMetadata(obj.metadata, old.metadata);
    if (old.metadata.generation === undefined) delete obj.metadata.generation;
    else obj.metadata.generation = old.metadata.generation;
    for (const path of this.strategy.statusResetFields ?? []) keepField(obj, old, path);
    this.strategy.defaults?.(obj);
    this.strategy.prepareStatusUpdate?.(obj, old);
    return obj;
  }

  /** A write to the object, or to one of the kind's update subresources (`subresource`, Strategy.updates). */
  #prepareUpdate(body: KubeObject, old: KubeObject, subresource?: string): KubeObject {
    const obj = copyJson(body);
    const m = obj.metadata;
    keepSystemMetadata(m, old.metadata);
    if (this.strategy.status) {
      // the status is /status's to change
      if (old.status === undefined) delete obj.status;
      else obj.status = copyJson(old.status);
    }
    this.strategy.defaults?.(obj);
    if (this.strategy.hasGeneration) {
      // a change to anything but metadata and status is a new generation (compared after defaults, in any key order)
      m.generation = (old.metadata.generation ?? 1) + (isDeepStrictEqual(withoutMeta(obj), withoutMeta(old)) ? 0 : 1);
    } else {
      delete m.generation;
    }
    const sub = subresource === undefined ? undefined : this.strategy.updates?.[subresource];
    if (sub) sub(obj, old);
    else this.strategy.prepareUpdate?.(obj, old);
    return obj;
  }

  /** Checks what every write's body must satisfy: its kind and apiVersion, its namespace and name against the URL's. */
  #checkBody(namespace: string | undefined, body: KubeObject, urlName?: string): void {
    const { kind } = this.strategy.info;
    if (body.kind !== undefined && body.kind !== kind) throw new BadRequestError(`the kind of the object (${body.kind}) does not match the kind of the URL (${kind})`);
    if (body.apiVersion !== undefined && body.apiVersion !== this.apiVersion) {
      throw new BadRequestError(`the API version in the data (${body.apiVersion}) does not match the expected API version (${this.apiVersion})`);
    }
    const ns = body.metadata.namespace;
    if (this.strategy.info.namespaced && ns && ns !== namespace) {
      throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (urlName !== undefined && body.metadata.name !== urlName) {
      throw new BadRequestError(`the name of the object (${body.metadata.name ?? ''}) does not match the name on the URL (${urlName})`);
    }
  }

  #validate(obj: KubeObject, old?: KubeObject): void {
    const errs = this.strategy.validate(obj, old);
    if (errs.length > 0) throw new InvalidError(this.qualifiedKind, obj.metadata.name ?? '', errs);
  }

  #encode(obj: KubeObject): Uint8Array {
    const metadata = { ...obj.metadata };
    delete metadata.resourceVersion;
    return enc.encode(JSON.stringify({ ...obj, apiVersion: this.apiVersion, kind: this.strategy.info.kind, metadata }));
  }

  #decode(v: Current): KubeObject {
    if (v.cached) return copyJson(v.cached); // the watch cache's copy (its resourceVersion set): copied, not parsed again
    const obj = JSON.parse(Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString()) as KubeObject; // a view, not a copy
    obj.metadata.resourceVersion = String(v.modRevision);
    return obj;
  }

  /** Runs a store call, its errors as the registry's. */
  async #store<T>(f: () => Promise<T>, continuing = false): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (e instanceof KeyExistsError) throw new AlreadyExistsError(this.qualifiedResource, nameOf(e.key));
      if (e instanceof KeyNotFoundError) throw new NotFoundError(this.qualifiedResource, nameOf(e.key));
      if (e instanceof RevisionConflictError) throw new ConflictError(this.qualifiedResource, nameOf(e.key));
      if (e instanceof CompactedError) {
        throw new ExpiredError(
          continuing
            ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
            : 'The resourceVersion for the provided list is too old.',
        );
      }
      if (e instanceof FutureRevisionError) throw new UnavailableError('Too large resource version');
      if (e instanceof StoreUnavailableError) throw new UnavailableError(e.message);
      throw e;
    }
  }
}

/** Sets `obj`'s managedFields (none: the field is left out, as Kubernetes encodes an empty list). */
function setManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[]): void {
  if (entries.length > 0) obj.metadata.managedFields = entries as unknown as NonNullable<KubeObject['metadata']['managedFields']>;
  else delete obj.metadata.managedFields;
}

/** An object as a write starts from (#current): read from the store, or the watch cache's copy (`cached`, which may be old), with its bytes as #encode makes them. */
type Current = StoredValue & { readonly cached?: KubeObject };

/**
 * Whether `next` (what #encode made) holds the same JSON value as `stored`:
 * the same bytes, or, when only key order differs, the same value once
 * parsed. Two encodings by JSON.stringify of one value in another key order
 * have the same length, so a change of length is a change without parsing
 * (a stored value with other spacing, written by hand, counts as changed).
 */
function sameJson(next: Uint8Array, stored: Uint8Array): boolean {
  if (next.byteLength !== stored.byteLength) return false;
  const a = Buffer.from(next.buffer, next.byteOffset, next.byteLength);
  const b = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  return a.equals(b) || isDeepStrictEqual(JSON.parse(a.toString()), JSON.parse(b.toString()));
}

/**
 * What no update changes in an object's metadata, taken from the stored
 * object's (`old`): namespace, uid, creationTimestamp, the deletion's
 * timestamp and grace period (set or absent); and no resourceVersion, which
 * the store gives.
 */
function keepSystemMetadata(m: KubeObject['metadata'], old: KubeObject['metadata']): void {
  m.namespace = old.namespace;
  m.uid = old.uid;
  m.creationTimestamp = old.creationTimestamp;
  if (old.deletionTimestamp) m.deletionTimestamp = old.deletionTimestamp;
  else delete m.deletionTimestamp;
  m.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  if (m.deletionGracePeriodSeconds === undefined) delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
}

/** Whether a write that started from the watch cache's copy of an object may have failed because that copy was old: then it is tried again on a fresh read. */
/**
 * Sets the field at `path` (a managedFields path of fields, `f:` each) of
 * `obj` to the one of `old`, or removes it when `old` has none.
 */
function keepField(obj: KubeObject, old: KubeObject, path: Path): void {
  const keys = path.map((p) => p.slice(2));
  const last = keys.pop();
  let to = obj as Record<string, unknown> | undefined;
  let from = old as Record<string, unknown> | undefined;
  for (const k of keys) {
    to = to?.[k] as Record<string, unknown> | undefined;
    from = from?.[k] as Record<string, unknown> | undefined;
  }
  if (!to || last === undefined) return;
  if (from?.[last] === undefined) delete to[last];
  else to[last] = copyJson(from[last]);
}

function mayBeStale(e: unknown): boolean {
  return e instanceof ApiError && !(e instanceof UnavailableError);
}

/** Whether a patched object names a resourceVersion other than the one it was patched from: the write is then guarded by it. */
function isGuarded(patched: KubeObject, old: KubeObject): boolean {
  const rv = patched.metadata.resourceVersion;
  return rv !== undefined && rv !== old.metadata.resourceVersion;
}

/** The object name at the end of a key. */
function nameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Five random characters of kube's SimpleNameGenerator (a generateName's suffix). */
export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

