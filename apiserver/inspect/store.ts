/**
 * The store part of the inspection API (web/README.md, "Store"): the keys
 * under a prefix as a tree, one key with its metadata (at a revision), its
 * history (history.ts), a WebSocket of changes under a prefix, and, for
 * admins, writing and deleting a key. All of it through the API server's
 * StoreClient, the one way to the store (DESIGN.md).
 *
 * Values are shown as JSON when they parse as JSON (Kubernetes objects),
 * as text when they are valid UTF-8, as base64 otherwise.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Request, type Response } from 'express';
import type { WebSocket } from 'ws';
import type { UserInfo } from '../auth/user.js';
import { userOf } from '../http/server.js';
import { CompactedError } from '../storage/errors.js';
import type { StoreClient, StoreEvent, StoreWatch, StoredValue, Written } from '../storage/interface.js';
import { compactRevisionOf, keyHistory, valueAt } from './history.js';
import type { UiPart } from './index.js';
import { MAX_SOCKET_BACKLOG, badRequest, handler, notFoundStatus, param, positiveInt, refuseUpgrade, requireAdmin, uiWebSockets, upgradeQuery } from './respond.js';

/** How many keys the tree scans at most. */
export const TREE_MAX_KEYS = 10_000;
/** The history's default and largest limit. */
const HISTORY_LIMIT = 20;
const HISTORY_MAX = 1000;
/** Bodies of writes larger than this are refused (the API server's limit). */
const MAX_BODY = 3 * 1024 * 1024;

/** How a value is shown. */
export type ValueEncoding = 'json' | 'text' | 'base64';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as the dashboard shows them: parsed JSON, else UTF-8 text, else base64. */
export function presentValue(bytes: Uint8Array): { value: unknown; valueEncoding: ValueEncoding } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { value: Buffer.from(bytes).toString('base64'), valueEncoding: 'base64' };
  }
  try {
    return { value: JSON.parse(text) as unknown, valueEncoding: 'json' };
  } catch {
    return { value: text, valueEncoding: 'text' };
  }
}

/** One child of the tree: the next path segment under the prefix. */
export interface TreeChild {
  readonly name: string;
  /** prefix + name: a key itself (isKey), and the prefix of the keys under it (key + '/'). */
  readonly key: string;
  /** How many keys are `key` or under `key + '/'`. */
  readonly count: number;
  readonly isKey: boolean;
}

/** GET /ui/api/store/tree's body. */
export async function storeTree(store: StoreClient, prefix: string): Promise<{ prefix: string; revision: number; children: TreeChild[]; truncated?: true }> {
  const page = await store.list(prefix, { limit: TREE_MAX_KEYS, keysOnly: true });
  const children = new Map<string, { count: number; isKey: boolean }>();
  for (const { key } of page.items) {
    const rest = key.slice(prefix.length);
    if (rest === '') continue; // the prefix itself is a key: it is no child of itself
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const c = children.get(name) ?? { count: 0, isKey: false };
    c.count++;
    if (slash < 0) c.isKey = true;
    children.set(name, c);
  }
  return {
    prefix,
    revision: page.revision,
    // by name: the keys' order puts 'a-b' between 'a' and 'a/x'
    children: [...children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, c]) => ({ name, key: prefix + name, count: c.count, isKey: c.isKey })),
    ...(page.more ? { truncated: true as const } : {}),
  };
}

/** GET /ui/api/store/key's body (and PUT's answer). */
export function keyBody(kv: Written & Partial<StoredValue>, revision: number): Record<string, unknown> {
  return {
    key: kv.key,
    ...presentValue(kv.value),
    ...(kv.createRevision !== undefined ? { createRevision: kv.createRevision } : {}),
    modRevision: kv.modRevision,
    ...(kv.version !== undefined ? { version: kv.version } : {}),
    ...(kv.lease !== undefined ? { lease: kv.lease } : {}),
    revision,
  };
}

/** A watch event as the store watch WebSocket sends it (a delete: the deleted incarnation's createRevision, version 0). */
export function eventMessage(e: StoreEvent): { type: 'put' | 'delete'; key: string; modRevision: number; createRevision: number; version: number } {
  const created = e.type === 'delete' ? (e.prev?.createRevision ?? 0) : e.kv.createRevision;
  return { type: e.type, key: e.kv.key, modRevision: e.kv.modRevision, createRevision: created, version: e.type === 'delete' ? 0 : e.kv.version };
}

