/**
 * One simulated run from a seed: a cluster under random faults while clients
 * write and read, then a healing phase that must restore service within a
 * bound, then the checkers: Raft's invariants, convergence of the members,
 * and linearizability of the recorded client history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rand } from '../raft/rand.js';
import type { NodeId } from '../raft/types.js';
import { Cluster } from './cluster.js';
import { checkLinearizable } from './linearizability.js';
import { sqliteDisk, type NodeConfig } from './node.js';

/** What to simulate. Unset fields are drawn from the seed. */
export interface RunOptions {
  readonly seed: number;
  readonly members?: number;
  /** How long faults are injected, in simulated ms. */
  readonly faultMs?: number;
  readonly trace?: boolean;
  readonly bugs?: NodeConfig['bugs'];
  /** Inject membership changes (default: drawn from the seed). */
  readonly confChanges?: boolean;
  /** Keep each member's log in a real SQLite file in a temporary folder instead of memory. */
  readonly sqlite?: boolean;
}

/** The outcome of a run. */
export interface RunResult {
  readonly seed: number;
  readonly members: number;
  readonly violations: string[];
  readonly trace: string[];
  /** Simulated ms from the end of the faults until a write succeeded (undefined: never, a violation). */
  readonly recoveryMs: number | undefined;
  /** The same in ticks. */
  readonly recoveryTicks: number | undefined;
  readonly ops: number;
  readonly completedOps: number;
  readonly stats: Cluster['stats'];
}

export const TICK_MS = 10;
/** Service must come back within this long after faults heal. */
export const RECOVERY_BOUND_MS = 10_000;
const CLIENT_TIMEOUT_MS = 600;
/** After healing, a probe write goes out this often until one succeeds. */
const PROBE_EVERY_MS = 50;

/** Raft settings shared by the simulator and the election benchmark. */
export const DEFAULT_NODE_CONFIG: Omit<NodeConfig, 'bugs'> = {
  electionTick: 15, // 150-300 ms at 10 ms a tick, the paper's Figure 16 range
  heartbeatTick: 5,
  preVote: true,
  checkQuorum: true,
  snapshotEvery: 20,
  keepEntries: 5,
  maxSizePerMsg: 16 * 1024,
};

