/**
 * The Raft core against the Raft paper ("In Search of an Understandable
 * Consensus Algorithm", Ongaro & Ousterhout), section by section, plus the
 * thesis extensions the core implements (PreVote, CheckQuorum, ReadIndex,
 * leader transfer, snapshots, membership changes).
 *
 * Two styles: a lone Raft core stepped by hand (newTestRaft, takeMessages)
 * when the point is one member's reaction to one message, and the
 * deterministic Network (testing/network.ts) when the point is a scenario.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryType,
  MessageType,
  NONE,
  ProposalDroppedError,
  StateType,
  encodeConfChange,
  message,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type Raft,
} from './index.js';
import {
  ELECTION_TICK as ET,
  HEARTBEAT_TICK,
  Network,
  bytes,
  entriesWithTerms,
  logTerms,
  newTestRaft,
  storageWithLog,
  takeMessages,
  type NetworkOptions,
  type TestRaftOptions,
} from './testing/network.js';

// ---- helpers ----

const decoder = new TextDecoder();

function conf(voters: readonly NodeId[], learners: readonly NodeId[] = []): ConfState {
  return { voters: [...voters], learners: [...learners] };
}

function ids(n: number): NodeId[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function hup(id: NodeId): Message {
  return message({ type: MessageType.Hup, from: id, to: id });
}

function prop(from: NodeId, ...ents: { type: EntryType; data: Uint8Array }[]): Message {
  return message({ type: MessageType.Prop, from, entries: ents.map((e) => ({ term: 0, index: 0, ...e })) });
}

function normal(s: string): { type: EntryType; data: Uint8Array } {
  return { type: EntryType.Normal, data: bytes(s) };
}

function confChange(cc: ConfChange): { type: EntryType; data: Uint8Array } {
  return { type: EntryType.ConfChange, data: encodeConfChange(cc) };
}

/** A leader of term 1 stepped by hand: its no-op is at index 1, nothing sent yet. */
function newLeader(voters: readonly NodeId[], o: Partial<TestRaftOptions> = {}): Raft {
  const r = newTestRaft(1, { voters, ...o });
  r.becomeCandidate();
  r.becomeLeader();
  takeMessages(r);
  return r;
}

function appResp(from: NodeId, term: number, index: number): Message {
  return message({ type: MessageType.AppResp, from, to: 1, term, index });
}

/** A network of `voters` in which member `leader` has won the first election. */
function elected(voters: readonly NodeId[], leader: NodeId, o: Omit<NetworkOptions, 'voters'> = {}): Network {
  const net = new Network({ voters, ...o });
  net.campaign(leader);
  assert.equal(net.leader(), leader);
  return net;
}

/** Ticks `ids` round-robin until one of them leads at a term above `minTerm`. */
function tickUntilLeader(net: Network, tickIds: readonly NodeId[], minTerm: number, maxRounds = 20 * ET): NodeId {
  for (let i = 0; i < maxRounds; i++) {
    for (const id of tickIds) net.tick(id);
    const l = net.leader();
    if (l !== NONE && net.raft(l).term > minTerm) return l;
  }
  throw new Error(`no leader above term ${minTerm} after ${maxRounds} rounds`);
}

function text(e: Entry | undefined): string {
  return e ? decoder.decode(e.data) : '<none>';
}

function count(msgs: readonly Message[], f: (m: Message) => boolean): number {
  return msgs.filter(f).length;
}

// ---- §5.2 Leader election ----

