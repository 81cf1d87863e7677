/**
 * Test support for test/differential.test.ts: runs one scenario (a list of
 * named steps) against a fresh real etcd cluster and a fresh kubeling
 * cluster side by side, normalises what may legitimately differ, and
 * reports every step whose answers differ with a line diff.
 *
 * Each side talks to its cluster through the `etcd3` npm client's raw RPC
 * clients (kv, leaseClient, watchClient, maintenance, cluster) with its
 * retries and circuit breaker switched off, so every call is one RPC, and
 * through `etcdctl -w json`. Errors are compared as "<code> <NAME>: <message>".
 *
 * Normalisations (everything else must be identical):
 * - header cluster_id, member_id: "<cluster>", "<member>" when non-zero (a
 *   zero stays 0, so a header etcd leaves empty must be empty here too);
 * - raft_term: "<term>" when non-zero (each cluster elects on its own, so a
 *   split vote at start-up legitimately changes it);
 * - member ids elsewhere: the member's name ("<m1>"), a member added during a
 *   scenario "<added>"; member URLs "<m1.client>" / "<m1.peer>" (random ports);
 * - lease ids the server picks (a grant with ID 0, etcdctl lease grant):
 *   "<name>" given by the step, in decimal and hex (etcdctl prints %016x);
 * - responses of one revision to different watchers of one stream are sorted
 *   by watch id (etcd notifies the watchers of a revision in map order);
 * - etcdctl's retry warnings on stderr: their "ts" and "target" (a time and a
 *   random client id);
 * - bytes: text when printable, else base64; over 256 bytes, length and hash;
 * - what a step declares non-deterministic, inside that step: Status' leader,
 *   raft indexes and db sizes; TimeToLive's remaining TTL (to within 2 s of
 *   the granted TTL, which compares exactly); member lists sorted by name.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Etcd3, type IDuplexStream, type IOptions, type IWatchRequest, type IWatchResponse } from 'etcd3';
import { TestCluster, type Flavour } from './cluster.js';

/** A decoded message (proto field names, int64 as decimal strings). */
export type Obj = Record<string, unknown>;

/** One step of a scenario: what it does to a side and what it answers. */
export interface Step {
  readonly name: string;
  run(s: Side): Promise<unknown>;
}

/** A named scenario: its steps run in order, each against both sides at once. */
export interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
/** A policy that calls through once: no retries, no circuit breaker. */
const once = { execute: async (fn: (ctx: object) => unknown) => fn({ signal: new AbortController().signal }) } as unknown as Policy;

/** A bidirectional watch stream whose responses are queued for steps to take. */
export class WatchStream {
  readonly #queue: Obj[] = [];
  #wake: (() => void) | undefined;
  #ended: string | undefined;

  constructor(private readonly stream: IDuplexStream<IWatchRequest, IWatchResponse>) {
    stream.on('data', (r: IWatchResponse) => {
      this.#queue.push(r as unknown as Obj);
      this.#wake?.();
    });
    stream.on('error', (e: Error) => {
      this.#ended = `stream error: ${errorText(e)}`;
      this.#wake?.();
    });
    stream.on('end', () => {
      this.#ended ??= 'stream ended';
      this.#wake?.();
    });
  }

  /** Sends a request on the stream. */
  send(r: IWatchRequest): void {
    this.stream.write(r);
  }

