/**
 * The store explorer's key panel: a key's value pretty-printed (JSON or
 * YAML), its create_revision, mod_revision, version and lease, the value at
 * an older revision, its history with a diff between any two versions, and
 * (for an admin who turns writes on) editing and deleting it, and creating
 * a new key (newkey.ts), each after a confirmation that shows what will
 * change.
 */
import { ApiError, describeError, get, query, request } from '../api.js';
import { h, render, type Child } from '../h.js';
import { href } from '../router.js';
import type { HistoryResponse, KeyResponse, KeyVersion, StoreEvent } from '../types.js';
import { checkbox, confirmDialog, dataTable, errorBox, toast, type ViewContext } from '../ui.js';
import { editableText, showValue, writeValue, type ValueFormat, type WriteValue } from '../values.js';
import { confirmWrite, diffView } from './diffview.js';
import { newKeyForm } from './newkey.js';

const FORMAT_KEY = 'kubeling.format';

/** What the key panel asks of its view. */
export interface KeyPanelOptions {
  /** The prefix a new key is offered under (the tree's current one, as `/registry/configmaps/default/`). */
  newKeyPrefix(): string;
  /** `key` was just created: show it, in the panel and in the tree. */
  onCreated(key: string): void;
}

/** The key panel of the store explorer. */
export class KeyPanel {
  readonly el: HTMLElement;
  private key: string | undefined;
  private atRevision: number | undefined;
  private data: KeyResponse | undefined;
  private error: unknown;
  private history: HistoryResponse | undefined;
  private historyError: unknown;
  private diffA: number | undefined;
  private diffB: number | undefined;
  /** Whether the user chose the versions to compare (else: the newest two, following changes). */
  private diffChosen = false;
  private format: ValueFormat = (localStorage.getItem(FORMAT_KEY) as ValueFormat | null) === 'json' ? 'json' : 'yaml';
  private allowWrites = false;
  private editing = false;
  private editText = '';
  private changedWhileEditing: number | undefined;
  /** The "New key…" form while it is open (kept across renders, so that typing survives live updates). */
  private newKey: HTMLFormElement | undefined;
  private loads = 0;
  private reloadTimer: number | undefined;

  constructor(
    private readonly ctx: ViewContext,
    private readonly opts: KeyPanelOptions,
  ) {
    this.el = h('section', { class: 'key-pane', 'aria-label': 'Key', 'data-testid': 'key-panel' });
    this.render();
  }

  /** Shows `key` (at `revision`, or the latest). */
  show(key: string | undefined, revision?: number): void {
    if (key !== this.key) {
      this.editing = false;
      this.diffA = undefined;
      this.diffB = undefined;
      this.diffChosen = false;
      this.history = undefined;
    }
    this.key = key;
    this.atRevision = revision;
    void this.load();
  }

  private async load(): Promise<void> {
    const key = this.key;
    const n = ++this.loads;
    if (key === undefined) return this.render();
    this.el.setAttribute('aria-busy', 'true');
    const [k, hist] = await Promise.allSettled([
      get<KeyResponse>(`/ui/api/store/key${query({ key, revision: this.atRevision })}`),
      get<HistoryResponse>(`/ui/api/store/history${query({ key, limit: 50 })}`),
    ]);
    if (n !== this.loads) return; // a newer load is under way
    this.el.removeAttribute('aria-busy');
    this.data = k.status === 'fulfilled' ? k.value : undefined;
    this.error = k.status === 'rejected' ? k.reason : undefined;
    this.history = hist.status === 'fulfilled' ? hist.value : undefined;
    this.historyError = hist.status === 'rejected' ? hist.reason : undefined;
    const versions = this.history?.versions ?? [];
    if (!this.diffChosen || !versions.some((v) => v.modRevision === this.diffB)) this.diffB = versions[0]?.modRevision;
    if (!this.diffChosen || !versions.some((v) => v.modRevision === this.diffA)) this.diffA = versions[1]?.modRevision;
    this.render();
  }

