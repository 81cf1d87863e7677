/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * A DaemonSet's history through a real API server, with the real
 * scheduler, a fake kubelet (testing/kubelet.ts), the daemonset controller
 * and the garbage collector, driven by the real kubectl: a revision per
 * template, `kubectl rollout history` (and `--revision`), `kubectl rollout
 * undo` (and `--to-revision`), revisionHistoryLimit, adoption of orphaned
 * revisions and of a copy of the current one, a hash collision, and
 * revisions collected with their DaemonSet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../client/rest.js';
import { TestApi } from '../../test/apiserver.js';
import { until } from '../../test/proc.js';
import { computeHash } from '../deployment/hash.js';
import { garbageCollectorRegistration } from '../garbagecollector/index.js';
import { daemonSetRegistration } from './daemonset.js';
import { startDaemonSetCluster, type DaemonSetCluster } from './testing/cluster.js';

const NS = 'default';

describe('DaemonSet history over a real API server', () => {
  let cluster: DaemonSetCluster;
  let t: TestApi;
  let client: RestClient;
  before(async () => {
    cluster = await startDaemonSetCluster(
      { n1: {}, n2: {} },
      new Map([
        ['daemonset', daemonSetRegistration],
        ['garbage-collector', garbageCollectorRegistration],
      ]),
    );
    ({ t, client } = cluster);
  });
  after(() => cluster?.stop());

  const dsBody = (name: string, spec: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'agent:1' }] } },
      ...spec,
    },
  });
  const ds = async (name: string, spec: Record<string, unknown> = {}): Promise<any> => {
    const r = await t.call('POST', `/apis/apps/v1/namespaces/${NS}/daemonsets`, dsBody(name, spec));
    assert.equal(r.code, 201, JSON.stringify(r.body));
    return r.body;
  };
  const getDs = async (name: string): Promise<any> => (await t.call('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets/${name}`)).body;
  const podsOf = async (name: string): Promise<any[]> => (await t.call('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${name}`)).body.items;
  const revisionsOf = async (name: string): Promise<any[]> =>
    ((await t.call('GET', `/apis/apps/v1/namespaces/${NS}/controllerrevisions?labelSelector=app%3D${name}`)).body.items as any[]).sort((a, b) => a.revision - b.revision);
  const setImage = (name: string, image: string) =>
    client.patch({ group: 'apps', version: 'v1', resource: 'daemonsets', namespace: NS, name }, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await t.kubectl('-n', NS, ...args);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  /** The DaemonSet's pods once there is exactly one per node, running `image`. */
  const settled = (name: string, image: string): Promise<any[]> =>
    until(
      `${name} settled with ${image}`,
      async () => {
        const pods = await podsOf(name);
        const ok = pods.length === 2 && pods.every((p) => p.spec.containers[0].image === image && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
        return ok ? pods : undefined;
      },
      20_000,
    );
  /** The revisions once they are `want` (image and revision number each, by revision). */
  const revisionsAre = (name: string, want: [string, number][]): Promise<any[]> =>
    until(
      `${name} revisions ${JSON.stringify(want)}`,
      async () => {
        const rs = await revisionsOf(name);
        const got = rs.map((r) => [r.data.spec.template.spec.containers[0].image, r.revision]);
        return JSON.stringify(got) === JSON.stringify(want) ? rs : undefined;
      },
      20_000,
    );
  const rolledOut = async (name: string): Promise<void> => {
    const r = await t.kubectl('-n', NS, 'rollout', 'status', `daemonset/${name}`, '--timeout=20s');
    assert.equal(r.status, 0, r.stderr);
  };

  it('keeps a revision per template, owned by the DaemonSet; kubectl get and rollout history list them', async () => {
    const created = await ds('x');
    await settled('x', 'agent:1');
    await setImage('x', 'agent:2');
    await rolledOut('x');
    await settled('x', 'agent:2');
    await kubectl('annotate', 'daemonset/x', 'kubernetes.io/change-cause=image agent:3');
    await setImage('x', 'agent:3');
    await rolledOut('x');
    const pods = await settled('x', 'agent:3');
    const revs = await revisionsAre('x', [
      ['agent:1', 1],
      ['agent:2', 2],
      ['agent:3', 3],
    ]);
    for (const r of revs) {
      const hash = r.metadata.labels['controller-revision-hash'];
      assert.equal(r.metadata.name, `x-${hash}`);
      assert.deepEqual(r.metadata.labels, { app: 'x', 'controller-revision-hash': hash });
      assert.deepEqual(r.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    // the data: the patch that restores the template, as Go writes it
    const text = JSON.stringify(revs[0].data);
    assert.match(text, /^\{"spec":\{"template":\{"\$patch":"replace","metadata":\{"creationTimestamp":null,"labels":\{"app":"x"\}\},"spec":\{"containers":\[\{"image":"agent:1",/);
    assert.match(text, /"resources":\{\}/);
    assert.equal(revs[0].metadata.annotations['deprecated.daemonset.template.generation'], '1');
    assert.equal(revs[2].metadata.annotations['deprecated.daemonset.template.generation'], '3');
    const hash3 = revs[2].metadata.labels['controller-revision-hash'];
    for (const p of pods) assert.equal(p.metadata.labels['controller-revision-hash'], hash3);

    const get = await kubectl('get', 'controllerrevisions', '-l', 'app=x');
    const lines = get.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+CONTROLLER\s+REVISION\s+AGE$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3)),
      revs.map((r) => [r.metadata.name, 'daemonset.apps/x', String(r.revision)]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );

    // the change cause: the DaemonSet's annotation when the revision was made
    assert.equal(await kubectl('rollout', 'history', 'daemonset/x'), 'daemonset.apps/x \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n3         image agent:3\n\n');
    const two = await kubectl('rollout', 'history', 'daemonset/x', '--revision=2');
    assert.match(two, /^daemonset\.apps\/x with revision #2\nPod Template:\n {2}Labels:\tapp=x\n {2}Containers:\n {3}c:\n {4}Image:\tagent:2\n/);
    const missing = await t.kubectl('-n', NS, 'rollout', 'history', 'daemonset/x', '--revision=9');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /unable to find the specified revision/);
  });

  it('kubectl rollout undo brings the previous template back under a new revision, and the pods follow', async () => {
    assert.equal(await kubectl('rollout', 'undo', 'daemonset/x'), 'daemonset.apps/x rolled back\n');
    await rolledOut('x');
    const pods = await settled('x', 'agent:2');
    const revs = await revisionsAre('x', [
      ['agent:1', 1],
      ['agent:3', 3],
      ['agent:2', 4],
    ]);
    for (const p of pods) assert.equal(p.metadata.labels['controller-revision-hash'], revs[2].metadata.labels['controller-revision-hash']);
    assert.equal((await getDs('x')).status.updatedNumberScheduled, 2);

    assert.equal(await kubectl('rollout', 'undo', 'daemonset/x', '--to-revision=1'), 'daemonset.apps/x rolled back\n');
    await rolledOut('x');
    await settled('x', 'agent:1');
    await revisionsAre('x', [
      ['agent:3', 3],
      ['agent:2', 4],
      ['agent:1', 5],
    ]);
    assert.equal(await kubectl('rollout', 'history', 'daemonset/x'), 'daemonset.apps/x \nREVISION  CHANGE-CAUSE\n3         image agent:3\n4         <none>\n5         <none>\n\n');

    // the current template: kubectl finds it equal to the revision's data, byte for byte, as against Kubernetes
    assert.equal(await kubectl('rollout', 'undo', 'daemonset/x', '--to-revision=5'), 'daemonset.apps/x skipped rollback (current template already matches revision 5)\n');
    const none = await t.kubectl('-n', NS, 'rollout', 'undo', 'daemonset/x', '--to-revision=9');
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /unable to find specified revision 9 in history/);
  });

  it('keeps at most revisionHistoryLimit old revisions, and those a live pod still runs', async () => {
    await ds('pruned', { revisionHistoryLimit: 1 });
    await settled('pruned', 'agent:1');
    for (const image of ['agent:2', 'agent:3', 'agent:4']) {
      await setImage('pruned', image);
      await rolledOut('pruned');
      await settled('pruned', image);
    }
    await revisionsAre('pruned', [
      ['agent:3', 3],
      ['agent:4', 4],
    ]);

    // OnDelete with no history kept: the old revision stays while its pods run
    await ds('manual', { revisionHistoryLimit: 0, updateStrategy: { type: 'OnDelete' } });
    const old = await settled('manual', 'agent:1');
    await setImage('manual', 'agent:2');
    await until('manual observed', async () => ((await getDs('manual')).status.observedGeneration === 2 ? true : undefined));
    await revisionsAre('manual', [
      ['agent:1', 1],
      ['agent:2', 2],
    ]);
    await client.delete({ resource: 'pods', namespace: NS, name: old[0].metadata.name });
    await until('one pod replaced, the other still old', async () => {
      const pods = (await podsOf('manual')).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
      return pods.length === 2 && pods.some((p) => p.metadata.uid === old[1].metadata.uid) && pods.some((p) => p.spec.containers[0].image === 'agent:2') ? true : undefined;
    });
    await revisionsAre('manual', [
      ['agent:1', 1],
      ['agent:2', 2],
    ]);
    await client.delete({ resource: 'pods', namespace: NS, name: old[1].metadata.name });
    await settled('manual', 'agent:2');
    await revisionsAre('manual', [['agent:2', 2]]);
  });

  it('adopts the revisions a DaemonSet of the same selector left behind, and goes on from their numbers', async () => {
    await ds('phoenix');
    await settled('phoenix', 'agent:1');
    await setImage('phoenix', 'agent:2');
    await rolledOut('phoenix');
    const before = await revisionsAre('phoenix', [
      ['agent:1', 1],
      ['agent:2', 2],
    ]);
    assert.equal(await kubectl('delete', 'daemonset', 'phoenix', '--cascade=orphan'), 'daemonset.apps "phoenix" deleted\n');
    await until('revisions orphaned', async () => ((await revisionsOf('phoenix')).every((r) => !r.metadata.ownerReferences?.length) ? true : undefined), 20_000);
    await until('phoenix gone', async () => ((await t.call('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets/phoenix`)).code === 404 ? true : undefined));
    const again = await ds('phoenix');
    await settled('phoenix', 'agent:1');
    const revs = await until(
      'revisions adopted',
      async () => {
        const rs = await revisionsOf('phoenix');
        return rs.length === 2 && rs.every((r) => r.metadata.ownerReferences?.[0]?.uid === again.metadata.uid) && rs[1].data.spec.template.spec.containers[0].image === 'agent:1' ? rs : undefined;
      },
      20_000,
    );
    // the same revisions: agent:1's came back (revision 3), nothing new was made
    assert.deepEqual(revs.map((r) => [r.metadata.uid, r.revision]), [
      [before[1].metadata.uid, 2],
      [before[0].metadata.uid, 3],
    ]);
  });

  it('keeps one revision of a template: an adopted copy of higher revision stays, gets its name as hash, and the pods follow it', async () => {
    await ds('twin');
    const pods = await settled('twin', 'agent:1');
    const [mine] = await revisionsAre('twin', [['agent:1', 1]]);
    const copy = await t.call('POST', `/apis/apps/v1/namespaces/${NS}/controllerrevisions`, { metadata: { name: 'twin-copy', labels: { app: 'twin' } }, data: mine.data, revision: 7 });
    assert.equal(copy.code, 201, JSON.stringify(copy.body));
    const [kept] = await revisionsAre('twin', [['agent:1', 7]]);
    assert.equal(kept.metadata.name, 'twin-copy');
    assert.equal(kept.metadata.labels['controller-revision-hash'], 'twin-copy');
    assert.equal(kept.metadata.ownerReferences[0].name, 'twin');
    await until('pods relabelled', async () => ((await podsOf('twin')).every((p) => p.metadata.labels['controller-revision-hash'] === 'twin-copy') ? true : undefined));
    assert.deepEqual((await podsOf('twin')).map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort(), 'no pod replaced');
  });

  it('takes another name when its revision name is held by other data: collisionCount goes up', async () => {
    const dry = await t.call('POST', `/apis/apps/v1/namespaces/${NS}/daemonsets?dryRun=All`, dsBody('clash'));
    assert.equal(dry.code, 201, JSON.stringify(dry.body));
    const taken = `clash-${computeHash(dry.body.spec.template)}`;
    const squatter = await t.call('POST', `/apis/apps/v1/namespaces/${NS}/controllerrevisions`, { metadata: { name: taken, labels: { app: 'squatter' } }, data: { other: true }, revision: 1 });
    assert.equal(squatter.code, 201, JSON.stringify(squatter.body));
    await ds('clash');
    const pods = await settled('clash', 'agent:1');
    const d = await until('collisionCount 1', async () => {
      const cur = await getDs('clash');
      return cur.status.collisionCount === 1 ? cur : undefined;
    });
    const [rev] = await revisionsAre('clash', [['agent:1', 1]]);
    const hash = computeHash(d.spec.template, 1);
    assert.equal(rev.metadata.name, `clash-${hash}`);
    for (const p of pods) assert.equal(p.metadata.labels['controller-revision-hash'], hash);
    const still = (await t.call('GET', `/apis/apps/v1/namespaces/${NS}/controllerrevisions/${taken}`)).body;
    assert.deepEqual([still.data, still.metadata.ownerReferences], [{ other: true }, undefined], 'the squatter is left alone');
  });

  it('refuses a change of a revision data through the API', async () => {
    const [rev] = await revisionsOf('clash');
    const r = await t.call('PUT', `/apis/apps/v1/namespaces/${NS}/controllerrevisions/${rev.metadata.name}`, { ...rev, data: { spec: {} } });
    assert.equal(r.code, 422);
    assert.match(r.body.message, /data: Invalid value: runtime\.Unknown\{.*\}: field is immutable$/);
  });

  it('loses its revisions to the garbage collector when it is deleted', async () => {
    assert.equal((await revisionsOf('x')).length, 3);
    assert.equal(await kubectl('delete', 'daemonset', 'x'), 'daemonset.apps "x" deleted\n');
    await until('x revisions collected', async () => ((await revisionsOf('x')).length === 0 ? true : undefined), 20_000);
    await until('x pods collected', async () => ((await podsOf('x')).length === 0 ? true : undefined), 20_000);
  });
});
