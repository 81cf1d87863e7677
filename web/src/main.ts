/**
 * The dashboard's entry point (bundled by esbuild into /ui/app.js): signs
 * in (login.ts), then shows the header, the navigation and the view of the
 * hash route (router.ts). A 401 from any request brings the sign-in form
 * back. A server that asks for no credentials (kubeling apiserver
 * --insecure-port) is used without a token.
 */
import { ApiError, describeError, setToken, whenUnauthorized, whoAmI, type WhoAmI } from './api.js';
import { h, render } from './h.js';
import { clearToken, loginForm, savedToken, saveToken, tokenFromAddress } from './login.js';
import { ROUTES, startRouter, type Route, type RouteName } from './router.js';
import type { View, ViewContext } from './ui.js';
import { clusterView } from './views/cluster.js';
import { flowView } from './views/flow.js';
import { raftView } from './views/raft.js';
import { storeView } from './views/store.js';

const VIEWS: Record<RouteName, { title: string; make: (ctx: ViewContext) => View }> = {
  cluster: { title: 'Cluster', make: clusterView },
  store: { title: 'Store', make: storeView },
  raft: { title: 'Raft', make: raftView },
  flow: { title: 'Flow', make: flowView },
};

const root = document.getElementById('app')!;
let stopRouter: (() => void) | undefined;
let current: { name: RouteName; view: View } | undefined;
let signedIn = false;

/** Tears the signed-in app down (views, router). */
function teardown(): void {
  stopRouter?.();
  stopRouter = undefined;
  current?.view.destroy();
  current = undefined;
}

/** Shows the sign-in form, with `message` if there is something to say. */
function showLogin(message?: string): void {
  teardown();
  signedIn = false;
  document.title = 'Sign in · kubeling';
  render(
    root,
    h(
      'main',
      { id: 'main', class: 'login-page' },
      loginForm((_token, who) => showApp(who, true), message),
    ),
  );
}

/** Shows the dashboard for `who`; `token` says whether there is a token to log out of. */
function showApp(who: WhoAmI, token: boolean): void {
  teardown();
  signedIn = true;
  const admin = who.groups.includes('system:masters');
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Views' },
    h(
      'ul',
      null,
      ROUTES.map((r) => h('li', null, h('a', { href: `#/${r}`, 'data-route': r, 'data-testid': `nav-${r}` }, VIEWS[r].title))),
    ),
  );
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  render(
    root,
    h(
      'a',
      {
        class: 'skip',
        href: '#main',
        onclick: (e: Event) => {
          e.preventDefault(); // the hash is the route
          main.focus();
        },
      },
      'Skip to content',
    ),
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '#/cluster', 'aria-label': 'kubeling dashboard' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⎈'), 'kubeling'),
      nav,
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'username', 'data-testid': 'username', title: who.groups.join(', ') }, who.username),
        admin ? h('span', { class: 'badge', 'data-testid': 'admin-badge' }, 'admin') : null,
        token
          ? h(
              'button',
              {
                class: 'button',
                'data-testid': 'logout',
                onclick: () => {
                  clearToken();
                  showLogin('Signed out.');
                },
              },
              'Sign out',
            )
          : h('span', { class: 'badge warn', title: 'this API server asks for no credentials' }, 'unauthenticated'),
      ),
    ),
    main,
  );

  let first = true;
  stopRouter = startRouter((route: Route) => {
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.route === route.name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (current?.name === route.name && current.view.update) {
      current.view.update(route.params);
      return;
    }
    current?.view.destroy();
    const view = VIEWS[route.name].make({ user: who, admin, params: route.params });
    current = { name: route.name, view };
    render(main, view.el);
    document.title = `${VIEWS[route.name].title} · kubeling`;
    // moving between views moves focus to the new view's heading (not on the first load)
    if (!first) view.el.querySelector<HTMLElement>('.view-title')?.focus();
    first = false;
  });
}

/** Shows that the API server could not be reached, with a retry. */
function showUnreachable(e: unknown): void {
  teardown();
  render(
    root,
    h(
      'main',
      { id: 'main', class: 'login-page' },
      h(
        'div',
        { class: 'login', role: 'alert' },
        h('h1', null, 'The API server did not answer'),
        h('p', null, describeError(e)),
        h('button', { class: 'button primary', onclick: () => void boot() }, 'Try again'),
      ),
    ),
  );
}

/** Signs in with the token of the address or of this tab, or with none if the server needs none. */
async function boot(): Promise<void> {
  const fromAddress = tokenFromAddress();
  if (fromAddress) saveToken(fromAddress);
  const token = fromAddress ?? savedToken();
  setToken(token);
  try {
    const who = await whoAmI({ quiet401: true });
    showApp(who, token !== null);
  } catch (e) {
    if (e instanceof ApiError && (e.code === 401 || e.code === 403)) {
      if (token) clearToken();
      showLogin(token ? 'The API server refused the saved token; sign in again.' : undefined);
    } else if (e instanceof ApiError && e.code === 404) {
      // a server without SelfSubjectReview: take the token as good, and find out at the first request
      showApp({ username: token ? 'signed in' : 'anonymous', groups: [] }, token !== null);
    } else showUnreachable(e);
  }
}

whenUnauthorized(() => {
  if (!signedIn) return;
  clearToken();
  showLogin('The API server refused the token (401 Unauthorized); sign in again.');
});
void boot();
