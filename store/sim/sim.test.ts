import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFigure8 } from './figure8.js';
import { RECOVERY_BOUND_MS, runSeed, type RunResult } from './run.js';

function failures(results: RunResult[]): string {
  return results
    .filter((r) => r.violations.length > 0)
    .map((r) => `seed ${r.seed} (replay: npm run sim -- --seed ${r.seed}): ${r.violations.join('; ').slice(0, 500)}`)
    .join('\n');
}

describe('simulator: random faults, 3 and 5 members', () => {
  for (const members of [3, 5]) {
    it(`500 seeds of ${members} members stay safe, linearizable and live`, () => {
      const results: RunResult[] = [];
      for (let seed = 1; seed <= 500; seed++) results.push(runSeed({ seed: seed * 31 + members, members }));
      assert.equal(failures(results), '');
      // the runs really exercised the cluster
      const completed = results.reduce((n, r) => n + r.completedOps, 0);
      const elections = results.reduce((n, r) => n + r.stats.elections, 0);
      const crashes = results.reduce((n, r) => n + r.stats.crashes, 0);
      assert.ok(completed > 20_000, `completed ops ${completed}`);
      assert.ok(elections > 1_000, `elections ${elections}`);
      assert.ok(crashes > 500, `crashes ${crashes}`);
      for (const r of results) {
        assert.ok(r.recoveryMs !== undefined && r.recoveryMs <= RECOVERY_BOUND_MS, `seed ${r.seed} recovery`);
      }
    });
  }

  it('membership changes while clients run', () => {
    const results: RunResult[] = [];
    for (let seed = 1; seed <= 100; seed++) results.push(runSeed({ seed: 9000 + seed, confChanges: true }));
    assert.equal(failures(results), '');
  });

  it('members on real SQLite files behave exactly as on memory, and stay safe', () => {
    const results: RunResult[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const onFile = runSeed({ seed: 7000 + seed, sqlite: true, trace: true });
      const inMemory = runSeed({ seed: 7000 + seed, trace: true });
      // the storage must not change a single decision: same trace, message for message
      assert.deepEqual(onFile.trace, inMemory.trace, `seed ${7000 + seed}`);
      results.push(onFile);
    }
    assert.equal(failures(results), '');
  });

  it('a seed replays exactly', () => {
    const a = runSeed({ seed: 4242, trace: true });
    const b = runSeed({ seed: 4242, trace: true });
    assert.ok(a.trace.length > 1000);
    assert.deepEqual(a.trace, b.trace);
  });
});

describe('the checkers catch planted bugs', () => {
  it('Figure 8: committing an older-term entry by counting replicas loses a committed entry', () => {
    const bad = runFigure8({ bug: true });
    assert.ok(
      bad.violations.some((v) => v.startsWith('leader completeness') || v.startsWith('state machine safety')),
      `expected a safety violation, got: ${bad.violations.join('; ')}`,
    );
    const good = runFigure8({ bug: false });
    assert.deepEqual(good.violations, []);
  });

  it('reads served locally without ReadIndex are caught as not linearizable', () => {
    let caught = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSeed({ seed, bugs: { staleReads: true } });
      if (r.violations.some((v) => v.startsWith('linearizability'))) caught++;
    }
    assert.ok(caught >= 3, `only ${caught} of 10 seeds caught the stale reads`);
  });
});
