import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { tokens } from '../auth/authenticate.js';
import { createApp } from '../http/server.js';
import { uiServer } from './index.js';
import { staticPart, WEB_DIR } from './static.js';

/** An express app serving only the static part from `webDir`. */
function appOf(webDir?: string): express.Express {
  const app = express();
  staticPart(webDir).routes!(app);
  return app;
}

describe('the dashboard’s static files', () => {
  const app = appOf();

  it('redirects /ui to /ui/ and serves index.html uncached', async () => {
    const r = await request(app).get('/ui?x=1');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/ui/?x=1');
    for (const path of ['/ui/', '/ui/index.html']) {
      const p = await request(app).get(path);
      assert.equal(p.status, 200);
      assert.match(p.headers['content-type']!, /^text\/html; charset=utf-8/);
      assert.equal(p.headers['cache-control'], 'no-store');
      assert.match(p.headers['content-security-policy']!, /script-src 'self'/);
      assert.match(p.text, /<script type="module" src="app.js"><\/script>/);
    }
  });

  it('bundles web/src/main.ts into app.js with a source map, answering 304 to a known ETag', async () => {
    const js = await request(app).get('/ui/app.js');
    assert.equal(js.status, 200, js.text);
    assert.match(js.headers['content-type']!, /^text\/javascript; charset=utf-8/);
    assert.match(js.text, /\/\/# sourceMappingURL=app\.js\.map\s*$/);
    assert.match(js.text, /ListWatch/, 'the bundle holds the sources');
    assert.doesNotMatch(js.text, /^import /m, 'everything is bundled: no imports left');
    const again = await request(app).get('/ui/app.js').set('If-None-Match', js.headers.etag!);
    assert.equal(again.status, 304);
    const map = await request(app).get('/ui/app.js.map');
    assert.equal(map.status, 200);
    assert.match(map.headers['content-type']!, /^application\/json/);
    const m = JSON.parse(map.text) as { sources: string[]; sourcesContent: string[] };
    assert.ok(m.sources.includes('src/main.ts'), m.sources.join(', '));
    assert.equal(m.sources.length, m.sourcesContent.length);
  });

  it('serves style.css', async () => {
    const r = await request(app).get('/ui/style.css');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type']!, /^text\/css; charset=utf-8/);
    assert.match(r.text, /prefers-color-scheme: dark/);
  });
});

describe('bundling a changed or broken dashboard', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeling-web-'));
    cpSync(WEB_DIR, dir, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 500 with esbuild’s message, and bundles again once the source is fixed', async () => {
    const app = appOf(dir);
    const main = join(dir, 'src/main.ts');
    assert.equal((await request(app).get('/ui/app.js')).status, 200);
    writeFileSync(join(dir, 'src/extra.ts'), 'export const marker = "first-version";\n');
    writeFileSync(main, `import { marker } from './extra.js';\nconsole.log(marker);\n`);
    await new Promise((r) => setTimeout(r, 1100)); // past the change check's interval
    const first = await request(app).get('/ui/app.js');
    assert.equal(first.status, 200);
    assert.match(first.text, /first-version/, 'a changed source is bundled again');

    writeFileSync(main, 'export const = ;\n');
    await new Promise((r) => setTimeout(r, 1100));
    const broken = await request(app).get('/ui/app.js');
    assert.equal(broken.status, 500);
    assert.match(broken.headers['content-type']!, /^text\/plain/);
    assert.match(broken.text, /src\/main\.ts:1:\d+: ERROR/);

    writeFileSync(join(dir, 'src/extra.ts'), 'export const marker = "second-version";\n');
    writeFileSync(main, `import { marker } from './extra.js';\nconsole.log(marker);\n`);
    const future = new Date(Date.now() + 1000);
    utimesSync(main, future, future);
    const fixed = await request(app).get('/ui/app.js');
    assert.equal(fixed.status, 200);
    assert.match(fixed.text, /second-version/);
  });
});

describe('the static files on an authenticating API server', () => {
  const app = createApp([], { authenticate: tokens(new Map([['tok', { username: 'alice', groups: ['system:authenticated'] }]])) }, uiServer([staticPart()]));

  it('serves /ui/ and its files to anyone, but not /ui/api/ nor the API', async () => {
    assert.equal((await request(app).get('/ui/')).status, 200);
    assert.equal((await request(app).get('/ui/style.css')).status, 200);
    assert.equal((await request(app).get('/ui/api/raft')).status, 401);
    assert.equal((await request(app).get('/api/v1/pods')).status, 401);
    assert.equal((await request(app).get('/ui/nothing-here')).status, 404);
    assert.equal((await request(app).get('/ui/api/raft').set('Authorization', 'Bearer tok')).status, 404);
  });
});
