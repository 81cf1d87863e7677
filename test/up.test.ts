/**
 * `kubeling up` when something is wrong: a component that cannot start is
 * named with the end of its log, and nothing is left running; a bad
 * --extra-config is refused. (The cluster working end to end, restarts
 * included, is test/e2e.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startKubeling, upPorts as ports, type KubelingProc } from './proc.js';

const startUp = (args: string[]): KubelingProc => startKubeling('up', args);

describe('kubeling up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-up-'));
  const running: KubelingProc[] = [];
  after(() => {
    for (const u of running) u.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an --extra-config that names no component, before starting anything', async () => {
    const u = startUp(['--data-dir', join(dir, 'refused'), '--extra-config', 'kube-proxy.mode=ipvs']);
    running.push(u);
    assert.equal(await u.exited, 1);
    assert.match(u.out, /kubeling up: --extra-config must be component\.flag=value with a component of store, apiserver, scheduler, controller-manager, nodes, not "kube-proxy\.mode=ipvs"/);
  });

  it('names a component that cannot start, with the end of its log, and stops the others', async () => {
    const p = await ports();
    const squatter: Server = await new Promise((res) => {
      const s = createServer().listen(p.api, '127.0.0.1', () => res(s));
    });
    try {
      const u = startUp(['--data-dir', join(dir, 'busy'), '--store-members', '1', '--store-port', String(p.store), '--port', String(p.api)]);
      running.push(u);
      assert.equal(await u.exited, 1);
      assert.match(u.out, /kubeling up: apiserver exited during start-up; the end of .*apiserver\.log:\n[^]*EADDRINUSE/);
    } finally {
      squatter.close();
    }
  });

  it('a store member whose client port is taken exits at once, naming the address (nothing of it keeps running)', async () => {
    const p = await ports();
    const squatter: Server = await new Promise((res) => {
      const srv = createServer().listen(p.store, '127.0.0.1', () => res(srv));
    });
    try {
      const peer = `http://127.0.0.1:${p.store + 1}`;
      const m = startKubeling('store', ['--name', 'solo', '--data-dir', join(dir, 'solo'), '--listen-client-urls', `http://127.0.0.1:${p.store}`, '--advertise-client-urls', `http://127.0.0.1:${p.store}`, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `solo=${peer}`]);
      running.push(m);
      const late = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running after 20 s:\n${m.out}`)), 20_000).unref());
      assert.equal(await Promise.race([m.exited, late]), 1);
      assert.match(m.out, new RegExp(`kubeling store: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${p.store}`));
    } finally {
      squatter.close();
    }
  });
});
