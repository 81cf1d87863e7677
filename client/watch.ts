/**
 * Watch streams on the client side: a GET with `watch=true`, whose chunked
 * answer is newline-delimited JSON, parsed incrementally as it arrives
 * (lines may split anywhere across chunks, UTF-8 included). Each event goes
 * to `onEvent` in order, ERROR events (a Status, such as 410 Expired)
 * included; then `onEnd` is called exactly once: with no error when the
 * server ended the stream (its timeout) or `stop()` was called, with an
 * `ApiError` when the server refused the watch (a non-2xx answer), or with
 * an Error for a broken connection, a line that is not JSON or a handler
 * that threw. No event is delivered after the end.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, statusFrom } from './errors.js';
import type { ListOptions, RestClient } from './rest.js';
import type { KubeObject, WatchEvent } from './types.js';

/** What a watch reports to. */
export interface WatchHandlers<T extends KubeObject = KubeObject> {
  /** One event, in stream order. */
  onEvent(e: WatchEvent<T>): void;
  /** The end (see the file comment); called once. */
  onEnd?(err: Error | undefined): void;
}

/** A running watch. */
export interface Watch {
  /** Ends the watch (onEnd without error), closing its connection. Idempotent. */
  stop(): void;
  /** Resolves at the end, with onEnd's error. */
  readonly done: Promise<Error | undefined>;
}

/** Starts a watch of `path` through `client`; see the file comment. */
export function startWatch<T extends KubeObject>(client: RestClient, path: string, o: ListOptions & { allowWatchBookmarks?: boolean }, h: WatchHandlers<T>): Watch {
  const ac = new AbortController();
  let ended = false;
  let resolveDone!: (e: Error | undefined) => void;
  const done = new Promise<Error | undefined>((res) => (resolveDone = res));
  let response: IncomingMessage | undefined;
  const finish = (err: Error | undefined): void => {
    if (ended) return;
    ended = true;
    response?.destroy();
    resolveDone(err);
    h.onEnd?.(err);
  };
  const stop = (): void => {
    ac.abort();
    finish(undefined);
  };

  const onResponse = (r: IncomingMessage): void => {
    response = r;
    if (ended) return void r.destroy();
    const code = r.statusCode ?? 0;
    r.setEncoding('utf8');
    if (code < 200 || code > 299) {
      let text = '';
      r.on('data', (s: string) => (text += s));
      r.on('end', () => finish(new ApiError(statusFrom(code, text))));
      r.on('error', (e) => finish(e));
      return;
    }
    let buf = '';
    const line = (l: string): void => {
      if (ended || l.trim() === '') return;
      let ev: WatchEvent<T>;
      try {
        ev = JSON.parse(l) as WatchEvent<T>;
      } catch {
        return finish(new Error(`watch ${path}: not a JSON event: ${l.slice(0, 200)}`));
      }
      try {
        h.onEvent(ev);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    };
    r.on('data', (s: string) => {
      buf += s;
      let i: number;
      while (!ended && (i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        line(l);
      }
    });
    r.on('end', () => {
      line(buf);
      finish(undefined);
    });
    r.on('error', (e) => finish(ac.signal.aborted ? undefined : e));
    r.on('close', () => finish(r.complete ? undefined : new Error(`watch ${path}: connection closed`)));
  };

  client.open('GET', path, { query: { ...o, watch: 'true' }, signal: ac.signal }).then(onResponse, (e: Error) => finish(ac.signal.aborted ? undefined : e));
  return { stop, done };
}
