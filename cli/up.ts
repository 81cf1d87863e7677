/**
 * `kubeling up`: the local cluster, each component its own child process on
 * loopback, as kubeadm lays a control plane out:
 *
 * ```
 *  <data-dir>/pki/        kubeadm's PKI, made on the first run and kept
 *  store-1..N             `kubeling store`, TLS for clients and peers (client certificates required)
 *     ▲ mutual TLS (apiserver-etcd-client)
 *  apiserver              `kubeling apiserver` on https://127.0.0.1:<port>, authenticating every caller
 *     ▲ client certificates: the admin's (kubectl), system:kube-scheduler's, system:kube-controller-manager's
 *  scheduler              `kubeling scheduler`, under leader election
 *  controller-manager     `kubeling controller-manager`, under leader election
 *  nodes                  `kubeling nodes --count N`: simulated kubelets (<data-dir>/nodes.conf)
 *  <data-dir>/kubeconfig  written for kubectl: `export KUBECONFIG=<data-dir>/kubeconfig`
 *  <data-dir>/scheduler.conf, controller-manager.conf  theirs (kubeadm's), certificates issued at each start
 *  <data-dir>/ui-token    the dashboard's admin token (kubernetes-admin, system:masters), made once and kept;
 *                         with any --extra-config apiserver.token-auth-file's, in <data-dir>/tokens.csv
 *  supervisor             an HTTP server on 127.0.0.1 (cli/supervisor.ts) through which the dashboard
 *                         stops and starts store members; its token in <data-dir>/ui-supervisor-token
 * ```
 *
 * It starts the members, waits until each is healthy, starts the API server,
 * waits until it is ready, writes the kubeconfig, starts the scheduler and
 * the controller manager and waits until they lead, and prints how to use
 * it all; Ctrl-C stops every child cleanly (components, then the API
 * server, then the members), and a second `up` on the same data dir resumes
 * the same cluster with its data. A child that dies is named with the end of
 * its log (<data-dir>/logs/). Then `kubeling nodes --count N` (--nodes, 3 by
 * default; 0 for none) registers the simulated kubelets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initPki } from '../store/server/pki.js';
import { writeAdminKubeconfig, writeComponentKubeconfig } from './kubeconfig.js';
import { startSupervisor, type SupervisedProcess, type Supervisor } from './supervisor.js';

const BIN = resolve(import.meta.dirname, 'bin.js');

/** A component running as a child process (a store member may be stopped and started again: a new process). */
interface Child {
  readonly name: string;
  readonly logFile: string;
  /** Its command line, for a start again. */
  readonly args: readonly string[];
  proc: ChildProcess;
  exited: boolean;
  /** Stopped on purpose (by the supervisor, or at the end): its exit is no failure. */
  held: boolean;
}

/** Writes `file` readable by its owner only. */
function writePrivate(file: string, data: string): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
}

/**
 * The dashboard's admin token in <data-dir>/ui-token, made on the first run
 * and kept; and the token file the API server reads (--token-auth-file):
 * that token as kubernetes-admin in system:masters, with the lines of a
 * token file the user passed (--extra-config apiserver.token-auth-file=F).
 */
function writeTokens(dataDir: string, userFile: string | undefined): { uiToken: string; tokenFile: string } {
  const tokenPath = join(dataDir, 'ui-token');
  let uiToken = existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8').trim() : '';
  if (!/^[A-Za-z0-9_-]{20,}$/.test(uiToken)) {
    uiToken = randomBytes(32).toString('base64url');
    writePrivate(tokenPath, uiToken + '\n');
  }
  const tokenFile = join(dataDir, 'tokens.csv');
  const theirs = userFile === undefined ? '' : readFileSync(userFile, 'utf8').replace(/\n?$/, '\n');
  writePrivate(tokenFile, `${uiToken},kubernetes-admin,,system:masters\n${theirs}`);
  return { uiToken, tokenFile };
}

