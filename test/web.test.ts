/**
 * The dashboard in a real browser (Debian's Chromium, driven by
 * playwright-core) against a real `kubeling up` (3 store members, the API
 * server, scheduler, controller manager and 2 simulated nodes): sign in with
 * the token `up` writes, create a Deployment with kubectl and see its pods
 * appear in the cluster view and its keys in the store explorer (where the
 * admin edits a key and creates one, refused when it exists), follow a
 * pod in the flow view from the Deployment to Running, and stop the Raft
 * leader from the Raft view and see another elected. Each view is
 * photographed into $KUBELING_SCREENSHOTS (default test-results/screenshots;
 * `npm run screenshots` writes docs/screenshots/, which the README shows).
 *
 * Chromium is /usr/bin/chromium (Debian's package; .ci/run installs it), or
 * $CHROMIUM. Waits are the browser's own (locators wait for their element);
 * nothing is correct only because of a sleep.
 *
 * Then the same cluster in Firefox: Debian's firefox-esr (/usr/bin/firefox-esr,
 * or $FIREFOX), driven over WebDriver BiDi by puppeteer-core (playwright-core
 * drives only Playwright's own patched Firefox, which is not downloaded here):
 * signed in by the token in the address, each view shows the cluster.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { launch as launchPuppeteer, type Browser as PuppeteerBrowser } from 'puppeteer-core';
import { kubectlOk, kubectlWith, printed, startKubeling, until, upPorts, type KubelingProc } from './proc.js';

const SHOTS = resolve(process.env.KUBELING_SCREENSHOTS ?? join(import.meta.dirname, '..', 'test-results', 'screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** Flags a sandboxed, offline machine needs (no sandbox as root, nothing reaching out to Google's hosts). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

describe('the dashboard against kubeling up, in Chromium', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-web-'));
  const kubeconfig = join(dir, 'kubeconfig');
  let up: KubelingProc;
  let browser: Browser;
  let page: Page;
  let firefox: PuppeteerBrowser | undefined;
  let base = '';

  const kubectl = (...args: string[]): Promise<string> => kubectlOk(kubeconfig, ...args);
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  };
  const byTestId = (id: string, attrs: Record<string, string> = {}): string =>
    `[data-testid="${id}"]${Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('')}`;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const p = await upPorts();
    base = `https://127.0.0.1:${p.api}`;
    up = startKubeling('up', ['--data-dir', dir, '--store-port', String(p.store), '--port', String(p.api), '--nodes', '2']);
    await printed(up, 'Ctrl-C stops the cluster.');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // kubeling's own CA signs the API server's certificate: the browser is told to accept it, as a user clicks through
    page = await browser.newPage({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(60_000);
  });
  after(async () => {
    await browser?.close();
    await firefox?.close();
    if (up) {
      up.proc.kill('SIGINT');
      await up.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('up prints the dashboard\'s address; the token signs in as the admin', async () => {
    assert.match(up.out, new RegExp(`Dashboard: ${base.replace(/\./g, '\\.')}/ui/`));
    // a wrong token is refused with a message, the right one signs in
    await page.goto(`${base}/ui/`);
    await page.locator(byTestId('login-token')).fill('not-a-token');
    await page.locator(byTestId('login-submit')).click();
    await page.locator(byTestId('login-error')).waitFor();
    const token = readFileSync(join(dir, 'ui-token'), 'utf8').trim();
    await page.locator(byTestId('login-token')).fill(token);
    await page.locator(byTestId('login-submit')).click();
    assert.equal(await page.locator(byTestId('username')).textContent(), 'kubernetes-admin');
    await page.locator(byTestId('admin-badge')).waitFor();
  });

  it('cluster view: a Deployment made with kubectl shows its pods on the nodes, Running, and its rollout complete', async () => {
    await page.locator(byTestId('nav-cluster')).click();
    await page.locator(byTestId('node-card', { name: 'kubeling-node-0' })).waitFor();
    await page.locator(byTestId('node-card', { name: 'kubeling-node-1' })).waitFor();
    await kubectl('create', 'deployment', 'web', '--image=nginx', '--replicas=3');
    await page.locator(byTestId('deployment-row', { name: 'web', state: 'complete' })).waitFor();
    const running = page.locator(`${byTestId('pod-chip', { namespace: 'default', phase: 'Running' })}[data-name^="web-"]`);
    // (a string: the function runs in the page, where this file's types do not reach)
    await page.waitForFunction(`document.querySelectorAll('[data-testid="pod-chip"][data-namespace="default"][data-phase="Running"][data-name^="web-"]').length === 3`);
    assert.equal(await running.count(), 3);
    // a pod that fits nowhere is listed as pending, with the scheduler's reason
    await kubectl('run', 'too-big', '--image=nginx', '--overrides={"spec":{"containers":[{"name":"too-big","image":"nginx","resources":{"requests":{"cpu":"64"}}}]}}');
    const pending = page.locator(byTestId('pending-pod', { name: 'too-big' }));
    await pending.locator(byTestId('pending-message')).filter({ hasText: 'Insufficient cpu' }).waitFor();
    await shot('cluster');
  });

  it('store explorer: the keys of the Deployment and its pods, with their revisions, and history with a diff', async () => {
    const pod = (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    await page.goto(`${base}/ui/#/store?key=${encodeURIComponent(`/registry/pods/default/${pod}`)}`);
    await page.locator(byTestId('key-name')).filter({ hasText: `/registry/pods/default/${pod}` }).waitFor();
    assert.match((await page.locator(byTestId('key-value')).textContent()) ?? '', /nodeName: kubeling-node-\d/);
    const created = Number(await page.locator(byTestId('key-create-revision')).textContent());
    const modified = Number(await page.locator(byTestId('key-mod-revision')).textContent());
    assert.ok(created > 0 && modified > created, `create ${created}, mod ${modified}: the pod was bound and its status written after its creation`);
    assert.ok(Number(await page.locator(byTestId('key-version')).textContent()) >= 3);
    // the tree shows the pods under their prefix, with counts
    const prefix = page.locator(byTestId('tree-node', { key: '/registry/pods/default' }));
    await prefix.waitFor();
    assert.ok(Number(await prefix.getAttribute('data-count')) >= 4, 'three web pods and too-big');
    await page.locator(byTestId('tree-node', { key: '/registry/deployments' })).waitFor();
    // history: every version of the pod back to its creation, and a diff between two of them
    const rows = page.locator(byTestId('history-row'));
    await page.waitForFunction(`document.querySelectorAll('[data-testid="history-row"]').length >= 3`);
    assert.equal(Number(await rows.last().getAttribute('data-revision')), created);
    await page.locator(byTestId('history-diff')).waitFor();
    await shot('store');
  });

  it('store explorer: read-only until an admin allows writes; a write shows its diff and waits for a confirmation; a new key is created only if absent', async () => {
    await kubectl('create', 'configmap', 'edited', '--from-literal=color=blue');
    await page.goto(`${base}/ui/#/store?key=${encodeURIComponent('/registry/configmaps/default/edited')}`);
    await page.locator(byTestId('key-value')).filter({ hasText: 'color: blue' }).waitFor();
    assert.equal(await page.locator(byTestId('key-edit')).count(), 0, 'no Edit before writes are allowed');
    await page.locator(byTestId('allow-writes')).check();
    await page.locator(byTestId('key-edit')).click();
    const editor = page.locator(byTestId('key-editor'));
    await editor.fill((await editor.inputValue()).replace('"blue"', '"green"'));
    await page.locator(byTestId('key-save')).click();
    // the dialog shows what changes; Cancel writes nothing
    await page.locator(byTestId('confirm-diff')).filter({ hasText: 'green' }).waitFor();
    await page.locator(byTestId('confirm-cancel')).click();
    assert.equal(await kubectl('get', 'configmap', 'edited', '-o', 'jsonpath={.data.color}'), 'blue');
    await page.locator(byTestId('key-save')).click();
    await page.locator(byTestId('confirm-ok')).click();
    // written to the store under the API server: kubectl sees it (through the watch cache, so perhaps a moment later)
    await page.locator(byTestId('key-value')).filter({ hasText: 'color: green' }).waitFor();
    let color = '';
    for (let tries = 0; tries < 50 && color !== 'green'; tries++) {
      color = await kubectl('get', 'configmap', 'edited', '-o', 'jsonpath={.data.color}');
    }
    assert.equal(color, 'green');

    // a new key: the form starts from the open key's prefix; a key that is empty or not from "/" is refused before anything is sent
    const inStore = async (key: string): Promise<{ value: unknown; version: number }> =>
      JSON.parse(await kubectl('get', '--raw', `/ui/api/store/key?key=${encodeURIComponent(key)}`)) as { value: unknown; version: number };
    await page.locator(`${byTestId('tree-node', { key: '/registry/configmaps/default/edited' })}[aria-selected="true"]`).waitFor();
    await page.locator(byTestId('key-new')).click();
    const newName = page.locator(byTestId('key-new-name'));
    assert.equal(await newName.inputValue(), '/registry/configmaps/default/');
    await newName.fill('');
    await page.locator(byTestId('key-new-create')).click();
    await page.locator(byTestId('key-new-error')).filter({ hasText: 'Enter a key' }).waitFor();
    await newName.fill('kubeling-test/new-key');
    await newName.press('Enter');
    await page.locator(byTestId('key-new-error')).filter({ hasText: 'starts with "/"' }).waitFor();
    assert.equal(await page.locator(byTestId('confirm-dialog')).count(), 0, 'no confirmation asked for a refused key');
    // created once confirmed (the dialog shows the value), then open in the panel and in the tree
    const newKey = '/kubeling-test/new-key';
    await newName.fill(newKey);
    await page.locator(byTestId('key-new-value')).fill('{"made": "in the browser", "n": 1}');
    await page.locator(byTestId('key-new-create')).click();
    await page.locator(byTestId('confirm-diff')).filter({ hasText: '"made": "in the browser"' }).waitFor();
    await page.locator(byTestId('confirm-ok')).click();
    await page.locator(byTestId('key-value')).filter({ hasText: 'made: in the browser' }).waitFor();
    assert.equal(await page.locator(byTestId('key-name')).textContent(), newKey);
    assert.equal(await page.locator(byTestId('key-version')).textContent(), '1');
    const createdAt = (await page.locator(byTestId('key-create-revision')).textContent()) ?? '';
    assert.equal(await page.locator(byTestId('key-mod-revision')).textContent(), createdAt);
    await page.locator(byTestId('history-row', { revision: createdAt })).waitFor();
    assert.equal(await page.locator(byTestId('history-row')).count(), 1);
    await page.locator(`${byTestId('tree-node', { key: newKey })}[aria-selected="true"]`).waitFor();
    // in the store, read back through the inspection API by kubectl
    const stored = await inStore(newKey);
    assert.deepEqual([stored.value, stored.version], [{ made: 'in the browser', n: 1 }, 1]);
    // created again (from the keyboard): refused, 409, shown in the form; the key is unchanged
    await page.locator(byTestId('key-new')).click();
    assert.equal(await newName.inputValue(), '/kubeling-test/');
    await newName.fill(newKey);
    await page.locator(byTestId('key-new-value')).fill('"again"');
    await newName.press('Enter');
    await page.locator(byTestId('confirm-ok')).click();
    const refused = page.locator(byTestId('key-new-error')).filter({ hasText: '409' });
    await refused.waitFor();
    assert.match((await refused.textContent()) ?? '', /AlreadyExists/);
    assert.equal((await inStore(newKey)).version, 1);
    // Escape closes the form and gives the focus back to its button
    await newName.press('Escape');
    await page.locator(byTestId('key-new-form')).waitFor({ state: 'detached' });
    assert.equal(await page.evaluate<string | null>(`document.activeElement?.getAttribute('data-testid')`), 'key-new');
  });

  it('the key tree works with the keyboard', async () => {
    await page.goto(`${base}/ui/#/store`);
    const first = page.locator(`${byTestId('tree-node')}[aria-selected="true"], ${byTestId('tree-node')}`).first();
    await first.focus();
    const focused = `document.activeElement?.getAttribute('data-key')`;
    const before = await page.evaluate<string | null>(focused);
    await page.keyboard.press('ArrowDown');
    const after = await page.evaluate<string | null>(focused);
    assert.ok(after && after !== before, `ArrowDown moved the focus from ${before} to ${after}`);
  });

  it('flow view: follows a pod from the Deployment through the ReplicaSet, the binding and the kubelet to Running', async () => {
    const pod = (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    await page.goto(`${base}/ui/#/flow?pod=default/${pod}`);
    const result = page.locator(byTestId('follow-result', { running: 'true' }));
    await result.waitFor();
    for (const step of ['deployment', 'replicaset', 'pod', 'binding', 'running']) {
      await result.locator(byTestId('follow-step', { step, found: 'true' })).waitFor();
    }
    // who did each step
    const timeline = page.locator(byTestId('flow-timeline'));
    await timeline.locator(byTestId('flow-entry', { component: 'kubectl', resource: 'deployments' })).first().waitFor();
    await timeline.locator(byTestId('flow-entry', { component: 'kube-scheduler' })).first().waitFor();
    await shot('flow');
  });

  it('Raft view: stopping the leader gets another elected; started again, it rejoins', async () => {
    await page.locator(byTestId('nav-raft')).click();
    const leader = page.locator(byTestId('raft-member', { role: 'leader' }));
    await leader.waitFor();
    const name = await leader.getAttribute('data-name');
    assert.ok(name);
    await shot('raft');
    await leader.locator(byTestId('raft-stop')).click();
    await page.locator(byTestId('confirm-ok')).click();
    await page.locator(byTestId('raft-member', { name, stopped: 'true' })).waitFor();
    const next = page.locator(`${byTestId('raft-member', { role: 'leader' })}:not([data-name="${name}"])`);
    await next.waitFor();
    await page.locator(byTestId('raft-event', { kind: 'leader' })).first().waitFor();
    await shot('raft-election');
    // the cluster still takes writes, and the stopped member, started again, follows
    // (a write that meets the tail of the election may be refused with a 5xx: a client tries it again)
    await until('a write after the election', async () => {
      const r = await kubectlWith(kubeconfig, 'create', 'configmap', 'after-election', '--from-literal=k=v');
      return r.status === 0 || r.stderr.includes('AlreadyExists') ? true : undefined;
    }, 30_000);
    await page.locator(byTestId('raft-member', { name })).locator(byTestId('raft-start')).click();
    // back in the cluster: a follower, or (should the machine's load cost the new leader its term) the leader again
    await page.locator(`${byTestId('raft-member', { name, stopped: 'false' })}:is([data-role="follower"], [data-role="leader"])`).waitFor();
    await page.waitForFunction(`document.querySelectorAll('[data-testid="raft-member"][data-role="leader"]').length === 1`);
  });

  it('fits a phone\'s width: the navigation shows, nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${base}/ui/#/cluster`);
    await page.locator(byTestId('node-card', { name: 'kubeling-node-0' })).waitFor();
    for (const nav of ['nav-cluster', 'nav-store', 'nav-raft', 'nav-flow']) assert.ok(await page.locator(byTestId(nav)).isVisible(), nav);
    assert.ok(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'no horizontal scrolling at 375 px');
    await shot('cluster-phone');
    // the store's "New key…" form too
    await page.goto(`${base}/ui/#/store?key=${encodeURIComponent('/kubeling-test/new-key')}`);
    await page.locator(byTestId('allow-writes')).check();
    await page.locator(byTestId('key-new')).click();
    await page.locator(byTestId('key-new-value')).waitFor();
    assert.ok(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'no horizontal scrolling at 375 px (new key form)');
  });

  describe('and in Firefox (WebDriver BiDi, puppeteer-core)', () => {
    it('signs in by the address; the cluster, store, Raft and flow views show the cluster', { timeout: 60_000 }, async () => {
      assert.ok(existsSync(FIREFOX), `Firefox is missing: ${FIREFOX} (apt-get install -y firefox-esr, or set $FIREFOX)`);
      firefox = await launchPuppeteer({
        browser: 'firefox',
        executablePath: FIREFOX,
        headless: true,
        // kubeling's own CA signs the API server's certificate, as in Chromium above
        acceptInsecureCerts: true,
        defaultViewport: { width: 1280, height: 800 },
      });
      const ff = await firefox.newPage();
      ff.setDefaultTimeout(20_000);
      const token = readFileSync(join(dir, 'ui-token'), 'utf8').trim();
      const text = async (selector: string): Promise<string> => (await ff.$eval(selector, (e) => e.textContent)) ?? '';

      // the token in the address signs in (and is taken out of the address)
      await ff.goto(`${base}/ui/#token=${encodeURIComponent(token)}`);
      await ff.waitForSelector(byTestId('admin-badge'));
      assert.equal(await text(byTestId('username')), 'kubernetes-admin');
      assert.ok(!ff.url().includes(token), 'the token is taken out of the address');

      // cluster: both nodes, the Deployment's three pods Running
      await ff.click(byTestId('nav-cluster'));
      await ff.waitForSelector(byTestId('node-card', { name: 'kubeling-node-0' }));
      await ff.waitForSelector(byTestId('node-card', { name: 'kubeling-node-1' }));
      await ff.waitForFunction(`document.querySelectorAll('[data-testid="pod-chip"][data-namespace="default"][data-phase="Running"][data-name^="web-"]').length === 3`);
      await ff.screenshot({ path: join(SHOTS, 'firefox-cluster.png') });

      // store: a pod's key and its value
      const pod = (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
      const key = `/registry/pods/default/${pod}`;
      await ff.goto(`${base}/ui/#/store?key=${encodeURIComponent(key)}`);
      // (a string: the function runs in the page, where this file's types do not reach)
      await ff.waitForFunction(`document.querySelector('[data-testid="key-name"]')?.textContent === ${JSON.stringify(key)}`);
      await ff.waitForSelector(byTestId('key-value'));
      assert.match(await text(byTestId('key-value')), /nodeName: kubeling-node-\d/);

      // Raft: three members, one leader
      await ff.click(byTestId('nav-raft'));
      await ff.waitForSelector(byTestId('raft-member', { role: 'leader' }));
      await ff.waitForFunction(`document.querySelectorAll('[data-testid="raft-member"]').length === 3`);
      assert.equal((await ff.$$(byTestId('raft-member', { role: 'leader' }))).length, 1);

      // flow: the recorded writes and their watch events
      await ff.click(byTestId('nav-flow'));
      await ff.waitForSelector(`${byTestId('flow-timeline')} ${byTestId('flow-entry')}`);
      assert.ok((await ff.$$(byTestId('flow-entry'))).length > 0);

      await firefox.close();
      firefox = undefined;
    });
  });
});
