/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
/**
 * Scheduling scenarios through a real API server and store, as a
 * kube-scheduler user sees them: where each pod went (spec.nodeName), its
 * PodScheduled condition, and the FailedScheduling events, whose messages
 * are kube-scheduler's word for word.
 *
 * Each describe is one scenario: a namespace, nodes and a Scheduler of its
 * own. Its nodes are made before its scheduler starts, so the scheduler's
 * first list already holds them, and its pods and nodes are deleted when
 * it ends, so one scenario's pending pods never land on the next one's
 * nodes. Nodes are large where a test is about scoring, so that the
 * resource scores (a point or two per pod) never outweigh the score under
 * test (up to 100 times the plugin's weight).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../client/rest.js';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';
import { Scheduler } from './scheduler.js';

/** A node of a scenario: its allocatable (and capacity), labels and taints. */
interface NodeShape {
  readonly cpu: string;
  readonly memory: string;
  /** Labels besides kubernetes.io/hostname (its name). */
  readonly labels?: Record<string, string>;
  readonly taints?: readonly Record<string, string>[];
}

/** A pod of a scenario: its container's requests, its labels, and the rest of its spec. */
interface PodShape {
  readonly cpu?: string;
  readonly memory?: string;
  readonly labels?: Record<string, string>;
  readonly spec?: Record<string, any>;
}

const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';

/**
 * How long a retried pod may take to bind: its backoff after one attempt
 * (1 s) and the backoff queue's flush (every second), with room to spare.
 */
const RETRY_MS = 15_000;

/** The reasons preemption gives: kube-scheduler's two. */
const NO_VICTIMS = 'No preemption victims found for incoming pod';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

/** One scenario's world; see the file comment. */
class Scenario {
  #t: TestApi | undefined;
  #s: Scheduler | undefined;

  constructor(
    /** The namespace its pods live in. */
    readonly ns: string,
    readonly nodes: Readonly<Record<string, NodeShape>>,
  ) {}

