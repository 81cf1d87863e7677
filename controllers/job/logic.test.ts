/**
 * The job controller's pure rules: indexes, conditions, failure counting,
 * the pod failure backoff, how many pods to run and which to remove first,
 * the status as Go writes it, and the TTL controller's expiry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../client/types.js';
import { completionIndex, firstPendingIndexes, formatIndexes, hasIndex, parseIndexes, totalIndexes, UNKNOWN_INDEX, withIndexes } from './indexes.js';
import { activePodsForRemoval, backoffRemaining, ensureCondition, isPodFailed, nextBackoffRecord, pastBackoffLimitOnFailure, wantActive, wireStatus } from './logic.js';
import { indexedTemplate, jobPodTemplate } from './manage.js';
import { expiresAt, needsCleanup } from './ttl.js';
import type { Job, JobCondition } from './types.js';

const job = (spec: Partial<Job['spec']> = {}, status: Job['status'] = {}): Job => ({
  metadata: { name: 'j', namespace: 'default', uid: 'u' },
  spec: { parallelism: 2, completions: 4, backoffLimit: 3, template: { metadata: { labels: { a: 'b' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c' }] } }, ...spec },
  status,
});

const pod = (name: string, o: { phase?: NonNullable<Pod['status']>['phase']; ready?: boolean; node?: string; index?: number; deleting?: boolean; finished?: string; restarts?: number } = {}): Pod => ({
  metadata: {
    name,
    uid: `uid-${name}`,
    creationTimestamp: '2024-01-01T00:00:00Z',
    ...(o.index !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': String(o.index) } } : {}),
    ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:09Z' } : {}),
  },
  spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [{ name: 'c' }] },
  status: {
    phase: o.phase ?? 'Pending',
    conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:01Z' }],
    containerStatuses: [
      { restartCount: o.restarts ?? 0, ...(o.finished ? { state: { terminated: { finishedAt: o.finished } } } : {}) },
    ],
  },
});

describe('completion indexes', () => {
  it('parses and formats the compressed form, keeping indexes below completions', () => {
    assert.deepEqual(parseIndexes('0,2-4,7', 10), [[0, 0], [2, 4], [7, 7]]);
    assert.deepEqual(parseIndexes('1-2,3,8-12', 10), [[1, 3], [8, 9]], 'adjacent merged, past completions cut');
    assert.deepEqual(parseIndexes('', 3), []);
    assert.equal(formatIndexes([[0, 0], [2, 4]]), '0,2-4');
    assert.equal(totalIndexes([[0, 0], [2, 4]]), 4);
    assert.equal(hasIndex([[2, 4]], 3), true);
    assert.deepEqual(withIndexes([[0, 1]], [2, 5]), [[0, 2], [5, 5]]);
  });
  it('reads a pod index from its annotation', () => {
    assert.equal(completionIndex(pod('a', { index: 3 })), 3);
    assert.equal(completionIndex(pod('a')), UNKNOWN_INDEX);
    const bad = pod('b');
    bad.metadata.annotations = { 'batch.kubernetes.io/job-completion-index': '-1' };
    assert.equal(completionIndex(bad), UNKNOWN_INDEX);
  });
  it('starts the lowest indexes neither succeeded nor running', () => {
    assert.deepEqual(firstPendingIndexes([[0, 0]], [pod('a', { index: 1 })], 2, 5), [2, 3]);
    assert.deepEqual(firstPendingIndexes([[0, 4]], [], 2, 5), []);
  });
  it('gives an indexed pod its annotation, label, hostname and variable', () => {
    const j = job({ completionMode: 'Indexed' });
    const t = indexedTemplate(j, jobPodTemplate(j), 2);
    assert.equal(t.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], '2');
    assert.equal(t.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], '2');
    assert.equal(t.spec?.hostname, 'j-2');
    assert.deepEqual(t.metadata?.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.equal((t.spec?.containers[0]?.env as { name: string }[])[0]?.name, 'JOB_COMPLETION_INDEX');
    assert.equal(jobPodTemplate(job()).spec?.containers[0]?.env, undefined, 'NonIndexed: no variable');
  });
});

describe('conditions', () => {
  it('appends a new True condition, never a new False one, and rewrites one that changed', () => {
    const c: JobCondition[] = [];
    assert.equal(ensureCondition(c, 'Suspended', 'False', 'JobResumed', 'Job resumed', 't0'), false);
    assert.equal(ensureCondition(c, 'Suspended', 'True', 'JobSuspended', 'Job suspended', 't1'), true);
    assert.equal(ensureCondition(c, 'Suspended', 'True', 'JobSuspended', 'Job suspended', 't2'), false);
    assert.equal(ensureCondition(c, 'Suspended', 'False', 'JobResumed', 'Job resumed', 't3'), true);
    assert.deepEqual(c, [{ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: 't3', lastTransitionTime: 't3' }]);
  });
});

describe('counting pods', () => {
  it('counts Failed pods, and pods deleted before succeeding unless only failed pods are replaced', () => {
    assert.equal(isPodFailed(pod('a', { phase: 'Failed' }), job()), true);
    assert.equal(isPodFailed(pod('a', { phase: 'Running', deleting: true }), job()), true);
    assert.equal(isPodFailed(pod('a', { phase: 'Succeeded', deleting: true }), job()), false);
    assert.equal(isPodFailed(pod('a', { phase: 'Running', deleting: true }), job({ podReplacementPolicy: 'Failed' })), false);
  });
  it('wants parallelism pods, never more than the completions missing', () => {
    assert.equal(wantActive(job(), 0, 0), 2);
    assert.equal(wantActive(job(), 3, 2), 1);
    assert.equal(wantActive(job(), 5, 0), 0);
    assert.equal(wantActive(job({ completions: null }), 0, 1), 2, 'no completions: parallelism until one succeeds');
    assert.equal(wantActive(job({ completions: null }), 1, 1), 1, '... then whatever runs');
  });
  it('counts container restarts of an OnFailure Job against backoffLimit', () => {
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c' }] } } });
    assert.equal(pastBackoffLimitOnFailure(j, [pod('a', { phase: 'Running', restarts: 1 })]), false);
    assert.equal(pastBackoffLimitOnFailure(j, [pod('a', { phase: 'Running', restarts: 1 }), pod('b', { phase: 'Pending', restarts: 1 })]), true);
    assert.equal(pastBackoffLimitOnFailure(job(), [pod('a', { phase: 'Running', restarts: 9 })]), false, 'Never: pods fail instead');
  });
  it('removes unscheduled, pending, unready pods first; for Indexed Jobs duplicates and bad indexes first', () => {
    const pods = [pod('running', { phase: 'Running', ready: true, node: 'n' }), pod('pending', { node: 'n' }), pod('unscheduled')];
    assert.deepEqual(activePodsForRemoval(job(), pods, 2).map((p) => p.metadata.name), ['unscheduled', 'pending']);
    const indexed = job({ completionMode: 'Indexed', completions: 3 });
    const ipods = [pod('i0', { index: 0, phase: 'Running', ready: true, node: 'n' }), pod('i0b', { index: 0 }), pod('i9', { index: 9 }), pod('none'), pod('i1', { index: 1 })];
    assert.deepEqual(activePodsForRemoval(indexed, ipods, 0).map((p) => p.metadata.name).sort(), ['i0b', 'i9', 'none']);
  });
});

describe('the pod failure backoff', () => {
  const t = (s: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
  it('counts failures since the last success from their finish times, doubling the delay', () => {
    let r = nextBackoffRecord(undefined, [], [pod('a', { phase: 'Failed', finished: t(10) })]);
    assert.deepEqual(r, { failuresAfterLastSuccess: 1, lastFailureTime: Date.parse(t(10)) });
    assert.equal(backoffRemaining(r, Date.parse(t(14))), 6000);
    r = nextBackoffRecord(r, [], [pod('b', { phase: 'Failed', finished: t(20) })]);
    assert.equal(backoffRemaining(r, Date.parse(t(20))), 20_000, 'two failures: 20 s');
    assert.equal(backoffRemaining(r, Date.parse(t(41))), 0);
    assert.deepEqual(nextBackoffRecord(r, [pod('s', { phase: 'Succeeded', finished: t(30) })], []), { failuresAfterLastSuccess: 0 }, 'a success resets it');
    const after = nextBackoffRecord(r, [pod('s', { phase: 'Succeeded', finished: t(30) })], [pod('f', { phase: 'Failed', finished: t(31) })]);
    assert.deepEqual(after, { failuresAfterLastSuccess: 1, lastFailureTime: Date.parse(t(31)) });
    assert.equal(backoffRemaining({ failuresAfterLastSuccess: 30, lastFailureTime: 0 }, 1000), 6 * 60_000 - 1000, 'capped at 6 minutes');
  });
});

describe('the status as Go writes it', () => {
  it('leaves zero counters out, keeps ready and terminating, writes uncountedTerminatedPods as {}', () => {
    assert.deepEqual(wireStatus({ active: 0, succeeded: 0, failed: 1, ready: 0, terminating: 0, uncountedTerminatedPods: { succeeded: [], failed: ['x'] }, conditions: [] }), {
      failed: 1,
      terminating: 0,
      uncountedTerminatedPods: { failed: ['x'] },
      ready: 0,
    });
  });
});

describe('ttl-after-finished', () => {
  const done = (ttl: number | undefined, cond?: JobCondition): Job => job({ ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}) }, { conditions: cond ? [cond] : [] });
  const complete: JobCondition = { type: 'Complete', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' };
  it('cleans up finished Jobs with a TTL, at finish time plus the TTL', () => {
    assert.equal(needsCleanup(done(10, complete)), true);
    assert.equal(needsCleanup(done(undefined, complete)), false, 'no TTL');
    assert.equal(needsCleanup(done(10)), false, 'not finished');
    assert.equal(needsCleanup(done(10, { ...complete, type: 'SuccessCriteriaMet' })), false, 'only Complete or Failed finish a Job');
    assert.equal(expiresAt(done(10, complete)), Date.parse('2024-01-01T00:00:10Z'));
    assert.throws(() => expiresAt(done(10, { type: 'Failed', status: 'True' })), /unable to find the time when the Job default\/j finished/);
  });
});
