/**
 * How fast the MVCC state machine applies writes and serves ranges, on a
 * real file in a temp dir (WAL, synchronous=NORMAL, as a member runs it):
 *
 * - puts of `etcdctl check perf`'s shape (random 256-byte keys under one
 *   prefix, 1 KiB values), applied `--batch` entries per commit as a member
 *   applies one Raft Ready, for `--seconds`: puts/s and the file's size;
 * - the same with overwrites of 1000 keys (Kubernetes' pattern: status
 *   updates to a working set);
 * - a range over a 1000-key prefix, values included (a `kubectl get` list).
 *
 *   npm run bench:mvcc [-- --seconds 5 --batch 32]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MvccStore } from '../store/mvcc/store.js';

const { values: flags } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, batch: { type: 'string', default: '32' } },
});
const SECONDS = Number(flags.seconds);
const BATCH = Number(flags.batch);
const VALUE = new Uint8Array(1024).fill(0x76);
const enc = new TextEncoder();

function fileBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no WAL
    }
  }
  return n;
}

/** Applies puts from `key(i)` in batches for SECONDS; returns [puts/s, bytes on disk per put]. */
function putRate(store: MvccStore, file: string, key: (i: number) => Uint8Array): [number, number] {
  let index = store.consistentIndex() + 1;
  let puts = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    store.batch(() => {
      for (let k = 0; k < BATCH; k++) store.put({ key: key(puts++), value: VALUE }, index++);
    });
  }
  const s = (performance.now() - start) / 1000;
  return [puts / s, fileBytes(file) / puts];
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-mvcc-'));
  const rows: string[][] = [];
  try {
    {
      const file = join(dir, 'random.db');
      const store = MvccStore.open(file);
      const prefix = '/etcdctl-check-perf/';
      const [rate, perPut] = putRate(store, file, () => enc.encode(prefix + randomBytes(118).toString('hex')));
      rows.push(['put, random new keys', `${rate.toFixed(0)} puts/s`, `${(perPut / 1024).toFixed(1)} KiB/put on disk`]);
      store.close();
    }
    {
      const file = join(dir, 'overwrite.db');
      const store = MvccStore.open(file);
      const [rate, perPut] = putRate(store, file, (i) => enc.encode(`/registry/pods/default/pod-${i % 1000}`));
      rows.push(['put, overwriting 1000 keys', `${rate.toFixed(0)} puts/s`, `${(perPut / 1024).toFixed(1)} KiB/put on disk`]);
      let ranges = 0;
      const start = performance.now();
      const end = start + SECONDS * 1000;
      while (performance.now() < end) {
        const r = store.range({ key: enc.encode('/registry/pods/'), rangeEnd: enc.encode('/registry/pods0') });
        if (r.kvs.length !== 1000) throw new Error(`range returned ${r.kvs.length} keys`);
        ranges++;
      }
      const s = (performance.now() - start) / 1000;
      rows.push(['range of 1000 keys with values', `${(ranges / s).toFixed(1)} ranges/s`, `${((1000 * s) / ranges).toFixed(3)} ms per 1000`]);
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`MVCC store, ${BATCH} writes per commit, ${SECONDS} s per row`);
  for (const r of rows) console.log(`  ${r[0]!.padEnd(34)} ${r[1]!.padStart(18)}   ${r[2]}`);
}

main();