describe('§5.2 leader election', () => {
  it('a follower starts an election after its election timeout: term+1, votes for itself, asks everyone', () => {
    const cases = [
      { log: [] as number[], term: 0, wantIndex: 0, wantLogTerm: 0 },
      { log: [1, 1, 2], term: 2, wantIndex: 3, wantLogTerm: 2 },
    ];
    for (const c of cases) {
      const r = newTestRaft(1, { voters: [1, 2, 3], storage: storageWithLog(conf([1, 2, 3]), c.log, { term: c.term }) });
      for (let i = 0; i < ET - 1; i++) r.tick();
      assert.equal(r.state, StateType.Follower, 'no election before electionTick');
      assert.equal(takeMessages(r).length, 0);
      // the randomized timeout is below 2*electionTick: one more electionTick of ticks is enough
      for (let i = 0; i < ET; i++) r.tick();
      assert.equal(r.state, StateType.Candidate);
      assert.equal(r.term, c.term + 1);
      assert.equal(r.vote, 1);
      assert.deepEqual(
        takeMessages(r).map((m) => [m.type, m.to, m.term, m.index, m.logTerm]),
        [
          [MessageType.Vote, 2, c.term + 1, c.wantIndex, c.wantLogTerm],
          [MessageType.Vote, 3, c.term + 1, c.wantIndex, c.wantLogTerm],
        ],
      );
    }
  });

  it('a candidate that wins votes from a majority becomes leader; a majority of rejections makes it a follower', () => {
    const cases: { size: number; votes: Record<number, boolean>; want: StateType }[] = [
      { size: 1, votes: {}, want: StateType.Leader },
      { size: 3, votes: { 2: true, 3: true }, want: StateType.Leader },
      { size: 3, votes: { 2: true }, want: StateType.Leader },
      { size: 5, votes: { 2: true, 3: true, 4: true, 5: true }, want: StateType.Leader },
      { size: 5, votes: { 2: true, 3: true }, want: StateType.Leader },
      { size: 4, votes: { 2: true, 3: true }, want: StateType.Leader },
      { size: 4, votes: { 2: true }, want: StateType.Candidate },
      { size: 3, votes: {}, want: StateType.Candidate },
      { size: 5, votes: { 2: true, 3: false, 4: false }, want: StateType.Candidate },
      { size: 3, votes: { 2: false, 3: false }, want: StateType.Follower },
      { size: 5, votes: { 2: false, 3: false, 4: false }, want: StateType.Follower },
      { size: 5, votes: { 2: true, 3: false, 4: false, 5: false }, want: StateType.Follower },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newTestRaft(1, { voters: ids(c.size) });
      r.step(hup(1));
      for (const [from, granted] of Object.entries(c.votes)) {
        r.step(message({ type: MessageType.VoteResp, from: Number(from), to: 1, term: 1, reject: !granted }));
      }
      assert.equal(r.state, c.want, `case ${i}`);
      assert.equal(r.term, 1, `case ${i}`);
    }
  });

  it('a member votes at most once per term, first come first served', () => {
    const r = newTestRaft(1, { voters: [1, 2, 3] });
    const vote = (from: NodeId, term: number): boolean | undefined => {
      r.step(message({ type: MessageType.Vote, from, to: 1, term, index: 0, logTerm: 0 }));
      const [resp, ...rest] = takeMessages(r);
      assert.equal(rest.length, 0);
      assert.equal(resp?.type, MessageType.VoteResp);
      return resp ? !resp.reject : undefined;
    };
    assert.equal(vote(2, 1), true, 'first request of term 1 wins the vote');
    assert.equal(r.vote, 2);
    assert.equal(vote(3, 1), false, 'a second candidate in the same term is refused');
    assert.equal(vote(2, 1), true, 'the same candidate asking again gets the same answer');
    assert.equal(vote(3, 2), true, 'a new term, a new vote');
    assert.equal(r.vote, 3);
    assert.equal(r.term, 2);
  });

  it('a candidate that hears from a leader of its term or a higher one becomes its follower; a lower term is ignored', () => {
    const cases = [
      { preVote: false, type: MessageType.App, term: 2, want: StateType.Follower, wantTerm: 2, wantLead: 2 },
      { preVote: false, type: MessageType.Heartbeat, term: 2, want: StateType.Follower, wantTerm: 2, wantLead: 2 },
      { preVote: false, type: MessageType.App, term: 3, want: StateType.Follower, wantTerm: 3, wantLead: 2 },
      { preVote: false, type: MessageType.Heartbeat, term: 3, want: StateType.Follower, wantTerm: 3, wantLead: 2 },
      { preVote: false, type: MessageType.App, term: 1, want: StateType.Candidate, wantTerm: 2, wantLead: NONE },
      { preVote: false, type: MessageType.Heartbeat, term: 1, want: StateType.Candidate, wantTerm: 2, wantLead: NONE },
      // a pre-candidate has not raised its term (1): a leader of term 1 is current
      { preVote: true, type: MessageType.App, term: 1, want: StateType.Follower, wantTerm: 1, wantLead: 2 },
      { preVote: true, type: MessageType.Heartbeat, term: 1, want: StateType.Follower, wantTerm: 1, wantLead: 2 },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newTestRaft(1, { voters: [1, 2, 3], preVote: c.preVote, storage: storageWithLog(conf([1, 2, 3]), [1], { term: 1 }) });
      r.step(hup(1));
      assert.equal(r.state, c.preVote ? StateType.PreCandidate : StateType.Candidate);
      r.step(message({ type: c.type, from: 2, to: 1, term: c.term, index: 1, logTerm: 1 }));
      assert.equal(r.state, c.want, `case ${i}`);
      assert.equal(r.term, c.wantTerm, `case ${i}`);
      assert.equal(r.lead, c.wantLead, `case ${i}`);
    }
  });

  it('randomized election timeouts lie in [electionTick, 2*electionTick) and differ across members and rounds', () => {
    const ticksUntilCampaign = (r: Raft): number => {
      const term = r.term;
      for (let n = 1; n <= 2 * ET; n++) {
        r.tick();
        if (r.term !== term) return n;
      }
      throw new Error('no campaign within 2*electionTick');
    };
    const perMember = ids(5).map((id) => ticksUntilCampaign(newTestRaft(id, { voters: ids(5) })));
    for (const t of perMember) assert.ok(t >= ET && t < 2 * ET, `timeout ${t}`);
    assert.ok(new Set(perMember).size > 1, `members share one timeout: ${perMember.join(',')}`);

    // a candidate that hears nothing draws a fresh timeout for every new term
    const r = newTestRaft(1, { voters: [1, 2, 3] });
    const rounds = Array.from({ length: 50 }, () => ticksUntilCampaign(r));
    for (const t of rounds) assert.ok(t >= ET && t < 2 * ET, `timeout ${t}`);
    assert.ok(new Set(rounds).size >= ET / 2, `too few distinct timeouts: ${[...new Set(rounds)].join(',')}`);
    assert.equal(r.term, 50);
  });

  it('a split vote leaves no leader, and a new election in the next term resolves it', () => {
    const net = new Network({ voters: [1, 2, 3, 4] });
    // 2 only hears 1, 4 only hears 3: each candidate gets exactly half of the votes
    net.cut(1, 4);
    net.cut(3, 2);
    net.send(hup(1), hup(3));
    assert.equal(net.leader(), NONE);
    for (const id of [1, 3]) {
      assert.equal(net.raft(id).state, StateType.Candidate);
      assert.equal(net.raft(id).term, 1);
    }
    assert.equal(net.raft(2).vote, 1);
    assert.equal(net.raft(4).vote, 3);

    net.recover();
    const l = tickUntilLeader(net, [1, 2, 3, 4], 0);
    assert.equal(net.raft(l).term, 2);
    for (const id of ids(4)) {
      assert.equal(net.raft(id).term, 2);
      assert.equal(net.raft(id).lead, l);
    }
  });

  it('a leader keeps its authority with heartbeats: no follower times out', () => {
    const net = elected([1, 2, 3], 1);
    net.trace.length = 0;
    net.tickAll(10 * ET);
    assert.equal(net.leader(), 1);
    for (const id of ids(3)) assert.equal(net.raft(id).term, 1);
    assert.equal(count(net.trace, (m) => m.type === MessageType.Vote), 0);
    assert.equal(count(net.trace, (m) => m.type === MessageType.Heartbeat), 2 * 10 * ET / HEARTBEAT_TICK);
  });
});

