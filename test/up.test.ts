/**
 * `kubeling up` as a user runs it: a child process that starts the store
 * members and the API server, writes the admin kubeconfig, and is stopped by
 * Ctrl-C; the real kubectl against it; a second `up` on the same data dir
 * resumes the cluster with its data; a component that cannot start is named.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startKubeling, until, type KubelingProc } from './proc.js';

/** A port base whose store ports (base, base+1, base+10, base+11, base+20, base+21) are free, and a free API server port. */
async function ports(): Promise<{ store: number; api: number }> {
  for (;;) {
    // below the kernel's ephemeral range (32768 on), where outgoing connections take their ports
    const store = 20000 + 10 * Math.floor(Math.random() * 1200);
    const api = store + 5;
    const all = [0, 1, 10, 11, 20, 21].map((d) => store + d).concat(api);
    const free = await Promise.all(all.map((p) => new Promise<boolean>((res) => {
      const s = createServer().once('error', () => res(false)).listen(p, '127.0.0.1', () => s.close(() => res(true)));
    })));
    if (free.every(Boolean)) return { store, api };
  }
}

const startUp = (args: string[]): KubelingProc => startKubeling('up', args);

/** Resolves when `up` has printed `text`, rejects when it exits first. */
async function printed(u: KubelingProc, text: string): Promise<void> {
  while (!u.out.includes(text)) {
    const code = await Promise.race([u.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
    if (code !== 'wait') throw new Error(`up exited (${code}) before printing ${JSON.stringify(text)}:\n${u.out}`);
  }
}

function kubectl(kubeconfig: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], (err, stdout, stderr) => res({ status: err ? Number(err.code) || 1 : 0, stdout, stderr }));
  });
}

describe('kubeling up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-up-'));
  const running: KubelingProc[] = [];
  after(() => {
    for (const u of running) u.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the store and the API server, kubectl works with the kubeconfig it writes, and a second up resumes the data', async () => {
    const p = await ports();
    const args = ['--data-dir', dir, '--store-port', String(p.store), '--port', String(p.api)];
    const first = startUp(args);
    running.push(first);
    await printed(first, 'Ctrl-C stops the cluster.');
    const kubeconfig = join(dir, 'kubeconfig');
    assert.match(first.out, /writing a PKI to/);
    assert.match(first.out, new RegExp(`export KUBECONFIG=${kubeconfig}`));
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600, 'the kubeconfig holds the admin key: owner only');

    const ns = await kubectl(kubeconfig, 'get', 'ns', '-o', 'name');
    assert.equal(ns.status, 0, ns.stderr);
    assert.deepEqual(ns.stdout.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
    const who = await kubectl(kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(who.stdout, 'kubernetes-admin', who.stderr);
    const cm = await kubectl(kubeconfig, 'create', 'configmap', 'kept', '--from-literal=across=restarts');
    assert.equal(cm.status, 0, cm.stderr);

    // the whole chain: a Deployment's pods are made by the controllers, bound by the scheduler and run by the simulated nodes
    const nodes = await until('three Ready nodes', async () => {
      const r = await kubectl(kubeconfig, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}');
      const ready = r.stdout.trim().split(' ').filter((x) => x.endsWith('=True'));
      return ready.length === 3 ? ready : undefined;
    }, 60_000);
    assert.deepEqual(nodes.sort(), ['kubeling-node-0=True', 'kubeling-node-1=True', 'kubeling-node-2=True']);
    assert.equal((await kubectl(kubeconfig, 'create', 'deployment', 'web', '--image=nginx', '--replicas=3')).status, 0);
    const rollout = await kubectl(kubeconfig, 'rollout', 'status', 'deployment/web', '--timeout=90s');
    assert.equal(rollout.status, 0, rollout.stderr);
    const listed = await kubectl(kubeconfig, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.status.phase}/{.spec.nodeName}/{.status.podIP} {end}');
    const pods = listed.stdout.trim().split(' ');
    assert.equal(pods.length, 3, listed.stdout);
    for (const p of pods) assert.match(p, /^Running\/kubeling-node-\d\/10\.244\.\d+\.\d+$/);
    const logs = await kubectl(kubeconfig, 'logs', 'deployment/web');
    assert.equal(logs.status, 0, logs.stderr);
    assert.notEqual(logs.stdout.trim(), '', 'kubectl logs reaches the simulated node');
    // it did so as kubeadm's scheduler does: as system:kube-scheduler, from scheduler.conf
    const schedulerConf = join(dir, 'scheduler.conf');
    assert.equal(statSync(schedulerConf).mode & 0o777, 0o600);
    const schedulerUser = await kubectl(schedulerConf, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(schedulerUser.stdout, 'system:kube-scheduler', schedulerUser.stderr);

    // the controller manager is up, as system:kube-controller-manager: a deleted namespace is emptied, then goes
    const leader = await kubectl(kubeconfig, 'get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}');
    assert.match(leader.stdout, /_[0-9a-f-]{36}$/, leader.stderr);
    assert.equal((await kubectl(join(dir, 'controller-manager.conf'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}')).stdout, 'system:kube-controller-manager');
    assert.equal((await kubectl(kubeconfig, 'create', 'namespace', 'doomed')).status, 0);
    assert.equal((await kubectl(kubeconfig, 'create', 'configmap', 'inside', '-n', 'doomed')).status, 0);
    const gone = await kubectl(kubeconfig, 'delete', 'namespace', 'doomed', '--timeout=60s');
    assert.equal(gone.status, 0, gone.stderr);
    assert.equal((await kubectl(kubeconfig, 'get', 'namespace', 'doomed')).status, 1, 'the namespace controller emptied and finalized it');

    first.proc.kill('SIGINT');
    assert.equal(await first.exited, 0, first.out);
    assert.match(first.out, /interrupted; stopping the cluster/);
    assert.equal((await kubectl(kubeconfig, 'get', 'ns', '--request-timeout=2s')).status, 1, 'everything stopped');

    const second = startUp(args);
    running.push(second);
    await printed(second, 'Ctrl-C stops the cluster.');
    assert.doesNotMatch(second.out, /writing a PKI/, 'the PKI is kept');
    const kept = await kubectl(kubeconfig, 'get', 'configmap', 'kept', '-o', 'jsonpath={.data.across}');
    assert.equal(kept.stdout, 'restarts', kept.stderr);
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.out);
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
