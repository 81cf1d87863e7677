/**
 * The whole cluster end to end, as a user drives it: `kubeling up` from a
 * fresh data dir (3 store members, the API server, the scheduler, the
 * controller manager and 3 simulated nodes, each its own process), then the
 * real kubectl: apply every manifest of manifests/, roll the Deployment out,
 * scale it to 10 and back, change its image and undo that, see the Job
 * complete and the DaemonSet run a pod per node, drain a node and see its
 * pods move, stop a node's heartbeats and see its pods replaced, delete the
 * namespace and see everything in it go, and restart `up` and find the state
 * still there.
 *
 * Node failure is made fast with --extra-config (leases of 8 s, a 8 s grace
 * period, evictions 3 s after a node becomes unreachable) so the test takes
 * seconds, not the minutes of kube's defaults. Waits poll kubectl; nothing
 * is correct only because of a sleep.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kubectlOk, kubectlWith, printed, startKubeling, upPorts, type KubectlResult, type KubelingProc } from './proc.js';

const MANIFESTS = join(import.meta.dirname, '..', 'manifests');

/** Polls `check` every 300 ms (each poll runs kubectl, a process) until it returns a value, at most `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A pod as `podsOf` lists it. */
interface PodRow {
  readonly name: string;
  readonly node: string;
  readonly phase: string;
  readonly image: string;
  readonly terminating: boolean;
}