// ---- §5.3 Log replication ----

describe('§5.3 log replication', () => {
  it('the leader appends a proposal to its log and sends it to every follower', () => {
    const r = newLeader([1, 2, 3]);
    r.step(appResp(2, 1, 1));
    r.step(appResp(3, 1, 1));
    assert.equal(r.raftLog.committed, 1);
    takeMessages(r);

    r.step(prop(1, normal('a')));
    assert.equal(r.raftLog.lastIndex(), 2);
    assert.equal(r.raftLog.term(2), 1);
    assert.equal(r.raftLog.committed, 1, 'not committed before followers store it');
    assert.deepEqual(
      takeMessages(r).map((m) => [m.type, m.to, m.term, m.index, m.logTerm, m.commit, m.entries.map((e) => [e.index, e.term, text(e)])]),
      [
        [MessageType.App, 2, 1, 1, 1, 1, [[2, 1, 'a']]],
        [MessageType.App, 3, 1, 1, 1, 1, [[2, 1, 'a']]],
      ],
    );
  });

  it('an entry is committed once a majority of voters has stored it', () => {
    const cases = [
      { size: 1, acks: [], commit: true },
      { size: 3, acks: [], commit: false },
      { size: 3, acks: [2], commit: true },
      { size: 3, acks: [2, 3], commit: true },
      { size: 4, acks: [2], commit: false },
      { size: 4, acks: [2, 3], commit: true },
      { size: 5, acks: [2], commit: false },
      { size: 5, acks: [2, 3], commit: true },
      { size: 5, acks: [2, 3, 4, 5], commit: true },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newLeader(ids(c.size));
      r.step(prop(1, normal('a')));
      for (const from of c.acks) r.step(appResp(from, 1, 2));
      assert.equal(r.raftLog.committed, c.commit ? 2 : 0, `case ${i}`);
    }
  });

  it('committing an entry commits every entry before it', () => {
    const r = newLeader([1, 2, 3]);
    r.step(prop(1, normal('a'), normal('b')));
    r.step(prop(1, normal('c')));
    r.step(appResp(2, 1, 4));
    assert.equal(r.raftLog.committed, 4);
    assert.deepEqual(
      r.raftLog.nextCommittedEnts().map((e) => [e.index, text(e)]),
      [[1, ''], [2, 'a'], [3, 'b'], [4, 'c']],
    );
  });

  it("a follower commits up to the leader's commit index, but never beyond the entries the message vouches for", () => {
    const cases = [
      { log: [] as number[], prev: 0, ents: [1, 1, 1], commit: 0, want: 0 },
      { log: [], prev: 0, ents: [1, 1, 1], commit: 2, want: 2 },
      { log: [], prev: 0, ents: [1, 1, 1], commit: 3, want: 3 },
      { log: [], prev: 0, ents: [1, 1, 1], commit: 5, want: 3 },
      // entries 2 and 3 may be stale: an empty append after 1 only vouches for 1
      { log: [1, 1, 1], prev: 1, ents: [], commit: 3, want: 1 },
      { log: [1, 1, 1], prev: 3, ents: [], commit: 3, want: 3 },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newTestRaft(1, { voters: [1, 2, 3], storage: storageWithLog(conf([1, 2, 3]), c.log, { term: 1 }) });
      r.step(message({ type: MessageType.App, from: 2, to: 1, term: 1, index: c.prev, logTerm: c.prev === 0 ? 0 : 1, entries: entriesWithTerms(c.ents, c.prev + 1), commit: c.commit }));
      assert.equal(r.raftLog.committed, c.want, `case ${i}`);
    }
  });

  it('every member applies the committed entries in log order', () => {
    const net = elected([1, 2, 3], 1);
    net.propose(1, 'a');
    net.propose(2, 'b'); // forwarded to the leader
    for (const id of ids(3)) {
      assert.equal(net.raft(id).raftLog.committed, 3);
      assert.deepEqual(net.member(id).applied.map((e) => [e.index, e.term, text(e)]), [[1, 1, ''], [2, 1, 'a'], [3, 1, 'b']]);
    }
  });

  it('the consistency check rejects an append whose previous entry does not match, with a hint', () => {
    // follower log: 1@1 2@2, appends from a leader of term 3
    const cases = [
      { prev: 2, prevTerm: 2, ents: [3], wantResp: { reject: false, index: 3 }, wantLog: [1, 2, 3] },
      { prev: 1, prevTerm: 1, ents: [3], wantResp: { reject: false, index: 2 }, wantLog: [1, 3] },
      { prev: 0, prevTerm: 0, ents: [1, 2], wantResp: { reject: false, index: 2 }, wantLog: [1, 2] },
      { prev: 2, prevTerm: 3, ents: [3], wantResp: { reject: true, index: 2, rejectHint: 2, logTerm: 2 }, wantLog: [1, 2] },
      { prev: 3, prevTerm: 2, ents: [3], wantResp: { reject: true, index: 3, rejectHint: 2, logTerm: 2 }, wantLog: [1, 2] },
      // the hint skips the whole term-2 suffix, which cannot match a term-1 entry
      { prev: 2, prevTerm: 1, ents: [3], wantResp: { reject: true, index: 2, rejectHint: 1, logTerm: 1 }, wantLog: [1, 2] },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newTestRaft(1, { voters: [1, 2, 3], storage: storageWithLog(conf([1, 2, 3]), [1, 2]) });
      r.step(message({ type: MessageType.App, from: 2, to: 1, term: 3, index: c.prev, logTerm: c.prevTerm, entries: entriesWithTerms(c.ents, c.prev + 1) }));
      const [resp] = takeMessages(r);
      assert.ok(resp);
      assert.equal(resp.type, MessageType.AppResp);
      const got = c.wantResp.reject
        ? { reject: resp.reject, index: resp.index, rejectHint: resp.rejectHint, logTerm: resp.logTerm }
        : { reject: resp.reject, index: resp.index };
      assert.deepEqual(got, c.wantResp, `case ${i}`);
      assert.deepEqual(logTerms(r), c.wantLog, `case ${i}`);
    }
  });

  describe('the leader brings inconsistent follower logs in line (Figure 7)', () => {
    // the leader of term 8 and the possible follower logs a-f of Figure 7
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const cases = [
      { name: 'a', log: [1, 1, 1, 4, 4, 5, 5, 6, 6], rejects: 1 },
      { name: 'b', log: [1, 1, 1, 4], rejects: 1 },
      { name: 'c', log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], rejects: 0 },
      { name: 'd', log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], rejects: 0 },
      { name: 'e', log: [1, 1, 1, 4, 4, 4, 4], rejects: 1 },
      { name: 'f', log: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], rejects: 1 },
    ];
    for (const c of cases) {
      it(`case (${c.name}): ${c.log.join(',')}`, () => {
        const cs = conf([1, 2, 3]);
        // member 3 has an empty log, so member 1 wins term 8 whatever 2 votes
        const logs = new Map([[1, leaderLog], [2, c.log], [3, []]]);
        const net = new Network({ voters: [1, 2, 3], storage: (id) => storageWithLog(cs, logs.get(id) ?? [], { term: 7 }) });
        net.campaign(1);
        assert.equal(net.leader(), 1);
        assert.equal(net.raft(1).term, 8);
        const want = [...leaderLog, 8];
        for (const id of ids(3)) {
          assert.deepEqual(logTerms(net.raft(id)), want, `member ${id}`);
          assert.equal(net.raft(id).raftLog.committed, want.length, `member ${id}`);
        }
        // fast back-off (§5.3, last paragraphs): at most one rejected probe per case
        assert.equal(count(net.trace, (m) => m.type === MessageType.AppResp && m.from === 2 && m.reject), c.rejects);
      });
    }
  });

  it('fast back-off skips a whole conflicting term per round trip instead of one entry', () => {
    const cs = conf([1, 2, 3]);
    const leaderLog = [1, ...Array<number>(50).fill(3)];
    const followerLog = [1, ...Array<number>(60).fill(2)];
    const logs = new Map([[1, leaderLog], [2, followerLog], [3, []]]);
    const net = new Network({ voters: [1, 2, 3], storage: (id) => storageWithLog(cs, logs.get(id) ?? [], { term: 3 }) });
    net.campaign(1);
    assert.deepEqual(logTerms(net.raft(2)), [...leaderLog, 4]);
    const toTwo = net.trace.filter((m) => m.type === MessageType.App && m.to === 2);
    const rejects = count(net.trace, (m) => m.type === MessageType.AppResp && m.from === 2 && m.reject);
    assert.equal(rejects, 1, 'one probe finds the match point across 60 conflicting entries');
    assert.ok(toTwo.length <= 4, `${toTwo.length} appends to member 2`);
  });
});