  get t(): TestApi {
    assert.ok(this.#t, 'the scenario has not started');
    return this.#t;
  }

  /** Makes the namespace and the nodes, then starts a scheduler over them. */
  async start(t: TestApi, client: RestClient): Promise<void> {
    this.#t = t;
    const ns = await t.call('POST', '/api/v1/namespaces', { metadata: { name: this.ns } });
    assert.equal(ns.code, 201, JSON.stringify(ns.body));
    for (const [name, n] of Object.entries(this.nodes)) {
      const resources = { cpu: n.cpu, memory: n.memory, pods: '110' };
      const r = await t.call('POST', '/api/v1/nodes', {
        metadata: { name, labels: { [HOSTNAME]: name, ...(n.labels ?? {}) } },
        spec: n.taints ? { taints: n.taints } : {},
        status: { allocatable: resources, capacity: resources, conditions: [{ type: 'Ready', status: 'True' }] },
      });
      assert.equal(r.code, 201, JSON.stringify(r.body));
    }
    this.#s = new Scheduler({ client, log: () => {} });
    await this.#s.start();
    assert.equal(this.#s.cache.size.nodes, Object.keys(this.nodes).length, 'the scheduler listed every node');
  }

  /** Stops the scheduler and deletes the scenario's pods and nodes. */
  async stop(): Promise<void> {
    await this.#s?.stop();
    if (!this.#t) return;
    await this.#t.call('DELETE', `/api/v1/namespaces/${this.ns}/pods?gracePeriodSeconds=0`);
    for (const name of Object.keys(this.nodes)) await this.#t.call('DELETE', `/api/v1/nodes/${name}`);
  }

  /** Creates a pod. */
  async pod(name: string, p: PodShape = {}): Promise<void> {
    const requests = { ...(p.cpu ? { cpu: p.cpu } : {}), ...(p.memory ? { memory: p.memory } : {}) };
    const r = await this.t.call('POST', `/api/v1/namespaces/${this.ns}/pods`, {
      metadata: { name, ...(p.labels ? { labels: p.labels } : {}) },
      spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests } }], ...(p.spec ?? {}) },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  }

  async get(name: string): Promise<any> {
    return (await this.t.call('GET', `/api/v1/namespaces/${this.ns}/pods/${name}`)).body;
  }

  async events(name: string): Promise<any[]> {
    return (await this.t.call('GET', `/api/v1/namespaces/${this.ns}/events?fieldSelector=involvedObject.name%3D${name}`)).body.items;
  }

  /** The node the pod is bound to, once it is (within `ms`). */
  boundTo(name: string, ms?: number): Promise<string> {
    return until(`${this.ns}/${name} bound`, async () => (await this.get(name)).spec.nodeName as string | undefined, ms);
  }

  /** The nodes the pods are bound to, in order. */
  hosts(names: readonly string[]): Promise<string[]> {
    return Promise.all(names.map((n) => this.boundTo(n)));
  }

  /**
   * Why the pod fits nowhere: the message of its PodScheduled=False
   * condition (reason Unschedulable), once a Warning FailedScheduling event
   * says the same; the pod is not bound.
   */
  async unschedulable(name: string): Promise<string> {
    const cond = await until(`${this.ns}/${name} PodScheduled=False`, async () =>
      (await this.get(name)).status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False'),
    );
    assert.equal(cond.reason, 'Unschedulable');
    const event = await until(`a FailedScheduling event for ${this.ns}/${name} saying ${JSON.stringify(cond.message)}`, async () =>
      (await this.events(name)).find((e) => e.reason === 'FailedScheduling' && e.message === cond.message),
    );
    assert.equal(event.type, 'Warning');
    assert.equal(event.reportingComponent, 'default-scheduler'); // an events.k8s.io event, seen through core/v1
    assert.equal(event.action, 'Scheduling');
    assert.equal((await this.get(name)).spec.nodeName, undefined);
    return cond.message as string;
  }

  /** The value of `key` on the node named `node`. */
  label(node: string, key: string): string | undefined {
    return this.nodes[node]?.labels?.[key];
  }
}

/** A pod (anti-)affinity term on the hostname over pods labelled `labels`. */
function term(labels: Record<string, string>): Record<string, any> {
  return { labelSelector: { matchLabels: labels }, topologyKey: HOSTNAME };
}

/** A pod spec's affinity with one required `kind` term over pods labelled `labels`. */
function requiredPod(kind: 'podAffinity' | 'podAntiAffinity', labels: Record<string, string>): Record<string, any> {
  return { affinity: { [kind]: { requiredDuringSchedulingIgnoredDuringExecution: [term(labels)] } } };
}

/** A pod spec's affinity with one preferred `kind` term of `weight` over pods labelled `labels`. */
function preferredPod(kind: 'podAffinity' | 'podAntiAffinity', weight: number, labels: Record<string, string>): Record<string, any> {
  return { affinity: { [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight, podAffinityTerm: term(labels) }] } } };
}

/** How many of `values` there are of each. */
function tally(values: readonly (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v ?? '<none>'] = (out[v ?? '<none>'] ?? 0) + 1;
  return out;
}

