// Faults across processes on a 3-member kubeling cluster: kill -9 of the
// leader under concurrent writes and linearizable reads (twice), the whole
// cluster killed at once, and data directories that must be refused.
//
// Every client operation is recorded with its call and return time (an error
// or a timeout is an unknown outcome), then checked: every acknowledged write
// is in the store at the revision it was acknowledged with, the store's
// revisions hold exactly the writes clients made, each once, and the history
// is linearizable (store/sim/linearizability.ts). Waiting is bounded polling.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { checkLinearizable, type Operation } from '../store/sim/linearizability.js';
import { SqliteStorage } from '../store/storage/sqlite.js';
import { TestCluster, type MemberProc } from './cluster.js';
import { EtcdClient } from './etcd-client.js';

const KEYS = ['/faults/a', '/faults/b', '/faults/c'];
const PREFIX = '/faults/';
const PREFIX_END = '/faults0'; // '/' + 1
/** With the default 1 s election timeout, a new leader must serve writes well within this. */
const FAILOVER_BOUND_MS = 10_000;

const now = (): number => performance.now();
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; throws after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 20): Promise<T> {
  const deadline = now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await pause(everyMs);
  }
}

/** One recorded operation; `revision` is an acknowledged put's. */
interface Recorded extends Operation {
  revision?: number;
  error?: string;
}

/** Concurrent clients doing unique-value puts and linearizable gets on KEYS, recording everything. */
class Load {
  readonly ops: Recorded[] = [];
  #stopping = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly clients: readonly EtcdClient[],
    private readonly keys: readonly string[],
  ) {}

  start(n: number): void {
    for (let id = 0; id < n; id++) this.#loops.push(this.#run(id));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
  }

  /** Acknowledged puts invoked after `t`. */
  ackedPutsSince(t: number): Recorded[] {
    return this.ops.filter((o) => o.kind === 'put' && o.revision !== undefined && o.call >= t);
  }

  async #run(id: number): Promise<void> {
    // each client starts on its own member and moves on to the next one on an error
    let target = id % this.clients.length;
    let seq = 0;
    while (!this.#stopping) {
      const client = this.clients[target]!;
      const key = this.keys[Math.floor(Math.random() * this.keys.length)]!;
      const op: Recorded = { clientId: id, kind: Math.random() < 0.5 ? 'put' : 'get', key, call: now(), return: null };
      this.ops.push(op);
      try {
        if (op.kind === 'put') {
          op.value = `c${id}-${seq++}`;
          op.call = now();
          op.revision = await client.put(key, op.value, 2000);
        } else {
          op.call = now();
          op.output = { value: (await client.get(key, { timeoutMs: 2000 })).value };
        }
        op.return = now();
      } catch (e) {
        op.error = String(e);
        target = (target + 1) % this.clients.length;
        await pause(20);
      }
    }
  }
}

/** Status of every running member (undefined for one that does not answer). */
async function statuses(c: TestCluster, clients: Map<MemberProc, EtcdClient>): Promise<Map<MemberProc, Awaited<ReturnType<EtcdClient['status']>>>> {
  const out = new Map<MemberProc, Awaited<ReturnType<EtcdClient['status']>>>();
  await Promise.all(
    c.members
      .filter((m) => m.proc)
      .map(async (m) => {
        try {
          out.set(m, await clients.get(m)!.status(1000));
        } catch {
          // not answering: left out
        }
      }),
  );
  return out;
}

/** The member that reports itself leader (the highest term wins), if any. */
async function findLeader(c: TestCluster, clients: Map<MemberProc, EtcdClient>): Promise<{ member: MemberProc; term: number } | undefined> {
  let best: { member: MemberProc; term: number } | undefined;
  for (const [m, s] of await statuses(c, clients)) {
    if (s.leader === s.memberId && (!best || s.raftTerm > best.term)) best = { member: m, term: s.raftTerm };
  }
  return best;
}

/** Waits until every member is at the same revision and applied index, then checks they hash the same there. */
async function assertConverged(c: TestCluster, clients: Map<MemberProc, EtcdClient>, timeoutMs = 20_000): Promise<number> {
  const revision = await until('every member at the same revision and applied index', timeoutMs, async () => {
    const st = await statuses(c, clients);
    if (st.size !== c.members.length) return undefined;
    const revs = new Set([...st.values()].map((s) => `${s.revision}/${s.raftAppliedIndex}`));
    return revs.size === 1 ? [...st.values()][0]!.revision : undefined;
  });
  const hashes = await Promise.all(c.members.map((m) => clients.get(m)!.hashKV(revision)));
  for (const h of hashes) assert.equal(h.revision, revision);
  assert.equal(new Set(hashes.map((h) => h.hash)).size, 1, `HashKV at ${revision} differs: ${JSON.stringify(hashes)}`);
  return revision;
}