  /** A live event: reload when it is the shown key. */
  onEvent(ev: StoreEvent): void {
    if (ev.key !== this.key) return;
    if (this.editing) {
      this.changedWhileEditing = ev.modRevision;
      return this.render();
    }
    if (this.atRevision !== undefined) return; // an old revision does not change
    if (this.reloadTimer !== undefined) window.clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.load();
    }, 250);
  }

  /** Whether writes are offered (Edit…, Delete…, New key…): to an admin who allowed them, at the latest revision. */
  private writable(): boolean {
    return this.ctx.admin && this.allowWrites && this.atRevision === undefined;
  }

  private render(): void {
    const form = this.writable() ? this.newKey : undefined;
    if (this.key === undefined) {
      return render(this.el, this.ctx.admin ? h('div', { class: 'toolbar' }, this.writeControls()) : null, form, h('div', { class: 'empty' }, h('p', null, 'Choose a key in the tree to see its value, revisions and history.')));
    }
    render(this.el, h('h2', { class: 'key-title' }, h('code', { 'data-testid': 'key-name' }, this.key)), this.toolbar(), form, this.body(), this.historySection());
  }

  /** For an admin: the "Allow writes" switch, and with writes allowed the "New key…" button. */
  private writeControls(): Child {
    if (!this.ctx.admin) return null;
    return [
      checkbox(
        'Allow writes',
        this.allowWrites,
        (v) => {
          this.allowWrites = v;
          if (!v) {
            this.editing = false;
            this.newKey = undefined;
          }
          this.render();
        },
        'allow-writes',
      ),
      this.writable() && !this.newKey ? h('button', { type: 'button', class: 'button', 'data-testid': 'key-new', 'data-focus': 'key-new', onclick: () => this.openNewKey() }, 'New key…') : null,
    ];
  }

  private openNewKey(): void {
    this.newKey = newKeyForm({
      prefix: this.opts.newKeyPrefix(),
      created: (key) => {
        this.closeNewKey();
        this.opts.onCreated(key);
      },
      cancel: () => this.closeNewKey(),
    });
    this.render();
    const name = this.newKey.querySelector('input');
    name?.focus();
    name?.setSelectionRange(name.value.length, name.value.length);
  }

  /** Closes the "New key…" form, focusing its button. */
  private closeNewKey(): void {
    this.newKey = undefined;
    this.render();
    this.el.querySelector<HTMLElement>('[data-testid="key-new"]')?.focus();
  }

  private toolbar(): HTMLElement {
    const radio = (f: ValueFormat, label: string): HTMLElement =>
      h(
        'label',
        { class: 'seg' },
        h('input', {
          type: 'radio',
          name: 'format',
          value: f,
          checked: this.format === f,
          'data-testid': `format-${f}`,
          'data-focus': `format-${f}`,
          onchange: () => {
            this.format = f;
            localStorage.setItem(FORMAT_KEY, f);
            this.render();
          },
        }),
        label,
      );
    const rev = h('input', { type: 'number', min: '1', name: 'revision', inputmode: 'numeric', value: this.atRevision === undefined ? '' : String(this.atRevision), 'aria-label': 'Revision', placeholder: 'latest', 'data-testid': 'key-revision-input' });
    return h(
      'div',
      { class: 'toolbar' },
      h('fieldset', { class: 'segmented' }, h('legend', { class: 'sr-only' }, 'Show values as'), radio('yaml', 'YAML'), radio('json', 'JSON')),
      h(
        'form',
        {
          class: 'inline-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const r = rev.value.trim();
            location.hash = href('store', { key: this.key, revision: r || undefined });
          },
        },
        h('label', { class: 'inline-label' }, 'At revision ', rev),
        h('button', { type: 'submit', class: 'button', 'data-testid': 'key-at-revision' }, 'View'),
        this.atRevision !== undefined ? h('a', { class: 'button', href: href('store', { key: this.key }) }, 'Latest') : null,
      ),
      this.writeControls(),
    );
  }

  private body(): Child {
    if (this.error !== undefined) {
      const e = this.error;
      if (e instanceof ApiError && e.code === 404) return h('div', { class: 'box muted', role: 'status', 'data-testid': 'key-missing' }, `This key does not exist${this.atRevision !== undefined ? ` at revision ${this.atRevision}` : ''}.`);
      if (e instanceof ApiError && e.code === 410) return h('div', { class: 'box muted', role: 'status', 'data-testid': 'key-compacted' }, `Revision ${this.atRevision} has been compacted: the store no longer has it (${e.message}).`);
      return errorBox(e, 'Reading the key');
    }
    const d = this.data;
    if (!d) return h('p', { class: 'muted' }, 'Loading…');
    const shown = showValue(d.value, d.valueEncoding, this.format);
    const lease = String(d.lease);
    const meta = h(
      'dl',
      { class: 'meta', 'data-testid': 'key-meta' },
      h('div', null, h('dt', null, 'create_revision'), h('dd', { 'data-testid': 'key-create-revision' }, d.createRevision)),
      h('div', null, h('dt', null, 'mod_revision'), h('dd', { 'data-testid': 'key-mod-revision' }, d.modRevision)),
      h('div', null, h('dt', null, 'version'), h('dd', { 'data-testid': 'key-version' }, d.version)),
      h('div', null, h('dt', null, 'lease'), h('dd', { 'data-testid': 'key-lease' }, lease === '0' ? 'none' : /^\d+$/.test(lease) ? `${lease} (0x${BigInt(lease).toString(16)})` : lease)),
      h('div', null, h('dt', null, this.atRevision === undefined ? 'store revision' : 'read at'), h('dd', null, d.revision)),
    );
    const writes = this.writable();
    const editable = editableText(d.value, d.valueEncoding);
    const actions = writes
      ? h(
          'div',
          { class: 'actions' },
          !this.editing && editable !== undefined
            ? h(
                'button',
                {
                  class: 'button',
                  'data-testid': 'key-edit',
                  onclick: () => {
                    this.editing = true;
                    this.editText = editable;
                    this.changedWhileEditing = undefined;
                    this.render();
                    this.el.querySelector('textarea')?.focus();
                  },
                },
                'Edit…',
              )
            : null,
          !this.editing ? h('button', { class: 'button danger', 'data-testid': 'key-delete', onclick: () => void this.remove() }, 'Delete…') : null,
        )
      : null;
    const value = this.editing
      ? this.editor(editable ?? '')
      : h('pre', { class: 'value', tabindex: '0', 'aria-label': `Value (${this.format.toUpperCase()})`, 'data-testid': 'key-value', 'data-format': this.format }, shown.text);
    return [meta, shown.note ? h('p', { class: 'note' }, shown.note) : null, actions, value];
  }

  private editor(original: string): HTMLElement {
    const area = h('textarea', {
      class: 'editor',
      rows: '20',
      spellcheck: 'false',
      'aria-label': 'New value (JSON)',
      'data-testid': 'key-editor',
      value: this.editText,
      oninput: (e: Event) => (this.editText = (e.target as HTMLTextAreaElement).value),
    });
    return h(
      'div',
      { class: 'edit' },
      this.changedWhileEditing !== undefined ? h('div', { class: 'box warn', role: 'alert' }, `The key changed (revision ${this.changedWhileEditing}) since you started editing. Saving overwrites that change.`) : null,
      area,
      h(
        'div',
        { class: 'actions' },
        h('button', { class: 'button primary', 'data-testid': 'key-save', onclick: () => void this.save(original) }, 'Save…'),
        h(
          'button',
          {
            class: 'button',
            onclick: () => {
              this.editing = false;
              this.render();
            },
          },
          'Cancel',
        ),
      ),
    );
  }

  private async save(original: string): Promise<void> {
    const key = this.key!;
    let w: WriteValue;
    try {
      w = writeValue(this.editText, this.data?.valueEncoding === 'json');
    } catch (e) {
      toast(`The value is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    if (!(await confirmWrite(key, original, w.shown, false))) return;
    try {
      // modRevision: refused (409) if the key changed since it was read
      await request('PUT', '/ui/api/store/key', { key, value: w.value, confirm: true, ...(this.data ? { modRevision: this.data.modRevision } : {}) });
      toast(`Wrote ${key}`);
      this.editing = false;
      await this.load();
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) toast(`${key} changed since it was read (${e.message}): look at its new value and edit again.`, 'error');
      else toast(`Writing ${key} failed: ${describeError(e)}`, 'error');
    }
  }

  private async remove(): Promise<void> {
    const key = this.key!;
    const ok = await confirmDialog({
      title: 'Delete this key?',
      body: h('p', null, 'This deletes ', h('code', null, key), ' from the store directly, past the API server. Its watchers see a deletion.'),
      confirm: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await request('DELETE', `/ui/api/store/key${query({ key, confirm: true, modRevision: this.data?.modRevision })}`);
      toast(`Deleted ${key}`);
      await this.load();
    } catch (e) {
      toast(`Deleting ${key} failed: ${describeError(e)}`, 'error');
    }
  }

  private historySection(): HTMLElement {
    const hist = this.history;
    const content: Child[] = [];
    if (this.historyError !== undefined) content.push(errorBox(this.historyError, 'Reading the history'));
    else if (!hist) content.push(h('p', { class: 'muted' }, 'Loading…'));
    else {
      if (hist.compactRevision !== undefined) content.push(h('p', { class: 'note', 'data-testid': 'history-compacted' }, `Older versions were compacted at revision ${hist.compactRevision}.`));
      if (hist.versions.length === 0) content.push(h('p', { class: 'muted' }, 'No versions.'));
      else content.push(this.historyTable(hist.versions), this.diffSection(hist.versions));
    }
    return h('section', { class: 'history', 'aria-labelledby': 'history-title', 'data-testid': 'key-history' }, h('h3', { id: 'history-title' }, 'History'), content);
  }

  private historyTable(versions: readonly KeyVersion[]): HTMLElement {
    const pick = (side: 'a' | 'b', v: KeyVersion): HTMLElement =>
      h('input', {
        type: 'radio',
        name: `diff-${side}`,
        checked: (side === 'a' ? this.diffA : this.diffB) === v.modRevision,
        'aria-label': `${side === 'a' ? 'Compare from' : 'Compare to'} revision ${v.modRevision}`,
        'data-focus': `diff-${side}-${v.modRevision}`,
        'data-testid': `diff-${side}`,
        onchange: () => {
          this.diffChosen = true;
          if (side === 'a') this.diffA = v.modRevision;
          else this.diffB = v.modRevision;
          this.render();
        },
      });
    return dataTable(
      'Versions of the key, newest first; choose two to compare',
      ['From', 'To', 'mod_revision', 'version', 'create_revision', ''],
      versions.map((v) =>
        h(
          'tr',
          { 'data-testid': 'history-row', 'data-revision': v.modRevision, class: v.deleted ? 'deleted' : undefined },
          h('td', null, pick('a', v)),
          h('td', null, pick('b', v)),
          h('td', null, v.modRevision),
          h('td', null, v.deleted ? h('span', { class: 'badge warn' }, 'deleted') : v.version),
          h('td', null, v.deleted ? '' : v.createRevision),
          h('td', null, v.deleted ? '' : h('a', { href: href('store', { key: this.key, revision: String(v.modRevision) }) }, 'view')),
        ),
      ),
      'table history-table',
    );
  }

  private diffSection(versions: readonly KeyVersion[]): Child {
    const a = versions.find((v) => v.modRevision === this.diffA);
    const b = versions.find((v) => v.modRevision === this.diffB);
    if (!b) return null;
    const text = (v: KeyVersion | undefined): string => (!v || v.deleted ? '' : showValue(v.value, v.valueEncoding, this.format).text);
    const label = (v: KeyVersion | undefined): string => (v ? `revision ${v.modRevision}${v.deleted ? ' (deleted)' : ''}` : 'nothing');
    return h('div', { class: 'diff-wrap', 'data-testid': 'history-diff' }, h('h4', null, `Changes from ${label(a)} to ${label(b)}`), diffView(text(a), text(b)));
  }

  /** Stops its timer. */
  destroy(): void {
    if (this.reloadTimer !== undefined) window.clearTimeout(this.reloadTimer);
  }
}