describe('the whole cluster, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeling-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const running: KubelingProc[] = [];
  after(() => {
    for (const u of running) u.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const raw = (...args: string[]): Promise<KubectlResult> => kubectlWith(kubeconfig, ...args);
  /** kubectl that must succeed; its stdout. */
  const kubectl = (...args: string[]): Promise<string> => kubectlOk(kubeconfig, ...args);
  /** The pods of namespace demo that `selector` selects. */
  const podsOf = async (selector: string): Promise<PodRow[]> => {
    const out = await kubectl('get', 'pods', '-n', 'demo', '-l', selector, '-o',
      'jsonpath={range .items[*]}{.metadata.name}|{.spec.nodeName}|{.status.phase}|{.spec.containers[0].image}|{.metadata.deletionTimestamp}{"\\n"}{end}');
    return out.trim().split('\n').filter(Boolean).map((l) => {
      const [name = '', node = '', phase = '', image = '', deleting = ''] = l.split('|');
      return { name, node, phase, image, terminating: deleting !== '' };
    });
  };
  /** The web pods that are not terminating, once all of them run `image` and there are `n`. */
  const webPods = (n: number, image = 'nginx:1.27'): Promise<PodRow[]> =>
    eventually(`${n} web pods Running ${image}`, async () => {
      const live = (await podsOf('app=web')).filter((p) => !p.terminating);
      return live.length === n && live.every((p) => p.phase === 'Running' && p.image === image) ? live : undefined;
    });
  const rolledOut = (what: string): Promise<string> => kubectl('rollout', 'status', '-n', 'demo', what, '--timeout=120s');

  const args = async (): Promise<string[]> => {
    const p = await upPorts();
    return [
      '--data-dir', dir, '--store-port', String(p.store), '--port', String(p.api),
      // node failure in seconds: kubelets renew their Leases every 2 s, a node is
      // Unknown 8 s after its last renewal, and its pods are evicted 3 s later
      '--extra-config', 'nodes.node-lease-duration-seconds=8',
      '--extra-config', 'controller-manager.node-monitor-period=1s',
      '--extra-config', 'controller-manager.node-monitor-grace-period=8s',
      '--extra-config', 'apiserver.default-unreachable-toleration-seconds=3',
      '--extra-config', 'apiserver.default-not-ready-toleration-seconds=3',
    ];
  };
  let upArgs: string[] = [];

  it('kubeling up starts every component and writes a kubeconfig for kubectl', async () => {
    upArgs = await args();
    const up = startKubeling('up', upArgs);
    running.push(up);
    await printed(up, 'Ctrl-C stops the cluster.');
    assert.match(up.out, /writing a PKI to/);
    assert.match(up.out, new RegExp(`export KUBECONFIG=${kubeconfig}`));
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600, 'the kubeconfig holds the admin key: owner only');
    assert.equal(await kubectl('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'), 'kubernetes-admin');
    // each component as kubeadm runs it: its own user, from its own kubeconfig, leading its Lease
    for (const [conf, user, lease] of [['scheduler.conf', 'system:kube-scheduler', 'kube-scheduler'], ['controller-manager.conf', 'system:kube-controller-manager', 'kube-controller-manager']] as const) {
      assert.equal(statSync(join(dir, conf)).mode & 0o777, 0o600);
      const who = await kubectlWith(join(dir, conf), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
      assert.equal(who.stdout, user, who.stderr);
      assert.match(await kubectl('get', 'lease', '-n', 'kube-system', lease, '-o', 'jsonpath={.spec.holderIdentity}'), /_[0-9a-f-]{36}$/);
    }
    const nodes = await eventually('three Ready nodes', async () => {
      const out = await kubectl('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}');
      const ready = out.trim().split(' ').filter((x) => x.endsWith('=True'));
      return ready.length === 3 ? ready : undefined;
    });
    assert.deepEqual(nodes.sort(), ['kubeling-node-0=True', 'kubeling-node-1=True', 'kubeling-node-2=True']);
  });

  it('kubectl apply -f manifests/ makes every object, and the Deployment rolls out', async () => {
    await kubectl('apply', '-f', MANIFESTS);
    assert.match(await rolledOut('deployment/web'), /successfully rolled out/);
    for (const p of await webPods(3)) assert.match(p.node, /^kubeling-node-\d$/);
    // the pods have IPs from their nodes' podCIDRs, and the Service's Endpoints list them
    const ips = (await kubectl('get', 'pods', '-n', 'demo', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}')).split(' ').sort();
    for (const ip of ips) assert.match(ip, /^10\.244\.\d+\.\d+$/);
    const endpoints = await eventually('the Service web lists the 3 pods', async () => {
      const out = await kubectl('get', 'endpoints', 'web', '-n', 'demo', '-o', 'jsonpath={.subsets[*].addresses[*].ip}');
      return out.split(' ').length === 3 ? out.split(' ').sort() : undefined;
    });
    assert.deepEqual(endpoints, ips);
    // kubectl 1.32's describe reads the EndpointSlices the endpointslice controller writes
    const described = await eventually('describe service web to list the 3 pods', async () => {
      const out = await kubectl('describe', 'service', 'web', '-n', 'demo');
      return /^Endpoints:\s+10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80$/m.test(out) ? out : undefined;
    });
    for (const ip of ips) assert.match(described, new RegExp(`${ip.replace(/\./g, '\\.')}:80`));
    assert.notEqual((await kubectl('logs', '-n', 'demo', 'deployment/web')).trim(), '', 'kubectl logs reaches the simulated node');
    // as on a real cluster: the namespace's default account, its kube-root-ca.crt (the cluster CA), and each pod's kube-api-access volume
    assert.equal(await kubectl('get', 'serviceaccount', 'default', '-n', 'demo', '-o', 'jsonpath={.metadata.name}'), 'default');
    const published = await kubectl('get', 'configmap', 'kube-root-ca.crt', '-n', 'demo', '-o', 'jsonpath={.data.ca\\.crt}');
    assert.equal(published.trimEnd(), readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8').trimEnd());
    const mounts = await kubectl('get', 'pods', '-n', 'demo', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.serviceAccountName} {.spec.volumes[*].name} {.spec.containers[0].volumeMounts[*].mountPath}{"\\n"}{end}');
    for (const line of mounts.trim().split('\n')) assert.match(line, /^default kube-api-access-[a-z0-9]{5} \/var\/run\/secrets\/kubernetes\.io\/serviceaccount$/);
    // the scheduling demos: zone-a's pod on zone-a's node, the too-big pod refused by every node
    const zoned = await eventually('zone-a-pod running', async () => {
      const out = await kubectl('get', 'pod', 'zone-a-pod', '-n', 'demo', '-o', 'jsonpath={.status.phase}/{.spec.nodeName}');
      return out.startsWith('Running/') ? out : undefined;
    });
    assert.equal(zoned, 'Running/kubeling-node-0');
    const refused = await eventually('FailedScheduling for too-big', async () => {
      const out = await kubectl('get', 'events', '-n', 'demo', '--field-selector', 'involvedObject.name=too-big,reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}');
      return out || undefined;
    });
    assert.match(refused, /^0\/3 nodes are available: 3 Insufficient cpu/);
  });

  it('scale to 10 and back to 3', async () => {
    await kubectl('scale', '-n', 'demo', 'deployment/web', '--replicas=10');
    await rolledOut('deployment/web');
    assert.equal((await webPods(10)).length, 10);
    await kubectl('scale', '-n', 'demo', 'deployment/web', '--replicas=3');
    await rolledOut('deployment/web');
    await eventually('the 7 pods scaled away to be gone', async () => ((await podsOf('app=web')).length === 3 ? true : undefined));
  });

  it('set image rolls out a new ReplicaSet, and rollout undo brings the old template back', async () => {
    await kubectl('set', 'image', '-n', 'demo', 'deployment/web', 'nginx=nginx:1.28');
    await rolledOut('deployment/web');
    await webPods(3, 'nginx:1.28');
    await kubectl('rollout', 'undo', '-n', 'demo', 'deployment/web');
    await rolledOut('deployment/web');
    await webPods(3, 'nginx:1.27');
    // undo made revision 1's template revision 3: the history lists 2 and 3
    const history = await kubectl('rollout', 'history', '-n', 'demo', 'deployment/web');
    assert.deepEqual([...history.matchAll(/^(\d+)\s/gm)].map((m) => m[1]), ['2', '3'], history);
    assert.equal(await kubectl('get', 'deployment', 'web', '-n', 'demo', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), '3');
  });

  it('the Job completes and the DaemonSet has a pod on each node', async () => {
    await kubectl('wait', '-n', 'demo', '--for=condition=Complete', 'job/batch', '--timeout=120s');
    assert.equal(await kubectl('get', 'job', 'batch', '-n', 'demo', '-o', 'jsonpath={.status.succeeded}'), '3');
    await rolledOut('daemonset/node-agent');
    const daemons = await eventually('a node-agent pod Running on each node', async () => {
      const live = (await podsOf('app=node-agent')).filter((p) => p.phase === 'Running');
      return live.length === 3 ? live.map((p) => p.node).sort() : undefined;
    });
    assert.deepEqual(daemons, ['kubeling-node-0', 'kubeling-node-1', 'kubeling-node-2']);
  });

  it('kubectl drain evicts a node\'s pods, and their controllers place them on the other nodes', async () => {
    const node = (await webPods(3))[0]!.node;
    const drained = await raw('drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=90s');
    assert.equal(drained.status, 0, drained.stderr);
    assert.match(drained.stdout, /evicting pod demo\/web-/);
    assert.match(drained.stdout, new RegExp(`node/${node} drained`));
    assert.equal(await kubectl('get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}'), 'true');
    await rolledOut('deployment/web');
    const moved = await webPods(3);
    assert.ok(moved.every((p) => p.node !== node), JSON.stringify(moved));
    // the DaemonSet's pod stays (drain skips it), and the node takes pods again once uncordoned
    assert.ok((await podsOf('app=node-agent')).some((p) => p.node === node));
    await kubectl('uncordon', node);
  });

  it('a node whose heartbeats stop becomes Unknown, is tainted, and its pods are replaced elsewhere', async () => {
    const before = await webPods(3);
    const node = before[0]!.node;
    const lost = before.filter((p) => p.node === node).map((p) => p.name);
    await kubectl('annotate', 'node', node, 'kubeling.dev/heartbeat=stopped');
    await kubectl('wait', '--for=condition=Ready=Unknown', `node/${node}`, '--timeout=60s');
    // the taint is the node lifecycle controller's next write after the condition's (a conflict puts it off a pass)
    await eventually('the unreachable taint', async () => (/node\.kubernetes\.io\/unreachable/.test(await kubectl('get', 'node', node, '-o', 'jsonpath={.spec.taints[*].key}')) ? true : undefined));
    const replaced = await eventually('web pods replaced away from the dead node', async () => {
      const live = (await podsOf('app=web')).filter((p) => !p.terminating && p.phase === 'Running');
      return live.length === 3 && live.every((p) => p.node !== node) ? live : undefined;
    });
    assert.ok(replaced.every((p) => !lost.includes(p.name)));
    // the evicted pods are Terminating: nobody can confirm they stopped until the kubelet is back
    const stale = (await podsOf('app=web')).filter((p) => lost.includes(p.name));
    assert.ok(stale.every((p) => p.terminating), JSON.stringify(stale));
    await rolledOut('deployment/web');
    // the kubelet comes back: the node is Ready again and finishes the deletions
    await kubectl('annotate', 'node', node, 'kubeling.dev/heartbeat-');
    await kubectl('wait', '--for=condition=Ready', `node/${node}`, '--timeout=60s');
    await eventually('the evicted pods gone', async () => ((await podsOf('app=web')).some((p) => lost.includes(p.name)) ? undefined : true));
  });

  it('deleting the namespace deletes everything in it, then the namespace', async () => {
    // something to find after the restart
    await kubectl('create', 'deployment', 'kept', '--image=nginx', '--replicas=2');
    await kubectl('rollout', 'status', 'deployment/kept', '--timeout=120s');
    const deleted = await raw('delete', 'namespace', 'demo', '--timeout=120s');
    assert.equal(deleted.status, 0, deleted.stderr);
    const gone = await raw('get', 'namespace', 'demo');
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /namespaces "demo" not found/);
    assert.equal(await kubectl('get', 'pods,deployments,replicasets,jobs,daemonsets,services,configmaps', '-A', '--field-selector', 'metadata.namespace=demo', '-o', 'name'), '');
  });

  it('Ctrl-C stops the cluster; a second up resumes it with its data', async () => {
    const first = running[0]!;
    first.proc.kill('SIGINT');
    assert.equal(await first.exited, 0, first.out);
    assert.match(first.out, /interrupted; stopping the cluster/);
    assert.equal((await raw('get', 'ns', '--request-timeout=2s')).status, 1, 'everything stopped');

    const second = startKubeling('up', upArgs);
    running.push(second);
    await printed(second, 'Ctrl-C stops the cluster.');
    assert.doesNotMatch(second.out, /writing a PKI/, 'the PKI is kept');
    assert.match(await kubectl('rollout', 'status', 'deployment/kept', '--timeout=120s'), /successfully rolled out/);
    const pods = await eventually('kept\'s 2 pods Running', async () => {
      const out = await kubectl('get', 'pods', '-l', 'app=kept', '-o', 'jsonpath={range .items[*]}{.status.phase} {end}');
      return out.trim() === 'Running Running' ? out : undefined;
    });
    assert.ok(pods);
    assert.equal((await raw('get', 'namespace', 'demo')).status, 1, 'the deletion stayed deleted');
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.out);
  });
});