// ---- §5.4 Safety ----

describe('§5.4 safety', () => {
  it('a voter refuses a candidate whose log is less up to date (last term first, then length)', () => {
    const cases = [
      { log: [1], cand: { logTerm: 1, index: 1 }, grant: true },
      { log: [1], cand: { logTerm: 1, index: 2 }, grant: true },
      { log: [1, 1], cand: { logTerm: 1, index: 1 }, grant: false },
      { log: [1], cand: { logTerm: 2, index: 1 }, grant: true },
      { log: [1, 1], cand: { logTerm: 2, index: 1 }, grant: true },
      { log: [2], cand: { logTerm: 1, index: 3 }, grant: false },
      { log: [1, 2], cand: { logTerm: 2, index: 1 }, grant: false },
      { log: [1, 2], cand: { logTerm: 2, index: 2 }, grant: true },
      { log: [1, 2], cand: { logTerm: 3, index: 2 }, grant: true },
    ];
    for (const [i, c] of cases.entries()) {
      const r = newTestRaft(1, { voters: [1, 2, 3], storage: storageWithLog(conf([1, 2, 3]), c.log) });
      r.step(message({ type: MessageType.Vote, from: 2, to: 1, term: 3, ...c.cand }));
      const [resp] = takeMessages(r);
      assert.equal(resp?.type, MessageType.VoteResp);
      assert.equal(resp.reject, !c.grant, `case ${i}`);
      assert.equal(r.vote, c.grant ? 2 : NONE, `case ${i}`);
    }
  });

  it('a member that missed committed entries cannot win an election', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(3);
    net.propose(1, 'committed');
    assert.equal(net.raft(2).raftLog.committed, 2);
    net.recover();
    net.isolate(1); // the leader crashes
    net.campaign(3);
    assert.equal(net.raft(3).state, StateType.Candidate, '2 refused it');
    net.campaign(2);
    assert.equal(net.leader(), 2);
    assert.equal(net.raft(2).term, 3);
    assert.equal(text(net.raft(3).raftLog.slice(2, 3)[0]), 'committed', 'the new leader gave 3 the committed entry');
  });

  describe('Figure 8: a leader does not commit an entry of an earlier term by counting replicas', () => {
    /**
     * Plays Figure 8 (a)-(c) on five members (ids 1-5 are S1-S5) and returns
     * the network at (c): S1 leads term 4 and has replicated the term-2 entry
     * at index 2 to S2 and S3, a majority, while its term-4 entry at index 3
     * has reached no one.
     */
    function figure8(unsafeS1 = false): Network {
      const net = new Network({
        voters: ids(5),
        ...(unsafeS1 ? { member: (id: NodeId) => (id === 1 ? { config: { unsafeCommitOlderTerms: true } } : undefined) } : {}),
      });
      // term 1: S2 leads and commits index 1 everywhere
      net.campaign(2);
      assert.deepEqual(ids(5).map((id) => net.raft(id).raftLog.committed), [1, 1, 1, 1, 1]);

      // (a) S1 leads term 2; its entry at index 2 reaches S2 only
      net.dropIf((m) => m.type === MessageType.App && m.from === 1 && m.to >= 3);
      net.campaign(1);
      assert.equal(net.leader(), 1);
      assert.equal(net.raft(1).term, 2);
      assert.deepEqual(ids(5).map((id) => logTerms(net.raft(id))), [[1, 2], [1, 2], [1], [1], [1]]);
      assert.equal(net.raft(1).raftLog.committed, 1);

      // (b) S1 crashes; S5 wins term 3 with votes from S3, S4, S5 and appends index 2 locally only
      net.recover();
      net.isolate(1);
      net.dropIf((m) => m.type === MessageType.App && m.from === 5);
      net.campaign(5);
      assert.equal(net.raft(5).state, StateType.Leader);
      assert.equal(net.raft(5).term, 3);
      assert.deepEqual(logTerms(net.raft(5)), [1, 3]);

      // (c) S5 crashes; S1 restarts and wins term 4 (term 3 is used up: S3, S4 voted for S5)
      net.recover();
      net.isolate(5);
      net.restart(1);
      net.dropIf((m) => m.type === MessageType.App && m.from === 1 && m.entries.some((e) => e.term === 4));
      net.campaign(1);
      assert.equal(net.raft(1).state, StateType.Candidate);
      net.campaign(1);
      assert.equal(net.leader(), 1);
      assert.equal(net.raft(1).term, 4);
      // S1 continues replicating: the term-2 entry reaches S3, and S2 confirms it has it
      const s1 = net.raft(1);
      const entry2 = s1.raftLog.slice(2, 3);
      net.send(message({ type: MessageType.App, from: 1, to: 3, term: 4, index: 1, logTerm: 1, entries: entry2, commit: 1 }));
      net.send(message({ type: MessageType.App, from: 1, to: 2, term: 4, index: 2, logTerm: 2, entries: [], commit: 1 }));
      assert.deepEqual(ids(5).map((id) => logTerms(net.raft(id))), [[1, 2, 4], [1, 2], [1, 2], [1], [1, 3]]);
      assert.equal(s1.trk.progress.get(2)?.match, 2);
      assert.equal(s1.trk.progress.get(3)?.match, 2);
      return net;
    }

    it('(c) the term-2 entry on a majority is not committed by the term-4 leader', () => {
      const net = figure8();
      assert.equal(net.raft(1).raftLog.committed, 1);
      assert.deepEqual(net.member(1).applied.map((e) => e.index), [1]);
    });

    it('(d) because S5 can still win and overwrite it', () => {
      const net = figure8();
      net.recover();
      net.isolate(1); // S1 crashes
      net.restart(5);
      net.campaign(5); // term 4: S2, S3, S4 already voted for S1
      assert.equal(net.raft(5).state, StateType.Follower);
      net.campaign(5); // term 5: S5's last term 3 beats S2's and S3's 2
      assert.equal(net.leader(), 5);
      assert.equal(net.raft(5).term, 5);
      for (const id of [2, 3, 4, 5]) {
        assert.deepEqual(logTerms(net.raft(id)), [1, 3, 5], `S${id}`);
        assert.equal(net.raft(id).raftLog.committed, 3, `S${id}`);
      }
      // nobody ever applied the overwritten entry
      for (const id of ids(5)) {
        assert.ok(!net.member(id).applied.some((e) => e.index === 2 && e.term === 2), `S${id}`);
      }
    });

    it('(e) once an entry of the current term is on a majority, it commits the older entry with it and S5 cannot win', () => {
      const net = figure8();
      net.recover();
      net.isolate(5);
      assert.equal(net.raft(1).raftLog.committed, 1);
      net.tick(1, HEARTBEAT_TICK); // heartbeats; the replies let S1 send index 3 again
      assert.equal(net.raft(1).raftLog.committed, 3, 'index 2 and 3 commit together');
      assert.deepEqual(net.member(1).applied.map((e) => [e.index, e.term]), [[1, 1], [2, 2], [3, 4]]);
      for (const id of [2, 3, 4]) assert.deepEqual(logTerms(net.raft(id)), [1, 2, 4], `S${id}`);

      net.recover();
      net.isolate(1);
      net.restart(5);
      net.campaign(5);
      net.campaign(5);
      assert.notEqual(net.raft(5).state, StateType.Leader);
      for (const id of [2, 3, 4]) assert.deepEqual(logTerms(net.raft(id)), [1, 2, 4], `S${id}`);
    });

    it('with the planted unsafeCommitOlderTerms bug, S1 applies an entry that S5 later overwrites', () => {
      const net = figure8(true);
      assert.equal(net.raft(1).raftLog.committed, 2, 'the unsafe rule counts replicas of the term-2 entry');
      net.recover();
      net.isolate(1);
      net.restart(5);
      net.campaign(5);
      net.campaign(5);
      assert.equal(net.leader(), 5);
      const s1Entry2 = net.member(1).applied.find((e) => e.index === 2);
      const s5Entry2 = net.member(5).applied.find((e) => e.index === 2);
      assert.deepEqual([s1Entry2?.term, s5Entry2?.term], [2, 3], 'two state machines applied different entries at index 2');
    });
  });
});

