/**
 * The pieces every view uses: what a view is, error and "not available"
 * boxes, toasts, a confirmation dialog, the live-connection indicator, and
 * time formats.
 */
import { ApiError, describeError, isNotFound, type LiveState, type WhoAmI } from './api.js';
import { h, type Child } from './h.js';

/** What a view is given. */
export interface ViewContext {
  readonly user: WhoAmI;
  /** Whether the user may change things (group system:masters). */
  readonly admin: boolean;
  /** The route's query (`#/store?key=...`). */
  readonly params: URLSearchParams;
}

/** A mounted view. */
export interface View {
  readonly el: HTMLElement;
  /** The route's query changed while the view stayed (`#/store?key=a` → `#/store?key=b`). */
  update?(params: URLSearchParams): void;
  /** Closes its sockets and timers. */
  destroy(): void;
}

/** A table in its scrolling wrapper: a caption for screen readers, a header row of `columns`, and the rows. */
export function dataTable(caption: string, columns: readonly string[], rows: Child, cls = 'table'): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: cls }, h('caption', { class: 'sr-only' }, caption), h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', null, rows)),
  );
}

/** The heading of a view, focusable so that navigation can move focus to it. */
export function viewHeading(text: string, ...extra: Child[]): HTMLElement {
  return h('header', { class: 'view-head' }, h('h1', { tabindex: '-1', class: 'view-title' }, text), ...extra);
}

/** A box saying what went wrong, with the server's Status (code, reason, message). */
export function errorBox(e: unknown, what?: string): HTMLElement {
  const st = e instanceof ApiError ? e : undefined;
  return h(
    'div',
    { class: 'box error', role: 'alert', 'data-testid': 'error' },
    h('strong', null, what ? `${what} failed` : 'Error'),
    st && st.code > 0 ? h('span', { class: 'status-code' }, ` ${st.code} ${st.reason}`) : null,
    h('p', null, st ? st.message : describeError(e)),
  );
}

/** A box saying the API server does not serve `what` (it answered `path` 404). */
export function unavailable(what: string, path: string): HTMLElement {
  return h(
    'div',
    { class: 'box muted', role: 'status', 'data-testid': 'not-available' },
    h('strong', null, `${what} is not available`),
    h('p', null, 'This API server does not serve ', h('code', null, path), ' (it answered 404 Not Found). It may be an older or partial build, or this part of the dashboard is not wired in yet.'),
  );
}

/** The box for a failed load: "not available" for a 404 of an endpoint, the error otherwise. */
export function problem(e: unknown, what: string, path: string): HTMLElement {
  return isNotFound(e) ? unavailable(what, path) : errorBox(e, `Loading ${what.toLowerCase()}`);
}

/** Shows `message` for a few seconds in the toast area (announced to screen readers). */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  const area = document.getElementById('toasts');
  if (!area) return;
  const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'toast' }, message);
  area.append(t);
  window.setTimeout(() => t.remove(), kind === 'error' ? 10_000 : 5000);
}

/** What a confirmation asks. */
export interface ConfirmOptions {
  readonly title: string;
  readonly body: Child;
  readonly confirm: string;
  readonly danger?: boolean;
}

/** Asks the user to confirm in a modal dialog; resolves true only if they press the confirm button. */
export function confirmDialog(o: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dlg = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': 'confirm-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, o.title),
        h('div', { class: 'dialog-body' }, o.body),
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { value: 'cancel', type: 'submit', class: 'button', 'data-testid': 'confirm-cancel', autofocus: true }, 'Cancel'),
          h('button', { value: 'ok', type: 'submit', class: `button ${o.danger ? 'danger' : 'primary'}`, 'data-testid': 'confirm-ok' }, o.confirm),
        ),
      ),
    );
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'ok');
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** A modal dialog showing `body`, closed with its button or Escape. */
export function showDialog(title: string, body: Child, testid = 'info-dialog'): void {
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const dlg = h(
    'dialog',
    { class: 'dialog wide', 'aria-labelledby': titleId, 'data-testid': testid },
    h('form', { method: 'dialog' }, h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title), h('button', { class: 'button', type: 'submit', 'aria-label': 'Close' }, 'Close')), h('div', { class: 'dialog-body' }, body)),
  );
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

/** The live-connection indicator: live, connecting, polling, paused, or unavailable (the endpoint answered 404). */
export function liveBadge(state: LiveState | 'polling' | 'off' | 'unavailable'): HTMLElement {
  const text = { open: 'live', connecting: 'connecting…', down: 'reconnecting…', closed: 'paused', polling: 'polling', off: 'paused', unavailable: 'unavailable' }[state];
  return h('span', { class: `live live-${state}`, 'data-testid': 'live-state', 'data-state': state, title: 'live updates' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), text);
}

/** A labelled checkbox. */
export function checkbox(label: string, checked: boolean, onChange: (v: boolean) => void, testid?: string): HTMLElement {
  return h('label', { class: 'check' }, h('input', { type: 'checkbox', checked, 'data-testid': testid, onchange: (e: Event) => onChange((e.target as HTMLInputElement).checked) }), ` ${label}`);
}

/** The local time of day with milliseconds: `10:02:03.456`. */
export function clock(t: string | number | Date): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '–';
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** How long ago `iso` was, as kubectl's AGE column: `45s`, `3m`, `5h`, `2d`. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Bytes for people (decimal, as etcd's dbSize is shown): `1.2 MB`. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
