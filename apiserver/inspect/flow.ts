/**
 * The flow recorder (web/README.md, "Flow"): a timeline of the control plane
 * at work. Each API write is an entry (who made it, what it did, the
 * revision it wrote); each watch event of that revision sent to a watcher is
 * a delivery on the entry (who got it, how long after the write began); a
 * write that answers a delivery names the entry it answers (`cause`).
 *
 *   HTTP layer ── write(w) ──────► entry seq N, revision R ──► subscribers (the WebSocket)
 *        │                              ▲ deliveries
 *        └──── delivered(watcher, ev) ──┘ by revision: R → N
 *
 * Matching a delivery to its write:
 * - by revision, when the write's answer carries it (create, update, patch,
 *   apply, scale, a delete that only marks). An event may be sent before
 *   the write's answer is done: its deliveries wait (`#pending`, a few
 *   seconds) for the write to claim them.
 * - by object, when it does not: pods/binding and pods/eviction answer a
 *   Status, and a delete that removes the object answers it as it was
 *   before. Such a write claims the first event of its object with a
 *   revision above the last the recorder saw of it, sent after the write
 *   began (and that revision becomes the entry's).
 *
 * Only the last `capacity` entries are kept (a ring); the HTTP layer's cost
 * per event is a map lookup and a push, with no copy of the object.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { KubeObject } from '../api/meta.js';
import { epochMs, type ObservedWatcher, type ObservedWrite, type WriteObserver, type WriteVerb } from '../http/observe.js';
import type { EventType } from '../watchcache/cache.js';
import { baseComponent, componentOf, ownersOf, stateOf, summarize, type FlowOwner, type ObjectState } from './flowsummary.js';
import type { UiPart } from './index.js';
import { MAX_SOCKET_BACKLOG, inspectStatus, param, positiveInt, refuseUpgrade, sendStatus, uiWebSockets, upgradeQuery } from './respond.js';

export { componentOf, type FlowOwner } from './flowsummary.js';

/** A watch event of an entry's write, sent to a watcher. */
export interface FlowDelivery {
  /** The watcher's component (componentOf its User-Agent). */
  readonly component: string;
  readonly userAgent: string;
  /** The watcher's user name. */
  readonly user: string;
  /** The resource it watches. */
  readonly resource: string;
  /** The event's type as this watcher saw it (a selector's watcher sees an object enter as ADDED, leave as DELETED). */
  readonly type: EventType;
  /** When it was sent, in ms after the write's request arrived (FlowEntry.time). */
  readonly atMs: number;
}

/** One API write; see web/README.md. Entries change in place as deliveries arrive (and `revision` when a write is matched by object). */
export interface FlowEntry {
  readonly seq: number;
  /** When the request arrived (ISO, ms). */
  readonly time: string;
  /** How long until its answer was written. */
  readonly durationMs: number;
  readonly verb: WriteVerb;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  /** '' for a deletecollection. */
  readonly name: string;
  readonly uid?: string;
  readonly kind?: string;
  /** The answer's HTTP status. */
  readonly code: number;
  readonly user: string;
  readonly userAgent: string;
  readonly component: string;
  /** The store revision the write made (unset for a refused write, or one whose event has not been seen yet). */
  revision?: number;
  readonly owners: readonly FlowOwner[];
  readonly summary?: string;
  /**
   * The seq of the entry this write answers: the latest earlier write on the
   * same object, an owner of it, or an object it owns, whose event reached
   * this write's component (by its part before '/') before this write began.
   */
  readonly cause?: number;
  readonly deliveries: FlowDelivery[];
  /** Deliveries past MAX_DELIVERIES, counted but not kept. */
  moreDeliveries?: number;
}

/** A page of entries: those after `since`, and the seq to ask after next. */
export interface FlowPage {
  readonly entries: FlowEntry[];
  readonly next: number;
}

/** How a FlowRecorder is made. */
export interface FlowOptions {
  /** How many entries are kept (the oldest go first); default 5000. */
  readonly capacity?: number;
  /** The clock, in epoch ms (default epochMs, the HTTP layer's). */
  readonly now?: () => number;
}

