/**
 * `npm run sim -- --seeds N [--from S] [--members 3|5]`: runs N seeds and exits
 * non-zero on any violation. `npm run sim -- --seed S`: replays one seed and
 * prints its trace. `--sqlite` keeps each member's log in a real SQLite file.
 */
import { parseArgs } from 'node:util';
import { runSeed, type RunResult } from './run.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    seed: { type: 'string' },
    from: { type: 'string', default: '1' },
    members: { type: 'string' },
    'fault-ms': { type: 'string' },
    bug: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    sqlite: { type: 'boolean', default: false },
  },
});

const members = values.members === undefined ? undefined : Number(values.members);
const faultMs = values['fault-ms'] === undefined ? undefined : Number(values['fault-ms']);
const bugs =
  values.bug === 'commit-older-terms' ? { commitOlderTerms: true } : values.bug === 'stale-reads' ? { staleReads: true } : {};

function one(seed: number, trace: boolean): RunResult {
  return runSeed({ seed, trace, bugs, sqlite: values.sqlite, ...(members ? { members } : {}), ...(faultMs ? { faultMs } : {}) });
}

if (values.seed !== undefined) {
  const res = one(Number(values.seed), true);
  for (const line of res.trace) console.log(line);
  console.log(summary(res));
  for (const v of res.violations) console.log(`VIOLATION: ${v}`);
  process.exitCode = res.violations.length > 0 ? 1 : 0;
} else {
  const n = Number(values.seeds ?? '100');
  const from = Number(values.from);
  let failed = 0;
  const recovery: number[] = [];
  const totals = { ops: 0, completed: 0, elections: 0, crashes: 0, snapshots: 0 };
  const start = Date.now();
  for (let s = from; s < from + n; s++) {
    const res = one(s, false);
    if (res.recoveryTicks !== undefined) recovery.push(res.recoveryTicks);
    totals.ops += res.ops;
    totals.completed += res.completedOps;
    totals.elections += res.stats.elections;
    totals.crashes += res.stats.crashes;
    totals.snapshots += res.stats.snapshotsSent;
    if (res.violations.length > 0) {
      failed++;
      console.log(`seed ${s}: ${res.violations.length} violation(s); replay with: npm run sim -- --seed ${s}`);
      for (const v of res.violations.slice(0, 3)) console.log(`  ${v.split('\n')[0]}`);
    } else if (!values.quiet) {
      console.log(summary(res));
    }
  }
  recovery.sort((a, b) => a - b);
  const med = recovery[Math.floor(recovery.length / 2)] ?? 0;
  const worst = recovery[recovery.length - 1] ?? 0;
  console.log(
    `${n} seeds, ${failed} with violations, ${((Date.now() - start) / 1000).toFixed(1)} s; ` +
      `recovery after healing: median ${med} ticks, worst ${worst} ticks`,
  );
  console.log(
    `totals: ${totals.ops} client ops (${totals.completed} completed), ${totals.elections} elections, ` +
      `${totals.crashes} crashes, ${totals.snapshots} snapshots sent`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

function summary(r: RunResult): string {
  return (
    `seed ${r.seed}: ${r.members} members, ${r.ops} ops (${r.completedOps} completed), ` +
    `${r.stats.elections} elections, ${r.stats.crashes} crashes, ${r.stats.messages} messages, ` +
    `${r.stats.snapshotsSent} snapshots sent, recovered in ${r.recoveryTicks ?? 'never'} ticks: ` +
    (r.violations.length === 0 ? 'ok' : 'VIOLATIONS')
  );
}