describe('scheduling scenarios over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig, { userAgent: Scheduler.userAgent() });
  });
  after(async () => {
    client?.close();
    await t?.stop();
  });

  describe('resource fit over nodes of different sizes', () => {
    const w = new Scenario('fit', {
      'fit-cpu': { cpu: '8', memory: '2Gi' },
      'fit-mem': { cpu: '2', memory: '16Gi' },
      'fit-small': { cpu: '1', memory: '1Gi' },
    });
    before(() => w.start(t, client));
    after(() => w.stop());

    it('places each pod on the one node with room for its cpu and memory', async () => {
      await w.pod('compute', { cpu: '6', memory: '1Gi' });
      await w.pod('cache', { cpu: '1', memory: '12Gi' });
      assert.deepEqual(await w.hosts(['compute', 'cache']), ['fit-cpu', 'fit-mem']);
      const scheduled = await until('a Scheduled event', async () => (await w.events('compute')).find((e) => e.reason === 'Scheduled'));
      assert.equal(scheduled.message, 'Successfully assigned fit/compute to fit-cpu');
      const cond = (await w.get('compute')).status.conditions.find((c: any) => c.type === 'PodScheduled');
      assert.equal(cond?.status, 'True');
    });

    it('fills what cpu is left exactly, over-committing no node', async () => {
      // 2 + 1 + 1 cpu left: eight pods of 500m fit only as 4, 2 and 2, whatever their order
      const web = Array.from({ length: 8 }, (_, i) => `web-${i}`);
      for (const n of web) await w.pod(n, { cpu: '500m', memory: '128Mi' });
      assert.deepEqual(tally(await w.hosts(web)), { 'fit-cpu': 4, 'fit-mem': 2, 'fit-small': 2 });
    });

    it('says a pod fits nowhere for cpu, and that preemption finds no victims of lower priority', async () => {
      await w.pod('one-more', { cpu: '500m', memory: '128Mi' });
      assert.equal(
        await w.unschedulable('one-more'),
        `0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 ${NO_VICTIMS}.`,
      );
    });

    it('counts no cpu for a pod that requests none, and names each resource a node is short of', async () => {
      // every cpu is requested, but a pod asking for none still fits where its memory does (fit-mem: 3.75Gi free)
      await w.pod('mem-only', { memory: '3Gi' });
      assert.equal(await w.boundTo('mem-only'), 'fit-mem');
      await w.pod('both', { cpu: '1', memory: '4Gi' });
      assert.equal(
        await w.unschedulable('both'),
        `0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes are available: 3 ${NO_VICTIMS}.`,
      );
    });

    it('tried the pod that fits nowhere once, as nothing since has made room', async () => {
      // one-more failed before the tests above created and bound pods, which free no room: kube-scheduler has not retried it
      const failed = (await w.events('one-more')).filter((e) => e.reason === 'FailedScheduling');
      const occurrences = failed.reduce((n, e) => n + (e.series?.count ?? Math.max(e.count ?? 1, 1)), 0);
      assert.equal(occurrences, 1, 'one FailedScheduling, not repeated');
    });
  });

  describe('taints and tolerations', () => {
    const big = { cpu: '16', memory: '32Gi' };
    const w = new Scenario('taints', {
      'taint-gpu': { ...big, labels: { accelerator: 'nvidia' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      'taint-plain': big,
      'taint-spot': { ...big, taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] },
    });
    before(() => w.start(t, client));
    after(() => w.stop());

    it('keeps pods off a NoSchedule node and away from a PreferNoSchedule one while another node will do', async () => {
      const plain = ['plain-0', 'plain-1', 'plain-2', 'plain-3'];
      for (const n of plain) await w.pod(n, { cpu: '100m' });
      assert.deepEqual(await w.hosts(plain), ['taint-plain', 'taint-plain', 'taint-plain', 'taint-plain']);
    });

    it('names the untolerated taint when a pod can only go to the tainted node', async () => {
      await w.pod('pinned', { cpu: '100m', spec: { nodeSelector: { accelerator: 'nvidia' } } });
      assert.equal(
        await w.unschedulable('pinned'),
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. " +
          `preemption: 0/3 nodes are available: 3 ${NOT_HELPFUL}.`,
      );
    });

    it('lets a pod that tolerates the taint land on the node', async () => {
      await w.pod('tolerant', {
        cpu: '100m',
        spec: { nodeSelector: { accelerator: 'nvidia' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] },
      });
      assert.equal(await w.boundTo('tolerant'), 'taint-gpu');
      await w.pod('tolerant-exists', {
        cpu: '100m',
        spec: { nodeSelector: { accelerator: 'nvidia' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
      });
      assert.equal(await w.boundTo('tolerant-exists'), 'taint-gpu');
    });

    it('still uses a PreferNoSchedule node when no other node will take the pod', async () => {
      const notPlain = { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME, operator: 'NotIn', values: ['taint-plain'] }] }] };
      await w.pod('last-resort', { cpu: '100m', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: notPlain } } } });
      assert.equal(await w.boundTo('last-resort'), 'taint-spot');
    });
  });

  describe('node affinity', () => {
    const big = { cpu: '16', memory: '32Gi' };
    const w = new Scenario('nodeaffinity', {
      'aff-ssd': { ...big, labels: { disktype: 'ssd', tier: 'gold' } },
      'aff-hdd': { ...big, labels: { disktype: 'hdd' } },
      'aff-gpu': { ...big, labels: { disktype: 'ssd', accelerator: 'nvidia' } },
    });
    before(() => w.start(t, client));
    after(() => w.stop());

    const required = (...terms: Record<string, any>[][]): Record<string, any> => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })) } } },
    });

    it('honours nodeSelector and required node affinity with In, NotIn, Exists, DoesNotExist and ORed terms', async () => {
      const cases: [string, Record<string, any>, string][] = [
        ['selector', { nodeSelector: { disktype: 'hdd' } }, 'aff-hdd'],
        ['in', required([{ key: 'accelerator', operator: 'In', values: ['nvidia', 'amd'] }]), 'aff-gpu'],
        ['notin', required([{ key: 'disktype', operator: 'NotIn', values: ['ssd'] }]), 'aff-hdd'],
        ['exists', required([{ key: 'tier', operator: 'Exists' }]), 'aff-ssd'],
        ['doesnotexist', required([{ key: 'disktype', operator: 'In', values: ['ssd'] }, { key: 'accelerator', operator: 'DoesNotExist' }]), 'aff-ssd'],
        ['ored', required([{ key: 'tier', operator: 'In', values: ['platinum'] }], [{ key: 'accelerator', operator: 'Exists' }]), 'aff-gpu'],
        ['selector-and-affinity', { nodeSelector: { disktype: 'ssd' }, ...required([{ key: 'tier', operator: 'DoesNotExist' }]) }, 'aff-gpu'],
      ];
      for (const [name, spec] of cases) await w.pod(name, { cpu: '100m', spec });
      assert.deepEqual(await w.hosts(cases.map(([n]) => n)), cases.map(([, , host]) => host));
    });

    it('says no node matches the selector, and that preemption cannot help', async () => {
      await w.pod('nowhere', { cpu: '100m', spec: { nodeSelector: { disktype: 'nvme' } } });
      assert.equal(
        await w.unschedulable('nowhere'),
        `0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 ${NOT_HELPFUL}.`,
      );
    });

    it("names the plugin whose PreFilter result left the other nodes out, as for a DaemonSet's pod", async () => {
      // a DaemonSet's pod names its node with matchFields; NodeAffinity's PreFilter then leaves the other nodes out
      const onSsd = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['aff-ssd'] }] }] };
      await w.pod('daemon', { cpu: '32', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: onSsd } } } });
      assert.equal(
        await w.unschedulable('daemon'),
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
          `preemption: 0/3 nodes are available: 1 ${NO_VICTIMS}, 2 ${NOT_HELPFUL}.`,
      );
    });

    it('steers a pod to the node whose matching preferred terms weigh most', async () => {
      // aff-ssd matches 30 + 20, aff-gpu 20 + 40, aff-hdd nothing
      const preferred = [
        { weight: 30, preference: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] } },
        { weight: 20, preference: { matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] } },
        { weight: 40, preference: { matchExpressions: [{ key: 'accelerator', operator: 'Exists' }] } },
      ];
      await w.pod('prefers', { cpu: '100m', spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } } } });
      assert.equal(await w.boundTo('prefers'), 'aff-gpu');
      // required narrows to aff-ssd and aff-gpu, the preference picks between them
      const both = required([{ key: 'disktype', operator: 'In', values: ['ssd'] }]);
      both.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1, preference: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } }];
      await w.pod('prefers-gold', { cpu: '100m', spec: both });
      assert.equal(await w.boundTo('prefers-gold'), 'aff-ssd');
    });

    it('schedules the waiting pod once a node gets the label it selects', async () => {
      const r = await t.call('PATCH', '/api/v1/nodes/aff-hdd', { metadata: { labels: { disktype: 'nvme' } } }, 'application/merge-patch+json');
      assert.equal(r.code, 200, JSON.stringify(r.body));
      // a node update retries it after its backoff (1 s after one attempt)
      assert.equal(await w.boundTo('nowhere', RETRY_MS), 'aff-hdd');
      const cond = (await w.get('nowhere')).status.conditions.find((c: any) => c.type === 'PodScheduled');
      assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['True', undefined, undefined], 'the binding turned the condition to True');
    });
  });

  describe('inter-pod affinity and anti-affinity', () => {
    const big = { cpu: '16', memory: '32Gi' };
    const w = new Scenario('podaffinity', { 'pa-1': big, 'pa-2': big, 'pa-3': big });
    before(() => w.start(t, client));
    after(() => w.stop());

    it('spreads replicas with required anti-affinity on the hostname one per node, and refuses one more', async () => {
      const web = ['web-0', 'web-1', 'web-2'];
      for (const n of web) await w.pod(n, { cpu: '100m', labels: { app: 'web' }, spec: requiredPod('podAntiAffinity', { app: 'web' }) });
      assert.deepEqual([...(await w.hosts(web))].sort(), ['pa-1', 'pa-2', 'pa-3']);
      await w.pod('web-3', { cpu: '100m', labels: { app: 'web' }, spec: requiredPod('podAntiAffinity', { app: 'web' }) });
      assert.equal(
        await w.unschedulable('web-3'),
        `0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 ${NO_VICTIMS}.`,
      );
    });

    it("keeps a pod without rules of its own out of the domains of existing pods' anti-affinity", async () => {
      await w.pod('intruder', { cpu: '100m', labels: { app: 'web' } });
      assert.equal(
        await w.unschedulable('intruder'),
        `0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 3 ${NO_VICTIMS}.`,
      );
    });

    it('co-locates a pod with required affinity with the pod it names', async () => {
      await w.pod('db', { cpu: '100m', labels: { app: 'db' }, spec: { nodeSelector: { [HOSTNAME]: 'pa-2' } } });
      assert.equal(await w.boundTo('db'), 'pa-2');
      await w.pod('db-client', { cpu: '100m', spec: requiredPod('podAffinity', { app: 'db' }) });
      assert.equal(await w.boundTo('db-client'), 'pa-2');
    });

    it('says no node matches when no pod matches the required affinity', async () => {
      await w.pod('lonely', { cpu: '100m', labels: { app: 'lonely' }, spec: requiredPod('podAffinity', { app: 'cache' }) });
      assert.equal(
        await w.unschedulable('lonely'),
        `0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 ${NOT_HELPFUL}.`,
      );
    });

    it('schedules the waiting pod next to the pod its affinity names once that pod is scheduled', async () => {
      await w.pod('cache', { cpu: '100m', labels: { app: 'cache' } });
      const host = await w.boundTo('cache');
      // kube-scheduler: the pod assigned is a cluster event (AssignedPodAdd) that InterPodAffinity says may help
      assert.equal(await w.boundTo('lonely', RETRY_MS), host);
    });

    it('lets the first pod of a group with affinity to itself go anywhere, and the next join it', async () => {
      const group = { cpu: '100m', labels: { app: 'group' }, spec: requiredPod('podAffinity', { app: 'group' }) };
      await w.pod('group-0', group);
      const first = await w.boundTo('group-0');
      await w.pod('group-1', group);
      assert.equal(await w.boundTo('group-1'), first);
    });

    it('spreads pods with preferred anti-affinity over the nodes, and brings one with preferred affinity near its pod', async () => {
      const spread = ['spread-0', 'spread-1', 'spread-2'];
      for (const n of spread) await w.pod(n, { cpu: '100m', labels: { app: 'spread' }, spec: preferredPod('podAntiAffinity', 100, { app: 'spread' }) });
      assert.deepEqual([...(await w.hosts(spread))].sort(), ['pa-1', 'pa-2', 'pa-3']);
      await w.pod('near-db', { cpu: '100m', spec: preferredPod('podAffinity', 50, { app: 'db' }) });
      assert.equal(await w.boundTo('near-db'), 'pa-2');
    });
  });

  describe('topology spread over zones of 3, 2 and 1 nodes', () => {
    const big = { cpu: '8', memory: '16Gi' };
    const zone = (z: string, shape: NodeShape = big): NodeShape => ({ ...shape, labels: { [ZONE]: z } });
    const w = new Scenario('spread', {
      'zone-a1': zone('zone-a'),
      'zone-a2': zone('zone-a'),
      'zone-a3': zone('zone-a'),
      'zone-b1': zone('zone-b'),
      'zone-b2': zone('zone-b'),
      // room for two pods of 900m
      'zone-c1': zone('zone-c', { cpu: '2', memory: '16Gi' }),
      // a node without a zone: no spread constraint on zones counts it
      'zone-none': big,
    });
    before(() => w.start(t, client));
    after(() => w.stop());

    /** A pod labelled app=`app` with one constraint of maxSkew 1 over zones on app=`app` (`constraint` adds fields). */
    const spreadPod = (
      app: string,
      whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway',
      extra: { cpu?: string; spec?: Record<string, any>; constraint?: Record<string, any> } = {},
    ): PodShape => ({
      cpu: extra.cpu ?? '900m',
      memory: '10Mi',
      labels: { app },
      spec: {
        ...(extra.spec ?? {}),
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable, labelSelector: { matchLabels: { app } }, ...(extra.constraint ?? {}) }],
      },
    });
    const zonesOf = async (names: readonly string[]): Promise<(string | undefined)[]> => (await w.hosts(names)).map((h) => w.label(h, ZONE));

    it('scores ScheduleAnyway constraints: three pods go one to each zone, although zone a has three nodes', async () => {
      const soft = ['soft-0', 'soft-1', 'soft-2'];
      for (const n of soft) await w.pod(n, spreadPod('soft', 'ScheduleAnyway', { cpu: '10m' }));
      assert.deepEqual([...(await zonesOf(soft))].sort(), ['zone-a', 'zone-b', 'zone-c']);
    });

    it('balances DoNotSchedule pods with maxSkew 1 over the zones', async () => {
      const pods = Array.from({ length: 6 }, (_, i) => `spread-${i}`);
      for (const n of pods) await w.pod(n, spreadPod('spread', 'DoNotSchedule'));
      // six pods with no two zones more than 1 apart: 2, 2 and 2, wherever each went first
      assert.deepEqual(tally(await zonesOf(pods)), { 'zone-a': 2, 'zone-b': 2, 'zone-c': 2 });
    });

    it('refuses the pod that would break the skew once the smallest zone is full', async () => {
      // zone-c1 has no room for a third 900m pod, but zone c still counts 2: a and b may take one more each
      for (const n of ['spread-6', 'spread-7']) await w.pod(n, spreadPod('spread', 'DoNotSchedule'));
      assert.deepEqual([...(await zonesOf(['spread-6', 'spread-7']))].sort(), ['zone-a', 'zone-b']);
      await w.pod('spread-8', spreadPod('spread', 'DoNotSchedule'));
      assert.equal(
        await w.unschedulable('spread-8'),
        "0/7 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread constraints (missing required label), " +
          "5 node(s) didn't match pod topology spread constraints. " +
          `preemption: 0/7 nodes are available: 1 ${NOT_HELPFUL}, 6 ${NO_VICTIMS}.`,
      );
    });

    it('counts the zones a pod may not go to with nodeAffinityPolicy Ignore, and only those it may with Honor (the default)', async () => {
      const inZoneA = { nodeSelector: { [ZONE]: 'zone-a' } };
      // Ignore: zone a holds 3, zone c 2; one more in a is a skew of 2
      await w.pod('ignore', spreadPod('spread', 'DoNotSchedule', { spec: inZoneA, constraint: { nodeAffinityPolicy: 'Ignore' } }));
      assert.equal(
        await w.unschedulable('ignore'),
        "0/7 nodes are available: 3 node(s) didn't match pod topology spread constraints, 4 node(s) didn't match Pod's node affinity/selector. " +
          `preemption: 0/7 nodes are available: 3 ${NO_VICTIMS}, 4 ${NOT_HELPFUL}.`,
      );
      // Honor: only zone a counts, so its minimum is its own count
      await w.pod('honor', spreadPod('spread', 'DoNotSchedule', { spec: inZoneA }));
      assert.equal(w.label(await w.boundTo('honor'), ZONE), 'zone-a');
    });

    it('never filters on a ScheduleAnyway constraint: a pod that breaks the skew still binds', async () => {
      // zones a, b, c hold 4, 3, 2 and zone c is full: a node in a or b makes the skew 3 or 2
      await w.pod('anyway', spreadPod('spread', 'ScheduleAnyway'));
      assert.ok(['zone-a', 'zone-b'].includes(w.label(await w.boundTo('anyway'), ZONE) ?? ''));
    });
  });
});