  /** The next `n` responses; on timeout what came, then a "<timed out>" marker. */
  async take(n: number, timeoutMs = 5000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length < n && this.#ended === undefined && Date.now() < deadline) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, deadline - Date.now()));
        this.#wake = () => {
          clearTimeout(t);
          res();
        };
      });
      this.#wake = undefined;
    }
    const got: unknown[] = sameRevisionByWatchId(this.#queue.splice(0, n));
    if (got.length < n) got.push(this.#ended ?? '<timed out>');
    return got;
  }

  /** Every response until at least one came and then none for `quietMs` (at most `maxMs` in all). */
  async drain(quietMs = 500, maxMs = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + maxMs;
    let seen = -1;
    while ((this.#queue.length === 0 || this.#queue.length !== seen) && this.#ended === undefined && Date.now() < deadline) {
      seen = this.#queue.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
    return sameRevisionByWatchId(this.#queue.splice(0));
  }

  /** Whatever arrives within `ms` (normally nothing). */
  async rest(ms: number): Promise<unknown[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.#queue.splice(0);
  }

  close(): void {
    this.stream.cancel();
  }
}

/**
 * etcd notifies the watchers of one revision in map order, so responses of
 * one revision to different watchers of a stream come in any order: sort
 * each run of responses with the same header revision by watch id.
 */
function sameRevisionByWatchId(rs: Obj[]): Obj[] {
  const rev = (r: Obj): string => String((r.header as Obj | null)?.revision ?? '');
  const out: Obj[] = [];
  for (let i = 0; i < rs.length; ) {
    let j = i;
    while (j < rs.length && rev(rs[j] as Obj) === rev(rs[i] as Obj)) j++;
    out.push(...rs.slice(i, j).sort((x, y) => Number(x.watch_id) - Number(y.watch_id)));
    i = j;
  }
  return out;
}

/** One side of the comparison: a fresh cluster and the clients on it. */
export class Side {
  readonly clients: Etcd3[];
  /** Decimal or hex id, URL → placeholder. */
  readonly #aliases = new Map<string, string>();
  /** Named values steps keep (lease ids the server picked, member ids). */
  readonly vars = new Map<string, string>();
  readonly watches = new Map<string, WatchStream>();

  /** When the cluster answered health checks (its members were connected by then). */
  readonly readyAt = Date.now();

  private constructor(readonly cluster: TestCluster) {
    this.clients = cluster.members.map(
      (m) => new Etcd3({ hosts: m.clientUrl, faultHandling: { global: once, host: () => once }, defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 10_000 }) }),
    );
    for (const m of cluster.members) {
      this.#aliases.set(m.clientUrl, `<${m.name}.client>`);
      this.#aliases.set(m.peerUrl, `<${m.name}.peer>`);
    }
  }

  get flavour(): Flavour {
    return this.cluster.flavour;
  }

  /** The client of the first member, which every step uses unless it says otherwise. */
  get client(): Etcd3 {
    return this.clients[0] as Etcd3;
  }

  /** Starts a fresh 3-member cluster and waits until every member has published its name and client URLs. */
  static async start(flavour: Flavour): Promise<Side> {
    const s = new Side(await TestCluster.start(flavour, 3));
    const deadline = Date.now() + 20_000;
    try {
      for (;;) {
        const r = await s.client.cluster.memberList({});
        if (r.members.length === 3 && r.members.every((m) => m.name !== '' && m.clientURLs.length > 0)) {
          for (const m of r.members) s.alias(String(m.ID), `<${m.name}>`);
          return s;
        }
        if (Date.now() > deadline) {
          const logs = s.cluster.members.map((m) => `--- ${m.name}\n${m.log.slice(-3000)}`).join('\n');
          throw new Error(`${flavour}: members never published: ${JSON.stringify(r.members)}\n${logs}`);
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    } catch (e) {
      await s.stop();
      throw e;
    }
  }

  /** Starts an etcd and a kubeling side at once; if either fails, stops the other. */
  static async pair(): Promise<[Side, Side]> {
    const [a, b] = await Promise.allSettled([Side.start('etcd'), Side.start('kubeling')]);
    if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
    if (a.status === 'fulfilled') await a.value.stop();
    if (b.status === 'fulfilled') await b.value.stop();
    throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
  }

  /** Makes `id` (decimal) print as `placeholder` in this side's answers; hex too, as etcdctl prints lease ids. */
  alias(id: string, placeholder: string): void {
    this.#aliases.set(id, placeholder);
    if (/^\d+$/.test(id)) {
      // etcdctl prints lease ids as %016x: the padded form first, so that it is replaced whole
      this.#aliases.set(BigInt(id).toString(16).padStart(16, '0'), placeholder);
      this.#aliases.set(BigInt(id).toString(16), placeholder);
    }
  }

  /** The client of the current leader. */
  async leader(): Promise<Etcd3> {
    const st = await this.client.maintenance.status();
    const i = (await this.client.cluster.memberList({})).members.find((m) => m.ID === st.leader);
    const c = this.clients[this.cluster.members.findIndex((m) => i?.clientURLs.includes(m.clientUrl))];
    if (!c) throw new Error('no leader');
    return c;
  }

  /** The client of a running follower. */
  async follower(): Promise<Etcd3> {
    const lead = await this.leader();
    const c = this.clients.find((x, i) => x !== lead && this.cluster.members[i]?.proc);
    if (!c) throw new Error('no follower');
    return c;
  }

  /** Waits until the members have been connected to each other for `ms` (etcd's health interval for reconfiguration is 5 s). */
  async connectedFor(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.max(0, this.readyAt + ms - Date.now())));
  }

  /** A named watch stream, opened on first use. */
  async watch(name: string): Promise<WatchStream> {
    let w = this.watches.get(name);
    if (!w) {
      w = new WatchStream(await this.client.watchClient.watch());
      this.watches.set(name, w);
    }
    return w;
  }

  /** etcdctl against every member (-w json output parsed with 64-bit ids kept exact). */
  ctl(args: string[], input?: string): Promise<{ status: number; stdout: unknown; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        'etcdctl',
        ['--endpoints', this.cluster.members[0]?.clientUrl ?? '', '--command-timeout=10s', ...args],
        { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          // etcdctl's retry warnings carry a time stamp and a random client id
          const text = stderr.trim().replace(/"ts":"[^"]*"/g, '"ts":"<ts>"').replace(/"target":"[^"]*"/g, '"target":"<target>"');
          resolve({ status, stdout: parseJsonLoose(stdout), stderr: text });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /**
   * Runs `etcdctl watch ...` until it printed `lines` non-empty lines (or
   * `timeoutMs` passed), then stops that child. Each of `writes` runs once
   * the lines so far are printed: give the watch `--rev` (the revision the
   * first write will make) so that a watch that starts late replays it, with
   * the same output as a live one.
   */
  async ctlWatch(args: string[], lines: number, writes: (() => Promise<unknown>)[] = [], timeoutMs = 8000): Promise<unknown[]> {
    const child = spawn('etcdctl', ['--endpoints', this.cluster.members[0]?.clientUrl ?? '', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    const count = (): number => out.split('\n').filter((l) => l.trim() !== '').length;
    let wake: (() => void) | undefined;
    let exited = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      wake?.();
    });
    child.once('exit', () => {
      exited = true;
      wake?.();
    });
    const until = async (n: number, deadline: number): Promise<void> => {
      while (count() < n && !exited && Date.now() < deadline) {
        await new Promise<void>((res) => {
          const t = setTimeout(res, Math.max(1, deadline - Date.now()));
          wake = () => {
            clearTimeout(t);
            res();
          };
        });
      }
    };
    const deadline = Date.now() + timeoutMs;
    for (const [i, w] of writes.entries()) {
      await until(i, deadline);
      await w();
    }
    await until(lines, deadline);
    child.kill(); // our own child, by its handle
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(parseJsonLoose);
  }

  /** Stops the clients, watches and members. */
  async stop(): Promise<void> {
    for (const w of this.watches.values()) w.close();
    for (const c of this.clients) c.close();
    await this.cluster.stop();
  }

  /** This side's answer in comparable form (see the file comment). */
  normalise(v: unknown): unknown {
    return normaliseValue(v, this.#aliases);
  }
}

/** JSON with integers beyond 2^53 kept as strings; plain text if it is not JSON. */
function parseJsonLoose(text: string): unknown {
  const t = text.trim();
  if (t === '') return '';
  try {
    return JSON.parse(t.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"')) as unknown;
  } catch {
    return t;
  }
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function normaliseValue(v: unknown, aliases: ReadonlyMap<string, string>, key = ''): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.from(v);
    if (b.length > 256) return `<${b.length} bytes, sha256 ${createHash('sha256').update(b).digest('hex').slice(0, 16)}>`;
    const s = b.toString('utf8');
    return PRINTABLE.test(s) ? s : `base64:${b.toString('base64')}`;
  }
  if (Array.isArray(v)) return v.map((x) => normaliseValue(x, aliases));
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v as Obj)) out[k] = normaliseValue(x, aliases, k);
    return out;
  }
  if (typeof v === 'number' || typeof v === 'string') {
    const s = String(v);
    const zero = s === '0';
    if (key === 'cluster_id') return zero ? 0 : '<cluster>';
    if (key === 'member_id') return zero ? 0 : '<member>';
    if (key === 'raft_term') return zero ? 0 : '<term>';
    const a = aliases.get(s);
    if (a !== undefined) return a;
    if (typeof v === 'string') {
      // ids and URLs inside text (etcdctl's plain output and error messages)
      let t = v;
      for (const [from, to] of aliases) if (from.length >= 8 && t.includes(from)) t = t.split(from).join(to);
      return t;
    }
  }
  return v;
}

/** What a failed call answers: "<code> <NAME>: <message>" as grpc-js reports it. */
export function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // the etcd3 client rewrites "requested lease not found" errors as "Lease <message> is expired or revoked"
  const lease = /^Lease ([\s\S]*) is expired or revoked$/.exec(m);
  return lease?.[1] ?? m;
}