/** TLS material for a health probe: the CA to trust, and the client certificate to present. */
interface Probe {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Whether `url` answers 200 over TLS within a second. */
function answers(url: string, probe: Probe): Promise<boolean> {
  return new Promise((res) => {
    // SNI carries a name, never an address (RFC 6066); the certificates name localhost too
    const req = get(url, { timeout: 1000, servername: 'localhost', ...probe }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
  });
}

/** The last lines of a log file. */
function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** `up`'s options, checked. */
interface UpOptions {
  readonly dataDir: string;
  readonly members: number;
  readonly storePort: number;
  readonly port: number;
  readonly nodes: number;
  /** --extra-config: more flags for each component, by component. */
  readonly extra: ReadonlyMap<Component, readonly string[]>;
}

/** The components --extra-config can reach, by the names minikube gives them too (etcd, kubelet). */
const COMPONENTS = ['store', 'apiserver', 'scheduler', 'controller-manager', 'nodes'] as const;
type Component = (typeof COMPONENTS)[number];
const COMPONENT_ALIASES: Readonly<Record<string, Component>> = { etcd: 'store', kubelet: 'nodes' };

/**
 * Parses --extra-config values, minikube's form `component.flag=value`
 * (`controller-manager.node-monitor-grace-period=10s`), into each
 * component's extra flags (`--flag=value`).
 */
export function extraConfig(values: readonly string[]): Map<Component, string[]> {
  const extra = new Map<Component, string[]>();
  for (const v of values) {
    const m = /^([a-z-]+)\.([a-z0-9][a-z0-9-]*)=(.*)$/.exec(v);
    const component = m && ((COMPONENTS as readonly string[]).includes(m[1]!) ? (m[1] as Component) : COMPONENT_ALIASES[m[1]!]);
    if (!m || !component) {
      throw new Error(`--extra-config must be component.flag=value with a component of ${COMPONENTS.join(', ')}, not "${v}"`);
    }
    extra.set(component, [...(extra.get(component) ?? []), `--${m[2]}=${m[3]}`]);
  }
  return extra;
}

function options(argv: string[]): UpOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'data-dir': { type: 'string', default: '.kubeling' },
      'store-members': { type: 'string', default: '3' },
      'store-port': { type: 'string', default: '2379' },
      port: { type: 'string', default: '6443' },
      nodes: { type: 'string', default: '3' },
      'extra-config': { type: 'string', multiple: true, default: [] },
    },
  });
  const int = (flag: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} must be ${min} to ${max}, not "${v}"`);
    return n;
  };
  return {
    dataDir: resolve(values['data-dir']),
    members: int('store-members', values['store-members'], 1, 7),
    storePort: int('store-port', values['store-port'], 1024, 65000),
    port: int('port', values.port, 1024, 65535),
    nodes: int('nodes', values.nodes, 0, 10000),
    extra: extraConfig(values['extra-config']),
  };
}

/** Runs the local cluster until SIGINT or SIGTERM. */
export async function up(argv: string[]): Promise<void> {
  const o = options(argv);
  const pki = join(o.dataDir, 'pki');
  const logs = join(o.dataDir, 'logs');
  if (existsSync(join(o.dataDir, 'store')) && !existsSync(pki)) {
    throw new Error(`${o.dataDir} holds a store made by an earlier kubeling without TLS; remove it to start afresh`);
  }
  mkdirSync(logs, { recursive: true });
  const p = (f: string): string => join(pki, f);
  const fresh = !existsSync(p('ca.crt'));
  process.stdout.write(fresh ? `writing a PKI to ${pki}\n` : '');
  const files = await initPki(pki);
  for (const w of new Set(files.flatMap((f) => f.warnings))) process.stdout.write(`warning: ${w}\n`);

  // a token file of the user's joins the dashboard's (the API server reads one)
  const extra = new Map(o.extra);
  const apiExtra = extra.get('apiserver') ?? [];
  const userTokenFile = apiExtra.filter((f) => f.startsWith('--token-auth-file=')).pop()?.slice('--token-auth-file='.length);
  extra.set('apiserver', apiExtra.filter((f) => !f.startsWith('--token-auth-file=')));
  const tokens = writeTokens(o.dataDir, userTokenFile);

  const children: Child[] = [];
  /** Called with a child that exits without being held (set once the cluster is up). */
  let died: ((c: Child, code: number | null) => void) | undefined;
  const launch = (args: readonly string[], logFile: string): ChildProcess => {
    const log = createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    return proc;
  };
  const onExit = (c: Child): void => {
    c.proc.once('exit', (code) => {
      c.exited = true;
      if (!c.held) died?.(c, code);
    });
  };
  const start = (name: string, args: string[]): Child => {
    const component = (name.startsWith('store-') ? 'store' : name) as Component;
    const logFile = join(logs, `${name}.log`);
    const all = [...args, ...(extra.get(component) ?? [])];
    const c: Child = { name, logFile, args: all, proc: launch(all, logFile), exited: false, held: false };
    onExit(c);
    children.push(c);
    return c;
  };
  /** Starts a stopped child again, with its arguments. */
  const restart = (c: Child): void => {
    c.proc = launch(c.args, c.logFile);
    c.exited = false;
    c.held = false;
    onExit(c);
  };
  /** The supervisor of the store members (started once they are). */
  let supervisor: Supervisor | undefined = undefined;
  const stopAll = async (): Promise<void> => {
    await supervisor?.close(); // nothing is started again from now on
    for (const c of children) c.held = true;
    // the components first, then the API server (they watch it; it watches the store), then the members
    const components = children.filter((c) => !c.name.startsWith('store-') && c.name !== 'apiserver');
    for (const group of [components, children.filter((c) => c.name === 'apiserver'), children.filter((c) => c.name.startsWith('store-'))]) {
      await Promise.all(
        group.map(
          (c) =>
            new Promise<void>((res) => {
              if (c.exited) return res();
              c.proc.once('exit', () => res());
              c.proc.kill('SIGTERM');
            }),
        ),
      );
    }
  };
  /** Waits until each child's probe answers, naming the one that dies or stays silent. */
  const waitFor = async (what: string, probes: { child: Child; ready: () => Promise<boolean> }[]): Promise<void> => {
    process.stdout.write(`starting ${what}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const dead = children.find((c) => c.exited && !c.held);
      if (dead) {
        await stopAll();
        throw new Error(`${dead.name} exited during start-up; the end of ${dead.logFile}:\n${tail(dead.logFile)}`);
      }
      const ok = await Promise.all(probes.map((x) => x.ready()));
      if (ok.every(Boolean)) break;
      if (Date.now() > deadline) {
        const slow = probes.filter((_, i) => !ok[i]);
        await stopAll();
        throw new Error(`not ready after 60 s: ${slow.map((x) => `${x.child.name}\n${tail(x.child.logFile)}`).join('\n')}`);
      }
      process.stdout.write('.');
      await new Promise((r) => setTimeout(r, 250));
    }
    process.stdout.write(' ready\n');
  };

  // member i listens for clients on storePort + 10*(i-1) and for peers one above
  const members = Array.from({ length: o.members }, (_, i) => ({
    name: `store-${i + 1}`,
    client: `https://127.0.0.1:${o.storePort + 10 * i}`,
    peer: `https://127.0.0.1:${o.storePort + 10 * i + 1}`,
  }));
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(',');
  const storeTls = [
    '--cert-file', p('etcd/server.crt'), '--key-file', p('etcd/server.key'), '--trusted-ca-file', p('etcd/ca.crt'), '--client-cert-auth',
    '--peer-cert-file', p('etcd/peer.crt'), '--peer-key-file', p('etcd/peer.key'), '--peer-trusted-ca-file', p('etcd/ca.crt'), '--peer-client-cert-auth',
  ];
  const etcdProbe: Probe = { ca: readFileSync(p('etcd/ca.crt')), cert: readFileSync(p('etcd/healthcheck-client.crt')), key: readFileSync(p('etcd/healthcheck-client.key')) };
  const stores = members.map((m) => ({
    child: start(m.name, [
      'store', '--name', m.name, '--data-dir', join(o.dataDir, 'store', m.name),
      '--listen-client-urls', m.client, '--advertise-client-urls', m.client,
      '--listen-peer-urls', m.peer, '--initial-advertise-peer-urls', m.peer,
      '--initial-cluster', initial, ...storeTls,
    ]),
    ready: () => answers(`${m.client}/health`, etcdProbe),
  }));
  await waitFor(`${o.members} store members`, stores);
  // the dashboard stops and starts members through it (apiserver/inspect/raft.ts)
  const supervised = stores.map(({ child: c }): SupervisedProcess => ({
    name: c.name,
    running: () => !c.exited,
    stop: async () => {
      c.held = true;
      if (c.exited) return;
      const exited = new Promise<void>((res) => c.proc.once('exit', () => res()));
      c.proc.kill('SIGTERM');
      await exited;
    },
    start: () => {
      if (c.exited) restart(c);
    },
  }));
  supervisor = await startSupervisor(supervised);
  const supervisorTokenFile = join(o.dataDir, 'ui-supervisor-token');
  writePrivate(supervisorTokenFile, supervisor.token + '\n');

  const endpoints = members.map((m) => m.client).join(',');
  const server = `https://127.0.0.1:${o.port}`;
  const apiserver = start('apiserver', [
    'apiserver', '--etcd-servers', endpoints,
    '--etcd-cafile', p('etcd/ca.crt'), '--etcd-certfile', p('apiserver-etcd-client.crt'), '--etcd-keyfile', p('apiserver-etcd-client.key'),
    '--secure-port', String(o.port), '--tls-cert-file', p('apiserver.crt'), '--tls-private-key-file', p('apiserver.key'), '--client-ca-file', p('ca.crt'),
    '--service-account-signing-key-file', p('sa.key'), '--service-account-key-file', p('sa.pub'),
    '--token-auth-file', tokens.tokenFile,
    '--ui-supervisor-url', supervisor.url, '--ui-supervisor-token-file', supervisorTokenFile,
  ]);
  const apiProbe: Probe = { ca: readFileSync(p('ca.crt')) };
  await waitFor('the API server', [{ child: apiserver, ready: () => answers(`${server}/readyz`, apiProbe) }]);

  const kubeconfig = join(o.dataDir, 'kubeconfig');
  await writeAdminKubeconfig(kubeconfig, { server, pkiDir: pki });
  // the scheduler as kubeadm runs it: its own user, system:kube-scheduler, from scheduler.conf
  const schedulerConf = join(o.dataDir, 'scheduler.conf');
  await writeComponentKubeconfig(schedulerConf, { server, pkiDir: pki, user: 'system:kube-scheduler' });
  const scheduler = start('scheduler', ['scheduler', '--kubeconfig', schedulerConf]);
  // the controllers likewise, as system:kube-controller-manager from controller-manager.conf
  const controllerConf = join(o.dataDir, 'controller-manager.conf');
  await writeComponentKubeconfig(controllerConf, { server, pkiDir: pki, user: 'system:kube-controller-manager' });
  const controllerManager = start('controller-manager', ['controller-manager', '--kubeconfig', controllerConf]);
  await waitFor('the scheduler and the controller manager', [
    { child: scheduler, ready: async () => /leading as|scheduling pods/.test(tail(scheduler.logFile, 50)) },
    { child: controllerManager, ready: async () => /controllers running/.test(tail(controllerManager.logFile, 50)) },
  ]);
  // the simulated kubelets, in one process, in the group system:nodes as kubelets are
  if (o.nodes > 0) {
    const nodesConf = join(o.dataDir, 'nodes.conf');
    await writeComponentKubeconfig(nodesConf, { server, pkiDir: pki, user: 'system:node:kubeling-nodes', group: 'system:nodes' });
    const fleet = start('nodes', ['nodes', '--kubeconfig', nodesConf, '--count', String(o.nodes)]);
    await waitFor(`${o.nodes} simulated nodes`, [{ child: fleet, ready: async () => /registered \d+ simulated node/.test(tail(fleet.logFile, 50)) }]);
  }
  const rel = (f: string): string => {
    const r = relative(process.cwd(), f);
    return r.startsWith('..') ? f : r;
  };
  process.stdout.write(
    [
      '',
      `kubeling is up: ${o.members} store members, the API server at ${server}, the scheduler, the controller manager and ${o.nodes} simulated node${o.nodes === 1 ? '' : 's'}`,
      '',
      'Use kubectl:',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get namespaces',
      '  kubectl create deployment web --image=nginx --replicas=2',
      '',
      'Look into the store with etcdctl (as the API server reaches it):',
      `  ETCDCTL_API=3 etcdctl --endpoints ${endpoints} --cacert ${rel(p('etcd/ca.crt'))} \\`,
      `    --cert ${rel(p('apiserver-etcd-client.crt'))} --key ${rel(p('apiserver-etcd-client.key'))} get /registry --prefix --keys-only`,
      '',
      `Dashboard: ${server}/ui/#token=${tokens.uiToken}`,
      `  (the link signs in as the admin; the token is also in ${rel(join(o.dataDir, 'ui-token'))}; the browser will warn about kubeling's own CA)`,
      '',
      `Logs: ${rel(logs)}/ (store-1.log ... apiserver.log). Data: ${rel(o.dataDir)}/ (a second \`up\` resumes it).`,
      'Ctrl-C stops the cluster.',
      '',
    ].join('\n'),
  );

  const stop = await new Promise<string>((res) => {
    process.once('SIGINT', () => res('interrupted'));
    process.once('SIGTERM', () => res('terminated'));
    // a member the dashboard stopped is held: only an exit nobody asked for ends the cluster
    died = (c, code) => res(`${c.name} exited (${code ?? 'signal'}); the end of its log:\n${tail(c.logFile)}`);
    const dead = children.find((c) => c.exited && !c.held);
    if (dead) died(dead, dead.proc.exitCode);
  });
  process.stdout.write(`\n${stop}; stopping the cluster\n`);
  await stopAll();
}
