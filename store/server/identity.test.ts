import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clusterIdFor, memberIdFor, parseInitialCluster, readIdentity, writeIdentity } from './identity.js';

describe('member identity', () => {
  it('derives stable ids below 2^53 from peer URLs and the token', () => {
    const a = memberIdFor(['http://127.0.0.1:2380'], 'etcd-cluster');
    assert.equal(a, memberIdFor(['http://127.0.0.1:2380'], 'etcd-cluster'));
    assert.notEqual(a, memberIdFor(['http://127.0.0.1:2381'], 'etcd-cluster'));
    assert.notEqual(a, memberIdFor(['http://127.0.0.1:2380'], 'other-token'));
    assert.ok(a > 0 && a < 2 ** 53);
    // the order of a member's URLs does not matter; the order of members does not either
    assert.equal(memberIdFor(['http://b', 'http://a'], 't'), memberIdFor(['http://a', 'http://b'], 't'));
    assert.equal(clusterIdFor([3, 1, 2], 't'), clusterIdFor([1, 2, 3], 't'));
    assert.match(clusterIdFor([1], 't'), /^[0-9a-f]+$/);
  });

  it('parses --initial-cluster, with repeated names for several URLs', () => {
    const m = parseInitialCluster('n1=http://a:2380, n2=http://b:2380,n1=http://c:2380');
    assert.deepEqual([...m], [
      ['n1', ['http://a:2380', 'http://c:2380']],
      ['n2', ['http://b:2380']],
    ]);
    assert.throws(() => parseInitialCluster('n1'), /not name=url/);
    assert.throws(() => parseInitialCluster('n1=::'), /not a URL/);
    assert.throws(() => parseInitialCluster(''), /empty/);
  });

  it('records the identity in the data dir and refuses a damaged record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-identity-'));
    try {
      assert.equal(readIdentity(dir), undefined);
      writeIdentity(dir, { name: 'n1', memberId: 42, clusterId: 'abc' });
      assert.deepEqual(readIdentity(dir), { name: 'n1', memberId: 42, clusterId: 'abc' });
      writeFileSync(join(dir, 'identity.json'), '{not json');
      assert.throws(() => readIdentity(dir), /identity\.json: not valid JSON.*refusing/);
      writeFileSync(join(dir, 'identity.json'), '{"name":"n1"}');
      assert.throws(() => readIdentity(dir), /identity\.json: missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
