/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The Deployment and ReplicaSet controllers together through a real API
 * server, run by a ControllerManager, with a fake kubelet marking pods
 * ready: rollouts (rolling, within maxSurge; Recreate, never old and new
 * pods at once), the real kubectl's rollout status / history / undo,
 * scale, set image, pause and resume, proportional scaling mid-rollout,
 * revision history cleanup and the progress deadline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Informer } from '../../client/informer.js';
import type { Pod } from '../../client/types.js';
import { until } from '../../test/proc.js';
import { controllersOverApiServer, createNamespace, create, eventsAbout, FakeKubelet, listPods } from '../internal/testing/harness.js';
import { replicaSetController } from '../replicaset/replicaset.js';
import { deploymentController } from './deployment.js';
import { computeHash } from './hash.js';

const deployPath = (ns: string, name = ''): string => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;

function deployment(name: string, replicas: number, spec: Record<string, unknown> = {}): unknown {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      ...spec,
    },
  };
}

/** Watches the pods of a namespace, remembering the most live (not deleting) pods seen at once, and by image. */
class PodCensus {
  readonly informer: Informer<Pod>;
  maxLive = 0;
  /** Whether pods of two images were ever live at once. */
  mixed = false;

  constructor(client: ConstructorParameters<typeof Informer>[0], namespace: string) {
    this.informer = new Informer<Pod>(client, { resource: { resource: 'pods', namespace }, log: () => {} });
    const look = (): void => {
      const live = this.informer.list().filter((p) => !p.metadata.deletionTimestamp);
      this.maxLive = Math.max(this.maxLive, live.length);
      if (new Set(live.map((p) => p.spec.containers[0]?.image)).size > 1) this.mixed = true;
    };
    this.informer.addEventHandler({ onAdd: look, onUpdate: look, onDelete: look });
    this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }
}

