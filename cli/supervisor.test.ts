/** The supervisor of `kubeling up` over real child processes: its token, stop (SIGTERM, then exited) and start again. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { startSupervisor, type SupervisedProcess } from './supervisor.js';

/** A child process that runs until told to stop, as up holds a store member. */
function sleeper(name: string): SupervisedProcess & { proc: () => ChildProcess; signals: (NodeJS.Signals | null)[] } {
  const args = ['-e', 'setInterval(() => {}, 1 << 30)'];
  const signals: (NodeJS.Signals | null)[] = [];
  let proc = spawn(process.execPath, args, { stdio: 'ignore' });
  let exited = false;
  const watch = (p: ChildProcess): void => void p.once('exit', (_code, signal) => {
    exited = true;
    signals.push(signal);
  });
  watch(proc);
  return {
    name,
    signals,
    proc: () => proc,
    running: () => !exited,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
    start: () => {
      proc = spawn(process.execPath, args, { stdio: 'ignore' });
      exited = false;
      watch(proc);
    },
  };
}

describe('the supervisor', () => {
  const a = sleeper('store-1');
  const b = sleeper('store-2');
  after(() => {
    for (const p of [a, b]) p.proc().kill('SIGKILL');
  });

  it('answers only with its token; stops a member with SIGTERM and starts it again; idempotently', async () => {
    const s = await startSupervisor([a, b]);
    try {
      const call = async (method: string, path: string, token = s.token): Promise<{ code: number; body: unknown }> => {
        const r = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${token}` } });
        return { code: r.status, body: await r.json() };
      };
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await call('GET', '/members', 'wrong')).code, 401);
      assert.equal((await fetch(`${s.url}/members`)).status, 401);
      assert.deepEqual(await call('GET', '/members'), { code: 200, body: { members: [{ name: 'store-1', running: true }, { name: 'store-2', running: true }] } });

      const firstPid = a.proc().pid;
      assert.deepEqual(await call('POST', '/members/store-1/stop'), { code: 200, body: { name: 'store-1', running: false } });
      assert.deepEqual(a.signals, ['SIGTERM']);
      assert.deepEqual(await call('POST', '/members/store-1/stop'), { code: 200, body: { name: 'store-1', running: false } }, 'stopping a stopped member does nothing');
      assert.deepEqual((await call('GET', '/members')).body, { members: [{ name: 'store-1', running: false }, { name: 'store-2', running: true }] });

      assert.deepEqual(await call('POST', '/members/store-1/start'), { code: 200, body: { name: 'store-1', running: true } });
      assert.notEqual(a.proc().pid, firstPid, 'a new process');
      assert.deepEqual(await call('POST', '/members/store-1/start'), { code: 200, body: { name: 'store-1', running: true } });
      assert.equal(a.signals.length, 1, 'a start of a running member leaves it be');

      assert.equal((await call('POST', '/members/store-9/stop')).code, 404);
      assert.equal((await call('GET', '/members/store-1/stop')).code, 405);
      assert.equal((await call('POST', '/elsewhere')).code, 404);
    } finally {
      await s.close();
    }
  });
});
