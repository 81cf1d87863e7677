/** The container log endpoint: the kubelet's paths, queries and errors, and a follow that ends with its container. */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../client/clock.js';
import type { Pod } from '../client/types.js';
import type { NodeAgent } from './agent.js';
import { planPod, podStatusAt } from './lifecycle.js';
import { parseLogQuery, rfc3339Nano, startLogServer, type LogServer } from './logs.js';
import type { PodView } from './pods.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const TIMINGS = { startMs: [1000, 1000] as const, initMs: 1000, runMs: 5000 };

/** A GET: `head` resolves when the answer's headers are in, `body` when it has ended. */
function open(port: number, path: string): { head: Promise<void>; body: Promise<{ code: number; text: string }> } {
  let head!: () => void;
  const headed = new Promise<void>((r) => (head = r));
  const body = new Promise<{ code: number; text: string }>((res, rej) => {
    get({ host: '127.0.0.1', port, path }, (r) => {
      head();
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => res({ code: r.statusCode ?? 0, text }));
    }).on('error', rej);
  });
  return { head: headed, body };
}

const answer = (port: number, path: string): Promise<{ code: number; text: string }> => open(port, path).body;

describe('the container log endpoint', () => {
  const clock = new FakeClock(T0);
  const pods = new Map<string, Pod>();
  const agent = { name: 'n1', active: true } as NodeAgent;
  const view = (ns: string, name: string): PodView | undefined => {
    const pod = pods.get(`${ns}/${name}`);
    if (!pod) return undefined;
    const plan = planPod(pod, { startedAt: T0 }, TIMINGS);
    return { pod, plan, agent, podIP: '10.244.0.2', status: podStatusAt(pod, plan, clock.now(), { hostIP: '127.0.0.1', podIP: '10.244.0.2' }) };
  };
  let server: LogServer;
  before(async () => {
    pods.set('default/job', { metadata: { name: 'job', namespace: 'default', uid: 'u1', annotations: { 'kubeling.dev/run-seconds': '4' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] } });
    server = await startLogServer(view, { host: '127.0.0.1', port: 0, clock });
  });
  after(async () => {
    await server?.close();
  });

  it('answers with the kubelet\'s errors', async () => {
    assert.deepEqual(await answer(server.port, '/containerLogs/default/nope/app'), { code: 404, text: 'pod "nope" does not exist\n' });
    assert.deepEqual(await answer(server.port, '/containerLogs/default/job/other'), { code: 404, text: 'container "other" not found in pod "job"\n' });
    assert.deepEqual(await answer(server.port, '/containerLogs/default/job/app'), { code: 400, text: 'container "app" in pod "job" is waiting to start: ContainerCreating' });
    assert.equal((await answer(server.port, '/stats/summary')).code, 404);
    assert.equal((await answer(server.port, '/containerLogs/default/job/app?tailLines=-1')).code, 400);
  });

  it('writes the lines so far, with tailLines, timestamps, sinceTime and limitBytes', async () => {
    clock.step(2000);
    assert.deepEqual(await answer(server.port, '/containerLogs/default/job/app?previous=true'), { code: 400, text: 'previous terminated container "app" in pod "job" not found' });
    const all = await answer(server.port, '/containerLogs/default/job/app');
    assert.equal(all.code, 200);
    assert.deepEqual(all.text.trim().split('\n').map((l) => l.replace(/ \(.*\)$/, '')), [
      'kubeling: image docker.io/library/busybox:latest pulled',
      'kubeling: container app of pod default/job started on node n1 with IP 10.244.0.2',
      'kubeling: ready',
      'kubeling: working for 4s, then exiting with code 0',
    ]);
    const tail = await answer(server.port, '/containerLogs/default/job/app?tailLines=1&timestamps=true');
    assert.equal(tail.text, '2025-01-01T00:00:01Z kubeling: working for 4s, then exiting with code 0\n');
    assert.equal((await answer(server.port, '/containerLogs/default/job/app?sinceTime=2025-01-01T00:00:02Z')).text, '');
    assert.equal((await answer(server.port, '/containerLogs/default/job/app?limitBytes=8')).text, 'kubeling');
  });

  it('follows until the container stops', async () => {
    const follow = open(server.port, '/containerLogs/default/job/app?follow=true&tailLines=0');
    await follow.head; // the lines so far (none asked for) are written: now time passes
    clock.step(5000); // past the end of its run
    const r = await follow.body;
    assert.deepEqual([r.code, r.text], [200, 'kubeling: work done; exiting with code 0\n']);
  });

  it('parses the kubelet\'s query and stamps lines as RFC 3339 with nanoseconds', () => {
    const q = parseLogQuery(new URLSearchParams('follow=true&sinceSeconds=10&tailLines=3'), T0);
    assert.deepEqual(q, { follow: true, previous: false, timestamps: false, tailLines: 3, since: T0 - 10_000 });
    assert.throws(() => parseLogQuery(new URLSearchParams('sinceSeconds=1&sinceTime=2025-01-01T00:00:00Z'), T0), /at most one/);
    assert.equal(rfc3339Nano(T0 + 120), '2025-01-01T00:00:00.12Z');
    assert.equal(rfc3339Nano(T0), '2025-01-01T00:00:00Z');
  });
});
