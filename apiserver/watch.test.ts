/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { TestApi } from '../test/apiserver.js';

/** A watch stream's events, read line by line as they come. */
class EventReader {
  #buf = '';
  #events: any[] = [];
  #waiters: (() => void)[] = [];
  ended = false;
  constructor(body: ReadableStream<Uint8Array>) {
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.#buf += dec.decode(chunk, { stream: true });
        let nl;
        while ((nl = this.#buf.indexOf('\n')) >= 0) {
          this.push(JSON.parse(this.#buf.slice(0, nl)));
          this.#buf = this.#buf.slice(nl + 1);
        }
      }
      this.ended = true;
      this.#wake();
    })().catch(() => {
      this.ended = true;
      this.#wake();
    });
  }
  push(e: any): void {
    this.#events.push(e);
    this.#wake();
  }
  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
  /** The next n events (fails when the stream ends first). */
  async take(n: number): Promise<any[]> {
    while (this.#events.length < n) {
      if (this.ended) throw new Error(`stream ended after ${JSON.stringify(this.#events)}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return this.#events.splice(0, n);
  }
  /** Every event until the stream ends. */
  async rest(): Promise<any[]> {
    while (!this.ended) await new Promise<void>((r) => this.#waiters.push(r));
    return this.#events.splice(0);
  }
}

describe('API server watches: chunked HTTP and WebSocket, from now or a resourceVersion, with selectors and bookmarks', () => {
  let t: TestApi;
  const controllers: AbortController[] = [];
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    for (const c of controllers) c.abort();
    await t?.stop();
  });
  const call = (...args: Parameters<TestApi['call']>) => t.call(...args);
  const watch = async (path: string): Promise<EventReader> => {
    const c = new AbortController();
    controllers.push(c);
    const r = await fetch(t.base + path, { signal: c.signal });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    return new EventReader(r.body!);
  };
  const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({ metadata: { name, labels }, data });
  const summary = (evs: any[]) => evs.map((e) => [e.type, e.object.metadata?.name, e.object.data?.v]);

  it('starts with the current objects as ADDED, then streams changes in order with their resourceVersions', async () => {
    await call('POST', '/api/v1/namespaces/kube-public/configmaps', cm('w0', {}, { v: '0' }));
    const w = await watch('/api/v1/namespaces/kube-public/configmaps?watch=true');
    assert.deepEqual(summary(await w.take(1)), [['ADDED', 'w0', '0']]);
    const c = await call('POST', '/api/v1/namespaces/kube-public/configmaps', cm('w1', {}, { v: '1' }));
    const u = await call('PUT', '/api/v1/namespaces/kube-public/configmaps/w1', { ...c.body, data: { v: '2' } });
    await call('DELETE', '/api/v1/namespaces/kube-public/configmaps/w1');
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('elsewhere'));
    const evs = await w.take(3);
    assert.deepEqual(summary(evs), [
      ['ADDED', 'w1', '1'],
      ['MODIFIED', 'w1', '2'],
      ['DELETED', 'w1', '2'],
    ]);
    assert.equal(evs[0].object.kind, 'ConfigMap');
    assert.equal(evs[0].object.apiVersion, 'v1');
    assert.equal(evs[0].object.metadata.resourceVersion, c.body.metadata.resourceVersion);
    assert.equal(evs[1].object.metadata.resourceVersion, u.body.metadata.resourceVersion);
    assert.ok(Number(evs[2].object.metadata.resourceVersion) > Number(u.body.metadata.resourceVersion), 'a deletion carries its own revision');
  });

  it('resumes from a resourceVersion with the changes after it, and answers a too old one with a 410 ERROR event', async () => {
    const first = await call('POST', '/api/v1/namespaces/default/configmaps', cm('r1', {}, { v: '1' }));
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('r2', {}, { v: '2' }));
    const w = await watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${first.body.metadata.resourceVersion}`);
    assert.deepEqual(summary(await w.take(1)), [['ADDED', 'r2', '2']]);

    const old = await watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1');
    const evs = await old.rest();
    assert.equal(evs.length, 1);
    assert.equal(evs[0].type, 'ERROR');
    assert.equal(evs[0].object.kind, 'Status');
    assert.equal(evs[0].object.code, 410);
    assert.equal(evs[0].object.reason, 'Expired');
    assert.match(evs[0].object.message, /^too old resource version: 1 \(\d+\)$/);
  });

