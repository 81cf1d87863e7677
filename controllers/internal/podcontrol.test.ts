/**
 * slowStartBatch's batches (1, 2, 4 ..., stopping after a failing batch)
 * and the pod a controller makes from its template.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podFromTemplate, slowStartBatch } from './podcontrol.js';

describe('slowStartBatch', () => {
  it('makes all the calls in batches doubling from the first', async () => {
    const batches: number[] = [];
    let inFlight = 0;
    const r = await slowStartBatch(10, 1, async () => {
      if (inFlight === 0) batches.push(0);
      inFlight++;
      batches[batches.length - 1]!++;
      await new Promise((res) => setImmediate(res));
      inFlight--;
    });
    assert.deepEqual(r, { successes: 10 });
    assert.deepEqual(batches, [1, 2, 4, 3]);
  });

  it('stops after the first batch with a failure, counting its successes', async () => {
    let calls = 0;
    const r = await slowStartBatch(20, 1, async () => {
      calls++;
      if (calls === 5) throw new Error('quota exceeded');
    });
    // batches 1, 2, then 4 of which the second fails: no batch of 8
    assert.equal(calls, 7);
    assert.equal(r.successes, 6);
    assert.equal((r.error as Error).message, 'quota exceeded');
  });

  it('makes none for a count of 0', async () => assert.deepEqual(await slowStartBatch(0, 1, () => Promise.reject(new Error('no'))), { successes: 0 }));
});

describe('podFromTemplate', () => {
  it("takes the template's labels, annotations, finalizers and spec, with generateName and the controller reference", () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u', controller: true, blockOwnerDeletion: true };
    const template = { metadata: { labels: { app: 'web' } as Record<string, string>, annotations: { a: 'b' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const pod = podFromTemplate(template, 'web', ref);
    assert.deepEqual(pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'web-', labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['f'], ownerReferences: [ref] },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    (pod.metadata.labels as Record<string, string>).x = 'y';
    assert.deepEqual(template.metadata.labels, { app: 'web' }, 'the template is not shared');
  });
});