/** Runs a step against a side: its normalised answer, or its error. */
async function runOn(step: Step, s: Side): Promise<unknown> {
  try {
    return s.normalise(await step.run(s));
  } catch (e) {
    return { error: s.normalise(errorText(e)) };
  }
}

/** One step whose answers differ, with a readable diff (- etcd, + kubeling). */
export interface Mismatch {
  readonly step: string;
  readonly diff: string;
}

/** Runs the scenario on both sides, step by step; returns the steps that differ. */
export async function runScenario(sc: Scenario, etcd: Side, kubeling: Side, log?: (line: string) => void): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for (const [i, step] of sc.steps.entries()) {
    const [a, b] = await Promise.all([runOn(step, etcd), runOn(step, kubeling)]);
    const ja = JSON.stringify(a, null, 2);
    const jb = JSON.stringify(b, null, 2);
    log?.(`${sc.name} #${i} ${step.name}: ${ja === jb ? 'same' : 'DIFFERENT'}\n${ja}`);
    if (ja !== jb) out.push({ step: `#${i} ${step.name}`, diff: lineDiff(ja ?? 'undefined', jb ?? 'undefined') });
  }
  return out;
}

/** A unified-style line diff: " " both, "-" etcd only, "+" kubeling only (unchanged runs shortened). */
export function lineDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      lines.push(`  ${x[i]}`);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) lines.push(`+ ${y[j++]}`);
    else lines.push(`- ${x[i++]}`);
  }
  // keep three lines of context around changes
  const keep = lines.map((l, k) => lines.slice(Math.max(0, k - 3), k + 4).some((c) => !c.startsWith('  ')));
  const shown: string[] = [];
  for (const [k, l] of lines.entries()) {
    if (keep[k]) shown.push(l);
    else if (shown[shown.length - 1] !== '  ...') shown.push('  ...');
  }
  return shown.join('\n');
}