  it('filters by label and field selectors: an object leaving the selection is DELETED, one entering is ADDED', async () => {
    const ns = await call('POST', '/api/v1/namespaces', { metadata: { name: 'sel' } });
    assert.equal(ns.code, 201);
    const w = await watch('/api/v1/namespaces/sel/configmaps?watch=true&labelSelector=tier%20in%20(web),!canary');
    const a = await call('POST', '/api/v1/namespaces/sel/configmaps', cm('a', { tier: 'web' }, { v: '1' }));
    await call('POST', '/api/v1/namespaces/sel/configmaps', cm('b', { tier: 'db' }));
    await call('PATCH', '/api/v1/namespaces/sel/configmaps/a', { metadata: { labels: { canary: 'yes' } } }, 'application/merge-patch+json');
    await call('PATCH', '/api/v1/namespaces/sel/configmaps/b', { metadata: { labels: { tier: 'web' } } }, 'application/merge-patch+json');
    const evs = await w.take(3);
    assert.deepEqual(summary(evs), [
      ['ADDED', 'a', '1'],
      ['DELETED', 'a', '1'],
      ['ADDED', 'b', undefined],
    ]);
    assert.equal(evs[1].object.metadata.labels.canary, undefined, 'DELETED shows the object as it last matched');
    assert.ok(Number(evs[1].object.metadata.resourceVersion) > Number(a.body.metadata.resourceVersion), 'at the revision it left');

    const byName = await watch('/api/v1/namespaces/sel/configmaps?watch=true&fieldSelector=metadata.name%3Db');
    assert.deepEqual(summary(await byName.take(1)), [['ADDED', 'b', undefined]]);
    const listed = await call('GET', '/api/v1/namespaces/sel/configmaps?labelSelector=tier%3Dweb&fieldSelector=metadata.name!%3Da');
    assert.deepEqual(listed.body.items.map((i: any) => i.metadata.name), ['b']);
    const bad = await call('GET', '/api/v1/namespaces/sel/configmaps?fieldSelector=spec.nodeName%3Dx');
    assert.deepEqual([bad.code, bad.body.reason, bad.body.message], [400, 'BadRequest', 'field label not supported: spec.nodeName']);
    const badLabel = await call('GET', '/api/v1/namespaces/sel/configmaps?labelSelector=a%20in%20b');
    assert.deepEqual([badLabel.code, badLabel.body.message], [400, "unable to parse requirement: found 'b', expected: '('"]);
  });

