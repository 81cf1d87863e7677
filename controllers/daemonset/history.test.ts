import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { historyLimit, matches, maxRevision, revisionData, revisionsToDelete, revisionToKeep } from './history.js';
import type { ControllerRevision, DaemonSet } from './types.js';

const daemonSet = (template: Record<string, unknown>, revisionHistoryLimit?: number): DaemonSet =>
  ({ metadata: { name: 'logs', namespace: 'default' }, spec: { template, ...(revisionHistoryLimit === undefined ? {} : { revisionHistoryLimit }) } }) as DaemonSet;

const TEMPLATE = {
  spec: { tolerations: [{ operator: 'Exists' }], containers: [{ name: 'agent', image: 'agent:1', args: ['--v=2'] }], initContainers: [{ name: 'init', image: 'busybox' }] },
  metadata: { labels: { app: 'logs' } },
};

const rev = (name: string, revision: number, hash = name, data: unknown = {}): ControllerRevision => ({
  metadata: { name, labels: { 'controller-revision-hash': hash } },
  revision,
  data,
});

describe('revisionData', () => {
  it("is the patch that replaces the template, written as Go writes it: keys sorted, a null creationTimestamp, every container's resources", () => {
    assert.equal(
      JSON.stringify(revisionData(daemonSet(TEMPLATE))),
      '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"logs"}},' +
        '"spec":{"containers":[{"args":["--v=2"],"image":"agent:1","name":"agent","resources":{}}],' +
        '"initContainers":[{"image":"busybox","name":"init","resources":{}}],"tolerations":[{"operator":"Exists"}]}}}}',
    );
  });

  it("keeps the template's own resources and leaves the DaemonSet alone", () => {
    const ds = daemonSet({ metadata: {}, spec: { containers: [{ name: 'a', resources: { limits: { cpu: '1' } } }] } });
    const before = structuredClone(ds);
    assert.match(JSON.stringify(revisionData(ds)), /"resources":\{"limits":\{"cpu":"1"\}\}/);
    assert.deepEqual(ds, before);
  });
});

describe('matches', () => {
  const ds = daemonSet(TEMPLATE);
  it('holds for the data made from the template, whatever its key order or empty fields', () => {
    assert.equal(matches(ds, { metadata: {}, data: revisionData(ds) }), true);
    const reordered = { spec: { template: { spec: { ...TEMPLATE.spec, nodeSelector: {} }, metadata: { labels: { app: 'logs' } }, $patch: 'replace' } } };
    assert.equal(matches(ds, { metadata: {}, data: reordered }), true);
  });

  it('fails for another template, or data without the replace directive', () => {
    assert.equal(matches(ds, { metadata: {}, data: revisionData(daemonSet({ ...TEMPLATE, metadata: { labels: { app: 'other' } } })) }), false);
    assert.equal(matches(ds, { metadata: {}, data: { spec: { template: TEMPLATE } } }), false);
    assert.equal(matches(ds, { metadata: {} }), false);
  });
});

describe('revision numbers', () => {
  it('maxRevision: the highest, 0 for none', () => {
    assert.equal(maxRevision([]), 0);
    assert.equal(maxRevision([rev('a', 3), rev('b', 9), rev('c', 4)]), 9);
  });

  it('revisionToKeep: the highest revision, the last of equals', () => {
    assert.equal(revisionToKeep([rev('a', 3), rev('b', 5), rev('c', 2)]).metadata.name, 'b');
    assert.equal(revisionToKeep([rev('a', 5), rev('b', 5)]).metadata.name, 'b');
    assert.equal(revisionToKeep([rev('a', 0)]).metadata.name, 'a');
  });

  it('historyLimit: the spec, 10 when unset', () => {
    assert.equal(historyLimit(daemonSet(TEMPLATE)), 10);
    assert.equal(historyLimit(daemonSet(TEMPLATE, 0)), 0);
  });
});

describe('revisionsToDelete', () => {
  const old = [rev('d', 4), rev('a', 1), rev('c', 3), rev('b', 2)];
  const names = (rs: ControllerRevision[]) => rs.map((r) => r.metadata.name);
  const cases: [string, number, string[], string[]][] = [
    ['within the limit: none', 4, [], []],
    ['beyond it: the lowest revisions first', 2, [], ['a', 'b']],
    ['a limit of 0: all', 0, [], ['a', 'b', 'c', 'd']],
    ['those a live pod carries stay, the next ones go instead', 2, ['a'], ['b', 'c']],
    ['when too many are live, fewer go', 1, ['a', 'b', 'c'], ['d']],
    ['all live: none', 0, ['a', 'b', 'c', 'd'], []],
  ];
  for (const [title, limit, live, want] of cases) it(title, () => assert.deepEqual(names(revisionsToDelete(old, limit, new Set(live))), want));

  it('orders equal revisions by name', () => {
    assert.deepEqual(names(revisionsToDelete([rev('y', 1), rev('x', 1), rev('z', 2)], 1, new Set())), ['x', 'y']);
  });
});