// ---- PreVote and CheckQuorum (thesis §9.6, §6.2) ----

describe('PreVote and CheckQuorum', () => {
  /** Member 3 is cut off while the others commit an entry, and ticks on its own for a while. */
  function partitionAndRejoin(o: { preVote?: boolean; checkQuorum?: boolean }): Network {
    const net = elected([1, 2, 3], 1, o);
    net.isolate(3);
    net.propose(1, 'while 3 was away');
    net.tick(3, 5 * ET);
    net.recover();
    return net;
  }

  it('with PreVote, a member that rejoins after a partition does not depose a healthy leader', () => {
    const net = elected([1, 2, 3], 1, { preVote: true });
    net.isolate(3);
    net.propose(1, 'while 3 was away');
    net.tick(3, 5 * ET);
    assert.equal(net.raft(3).state, StateType.PreCandidate);
    assert.equal(net.raft(3).term, 1, 'pre-votes never raise the term');
    assert.equal(count(net.lost, (m) => m.from === 3 && m.type === MessageType.Vote), 0);
    assert.ok(count(net.lost, (m) => m.from === 3 && m.type === MessageType.PreVote) >= 2);

    net.recover();
    net.tickAll(2 * ET);
    assert.equal(net.leader(), 1);
    for (const id of ids(3)) {
      assert.equal(net.raft(id).term, 1);
      assert.equal(net.raft(id).lead, 1);
    }
    assert.deepEqual(logTerms(net.raft(3)), logTerms(net.raft(1)));
  });

  it('without PreVote, the same rejoining member forces the cluster into a new term', () => {
    const net = partitionAndRejoin({});
    assert.ok(net.raft(3).term > 1);
    const l = tickUntilLeader(net, [1, 2, 3], net.raft(3).term);
    assert.notEqual(l, 3, 'its log is behind: it cannot win');
    assert.equal(net.raft(1).term, net.raft(l).term);
  });

  it('with CheckQuorum, a leader that loses its quorum steps down after an election timeout', () => {
    const net = elected([1, 2, 3], 1, { checkQuorum: true });
    net.isolate(1);
    net.tick(1, ET);
    assert.equal(net.raft(1).state, StateType.Leader, 'the followers were active during the first timeout');
    net.tick(1, ET);
    assert.equal(net.raft(1).state, StateType.Follower);
    assert.equal(net.raft(1).term, 1);
    assert.equal(net.raft(1).lead, NONE);
  });

  it('with CheckQuorum, a leader that hears from a quorum keeps leading', () => {
    const net = elected([1, 2, 3], 1, { checkQuorum: true });
    net.isolate(3);
    net.tickAll(10 * ET);
    assert.equal(net.leader(), 1);
    assert.equal(net.raft(1).term, 1);
    assert.equal(net.raft(2).term, 1);
  });

  it('with CheckQuorum, members that heard from the leader recently ignore Vote requests (leader lease)', () => {
    const net = elected([1, 2, 3], 1, { checkQuorum: true });
    net.trace.length = 0;
    net.campaign(3); // e.g. its clock ran fast
    assert.equal(net.raft(3).state, StateType.Candidate);
    assert.equal(net.raft(3).term, 2);
    assert.equal(count(net.trace, (m) => m.type === MessageType.VoteResp), 0, 'no answer at all');
    assert.equal(net.leader(), 1);
    assert.equal(net.raft(1).term, 1);
    assert.equal(net.raft(2).term, 1);
    assert.equal(net.raft(2).vote, 1);
  });

  it('a stale leader learns the new term when it next sends to the others, and steps down', () => {
    const net = elected([1, 2, 3], 1, { checkQuorum: true });
    net.isolate(1);
    const l = tickUntilLeader(net, [2, 3], 1);
    const term = net.raft(l).term;
    assert.equal(net.raft(1).state, StateType.Leader, 'the old leader has not noticed yet');
    assert.equal(net.raft(1).term, 1);

    net.recover();
    net.trace.length = 0;
    net.tick(1, HEARTBEAT_TICK); // one tick: well before its own CheckQuorum
    assert.equal(net.raft(1).state, StateType.Follower);
    assert.equal(net.raft(1).term, term);
    assert.ok(count(net.trace, (m) => m.type === MessageType.AppResp && m.to === 1 && m.term === term) >= 1);
    net.tick(l, HEARTBEAT_TICK);
    assert.equal(net.raft(1).lead, l);
  });
});

