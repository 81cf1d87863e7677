/**
 * `npm run bench:election [-- --seeds 1000]`: simulated time from a leader's
 * crash until a new leader is elected, over many seeds, on the deterministic
 * simulator (store/sim). The reference is Figure 16 of the Raft paper: with
 * 150-300 ms election timeouts, and with 12-24 ms (35 ms average there).
 */
import { parseArgs } from 'node:util';
import { Cluster } from '../store/sim/cluster.js';
import { DEFAULT_NODE_CONFIG } from '../store/sim/run.js';
import { percentile as pct } from './util.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '1000' } } });
const seeds = Number(values.seeds);

interface Setting {
  readonly name: string;
  readonly members: number;
  readonly tickMs: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
}

const settings: Setting[] = [
  { name: '150-300 ms timeout', members: 3, tickMs: 10, electionTick: 15, heartbeatTick: 5 },
  { name: '150-300 ms timeout', members: 5, tickMs: 10, electionTick: 15, heartbeatTick: 5 },
  { name: '12-24 ms timeout', members: 5, tickMs: 1, electionTick: 12, heartbeatTick: 3 },
];

/** One trial: a stable leader crashes at a random moment; returns ms until a new leader of a later term. */
function trial(seed: number, s: Setting): number | undefined {
  const c = new Cluster({
    seed,
    members: s.members,
    tickMs: s.tickMs,
    node: { ...DEFAULT_NODE_CONFIG, electionTick: s.electionTick, heartbeatTick: s.heartbeatTick, bugs: {} },
    net: { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 5 },
    clients: 0,
    keys: 1,
    clientTimeoutMs: 1000,
    trace: false,
  });
  const limit = 100 * s.electionTick * s.tickMs;
  c.runUntil(limit, () => c.leader() !== undefined);
  // let the cluster settle, then crash the leader at a random point of its heartbeat cycle
  c.runUntil(c.now + 5 * s.electionTick * s.tickMs + c.rand.int(s.heartbeatTick * s.tickMs * 4));
  const old = c.leader();
  if (!old?.raw) return undefined;
  const oldTerm = old.raw.raft.term;
  let electedAt: number | undefined;
  c.watchLeaders((id, term) => {
    if (electedAt === undefined && id !== old.id && term > oldTerm) electedAt = c.now;
  });
  const crashedAt = c.now;
  c.crash(old.id);
  c.runUntil(crashedAt + limit, () => electedAt !== undefined);
  return electedAt === undefined ? undefined : electedAt - crashedAt;
}

console.log(`time to elect a new leader after the leader crashes, ${seeds} seeds each (simulated; network delay 1-5 ms; PreVote and CheckQuorum on)`);
console.log('setting                         members  median    mean     p99   worst  failed');
for (const s of settings) {
  const times: number[] = [];
  let failed = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const t = trial(seed, s);
    if (t === undefined) failed++;
    else times.push(t);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const row = [
    `${s.name} (tick ${s.tickMs} ms)`.padEnd(32),
    String(s.members).padStart(7),
    `${pct(times, 0.5)} ms`.padStart(8),
    `${mean.toFixed(0)} ms`.padStart(8),
    `${pct(times, 0.99)} ms`.padStart(8),
    `${times[times.length - 1] ?? NaN} ms`.padStart(8),
    String(failed).padStart(7),
  ];
  console.log(row.join(''));
}
