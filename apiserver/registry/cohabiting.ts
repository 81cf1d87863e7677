/**
 * Kinds that cohabit (Kubernetes' cohabitating resources): a kind served in
 * one group version but kept as another kind's object under the same keys.
 * events.k8s.io/v1 Events are core/v1 Events in /registry/events/, so an
 * Event written through either API is read through both, and one watch of
 * either sees the writes of both.
 *
 * The GenericStore of such a kind (Strategy.storedAs) stands on a StoreClient
 * that converts each value on its way in (toStorage) and out (fromStorage):
 * in the values it reads, watches and is refused with (a conflict's current
 * value). Keys, revisions and the other errors pass unchanged. A write's
 * answer carries the value as the caller gave it.
 */
import type { KubeObject } from '../api/meta.js';
import { RevisionConflictError } from '../storage/errors.js';
import type { StoreClient, StoredValue } from '../storage/interface.js';
import type { StorageConversion, Strategy } from './strategy.js';

const enc = new TextEncoder();

/** The StoreClient `strategy`'s GenericStore stands on: `store`, converting when the kind cohabits. */
export function storeFor(store: StoreClient, strategy: Strategy): StoreClient {
  return strategy.storedAs ? convertingStore(store, strategy.storedAs) : store;
}

/** `value` (an object's JSON) through `convert`; bytes that are not an object's JSON pass unchanged. */
function transcode(value: Uint8Array, convert: (obj: KubeObject) => KubeObject): Uint8Array {
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(value).toString());
  } catch {
    return value;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || typeof (obj as KubeObject).metadata !== 'object') return value;
  return enc.encode(JSON.stringify(convert(obj as KubeObject)));
}

/** `inner` with every value converted by `conv`; see the file comment. */
export function convertingStore(inner: StoreClient, conv: StorageConversion): StoreClient {
  // a deletion's kv has no value: nothing to convert
  const out = (v: StoredValue): StoredValue => (v.value.length === 0 ? v : { ...v, value: transcode(v.value, conv.fromStorage) });
  const into = (value: Uint8Array): Uint8Array => transcode(value, conv.toStorage);
  const refused = (e: unknown): never => {
    throw e instanceof RevisionConflictError ? new RevisionConflictError(e.key, e.expected, out(e.current)) : e;
  };
  return {
    async get(key) {
      const r = await inner.get(key);
      return r.value ? { ...r, value: out(r.value) } : r;
    },
    async list(prefix, opts) {
      const page = await inner.list(prefix, opts);
      return { ...page, items: page.items.map(out) };
    },
    async create(key, value) {
      return { ...(await inner.create(key, into(value))), value };
    },
    async update(key, value, expected) {
      return { ...(await inner.update(key, into(value), expected).catch(refused)), value };
    },
    async delete(key, expected) {
      const r = await inner.delete(key, expected).catch(refused);
      return { ...r, deleted: out(r.deleted) };
    },
    watch(prefix, afterRevision, handler) {
      return inner.watch(prefix, afterRevision, {
        events: (events) => handler.events(events.map((ev) => ({ type: ev.type, kv: out(ev.kv), prev: ev.prev && out(ev.prev) }))),
        ended: (err) => handler.ended(err),
      });
    },
    compact: (revision) => inner.compact(revision),
    close: () => inner.close(),
  };
}
