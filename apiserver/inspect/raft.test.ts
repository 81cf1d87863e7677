/**
 * The Raft part of the inspection API through a real API server over a real
 * 3-member kubeling store: the members and their roles, leadership
 * transfer, the watch WebSocket, and stopping and starting a member through
 * the supervisor (cli/supervisor.ts, here holding the test cluster's member
 * processes as `kubeling up` holds its own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSupervisor, type Supervisor } from '../../cli/supervisor.js';
import { until } from '../../test/proc.js';
import { startApiServer } from '../server.js';
import { uiServer } from './index.js';
import { raftPart, type RaftMember, type RaftState } from './raft.js';
import { UiTestServer, type Answer } from './testing/server.js';

describe('the inspection API: raft', () => {
  let t: UiTestServer;
  let supervisor: Supervisor;
  before(async () => {
    t = await UiTestServer.start(async (_store, cluster) => {
      supervisor = await startSupervisor(
        cluster.members.map((m) => ({
          name: m.name,
          running: () => m.proc !== undefined,
          stop: () => cluster.kill(m, 'SIGTERM'),
          start: () => cluster.restart(m),
        })),
      );
      const part = raftPart({ endpoints: cluster.members.map((m) => m.clientUrl), supervisor: { url: supervisor.url, token: supervisor.token } });
      return {
        parts: [part],
        close: async () => {
          part.close();
          await supervisor.close();
        },
      };
    });
  });
  after(() => t?.stop());

  const state = async (): Promise<RaftState> => {
    const r = await t.call('GET', '/ui/api/raft', undefined, 'viewer');
    assert.equal(r.code, 200, JSON.stringify(r.body));
    return r.body as RaftState;
  };
  /** The state once every member answers and one leads. */
  const settled = (): Promise<RaftState> => until('every member reachable under one leader', async () => {
    const s = await state();
    return s.members.every((m) => m.reachable && m.leader === s.leader) && s.leader ? s : undefined;
  }, 30_000);

  it('lists the members with their roles: one leader that every member knows, in one term', async () => {
    const s = await settled();
    assert.deepEqual(s.members.map((m) => m.name), ['m1', 'm2', 'm3'], 'in name order');
    assert.equal(s.canStopMembers, true);
    const leaders = s.members.filter((m) => m.role === 'leader');
    assert.equal(leaders.length, 1);
    assert.equal(leaders[0]!.id, s.leader);
    assert.deepEqual(s.members.filter((m) => m.role === 'follower').length, 2);
    for (const m of s.members) {
      assert.match(m.id, /^\d+$/);
      assert.equal(m.term, leaders[0]!.term);
      assert.ok(m.commitIndex! > 0 && m.appliedIndex! > 0 && m.dbSize! > 0, JSON.stringify(m));
      assert.deepEqual([m.clientURLs, m.isLearner, m.stopped, m.error], [[t.cluster.members.find((x) => x.name === m.name)!.clientUrl], false, false, undefined]);
      assert.equal(m.peerURLs.length, 1);
    }
  });

  it('move-leader hands leadership to the member named, for admins only', async () => {
    const s = await settled();
    const to = s.members.find((m) => m.role === 'follower')!.id;
    const refused = await t.call('POST', '/ui/api/raft/move-leader', { to }, 'viewer');
    assert.deepEqual([refused.code, refused.body.reason], [403, 'Forbidden']);
    const bad = await t.call('POST', '/ui/api/raft/move-leader', { to: '12345' });
    assert.deepEqual([bad.code, bad.body.reason], [400, 'BadRequest']);

    const moved = await t.call('POST', '/ui/api/raft/move-leader', { to });
    assert.equal(moved.code, 200, JSON.stringify(moved.body));
    const after = await until('the new leader', async () => {
      const n = await state();
      return n.leader === to && n.members.filter((m) => m.role === 'leader').length === 1 ? n : undefined;
    });
    assert.ok(after.members.find((m) => m.id === to)!.term! > s.members[0]!.term!, 'a transfer is an election: a new term');
  });

  it('the watch sends the state at once and again when it changes; a member stopped through the supervisor and started again', async () => {
    const ws = await t.socket('/ui/api/raft/watch', 'viewer');
    try {
      const first = (await ws.next(() => true)) as RaftState;
      assert.equal(first.members.length, 3);
      const s = await settled();
      const victim = s.members.find((m) => m.role === 'follower')!;

      const refused = await t.call('POST', `/ui/api/raft/members/${victim.name}/stop`, undefined, 'viewer');
      assert.equal(refused.code, 403);
      const stopped = await t.call('POST', `/ui/api/raft/members/${victim.name}/stop`);
      assert.equal(stopped.code, 200, JSON.stringify(stopped.body));
      const gone = (stopped.body as RaftState).members.find((m) => m.name === victim.name)!;
      assert.deepEqual([gone.reachable, gone.role, gone.stopped], [false, 'unreachable', true]);
      assert.ok(gone.error, 'why it is unreachable');
      const seen = ws.messages.length;
      await ws.next((m: RaftState) => m.members.some((x: RaftMember) => x.name === victim.name && x.role === 'unreachable' && x.stopped === true));
      assert.ok(ws.messages.length >= seen);

      const started = await t.call('POST', `/ui/api/raft/members/${victim.name}/start`);
      assert.equal(started.code, 200);
      assert.equal((started.body as RaftState).members.find((m) => m.name === victim.name)!.stopped, false);
      await ws.next((m: RaftState) => m.members.every((x: RaftMember) => x.reachable && x.stopped === false), 0, 30_000);
      await settled();

      const unknown: Answer = await t.call('POST', '/ui/api/raft/members/m9/stop');
      assert.deepEqual([unknown.code, unknown.body.reason], [404, 'NotFound']);
    } finally {
      ws.close();
    }
  });

  it('without a supervisor, members cannot be stopped: 503, and canStopMembers is false', async () => {
    const part = raftPart({ endpoints: t.cluster.members.map((m) => m.clientUrl) });
    const api = await startApiServer(t.store, { ui: uiServer([part]) });
    try {
      const base = `http://127.0.0.1:${api.port}`;
      const r = await fetch(`${base}/ui/api/raft/members/m1/stop`, { method: 'POST' });
      const body = (await r.json()) as { reason: string };
      assert.deepEqual([r.status, body.reason], [503, 'ServiceUnavailable']);
      assert.equal(((await (await fetch(`${base}/ui/api/raft`)).json()) as RaftState).canStopMembers, false);
    } finally {
      part.close();
      await api.close();
    }
  });
});
