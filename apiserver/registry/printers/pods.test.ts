import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../api/core/pod.js';
import type { KubeObject } from '../../api/meta.js';
import { podPrinter } from './pods.js';

const NOW = new Date('2025-03-01T12:00:00Z');
/** An RFC 3339 time `s` seconds before NOW. */
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace('.000Z', 'Z');

type Status = NonNullable<Pod['status']>;
type CS = NonNullable<Status['containerStatuses']>[number];

const running = (name: string, ready = true, extra: Partial<CS> = {}): CS => ({ name, ready, started: true, restartCount: 0, state: { running: { startedAt: ago(300) } }, ...extra });
const waiting = (name: string, reason: string, extra: Partial<CS> = {}): CS => ({ name, ready: false, restartCount: 0, state: { waiting: { reason } }, ...extra });
const terminated = (name: string, t: { exitCode: number; reason?: string; signal?: number }, extra: Partial<CS> = {}): CS => ({
  name,
  ready: false,
  restartCount: 0,
  state: { terminated: { ...t, startedAt: ago(600), finishedAt: ago(500) } },
  ...extra,
});
const cond = (type: string, status: string, reason?: string) => ({ type, status, ...(reason ? { reason } : {}) });

/** A pod `web` created an hour ago with app containers `app` (and `log` with two), scheduled on node-1 unless told. */
function pod(status: Status, opts: { containers?: number; inits?: { name: string; restartPolicy?: string }[]; meta?: Partial<Pod['metadata']>; spec?: Partial<NonNullable<Pod['spec']>> } = {}): KubeObject {
  const names = ['app', 'log', 'proxy'].slice(0, opts.containers ?? 1);
  const p: Pod = {
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(3600), ...opts.meta },
    spec: {
      nodeName: 'node-1',
      containers: names.map((name) => ({ name, image: `${name}:1` })),
      ...(opts.inits ? { initContainers: opts.inits.map((c) => ({ image: 'busybox', ...c })) } : {}),
      ...opts.spec,
    },
    status,
  };
  return p as KubeObject;
}

