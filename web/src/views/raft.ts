/**
 * The Raft view (#/raft): each store member with its role, term, commit and
 * applied index and its log position against the furthest commit; leader
 * changes and elections as they happen (raftevents.ts); for an admin,
 * buttons to move leadership to a member, and to stop and restart members
 * (when `kubeling up`'s supervisor is there), each after a confirmation.
 * Live over WebSocket /ui/api/raft/watch, polling GET /ui/api/raft while the
 * socket is down.
 */
import { describeError, get, isNotFound, LiveSocket, request } from '../api.js';
import { h, render } from '../h.js';
import { isLeaderId, leaderOf, maxTerm, raftEvents, type RaftEvent } from '../raftevents.js';
import type { RaftMember, RaftState } from '../types.js';
import { bytes, clock, confirmDialog, errorBox, liveBadge, toast, unavailable, viewHeading, type View, type ViewContext } from '../ui.js';

const POLL_MS = 1000;
const MAX_EVENTS = 200;

/** The Raft view. */
export function raftView(ctx: ViewContext): View {
  let state: RaftState | undefined;
  let error: unknown;
  let gone = false; // the endpoint answered 404
  let noLeaderSince: number | undefined;
  const events: (RaftEvent & { at: number })[] = [];
  const busy = new Set<string>();

  const liveEl = h('span', { class: 'live-slot' });
  const summary = h('div', { class: 'raft-summary', 'data-testid': 'raft-summary', 'aria-live': 'polite' });
  const members = h('div', { class: 'members', 'data-testid': 'raft-members' });
  const log = h('ol', { class: 'events', 'data-testid': 'raft-events', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const body = h('div', null, summary, members, h('section', { class: 'events-box', 'aria-labelledby': 'raft-events-title' }, h('h2', { id: 'raft-events-title' }, 'Leader changes and elections'), log));
  const el = h(
    'section',
    { class: 'view raft-view', 'data-testid': 'raft-view' },
    viewHeading('Raft', liveEl),
    h('p', { class: 'lead' }, 'The store members as the API server sees them (etcd’s Status and MemberList). ', ctx.admin ? 'Stop the leader to watch an election, or move leadership by hand.' : 'Admins can move leadership and stop members here.'),
    body,
  );

  const accept = (next: RaftState): void => {
    const now = Date.now();
    const hadLeader = state ? leaderOf(state) !== undefined : true;
    const hasLeader = leaderOf(next) !== undefined;
    const evs = raftEvents(state, next, !hadLeader && hasLeader && noLeaderSince !== undefined ? now - noLeaderSince : undefined);
    if (!hasLeader) noLeaderSince ??= now;
    else noLeaderSince = undefined;
    for (const e of [...evs].reverse()) events.unshift({ ...e, at: now }); // newest batch on top, in its own order
    events.length = Math.min(events.length, MAX_EVENTS);
    state = next;
    error = undefined;
    draw(evs.length > 0);
  };

  const draw = (eventsChanged = true): void => {
    render(liveEl, liveBadge(gone ? 'unavailable' : socket.state === 'open' ? 'open' : 'polling'));
    if (gone) return render(body, unavailable('The Raft view', '/ui/api/raft'), h('button', { class: 'button', onclick: () => retry() }, 'Try again'));
    if (!state) return render(summary, error !== undefined ? errorBox(error, 'Reading the members') : h('p', { class: 'muted' }, 'Loading…'));
    const s = state;
    const leader = leaderOf(s);
    const reachable = s.members.filter((m) => m.reachable).length;
    const voters = s.members.filter((m) => !m.isLearner).length;
    const quorum = Math.floor(voters / 2) + 1;
    render(
      summary,
      error !== undefined ? errorBox(error, 'Refreshing') : null,
      h(
        'dl',
        { class: 'stats' },
        h('div', null, h('dt', null, 'Leader'), h('dd', { 'data-testid': 'raft-leader' }, leader ? leader.name : h('span', { class: 'badge warn' }, noLeaderSince ? `none for ${Math.round((Date.now() - noLeaderSince) / 100) / 10} s` : 'none'))),
        h('div', null, h('dt', null, 'Term'), h('dd', { 'data-testid': 'raft-term' }, maxTerm(s))),
        h('div', null, h('dt', null, 'Reachable'), h('dd', null, `${reachable} of ${s.members.length}`)),
        h('div', null, h('dt', null, 'Quorum'), h('dd', null, reachable >= quorum ? `ok (${quorum} needed)` : h('span', { class: 'badge error' }, `lost (${quorum} needed)`))),
      ),
    );
    const top = Math.max(1, ...s.members.map((m) => m.commitIndex ?? 0));
    render(
      members,
      [...s.members].sort((a, b) => a.name.localeCompare(b.name)).map((m) => card(m, s, top)),
    );
    if (eventsChanged) {
      render(
        log,
        events.length === 0
          ? h('li', { class: 'muted' }, 'Nothing yet.')
          : events.map((e) => h('li', { class: `event event-${e.kind}`, 'data-testid': 'raft-event', 'data-kind': e.kind }, h('time', { class: 'muted small' }, clock(e.at)), ' ', e.text)),
      );
    }
  };

  /** Whether a member is stopped: as the supervisor says, or else when it does not answer. */
  const stopped = (m: RaftMember): boolean => m.stopped ?? !m.reachable;

  const card = (m: RaftMember, s: RaftState, top: number): HTMLElement => {
    const isLeader = leaderOf(s)?.id === m.id;
    const applied = m.appliedIndex ?? 0;
    const commit = m.commitIndex ?? 0;
    const actions: HTMLElement[] = [];
    if (ctx.admin) {
      const pending = busy.has(m.name);
      if (m.reachable && !isLeader && !m.isLearner && isLeaderId(s.leader ?? leaderOf(s)?.id)) {
        actions.push(h('button', { class: 'button', disabled: pending, 'data-testid': 'raft-transfer', 'data-focus': `transfer-${m.id}`, onclick: () => void transfer(m) }, 'Make leader'));
      }
      if (s.canStopMembers) {
        if (!stopped(m)) actions.push(h('button', { class: 'button danger', disabled: pending, 'data-testid': 'raft-stop', 'data-focus': `stop-${m.id}`, onclick: () => void stopStart(m, 'stop') }, 'Stop'));
        else actions.push(h('button', { class: 'button primary', disabled: pending, 'data-testid': 'raft-start', 'data-focus': `start-${m.id}`, onclick: () => void stopStart(m, 'start') }, 'Start'));
      }
    }
    return h(
      'article',
      { class: `card member role-${m.role}`, 'data-testid': 'raft-member', 'data-name': m.name, 'data-role': m.role, 'data-stopped': String(stopped(m)), 'aria-labelledby': `member-${m.id}` },
      h(
        'header',
        { class: 'card-head' },
        h('h3', { id: `member-${m.id}` }, m.name, m.isLearner ? ' (learner)' : ''),
        h('span', { class: `badge role role-${m.role}`, 'data-testid': 'raft-role' }, m.role),
        isLeader ? h('span', { class: 'badge leader', 'data-testid': 'leader-badge', title: 'the current leader' }, h('span', { 'aria-hidden': 'true' }, '★'), h('span', { class: 'sr-only' }, 'current leader')) : null,
        m.stopped ? h('span', { class: 'badge warn', 'data-testid': 'member-stopped' }, 'stopped') : null,
      ),
      h(
        'dl',
        { class: 'kv' },
        h('div', { class: 'wide' }, h('dt', null, 'id'), h('dd', null, h('code', null, m.id))),
        h('div', null, h('dt', null, 'term'), h('dd', { 'data-testid': 'member-term' }, m.term ?? '–')),
        h('div', null, h('dt', null, 'commit'), h('dd', { 'data-testid': 'member-commit' }, m.commitIndex ?? '–')),
        h('div', null, h('dt', null, 'applied'), h('dd', { 'data-testid': 'member-applied' }, m.appliedIndex ?? '–')),
        h('div', null, h('dt', null, 'db size'), h('dd', null, bytes(m.dbSize))),
        h('div', { class: 'wide' }, h('dt', null, 'client'), h('dd', { class: 'wrap' }, m.clientURLs.join(', ') || '–')),
      ),
      m.reachable
        ? h(
            'div',
            { class: 'logpos' },
            h('label', { class: 'small muted', for: `log-${m.id}` }, `log: applied ${applied} of commit ${commit}${top > commit ? `, ${top - commit} behind the furthest commit` : ''}`),
            h('meter', { id: `log-${m.id}`, min: '0', max: String(top), value: String(applied), 'data-testid': 'member-log' }),
          )
        : null,
      m.error ? h('p', { class: 'error-text small' }, m.error) : null,
      actions.length > 0 ? h('div', { class: 'actions' }, actions) : null,
    );
  };

  const act = async (m: RaftMember, what: string, f: () => Promise<unknown>): Promise<void> => {
    busy.add(m.name);
    draw(false);
    try {
      const answer = await f();
      toast(`${what}: done`);
      // the POSTs answer with the new state
      if (answer && typeof answer === 'object' && Array.isArray((answer as RaftState).members)) accept(answer as RaftState);
      else void refresh();
    } catch (e) {
      toast(`${what} failed: ${describeError(e)}`, 'error');
    } finally {
      busy.delete(m.name);
      draw(false);
    }
  };

  const transfer = async (m: RaftMember): Promise<void> => {
    const ok = await confirmDialog({ title: `Make ${m.name} the leader?`, body: h('p', null, 'The current leader hands leadership over to ', h('strong', null, m.name), ' (etcd’s MoveLeader); writes pause for a moment.'), confirm: 'Move leadership' });
    if (ok) await act(m, `Moving leadership to ${m.name}`, () => request('POST', '/ui/api/raft/move-leader', { to: m.id }));
  };

  const stopStart = async (m: RaftMember, op: 'stop' | 'start'): Promise<void> => {
    if (op === 'stop') {
      const leader = leaderOf(state!)?.id === m.id;
      const ok = await confirmDialog({
        title: `Stop ${m.name}?`,
        body: h('p', null, `kubeling up’s supervisor stops this store member. `, leader ? 'It is the leader: the others will elect a new one, which the event list shows.' : 'The others carry on while a quorum is left.'),
        confirm: 'Stop',
        danger: true,
      });
      if (!ok) return;
    }
    await act(m, `${op === 'stop' ? 'Stopping' : 'Starting'} ${m.name}`, () => request('POST', `/ui/api/raft/members/${encodeURIComponent(m.name)}/${op}`));
  };

  const refresh = async (): Promise<void> => {
    try {
      accept(await get<RaftState>('/ui/api/raft'));
    } catch (e) {
      if (isNotFound(e)) {
        gone = true;
        socket.close();
      }
      error = e;
      draw(false);
    }
  };

  const connect = (): LiveSocket =>
    new LiveSocket(() => '/ui/api/raft/watch', {
      onMessage: (text) => {
        try {
          accept(JSON.parse(text) as RaftState);
        } catch {
          // not a state: ignore
        }
      },
      onOpen: () => draw(false),
      onDown: () => draw(false),
    });
  let socket = connect();
  const retry = (): void => {
    gone = false;
    render(body, summary, members, log.parentElement!);
    socket.close();
    socket = connect();
    void refresh();
  };
  const poll = window.setInterval(() => {
    if (!gone && socket.state !== 'open') void refresh();
    else if (noLeaderSince !== undefined) draw(false); // keep "none for N s" counting
  }, POLL_MS);
  void refresh();
  draw();

  return {
    el,
    destroy() {
      window.clearInterval(poll);
      socket.close();
    },
  };
}