/** The `key` parameter: required, not empty. */
function keyParam(v: unknown): string {
  const key = param(v);
  if (key === undefined || key === '') throw badRequest('the parameter key is required');
  return key;
}

/** The store part over `store`; see the file comment. */
export function storePart(store: StoreClient): UiPart {
  const wss = uiWebSockets();

  const getKey = async (req: Request, res: Response): Promise<void> => {
    const key = keyParam(req.query.key);
    const at = positiveInt('revision', param(req.query.revision));
    if (at === undefined) {
      const { value, revision } = await store.get(key);
      if (!value) throw notFoundStatus(`key ${key} not found`);
      return void res.json(keyBody(value, revision));
    }
    let kv: StoredValue | undefined;
    try {
      kv = await valueAt(store, key, at);
    } catch (e) {
      // a read's compaction error does not say where: ask
      if (e instanceof CompactedError) throw new CompactedError(await compactRevisionOf(store, key), `revision ${at} has been compacted`);
      throw e;
    }
    if (!kv) throw notFoundStatus(`key ${key} not found at revision ${at}`);
    res.json(keyBody(kv, at));
  };

  const history = async (req: Request, res: Response): Promise<void> => {
    const key = keyParam(req.query.key);
    const limit = positiveInt('limit', param(req.query.limit)) ?? HISTORY_LIMIT;
    if (limit > HISTORY_MAX) throw badRequest(`limit must be at most ${HISTORY_MAX}`);
    const h = await keyHistory(store, key, limit);
    if (h.versions.length === 0 && h.compactRevision === undefined && !h.truncated) throw notFoundStatus(`key ${key} has no history: it never existed`);
    res.json({
      key: h.key,
      revision: h.revision,
      ...(h.compactRevision !== undefined ? { compactRevision: h.compactRevision } : {}),
      ...(h.truncated ? { truncated: true } : {}),
      versions: h.versions.map((v) => ({
        modRevision: v.modRevision,
        createRevision: v.createRevision,
        version: v.version,
        ...(v.value === undefined ? { value: null, valueEncoding: 'json' } : presentValue(v.value)),
        deleted: v.deleted,
      })),
    });
  };

  const put = async (req: Request, res: Response): Promise<void> => {
    requireAdmin(userOf(res), 'write the store');
    const body = jsonBody(req.body);
    const key = keyParam(body.key);
    if (body.confirm !== true) throw badRequest('a write to the store must be confirmed: confirm: true');
    if (!('value' in body)) throw badRequest('value is required');
    const value = valueBytes(body.value, body.valueEncoding);
    const expected = body.modRevision;
    if (expected !== undefined && (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0)) throw badRequest('modRevision must be a whole number (0: only if the key does not exist)');
    let written: Written & Partial<StoredValue>;
    if (expected === 0) written = await store.create(key, value);
    else if (expected !== undefined) written = await replaced(store, await store.update(key, value, expected));
    else written = await putAnyway(store, key, value);
    res.json(keyBody(written, written.modRevision));
  };

  const del = async (req: Request, res: Response): Promise<void> => {
    requireAdmin(userOf(res), 'delete from the store');
    const key = keyParam(req.query.key);
    if (param(req.query.confirm) !== 'true') throw badRequest('a deletion from the store must be confirmed: confirm=true');
    const expected = positiveInt('modRevision', param(req.query.modRevision));
    const { deleted, revision } = await store.delete(key, expected);
    res.json({ key, revision, deleted: keyBody(deleted, revision) });
  };

  const watch = (req: IncomingMessage, socket: Duplex, head: Buffer, _user: UserInfo): void => {
    const q = upgradeQuery(req);
    const prefix = q.get('prefix') || '/';
    let after: number | undefined;
    try {
      after = positiveInt('revision', q.get('revision') ?? undefined);
    } catch (e) {
      return refuseUpgrade(socket, e);
    }
    // from now, unless asked to resume after a revision
    const from = after !== undefined ? Promise.resolve(after) : store.get(prefix).then((r) => r.revision);
    from.then(
      (rev) => wss.handleUpgrade(req, socket, head, (ws) => streamChanges(store, prefix, rev, ws)),
      (e: unknown) => refuseUpgrade(socket, e),
    );
  };

  return {
    routes(app) {
      app.get('/ui/api/store/tree', handler(async (req, res) => {
        const prefix = param(req.query.prefix) ?? '/registry/';
        if (!prefix.endsWith('/')) throw badRequest('prefix must end in "/"');
        res.json(await storeTree(store, prefix));
      }));
      app.get('/ui/api/store/key', handler(getKey));
      app.get('/ui/api/store/history', handler(history));
      app.put('/ui/api/store/key', express.raw({ type: () => true, limit: MAX_BODY }), handler(put));
      app.delete('/ui/api/store/key', handler(del));
    },
    sockets: [{ path: '/ui/api/store/watch', upgrade: watch }],
  };
}