// ---- ReadIndex (thesis §6.4) ----

describe('ReadIndex', () => {
  it('a read on the leader returns a ReadState with the commit index once a quorum answers a heartbeat', () => {
    const net = elected([1, 2, 3], 1);
    net.propose(1, 'a');
    net.trace.length = 0;
    net.readIndex(1, 'r1');
    assert.deepEqual(net.member(1).readStates, [{ index: 2, requestCtx: 'r1' }]);
    assert.equal(count(net.trace, (m) => m.type === MessageType.Heartbeat && m.context === 'r1'), 2);
    assert.equal(count(net.trace, (m) => m.type === MessageType.App), 0, 'a read writes nothing to the log');
  });

  it("a read on a follower is forwarded and answered with the leader's commit index", () => {
    const net = elected([1, 2, 3], 1);
    net.propose(1, 'a');
    net.trace.length = 0;
    net.readIndex(2, 'r2');
    assert.deepEqual(net.member(2).readStates, [{ index: 2, requestCtx: 'r2' }]);
    assert.deepEqual(net.member(1).readStates, []);
    assert.deepEqual(
      net.trace.filter((m) => m.type === MessageType.ReadIndex || m.type === MessageType.ReadIndexResp).map((m) => [m.type, m.from, m.to]),
      [[MessageType.ReadIndex, 2, 1], [MessageType.ReadIndexResp, 1, 2]],
    );
  });

  it('a new leader serves no ReadIndex before it commits an entry of its own term', () => {
    const net = elected([1, 2, 3], 1);
    net.propose(1, 'a'); // index 2, committed in term 1
    net.ignore(MessageType.App);
    net.campaign(2);
    assert.equal(net.leader(), 2);
    assert.equal(net.raft(2).raftLog.committed, 2, 'its no-op at index 3 is not committed');
    net.readIndex(2, 'early');
    assert.deepEqual(net.member(2).readStates, [], 'index 2 might not be the latest commit');

    net.recover();
    net.tick(2, HEARTBEAT_TICK);
    assert.equal(net.raft(2).raftLog.committed, 3);
    assert.deepEqual(net.member(2).readStates, [{ index: 3, requestCtx: 'early' }]);
  });

  it('a partitioned old leader cannot complete a ReadIndex', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(1);
    net.readIndex(1, 'stale');
    net.campaign(2);
    net.propose(2, 'newer');
    net.tick(1, ET - 1);
    assert.deepEqual(net.member(1).readStates, []);

    net.recover();
    net.tick(1, HEARTBEAT_TICK); // its heartbeats carry the read, at the old term: ignored
    assert.deepEqual(net.member(1).readStates, []);
    net.tick(2, HEARTBEAT_TICK);
    assert.equal(net.raft(1).state, StateType.Follower);
    assert.equal(net.raft(1).term, 2);
    assert.deepEqual(net.member(1).readStates, []);
  });
});

