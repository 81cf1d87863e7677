/**
 * What changed between two snapshots of the store members (GET /ui/api/raft),
 * told as events: leader lost, elected or moved, terms, members going
 * unreachable and coming back. Pure: no DOM (unit tested under Node).
 */
import type { RaftMember, RaftState } from './types.js';

/** One change, for the Raft view's event list. */
export interface RaftEvent {
  readonly kind: 'leader' | 'election' | 'term' | 'member';
  readonly text: string;
}

/** Whether `id` names a member (etcd says 0 for "no leader"). */
export const isLeaderId = (id: string | undefined): id is string => id !== undefined && id !== '' && id !== '0';

/** The name of member `id` in `s`, or the id. */
export function memberName(s: RaftState, id: string): string {
  return s.members.find((m) => m.id === id)?.name || id;
}

/** The highest term any member reports. */
export function maxTerm(s: RaftState): number {
  return Math.max(0, ...s.members.map((m) => m.term ?? 0));
}

/** The leader of `s`: the top-level leader, or the member with role leader. */
export function leaderOf(s: RaftState): RaftMember | undefined {
  if (isLeaderId(s.leader)) return s.members.find((m) => m.id === s.leader);
  return s.members.find((m) => m.role === 'leader');
}

/**
 * The events between `prev` and `next`; `noLeaderMs` is how long the
 * cluster was seen without a leader before `next` (for "elected after").
 */
export function raftEvents(prev: RaftState | undefined, next: RaftState, noLeaderMs?: number): RaftEvent[] {
  const out: RaftEvent[] = [];
  const nextLeader = leaderOf(next);
  if (!prev) {
    out.push(nextLeader ? { kind: 'leader', text: `${nextLeader.name} is the leader (term ${nextLeader.term ?? maxTerm(next)})` } : { kind: 'election', text: 'no leader' });
    return out;
  }
  const prevLeader = leaderOf(prev);
  if (prevLeader?.id !== nextLeader?.id) {
    if (!nextLeader) out.push({ kind: 'election', text: `leader ${prevLeader!.name} lost: no leader, an election is due` });
    else if (!prevLeader) out.push({ kind: 'leader', text: `${nextLeader.name} elected leader for term ${nextLeader.term ?? maxTerm(next)}${noLeaderMs !== undefined ? ` after ${Math.round(noLeaderMs)} ms without a leader` : ''}` });
    else out.push({ kind: 'leader', text: `leadership moved from ${prevLeader.name} to ${nextLeader.name} (term ${nextLeader.term ?? maxTerm(next)})` });
  }
  const t0 = maxTerm(prev);
  const t1 = maxTerm(next);
  if (t1 > t0) out.push({ kind: 'term', text: `term ${t0} → ${t1}` });
  const before = new Map(prev.members.map((m) => [m.id, m]));
  for (const m of next.members) {
    const p = before.get(m.id);
    if (!p) out.push({ kind: 'member', text: `member ${m.name} joined` });
    else if (p.reachable && !m.reachable) out.push({ kind: 'member', text: `member ${m.name} unreachable${m.error ? `: ${m.error}` : ''}` });
    else if (!p.reachable && m.reachable) out.push({ kind: 'member', text: `member ${m.name} reachable again (${m.role})` });
    before.delete(m.id);
  }
  for (const gone of before.values()) out.push({ kind: 'member', text: `member ${gone.name} removed` });
  return out;
}