describe('the Deployment controller over a real API server', () => {
  const h = controllersOverApiServer(new Map([['replicaset', replicaSetController], ['deployment', deploymentController]]));
  const get = async (ns: string, name: string): Promise<any> => (await h.t.call('GET', deployPath(ns, name))).body;
  const replicaSets = async (ns: string): Promise<any[]> => (await h.t.call('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`)).body.items;
  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await h.t.kubectl(...args);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const rolledOut = async (ns: string, name: string): Promise<void> => {
    const out = await kubectl('rollout', 'status', '-n', ns, `deployment/${name}`, '--timeout=20s');
    assert.match(out, new RegExp(`deployment "${name}" successfully rolled out`));
  };
  const scalingEvents = async (ns: string, name: string): Promise<string[]> => (await eventsAbout(h.t, ns, name)).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);

  it('rolls out a new Deployment through a ReplicaSet named by its template hash, to kubectl rollout status', async () => {
    await createNamespace(h.t, 'd1');
    const kubelet = new FakeKubelet(h.client, 'd1');
    try {
      const d = await create(h.t, deployPath('d1'), deployment('web', 3));
      await rolledOut('d1', 'web');
      const [rs, ...more] = await replicaSets('d1');
      assert.equal(more.length, 0);
      const hash = rs.metadata.labels['pod-template-hash'];
      assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
      assert.equal(rs.metadata.name, `web-${hash}`);
      assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
      assert.deepEqual(rs.spec.template.metadata.labels, { app: 'web', 'pod-template-hash': hash });
      assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.deepEqual(rs.metadata.annotations, { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
      const pods = await listPods(h.t, 'd1');
      assert.equal(pods.length, 3);
      assert.ok(pods.every((p) => p.metadata.name.startsWith(`web-${hash}-`) && p.metadata.labels['pod-template-hash'] === hash));

      const got = await until('status complete', async () => {
        const x = await get('d1', 'web');
        return x.status.availableReplicas === 3 && x.status.observedGeneration === x.metadata.generation ? x : undefined;
      });
      assert.deepEqual([got.status.replicas, got.status.updatedReplicas, got.status.readyReplicas, got.status.unavailableReplicas ?? 0], [3, 3, 3, 0]);
      assert.equal(got.metadata.annotations['deployment.kubernetes.io/revision'], '1');
      const cond = Object.fromEntries(got.status.conditions.map((c: any) => [c.type, c]));
      assert.deepEqual([cond.Available.status, cond.Available.reason, cond.Available.message], ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']);
      assert.deepEqual([cond.Progressing.status, cond.Progressing.reason, cond.Progressing.message], ['True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`]);
      assert.deepEqual(await scalingEvents('d1', 'web'), [`Scaled up replica set web-${hash} from 0 to 3`]);
      const table = await kubectl('get', 'deployment', '-n', 'd1', 'web', '--no-headers');
      assert.match(table, /^web\s+3\/3\s+3\s+3\s+/);
    } finally {
      kubelet.stop();
    }
  });

  it('rolls a new template within maxSurge, keeps the history kubectl lists, and undoes to the old ReplicaSet', async () => {
    await createNamespace(h.t, 'd2');
    const kubelet = new FakeKubelet(h.client, 'd2');
    const census = new PodCensus(h.client, 'd2');
    try {
      await create(h.t, deployPath('d2'), deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
      await rolledOut('d2', 'web');
      const [first] = await replicaSets('d2');
      await kubectl('set', 'image', '-n', 'd2', 'deployment/web', 'c=nginx:2');
      await rolledOut('d2', 'web');
      assert.ok(census.maxLive <= 5, `at most replicas + maxSurge pods at once, saw ${census.maxLive}`);
      const rss = await replicaSets('d2');
      assert.equal(rss.length, 2);
      const second = rss.find((r) => r.metadata.uid !== first.metadata.uid);
      assert.equal(second.metadata.annotations['deployment.kubernetes.io/revision'], '2');
      assert.equal(rss.find((r) => r.metadata.uid === first.metadata.uid).spec.replicas, 0);
      const pods = (await listPods(h.t, 'd2')).filter((p) => !p.metadata.deletionTimestamp);
      assert.ok(pods.length === 4 && pods.every((p) => p.spec.containers[0].image === 'nginx:2'));
      const events = await scalingEvents('d2', 'web');
      assert.ok(events.includes(`Scaled up replica set ${second.metadata.name} from 0 to 1`), events.join('\n'));
      assert.ok(events.includes(`Scaled down replica set ${first.metadata.name} from 4 to 3`), events.join('\n'));
      assert.ok(events.includes(`Scaled down replica set ${first.metadata.name} from 1 to 0`), events.join('\n'));

      const history = await kubectl('rollout', 'history', '-n', 'd2', 'deployment/web');
      assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);

      const undo = await kubectl('rollout', 'undo', '-n', 'd2', 'deployment/web');
      assert.equal(undo.trim(), 'deployment.apps/web rolled back');
      await rolledOut('d2', 'web');
      const after = await replicaSets('d2');
      assert.equal(after.length, 2, 'the old ReplicaSet came back, no new one');
      const back = after.find((r) => r.metadata.uid === first.metadata.uid);
      assert.equal(back.spec.replicas, 4);
      assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision'], '3');
      assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
      assert.match(await kubectl('rollout', 'history', '-n', 'd2', 'deployment/web'), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
      const d = await get('d2', 'web');
      assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1');
      assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');
      assert.ok(census.maxLive <= 5, `at most replicas + maxSurge pods at once, saw ${census.maxLive}`);
    } finally {
      census.stop();
      kubelet.stop();
    }
  });

  it('scales with kubectl scale, and recreates: never old and new pods at once', async () => {
    await createNamespace(h.t, 'd3');
    const kubelet = new FakeKubelet(h.client, 'd3');
    const census = new PodCensus(h.client, 'd3');
    try {
      await create(h.t, deployPath('d3'), deployment('db', 2, { strategy: { type: 'Recreate' } }));
      await rolledOut('d3', 'db');
      assert.equal((await kubectl('scale', '-n', 'd3', 'deployment/db', '--replicas=3')).trim(), 'deployment.apps/db scaled');
      await rolledOut('d3', 'db');
      const [rs] = await replicaSets('d3');
      assert.equal(rs.spec.replicas, 3);
      assert.equal(rs.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '3');
      assert.ok((await scalingEvents('d3', 'db')).includes(`Scaled up replica set ${rs.metadata.name} from 2 to 3`));
      await kubectl('set', 'image', '-n', 'd3', 'deployment/db', 'c=nginx:2');
      await rolledOut('d3', 'db');
      assert.equal(census.mixed, false, 'Recreate: the old pods went before any new one came');
      const pods = (await listPods(h.t, 'd3')).filter((p) => !p.metadata.deletionTimestamp);
      assert.ok(pods.length === 3 && pods.every((p) => p.spec.containers[0].image === 'nginx:2'));
    } finally {
      census.stop();
      kubelet.stop();
    }
  });

  it('holds a paused rollout until resumed, and scales proportionally mid-rollout', async () => {
    await createNamespace(h.t, 'd4');
    const kubelet = new FakeKubelet(h.client, 'd4');
    try {
      await create(h.t, deployPath('d4'), deployment('web', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
      await rolledOut('d4', 'web');
      const [old] = await replicaSets('d4');

      await kubectl('rollout', 'pause', '-n', 'd4', 'deployment/web');
      await kubectl('set', 'image', '-n', 'd4', 'deployment/web', 'c=nginx:2');
      const paused = await until('Progressing DeploymentPaused', async () => {
        const d = await get('d4', 'web');
        const c = d.status.conditions.find((x: any) => x.type === 'Progressing');
        return c.reason === 'DeploymentPaused' && d.status.observedGeneration === d.metadata.generation ? c : undefined;
      });
      assert.deepEqual([paused.status, paused.message], ['Unknown', 'Deployment is paused']);
      assert.equal((await replicaSets('d4')).length, 1, 'no new ReplicaSet while paused');

      // the new pods never become ready: the rollout stops at old 8, new 5 (13 = 10 + maxSurge; 8 = 10 - maxUnavailable)
      kubelet.pause();
      await kubectl('rollout', 'resume', '-n', 'd4', 'deployment/web');
      const sizes = async (): Promise<[number, number] | undefined> => {
        const rss = await replicaSets('d4');
        const n = rss.find((r) => r.metadata.uid !== old.metadata.uid);
        return n ? [rss.find((r) => r.metadata.uid === old.metadata.uid).spec.replicas, n.spec.replicas] : undefined;
      };
      await until('old 8, new 5', async () => ((await sizes())?.join() === '8,5' ? true : undefined));
      // kube's documented example: 5 more replicas go 3 to the old ReplicaSet, 2 to the new one
      await kubectl('scale', '-n', 'd4', 'deployment/web', '--replicas=15');
      await until('old 11, new 7', async () => ((await sizes())?.join() === '11,7' ? true : undefined));
      const rss = await replicaSets('d4');
      assert.ok(rss.every((r) => r.metadata.annotations['deployment.kubernetes.io/desired-replicas'] === '15' && r.metadata.annotations['deployment.kubernetes.io/max-replicas'] === '18'));
      kubelet.resume();
      await rolledOut('d4', 'web');
      assert.equal((await sizes())?.join(), '0,15');
    } finally {
      kubelet.stop();
    }
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    await createNamespace(h.t, 'd5');
    const kubelet = new FakeKubelet(h.client, 'd5');
    try {
      await create(h.t, deployPath('d5'), deployment('web', 1, { revisionHistoryLimit: 1 }));
      await rolledOut('d5', 'web');
      for (const v of ['2', '3', '4']) {
        await kubectl('set', 'image', '-n', 'd5', 'deployment/web', `c=nginx:${v}`);
        await rolledOut('d5', 'web');
      }
      const rss = await until('2 ReplicaSets left', async () => {
        const items = await replicaSets('d5');
        return items.length === 2 ? items : undefined;
      });
      assert.deepEqual(rss.map((r) => r.metadata.annotations['deployment.kubernetes.io/revision']).sort(), ['3', '4']);

      // the server-side rollback older clients ask for with an annotation
      await kubectl('annotate', '-n', 'd5', 'deployment/web', 'deprecated.deployment.rollback.to=3');
      const back = await until('rolled back to revision 3', async () => {
        const d = await get('d5', 'web');
        return d.spec.template.spec.containers[0].image === 'nginx:3' && !d.metadata.annotations['deprecated.deployment.rollback.to'] ? d : undefined;
      });
      assert.equal(back.spec.template.metadata.labels['pod-template-hash'], undefined);
      await rolledOut('d5', 'web');
      const rolledBack = await until('the DeploymentRollback event', async () => (await eventsAbout(h.t, 'd5', 'web')).find((e) => e.reason === 'DeploymentRollback'));
      assert.equal(rolledBack.message, 'Rolled back deployment "web" to revision 3');
    } finally {
      kubelet.stop();
    }
  });

  it('resolves a pod-template-hash collision by counting it in collisionCount', async () => {
    await createNamespace(h.t, 'd7');
    const d = await create(h.t, deployPath('d7'), deployment('web', 1, { paused: true }));
    // someone else's ReplicaSet already has the name the new one would take
    const taken = `web-${computeHash(d.spec.template)}`;
    await create(h.t, `/apis/apps/v1/namespaces/d7/replicasets`, {
      metadata: { name: taken, labels: { other: 'x' } },
      spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await kubectl('rollout', 'resume', '-n', 'd7', 'deployment/web');
    const ours = await until('a ReplicaSet of its own', async () => (await replicaSets('d7')).find((r) => r.metadata.ownerReferences?.[0]?.uid === d.metadata.uid));
    assert.equal((await get('d7', 'web')).status.collisionCount, 1);
    assert.equal(ours.metadata.name, `web-${computeHash(d.spec.template, 1)}`);
    assert.notEqual(ours.metadata.name, taken);
    assert.equal((await replicaSets('d7')).find((r) => r.metadata.name === taken).metadata.ownerReferences, undefined, 'the other ReplicaSet is left alone');
  });

  it('reports a ReplicaSet it cannot create in Progressing and an event', async () => {
    await createNamespace(h.t, 'd8');
    const name = 'x'.repeat(248); // the ReplicaSet's name, with its hash, is over 253 characters
    await create(h.t, deployPath('d8'), { ...(deployment('long', 1) as object), metadata: { name } });
    const cond = await until('ReplicaSetCreateError', async () => (await get('d8', name)).status?.conditions?.find((c: any) => c.type === 'Progressing'));
    assert.deepEqual([cond.status, cond.reason], ['False', 'ReplicaSetCreateError']);
    assert.match(cond.message, new RegExp(`^Failed to create new replica set "${name}-[a-z0-9]+": `));
    const ev = await until('the event', async () => (await eventsAbout(h.t, 'd8', name)).find((e) => e.reason === 'ReplicaSetCreateError'));
    assert.deepEqual([ev.type, ev.message], ['Warning', cond.message]);
  });

  it('reports a rollout that makes no progress within progressDeadlineSeconds, and kubectl rollout status fails', async () => {
    await createNamespace(h.t, 'd6');
    await create(h.t, deployPath('d6'), deployment('stuck', 2, { progressDeadlineSeconds: 1 }));
    const cond = await until(
      'ProgressDeadlineExceeded',
      async () => (await get('d6', 'stuck')).status?.conditions?.find((c: any) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'),
      10_000,
    );
    const [rs] = await replicaSets('d6');
    assert.deepEqual([cond.status, cond.message], ['False', `ReplicaSet "${rs.metadata.name}" has timed out progressing.`]);
    const d = await get('d6', 'stuck');
    const available = d.status.conditions.find((c: any) => c.type === 'Available');
    assert.deepEqual([available.status, available.reason], ['False', 'MinimumReplicasUnavailable']);
    const r = await h.t.kubectl('rollout', 'status', '-n', 'd6', 'deployment/stuck', '--timeout=10s');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /deployment "stuck" exceeded its progress deadline/);
  });
});
