/**
 * Signing in: a bearer token, checked with the API server (a
 * SelfSubjectReview, as `kubectl auth whoami`) and kept in sessionStorage
 * for this tab only. A token may also arrive in the address, as `kubeling
 * up` prints it (`/ui/#token=...`); it is taken out of the address at once.
 */
import { ApiError, describeError, setToken, whoAmI, type WhoAmI } from './api.js';
import { h } from './h.js';

const KEY = 'kubeling.token';

/** The token saved for this tab, if any. */
export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Saves `token` for this tab. */
export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token lives until the page is closed
  }
}

/** Forgets the token (logout). */
export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing saved
  }
  setToken(null);
}

/** A token in the address (`#token=T` or `#/view?token=T`), taken out of the address. */
export function tokenFromAddress(): string | null {
  const raw = location.hash.slice(1); // 'token=T', or '/store?key=K&token=T'
  let path = '';
  let query = raw;
  if (!raw.startsWith('token=')) {
    const q = raw.indexOf('?');
    if (q < 0) return null;
    path = raw.slice(0, q);
    query = raw.slice(q + 1);
  }
  const params = new URLSearchParams(query);
  const token = params.get('token');
  if (!token) return null;
  params.delete('token');
  const rest = params.toString();
  const hash = path || rest ? `#${path}${rest ? `?${rest}` : ''}` : '';
  history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  return token;
}

/** The sign-in form; `onLogin` is called with the accepted token and who it is. */
export function loginForm(onLogin: (token: string, who: WhoAmI) => void, message?: string): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
    'data-testid': 'login-token',
  });
  const error = h('div', { class: 'login-error', role: 'alert', 'data-testid': 'login-error' }, message ?? '');
  const button = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'login-submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'login',
      'aria-labelledby': 'login-title',
      'data-testid': 'login',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        button.disabled = true;
        error.textContent = '';
        setToken(token);
        whoAmI({ quiet401: true }).then(
          (who) => {
            saveToken(token);
            onLogin(token, who);
          },
          (err: unknown) => {
            setToken(null);
            button.disabled = false;
            error.textContent = err instanceof ApiError && err.code === 401 ? 'The API server refused this token (401 Unauthorized).' : describeError(err);
            input.focus();
          },
        );
      },
    },
    h('h1', { id: 'login-title' }, 'Sign in to kubeling'),
    h('label', { for: 'token' }, 'Bearer token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      '`kubeling up` prints the dashboard’s address with a token, and writes the token to ',
      h('code', null, '<data-dir>/ui-token'),
      ' (by default ',
      h('code', null, '.kubeling/ui-token'),
      '). Any bearer token the API server accepts works too, for example one from ',
      h('code', null, 'kubectl create token NAME'),
      '. The token is kept for this browser tab only.',
    ),
    error,
    button,
  );
  queueMicrotask(() => input.focus());
  return form;
}