/** Runs one seed and checks it. */
export function runSeed(o: RunOptions): RunResult {
  const r = new Rand(o.seed ^ 0x5eed);
  const members = o.members ?? (r.chance(0.5) ? 3 : 5);
  const faultMs = o.faultMs ?? 3000;
  const confChanges = o.confChanges ?? r.chance(0.4);
  const dir = o.sqlite ? mkdtempSync(join(tmpdir(), `kubeling-sim-${o.seed}-`)) : undefined;
  try {
    return runWith(o, r, members, faultMs, confChanges, dir);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function runWith(o: RunOptions, r: Rand, members: number, faultMs: number, confChanges: boolean, dir: string | undefined): RunResult {
  const c = new Cluster({
    seed: o.seed,
    members,
    tickMs: TICK_MS,
    node: { ...DEFAULT_NODE_CONFIG, bugs: o.bugs ?? {} },
    net: { drop: r.pick([0, 0.01, 0.05]), duplicate: r.pick([0, 0.02]), minDelay: 1, maxDelay: r.pick([3, 10, 30]) },
    clients: 3,
    keys: 3,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    trace: o.trace ?? false,
    ...(dir ? { disk: sqliteDisk(dir, `sim-${o.seed}`) } : {}),
  });
  const violations: string[] = [];

  // ---- faults ----
  let t = 300;
  let nextId = members + 1;
  while (t < faultMs) {
    c.at(t, () => injectFault(c, r, confChanges, () => nextId++));
    t += 50 + r.int(250);
  }
  for (let ct = 500; ct < faultMs + 3000; ct += 500) c.at(ct, () => c.checkLogs());
  c.runUntil(faultMs);

  // ---- heal, and measure how long until a write succeeds ----
  c.log('faults stop: healing the network and restarting crashed members');
  c.heal();
  c.net = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 5 };
  c.armed.clear();
  for (const n of c.members()) if (!n.up) c.restart(n.id);
  const healedAt = c.now;
  let recoveredAt: number | undefined;
  let probes = 0;
  const probe = (): void => {
    if (recoveredAt !== undefined) return;
    const target = c.leader() ?? r.pick(c.members());
    c.issue(1000, target.id, `probe.${probes++}`, 'k0', true);
    c.at(PROBE_EVERY_MS, probe);
  };
  c.watchResponses((op) => {
    if (recoveredAt === undefined && op.id.startsWith('probe') && op.return !== null) recoveredAt = c.now;
  });
  probe();
  c.runUntil(healedAt + RECOVERY_BOUND_MS, () => recoveredAt !== undefined);
  if (recoveredAt === undefined && !c.fatalError) {
    violations.push(`liveness: no write succeeded within ${RECOVERY_BOUND_MS} ms after the faults healed`);
  }

  // ---- quiesce: stop clients, let outstanding requests finish, let members converge ----
  c.runUntil(c.now + 500);
  c.clientsActive = false;
  c.runUntil(c.now + CLIENT_TIMEOUT_MS + 1000);
  if (c.fatalError) violations.push(c.fatalError);
  c.checkLogs();
  violations.push(...c.invariants.violations);
  if (!c.fatalError && recoveredAt !== undefined) violations.push(...convergence(c));

  c.close();
  const lin = checkLinearizable(c.history(), { timeoutMs: 20_000 });
  if (lin.ok === false) violations.push(`linearizability (key ${lin.key}): ${lin.explanation}`);
  else if (lin.ok === 'unknown') violations.push(`linearizability (key ${lin.key}): checker ran out of time`);

  return {
    seed: o.seed,
    members,
    violations,
    trace: c.trace,
    recoveryMs: recoveredAt === undefined ? undefined : recoveredAt - healedAt,
    recoveryTicks: recoveredAt === undefined ? undefined : Math.ceil((recoveredAt - healedAt) / TICK_MS),
    ops: c.ops.length,
    completedOps: c.ops.filter((op) => op.return !== null).length,
    stats: c.stats,
  };
}

/** After a quiet period every live member has applied the same entries and holds the same state. */
function convergence(c: Cluster): string[] {
  const up = c.members().filter((n) => n.up);
  const leader = c.leader();
  if (!leader?.raw) return ['convergence: no leader after the quiet period'];
  const commit = leader.raw.raft.raftLog.committed;
  const want = new TextDecoder().decode(leader.kv.snapshot());
  const out: string[] = [];
  for (const n of up) {
    if (n.applied < commit) out.push(`convergence: member ${n.id} applied ${n.applied} < leader commit ${commit}`);
    else if (new TextDecoder().decode(n.kv.snapshot()) !== want) out.push(`convergence: member ${n.id} state differs from the leader's`);
  }
  return out;
}

function injectFault(c: Cluster, r: Rand, confChanges: boolean, newId: () => NodeId): void {
  const members = c.members();
  const ids = members.map((n) => n.id);
  const leader = c.leader();
  const roll = r.int(100);
  if (roll < 20) {
    // a random split, or the leader cut off, possibly one way only
    const shuffled = [...ids].sort(() => r.next() - 0.5);
    const cut = 1 + r.int(Math.max(1, ids.length - 1));
    const a = leader && r.chance(0.5) ? [leader.id] : shuffled.slice(0, cut);
    const b = ids.filter((id) => !a.includes(id));
    c.heal();
    c.partition(a, b, r.chance(0.3));
  } else if (roll < 35) {
    c.heal();
  } else if (roll < 50) {
    const up = members.filter((n) => n.up);
    if (up.length > 0) {
      const victim = leader && r.chance(0.4) ? leader : r.pick(up);
      if (r.chance(0.5)) c.crash(victim.id);
      else c.armed.set(victim.id, r.chance(0.5) ? 'beforePersist' : 'afterPersist');
    }
  } else if (roll < 65) {
    const down = members.filter((n) => !n.up);
    if (down.length > 0) c.restart(r.pick(down).id);
  } else if (roll < 75) {
    c.net = { ...c.net, drop: r.pick([0, 0.02, 0.1, 0.3]) };
    c.log(`network drop rate now ${c.net.drop}`);
  } else if (roll < 85) {
    if (leader?.raw) {
      const voters = leader.raw.raft.trk.confState().voters.filter((id) => id !== leader.id);
      if (voters.length > 0) {
        const to = r.pick(voters);
        c.log(`admin: transfer leadership from n${leader.id} to n${to}`);
        leader.transferLeader(to);
      }
    }
  } else if (confChanges && leader?.raw) {
    const cs = leader.raw.raft.trk.confState();
    if (cs.learners.length > 0) {
      const id = r.pick(cs.learners);
      c.log(`admin: promote learner n${id}`);
      leader.proposeConfChange({ type: 'addNode', nodeId: id });
    } else if (cs.voters.length < 5 && r.chance(0.6)) {
      const id = newId();
      c.log(`admin: add learner n${id}`);
      leader.proposeConfChange({ type: 'addLearner', nodeId: id });
    } else if (cs.voters.length > 3) {
      const id = r.pick(cs.voters);
      c.log(`admin: remove n${id}`);
      leader.proposeConfChange({ type: 'removeNode', nodeId: id });
    }
  }
}
