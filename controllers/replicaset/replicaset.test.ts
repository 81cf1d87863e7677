/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The ReplicaSet controller through a real API server, run by a
 * ControllerManager: pods created from the template and owned, status as
 * pods become ready and available, scale down in kube's order, adoption and
 * release, no extra pods under a burst of events, ReplicaFailure on create
 * errors, and kubectl scale.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { until } from '../../test/proc.js';
import { controllersOverApiServer, create, createNamespace, eventsAbout, FakeKubelet, listPods, markReady } from '../internal/testing/harness.js';
import { replicaSetController } from './replicaset.js';

const rsPath = (ns: string, name = ''): string => `/apis/apps/v1/namespaces/${ns}/replicasets${name ? `/${name}` : ''}`;

function replicaSet(name: string, replicas: number, extra: { minReadySeconds?: number; podSpec?: Record<string, unknown> } = {}): unknown {
  return {
    metadata: { name },
    spec: {
      replicas,
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...(extra.podSpec ?? {}) } },
    },
  };
}

describe('the ReplicaSet controller over a real API server', () => {
  const h = controllersOverApiServer(new Map([['replicaset', replicaSetController]]));
  const get = async (ns: string, name: string): Promise<any> => (await h.t.call('GET', rsPath(ns, name))).body;
  const live = async (ns: string, sel: string): Promise<any[]> => (await listPods(h.t, ns, sel)).filter((p) => !p.metadata.deletionTimestamp);

  it('creates the pods from the template, owned by the ReplicaSet, and counts them ready and available', async () => {
    await createNamespace(h.t, 'rs1');
    const rs = await create(h.t, rsPath('rs1'), replicaSet('web', 3));
    const pods = await until('3 pods', async () => {
      const items = await live('rs1', 'app=web');
      return items.length === 3 ? items : undefined;
    });
    for (const p of pods) {
      assert.match(p.metadata.name, /^web-[a-z0-9]{5}$/);
      assert.equal(p.metadata.generateName, 'web-');
      assert.deepEqual(p.metadata.labels, { app: 'web', tier: 'web' });
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    const s0 = await until('status replicas 3', async () => ((await get('rs1', 'web')).status?.replicas === 3 ? (await get('rs1', 'web')).status : undefined));
    assert.deepEqual([s0.fullyLabeledReplicas, s0.readyReplicas ?? 0, s0.availableReplicas ?? 0, s0.observedGeneration], [3, 0, 0, 1]);
    await markReady(h.client, pods[0]);
    await until('1 ready and available', async () => {
      const s = (await get('rs1', 'web')).status;
      return s.readyReplicas === 1 && s.availableReplicas === 1 ? true : undefined;
    });
    const created = await until('3 SuccessfulCreate events', async () => {
      const evs = (await eventsAbout(h.t, 'rs1', 'web')).filter((e) => e.reason === 'SuccessfulCreate');
      return evs.length === 3 ? evs : undefined;
    });
    assert.deepEqual(created.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    assert.equal(created[0].source.component, 'replicaset-controller');
    assert.equal(created[0].involvedObject.kind, 'ReplicaSet');
    assert.equal(created[0].type, 'Normal');
  });

  it('scales down deleting the pods kube would delete first: unready before ready', async () => {
    await createNamespace(h.t, 'rs2');
    await create(h.t, rsPath('rs2'), replicaSet('web', 4));
    const pods = await until('4 pods', async () => {
      const items = await live('rs2', 'app=web');
      return items.length === 4 ? items : undefined;
    });
    const ready = pods.slice(0, 2).map((p) => p.metadata.name as string);
    for (const p of pods.slice(0, 2)) await markReady(h.client, p);
    await until('2 ready', async () => ((await get('rs2', 'web')).status?.readyReplicas === 2 ? true : undefined));
    const r = await h.t.kubectl('scale', '-n', 'rs2', 'replicaset/web', '--replicas=2');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'replicaset.apps/web scaled');
    const left = await until('2 pods left', async () => {
      const items = await live('rs2', 'app=web');
      return items.length === 2 ? items : undefined;
    });
    assert.deepEqual(left.map((p) => p.metadata.name).sort(), [...ready].sort(), 'the unready pods went');
    const deleted = await until('2 SuccessfulDelete events', async () => {
      const evs = (await eventsAbout(h.t, 'rs2', 'web')).filter((e) => e.reason === 'SuccessfulDelete');
      return evs.length === 2 ? evs.map((e) => e.message) : undefined;
    });
    assert.deepEqual(deleted.sort(), pods.slice(2).map((p) => `Deleted pod: ${p.metadata.name}`).sort());
    await until('status 2/2 at generation 2', async () => {
      const rs = await get('rs2', 'web');
      return rs.status.replicas === 2 && rs.status.observedGeneration === 2 && rs.metadata.generation === 2 ? true : undefined;
    });
  });

  it('adopts a matching orphan, and releases a pod whose labels no longer match', async () => {
    await createNamespace(h.t, 'rs3');
    const orphan = await create(h.t, '/api/v1/namespaces/rs3/pods', { metadata: { name: 'stray', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const rs = await create(h.t, rsPath('rs3'), replicaSet('web', 2));
    await until('the orphan adopted', async () => {
      const p = (await h.t.call('GET', '/api/v1/namespaces/rs3/pods/stray')).body;
      return p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid ? true : undefined;
    });
    const pods = await until('2 pods', async () => {
      const items = await live('rs3', 'app=web');
      return items.length === 2 && items.every((p) => p.metadata.ownerReferences) ? items : undefined;
    });
    assert.ok(pods.some((p) => p.metadata.name === 'stray'), 'only one pod created: the orphan counts');
    await until('1 of 2 fully labeled: the adopted pod lacks the template label tier', async () => {
      const st = (await get('rs3', 'web')).status;
      return st?.replicas === 2 && st.fullyLabeledReplicas === 1 ? true : undefined;
    });
    assert.equal(orphan.metadata.uid, pods.find((p) => p.metadata.name === 'stray').metadata.uid);

    const r = await h.t.kubectl('label', '-n', 'rs3', 'pod/stray', 'app=other', '--overwrite');
    assert.equal(r.status, 0, r.stderr);
    await until('released', async () => {
      const p = (await h.t.call('GET', '/api/v1/namespaces/rs3/pods/stray')).body;
      return (p.metadata.ownerReferences ?? []).length === 0 ? true : undefined;
    });
    await until('a replacement', async () => ((await live('rs3', 'app=web')).length === 2 ? true : undefined));
  });

  it('sets ReplicaFailure and records FailedCreate when pods are refused, and clears it once they are created', async () => {
    await createNamespace(h.t, 'rs5');
    await create(h.t, rsPath('rs5'), replicaSet('web', 2, { podSpec: { priorityClassName: 'gold' } }));
    const cond = await until('ReplicaFailure', async () => (await get('rs5', 'web')).status?.conditions?.find((c: any) => c.type === 'ReplicaFailure'));
    // named by its generateName, as kube-apiserver's admission sees the pod before its name is made
    const message = /^pods "web-" is forbidden: no PriorityClass with name gold was found$/;
    assert.deepEqual([cond.status, cond.reason], ['True', 'FailedCreate']);
    assert.match(cond.message, message);
    const failed = await until('FailedCreate', async () => (await eventsAbout(h.t, 'rs5', 'web')).find((e) => e.reason === 'FailedCreate'));
    assert.match(failed.message.replace(/^Error creating: /, ''), message);
    assert.ok(failed.message.startsWith('Error creating: '));
    assert.equal(failed.type, 'Warning');
    await create(h.t, '/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'gold' }, value: 100 });
    await until('2 pods and no ReplicaFailure', async () => {
      const rs = await get('rs5', 'web');
      return rs.status?.replicas === 2 && !rs.status.conditions?.length ? true : undefined;
    }, 20_000);
  });

  it('counts a ready pod available only after minReadySeconds', async () => {
    await createNamespace(h.t, 'rs6');
    // 3 s: the whole-second transition time below leaves at least 2 s to see the pod ready and not yet available
    await create(h.t, rsPath('rs6'), replicaSet('web', 1, { minReadySeconds: 3 }));
    const [pod] = await until('a pod', async () => {
      const items = await live('rs6', 'app=web');
      return items.length === 1 ? items : undefined;
    });
    const readyAt = Date.now();
    // the Ready condition's lastTransitionTime has whole seconds (as a kubelet's): the wait counts from that second
    const t0 = Math.floor(readyAt / 1000) * 1000;
    await markReady(h.client, pod, readyAt);
    await until('ready, not yet available', async () => {
      const s = (await get('rs6', 'web')).status;
      return s.readyReplicas === 1 && (s.availableReplicas ?? 0) === 0 ? true : undefined;
    });
    await until('available', async () => ((await get('rs6', 'web')).status.availableReplicas === 1 ? true : undefined), 15_000);
    assert.ok(Date.now() - t0 >= 3000, 'not before minReadySeconds');
  });

  it('creates and deletes no extra pods while its cache has not yet seen its own writes (expectations)', async () => {
    await createNamespace(h.t, 'rs4');
    h.lagPodWatches(300);
    const kubeletClient = RestClient.fromKubeconfig(h.t.kubeconfig);
    const kubelet = new FakeKubelet(kubeletClient, 'rs4');
    try {
      await create(h.t, rsPath('rs4'), replicaSet('web', 20));
      await until('20 ready', async () => ((await get('rs4', 'web')).status?.readyReplicas === 20 ? true : undefined), 20_000);
      const all = await listPods(h.t, 'rs4');
      assert.equal(all.length, 20, 'every status write woke the controller, yet no pod too many');
      const victims = all.slice(0, 5).map((p) => p.metadata.name as string);
      await Promise.all(victims.map((n) => h.t.call('DELETE', `/api/v1/namespaces/rs4/pods/${n}`)));
      await until('5 replacements, all ready', async () => {
        const now = await listPods(h.t, 'rs4');
        const replaced = now.length === 20 && victims.every((v) => !now.some((p) => p.metadata.name === v));
        return replaced && (await get('rs4', 'web')).status?.readyReplicas === 20 ? true : undefined;
      });
      const creates = await until('25 SuccessfulCreate events', async () => {
        const evs = (await eventsAbout(h.t, 'rs4', 'web')).filter((e) => e.reason === 'SuccessfulCreate');
        return evs.length >= 25 ? evs : undefined;
      });
      assert.equal(creates.length, 25, 'one create per pod made, 20 and then 5');
      assert.equal((await listPods(h.t, 'rs4')).length, 20);

      const r = await h.t.kubectl('scale', '-n', 'rs4', 'rs/web', '--replicas=10');
      assert.equal(r.status, 0, r.stderr);
      await until('10 pods, status caught up', async () => {
        const rs = await get('rs4', 'web');
        return (await listPods(h.t, 'rs4')).length === 10 && rs.status?.replicas === 10 && rs.status.observedGeneration === 2 ? true : undefined;
      });
      // the events go out one by one after the deletes: wait for ten, then see there are no more
      const deletes = await until('10 SuccessfulDelete events', async () => {
        const evs = (await eventsAbout(h.t, 'rs4', 'web')).filter((e) => e.reason === 'SuccessfulDelete');
        return evs.length >= 10 ? evs : undefined;
      });
      assert.equal(deletes.length, 10, 'no pod deleted twice over: the status write woke it before its cache saw the deletes');
    } finally {
      h.lagPodWatches(0);
      kubelet.stop();
      kubeletClient.close();
    }
  });
});