/** Every write the store holds under PREFIX, by revision (one write per revision), read at each revision. */
async function writesByRevision(client: EtcdClient, upTo: number): Promise<Map<number, { key: string; value: string }>> {
  const out = new Map<number, { key: string; value: string }>();
  const revs = Array.from({ length: upTo - 1 }, (_, i) => i + 2);
  for (let i = 0; i < revs.length; i += 32) {
    await Promise.all(
      revs.slice(i, i + 32).map(async (rev) => {
        const r = await client.range(PREFIX, PREFIX_END, { revision: rev, serializable: true });
        const at = r.kvs.filter((kv) => kv.modRevision === rev);
        assert.equal(at.length, 1, `revision ${rev} holds ${at.length} writes under ${PREFIX}`);
        out.set(rev, { key: at[0]!.key, value: at[0]!.value });
      }),
    );
  }
  return out;
}

/**
 * The checks on a finished history against the store's writes: acknowledged
 * puts are there at their revision; every revision is one put some client
 * made, each value once; revisions follow real time; linearizable.
 */
function checkHistory(ops: readonly Recorded[], writes: Map<number, { key: string; value: string }>): { acked: number; unknown: number; reads: number } {
  const revisionOf = new Map<string, number>();
  for (const [rev, w] of writes) {
    assert.ok(!revisionOf.has(w.value), `value ${w.value} written twice (revisions ${revisionOf.get(w.value)} and ${rev})`);
    revisionOf.set(w.value, rev);
  }
  const puts = new Map(ops.filter((o) => o.kind === 'put' && o.value !== undefined).map((o) => [o.value!, o]));
  for (const [rev, w] of writes) {
    const p = puts.get(w.value);
    assert.ok(p, `revision ${rev} holds ${w.key}=${w.value}, which no client wrote`);
    assert.equal(p.key, w.key, `revision ${rev}: ${w.value} under the wrong key`);
  }
  let acked = 0;
  let unknown = 0;
  const history: Operation[] = [];
  for (const o of ops) {
    if (o.kind === 'put') {
      if (o.revision !== undefined) {
        acked++;
        const w = writes.get(o.revision);
        assert.deepEqual(w, { key: o.key, value: o.value }, `acknowledged put ${o.key}=${o.value} at revision ${o.revision} is lost`);
        history.push(stripped(o));
      } else if (revisionOf.has(o.value!)) {
        // failed or timed out, but it took effect: it happened sometime after its call
        unknown++;
        history.push({ ...stripped(o), return: null });
      }
      // else: it never took effect (the store holds every write), so it is no event
    } else if (o.return !== null) {
      history.push(stripped(o));
    }
  }
  // revisions follow real time: a put acknowledged before another began has a lower revision
  const ackedPuts = ops.filter((o) => o.kind === 'put' && o.revision !== undefined);
  const byReturn = [...ackedPuts].sort((a, b) => a.return! - b.return!);
  let j = 0;
  let maxBefore = 0;
  for (const b of [...ackedPuts].sort((x, y) => x.call - y.call)) {
    while (j < byReturn.length && byReturn[j]!.return! < b.call) maxBefore = Math.max(maxBefore, byReturn[j++]!.revision!);
    assert.ok(b.revision! > maxBefore, `put ${b.value} (revision ${b.revision}) began after a put at revision ${maxBefore} was acknowledged`);
  }
  const r = checkLinearizable(history, { timeoutMs: 30_000 });
  assert.notEqual(r.ok, false, r.ok === false ? r.explanation : '');
  assert.equal(r.ok, true, 'linearizability check did not finish in time');
  return { acked, unknown, reads: history.filter((o) => o.kind === 'get').length };
}

function stripped(o: Recorded): Operation {
  const op: Operation = { clientId: o.clientId, kind: o.kind, key: o.key, call: o.call, return: o.return };
  if (o.value !== undefined) op.value = o.value;
  if (o.output !== undefined) op.output = o.output;
  return op;
}

function clientsFor(c: TestCluster): Map<MemberProc, EtcdClient> {
  return new Map(c.members.map((m) => [m, new EtcdClient(m.clientUrl)]));
}