/** Deliveries kept per entry. */
export const MAX_DELIVERIES = 100;
/** How long deliveries wait for their write (ms), and how many revisions may wait. */
const PENDING_MS = 10_000;
const MAX_PENDING = 5_000;
/** How long a write matched by object waits for its event (ms), and how many may wait. */
const CLAIM_MS = 10_000;
const MAX_CLAIMS = 1_000;
/** How far back a cause is looked for: entries and ms. */
const CAUSE_ENTRIES = 1_000;
const CAUSE_MS = 60_000;
/** The actions (POSTs to a subresource, answered with a Status) that write their object; others (serviceaccounts/token) write nothing. */
const WRITING_ACTIONS: ReadonlySet<string> = new Set(['binding', 'eviction']);
/** Objects remembered for summaries and matching. */
const MAX_OBJECTS = 20_000;

/** The recorder's own record of an entry. */
interface Rec {
  readonly entry: FlowEntry;
  /** FlowEntry.time as epoch ms. */
  readonly start: number;
  /** resource/namespace/name */
  readonly key: string;
  /** The revisions #byRevision maps to this entry (removed with it). */
  readonly revisions: number[];
}

/** A delivery without its time, made once per watcher. */
type Recipient = Omit<FlowDelivery, 'type' | 'atMs'>;

/** Deliveries of a revision no entry has claimed yet. */
interface Pending {
  readonly key: string;
  /** When its first delivery was sent. */
  readonly at: number;
  readonly deliveries: { readonly to: Recipient; readonly type: EventType; readonly at: number }[];
}

/** A write waiting for the event of `key` with a revision above `after`, sent after `start`. */
interface Claim {
  readonly seq: number;
  readonly key: string;
  readonly after: number;
  readonly start: number;
  /** The entry's only object: its revision becomes the entry's. */
  readonly single: boolean;
}

const keyOf = (resource: string, namespace: string | undefined, name: string): string => `${resource}/${namespace ?? ''}/${name}`;
const round = (ms: number): number => Math.round(ms * 10) / 10;
const revisionOf = (o: KubeObject | undefined): number | undefined => {
  const rv = o?.metadata.resourceVersion;
  const n = Number(rv);
  return rv && Number.isSafeInteger(n) ? n : undefined;
};

/** The flow recorder; see the file comment. */
export class FlowRecorder implements WriteObserver {
  readonly capacity: number;
  readonly #now: () => number;
  /** invariant: the entry of seq s (when kept) is at #ring[(s - 1) % capacity] */
  readonly #ring: (Rec | undefined)[];
  #seq = 0;
  readonly #byRevision = new Map<number, number>();
  /**
   * The kept entries that a later write's cause may be, by what relates
   * them (#causeOf): `k:<key>` the entries on that object, `u:<uid>` those
   * whose object has that uid, `o:<uid>` those owned by it.
   * invariant: each list is ascending and holds only kept seqs.
   */
  readonly #related = new Map<string, number[]>();
  readonly #pending = new Map<number, Pending>();
  #claims: Claim[] = [];
  readonly #objects = new Map<string, ObjectState>();
  readonly #components = new Map<string, string>();
  readonly #recipients = new WeakMap<ObservedWatcher, Recipient>();
  readonly #subscribers = new Set<(e: FlowEntry) => void>();
  readonly #dirty = new Set<FlowEntry>();
  #flushing = false;

