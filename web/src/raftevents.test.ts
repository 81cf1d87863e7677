import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leaderOf, raftEvents } from './raftevents.js';
import type { RaftMember, RaftState } from './types.js';

const member = (id: string, name: string, role: RaftMember['role'], term: number, leader: string): RaftMember => ({
  id,
  name,
  role,
  term,
  leader,
  clientURLs: [],
  peerURLs: [],
  isLearner: false,
  reachable: role !== 'unreachable',
  commitIndex: 10,
  appliedIndex: 10,
});
const state = (leader: string, ...members: RaftMember[]): RaftState => ({ leader, members, canStopMembers: true });

describe('raftEvents', () => {
  const a = state('1', member('1', 'm1', 'leader', 2, '1'), member('2', 'm2', 'follower', 2, '1'), member('3', 'm3', 'follower', 2, '1'));

  it('names the leader at first', () => {
    assert.deepEqual(raftEvents(undefined, a), [{ kind: 'leader', text: 'm1 is the leader (term 2)' }]);
    assert.equal(leaderOf(a)?.name, 'm1');
  });

  it('tells a leader lost, an election and its term', () => {
    const lost = state('0', member('1', 'm1', 'unreachable', 0, '0'), member('2', 'm2', 'follower', 3, '0'), member('3', 'm3', 'follower', 3, '0'));
    lost.members[0]!.error = 'connection refused';
    assert.deepEqual(
      raftEvents(a, lost).map((e) => e.text),
      ['leader m1 lost: no leader, an election is due', 'term 2 → 3', 'member m1 unreachable: connection refused'],
    );
    const elected = state('3', member('1', 'm1', 'unreachable', 0, '0'), member('2', 'm2', 'follower', 3, '3'), member('3', 'm3', 'leader', 3, '3'));
    assert.deepEqual(
      raftEvents(lost, elected, 1234.4).map((e) => e.text),
      ['m3 elected leader for term 3 after 1234 ms without a leader'],
    );
    const back = state('3', member('1', 'm1', 'follower', 3, '3'), member('2', 'm2', 'follower', 3, '3'), member('3', 'm3', 'leader', 3, '3'));
    assert.deepEqual(raftEvents(elected, back).map((e) => e.text), ['member m1 reachable again (follower)']);
  });

  it('tells a leadership transfer', () => {
    const moved = state('2', member('1', 'm1', 'follower', 3, '2'), member('2', 'm2', 'leader', 3, '2'), member('3', 'm3', 'follower', 3, '2'));
    assert.deepEqual(
      raftEvents(a, moved).map((e) => e.text),
      ['leadership moved from m1 to m2 (term 3)', 'term 2 → 3'],
    );
    assert.deepEqual(raftEvents(a, a), []);
  });
});
