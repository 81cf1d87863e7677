/**
 * The store explorer (#/store?key=K&revision=R): the key tree (tree.ts), the
 * key panel (keypanel.ts), and the live view: WebSocket
 * /ui/api/store/watch flashes the tree nodes of changed keys, keeps the
 * counts current, reloads the open key when it changes and lists the latest
 * changes. A key created in the panel opens at once, in the panel and the
 * tree.
 */
import { LiveSocket, query } from '../api.js';
import { h, render } from '../h.js';
import { href } from '../router.js';
import type { StoreEvent } from '../types.js';
import { checkbox, clock, liveBadge, problem, toast, viewHeading, type View, type ViewContext } from '../ui.js';
import { KeyPanel } from './keypanel.js';
import { KeyTree } from './tree.js';

/** How many changes the "Recent changes" list keeps, and shows. */
const RECENT = 300;
const SHOWN = 50;

/** The store explorer view. */
export function storeView(ctx: ViewContext): View {
  let revision = 0;
  let live = true;
  let socket: LiveSocket | undefined;
  const recent: (StoreEvent & { at: number })[] = [];

  const revEl = h('span', { class: 'pill', 'data-testid': 'store-revision', 'aria-live': 'off' }, 'revision –');
  const liveEl = h('span', { class: 'live-slot' });
  const setRevision = (r: number): void => {
    if (r <= revision) return;
    revision = r;
    revEl.textContent = `revision ${r}`;
  };
  const showLive = (): void => render(liveEl, liveBadge(!live ? 'off' : (socket?.state ?? 'connecting')));

  const panel = new KeyPanel(ctx, {
    newKeyPrefix: () => tree.currentPrefix(),
    onCreated: (key) => {
      const next = href('store', { key });
      // apply() shows it, at the hash change; without one (the key was open already, as missing), at once
      if (location.hash === next) apply(new URLSearchParams({ key }));
      else location.hash = next;
    },
  });
  const tree = new KeyTree({
    onOpen: (key) => {
      location.hash = href('store', { key });
    },
    onRevision: setRevision,
    onError: (e) => toast(`Listing keys failed: ${e instanceof Error ? e.message : String(e)}`, 'error'),
  });
  const treeBox = h('div', { class: 'tree-box' }, h('p', { class: 'muted' }, 'Loading keys…'));
  const changesList = h('ol', { class: 'changes', 'data-testid': 'store-changes' });
  let leases = false; // lease renewals (heartbeats, leader election) are most of the changes: hidden unless asked for

  const el = h(
    'section',
    { class: 'view store-view', 'data-testid': 'store-view' },
    viewHeading(
      'Store',
      revEl,
      liveEl,
      checkbox(
        'Live',
        live,
        (v) => {
          live = v;
          if (v) connect();
          else {
            socket?.close();
            socket = undefined;
          }
          showLive();
        },
        'store-live-toggle',
      ),
    ),
    h(
      'div',
      { class: 'split' },
      h('nav', { class: 'tree-pane', 'aria-label': 'Key tree' }, treeBox, h(
          'section',
          { class: 'changes-box', 'aria-labelledby': 'changes-title' },
          h('h2', { id: 'changes-title' }, 'Recent changes'),
          checkbox(
            'Include leases',
            leases,
            (v) => {
              leases = v;
              renderChanges();
            },
            'store-changes-leases',
          ),
          changesList,
        )),
      panel.el,
    ),
  );

  const renderChanges = (): void => {
    const shown = recent.filter((c) => leases || !c.key.startsWith('/registry/leases/')).slice(0, SHOWN);
    if (shown.length === 0) return render(changesList, h('li', { class: 'muted' }, live ? 'Changes appear here as they happen.' : 'Live updates are paused.'));
    render(
      changesList,
      shown.map((c) =>
        h(
          'li',
          { 'data-testid': 'store-change', 'data-type': c.type, 'data-key': c.key },
          h('a', { href: href('store', { key: c.key }), class: 'change-link', 'data-focus': `change-${c.modRevision}-${c.key}` }, h('span', { class: `badge ${c.type === 'delete' ? 'warn' : c.version === 1 ? 'ok' : ''}` }, c.type === 'delete' ? 'delete' : c.version === 1 ? 'create' : 'put'), ' ', h('code', null, c.key)),
          h('span', { class: 'muted small' }, ` rev ${c.modRevision} · ${clock(c.at)}`),
        ),
      ),
    );
  };

  function connect(): void {
    socket?.close();
    // a reconnection resumes after the last revision seen; if that fails (compacted), from now
    let after = 0;
    socket = new LiveSocket(() => `/ui/api/store/watch${query({ prefix: '/', revision: after || undefined })}`, {
      onOpen: showLive,
      onDown: (wasOpen) => {
        if (!wasOpen) after = 0;
        showLive();
      },
      onMessage: (text) => {
        let ev: StoreEvent;
        try {
          ev = JSON.parse(text) as StoreEvent;
        } catch {
          return;
        }
        setRevision(ev.modRevision);
        after = Math.max(after, ev.modRevision);
        tree.onEvent(ev);
        panel.onEvent(ev);
        recent.unshift({ ...ev, at: Date.now() });
        recent.length = Math.min(recent.length, RECENT);
        scheduleChanges();
      },
    });
    showLive();
  }
  let changesQueued = false;
  const scheduleChanges = (): void => {
    if (changesQueued) return;
    changesQueued = true;
    window.setTimeout(() => {
      changesQueued = false;
      renderChanges();
    }, 200);
  };

  const apply = (params: URLSearchParams): void => {
    const key = params.get('key') ?? undefined;
    const r = Number(params.get('revision'));
    panel.show(key, params.get('revision') && Number.isInteger(r) && r > 0 ? r : undefined);
    if (key) void tree.reveal(key);
    else tree.select(undefined);
  };

  renderChanges();
  tree.load().then(
    () => {
      render(treeBox, tree.el);
      apply(ctx.params);
      connect();
    },
    (e: unknown) => {
      render(treeBox, problem(e, 'The store explorer', '/ui/api/store/tree'));
      render(liveEl);
      panel.el.hidden = true;
    },
  );
  showLive();

  return {
    el,
    update: apply,
    destroy() {
      socket?.close();
      tree.destroy();
      panel.destroy();
    },
  };
}