/** [title, pod, Ready, Status, Restarts] */
const cases: [string, KubeObject, string, string, string][] = [
  ['unscheduled pod is Pending', pod({ phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable')] }, { spec: { nodeName: '' } }), '0/1', 'Pending', '0'],
  ['scheduling gates hold it', pod({ phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'SchedulingGated')] }, { spec: { nodeName: '' } }), '0/1', 'SchedulingGated', '0'],
  ['image being pulled', pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ContainerCreating')] }), '0/1', 'ContainerCreating', '0'],
  ['image cannot be pulled', pod({ phase: 'Pending', containerStatuses: [waiting('app', 'ImagePullBackOff')] }), '0/1', 'ImagePullBackOff', '0'],
  [
    'all containers running and ready',
    pod({ phase: 'Running', conditions: [cond('Ready', 'True')], containerStatuses: [running('app'), running('log')] }, { containers: 2 }),
    '2/2',
    'Running',
    '0',
  ],
  [
    'one container running but not ready',
    pod({ phase: 'Running', conditions: [cond('Ready', 'False')], containerStatuses: [running('app'), running('log', false)] }, { containers: 2 }),
    '1/2',
    'Running',
    '0',
  ],
  [
    'crash loop with the last crash 2m ago',
    pod({
      phase: 'Running',
      containerStatuses: [waiting('app', 'CrashLoopBackOff', { restartCount: 4, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(120) } } })],
    }),
    '0/1',
    'CrashLoopBackOff',
    '4 (2m ago)',
  ],
  [
    'restarts sum over containers, the latest finish counts',
    pod(
      {
        phase: 'Running',
        conditions: [cond('Ready', 'True')],
        containerStatuses: [
          running('app', true, { restartCount: 2, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(7200) } } }),
          running('log', true, { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(200) } } }),
        ],
      },
      { containers: 2 },
    ),
    '2/2',
    'Running',
    '3 (3m20s ago)',
  ],
  ['a restart without a finish time shows no age', pod({ phase: 'Running', containerStatuses: [running('app', true, { restartCount: 2, lastState: { terminated: { exitCode: 1 } } })] }), '1/1', 'Running', '2'],
  ['completed', pod({ phase: 'Succeeded', containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' })] }), '0/1', 'Completed', '0'],
  ['failed with a reason', pod({ phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 1, reason: 'Error' })] }), '0/1', 'Error', '0'],
  ['failed without a reason: the exit code', pod({ phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 3 })] }), '0/1', 'ExitCode:3', '0'],
  ['killed by a signal', pod({ phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 137, signal: 9 })] }), '0/1', 'Signal:9', '0'],
  [
    'the first container with a reason wins',
    pod({ phase: 'Running', containerStatuses: [waiting('app', 'CreateContainerConfigError'), waiting('log', 'CrashLoopBackOff')] }, { containers: 2 }),
    '0/2',
    'CreateContainerConfigError',
    '0',
  ],
  [
    'Completed beside a running container, pod Ready: Running',
    pod({ phase: 'Running', conditions: [cond('Ready', 'True')], containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' }), running('log')] }, { containers: 2 }),
    '1/2',
    'Running',
    '0',
  ],
  [
    'Completed beside a running container, pod not Ready: NotReady',
    pod({ phase: 'Running', conditions: [cond('Ready', 'False')], containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' }), running('log')] }, { containers: 2 }),
    '1/2',
    'NotReady',
    '0',
  ],
  ['status.reason stands for the phase', pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }), '0/1', 'Evicted', '0'],
  [
    'first init container running',
    pod({ phase: 'Pending', initContainerStatuses: [running('migrate', false), waiting('seed', 'PodInitializing')], containerStatuses: [waiting('app', 'PodInitializing')] }, { inits: [{ name: 'migrate' }, { name: 'seed' }] }),
    '0/1',
    'Init:0/2',
    '0',
  ],
  [
    'second init container running',
    pod(
      { phase: 'Pending', initContainerStatuses: [terminated('migrate', { exitCode: 0, reason: 'Completed' }), running('seed', false)], containerStatuses: [waiting('app', 'PodInitializing')] },
      { inits: [{ name: 'migrate' }, { name: 'seed' }] },
    ),
    '0/1',
    'Init:1/2',
    '0',
  ],
  ['init container waiting to initialize counts as progress', pod({ phase: 'Pending', initContainerStatuses: [waiting('migrate', 'PodInitializing')] }, { inits: [{ name: 'migrate' }] }), '0/1', 'Init:0/1', '0'],
  [
    'init container in a crash loop',
    pod(
      {
        phase: 'Pending',
        initContainerStatuses: [waiting('migrate', 'CrashLoopBackOff', { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } } })],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
      { inits: [{ name: 'migrate' }] },
    ),
    '0/1',
    'Init:CrashLoopBackOff',
    '3 (5m ago)',
  ],
  ['init container failed with a reason', pod({ phase: 'Failed', initContainerStatuses: [terminated('migrate', { exitCode: 1, reason: 'Error' })] }, { inits: [{ name: 'migrate' }] }), '0/1', 'Init:Error', '0'],
  ['init container failed without one', pod({ phase: 'Pending', initContainerStatuses: [terminated('migrate', { exitCode: 2 })] }, { inits: [{ name: 'migrate' }] }), '0/1', 'Init:ExitCode:2', '0'],
  ['init container killed', pod({ phase: 'Pending', initContainerStatuses: [terminated('migrate', { exitCode: 137, signal: 9 })] }, { inits: [{ name: 'migrate' }] }), '0/1', 'Init:Signal:9', '0'],
  [
    'started sidecar and app container, restarts of both',
    pod(
      {
        phase: 'Running',
        conditions: [cond('Initialized', 'True'), cond('Ready', 'True')],
        initContainerStatuses: [running('istio-proxy', true, { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } } })],
        containerStatuses: [running('app', true, { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(900) } } })],
      },
      { inits: [{ name: 'istio-proxy', restartPolicy: 'Always' }] },
    ),
    '2/2',
    'Running',
    '3 (60s ago)',
  ],
  [
    'sidecar not started yet holds initialization',
    pod({ phase: 'Pending', initContainerStatuses: [running('istio-proxy', false, { started: false })], containerStatuses: [waiting('app', 'PodInitializing')] }, { inits: [{ name: 'istio-proxy', restartPolicy: 'Always' }] }),
    '0/2',
    'Init:0/1',
    '0',
  ],
  [
    'started sidecar, then a plain init container running',
    pod(
      { phase: 'Pending', initContainerStatuses: [running('istio-proxy', true), running('migrate', false)], containerStatuses: [waiting('app', 'PodInitializing')] },
      { inits: [{ name: 'istio-proxy', restartPolicy: 'Always' }, { name: 'migrate' }] },
    ),
    '1/2',
    'Init:1/2',
    '0',
  ],
  [
    'being deleted',
    pod({ phase: 'Running', conditions: [cond('Ready', 'True')], containerStatuses: [running('app')] }, { meta: { deletionTimestamp: ago(5), deletionGracePeriodSeconds: 30 } }),
    '1/1',
    'Terminating',
    '0',
  ],
  ['deleted after its node was lost', pod({ phase: 'Running', reason: 'NodeLost', containerStatuses: [running('app')] }, { meta: { deletionTimestamp: ago(5) } }), '1/1', 'Unknown', '0'],
  ['a finished pod being deleted keeps its status', pod({ phase: 'Succeeded', containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' })] }, { meta: { deletionTimestamp: ago(5) } }), '0/1', 'Completed', '0'],
];

describe('pod Ready, Status and Restarts cells', () => {
  for (const [title, obj, ready, status, restarts] of cases) {
    it(title, () => {
      const cells = podPrinter.cells(obj, NOW);
      assert.deepEqual(cells.slice(1, 4), [ready, status, restarts]);
    });
  }
});

describe('pod rows', () => {
  it('has the columns of kubectl get pods, the last four wide', () => {
    assert.deepEqual(
      podPrinter.columns.map((c) => [c.name, c.type, c.priority]),
      [
        ['Name', 'string', 0],
        ['Ready', 'string', 0],
        ['Status', 'string', 0],
        ['Restarts', 'string', 0],
        ['Age', 'string', 0],
        ['IP', 'string', 1],
        ['Node', 'string', 1],
        ['Nominated Node', 'string', 1],
        ['Readiness Gates', 'string', 1],
      ],
    );
  });

  it('fills every cell of a running pod', () => {
    const obj = pod({ phase: 'Running', podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }], conditions: [cond('Ready', 'True')], containerStatuses: [running('app')] });
    assert.deepEqual(podPrinter.cells(obj, NOW), ['web', '1/1', 'Running', '0', '60m', '10.244.1.7', 'node-1', '<none>', '<none>']);
  });

  it('shows <none> for an unscheduled pod', () => {
    const obj = pod({ phase: 'Pending' }, { spec: { nodeName: undefined }, meta: { creationTimestamp: ago(4) } });
    assert.deepEqual(podPrinter.cells(obj, NOW), ['web', '0/1', 'Pending', '0', '4s', '<none>', '<none>', '<none>', '<none>']);
  });

  it('takes the IP from podIPs, the nominated node, and counts readiness gates that hold', () => {
    const obj = pod(
      {
        phase: 'Running',
        podIPs: [{ ip: 'fd00::7' }, { ip: '10.244.1.7' }],
        nominatedNodeName: 'node-2',
        conditions: [cond('Ready', 'False'), cond('example.com/lb-ready', 'True'), cond('example.com/dns-ready', 'False')],
        containerStatuses: [running('app')],
      },
      { spec: { readinessGates: [{ conditionType: 'example.com/lb-ready' }, { conditionType: 'example.com/dns-ready' }] } },
    );
    assert.deepEqual(podPrinter.cells(obj, NOW).slice(5), ['fd00::7', 'node-1', 'node-2', '1/2']);
  });

  it('prints a pod without a status or age', () => {
    const obj = { metadata: { name: 'bare' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } as KubeObject;
    assert.deepEqual(podPrinter.cells(obj, NOW), ['bare', '0/1', '', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
  });
});