// ---- Leader transfer (thesis §3.10) ----

describe('leader transfer', () => {
  for (const via of [1, 3]) {
    it(`to an up-to-date follower (asked ${via === 1 ? 'on the leader' : 'on a follower'}): TimeoutNow, new leader in term+1`, () => {
      const net = elected([1, 2, 3], 1);
      net.trace.length = 0;
      net.transferLeader(via, 2);
      assert.deepEqual(
        net.trace.filter((m) => m.type === MessageType.TimeoutNow).map((m) => [m.from, m.to, m.term]),
        [[1, 2, 1]],
      );
      assert.equal(net.leader(), 2);
      for (const id of ids(3)) {
        assert.equal(net.raft(id).term, 2);
        assert.equal(net.raft(id).lead, 2);
      }
      assert.equal(net.raft(1).state, StateType.Follower);
    });
  }

  it('to a lagging follower: the leader catches it up first', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(3);
    net.propose(1, 'a');
    net.propose(1, 'b');
    net.propose(1, 'c');
    net.recover();
    net.trace.length = 0;
    net.transferLeader(1, 3);
    const timeoutAt = net.trace.findIndex((m) => m.type === MessageType.TimeoutNow);
    const caughtUpAt = net.trace.findIndex((m) => m.type === MessageType.AppResp && m.from === 3 && !m.reject && m.index === 4);
    assert.ok(caughtUpAt >= 0 && timeoutAt > caughtUpAt, `caught up at ${caughtUpAt}, TimeoutNow at ${timeoutAt}`);
    assert.equal(net.leader(), 3);
    assert.equal(net.raft(3).term, 2);
    assert.deepEqual(logTerms(net.raft(3)), [1, 1, 1, 1, 2]);
  });

  it('proposals are dropped while a transfer is under way', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(3); // the transfer cannot finish
    net.transferLeader(1, 3);
    assert.equal(net.raft(1).leadTransferee, 3);
    const last = net.raft(1).raftLog.lastIndex();
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
    net.propose(2, 'y'); // forwarded, then refused by the leader
    assert.equal(net.droppedProposals.length, 1);
    assert.equal(net.droppedProposals[0]?.message.from, 2);
    assert.equal(net.raft(1).raftLog.lastIndex(), last);
  });

  it('a transfer that does not finish within an election timeout is abandoned', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(3);
    net.transferLeader(1, 3);
    net.tick(1, ET - 1);
    assert.equal(net.raft(1).leadTransferee, 3);
    net.tick(1);
    assert.equal(net.raft(1).leadTransferee, NONE);
    assert.equal(net.leader(), 1);
    net.propose(1, 'accepted again');
    assert.equal(text(net.member(2).applied.at(-1)), 'accepted again');
  });
});

// ---- Snapshots (§7) ----

describe('snapshots', () => {
  it('a follower behind the compaction point receives a snapshot, then appends new entries', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(3);
    for (const s of ['a', 'b', 'c', 'd', 'e']) net.propose(1, s);
    const leader = net.member(1);
    assert.equal(leader.appliedIndex, 6);
    leader.storage.createSnapshot(6, net.raft(1).trk.confState(), bytes('state@6'));
    leader.storage.compact(6);

    net.recover();
    net.trace.length = 0;
    net.tick(1, HEARTBEAT_TICK);
    assert.deepEqual(net.trace.filter((m) => m.type === MessageType.Snap).map((m) => [m.to, m.snapshot?.metadata.index]), [[3, 6]]);
    const f = net.member(3);
    assert.deepEqual(f.snapshots.map((s) => [s.metadata.index, s.metadata.term, decoder.decode(s.data)]), [[6, 1, 'state@6']]);
    assert.equal(f.storage.firstIndex(), 7);
    assert.equal(net.raft(3).raftLog.committed, 6);
    assert.equal(net.raft(1).trk.progress.get(3)?.match, 6);

    net.propose(1, 'after');
    assert.equal(net.raft(3).raftLog.lastIndex(), 7);
    assert.equal(net.raft(3).raftLog.committed, 7);
    assert.deepEqual(f.applied.map((e) => [e.index, text(e)]), [[1, ''], [7, 'after']]);
  });

  it('a leader restarted from storage keeps its term, vote, log and commit index', () => {
    const net = elected([1, 2, 3], 1);
    net.propose(1, 'a');
    net.propose(1, 'b');
    const before = net.member(1).node.status();
    const applied = net.member(1).applied.length;
    net.restart(1);
    const r = net.raft(1);
    assert.equal(r.state, StateType.Follower);
    assert.deepEqual([r.term, r.vote, r.raftLog.committed, r.raftLog.lastIndex()], [before.term, before.vote, before.commit, before.lastIndex]);
    assert.deepEqual(logTerms(r), [1, 1, 1]);
    assert.equal(r.raftLog.applied, 3, 'nothing is handed out to apply twice');

    net.campaign(1);
    assert.equal(net.leader(), 1);
    assert.equal(r.term, 2);
    assert.deepEqual(net.member(1).applied.slice(applied).map((e) => [e.index, e.term]), [[4, 2]]);
  });
});