  constructor(opts: FlowOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 5000);
    this.#now = opts.now ?? epochMs;
    this.#ring = new Array<Rec | undefined>(this.capacity);
  }

  /** The seq of the newest entry (0 before the first). */
  get seq(): number {
    return this.#seq;
  }

  /** Records an answered write (WriteObserver). */
  write(w: ObservedWrite): void {
    const seq = ++this.#seq;
    const obj = w.object;
    // a create names its object in its body (or the server generates the name)
    const name = w.name ?? (w.verb === 'deletecollection' ? '' : (obj?.metadata.name ?? ''));
    const key = keyOf(w.resource, w.namespace, name);
    const prev = this.#objects.get(key);
    const ok = w.code < 300;
    const scale = w.subresource === 'scale';
    let cur: ObjectState | undefined;
    if (ok && obj && !w.deleted) cur = scale ? { ...prev, owners: prev?.owners ?? [], ...pick(stateOf(obj), 'uid', 'revision', 'replicas') } : stateOf(obj);
    // a write that changed nothing (an update to the same object) answers the revision of the write before it
    const revision = cur?.revision !== undefined && cur.revision !== prev?.revision ? cur.revision : undefined;
    const component = this.#component(w.userAgent);
    const uid = obj?.metadata.uid ?? prev?.uid;
    const owners = obj && !scale ? ownersOf(obj) : (prev?.owners ?? []);
    const summary = summarize(w, prev, cur);
    const cause = ok ? this.#causeOf(seq, key, uid, owners, baseComponent(component), w.startedAt) : undefined;
    const entry: FlowEntry = {
      seq,
      time: new Date(w.startedAt).toISOString(),
      durationMs: round(w.durationMs),
      verb: w.verb,
      resource: w.resource,
      ...(w.subresource !== undefined ? { subresource: w.subresource } : {}),
      ...(w.namespace !== undefined ? { namespace: w.namespace } : {}),
      name,
      ...(uid !== undefined && w.verb !== 'deletecollection' ? { uid } : {}),
      kind: w.kind,
      code: w.code,
      user: w.user,
      userAgent: w.userAgent,
      component,
      ...(revision !== undefined ? { revision } : {}),
      owners,
      ...(summary !== undefined ? { summary } : {}),
      ...(cause !== undefined ? { cause } : {}),
      deliveries: [],
    };
    const r: Rec = { entry, start: w.startedAt, key, revisions: [] };
    const slot = (seq - 1) % this.capacity;
    const old = this.#ring[slot];
    if (old) {
      for (const rev of old.revisions) if (this.#byRevision.get(rev) === old.entry.seq) this.#byRevision.delete(rev);
      for (const k of relations(old)) this.#unrelate(k, old.entry.seq);
    }
    this.#ring[slot] = r;
    for (const k of relations(r)) this.#relate(k, seq);
    this.#changed(entry);
    if (!ok) return;

    // what the recorder knows of the objects first (a claim may be met at once, and raise the revision known)
    const after = Math.max(prev?.revision ?? 0, (w.deleted && revisionOf(obj)) || 0);
    if (w.deleted) this.#objects.delete(key);
    else if (w.subresource === 'binding' && summary?.startsWith('bound to ')) this.#remember(key, { ...prev, owners, nodeName: summary.slice('bound to '.length) });
    else if (cur) this.#remember(key, revision === undefined && prev ? { ...cur, revision: prev.revision } : cur);

    if (revision !== undefined) this.#bind(r, revision, false);
    else if (w.verb === 'deletecollection') {
      for (const item of w.items ?? []) {
        const k = keyOf(w.resource, item.metadata.namespace, item.metadata.name ?? '');
        const rv = revisionOf(item) ?? 0;
        // a removed item answers its revision before the deletion (known to the recorder); a marked one, the marking's
        const known = this.#objects.get(k)?.revision === rv;
        this.#objects.delete(k);
        this.#claim({ seq, key: k, after: known ? rv : rv - 1, start: w.startedAt, single: false });
      }
    } else if (w.deleted || (w.verb === 'create' && !obj && WRITING_ACTIONS.has(w.subresource ?? ''))) {
      // a removed object, or an action that writes its object: the answer names no revision
      this.#claim({ seq, key, after, start: w.startedAt, single: true });
    }
  }

  /** Records a watch event sent to a watcher (WriteObserver). */
  delivered(watcher: ObservedWatcher, type: EventType, object: KubeObject): void {
    const rev = revisionOf(object);
    if (rev === undefined) return;
    const at = this.#now();
    let to = this.#recipients.get(watcher);
    if (!to) {
      to = { component: this.#component(watcher.userAgent), userAgent: watcher.userAgent, user: watcher.user, resource: watcher.resource };
      this.#recipients.set(watcher, to);
    }
    const seq = this.#byRevision.get(rev);
    const r = seq === undefined ? undefined : this.#rec(seq);
    if (r) return this.#attach(r, to, type, at);
    const key = keyOf(watcher.resource, object.metadata.namespace, object.metadata.name ?? '');
    const claimed = this.#claimed(key, rev, at);
    if (claimed) return this.#attach(claimed, to, type, at);
    let p = this.#pending.get(rev);
    if (!p) {
      this.#prunePending(at);
      p = { key, at, deliveries: [] };
      this.#pending.set(rev, p);
    }
    if (p.deliveries.length < MAX_DELIVERIES) p.deliveries.push({ to, type, at });
  }

  /** The entries after `since` (at most `limit`, oldest first), as they are now. */
  list(since = 0, limit = 500): FlowPage {
    const first = Math.max(since + 1, this.#seq - this.capacity + 1, 1);
    const last = Math.min(this.#seq, first + Math.max(limit, 0) - 1);
    const entries: FlowEntry[] = [];
    for (let s = first; s <= last; s++) entries.push(this.#rec(s)!.entry);
    return { entries, next: entries.length ? last : Math.min(Math.max(since, 0), this.#seq) };
  }

  /**
   * Calls `f` with each new entry and each entry that changed (the same seq
   * again), once per change or batch of changes (after the current task's
   * synchronous work: a write's deliveries to every watcher come as one).
   * Returns the unsubscribe function.
   */
  subscribe(f: (e: FlowEntry) => void): () => void {
    this.#subscribers.add(f);
    return () => void this.#subscribers.delete(f);
  }

  /** The kept entry of `seq`. */
  #rec(seq: number): Rec | undefined {
    if (seq < 1 || seq > this.#seq || seq <= this.#seq - this.capacity) return undefined;
    return this.#ring[(seq - 1) % this.capacity];
  }

  #component(userAgent: string): string {
    let c = this.#components.get(userAgent);
    if (c === undefined) {
      if (this.#components.size >= 1000) this.#components.clear();
      this.#components.set(userAgent, (c = componentOf(userAgent)));
    }
    return c;
  }

  #attach(r: Rec, to: Recipient, type: EventType, at: number): void {
    const e = r.entry;
    if (e.deliveries.length < MAX_DELIVERIES) e.deliveries.push({ ...to, type, atMs: round(at - r.start) });
    else e.moreDeliveries = (e.moreDeliveries ?? 0) + 1;
    this.#changed(e);
  }

  /** Maps `rev` to `r`'s entry, and hands it the deliveries that waited for it. */
  #bind(r: Rec, rev: number, matched: boolean): void {
    this.#byRevision.set(rev, r.entry.seq);
    r.revisions.push(rev);
    if (matched) {
      if (r.entry.revision === undefined) r.entry.revision = rev;
      const o = this.#objects.get(r.key);
      if (o && (o.revision ?? 0) < rev) o.revision = rev;
    }
    const p = this.#pending.get(rev);
    if (!p) return;
    this.#pending.delete(rev);
    for (const d of p.deliveries) this.#attach(r, d.to, d.type, d.at);
  }

  /** Adds a write matched by object: it takes a waiting event of its object at once, or the next one. */
  #claim(c: Claim): void {
    let best: number | undefined;
    for (const [rev, p] of this.#pending) if (p.key === c.key && rev > c.after && p.at >= c.start && (best === undefined || rev < best)) best = rev;
    const r = this.#rec(c.seq)!;
    if (best !== undefined) return this.#bind(r, best, c.single);
    if (this.#claims.length >= MAX_CLAIMS) this.#claims.shift();
    this.#claims.push(c);
  }

  /** The entry waiting for this event of `key`, if any, now bound to it. */
  #claimed(key: string, rev: number, at: number): Rec | undefined {
    if (this.#claims.length === 0) return undefined;
    this.#claims = this.#claims.filter((c) => c.start > at - CLAIM_MS);
    const i = this.#claims.findIndex((c) => c.key === key && rev > c.after && at >= c.start);
    if (i < 0) return undefined;
    const [c] = this.#claims.splice(i, 1);
    const r = this.#rec(c!.seq);
    if (r) this.#bind(r, rev, c!.single);
    return r;
  }

  #prunePending(at: number): void {
    for (const [rev, p] of this.#pending) {
      if (this.#pending.size < MAX_PENDING && p.at > at - PENDING_MS) break;
      this.#pending.delete(rev);
    }
  }

  #remember(key: string, s: ObjectState): void {
    this.#objects.delete(key);
    this.#objects.set(key, s);
    if (this.#objects.size > MAX_OBJECTS) this.#objects.delete(this.#objects.keys().next().value!);
  }

  /**
   * See FlowEntry.cause: the newest related entry among the last
   * CAUSE_ENTRIES, found through #related (the entries on the same object,
   * on one of its owners, or owned by it) rather than by reading them all.
   */
  #causeOf(seq: number, key: string, uid: string | undefined, owners: readonly FlowOwner[], component: string, start: number): number | undefined {
    const stop = Math.max(1, seq - CAUSE_ENTRIES, seq - this.capacity + 1); // the entry seq - capacity is leaving the ring
    const lists = [this.#related.get(`k:${key}`), ...owners.map((o) => this.#related.get(`u:${o.uid}`)), uid !== undefined ? this.#related.get(`o:${uid}`) : undefined];
    const candidates: number[] = [];
    for (const list of lists) {
      for (let i = (list?.length ?? 0) - 1; i >= 0 && list![i]! >= stop; i--) if (list![i]! < seq) candidates.push(list![i]!);
    }
    candidates.sort((a, b) => b - a);
    for (let i = 0; i < candidates.length; i++) {
      const s = candidates[i]!;
      if (s === candidates[i - 1]) continue;
      const r = this.#rec(s)!;
      if (r.start < start - CAUSE_MS) break;
      const e = r.entry;
      if (e.code >= 300 || e.deliveries.length === 0) continue;
      for (const d of e.deliveries) if (r.start + d.atMs <= start + 0.5 && baseComponent(d.component) === component) return s;
    }
    return undefined;
  }

  #relate(k: string, seq: number): void {
    const list = this.#related.get(k);
    if (list) list.push(seq);
    else this.#related.set(k, [seq]);
  }

  /** Removes `seq`, the oldest kept entry, from the list of `k` (so it is first there). */
  #unrelate(k: string, seq: number): void {
    const list = this.#related.get(k);
    if (list?.[0] !== seq) return;
    if (list.length === 1) this.#related.delete(k);
    else list.shift();
  }

  #changed(e: FlowEntry): void {
    if (this.#subscribers.size === 0) return;
    this.#dirty.add(e);
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => {
      this.#flushing = false;
      const changed = [...this.#dirty];
      this.#dirty.clear();
      for (const c of changed) {
        for (const f of this.#subscribers) {
          try {
            f(c);
          } catch {
            // a subscriber's failure is its own
          }
        }
      }
    });
  }
}

/** The keys of FlowRecorder's #related that list `r`. */
function relations(r: Rec): Set<string> {
  const keys = new Set([`k:${r.key}`]);
  if (r.entry.uid !== undefined) keys.add(`u:${r.entry.uid}`);
  for (const o of r.entry.owners) keys.add(`o:${o.uid}`);
  return keys;
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * The Flow part of the inspection API (web/README.md): GET /ui/api/flow and
 * the WebSocket /ui/api/flow/watch; and `recorder` as the HTTP layer's
 * observer.
 */
export function flowPart(recorder: FlowRecorder): UiPart {
  const wss = uiWebSockets();
  return {
    observer: recorder,
    routes(app) {
      app.get('/ui/api/flow', (req, res) => {
        try {
          const since = seqParam('since', param(req.query.since)) ?? 0;
          const limit = positiveInt('limit', param(req.query.limit)) ?? 500;
          res.json(recorder.list(since, Math.min(limit, recorder.capacity)));
        } catch (e) {
          sendStatus(res, inspectStatus(e));
        }
      });
    },
    sockets: [
      {
        path: '/ui/api/flow/watch',
        upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
          let since: number | undefined;
          try {
            since = seqParam('since', upgradeQuery(req).get('since') ?? undefined);
          } catch (e) {
            return refuseUpgrade(socket, e);
          }
          wss.handleUpgrade(req, socket, head, (ws) => streamFlow(recorder, ws, since));
        },
      },
    ],
  };
}

/** Sends `ws` the entries after `since` (none when unset), then each entry as it is made or changes. */
function streamFlow(recorder: FlowRecorder, ws: WebSocket, since: number | undefined): void {
  let unsubscribe = (): void => {};
  const send = (e: FlowEntry): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_SOCKET_BACKLOG) {
      unsubscribe();
      return void ws.close(1013, 'too far behind: reconnect with ?since=');
    }
    ws.send(JSON.stringify(e));
  };
  if (since !== undefined) for (const e of recorder.list(since, recorder.capacity).entries) send(e);
  unsubscribe = recorder.subscribe(send);
  ws.on('close', () => unsubscribe());
  ws.on('error', () => unsubscribe());
}

/** A seq parameter (a whole number, 0 included); undefined when absent, 400 when not one. */
function seqParam(name: string, v: string | undefined): number | undefined {
  return v === '0' ? 0 : positiveInt(name, v);
}

/** A flow recorder and its part of the dashboard, to pass to uiServer (the part carries the recorder as the observer). */
export function createFlow(opts: FlowOptions = {}): { recorder: FlowRecorder; part: UiPart } {
  const recorder = new FlowRecorder(opts);
  return { recorder, part: flowPart(recorder) };
}