/** A request body as a JSON object; 400 otherwise. */
function jsonBody(b: unknown): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.isBuffer(b) ? b.toString('utf8') : '');
  } catch {
    throw badRequest('the body must be a JSON object: { key, value, confirm: true }');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('the body must be a JSON object: { key, value, confirm: true }');
  return v as Record<string, unknown>;
}

/** A PUT's value as bytes: base64 with valueEncoding 'base64', a string as its UTF-8 text, anything else as its JSON. */
function valueBytes(value: unknown, encoding: unknown): Uint8Array {
  if (encoding === 'base64') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw badRequest('value must be base64 with valueEncoding base64');
    return Buffer.from(value, 'base64');
  }
  if (encoding !== undefined && encoding !== 'json' && encoding !== 'text') throw badRequest('valueEncoding must be json, text or base64');
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

/**
 * The key as an update wrote it, with its createRevision and version, read
 * at the write's revision; if that read fails, the write is done all the
 * same: it answers what it knows, without them.
 */
async function replaced(store: StoreClient, w: Written): Promise<Written & Partial<StoredValue>> {
  return (await valueAt(store, w.key, w.modRevision).catch(() => undefined)) ?? w;
}

/** Writes `key` whatever it holds: created if absent, else replaced over the revision just read (again if it changed meanwhile). */
async function putAnyway(store: StoreClient, key: string, value: Uint8Array): Promise<StoredValue> {
  for (let tries = 0; ; tries++) {
    const { value: cur } = await store.get(key);
    try {
      if (!cur) return await store.create(key, value);
      const w = await store.update(key, value, cur.modRevision);
      // as the update wrote it over `cur`: a put without a lease detaches the key's, as etcd's does
      return { ...w, createRevision: cur.createRevision, version: cur.version + 1, lease: '0' };
    } catch (e) {
      if (tries >= 5) throw e;
      // someone else wrote (or deleted, or created) it meanwhile: read again
    }
  }
}

/**
 * Sends each change under `prefix` after revision `after` to `ws` as one
 * message. The store's watch is resumed from the last revision sent when the
 * store went away (the API server moves to another member); the socket is
 * closed (1011) when that revision is compacted, or when the client falls
 * too far behind.
 */
function streamChanges(store: StoreClient, prefix: string, after: number, ws: WebSocket): void {
  let last = after;
  let closed = false;
  let w: StoreWatch | undefined;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 100;
  const start = (): void => {
    w = store.watch(prefix, last, {
      events: (events) => {
        backoff = 100;
        for (const e of events) {
          if (closed) return;
          ws.send(JSON.stringify(eventMessage(e)));
          last = e.kv.modRevision;
        }
        if (ws.bufferedAmount > MAX_SOCKET_BACKLOG) ws.close(1011, 'the client is too far behind');
      },
      ended: (err) => {
        if (closed) return;
        if (err instanceof CompactedError) return void ws.close(1011, `revision ${last} has been compacted`);
        // the store went away (StoreUnavailableError): resume once it is back
        retry = setTimeout(start, backoff);
        backoff = Math.min(backoff * 2, 2000);
      },
    });
  };
  ws.on('close', () => {
    closed = true;
    clearTimeout(retry);
    w?.cancel();
  });
  ws.on('error', () => ws.terminate());
  start();
}
