/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * Simulated kubelets through a real API server and store: a small fleet in
 * this process (fast timings) whose Nodes register and heartbeat, whose pods
 * (bound by hand: spec.nodeName or pods/binding) go Pending → Running →
 * Ready, finish as Jobs' pods do, and honour their grace period when
 * deleted; `kubectl logs` (and -f) through the API server's pods/log proxy;
 * a node stopped by annotation; a restarted fleet taking over its Nodes and
 * pods. Then `kubeling nodes --count 1000` as a process: every Node
 * registers and every Lease is renewed; its RSS is printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RestClient, userAgent } from '../client/rest.js';
import type { Watch } from '../client/rest.js';
import { NodeFleet } from '../nodes/fleet.js';
import { TestApi } from './apiserver.js';
import { startKubeling, until } from './proc.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(async () => {
  await t?.stop();
});

/** A GET whose answer is read as text (pods/log answers text/plain). */
function getText(path: string): Promise<{ code: number; type: string; text: string }> {
  return new Promise((res, rej) => {
    const req = request(t.base + path, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => res({ code: r.statusCode ?? 0, type: String(r.headers['content-type'] ?? ''), text }));
    });
    req.on('error', rej);
    req.end();
  });
}

const pods = '/api/v1/namespaces/default/pods';
const getPod = async (name: string): Promise<any> => (await t.call('GET', `${pods}/${name}`)).body;
const cond = (p: any, type: string): any => p.status?.conditions?.find((c: any) => c.type === type);
const lease = async (node: string): Promise<any> => (await t.call('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`)).body;
const inCIDR = (ip: string, cidr: string): boolean => ip.split('.').slice(0, 3).join('.') === cidr.split('/')[0]!.split('.').slice(0, 3).join('.');

describe('a fleet of simulated nodes over a real API server', () => {
  let client: RestClient;
  let fleet: NodeFleet;
  const lines: string[] = [];
  const watches: Watch[] = [];
  const start = async (): Promise<NodeFleet> => {
    const f = new NodeFleet({
      client,
      count: 3,
      namePrefix: 'sim-',
      zones: ['a', 'b', 'c'],
      taints: [{ key: 'kubeling.dev/simulated', value: 'yes', effect: 'NoSchedule' }],
      leaseDurationSeconds: 2,
      statusUpdateMs: 500,
      timings: { startMs: [300, 400], initMs: 500, runMs: 1000 },
      log: (l) => lines.push(l),
    });
    await f.start();
    return f;
  };
  before(async () => {
    client = RestClient.fromKubeconfig(t.kubeconfig, { userAgent: userAgent('kubelet') });
    fleet = await start();
  });
  after(async () => {
    for (const w of watches) w.stop();
    await fleet?.stop();
    client?.close();
  });

  /** Every status a pod goes through from now: a watch from a list's resourceVersion, so nothing after the list is missed. */
  const history = async (name: string): Promise<any[]> => {
    const seen: any[] = [];
    const fieldSelector = `metadata.name=${name}`;
    const { resourceVersion } = (await client.list({ resource: 'pods', namespace: 'default' }, { fieldSelector })).metadata;
    watches.push(client.watch({ resource: 'pods', namespace: 'default' }, { fieldSelector, resourceVersion }, { onEvent: (e) => void seen.push(structuredClone(e.object.status)) }));
    return seen;
  };
  const create = async (name: string, spec: Record<string, any>, annotations: Record<string, string> = {}): Promise<void> => {
    const r = await t.call('POST', pods, { metadata: { name, annotations }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  };

  it('registers Nodes as kubelets do and renews their Leases', async () => {
    const list = (await t.call('GET', '/api/v1/nodes')).body.items.filter((n: any) => n.metadata.name.startsWith('sim-'));
    assert.deepEqual(list.map((n: any) => n.metadata.name).sort(), ['sim-0', 'sim-1', 'sim-2']);
    const n = list.find((x: any) => x.metadata.name === 'sim-1');
    assert.deepEqual(
      [n.metadata.labels['kubernetes.io/hostname'], n.metadata.labels['kubernetes.io/os'], n.metadata.labels['kubernetes.io/arch'], n.metadata.labels['topology.kubernetes.io/zone']],
      ['sim-1', 'linux', 'amd64', 'b'],
    );
    assert.match(n.metadata.labels['node.kubernetes.io/instance-type'], /^kubeling\./);
    assert.deepEqual(n.spec.taints, [{ key: 'kubeling.dev/simulated', value: 'yes', effect: 'NoSchedule' }]);
    assert.equal(n.spec.podCIDR, n.spec.podCIDRs[0]);
    assert.deepEqual(list.map((x: any) => x.spec.podCIDR).sort(), ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
    for (const k of ['cpu', 'memory', 'pods', 'ephemeral-storage']) assert.ok(n.status.capacity[k] && n.status.allocatable[k], k);
    assert.equal(n.status.capacity.pods, '110');
    assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'sim-1' }]);
    assert.equal(n.status.daemonEndpoints.kubeletEndpoint.Port, fleet.port);
    assert.match(n.status.nodeInfo.kubeletVersion, /^v1\.32\./);
    assert.match(n.status.nodeInfo.containerRuntimeVersion, /^kubeling:\/\//);
    assert.deepEqual([n.status.nodeInfo.operatingSystem, n.status.nodeInfo.architecture], ['linux', 'amd64']);
    const ready = cond(n, 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['True', 'KubeletReady', 'kubelet is posting ready status']);
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) assert.equal(cond(n, type).status, 'False', type);
    assert.ok(ready.lastHeartbeatTime);

    const l = await lease('sim-1');
    assert.deepEqual([l.spec.holderIdentity, l.spec.leaseDurationSeconds], ['sim-1', 2]);
    assert.deepEqual(l.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-1', uid: n.metadata.uid }]);
    await until('the lease renewed', async () => ((await lease('sim-1')).spec.renewTime !== l.spec.renewTime ? true : undefined));

    const get = await t.kubectl('get', 'nodes', '-o', 'wide');
    assert.equal(get.status, 0, get.stderr);
    assert.match(get.stdout, /sim-0\s+Ready\s+<none>\s+\S+\s+v1\.32\.0-kubeling\s+127\.0\.0\.1/);
  });

  it('runs a pod bound by spec.nodeName: Pending (ContainerCreating), Running, then Ready after its readiness delay, with an IP of its node', async () => {
    const seen = await history('web');
    await create('web', { nodeName: 'sim-0', containers: [{ name: 'app', image: 'nginx', readinessProbe: { initialDelaySeconds: 1, httpGet: { path: '/', port: 80 } } }] });
    const p = await until('web Ready', async () => {
      const x = await getPod('web');
      return cond(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    const st = p.status;
    assert.equal(st.phase, 'Running');
    assert.ok(inCIDR(st.podIP, '10.244.0.0/24') && st.podIP !== '10.244.0.0', st.podIP);
    assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
    assert.deepEqual([st.hostIP, st.hostIPs], ['127.0.0.1', [{ ip: '127.0.0.1' }]]);
    assert.ok(st.startTime);
    const c = st.containerStatuses[0];
    assert.deepEqual([c.name, c.ready, c.started, c.restartCount, c.image], ['app', true, true, 0, 'docker.io/library/nginx:latest']);
    assert.match(c.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(c.containerID, /^kubeling:\/\/[0-9a-f]{64}$/);
    assert.ok(c.state.running.startedAt);
    for (const type of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']) assert.equal(cond(p, type)?.status, 'True', type);

    // the watch trails the reads above: wait until it has the Ready status too
    await until('the watch saw Ready', () => (seen.some((s) => cond({ status: s }, 'Ready')?.status === 'True') ? true : undefined));
    const creating = seen.findIndex((s) => s?.phase === 'Pending' && s.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
    const runningUnready = seen.findIndex((s) => s?.phase === 'Running' && s.containerStatuses?.[0]?.ready === false && cond({ status: s }, 'Ready')?.reason === 'ContainersNotReady');
    const ready = seen.findIndex((s) => cond({ status: s }, 'Ready')?.status === 'True');
    assert.ok(creating >= 0 && runningUnready > creating && ready > runningUnready, JSON.stringify(seen.map((s) => [s?.phase, cond({ status: s }, 'Ready')?.status])));
    assert.equal(cond({ status: seen[runningUnready] }, 'Ready').message, 'containers with unready status: [app]');

    // a second pod on the node gets another address; the kubelet's events tell the start
    await create('web2', { nodeName: 'sim-0' });
    const ip2 = await until('web2 has an IP', async () => (await getPod('web2')).status?.podIP as string | undefined);
    assert.notEqual(ip2, st.podIP);
    const events = await until('the kubelet events', async () => {
      const items = (await t.call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb')).body.items;
      return items.some((e: any) => e.reason === 'Started') ? items : undefined;
    });
    const started = events.find((e: any) => e.reason === 'Started');
    assert.deepEqual([started.message, started.source.component, started.source.host], ['Started container: app', 'kubelet', 'sim-0']);
    assert.ok(events.some((e: any) => e.reason === 'Pulled') && events.some((e: any) => e.reason === 'Created'));
  });

  it('runs init containers one by one first (Init:0/2 as kubectl shows), for a pod bound through pods/binding', async () => {
    const seen = await history('init');
    await create('init', { initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'migrate', image: 'busybox' }] });
    const b = await t.call('POST', `${pods}/init/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'init' }, target: { kind: 'Node', name: 'sim-1' } });
    assert.equal(b.code, 201, JSON.stringify(b.body));
    const p = await until('init Running', async () => {
      const x = await getPod('init');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    assert.equal(cond(p, 'PodScheduled')?.status, 'True', 'the binding condition is kept');
    assert.deepEqual(
      p.status.conditions.map((c: any) => c.type),
      ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
    );
    assert.ok(inCIDR(p.status.podIP, '10.244.1.0/24'));
    assert.deepEqual(
      p.status.initContainerStatuses.map((s: any) => [s.name, s.state.terminated?.reason, s.state.terminated?.exitCode, s.ready]),
      [['setup', 'Completed', 0, true], ['migrate', 'Completed', 0, true]],
    );
    const first = seen.find((s) => s?.initContainerStatuses?.[0]?.state?.running);
    assert.ok(first, 'setup ran');
    assert.equal(first.phase, 'Pending');
    assert.equal(first.initContainerStatuses[1].state.waiting.reason, 'PodInitializing');
    assert.equal(first.containerStatuses[0].state.waiting.reason, 'PodInitializing');
    assert.deepEqual([cond({ status: first }, 'Initialized').status, cond({ status: first }, 'Initialized').message], ['False', 'containers with incomplete status: [setup migrate]']);
    const second = seen.find((s) => s?.initContainerStatuses?.[1]?.state?.running);
    assert.equal(second?.initContainerStatuses[0].state.terminated.reason, 'Completed', 'migrate ran after setup completed');
  });

  it('completes pods meant to finish: Succeeded (exit 0) or Failed (the exit-code annotation)', async () => {
    await create('job-ok', { nodeName: 'sim-2', restartPolicy: 'Never' }, { 'kubeling.dev/run-seconds': '0.5' });
    await create('job-fail', { nodeName: 'sim-2', restartPolicy: 'OnFailure' }, { 'kubeling.dev/run-seconds': '0.5', 'kubeling.dev/exit-code': '3' });
    const ok = await until('job-ok Succeeded', async () => {
      const x = await getPod('job-ok');
      return x.status?.phase === 'Succeeded' ? x : undefined;
    });
    const term = ok.status.containerStatuses[0].state.terminated;
    assert.deepEqual([term.exitCode, term.reason], [0, 'Completed']);
    assert.deepEqual([cond(ok, 'Ready').status, cond(ok, 'Ready').reason], ['False', 'PodCompleted']);
    assert.ok(ok.status.podIP, 'a finished pod keeps its IP in its status');
    const bad = await until('job-fail Failed', async () => {
      const x = await getPod('job-fail');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    const t2 = bad.status.containerStatuses[0].state.terminated;
    assert.deepEqual([t2.exitCode, t2.reason], [3, 'Error']);
    assert.equal(cond(bad, 'ContainersReady').reason, 'PodFailed');
  });

  it('honours the grace period of a deleted pod, then deletes it; a pod that stops on SIGTERM goes at once', async () => {
    await create('slow', { nodeName: 'sim-0', terminationGracePeriodSeconds: 5 });
    await create('quick', { nodeName: 'sim-0' }, { 'kubeling.dev/stop-seconds': '0' });
    await until('both running', async () => ((await getPod('slow')).status?.phase === 'Running' && (await getPod('quick')).status?.phase === 'Running' ? true : undefined));
    const seen = await history('slow');
    const seenQuick = await history('quick');
    const t0 = Date.now();
    assert.equal((await t.call('DELETE', `${pods}/slow`)).code, 200);
    assert.equal((await t.call('DELETE', `${pods}/quick`)).code, 200);
    await until('quick deleted', async () => ((await t.call('GET', `${pods}/quick`)).code === 404 ? true : undefined));
    // the watch trails the reads: wait for it to show the terminated status
    const quickEnd = await until('the watch saw quick terminated', () => seenQuick.find((s) => s?.containerStatuses?.[0]?.state?.terminated));
    assert.deepEqual([quickEnd.phase, quickEnd.containerStatuses[0].state.terminated.exitCode, quickEnd.containerStatuses[0].state.terminated.reason], ['Succeeded', 0, 'Completed']);
    assert.equal((await getPod('slow')).status.phase, 'Running', 'slow is still in its grace period');
    await until('slow deleted', async () => ((await t.call('GET', `${pods}/slow`)).code === 404 ? true : undefined));
    const waited = Date.now() - t0;
    const end = await until('the watch saw slow terminated', () => seen.find((s) => s?.containerStatuses?.[0]?.state?.terminated));
    assert.deepEqual([end.phase, end.containerStatuses[0].state.terminated.exitCode, end.containerStatuses[0].state.terminated.reason], ['Failed', 137, 'Error']);
    // the deletionTimestamp is whole seconds: at least four of the five seconds passed
    assert.ok(waited >= 4000, `deleted after ${waited} ms`);
  });

  it('serves kubectl logs (and -f) through the API server, with kube-apiserver\'s errors', async () => {
    const logs = await t.kubectl('logs', 'web');
    assert.equal(logs.status, 0, logs.stderr);
    assert.match(logs.stdout, /pulled/);
    assert.match(logs.stdout, /container app of pod default\/web started on node sim-0 with IP 10\.244\.0\.\d+/);
    assert.match(logs.stdout, /ready \(readiness probe succeeded after 1s\)/);
    const tail = await t.kubectl('logs', 'web', '--tail=1', '--timestamps');
    assert.equal(tail.status, 0, tail.stderr);
    assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z kubeling: ready/);
    assert.equal(tail.stdout.trim().split('\n').length, 1);

    const bad = await t.kubectl('logs', 'web', '-c', 'nope');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /container nope is not valid for pod web/); // kubectl checks it too, before asking
    const nope = await t.call('GET', `${pods}/web/log?container=nope`);
    assert.deepEqual([nope.code, nope.body.reason, nope.body.message], [400, 'BadRequest', 'container nope is not valid for pod web']);
    const prev = await t.kubectl('logs', 'web', '--previous');
    assert.notEqual(prev.status, 0);
    assert.match(prev.stderr, /previous terminated container "app" in pod "web" not found/);

    await create('two', { nodeName: 'sim-1', containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'redis' }] });
    const two = await t.call('GET', `${pods}/two/log`);
    assert.deepEqual([two.code, two.body.reason, two.body.message], [400, 'BadRequest', 'a container name must be specified for pod two, choose one of: [a b]']);
    await create('unbound', {});
    const unbound = await getText(`${pods}/unbound/log`);
    assert.deepEqual([unbound.code, unbound.text], [200, ''], 'kube-apiserver answers an unscheduled pod with no logs');
    assert.equal((await t.call('GET', `${pods}/missing/log`)).code, 404);

    // kubectl logs -f streams: the first lines arrive while the container runs; it is deleted, stops on SIGTERM, and the stream ends with it
    await create('tail-f', { nodeName: 'sim-2' }, { 'kubeling.dev/stop-seconds': '0' });
    await until('tail-f Running', async () => ((await getPod('tail-f')).status?.phase === 'Running' ? true : undefined));
    const follow = spawn('kubectl', ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, 'cache'), 'logs', '-f', 'tail-f'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follow.stdout.on('data', (d: Buffer) => (out += d.toString()));
    follow.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => follow.once('exit', res));
    await until('the first lines', () => (/started on node sim-2/.test(out) ? true : undefined));
    assert.doesNotMatch(out, /SIGTERM/);
    assert.equal((await t.call('DELETE', `${pods}/tail-f`)).code, 200);
    assert.equal(await exited, 0, err);
    assert.match(out, /kubeling: received SIGTERM\nkubeling: stopped on SIGTERM; exiting with code 0\n$/, 'the stream ends with the container');
  });

  it('stops renewing the Lease of a node annotated kubeling.dev/heartbeat=stopped, and resumes when the annotation goes', async () => {
    const ann = await t.kubectl('annotate', 'node', 'sim-2', 'kubeling.dev/heartbeat=stopped');
    assert.equal(ann.status, 0, ann.stderr);
    await until('sim-2 stopped', () => (fleet.agent('sim-2')?.stopped ? true : undefined));
    await create('orphan', { nodeName: 'sim-2' });
    // renewals of another node's lease measure the time: one for a renewal under way at the stop to land, two more in which sim-2's would have been renewed
    const renewal = async (): Promise<void> => {
      const r = (await lease('sim-0')).spec.renewTime;
      await until('sim-0 renewed', async () => ((await lease('sim-0')).spec.renewTime !== r ? true : undefined));
    };
    await renewal();
    const frozen = (await lease('sim-2')).spec.renewTime;
    await renewal();
    await renewal();
    assert.equal((await lease('sim-2')).spec.renewTime, frozen);
    assert.equal((await getPod('orphan')).status.containerStatuses, undefined, 'a stopped kubelet does not start pods');
    assert.ok(lines.some((l) => l.includes('node sim-2: heartbeat stopped')));
    const dead = await t.call('GET', `${pods}/job-ok/log`);
    assert.deepEqual([dead.code, dead.body.reason, dead.body.details.causes[0].message], [503, 'ServiceUnavailable', 'the kubelet of node sim-2 is stopped (kubeling.dev/heartbeat: stopped)\n']);

    assert.equal((await t.kubectl('annotate', 'node', 'sim-2', 'kubeling.dev/heartbeat-')).status, 0);
    await until('sim-2 renews again', async () => ((await lease('sim-2')).spec.renewTime !== frozen ? true : undefined));
    await until('orphan Running', async () => ((await getPod('orphan')).status?.phase === 'Running' ? true : undefined));
  });

  it('a restarted fleet takes its Nodes over and adopts the pods bound to them meanwhile', async () => {
    const before = await getPod('web');
    const uid = (await t.call('GET', '/api/v1/nodes/sim-0')).body.metadata.uid;
    await fleet.stop();
    await create('adopted', { nodeName: 'sim-0' });
    fleet = await start();
    assert.equal((await t.call('GET', '/api/v1/nodes/sim-0')).body.metadata.uid, uid, 'the same Node, taken over');
    const p = await until('adopted Running', async () => {
      const x = await getPod('adopted');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    assert.ok(inCIDR(p.status.podIP, '10.244.0.0/24'));
    const after = await getPod('web');
    assert.deepEqual([after.status.podIP, after.status.startTime, after.status.containerStatuses[0].containerID], [before.status.podIP, before.status.startTime, before.status.containerStatuses[0].containerID]);
    assert.notEqual(p.status.podIP, after.status.podIP);
    assert.ok(!lines.some((l) => /cannot register/.test(l)), lines.join('\n'));
  });
});

describe('kubeling nodes --count 1000', () => {
  it('registers a thousand Nodes in one process and keeps their Leases fresh', async () => {
    const started = Date.now();
    const proc = startKubeling('nodes', ['--kubeconfig', t.kubeconfig, '--count', '1000', '--name-prefix', 'bulk-', '--node-lease-duration-seconds', '20', '--zones', 'a,b,c']);
    try {
      await until('1000 nodes registered', () => (/registered 1000 simulated nodes/.test(proc.out) ? true : undefined), 60_000).catch((e: Error) => {
        throw new Error(`${e.message}; it said:\n${proc.out}`);
      });
      const leases = async (): Promise<Map<string, string>> =>
        new Map(
          (await t.call('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).body.items
            .filter((l: any) => l.metadata.name.startsWith('bulk-'))
            .map((l: any) => [l.metadata.name, l.spec.renewTime]),
        );
      const first = await until('1000 leases', async () => {
        const m = await leases();
        return m.size === 1000 ? m : undefined;
      }, 30_000);
      await until('every lease renewed', async () => {
        const m = await leases();
        return [...first].every(([k, v]) => m.get(k) !== v) ? true : undefined;
      }, 30_000);
      const renewed = Date.now();
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.proc.pid}/status`, 'utf8'))?.[1];
      proc.proc.kill('SIGTERM');
      assert.equal(await proc.exited, 0, proc.out);
      const registered = /registered 1000 simulated nodes \(.*\) in ([\d.]+) s/.exec(proc.out)?.[1];
      console.log(
        `# kubeling nodes --count 1000: RSS ${rss ? `${Math.round(Number(rss) / 1024)} MiB` : 'unknown'}; registered in ${registered} s, ` +
          `every lease renewed ${((renewed - started) / 1000).toFixed(1)} s after the start, stopped in ${((Date.now() - renewed) / 1000).toFixed(1)} s`,
      );
      const nodes = (await t.call('GET', '/api/v1/nodes')).body.items.filter((n: any) => n.metadata.name.startsWith('bulk-'));
      assert.equal(nodes.length, 1000, 'the Nodes stay when their kubelets stop');
    } finally {
      proc.proc.kill('SIGKILL');
    }
  });
});
