/**
 * The flow view (#/flow?pod=NS/NAME&object=TEXT&component=C): the control
 * plane at work, as the API server's flow recorder saw it: each write with
 * the component that made it, the watch events it caused and which
 * component reacted (chain.ts), newest first, filtered by object and
 * component; and "follow a pod": the chain from the Deployment write to
 * the kubelet reporting Running, with the time of each step and the gaps.
 * Entries come from GET /ui/api/flow, then WebSocket /ui/api/flow/watch
 * (polling GET while the socket is down).
 */
import { get, isNotFound, LiveSocket, query } from '../api.js';
import { baseComponent, componentKind, createdPods, followPod, formatMs, objectName, reactionsTo, timeOf, type FollowResult } from '../chain.js';
import { batched, h, render, type Child } from '../h.js';
import { href } from '../router.js';
import type { FlowEntry, FlowPage } from '../types.js';
import { checkbox, clock, liveBadge, problem, viewHeading, type View, type ViewContext } from '../ui.js';

/** The entries kept in the browser. */
const MAX_ENTRIES = 5000;
/** The entries shown at first, and added by "Show more". */
const PAGE = 200;
const POLL_MS = 1500;

/** A component's name as a coloured chip. */
export function componentChip(component: string): HTMLElement {
  return h('span', { class: `comp comp-${componentKind(component)}`, 'data-testid': 'component' }, component || 'unknown');
}

