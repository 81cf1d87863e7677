/**
 * How fast SqliteStorage persists the log: entries per second for 1 KiB
 * entries at 1, 10, 100 and 1000 entries per save() (group commit: one
 * transaction and one WAL fsync per save, synchronous=FULL), each row running
 * for about `--seconds` (default 2) on a fresh file in a temp dir. A
 * MemoryStorage row gives the cost of everything but the disk.
 *
 *   npm run bench:storage [-- --seconds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType } from '../store/raft/types.js';
import type { Entry } from '../store/raft/types.js';
import { MemoryStorage } from '../store/storage/memory.js';
import { SqliteStorage } from '../store/storage/sqlite.js';
import type { RaftStorage } from '../store/storage/storage.js';

const ENTRY_BYTES = 1024;

/**
 * Entry payloads, made once: entry i carries POOL[i % POOL.length]. Entries are
 * never mutated, so sharing is safe, and the loop measures storage rather than
 * allocating and zeroing 1 KiB per entry (MemoryStorage keeps every entry).
 */
const POOL = Array.from({ length: 256 }, (_, k) => new Uint8Array(ENTRY_BYTES).fill(k));

/** One measured row of the table. */
interface Row {
  readonly storage: string;
  readonly batch: number;
  readonly entries: number;
  readonly saves: number;
  readonly seconds: number;
}

/** Saves batches of `batch` fresh 1 KiB entries (plus a hard state) into `s` for about `seconds`. */
function run(name: string, s: RaftStorage, batch: number, seconds: number): Row {
  let next = s.lastIndex() + 1;
  let saves = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    const entries: Entry[] = [];
    for (let k = 0; k < batch; k++, next++) {
      entries.push({ index: next, term: 1, type: EntryType.Normal, data: POOL[next % POOL.length]! });
    }
    s.save({ entries, hardState: { term: 1, vote: 1, commit: next - 1 } });
    saves++;
    now = process.hrtime.bigint();
  }
  return { storage: name, batch, entries: saves * batch, saves, seconds: Number(now - start) / 1e9 };
}

function main(): void {
  const i = process.argv.indexOf('--seconds');
  const seconds = i >= 0 ? Number(process.argv[i + 1]) : 2;
  if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-bench-'));
  const rows: Row[] = [];
  try {
    for (const batch of [1, 10, 100, 1000]) {
      const s = SqliteStorage.open(join(dir, `raft-${batch}.db`), { clusterId: 'bench', memberId: 1 });
      try {
        rows.push(run('sqlite (synchronous=FULL)', s, batch, seconds));
      } finally {
        s.close();
      }
    }
    rows.push(run('memory', new MemoryStorage(), 100, seconds));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`${ENTRY_BYTES}-byte entries, ${tmpdir()}, node ${process.version}`);
  const head = ['storage', 'batch', 'entries/s', 'saves/s', 'MiB/s', 'ms/save'];
  const body = rows.map((r) => [
    r.storage,
    String(r.batch),
    Math.round(r.entries / r.seconds).toLocaleString('en-US'),
    Math.round(r.saves / r.seconds).toLocaleString('en-US'),
    ((r.entries * ENTRY_BYTES) / r.seconds / 2 ** 20).toFixed(1),
    ((r.seconds * 1000) / r.saves).toFixed(3),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]): string =>
    cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  console.log(line(head));
  for (const b of body) console.log(line(b));
}

main();