// ---- Membership changes (§6, one member at a time as in thesis §4.1) ----

describe('membership', () => {
  /** Leader 1 of voters 1-3 has added member 4 as a learner. */
  function withLearner(): Network {
    const net = elected([1, 2, 3], 1);
    net.propose(1, 'a');
    net.addMember(4, conf([1, 2, 3], [4]));
    net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
    return net;
  }

  it('an added learner receives the whole log', () => {
    const net = withLearner();
    for (const id of ids(4)) assert.deepEqual(net.raft(id).trk.confState(), conf([1, 2, 3], [4]), `member ${id}`);
    assert.equal(net.raft(4).isLearner, true);
    assert.deepEqual(logTerms(net.raft(4)), logTerms(net.raft(1)));
    assert.equal(net.raft(4).raftLog.committed, 3);
    assert.deepEqual(net.member(4).applied.map((e) => [e.index, e.type]), [[1, EntryType.Normal], [2, EntryType.Normal], [3, EntryType.ConfChange]]);
  });

  it('a learner never campaigns and does not count toward a quorum', () => {
    const net = withLearner();
    net.isolate(4);
    net.tick(4, 10 * ET);
    assert.equal(net.raft(4).state, StateType.Follower);
    assert.equal(net.raft(4).term, 1);
    assert.equal(count(net.lost, (m) => m.from === 4), 0, 'it said nothing at all');

    net.recover();
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'b');
    assert.equal(net.raft(4).raftLog.lastIndex(), 4, 'the learner stored it');
    assert.equal(net.raft(1).raftLog.committed, 3, 'leader + learner is not a quorum of voters');
  });

  it('a candidate does not ask a learner for its vote', () => {
    const net = withLearner();
    net.trace.length = 0;
    net.campaign(2);
    assert.equal(net.leader(), 2);
    assert.deepEqual(net.trace.filter((m) => m.type === MessageType.Vote).map((m) => m.to), [1, 3]);
    assert.equal(net.raft(4).lead, 2);
  });

  it('a promoted learner votes and can lead', () => {
    const net = withLearner();
    net.proposeConfChange(1, { type: 'addNode', nodeId: 4 });
    for (const id of ids(4)) assert.deepEqual(net.raft(id).trk.confState(), conf([1, 2, 3, 4]), `member ${id}`);
    assert.equal(net.raft(4).isLearner, false);
    net.campaign(4);
    assert.equal(net.leader(), 4);
    assert.equal(net.raft(4).term, 2);
  });

  it('after a member is removed, the remaining voters form the quorum', () => {
    const net = elected([1, 2, 3], 1);
    net.proposeConfChange(1, { type: 'removeNode', nodeId: 3 });
    assert.deepEqual(net.raft(1).trk.confState(), conf([1, 2]));
    assert.deepEqual(net.raft(2).trk.confState(), conf([1, 2]));
    net.isolate(3);
    net.propose(1, 'two of two');
    assert.equal(net.raft(1).raftLog.committed, 3);
    assert.equal(text(net.member(2).applied.at(-1)), 'two of two');
  });

  it('a removed leader steps down and the others elect a new one', () => {
    const net = elected([1, 2, 3], 1);
    net.proposeConfChange(1, { type: 'removeNode', nodeId: 1 });
    assert.equal(net.raft(1).state, StateType.Follower);
    const l = tickUntilLeader(net, [1, 2, 3], 1);
    assert.ok(l === 2 || l === 3);
    assert.deepEqual(net.raft(l).trk.confState(), conf([2, 3]));
    assert.equal(net.raft(1).state, StateType.Follower, 'no longer a voter: it never campaigns');
  });

  it('a second conf change proposed before the first is applied becomes an empty normal entry', () => {
    const net = elected([1, 2, 3], 1);
    net.isolate(2);
    net.isolate(3);
    net.proposeConfChange(1, { type: 'addLearner', nodeId: 4 });
    net.proposeConfChange(1, { type: 'addLearner', nodeId: 5 });
    const r = net.raft(1);
    assert.deepEqual(r.raftLog.slice(2, 4).map((e) => [e.index, e.type, e.data.length > 0]), [
      [2, EntryType.ConfChange, true],
      [3, EntryType.Normal, false],
    ]);

    net.recover();
    net.tick(1, HEARTBEAT_TICK);
    assert.equal(r.raftLog.committed, 3);
    assert.deepEqual(r.trk.confState(), conf([1, 2, 3], [4]));
  });

  it('of two conf changes in one proposal, only the first is kept', () => {
    const r = newLeader([1, 2, 3]);
    r.step(prop(1, confChange({ type: 'addLearner', nodeId: 4 }), confChange({ type: 'addLearner', nodeId: 5 })));
    assert.deepEqual(r.raftLog.slice(2, 4).map((e) => [e.index, e.type]), [
      [2, EntryType.ConfChange],
      [3, EntryType.Normal],
    ]);
    assert.equal(r.pendingConfIndex, 2);
  });
});

// ---- the harness itself ----

describe('test network', () => {
  it('drop(from, to, p) loses a seeded share of the messages, the same ones for the same seed', () => {
    const lostCount = (seed: number): number[] => {
      const net = elected([1, 2, 3], 1, { seed });
      net.drop(1, 2, 0.5);
      net.tickAll(10 * ET);
      return net.lost.filter((m) => m.from === 1 && m.to === 2).map((m) => net.lost.indexOf(m));
    };
    const a = lostCount(7);
    assert.deepEqual(lostCount(7), a);
    assert.ok(a.length > 10 * ET * 0.3 && a.length < 10 * ET * 0.7, `${a.length} of ${10 * ET} lost`);
  });
});
