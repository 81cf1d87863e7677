/* eslint-disable @typescript-eslint/no-explicit-any -- the answers are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';

describe("lists at a resourceVersion, as Kubernetes' resourceVersion and resourceVersionMatch define them", () => {
  let t: TestApi;
  let before1: string;
  let after2: string;
  before(async () => {
    t = await TestApi.start();
    await t.call('POST', '/api/v1/namespaces', { metadata: { name: 'rv' } });
    const a = await t.call('POST', '/api/v1/namespaces/rv/configmaps', { metadata: { name: 'one' } });
    before1 = a.body.metadata.resourceVersion;
    const b = await t.call('POST', '/api/v1/namespaces/rv/configmaps', { metadata: { name: 'two' } });
    after2 = b.body.metadata.resourceVersion;
    // resourceVersion=0 (and N, once the cache is at N) reads the watch cache, which trails the writes a little
    await until('the watch cache at the second create', async () => {
      const r = await t.call('GET', '/api/v1/namespaces/rv/configmaps?resourceVersion=0');
      return Number(r.body.metadata.resourceVersion) >= Number(after2) ? true : undefined;
    });
  });
  after(async () => {
    await t?.stop();
  });
  const names = (r: any): string[] => r.body.items.map((i: any) => i.metadata.name);

  it('Exact reads the state at that revision; NotOlderThan and unset read one at least as new', async () => {
    const exact = await t.call('GET', `/api/v1/namespaces/rv/configmaps?resourceVersion=${before1}&resourceVersionMatch=Exact`);
    assert.equal(exact.code, 200);
    assert.deepEqual(names(exact), ['one'], 'the second configmap came later');
    assert.equal(exact.body.metadata.resourceVersion, before1);
    for (const q of [`resourceVersion=${before1}&resourceVersionMatch=NotOlderThan`, `resourceVersion=${before1}`, `resourceVersion=${after2}`, 'resourceVersion=0', `resourceVersion=${before1}&limit=1`]) {
      const r = await t.call('GET', `/api/v1/namespaces/rv/configmaps?${q}`);
      assert.equal(r.code, 200, q);
      assert.ok(Number(r.body.metadata.resourceVersion) >= Number(after2), q);
      assert.deepEqual(names(r), q.includes('limit') ? ['one'] : ['one', 'two'], q);
    }
  });

  it('answers a revision the store does not have yet 504 Timeout, as Kubernetes does', async () => {
    const future = Number(after2) + 1000;
    for (const q of [`resourceVersion=${future}`, `resourceVersion=${future}&resourceVersionMatch=Exact`]) {
      const r = await t.call('GET', `/api/v1/namespaces/rv/configmaps?${q}`);
      assert.equal(r.code, 504, q);
      assert.equal(r.body.reason, 'Timeout');
      assert.match(r.body.message, new RegExp(`^Too large resource version: ${future}, current: \\d+$`));
      assert.deepEqual(r.body.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    }
  });

  it("refuses resourceVersionMatch without a resourceVersion, with a continue token, Exact at 0, or another value", async () => {
    const cases: [string, string][] = [
      ['resourceVersionMatch=NotOlderThan', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersion=0&resourceVersionMatch=Exact', 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['resourceVersion=5&resourceVersionMatch=Newest', 'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
    ];
    for (const [q, message] of cases) {
      const r = await t.call('GET', `/api/v1/namespaces/rv/configmaps?${q}`);
      assert.equal(r.code, 422, q);
      assert.equal(r.body.reason, 'Invalid');
      assert.equal(r.body.message, `ListOptions.meta.k8s.io "" is invalid: ${message}`);
    }
    const page = await t.call('GET', '/api/v1/namespaces/rv/configmaps?limit=1');
    const r = await t.call('GET', `/api/v1/namespaces/rv/configmaps?continue=${encodeURIComponent(page.body.metadata.continue)}&resourceVersion=${before1}&resourceVersionMatch=Exact`);
    assert.equal(r.code, 422);
    assert.match(r.body.message, /resourceVersionMatch is forbidden when continue is provided/);
  });
});

describe('lists with a limit and a selector', () => {
  let t: TestApi;
  before(async () => {
    t = await TestApi.start();
    await t.call('POST', '/api/v1/namespaces', { metadata: { name: 'sel' } });
    for (let i = 0; i < 12; i++) await t.call('POST', '/api/v1/namespaces/sel/configmaps', { metadata: { name: `c${String(i).padStart(2, '0')}`, labels: { even: String(i % 2 === 0) } } });
  });
  after(async () => {
    await t?.stop();
  });

  it('never answers more than the limit, and pages on from the last item given', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const r = await t.call('GET', `/api/v1/namespaces/sel/configmaps?labelSelector=even%3Dtrue&limit=4${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      assert.equal(r.code, 200);
      assert.ok(r.body.items.length <= 4, `page ${pages}: ${r.body.items.length} items`);
      seen.push(...r.body.items.map((i: any) => i.metadata.name));
      token = r.body.metadata.continue;
      if (!token) break;
    }
    assert.deepEqual(seen, ['c00', 'c02', 'c04', 'c06', 'c08', 'c10']);
  });

  it('names the kind of an object created without one', async () => {
    const r = await t.call('POST', '/api/v1/namespaces/sel/configmaps', { metadata: { name: 'kindless' } });
    assert.equal(r.body.kind, 'ConfigMap');
    assert.equal(r.body.apiVersion, 'v1');
  });
});
