import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, MessageType, coalesceAppends, message, type Entry, type Message, type Raft } from './index.js';
import { Network, bytes, newTestRaft, takeMessages } from './testing/network.js';
import { ProposalDroppedError } from './raft.js';

function ent(index: number, term: number, s = `e${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: bytes(s) };
}

function app(to: number, index: number, logTerm: number, entries: Entry[], commit: number, term = 2): Message {
  return message({ type: MessageType.App, from: 1, to, term, index, logTerm, entries, commit });
}

function shape(ms: readonly Message[]): [MessageType, number, number, number[], number][] {
  return ms.map((m) => [m.type, m.to, m.index, m.entries.map((e) => e.index), m.commit]);
}

/** A leader of term 1 over voters 1..3 with both followers replicating from index 2. */
function replicatingLeader(): Raft {
  const r = newTestRaft(1, { voters: [1, 2, 3] });
  r.becomeCandidate();
  r.becomeLeader();
  takeMessages(r);
  for (const from of [2, 3]) r.step(message({ type: MessageType.AppResp, from, to: 1, term: 1, index: 1 }));
  takeMessages(r);
  return r;
}

describe('coalesceAppends', () => {
  it('merges each follower\'s consecutive appends into one, keeping the latest commit', () => {
    const msgs = [
      app(2, 5, 2, [ent(6, 2)], 4),
      app(3, 5, 2, [ent(6, 2)], 4),
      app(2, 6, 2, [ent(7, 2), ent(8, 2)], 5),
      app(3, 6, 2, [ent(7, 2), ent(8, 2)], 5),
      app(2, 8, 2, [], 8), // an empty append that only moves the commit index
    ];
    assert.deepEqual(shape(coalesceAppends(msgs, 1 << 20)), [
      [MessageType.App, 2, 5, [6, 7, 8], 8],
      [MessageType.App, 3, 5, [6, 7, 8], 5],
    ]);
  });

  it('leaves appends that do not continue the previous one, or that follow another message, alone', () => {
    const hb = message({ type: MessageType.Heartbeat, from: 1, to: 2, term: 2, commit: 4 });
    const cases: [string, Message[]][] = [
      ['a gap', [app(2, 5, 2, [ent(6, 2)], 4), app(2, 7, 2, [ent(8, 2)], 4)]],
      ['another previous term', [app(2, 5, 2, [ent(6, 2)], 4), app(2, 6, 1, [ent(7, 2)], 4)]],
      ['another message term', [app(2, 5, 2, [ent(6, 2)], 4), app(2, 6, 2, [ent(7, 3)], 4, 3)]],
      ['a heartbeat between', [app(2, 5, 2, [ent(6, 2)], 4), hb, app(2, 6, 2, [ent(7, 2)], 4)]],
      ['a probe', [message({ type: MessageType.AppResp, from: 1, to: 2, term: 2 }), app(2, 6, 2, [ent(7, 2)], 4)]],
    ];
    for (const [name, msgs] of cases) assert.deepEqual(coalesceAppends(msgs, 1 << 20), msgs, name);
  });

  it('stops merging at maxBytes of entry data', () => {
    const big = (i: number): Entry => ent(i, 2, 'x'.repeat(400));
    const msgs = [app(2, 5, 2, [big(6)], 4), app(2, 6, 2, [big(7)], 4), app(2, 7, 2, [big(8)], 4)];
    assert.deepEqual(shape(coalesceAppends(msgs, 800)), [
      [MessageType.App, 2, 5, [6, 7], 4],
      [MessageType.App, 2, 7, [8], 4],
    ]);
  });

  it('a leader\'s proposals of one turn reach each follower as one append, answered once', () => {
    const leader = replicatingLeader();
    for (const s of ['a', 'b', 'c']) leader.step(message({ type: MessageType.Prop, from: 1, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: bytes(s) }] }));
    const sent = takeMessages(leader);
    assert.equal(sent.length, 6, 'one append per proposal per follower');
    const merged = coalesceAppends(sent, 1 << 20);
    assert.deepEqual(shape(merged), [
      [MessageType.App, 2, 1, [2, 3, 4], 1],
      [MessageType.App, 3, 1, [2, 3, 4], 1],
    ]);
    // a follower with the leader's first entry accepts the merged append whole
    const follower = newTestRaft(2, { voters: [1, 2, 3] });
    follower.step(app(2, 0, 0, [ent(1, 1, '')], 0, 1));
    takeMessages(follower);
    const m = merged[0];
    assert.ok(m);
    follower.step(m);
    const answers = takeMessages(follower);
    assert.deepEqual(answers.map((a) => [a.type, a.index, a.reject]), [[MessageType.AppResp, 4, false]]);
    assert.deepEqual(follower.raftLog.slice(2, 5).map((e) => new TextDecoder().decode(e.data)), ['a', 'b', 'c']);
    // the one answer frees the leader's window and commits all three
    const answer = answers[0];
    assert.ok(answer);
    leader.step(answer);
    assert.equal(leader.raftLog.committed, 4);
  });
});

describe('RawNode.proposeAll', () => {
  it('sends a follower\'s proposals to the leader as one MsgProp, appended and replicated together', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.trace.length = 0;
    net.input(2, (node) => node.proposeAll(['a', 'b', 'c'].map(bytes)));
    const props = net.trace.filter((m) => m.type === MessageType.Prop);
    assert.deepEqual(props.map((m) => [m.from, m.to, m.entries.length]), [[2, 1, 3]]);
    const apps = net.trace.filter((m) => m.type === MessageType.App && m.entries.length > 0);
    assert.deepEqual(apps.map((m) => [m.to, m.entries.length]), [[2, 3], [3, 3]]);
    for (const id of [1, 2, 3]) {
      assert.deepEqual(net.member(id).applied.slice(-3).map((e) => new TextDecoder().decode(e.data)), ['a', 'b', 'c']);
    }
  });

  it('refuses them all when there is no leader', () => {
    const net = new Network({ voters: [1, 2, 3] });
    assert.throws(() => net.input(1, (node) => node.proposeAll([bytes('a'), bytes('b')])), ProposalDroppedError);
    net.campaign(1);
    assert.equal(net.member(1).applied.filter((e) => e.data.length > 0).length, 0);
  });
});
