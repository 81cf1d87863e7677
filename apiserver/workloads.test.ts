/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';

describe('API server workloads: pods with binding and eviction, deployments with scale and status, jobs, priority classes', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start();
  });
  after(async () => {
    await t?.stop();
  });
  const call = (...args: Parameters<TestApi['call']>) => t.call(...args);
  const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra } });

  it('creates a pod Pending with Kubernetes\' defaults, binds it to a node once, and lists it by node', async () => {
    const c = await call('POST', '/api/v1/namespaces/default/pods', { ...pod('p1'), status: { phase: 'Running' } });
    assert.equal(c.code, 201, JSON.stringify(c.body));
    assert.deepEqual(c.body.status, { phase: 'Pending', qosClass: 'BestEffort' }, 'a create starts from no status');
    assert.deepEqual(
      [c.body.spec.restartPolicy, c.body.spec.dnsPolicy, c.body.spec.schedulerName, c.body.spec.terminationGracePeriodSeconds, c.body.spec.containers[0].imagePullPolicy],
      ['Always', 'ClusterFirst', 'default-scheduler', 30, 'Always'],
    );
    const bind = await call('POST', '/api/v1/namespaces/default/pods/p1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'node-1' } });
    assert.deepEqual([bind.code, bind.body.status], [201, 'Success']);
    const bound = await call('GET', '/api/v1/namespaces/default/pods/p1');
    assert.equal(bound.body.spec.nodeName, 'node-1');
    assert.deepEqual(
      bound.body.status.conditions.map((x: any) => [x.type, x.status]),
      [['PodScheduled', 'True']],
    );
    const again = await call('POST', '/api/v1/namespaces/default/pods/p1/binding', { metadata: { name: 'p1' }, target: { name: 'node-2' } });
    assert.deepEqual([again.code, again.body.message], [409, 'Operation cannot be fulfilled on pods "p1": pod p1 is already assigned to node "node-1"']);
    const mismatch = await call('POST', '/api/v1/namespaces/default/pods/p1/binding', { metadata: { name: 'other' }, target: { name: 'node-2' } });
    assert.equal(mismatch.code, 400);

    await call('POST', '/api/v1/namespaces/default/pods', pod('p2'));
    const onNode = await call('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dnode-1');
    assert.deepEqual(onNode.body.items.map((p: any) => p.metadata.name), ['p1']);
    const unscheduled = await call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3D,status.phase%3DPending');
    assert.deepEqual(unscheduled.body.items.map((p: any) => p.metadata.name), ['p2']);

    const specChange = await call('PATCH', '/api/v1/namespaces/default/pods/p1', { spec: { restartPolicy: 'Never' } }, 'application/merge-patch+json');
    assert.equal(specChange.code, 422);
    assert.match(specChange.body.message, /^Pod "p1" is invalid: spec: Forbidden: pod updates may not change fields other than/);
    const status = await call('PATCH', '/api/v1/namespaces/default/pods/p1/status', { status: { phase: 'Running', podIP: '10.0.0.5' } }, 'application/merge-patch+json');
    assert.deepEqual([status.code, status.body.status.phase, status.body.status.qosClass], [200, 'Running', 'BestEffort']);
    // kube's pod status strategy resets the spec, ownerReferences and deletionTimestamp; the rest of the metadata is written
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '6f1c5bde-8a0e-4c55-9c55-1f0f3c1f0a11', controller: true };
    const meta = await call('PATCH', '/api/v1/namespaces/default/pods/p1/status', {
      metadata: { labels: { via: 'status' }, annotations: { note: 'kept' }, ownerReferences: [owner] },
      spec: { nodeName: 'node-9' },
      status: { message: 'meta' },
    }, 'application/merge-patch+json');
    assert.equal(meta.code, 200);
    assert.deepEqual([meta.body.metadata.labels?.via, meta.body.metadata.annotations?.note, meta.body.metadata.ownerReferences], ['status', 'kept', undefined]);
    assert.deepEqual([meta.body.spec.nodeName, meta.body.status.message], ['node-1', 'meta']);
    const labelled = await t.kubectl('patch', 'pod', 'p1', '--subresource=status', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"status"}}}');
    assert.equal(labelled.status, 0, labelled.stderr);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p1')).body.metadata.labels.tier, 'status');
  });

  it('evicts: an unscheduled pod goes at once, one on a node is deleted gracefully (deletionTimestamp, then gone with grace 0)', async () => {
    const ev = await call('POST', '/api/v1/namespaces/default/pods/p2/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p2' } });
    assert.deepEqual([ev.code, ev.body.status], [201, 'Success']);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p2')).code, 404);

    const graceful = await call('POST', '/api/v1/namespaces/default/pods/p1/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1' }, deleteOptions: { gracePeriodSeconds: 10 } });
    assert.equal(graceful.code, 201);
    const going = await call('GET', '/api/v1/namespaces/default/pods/p1');
    assert.equal(going.body.metadata.deletionGracePeriodSeconds, 10);
    assert.ok(Date.parse(going.body.metadata.deletionTimestamp) > Date.now(), 'the deletion is due when the grace period ends');
    const table = await call('GET', '/api/v1/namespaces/default/pods/p1', undefined, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(table.code, 200);
    const now = await call('DELETE', '/api/v1/namespaces/default/pods/p1?gracePeriodSeconds=0');
    assert.equal(now.code, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p1')).code, 404, 'the kubelet\'s delete with grace 0 removes it');
    const missing = await call('POST', '/api/v1/namespaces/default/pods/p1/eviction', { metadata: { name: 'p1' } });
    assert.equal(missing.code, 404);
  });

  it('kubectl creates a deployment (a protobuf body), scales it through /scale, and status writes stay apart from spec writes', async () => {
    const created = await t.kubectl('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=80');
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'deployment.apps/web created');
    const d = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.deepEqual(d.body.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    assert.deepEqual([d.body.spec.revisionHistoryLimit, d.body.spec.progressDeadlineSeconds, d.body.metadata.generation], [10, 600, 1]);
    assert.deepEqual(d.body.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);

    const scaled = await t.kubectl('scale', 'deployment', 'web', '--replicas=5');
    assert.equal(scaled.status, 0, scaled.stderr);
    const scale = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.deepEqual([scale.body.kind, scale.body.apiVersion, scale.body.spec.replicas, scale.body.status.selector], ['Scale', 'autoscaling/v1', 5, 'app=web']);
    const negative = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { ...scale.body, spec: { replicas: -1 } });
    assert.deepEqual([negative.code, negative.body.message], [422, 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0']);

    const st = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { ...d.body, spec: { ...d.body.spec, replicas: 9 }, status: { replicas: 5, readyReplicas: 3, observedGeneration: 2 } });
    assert.equal(st.code, 409, 'the status write carries the stale resourceVersion of before the scale');
    const fresh = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    const st2 = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { ...fresh.body, spec: { ...fresh.body.spec, replicas: 9 }, status: { replicas: 5, readyReplicas: 3, observedGeneration: 2 } });
    assert.deepEqual([st2.code, st2.body.spec.replicas, st2.body.status.readyReplicas, st2.body.metadata.generation], [200, 5, 3, 2], 'spec and generation untouched');
    // kube's deployment status strategy keeps the labels too, and writes the annotations (no new generation through /status)
    const annotated = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status', { metadata: { labels: { via: 'status' }, annotations: { note: 'kept' } } }, 'application/merge-patch+json');
    assert.deepEqual([annotated.code, annotated.body.metadata.labels, annotated.body.metadata.annotations.note, annotated.body.metadata.generation], [200, st2.body.metadata.labels, 'kept', 2]);
    // server-side apply to /status neither owns nor conflicts over the labels it cannot change (kube's reset fields)
    const applied = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/status?fieldManager=status-applier', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'other' } }, status: { replicas: 5, readyReplicas: 3, observedGeneration: 2 },
    }, 'application/apply-patch+yaml');
    assert.equal(applied.code, 200, JSON.stringify(applied.body));
    assert.deepEqual(applied.body.metadata.labels, st2.body.metadata.labels);
    const entry = applied.body.metadata.managedFields.find((m: any) => m.manager === 'status-applier');
    assert.deepEqual([entry.operation, entry.subresource, entry.fieldsV1['f:metadata']?.['f:labels']], ['Apply', 'status', undefined]);
    const specWrite = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { ...applied.body, status: {} });
    assert.deepEqual([specWrite.body.status.readyReplicas, specWrite.body.metadata.resourceVersion], [3, applied.body.metadata.resourceVersion], 'a spec write keeps the status: nothing changed');
    const badSelector = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } } } } }, 'application/strategic-merge-patch+json');
    assert.equal(badSelector.code, 422);
    assert.match(badSelector.body.message, /spec.selector: Invalid value: .*field is immutable/);
    assert.equal(badSelector.body.details.group, 'apps');
    assert.equal(badSelector.body.details.kind, 'Deployment');

    const list = await t.kubectl('get', 'deploy', '-o', 'name');
    assert.equal(list.stdout.trim(), 'deployment.apps/web');
  });

  it('kubectl creates a job with a generated selector, a priority class and a namespace, all as protobuf', async () => {
    const job = await t.kubectl('create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hi');
    assert.equal(job.status, 0, job.stderr);
    const j = await call('GET', '/apis/batch/v1/namespaces/default/jobs/hello');
    const uid = j.body.metadata.uid as string;
    assert.deepEqual(j.body.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    assert.equal(j.body.spec.template.metadata.labels['job-name'], 'hello');
    assert.deepEqual([j.body.spec.backoffLimit, j.body.spec.completions, j.body.spec.template.spec.restartPolicy], [6, 1, 'Never']);
    const pc = await t.kubectl('create', 'priorityclass', 'high', '--value=1000', '--description=important');
    assert.equal(pc.status, 0, pc.stderr);
    const reserved = await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { metadata: { name: 'system-mine' }, value: 5 });
    assert.equal(reserved.code, 422);
    const builtIn = await call('GET', '/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical');
    assert.equal(builtIn.body.value, 2000001000);
    const ns = await t.kubectl('create', 'namespace', 'made-by-kubectl');
    assert.equal(ns.status, 0, ns.stderr);
    const lease = await call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'node-1' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } });
    assert.equal(lease.code, 201, JSON.stringify(lease.body));
  });

  it('kubectl creates secrets, services and service accounts (protobuf), and cordons and drains a node through evictions', async () => {
    for (const args of [['secret', 'generic', 's1', '--from-literal=a=b'], ['service', 'nodeport', 'svc1', '--tcp=80:8080'], ['serviceaccount', 'robot']]) {
      const r = await t.kubectl('create', ...args);
      assert.equal(r.status, 0, r.stderr);
    }
    const secret = await call('GET', '/api/v1/namespaces/default/secrets/s1');
    assert.deepEqual([secret.body.type, secret.body.data], ['Opaque', { a: 'Yg==' }]);
    const svc = await call('GET', '/api/v1/namespaces/default/services/svc1');
    assert.equal(svc.body.spec.type, 'NodePort');
    assert.match(svc.body.spec.clusterIP, /^10\.(9[6-9]|1[01]\d)\.\d+\.\d+$/);
    assert.ok(svc.body.spec.ports[0].nodePort >= 30000 && svc.body.spec.ports[0].nodePort <= 32767);
    assert.equal(svc.body.spec.ports[0].targetPort, 8080);
    const k8s = await call('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(k8s.body.spec.clusterIP, '10.96.0.1');

    const node = await call('POST', '/api/v1/nodes', { metadata: { name: 'node-9' }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } });
    assert.equal(node.code, 201, JSON.stringify(node.body));
    assert.deepEqual(node.body.status.allocatable, { cpu: '4', memory: '8Gi', pods: '110' }, 'a node keeps the status it registers with');
    await call('POST', '/api/v1/namespaces/default/pods', pod('on9', { nodeName: 'node-9' }));
    const cordon = await t.kubectl('cordon', 'node-9');
    assert.equal(cordon.stdout.trim(), 'node/node-9 cordoned');
    const cordoned = await call('GET', '/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue');
    assert.deepEqual(cordoned.body.items.map((n: any) => n.metadata.name), ['node-9']);
    const drain = await t.kubectl('drain', 'node-9', '--force', '--grace-period=0', '--timeout=20s');
    assert.equal(drain.status, 0, drain.stderr);
    assert.match(drain.stdout, /pod\/on9 evicted\nnode\/node-9 drained/);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/on9')).code, 404);
  });

  it("admits pods as Kubernetes' Priority and DefaultTolerationSeconds plugins do (ServiceAccount: serviceaccounts.test.ts)", async () => {
    const pod = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });
    const plain = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-plain'));
    assert.equal(plain.code, 201);
    assert.equal(plain.body.spec.priority, 0);
    assert.equal(plain.body.spec.preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(plain.body.spec.priorityClassName, undefined);
    // DefaultTolerationSeconds: five minutes on a node that stops reporting
    assert.deepEqual(plain.body.spec.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const own = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-own', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }, { operator: 'Exists' }] }));
    assert.deepEqual(own.body.spec.tolerations, [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }, { operator: 'Exists' }], 'tolerated already: nothing added');

    const critical = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-critical', { priorityClassName: 'system-cluster-critical', serviceAccountName: 'builder' }));
    assert.equal(critical.body.spec.priority, 2000000000);
    // the v1 conversion keeps the deprecated field in step, whatever admission runs
    assert.equal(critical.body.spec.serviceAccount, 'builder');
    const old = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-old', { serviceAccount: 'legacy' }));
    assert.deepEqual([old.body.spec.serviceAccountName, old.body.spec.serviceAccount], ['legacy', 'legacy']);

    const missing = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-missing', { priorityClassName: 'gold' }));
    assert.equal(missing.code, 403);
    assert.equal(missing.body.message, 'pods "adm-missing" is forbidden: no PriorityClass with name gold was found');
    const wrong = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-wrong', { priorityClassName: 'system-cluster-critical', priority: 5 }));
    assert.equal(wrong.code, 403);
    assert.match(wrong.body.message, /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 2000000000 from the given PriorityClass name/);

    const gold = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'gold' }, value: 1000, globalDefault: true, preemptionPolicy: 'Never' };
    assert.equal((await t.call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', gold)).code, 201);
    // admission reads classes from the watch cache, as Kubernetes' reads them from an informer: wait until it has it
    await until('the watch cache has the class', async () =>
      (await t.call('GET', '/apis/scheduling.k8s.io/v1/priorityclasses?resourceVersion=0')).body.items.some((i: any) => i.metadata.name === 'gold') || undefined,
    );
    const defaulted = await t.call('POST', '/api/v1/namespaces/default/pods', pod('adm-default'));
    assert.deepEqual([defaulted.body.spec.priorityClassName, defaulted.body.spec.priority, defaulted.body.spec.preemptionPolicy], ['gold', 1000, 'Never']);
    assert.equal((await t.call('DELETE', '/apis/scheduling.k8s.io/v1/priorityclasses/gold')).code, 200);
  });
});
