/**
 * The dashboard's static files under /ui/ (public: the sign-in page must
 * load before there is a token): index.html, style.css, and app.js, which is
 * web/src/main.ts bundled by esbuild in memory, with its source map at
 * app.js.map. Nothing is built ahead and nothing is fetched: the bundle is
 * made at the first request for the page or the script, and made again when
 * one of its source files has changed since (so editing web/src/ needs only
 * a reload). A bundling error is answered 500 with esbuild's message.
 *
 * The API server may not import web/ (the layer rule): its files are read by
 * path, found from this file's folder.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Request, Response } from 'express';
import type { UiPart } from './index.js';

/** The dashboard's folder in this checkout. */
export const WEB_DIR = resolve(import.meta.dirname, '../../web');

/** How often at most the bundle's sources are checked for changes. */
const CHECK_MS = 1000;

/** A bundle of the dashboard's script. */
interface Bundle {
  readonly js: Buffer;
  readonly map: Buffer;
  readonly jsTag: string;
  readonly mapTag: string;
  /** Its source files (absolute paths) and when it was made from them. */
  readonly inputs: readonly string[];
  readonly builtAt: number;
}

/** The policy of the page: its own scripts and styles only, and requests to this server (WebSockets included). */
function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && /^[\w.-]+(?::\d+)?$|^\[[0-9a-fA-F:.]+\](?::\d+)?$/.test(host) ? `ws://${host} wss://${host}` : 'ws: wss:';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const etag = (b: Buffer): string => `"${createHash('sha256').update(b).digest('base64url').slice(0, 27)}"`;

/** Answers `body` with `type`, or 304 when the client has it (by ETag). */
function sendCached(req: Request, res: Response, body: Buffer, type: string, tag: string): void {
  res.set({ 'Content-Type': type, 'Cache-Control': 'no-cache', ETag: tag, 'X-Content-Type-Options': 'nosniff' });
  if (req.get('if-none-match') === tag) return void res.status(304).end();
  res.send(body);
}

/** The UiPart serving the dashboard's files from `webDir` (web/ of this checkout by default). */
export function staticPart(webDir: string = WEB_DIR): UiPart {
  let bundle: Bundle | undefined;
  let building: Promise<Bundle> | undefined;
  let checkedAt = 0;

  const build = async (): Promise<Bundle> => {
    const esbuild = await import('esbuild');
    const started = Date.now();
    const r = await esbuild.build({
      absWorkingDir: webDir,
      entryPoints: [join(webDir, 'src/main.ts')],
      tsconfig: join(webDir, 'tsconfig.json'),
      outfile: join(webDir, 'app.js'),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
      sourcemap: 'linked',
      metafile: true,
      charset: 'utf8',
      logLevel: 'silent',
    });
    const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
    const map = r.outputFiles.find((f) => f.path.endsWith('.js.map'));
    if (!js || !map) throw new Error('esbuild gave no app.js and app.js.map');
    const jsBuf = Buffer.from(js.contents);
    const mapBuf = Buffer.from(map.contents);
    return { js: jsBuf, map: mapBuf, jsTag: etag(jsBuf), mapTag: etag(mapBuf), inputs: Object.keys(r.metafile.inputs).map((p) => resolve(webDir, p)), builtAt: started };
  };

  /** Whether a source of `b` changed after it was built (or is gone). */
  const stale = async (b: Bundle): Promise<boolean> => {
    const times = await Promise.all(b.inputs.map((p) => stat(p).then((s) => s.mtimeMs, () => Infinity)));
    return times.some((t) => t >= b.builtAt);
  };

  /** The current bundle: built at the first call, rebuilt when its sources changed. Rejects with esbuild's error. */
  const current = async (): Promise<Bundle> => {
    if (building) return building;
    if (bundle && Date.now() - checkedAt < CHECK_MS) return bundle;
    if (bundle && !(await stale(bundle))) {
      checkedAt = Date.now();
      return bundle;
    }
    building ??= build().then(
      (b) => {
        bundle = b;
        checkedAt = Date.now();
        building = undefined;
        return b;
      },
      (e: unknown) => {
        building = undefined; // not kept: the next request tries again (after a fix)
        throw e;
      },
    );
    return building;
  };

  const script = (which: 'js' | 'map') => async (req: Request, res: Response) => {
    let b: Bundle;
    try {
      b = await current();
    } catch (e) {
      res.status(500).set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).send(`bundling the dashboard (web/src/main.ts) failed:\n${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    if (which === 'js') sendCached(req, res, b.js, 'text/javascript; charset=utf-8', b.jsTag);
    else sendCached(req, res, b.map, 'application/json; charset=utf-8', b.mapTag);
  };

  const file = (name: string, type: string) => async (req: Request, res: Response) => {
    let body: Buffer;
    try {
      body = await readFile(join(webDir, name));
    } catch (e) {
      res.status(500).type('text/plain').send(`reading the dashboard's ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    sendCached(req, res, body, type, etag(body));
  };

  const index = async (req: Request, res: Response): Promise<void> => {
    // without the slash, relative URLs (app.js, style.css) would miss /ui/
    if (req.path === '/ui') {
      const q = req.originalUrl.indexOf('?');
      return void res.redirect(301, `/ui/${q < 0 ? '' : req.originalUrl.slice(q)}`);
    }
    void current().catch(() => undefined); // start bundling while the page loads
    let body: Buffer;
    try {
      body = await readFile(join(webDir, 'index.html'));
    } catch (e) {
      res.status(500).type('text/plain').send(`reading the dashboard's index.html failed: ${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': contentSecurityPolicy(req.get('host')),
    });
    res.send(body);
  };

  return {
    routes(app) {
      app.get(['/ui', '/ui/', '/ui/index.html'], index);
      app.get('/ui/app.js', script('js'));
      app.get('/ui/app.js.map', script('map'));
      app.get('/ui/style.css', file('style.css', 'text/css; charset=utf-8'));
    },
  };
}
