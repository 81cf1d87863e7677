/**
 * `npm run bench:store`: the same load against a 3-member real etcd and then
 * a 3-member kubeling store, one after the other, each member a process on
 * loopback with its data on the same disk and the same durability (etcd
 * fsyncs its WAL; kubeling's Raft log is SQLite with synchronous=FULL):
 *
 * - `etcdctl check perf --load=m` and `--load=l` (PASS/FAIL, writes/s, the
 *   slowest request, the standard deviation), and the CPU time (user +
 *   system, from /proc) the three members used per write;
 * - put and linearizable get from a Node client (raw grpc-js, no retries,
 *   test/etcd-client.ts) at 1 and 100 concurrent clients for `--seconds`
 *   each: throughput, p50 and p99 latency. Client i talks to member
 *   (leader + i) mod 3, so one client talks to the leader;
 * - write unavailability after kill -9 of the leader: the median over
 *   `--trials` of the time from the kill to the first put that succeeds
 *   through a surviving member (a probe on each survivor every 20 ms);
 *   the killed member is restarted and caught up between trials.
 *
 * It prints one table with a kubeling/etcd ratio per row.
 *
 *   npm run bench:store [-- --seconds 10 --trials 10 --only etcd|kubeling --no-perf]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { TestCluster, type Flavour, type MemberProc } from '../test/cluster.js';
import { EtcdClient } from '../test/etcd-client.js';
import { closedLoop as load, cpuSeconds, log, markdownTable, now, pause, percentile as pct, until } from './util.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    trials: { type: 'string', default: '10' },
    only: { type: 'string' },
    'no-perf': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(flags.seconds);
const TRIALS = Number(flags.trials);
const KEYS = 1000;
const VALUE = 'v'.repeat(256);

/** One row's measurement; NaN when it could not be measured. */
type Results = Map<string, { value: number; note?: string }>;

