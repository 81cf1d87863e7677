/**
 * `kubeling up`, for now: a Raft cluster of N members in this process, each
 * persisting to its own SQLite file under <data-dir>/store/, ticking on the
 * wall clock, with the leader proposing an entry every half second. It shows
 * elections and replication live, and a second `up` resumes from the files.
 * The etcd API, the apiserver and the rest of the control plane replace this
 * with real processes in later issues (see the README's table).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EntryType,
  ProposalDroppedError,
  Rand,
  RawNode,
  StateType,
  bootstrapState,
  decodeConfChange,
  type Message,
} from '../store/raft/index.js';
import { SqliteStorage } from '../store/storage/sqlite.js';

const TICK_MS = 100;

interface Member {
  readonly id: number;
  readonly storage: SqliteStorage;
  readonly node: RawNode;
}

/** Runs the local cluster until SIGINT or SIGTERM. */
export async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: '.kubeling' },
      'store-members': { type: 'string', default: '3' },
    },
  });
  const dataDir = values['data-dir'];
  const n = Number(values['store-members']);
  if (!Number.isInteger(n) || n < 1 || n > 7) throw new Error('--store-members must be 1 to 7');
  const storeDir = join(dataDir, 'store');
  mkdirSync(storeDir, { recursive: true });
  const idFile = join(storeDir, 'cluster-id');
  if (!existsSync(idFile)) writeFileSync(idFile, `${randomUUID()}\n`);
  const clusterId = readFileSync(idFile, 'utf8').trim();

  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const members = new Map<number, Member>();
  for (const id of ids) {
    const storage = SqliteStorage.open(join(storeDir, `member-${id}.db`), { clusterId, memberId: id });
    const fresh = storage.lastIndex() === 0;
    if (fresh) storage.save(bootstrapState(ids));
    const node = new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      preVote: true,
      checkQuorum: true,
      rand: new Rand(Date.now() ^ (id * 7919)),
      logger: (line) => {
        if (/became (leader|candidate)|restored snapshot/.test(line)) console.log(`  raft: ${line}`);
      },
    });
    members.set(id, { id, storage, node });
    console.log(`member ${id}: ${fresh ? 'new' : 'resumed'} log in ${join(storeDir, `member-${id}.db`)} (last index ${storage.lastIndex()})`);
  }

  const inbox: Message[] = [];
  const drive = (m: Member): void => {
    while (m.node.hasReady()) {
      const rd = m.node.ready();
      // persist, then send, then apply, then advance (store/raft/rawnode.ts)
      m.storage.save({ ...(rd.hardState ? { hardState: rd.hardState } : {}), ...(rd.snapshot ? { snapshot: rd.snapshot } : {}), entries: rd.entries });
      inbox.push(...rd.messages);
      for (const e of rd.committedEntries) if (e.type === EntryType.ConfChange) m.node.applyConfChange(decodeConfChange(e.data));
      m.node.advance(rd);
    }
  };
  const deliver = (): void => {
    while (inbox.length > 0) {
      const msg = inbox.shift() as Message;
      const to = members.get(msg.to);
      if (!to) continue;
      to.node.step(msg);
      drive(to);
    }
  };

  const ticker = setInterval(() => {
    for (const m of members.values()) {
      m.node.tick();
      drive(m);
    }
    deliver();
  }, TICK_MS);
  let seq = 0;
  const proposer = setInterval(() => {
    const leader = [...members.values()].find((m) => m.node.raft.state === StateType.Leader);
    if (!leader) return;
    try {
      leader.node.propose(new TextEncoder().encode(JSON.stringify({ seq: seq++, at: new Date().toISOString() })));
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    drive(leader);
    deliver();
  }, 500);
  const reporter = setInterval(() => {
    const parts = [...members.values()].map((m) => {
      const s = m.node.status();
      return `m${s.id} ${s.state.toLowerCase()} term ${s.term} commit ${s.commit}`;
    });
    console.log(parts.join(' | '));
  }, 2000);

  console.log(`\nkubeling store: ${n} Raft members on SQLite, ${TICK_MS} ms ticks. Ctrl-C stops; running it again resumes.`);
  console.log('The etcd API, apiserver, scheduler, controllers and nodes are not built yet: see README.md.\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearInterval(ticker);
  clearInterval(proposer);
  clearInterval(reporter);
  for (const m of members.values()) m.storage.close();
  console.log('stopped; data kept in', storeDir);
}
