/**
 * The store explorer's "New key…" form: the key (prefilled with the prefix
 * open in the tree) and its value. A key that is empty, does not start with
 * `/` or ends in `/` is refused here, before anything is sent; Escape or
 * Cancel closes the form. Create confirms as an edit does (the value's
 * diff), then sends `PUT /ui/api/store/key` with `modRevision: 0`: only if
 * the key does not exist; a refusal (409: it exists) is shown in the form.
 * The form is built once and kept across the key panel's re-renders, so
 * that live updates do not lose what is being typed.
 */
import { ApiError, request } from '../api.js';
import { h, render } from '../h.js';
import { href } from '../router.js';
import { errorBox, toast } from '../ui.js';
import { writeValue, type WriteValue } from '../values.js';
import { confirmWrite } from './diffview.js';

/** What the form is given. */
export interface NewKeyOptions {
  /** The key's first text: a prefix such as `/registry/configmaps/default/`. */
  readonly prefix: string;
  /** `key` was created: close the form and show the key. */
  created(key: string): void;
  /** Close the form: nothing was created (Cancel, Escape). */
  cancel(): void;
}

const EXAMPLE = '/registry/configmaps/default/my-config';

/** Why `key` is refused before anything is sent, or undefined when it may be created. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return `Enter a key, such as ${EXAMPLE}.`;
  if (!key.startsWith('/')) return `A key starts with "/", such as ${EXAMPLE}.`;
  if (key.endsWith('/')) return `Add the key's name after the prefix ${key}: a key does not end in "/".`;
  return undefined;
}

/** Confirms and creates `key` with the typed `text` (as JSON when it is JSON, else as text): true once created, false when not confirmed; rejects with the server's error (409: it exists). */
async function createKey(key: string, text: string): Promise<boolean> {
  let w: WriteValue;
  try {
    w = writeValue(text, true);
  } catch {
    w = writeValue(text, false); // not JSON: stored as text
  }
  if (!(await confirmWrite(key, '', w.shown, true))) return false;
  // modRevision 0: only if the key does not exist (409 otherwise)
  await request('PUT', '/ui/api/store/key', { key, value: w.value, confirm: true, modRevision: 0 });
  return true;
}

/** The form (data-testid key-new-form); focus its key input once it is shown. */
export function newKeyForm(opts: NewKeyOptions): HTMLFormElement {
  const name = h('input', {
    type: 'text',
    id: 'new-key-name',
    value: opts.prefix,
    spellcheck: 'false',
    autocomplete: 'off',
    autocapitalize: 'off',
    'data-testid': 'key-new-name',
    'data-focus': 'key-new-name',
    oninput: () => {
      if (name.hasAttribute('aria-invalid')) say(null);
    },
  });
  const value = h('textarea', {
    class: 'editor',
    id: 'new-key-value',
    rows: '8',
    spellcheck: 'false',
    'aria-describedby': 'new-key-value-help',
    'data-testid': 'key-new-value',
    'data-focus': 'key-new-value',
  });
  const problem = h('div', { id: 'new-key-problem' });
  /** Shows `message` in the form (null: nothing); `invalidKey`: it is about the key input. */
  const say = (message: Node | null, invalidKey = false): void => {
    render(problem, message);
    if (invalidKey) {
      name.setAttribute('aria-invalid', 'true');
      name.setAttribute('aria-describedby', 'new-key-problem');
    } else {
      name.removeAttribute('aria-invalid');
      name.removeAttribute('aria-describedby');
    }
  };
  let busy = false; // invariant: one creation at a time

  const submit = async (): Promise<void> => {
    if (busy) return;
    const key = name.value;
    const bad = keyProblem(key);
    if (bad !== undefined) {
      say(h('p', { class: 'error-text', role: 'alert', 'data-testid': 'key-new-error' }, bad), true);
      name.focus();
      return;
    }
    say(null);
    busy = true;
    try {
      if (!(await createKey(key, value.value))) return;
      toast(`Created ${key}`);
      opts.created(key);
    } catch (e) {
      const box = errorBox(e, `Creating ${key}`);
      if (e instanceof ApiError && e.code === 409) box.append(h('p', null, 'The key exists already: ', h('a', { href: href('store', { key }) }, 'open it'), ' to see or edit it.'));
      say(h('div', { 'data-testid': 'key-new-error' }, box));
    } finally {
      busy = false;
    }
  };

  return h(
    'form',
    {
      class: 'box new-key',
      'aria-labelledby': 'new-key-title',
      'data-testid': 'key-new-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        void submit();
      },
      onkeydown: (e: KeyboardEvent) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        opts.cancel();
      },
    },
    h('h3', { id: 'new-key-title' }, 'New key'),
    h('label', { class: 'field', for: 'new-key-name' }, 'Key'),
    name,
    h('label', { class: 'field', for: 'new-key-value' }, 'Value'),
    h('p', { class: 'help', id: 'new-key-value-help' }, 'JSON is stored compact; any other text as it is. Escape closes this form.'),
    value,
    problem,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', 'data-testid': 'key-new-create', 'data-focus': 'key-new-create' }, 'Create…'),
      h('button', { type: 'button', class: 'button', 'data-testid': 'key-new-cancel', 'data-focus': 'key-new-cancel', onclick: () => opts.cancel() }, 'Cancel'),
    ),
  );
}