/** Waits (bounded) for a member's process to exit; returns its exit code. */
async function exitOf(m: MemberProc, timeoutMs: number): Promise<number | null> {
  const p = m.proc;
  assert.ok(p);
  if (p.exitCode === null && p.signalCode === null) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${m.name} still running after ${timeoutMs} ms:\n${m.log}`)), timeoutMs);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  m.proc = undefined;
  return p.exitCode;
}

describe('faults across processes: a 3-member kubeling cluster', { timeout: 240_000 }, () => {
  it('kill -9 of the leader, twice, under concurrent writes and linearizable reads', async () => {
    const c = await TestCluster.start('kubeling', 3);
    const clients = clientsFor(c);
    const load = new Load([...clients.values()], KEYS);
    try {
      load.start(6);
      await until('warm-up writes', 15_000, () => (load.ackedPutsSince(0).length >= 150 ? true : undefined));
      const measured: string[] = [];
      for (let round = 1; round <= 2; round++) {
        const old = await until('a leader', 10_000, () => findLeader(c, clients));
        const killedAt = now();
        await c.kill(old.member, 'SIGKILL');
        const elected = await until('a new leader', FAILOVER_BOUND_MS, async () => {
          const l = await findLeader(c, clients);
          return l && l.member !== old.member && l.term > old.term ? l : undefined;
        });
        const electedMs = now() - killedAt;
        const first = await until('a write through the new leader', FAILOVER_BOUND_MS, () => {
          const acked = load.ackedPutsSince(killedAt);
          return acked.length > 0 ? Math.min(...acked.map((o) => o.return!)) : undefined;
        });
        const writeMs = first - killedAt;
        assert.ok(writeMs < FAILOVER_BOUND_MS, `writes resumed ${writeMs} ms after the kill`);
        await until('writes under the new leader', 10_000, () => (load.ackedPutsSince(killedAt).length >= 100 ? true : undefined));

        // the killed member comes back from its data dir and catches up
        const target = (await clients.get(elected.member)!.status()).raftIndex;
        const restartedAt = now();
        c.restart(old.member);
        await until(`${old.member.name} to catch up`, 20_000, async () => {
          const s = await clients.get(old.member)!.status(1000);
          return s.raftAppliedIndex >= target && s.leader !== '0' ? true : undefined;
        });
        const catchUpMs = now() - restartedAt;
        measured.push(`round ${round}: killed ${old.member.name} (term ${old.term}); new leader ${elected.member.name} after ${electedMs.toFixed(0)} ms, first write ${writeMs.toFixed(0)} ms; restarted member caught up in ${catchUpMs.toFixed(0)} ms`);
        await until('writes after the restart', 10_000, () => (load.ackedPutsSince(restartedAt).length >= 50 ? true : undefined));
      }
      await load.stop();

      const revision = await assertConverged(c, clients);
      const writes = await writesByRevision(clients.get(c.members[0]!)!, revision);
      const counts = checkHistory(load.ops, writes);
      // the waits above guarantee 450 acknowledged puts; reads, half the load's operations, come alongside
      assert.ok(counts.acked >= 400 && counts.reads >= 200, JSON.stringify(counts));
      for (const line of measured) console.log(line);
      console.log(`history: ${load.ops.length} operations, ${counts.acked} acknowledged puts, ${counts.unknown} puts of unknown outcome that took effect, ${counts.reads} reads; ${writes.size} revisions; all three members hash alike at revision ${revision}`);
    } finally {
      await load.stop();
      for (const cl of clients.values()) cl.close();
      await c.stop();
    }
  });

  it('every member killed -9 at once: each recovers from its own data dir, with every acknowledged write', async () => {
    const c = await TestCluster.start('kubeling', 3);
    const clients = clientsFor(c);
    const [m1, m2, m3] = c.members as [MemberProc, MemberProc, MemberProc];
    const load = new Load([...clients.values()], KEYS);
    try {
      // 1. a quiet cluster: one member alone comes back with exactly what it had
      const one = clients.get(m1)!;
      for (let i = 0; i < 20; i++) await one.put(`${PREFIX}quiet/${i}`, `v${i}`);
      const before = await assertConverged(c, clients);
      const hashBefore = await one.hashKV(before);
      await Promise.all(c.members.map((m) => c.kill(m, 'SIGKILL')));
      c.restart(m1);
      const alone = await until('m1 serving alone', 20_000, () => one.range(`${PREFIX}quiet/`, `${PREFIX}quiet0`, { serializable: true, timeoutMs: 1000 }));
      assert.equal(alone.revision, before);
      assert.equal(alone.kvs.length, 20);
      assert.deepEqual(await one.hashKV(before), hashBefore);
      c.restart(m2);
      // a quorum again: once a linearizable read goes through there is a leader; then one write (never retried)
      await until('a leader of m1 and m2', 20_000, () => one.get(`${PREFIX}quiet/0`, { timeoutMs: 1000 }));
      await one.put(`${PREFIX}quiet/after`, 'x', 10_000);
      c.restart(m3);
      await assertConverged(c, clients);

      // 2. under load: kill all three at once, restart all, nothing acknowledged is lost
      const start = now();
      load.start(6);
      await until('writes', 15_000, () => (load.ackedPutsSince(start).length >= 200 ? true : undefined));
      await Promise.all(c.members.map((m) => c.kill(m, 'SIGKILL')));
      await load.stop();
      const lastAcked = Math.max(...load.ackedPutsSince(start).map((o) => o.revision!));
      for (const m of c.members) c.restart(m);
      await c.waitReady();
      const revision = await assertConverged(c, clients);
      assert.ok(revision >= lastAcked, `revision ${revision} after the restart, but a put was acknowledged at ${lastAcked}`);
      const writes = await writesByRevision(one, revision);
      // the quiet phase's writes are history too
      const quiet = [...Array.from({ length: 20 }, (_, i) => ({ key: `${PREFIX}quiet/${i}`, value: `v${i}` })), { key: `${PREFIX}quiet/after`, value: 'x' }];
      const earlier: Recorded[] = quiet.map((q, i) => ({ clientId: 100, kind: 'put', key: q.key, value: q.value, call: -1000 + i, return: -1000 + i }));
      checkHistory([...earlier, ...load.ops], writes);
    } finally {
      await load.stop();
      for (const cl of clients.values()) cl.close();
      await c.stop();
    }
  });

  it('refuses a damaged, foreign or emptied raft.db with a clear message naming it, and leaves it untouched', async () => {
    const c = await TestCluster.start('kubeling', 3);
    const clients = clientsFor(c);
    const [m1, m2, m3] = c.members as [MemberProc, MemberProc, MemberProc];
    try {
      await clients.get(m1)!.put('/faults/x', 'y');
      await assertConverged(c, clients);
      await Promise.all(c.members.map((m) => c.kill(m, 'SIGTERM')));
      const raftDb = (m: MemberProc): string => join(m.dataDir, 'member', 'raft.db');
      const dbFiles = (m: MemberProc): string[] => ['', '-wal', '-shm'].map((x) => raftDb(m) + x);
      const cases: { name: string; member: MemberProc; damage: () => void; expect: RegExp }[] = [
        {
          name: "another member's raft.db",
          member: m3,
          damage: () => {
            for (const f of dbFiles(m3)) rmSync(f, { force: true });
            for (const [from, to] of dbFiles(m1).map((f, i) => [f, dbFiles(m3)[i]!] as const)) if (existsSync(from)) copyFileSync(from, to);
          },
          expect: /belongs to member/,
        },
        {
          name: 'a raft.db from another cluster',
          member: m2,
          damage: () => {
            for (const f of dbFiles(m2)) rmSync(f, { force: true });
            SqliteStorage.open(raftDb(m2), { clusterId: 'abcdef0123', memberId: 42 }).close();
          },
          expect: /belongs to cluster "abcdef0123"/,
        },
        {
          name: 'garbage in raft.db',
          member: m1,
          damage: () => {
            for (const f of dbFiles(m1)) rmSync(f, { force: true });
            writeFileSync(raftDb(m1), randomBytes(64 * 1024));
          },
          expect: /not a valid SQLite database/,
        },
        {
          name: 'raft.db emptied (its member dir still says who it is)',
          member: m2,
          damage: () => {
            for (const f of dbFiles(m2)) rmSync(f, { force: true });
            writeFileSync(raftDb(m2), '');
          },
          expect: /raft\.db/,
        },
      ];
      for (const k of cases) {
        k.damage();
        const bytes = readFileSync(raftDb(k.member));
        c.restart(k.member);
        const code = await exitOf(k.member, 30_000);
        assert.notEqual(code, 0, `${k.name}: exited with ${code}`);
        assert.ok(k.member.log.includes(raftDb(k.member)), `${k.name}: the message does not name ${raftDb(k.member)}:\n${k.member.log}`);
        assert.match(k.member.log, k.expect, k.name);
        assert.deepEqual(readFileSync(raftDb(k.member)), bytes, `${k.name}: raft.db was changed`);
        console.log(`${k.name}: exit ${code}: ${k.member.log.trim().split('\n').at(-1)}`);
      }
    } finally {
      for (const cl of clients.values()) cl.close();
      await c.stop();
    }
  });
});
