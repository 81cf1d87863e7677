/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * The daemonset controller through a real API server, with the real
 * scheduler in this process binding the daemon pods and a fake kubelet
 * running them (testing/kubelet.ts): placement by node selector and taints,
 * nodes coming and going, rolling updates with maxUnavailable and with
 * maxSurge, OnDelete, failed pods, and `kubectl rollout status daemonset`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { daemonSetRegistration } from './daemonset.js';
import { startDaemonSetCluster, type DaemonSetCluster } from './testing/cluster.js';
import { createNode, setPodReady, type FakeKubelet } from './testing/kubelet.js';

describe('the daemonset controller over a real API server', () => {
  let cluster: DaemonSetCluster;
  let t: TestApi;
  let client: RestClient;
  let kubelet: FakeKubelet;
  before(async () => {
    cluster = await startDaemonSetCluster(
      { n1: {}, n2: { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }, n3: { labels: { role: 'edge' } } },
      new Map([['daemonset', daemonSetRegistration]]),
    );
    ({ t, client, kubelet } = cluster);
  });
  after(() => cluster?.stop());

  const ds = async (name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): Promise<any> => {
    const r = await t.call('POST', '/apis/apps/v1/namespaces/default/daemonsets', {
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'agent:1' }], ...podSpec } },
        ...spec,
      },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
    return r.body;
  };
  const getDs = async (name: string): Promise<any> => (await t.call('GET', `/apis/apps/v1/namespaces/default/daemonsets/${name}`)).body;
  const podsOf = async (name: string): Promise<any[]> => (await t.call('GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`)).body.items;
  const nodesOf = (pods: any[]): string[] => pods.map((p) => p.spec.nodeName ?? '?').sort();
  const setImage = (name: string, image: string) =>
    client.patch({ group: 'apps', version: 'v1', resource: 'daemonsets', namespace: 'default', name }, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
  /** The DaemonSet's pods once they are exactly one, running the image, on each of `nodes`. */
  const settled = (name: string, nodes: string[], image: string): Promise<any[]> =>
    until(`${name} settled on ${nodes.join(',')} with ${image}`, async () => {
      const pods = await podsOf(name);
      const ok = pods.length === nodes.length && pods.every((p) => p.spec.containers[0].image === image && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
      return ok && JSON.stringify(nodesOf(pods)) === JSON.stringify([...nodes].sort()) ? pods : undefined;
    }, 20_000);

  it('runs one pod on each node it fits, placed by the scheduler through a metadata.name node affinity; kubectl rollout status completes', async () => {
    const created = await ds('agent');
    const rollout = await t.kubectl('rollout', 'status', 'daemonset/agent', '--timeout=20s');
    assert.equal(rollout.status, 0, rollout.stderr);
    assert.match(rollout.stdout, /daemon set "agent" successfully rolled out\n$/);
    const pods = await settled('agent', ['n1', 'n3'], 'agent:1');
    for (const p of pods) {
      assert.match(p.metadata.name, /^agent-[a-z0-9]{5}$/);
      assert.deepEqual(p.spec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }] } } });
      assert.deepEqual(
        p.spec.tolerations.map((x: any) => `${x.key}:${x.operator}:${x.effect}`),
        [
          'node.kubernetes.io/not-ready:Exists:NoExecute',
          'node.kubernetes.io/unreachable:Exists:NoExecute',
          'node.kubernetes.io/disk-pressure:Exists:NoSchedule',
          'node.kubernetes.io/memory-pressure:Exists:NoSchedule',
          'node.kubernetes.io/pid-pressure:Exists:NoSchedule',
          'node.kubernetes.io/unschedulable:Exists:NoSchedule',
        ],
      );
      assert.equal(p.metadata.labels['pod-template-generation'], '1');
      assert.match(p.metadata.labels['controller-revision-hash'], /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    const st = (await getDs('agent')).status;
    assert.deepEqual(
      [st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady, st.numberAvailable, st.updatedNumberScheduled, st.numberMisscheduled, st.observedGeneration, st.numberUnavailable],
      [2, 2, 2, 2, 2, 0, 1, undefined],
    );
    const get = await t.kubectl('get', 'daemonset', 'agent');
    assert.match(get.stdout, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\nagent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+\d+s\n$/);
  });

  it('follows its node selector and tolerations', async () => {
    await ds('edge', {}, { nodeSelector: { role: 'edge' } });
    await ds('infra', {}, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] });
    await settled('edge', ['n3'], 'agent:1');
    const infra = await settled('infra', ['n1', 'n2', 'n3'], 'agent:1');
    assert.equal(infra[0].spec.tolerations.length, 7, "the template's toleration and the six of daemon pods");
  });

  it('puts a pod on a new node, and deletes it when the node goes; a label change moves pods', async () => {
    await createNode(client, 'n4');
    kubelet.addNode('n4');
    await settled('agent', ['n1', 'n3', 'n4'], 'agent:1');
    await client.delete({ resource: 'nodes', name: 'n4' });
    await settled('agent', ['n1', 'n3'], 'agent:1');
    // n3 loses its role: the edge pod goes; n1 gains it: one comes
    await client.patch({ resource: 'nodes', name: 'n3' }, 'merge', { metadata: { labels: { role: null } } });
    await client.patch({ resource: 'nodes', name: 'n1' }, 'merge', { metadata: { labels: { role: 'edge' } } });
    await settled('edge', ['n1'], 'agent:1');
  });

  it('rolls a template change out node by node (maxUnavailable 1): kubectl rollout status follows it', async () => {
    const before = (await podsOf('agent'))[0].metadata.labels['controller-revision-hash'];
    let worst = 0;
    const watch = setInterval(
      () => void getDs('agent').then((d) => (worst = Math.max(worst, (d.status.desiredNumberScheduled ?? 0) - (d.status.numberAvailable ?? 0))), () => {}),
      5,
    );
    await setImage('agent', 'agent:2');
    const rollout = await t.kubectl('rollout', 'status', 'daemonset/agent', '--timeout=20s');
    clearInterval(watch);
    assert.equal(rollout.status, 0, rollout.stderr);
    assert.match(rollout.stdout, /daemon set "agent" successfully rolled out\n$/);
    const pods = await settled('agent', ['n1', 'n3'], 'agent:2');
    for (const p of pods) {
      assert.notEqual(p.metadata.labels['controller-revision-hash'], before);
      assert.equal(p.metadata.labels['pod-template-generation'], '2');
    }
    assert.ok(worst <= 1, `never more than maxUnavailable unavailable (saw ${worst})`);
    const st = (await getDs('agent')).status;
    assert.deepEqual([st.updatedNumberScheduled, st.numberAvailable, st.observedGeneration], [2, 2, 2]);
  });

  it('surges with maxSurge: the new pod starts beside the old one, which goes once the new one is available', async () => {
    await ds('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const old = await settled('surge', ['n1', 'n3'], 'agent:1');
    kubelet.ready = (p) => !(p.metadata.labels?.app === 'surge' && p.spec.containers[0]?.image === 'agent:2');
    await setImage('surge', 'agent:2');
    const fresh = await until('one new pod beside the old ones', async () => {
      const pods = await podsOf('surge');
      const news = pods.filter((p) => p.spec.containers[0].image === 'agent:2' && p.status?.phase === 'Running');
      return news.length === 1 ? { pods, news } : undefined;
    });
    assert.equal(fresh.pods.length, 3, 'maxSurge 1: one node has two pods, no old pod gone');
    assert.deepEqual(fresh.pods.filter((p) => p.spec.containers[0].image === 'agent:1').map((p) => p.metadata.uid).sort(), old.map((p) => p.metadata.uid).sort());
    kubelet.ready = () => true;
    await setPodReady(client, 'default', fresh.news[0].metadata.name, true);
    const rollout = await t.kubectl('rollout', 'status', 'daemonset/surge', '--timeout=20s');
    assert.equal(rollout.status, 0, rollout.stderr);
    await settled('surge', ['n1', 'n3'], 'agent:2');
  });

  it('OnDelete: replaces a pod only once it is deleted; kubectl rollout status refuses the strategy', async () => {
    await ds('manual', { updateStrategy: { type: 'OnDelete' } });
    const pods = await settled('manual', ['n1', 'n3'], 'agent:1');
    await setImage('manual', 'agent:2');
    await until('generation observed', async () => ((await getDs('manual')).status.observedGeneration === 2 ? true : undefined));
    assert.equal((await getDs('manual')).status.updatedNumberScheduled, undefined, 'none updated: 0, left out as Go omits it');
    assert.deepEqual((await podsOf('manual')).map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort(), 'nothing replaced');
    const rollout = await t.kubectl('rollout', 'status', 'daemonset/manual', '--timeout=5s');
    assert.notEqual(rollout.status, 0);
    assert.match(rollout.stderr, /rollout status is only available for RollingUpdate strategy type/);
    const victim = pods.find((p) => p.spec.nodeName === 'n1');
    await client.delete({ resource: 'pods', namespace: 'default', name: victim.metadata.name });
    const now = await until('n1 replaced with the new template', async () => {
      const cur = await podsOf('manual');
      const n1 = cur.filter((p) => p.spec.nodeName === 'n1' && !p.metadata.deletionTimestamp);
      return n1.length === 1 && n1[0].spec.containers[0].image === 'agent:2' && n1[0].status?.phase === 'Running' ? cur : undefined;
    });
    assert.equal(now.find((p) => p.spec.nodeName === 'n3').spec.containers[0].image, 'agent:1');
    await until('one updated', async () => ((await getDs('manual')).status.updatedNumberScheduled === 1 ? true : undefined));
  });

  it('deletes a failed daemon pod, says so, and runs a new one', async () => {
    const [pod] = (await podsOf('edge')).filter((p) => p.spec.nodeName === 'n1');
    await client.patch({ resource: 'pods', namespace: 'default', name: pod.metadata.name, subresource: 'status' }, 'merge', { status: { phase: 'Failed' } });
    const pods = await settled('edge', ['n1'], 'agent:1');
    assert.notEqual(pods[0].metadata.uid, pod.metadata.uid);
    const events = (await t.call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dedge')).body.items;
    const failed = events.find((e: any) => e.reason === 'FailedDaemonPod');
    assert.equal(failed?.message, `Found failed daemon pod default/${pod.metadata.name} on node n1, will try to kill it`);
  });
});
