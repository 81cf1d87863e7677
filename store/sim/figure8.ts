/**
 * Figure 8 of the Raft paper, scripted on the simulator: why a leader must
 * not commit an entry of an earlier term by counting replicas. With the
 * planted bug (`commitOlderTerms`) the checkers must report a violation;
 * with the real rule the same script must stay safe.
 *
 *   (a) leader A of term t writes entry i, which reaches only B;
 *   (b) A and B crash; E is elected by C, D, E at term t+1 and writes its own
 *       entry at i, which reaches nobody (E is cut off as it becomes leader);
 *   (c) A and B return; one of them leads term t+2 and copies the term-t
 *       entry i to C. The buggy rule now counts A, B, C and commits i; the
 *       leader applies it and is cut off at that very moment;
 *   (d) the other of A and B goes down and E returns: E's last term (t+1)
 *       beats C's and D's, so it can win and overwrite entry i everywhere: a
 *       committed entry is lost. With the real rule, entry i commits only
 *       together with the leader's term-(t+2) entry, which C then holds, so
 *       E cannot win.
 */
import type { NodeId } from '../raft/types.js';
import { Cluster } from './cluster.js';
import { DEFAULT_NODE_CONFIG, TICK_MS } from './run.js';
import type { SimNode } from './node.js';

/** Runs the script; returns the checkers' violations and the trace. */
export function runFigure8(opts: { bug: boolean; seed?: number }): { violations: string[]; trace: string[] } {
  const c = new Cluster({
    seed: opts.seed ?? 8,
    members: 5,
    tickMs: TICK_MS,
    // one entry per append, so that entry i can reach C without the entry after it
    node: { ...DEFAULT_NODE_CONFIG, maxSizePerMsg: 1, bugs: { commitOlderTerms: opts.bug } },
    net: { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 2 },
    clients: 0,
    keys: 1,
    clientTimeoutMs: 1000,
    trace: true,
  });
  const all = [...c.nodes.keys()];
  const others = (ids: NodeId[]): NodeId[] => all.filter((id) => !ids.includes(id));
  const waitFor = (what: string, cond: () => boolean, ms = 5000): void => {
    c.runUntil(c.now + ms, cond);
    if (!cond()) throw new Error(`figure 8 script: timed out waiting for ${what}\n${c.trace.slice(-40).join('\n')}`);
  };
  const leaderAmong = (ids: NodeId[]): SimNode | undefined => {
    const l = c.leader();
    return l && ids.includes(l.id) ? l : undefined;
  };
  const node = (id: NodeId): SimNode => {
    const n = c.nodes.get(id);
    if (!n) throw new Error(`no member ${id}`);
    return n;
  };

  // (a)
  waitFor('a first leader', () => c.leader() !== undefined);
  const a = c.leader() as SimNode;
  const [b, cc, d, e] = others([a.id]) as [NodeId, NodeId, NodeId, NodeId];
  c.partition([a.id, b], [cc, d, e]);
  const i = (a.raw?.raft.raftLog.lastIndex() ?? 0) + 1;
  c.log(`script (a): n${a.id} writes entry ${i}, reaching only n${b}`);
  a.write('fig8.a', { id: 'fig8.a', op: 'put', key: 'x', value: 'from term t' });
  waitFor(`entry ${i} on n${b}`, () => (node(b).raw?.raft.raftLog.lastIndex() ?? 0) >= i);

  // (b)
  c.crash(a.id);
  c.crash(b);
  c.heal();
  c.onFaultPoint = (n, point) => {
    if (point === 'afterPersist' && n.id === e && n.isLeader()) {
      c.log(`script (b): n${e} is cut off the moment it leads`);
      c.partition([e], others([e]));
      c.onFaultPoint = undefined;
    }
  };
  // only E may win this election: C and D are kept from campaigning by giving E the first timeout
  node(e).raw?.campaign();
  node(e).drive();
  waitFor(`n${e} to lead`, () => node(e).isLeader());
  c.runUntil(c.now + 20);
  c.crash(e);
  c.heal();

  // (c)
  c.restart(a.id);
  c.restart(b);
  let committedOld = false;
  c.onFaultPoint = (n, point) => {
    if (point !== 'afterPersist' || !n.isLeader() || (n.id !== a.id && n.id !== b)) return;
    if ((n.raw?.raft.raftLog.committed ?? 0) >= i) {
      c.log(`script (c): leader n${n.id} committed ${i}; it is cut off before telling anyone`);
      c.partition([n.id], others([n.id]));
      committedOld = true;
      c.onFaultPoint = undefined;
    }
  };
  waitFor(`a leader among n${a.id}, n${b} to commit ${i}`, () => committedOld, 10_000);
  const l = leaderAmong([a.id, b]);
  c.runUntil(c.now + 5);

  // (d): the other of A and B stays down, as in the paper only C, D and E vote
  if (l) c.crash(l.id === a.id ? b : a.id);
  c.restart(e);
  c.runUntil(c.now + 3000);
  c.checkLogs();
  if (l) c.log(`script (d): done; old leader was n${l.id}`);
  return { violations: [...c.invariants.violations], trace: c.trace };
}