/** Runs etcdctl asynchronously (check perf takes a minute; the event loop must stay free). */
function etcdctlAsync(endpoints: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('etcdctl', ['--endpoints', endpoints, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs); // our own child, by its handle
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/**
 * `etcdctl check perf --load=<load>`: its verdict, throughput, slowest
 * request and stddev, and the CPU the three members used per write.
 */
async function checkPerf(c: TestCluster, load: 'm' | 'l', r: Results): Promise<void> {
  log(`${c.flavour}: etcdctl check perf --load=${load}`);
  const pids = c.members.flatMap((m) => (m.proc?.pid !== undefined ? [m.proc.pid] : []));
  const cpuBefore = pids.map(cpuSeconds);
  const { code, out } = await etcdctlAsync(c.endpoints, ['check', 'perf', `--load=${load}`], 180_000);
  const cpu = pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - cpuBefore[i]!, 0);
  const lines = out.split(/\r|\n/).map((l) => l.trim()).filter(Boolean);
  const verdict = lines.at(-1) === 'PASS' ? 'PASS' : 'FAIL';
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const tput = num(/Throughput (?:is|too low:) (\d+(?:\.\d+)?) writes\/s/);
  const slowest = num(/Slowest request took (?:too long: )?(\d+(?:\.\d+)?)s/);
  const stddev = num(/Stddev (?:is|too high:) (\d+(?:\.\d+)?)s/);
  // etcd 3.4 prints "FAIL: Throughput too low", "Slowest request took too long" (no FAIL:), "FAIL: Stddev too high"
  const mark = (re: RegExp): string => (re.test(out) ? 'FAIL' : 'PASS');
  r.set(`check perf ${load}: throughput (writes/s)`, { value: tput, note: mark(/Throughput too low/) });
  r.set(`check perf ${load}: slowest request (ms)`, { value: slowest * 1000, note: mark(/Slowest request took too long/) });
  r.set(`check perf ${load}: stddev (ms)`, { value: stddev * 1000, note: mark(/Stddev too high/) });
  r.set(`check perf ${load}: verdict`, { value: NaN, note: verdict });
  // check perf runs for 60 s; its closing delete of the prefix is counted too
  r.set(`check perf ${load}: the members' CPU per write (µs)`, { value: (cpu * 1e6) / (tput * 60) });
  if (Number.isNaN(tput)) log(`${c.flavour}: check perf --load=${load} exited ${code}:\n${lines.slice(-10).join('\n')}`);
  else log(`${c.flavour}: check perf --load=${load}: ${lines.filter((l) => /^(PASS|FAIL)|too (long|high)/.test(l)).join(' | ')}`);
}

/** The member reporting itself leader (the highest term), if any. */
async function findLeader(c: TestCluster, clients: Map<MemberProc, EtcdClient>): Promise<{ member: MemberProc; term: number } | undefined> {
  let best: { member: MemberProc; term: number } | undefined;
  await Promise.all(
    c.members
      .filter((m) => m.proc)
      .map(async (m) => {
        try {
          const s = await clients.get(m)!.status(1000);
          if (s.leader === s.memberId && (!best || s.raftTerm > best.term)) best = { member: m, term: s.raftTerm };
        } catch {
          // not answering
        }
      }),
  );
  return best;
}

/** `n` concurrent clients doing `op` for SECONDS: throughput and latency percentiles. */
async function closedLoop(
  name: string,
  n: number,
  order: readonly EtcdClient[],
  op: (c: EtcdClient, i: number) => Promise<unknown>,
  r: Results,
): Promise<void> {
  const { latencies: lat, errors, seconds: secs } = await load(n, { seconds: SECONDS }, (id, seq) => op(order[id % order.length]!, seq));
  const note = errors > 0 ? `${errors} errors` : undefined;
  r.set(`${name}, ${n} client${n > 1 ? 's' : ''}: ops/s`, { value: lat.length / secs, ...(note ? { note } : {}) });
  r.set(`${name}, ${n} client${n > 1 ? 's' : ''}: p50 (ms)`, { value: pct(lat, 0.5) });
  r.set(`${name}, ${n} client${n > 1 ? 's' : ''}: p99 (ms)`, { value: pct(lat, 0.99) });
  log(`${name}, ${n} clients: ${(lat.length / secs).toFixed(0)} ops/s, p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms${note ? `, ${note}` : ''}`);
}

/** Waits until every member answers, agrees on a leader and has applied as far as the leader's commit. */
async function settled(c: TestCluster, clients: Map<MemberProc, EtcdClient>): Promise<void> {
  await until('a settled cluster', 60_000, async () => {
    const st = await Promise.all(c.members.map((m) => clients.get(m)!.status(1000)));
    const leaders = new Set(st.map((s) => s.leader));
    const commit = Math.max(...st.map((s) => s.raftIndex));
    return leaders.size === 1 && !leaders.has('0') && st.every((s) => s.raftAppliedIndex >= commit) ? true : undefined;
  }, 50);
  // and a write goes through
  await until('a write', 30_000, () => clients.get(c.members[0]!)!.put('/bench/settle', 'x', 2000));
}

/** kill -9 of the leader, TRIALS times: ms from the kill to the first put acknowledged by a survivor. */
async function unavailability(c: TestCluster, clients: Map<MemberProc, EtcdClient>, r: Results): Promise<void> {
  const times: number[] = [];
  for (let t = 1; t <= TRIALS; t++) {
    await settled(c, clients);
    const old = await until('a leader', 30_000, () => findLeader(c, clients));
    const survivors = c.members.filter((m) => m !== old.member);
    const killedAt = now();
    await c.kill(old.member, 'SIGKILL');
    // a new probe on each survivor every 20 ms, each with a 2 s deadline: a member that
    // holds a put until there is a leader (etcd) and one that refuses it at once
    // (kubeling) are both timed to within about 20 ms
    let firstOk = Infinity;
    const probes: Promise<void>[] = [];
    for (let i = 0; firstOk === Infinity && now() - killedAt < 60_000; i++) {
      for (const [k, m] of survivors.entries()) {
        probes.push(
          clients
            .get(m)!
            .put(`/bench/probe${k}`, String(i), 2000)
            .then(
              () => void (firstOk = Math.min(firstOk, now())),
              () => {},
            ),
        );
      }
      await pause(20);
    }
    await Promise.all(probes);
    times.push(firstOk - killedAt);
    log(`${c.flavour}: trial ${t}: killed ${old.member.name}, first write after ${(firstOk - killedAt).toFixed(0)} ms`);
    c.restart(old.member);
  }
  await settled(c, clients);
  times.sort((a, b) => a - b);
  r.set(`write unavailability after kill -9 of the leader, median of ${TRIALS} (ms)`, {
    value: pct(times, 0.5),
    note: `${times[0]?.toFixed(0)}-${times.at(-1)?.toFixed(0)}`,
  });
}

async function bench(flavour: Flavour): Promise<Results> {
  const r: Results = new Map();
  log(`${flavour}: starting 3 members`);
  const c = await TestCluster.start(flavour, 3);
  const clients = new Map(c.members.map((m) => [m, new EtcdClient(m.clientUrl, 10_000)]));
  try {
    await settled(c, clients);
    const leader = await until('a leader', 30_000, () => findLeader(c, clients));
    const i = c.members.indexOf(leader.member);
    const order = [0, 1, 2].map((k) => clients.get(c.members[(i + k) % 3]!)!);
    const key = (n: number): string => `/bench/k${n % KEYS}`;
    for (const n of [1, 100]) await closedLoop('put', n, order, (cl, k) => cl.put(key(k * 7919), VALUE), r);
    for (const n of [1, 100]) await closedLoop('linearizable get', n, order, (cl, k) => cl.get(key(k * 7919)), r);
    if (!flags['no-perf']) {
      await checkPerf(c, 'm', r);
      await checkPerf(c, 'l', r);
    }
    await unavailability(c, clients, r);
  } finally {
    for (const cl of clients.values()) cl.close();
    await c.stop();
  }
  return r;
}

const flavours: Flavour[] = flags.only === 'etcd' || flags.only === 'kubeling' ? [flags.only] : ['etcd', 'kubeling'];
const results = new Map<Flavour, Results>();
for (const f of flavours) results.set(f, await bench(f));

// one table
const rows = [...new Set([...results.values()].flatMap((r) => [...r.keys()]))];
const cell = (v: { value: number; note?: string } | undefined): string => {
  if (!v) return '-';
  const n = Number.isNaN(v.value) ? '' : v.value >= 100 ? v.value.toFixed(0) : v.value.toFixed(2);
  return [n, v.note ? (n ? `(${v.note})` : v.note) : ''].filter(Boolean).join(' ');
};
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '-' : `${(a / b).toFixed(2)}x`;
const table = [['', 'etcd 3.4', 'kubeling', 'kubeling/etcd']];
for (const row of rows) {
  const e = results.get('etcd')?.get(row);
  const k = results.get('kubeling')?.get(row);
  table.push([row, cell(e), cell(k), ratio(k?.value, e?.value)]);
}
console.log(`3 members on loopback, fsync on; ${SECONDS} s per client row, values ${VALUE.length} B over ${KEYS} keys; ${TRIALS} kill -9 trials`);
for (const line of markdownTable(table)) console.log(line);