/** The flow view. */
export function flowView(ctx: ViewContext): View {
  const byseq = new Map<number, FlowEntry>();
  const sorted: FlowEntry[] = [];
  let next = 0;
  let loaded = false;
  let loadError: unknown;
  let gone = false;
  let paused = false;
  let hideLeases = true;
  let shown = PAGE;
  let params = ctx.params;

  const liveEl = h('span', { class: 'live-slot' });
  const objectInput = h('input', { id: 'flow-object', type: 'search', placeholder: 'name, kind, namespace…', value: params.get('object') ?? '', 'data-testid': 'flow-filter' });
  const compSelect = h('select', { id: 'flow-component', 'data-testid': 'flow-component-filter' });
  const podInput = h('input', { id: 'follow-pod', list: 'follow-pods', placeholder: 'namespace/name', autocomplete: 'off', value: params.get('pod') ?? '', 'data-testid': 'follow-input' });
  const podList = h('datalist', { id: 'follow-pods' });
  const followEl = h('div');
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'flow-timeline', 'aria-label': 'Writes, newest first' });
  const more = h('div', { class: 'more' });
  const statusEl = h('div');

  const setParams = (p: Record<string, string | undefined>): void => {
    location.hash = href('flow', { pod: params.get('pod') ?? undefined, object: params.get('object') ?? undefined, component: params.get('component') ?? undefined, ...p });
  };

  const el = h(
    'section',
    { class: 'view flow-view', 'data-testid': 'flow-view' },
    viewHeading(
      'Flow',
      liveEl,
      checkbox(
        'Pause',
        paused,
        (v) => {
          paused = v;
          draw();
        },
        'flow-pause',
      ),
    ),
    h('p', { class: 'lead' }, 'Every write to the API server, who made it, the watch events it caused and which component reacted. Colours: ', ['kubectl', 'kube-controller-manager', 'kube-scheduler', 'kubelet'].map((c) => [componentChip(c), ' ']), '.'),
    h(
      'section',
      { class: 'follow', 'aria-labelledby': 'follow-title', 'data-testid': 'follow-pod' },
      h('h2', { id: 'follow-title' }, 'Follow a pod'),
      h(
        'form',
        {
          class: 'inline-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            setParams({ pod: podInput.value.trim() || undefined });
          },
        },
        h('label', { for: 'follow-pod', class: 'inline-label' }, 'Pod '),
        podInput,
        podList,
        h('button', { type: 'submit', class: 'button primary', 'data-testid': 'follow-submit' }, 'Follow'),
      ),
      followEl,
    ),
    h(
      'section',
      { 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, 'Timeline'),
      h(
        'form',
        {
          class: 'filters',
          role: 'search',
          onsubmit: (e: Event) => e.preventDefault(),
        },
        h('label', { for: 'flow-object', class: 'inline-label' }, 'Object '),
        objectInput,
        h('label', { for: 'flow-component', class: 'inline-label' }, 'Component '),
        compSelect,
        checkbox(
          'Hide lease renewals',
          hideLeases,
          (v) => {
            hideLeases = v;
            draw();
          },
          'flow-hide-leases',
        ),
      ),
      statusEl,
      timeline,
      more,
    ),
  );
  let filterTimer: number | undefined;
  objectInput.addEventListener('input', () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => setParams({ object: objectInput.value.trim() || undefined }), 300);
  });
  compSelect.addEventListener('change', () => setParams({ component: compSelect.value || undefined }));

  const add = (entries: readonly FlowEntry[]): void => {
    let outOfOrder = false;
    for (const e of entries) {
      const known = byseq.has(e.seq);
      byseq.set(e.seq, e);
      if (known) {
        const i = sorted.findIndex((x) => x.seq === e.seq);
        if (i >= 0) sorted[i] = e;
      } else {
        if (sorted.length > 0 && sorted[sorted.length - 1]!.seq > e.seq) outOfOrder = true;
        sorted.push(e);
      }
    }
    if (outOfOrder) sorted.sort((a, b) => a.seq - b.seq);
    if (sorted.length > MAX_ENTRIES) {
      for (const e of sorted.splice(0, sorted.length - MAX_ENTRIES)) byseq.delete(e.seq);
    }
    const last = sorted[sorted.length - 1];
    if (last && last.seq > next) next = last.seq;
    draw();
  };

  const matches = (e: FlowEntry, text: string, comp: string): boolean => {
    if (hideLeases && e.resource === 'leases' && e.verb !== 'create' && e.verb !== 'delete') return false;
    if (comp && e.component !== comp && baseComponent(e.component) !== comp) return false;
    if (!text) return true;
    const hay = `${objectName(e)} ${e.kind ?? ''} ${e.subresource ?? ''} ${e.uid ?? ''} ${e.owners.map((o) => `${o.kind} ${o.name}`).join(' ')} ${e.summary ?? ''}`.toLowerCase();
    return text
      .toLowerCase()
      .split(/\s+/)
      .every((w) => hay.includes(w));
  };

  const draw = batched(() => paint());

  function paint(): void {
    render(liveEl, liveBadge(gone ? 'unavailable' : paused ? 'off' : socket?.state === 'open' ? 'open' : 'polling'));
    if (gone || (!loaded && loadError !== undefined)) {
      render(statusEl, problem(loadError, 'The flow view', '/ui/api/flow'));
      render(timeline);
      render(followEl);
      return;
    }
    render(statusEl, !loaded ? h('p', { class: 'muted' }, 'Loading…') : null);
    if (paused) return;
    const comps = [...new Set(sorted.flatMap((e) => [e.component, baseComponent(e.component)]))].sort();
    const comp = params.get('component') ?? '';
    render(compSelect, h('option', { value: '' }, 'all'), comps.map((c) => h('option', { value: c, selected: c === comp }, c)));
    render(podList, createdPods(sorted).slice(0, 200).map((p) => h('option', { value: p })));
    paintFollow();
    const text = params.get('object') ?? '';
    const list: FlowEntry[] = [];
    let total = 0;
    for (let i = sorted.length - 1; i >= 0; i--) {
      const e = sorted[i]!;
      if (!matches(e, text, comp)) continue;
      total++;
      if (list.length < shown) list.push(e);
    }
    render(timeline, list.length === 0 ? h('li', { class: 'muted' }, loaded ? (sorted.length === 0 ? 'No writes recorded yet.' : 'No writes match the filters.') : '') : list.map(entryItem));
    render(
      more,
      total > list.length
        ? h(
            'button',
            {
              class: 'button',
              'data-testid': 'flow-more',
              onclick: () => {
                shown += PAGE;
                draw();
              },
            },
            `Show more (${total - list.length} older)`,
          )
        : null,
    );
  }

  /** Scrolls to an entry of the timeline and focuses it; shows more of the timeline first if it is further down. */
  const jump = (seq: number, again = true): void => {
    const target = document.getElementById(`flow-${seq}`);
    if (target) {
      target.scrollIntoView({ block: 'center' });
      target.focus();
    } else if (again && !paused) {
      shown = Math.max(shown, sorted.length);
      paint();
      jump(seq, false);
    }
  };

  const entryItem = (e: FlowEntry): HTMLElement => {
    const obj = objectName(e);
    const reactions = reactionsTo(sorted, e, 1000);
    return h(
      'li',
      { class: 'flow-entry', id: `flow-${e.seq}`, tabindex: '-1', 'data-testid': 'flow-entry', 'data-seq': e.seq, 'data-component': e.component, 'data-verb': e.verb, 'data-resource': e.resource, 'data-object': obj },
      h(
        'div',
        { class: 'entry-line' },
        h('time', { class: 'muted small', datetime: e.time }, clock(e.time)),
        componentChip(e.component),
        h('span', { class: `verb verb-${e.verb}` }, e.verb),
        h(
          'button',
          { class: 'link', type: 'button', title: 'Show only this object', 'data-focus': `obj-${e.seq}`, onclick: () => setParams({ object: e.name }) },
          `${e.resource}${e.subresource ? `/${e.subresource}` : ''}`,
          ' ',
          h('strong', null, e.namespace ? `${e.namespace}/${e.name}` : e.name),
        ),
        e.code >= 300 ? h('span', { class: 'badge error' }, e.code) : null,
        e.revision !== undefined ? h('span', { class: 'muted small' }, `rev ${e.revision}`) : null,
        h('span', { class: 'muted small' }, formatMs(e.durationMs)),
      ),
      e.summary ? h('div', { class: 'entry-summary' }, e.summary) : null,
      e.deliveries.length > 0
        ? h(
            'details',
            { class: 'deliveries' },
            h('summary', null, `${e.deliveries.length + (e.moreDeliveries ?? 0)} watch ${e.deliveries.length + (e.moreDeliveries ?? 0) === 1 ? 'event' : 'events'}`),
            h(
              'ul',
              null,
              [...e.deliveries].sort((a, b) => a.atMs - b.atMs).map((d) => h('li', { 'data-testid': 'flow-delivery' }, componentChip(d.component), ` ${d.type ? `${d.type} ` : ''}${d.resource} +${formatMs(d.atMs)}`)),
              e.moreDeliveries ? h('li', { class: 'muted' }, `and ${e.moreDeliveries} more`) : null,
            ),
          )
        : null,
      reactions.length > 0
        ? h(
            'div',
            { class: 'reactions small' },
            'reacted: ',
            reactions.map((r) => [
              h(
                'button',
                { class: 'link', type: 'button', 'data-testid': 'flow-reaction', 'data-focus': `react-${e.seq}-${r.entry.seq}`, onclick: () => jump(r.entry.seq) },
                componentChip(r.component),
                ` ${r.entry.verb} ${r.entry.resource}${r.entry.subresource ? `/${r.entry.subresource}` : ''} after ${formatMs(timeOf(r.entry) - timeOf(e))}`,
              ),
              ' ',
            ]),
          )
        : null,
      h('div', { class: 'muted small' }, e.user, e.userAgent && e.userAgent !== e.component ? ` · ${e.userAgent}` : ''),
    );
  };

  function paintFollow(): void {
    const pod = params.get('pod');
    if (!pod) return render(followEl, h('p', { class: 'muted' }, 'Pick a pod to see how it came to run: the Deployment and ReplicaSet controllers, the scheduler’s binding, the kubelet’s status.'));
    const slash = pod.indexOf('/');
    const [ns, name] = slash < 0 ? ['default', pod] : [pod.slice(0, slash), pod.slice(slash + 1)];
    render(followEl, followResult(followPod(sorted, ns, name)));
  }

  const followResult = (r: FollowResult): HTMLElement => {
    const seen = r.steps.filter((s) => s.entry);
    const t0 = seen[0]?.entry ? timeOf(seen[0].entry) : 0;
    const span = Math.max(1, r.totalMs ?? 1);
    const head = r.running
      ? `${r.namespace}/${r.name} was Running ${formatMs(r.totalMs ?? 0)} after the first step`
      : seen.length === 0
        ? `Nothing recorded for ${r.namespace}/${r.name}`
        : `${r.namespace}/${r.name} is not Running yet${r.latestStatus ? ` (${r.latestStatus})` : ''}`;
    return h(
      'div',
      { class: 'follow-result', 'data-testid': 'follow-result', 'data-running': String(r.running), 'aria-live': 'polite' },
      h('p', { class: 'follow-head' }, h('strong', null, head)),
      h(
        'ol',
        { class: 'steps' },
        r.steps.map((s) => {
          const e = s.entry;
          const content: Child = e
            ? [
                h('div', { class: 'entry-line' }, h('strong', null, s.label), componentChip(e.component)),
                h(
                  'div',
                  { class: 'small' },
                  h('time', { datetime: e.time }, clock(e.time)),
                  ` · ${e.verb} ${e.resource}${e.subresource ? `/${e.subresource}` : ''} ${e.name}`,
                  e.summary ? ` · ${e.summary}` : '',
                  ` · API call ${formatMs(e.durationMs)}`,
                ),
                s.gapMs !== undefined
                  ? h(
                      'div',
                      { class: 'small gap', 'data-testid': 'follow-gap', 'data-ms': Math.round(s.gapMs) },
                      h('strong', null, `+${formatMs(s.gapMs)}`),
                      ' after the step before',
                      s.deliveredMs !== undefined ? `: its watch event reached ${e.component} after ${formatMs(s.deliveredMs)}, which wrote ${formatMs(s.gapMs - s.deliveredMs)} later` : '',
                    )
                  : null,
                h('div', { class: 'gapbar', 'aria-hidden': 'true' }, h('span', { style: { 'margin-left': `${(100 * (timeOf(e) - t0)) / span}%` } })),
                h('button', { class: 'link small', type: 'button', onclick: () => jump(e.seq) }, 'show in the timeline'),
              ]
            : [h('div', { class: 'entry-line' }, h('strong', null, s.label)), h('div', { class: 'small muted' }, s.missing ?? 'not seen')];
          return h('li', { class: `step ${e ? 'found' : 'missing'}`, 'data-testid': 'follow-step', 'data-step': s.step, 'data-found': String(e !== undefined) }, content);
        }),
      ),
    );
  };

  // ---- loading and live updates: the socket starts from where the first load ended
  let socket: LiveSocket | undefined;
  let opens = 0;
  let loading = false;
  const load = async (): Promise<void> => {
    if (loading) return;
    loading = true;
    try {
      for (let page = 0; page < 40; page++) {
        const p = await get<FlowPage>(`/ui/api/flow${query({ since: next, limit: 500 })}`);
        if (p.next < next) {
          // the API server restarted and counts from 1 again: start over
          byseq.clear();
          sorted.length = 0;
          next = 0;
          continue;
        }
        add(p.entries);
        const advanced = p.next > next;
        next = Math.max(next, p.next);
        if (p.entries.length < 500 || !advanced) break;
      }
      loaded = true;
      loadError = undefined;
      socket ??= new LiveSocket(() => `/ui/api/flow/watch${query({ since: next })}`, {
        onMessage: (text) => {
          try {
            add([JSON.parse(text) as FlowEntry]);
          } catch {
            // not an entry: ignore
          }
        },
        onOpen: () => {
          // after a reconnection, a GET finds out whether the API server restarted (its seqs then start again)
          if (opens++ > 0) void load();
          draw();
        },
        onDown: draw,
      });
    } catch (e) {
      loadError = e;
      if (isNotFound(e)) gone = true;
    } finally {
      loading = false;
    }
    draw();
  };
  const poll = window.setInterval(() => {
    if (!gone && socket?.state !== 'open') void load();
  }, POLL_MS);
  void load();
  draw();

  return {
    el,
    update(p) {
      params = p;
      if (objectInput.value.trim() !== (p.get('object') ?? '') && document.activeElement !== objectInput) objectInput.value = p.get('object') ?? '';
      if (document.activeElement !== podInput) podInput.value = p.get('pod') ?? '';
      shown = PAGE;
      draw();
    },
    destroy() {
      window.clearInterval(poll);
      window.clearTimeout(filterTimer);
      socket?.close();
    },
  };
}
