/**
 * A child process for the durability test in ../sqlite.test.ts: opens a
 * SqliteStorage at argv[2] and appends entries in batches of 1..16 forever,
 * printing each batch's last index once save() has returned (acknowledged).
 * The parent kills it with SIGKILL. Entry i carries writerData(i).
 */
import { pathToFileURL } from 'node:url';
import { EntryType } from '../../raft/types.js';
import type { Entry } from '../../raft/types.js';
import { SqliteStorage } from '../sqlite.js';

/** The data the writer stores in entry `index`, so the parent can check it. */
export function writerData(index: number): Uint8Array {
  return new TextEncoder().encode(`entry ${index} `.repeat(1 + (index % 13)));
}

/** The identity the writer opens its file with. */
export const WRITER_IDENTITY = { clusterId: 'durability', memberId: 1 };

function main(file: string): void {
  const s = SqliteStorage.open(file, WRITER_IDENTITY);
  const deadline = Date.now() + 60_000; // never outlive a broken parent for long
  let next = s.lastIndex() + 1;
  for (let batch = 0; Date.now() < deadline; batch++) {
    const entries: Entry[] = [];
    for (let k = 0; k < 1 + (batch % 16); k++, next++) {
      entries.push({ index: next, term: 1, type: EntryType.Normal, data: writerData(next) });
    }
    s.save({ entries, hardState: { term: 1, vote: 1, commit: next - 1 } });
    process.stdout.write(`${next - 1}\n`); // synchronous for pipes on Linux
  }
  s.close();
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: writer.ts FILE');
  main(file);
}