  it('sends initial events, then a bookmark marking their end, and a bookmark before it times out', async () => {
    await call('POST', '/api/v1/namespaces/kube-node-lease/configmaps', cm('i1'));
    const w = await watch('/api/v1/namespaces/kube-node-lease/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1');
    const evs = await w.rest();
    assert.deepEqual(
      evs.map((e) => e.type),
      ['ADDED', 'BOOKMARK', 'BOOKMARK'],
    );
    assert.deepEqual(evs[1].object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
    assert.equal(evs[1].object.kind, 'ConfigMap');
    assert.ok(Number(evs[2].object.metadata.resourceVersion) >= Number(evs[0].object.metadata.resourceVersion));

    const future = Number(evs[2].object.metadata.resourceVersion) + 1000;
    const tooNew = await call('GET', `/api/v1/namespaces/kube-node-lease/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${future}`);
    assert.deepEqual([tooNew.code, tooNew.body.kind, tooNew.body.reason], [504, 'Status', 'Timeout'], 'a state the store has not reached: a Status, before any stream');
    assert.match(tooNew.body.message, new RegExp(`^Too large resource version: ${future}, current: \\d+$`));

    const invalid = await call('GET', '/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true');
    assert.equal(invalid.code, 422);
    assert.deepEqual(
      invalid.body.details.causes.map((c: any) => c.field),
      ['resourceVersionMatch', 'allowWatchBookmarks'],
    );
  });

  it('streams Table events when asked: the columns with the first event only', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'tw' } });
    await call('POST', '/api/v1/namespaces/tw/configmaps', cm('t1', {}, { v: '1' }));
    const c = new AbortController();
    controllers.push(c);
    const r = await fetch(`${t.base}/api/v1/namespaces/tw/configmaps?watch=true`, { signal: c.signal, headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    const w = new EventReader(r.body!);
    await call('POST', '/api/v1/namespaces/tw/configmaps', cm('t2'));
    const [first, second] = await w.take(2);
    assert.equal(first.object.kind, 'Table');
    assert.deepEqual(first.object.columnDefinitions.map((d: any) => d.name), ['Name', 'Data', 'Age']);
    assert.deepEqual(first.object.rows[0].cells.slice(0, 2), ['t1', 1]);
    assert.deepEqual([second.type, second.object.columnDefinitions, second.object.rows[0].cells[0]], ['ADDED', [], 't2']);
  });

  it('streams over a WebSocket, and refuses an upgrade that is not a watch with a Status', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'ws' } });
    await call('POST', '/api/v1/namespaces/ws/configmaps', cm('x', {}, { v: '1' }));
    const ws = new WebSocket(`ws://127.0.0.1:${t.api.port}/api/v1/namespaces/ws/configmaps?watch=true`);
    const got: any[] = [];
    const two = new Promise<void>((res) => ws.on('message', (m) => got.push(JSON.parse(String(m))) === 2 && res()));
    await new Promise((res) => ws.once('open', res));
    await call('DELETE', '/api/v1/namespaces/ws/configmaps/x');
    await two;
    ws.close();
    assert.deepEqual(summary(got), [
      ['ADDED', 'x', '1'],
      ['DELETED', 'x', '1'],
    ]);

    const b64 = new WebSocket(`ws://127.0.0.1:${t.api.port}/api/v1/namespaces/kube-public/configmaps?watch=true&fieldSelector=metadata.name%3Dw0`, ['base64.binary.k8s.io']);
    const first = await new Promise<string>((res) => b64.once('message', (m) => res(String(m))));
    b64.close();
    assert.equal(JSON.parse(Buffer.from(first, 'base64').toString()).object.metadata.name, 'w0');

    const refused = new WebSocket(`ws://127.0.0.1:${t.api.port}/api/v1/namespaces/ws/configmaps`);
    const code = await new Promise<number>((res) => refused.once('unexpected-response', (_req, r) => res(r.statusCode!)));
    assert.equal(code, 400);
    // initial events at a revision the store has not reached: the upgrade is answered with the Status, as over HTTP
    const tooNew = new WebSocket(`ws://127.0.0.1:${t.api.port}/api/v1/namespaces/ws/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=999999999`);
    assert.equal(await new Promise<number>((res) => tooNew.once('unexpected-response', (_req, r) => res(r.statusCode!))), 504);
  });

  it('closing the server ends its open WebSockets (they no longer hold up a shutdown)', async () => {
    const own = await TestApi.start();
    const ws = new WebSocket(`ws://127.0.0.1:${own.api.port}/api/v1/configmaps?watch=true`);
    await new Promise((res) => ws.once('open', res));
    const closed = new Promise((res) => ws.once('close', res));
    await own.stop(); // hung before: the upgraded socket kept server.close() waiting
    await closed;
  });

  it('deletes a collection by selector, and answers wrong methods with 405', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'dc' } });
    for (const [n, app] of [['d1', 'x'], ['d2', 'x'], ['d3', 'y']] as const) await call('POST', '/api/v1/namespaces/dc/configmaps', cm(n, { app }));
    const del = await call('DELETE', '/api/v1/namespaces/dc/configmaps?labelSelector=app%3Dx');
    assert.equal(del.code, 200);
    assert.equal(del.body.kind, 'ConfigMapList');
    assert.deepEqual(del.body.items.map((i: any) => i.metadata.name), ['d1', 'd2']);
    const left = await call('GET', '/api/v1/namespaces/dc/configmaps');
    assert.deepEqual(left.body.items.map((i: any) => i.metadata.name), ['d3']);
    for (const [method, path] of [['POST', '/api/v1/namespaces/dc/configmaps/d3'], ['PUT', '/api/v1/namespaces/dc/configmaps'], ['PATCH', '/api/v1/namespaces/dc/configmaps']]) {
      const r = await call(method!, path!, {});
      assert.deepEqual([r.code, r.body.reason], [405, 'MethodNotAllowed'], `${method} ${path}`);
    }
  });

  it('keeps a namespace status to /status: a write to the namespace leaves it, a write to /status changes it and metadata, never the spec', async () => {
    const ns = await call('GET', '/api/v1/namespaces/sel');
    const put = await call('PUT', '/api/v1/namespaces/sel', { ...ns.body, status: { phase: 'Terminating' } });
    assert.equal(put.body.status.phase, 'Active');
    assert.equal(put.body.metadata.resourceVersion, ns.body.metadata.resourceVersion, 'nothing changed: nothing written');
    // kube's namespace status strategy resets only the spec: the body's labels are written, as kube-apiserver writes them
    const body = { ...put.body, metadata: { ...put.body.metadata, labels: { ...put.body.metadata.labels, via: 'status' } }, spec: { finalizers: ['example.com/sneaky'] }, status: { phase: 'Terminating' } };
    const st = await call('PUT', '/api/v1/namespaces/sel/status', body);
    assert.equal(st.code, 200);
    assert.equal(st.body.status.phase, 'Terminating');
    assert.equal(st.body.metadata.labels.via, 'status');
    assert.deepEqual(st.body.spec, put.body.spec);
    assert.equal(st.body.metadata.generation, put.body.metadata.generation);
    const byPhase = await call('GET', '/api/v1/namespaces?fieldSelector=status.phase%3DTerminating');
    assert.deepEqual(byPhase.body.items.map((i: any) => i.metadata.name), ['sel']);
    const disc = await call('GET', '/api/v1');
    assert.ok(disc.body.resources.some((r: any) => r.name === 'namespaces/status' && r.kind === 'Namespace'));
  });

  it('kubectl get -w prints changes as they happen until it is stopped', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'kw' } });
    const child = spawn('kubectl', ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, 'cache'), 'get', 'cm', '-n', 'kw', '-w', '-o', 'name']);
    let out = '';
    let waiting: (() => void) | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      waiting?.();
    });
    const seen = async (s: string): Promise<void> => {
      while (!out.includes(s)) await new Promise<void>((res) => (waiting = res));
    };
    try {
      await call('POST', '/api/v1/namespaces/kw/configmaps', cm('first'));
      await seen('configmap/first');
      await call('POST', '/api/v1/namespaces/kw/configmaps', cm('second'));
      await seen('configmap/second');
    } finally {
      child.kill();
    }
    assert.deepEqual(out.trim().split('\n'), ['configmap/first', 'configmap/second']);
    const got = await t.kubectl('get', 'cm', '-A', '-l', 'app=x', '-o', 'name');
    assert.equal(got.stdout.trim(), '');
  });
});
