import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStoreFlags } from './store.js';

describe('kubeling store flags (etcd names and defaults)', () => {
  it('takes etcd 3.4 defaults', () => {
    const c = parseStoreFlags([]);
    assert.equal(c.name, 'default');
    assert.equal(c.dataDir, 'default.etcd');
    assert.deepEqual(c.listenClientUrls, ['http://localhost:2379']);
    assert.deepEqual(c.initialAdvertisePeerUrls, ['http://localhost:2380']);
    assert.equal(c.initialCluster, 'default=http://localhost:2380');
    assert.equal(c.initialClusterState, 'new');
    assert.equal(c.initialClusterToken, 'etcd-cluster');
    assert.equal(c.heartbeatMs, 100);
    assert.equal(c.electionMs, 1000);
  });

  it('reads both --flag value and --flag=value, and the TLS flags', () => {
    const c = parseStoreFlags([
      '--name=n2',
      '--data-dir',
      '/d',
      '--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.1:2379',
      '--initial-cluster',
      'n1=http://a:2380,n2=http://b:2380',
      '--initial-cluster-state=existing',
      '--cert-file',
      'c.crt',
      '--key-file',
      'c.key',
      '--client-cert-auth',
    ]);
    assert.equal(c.name, 'n2');
    assert.equal(c.dataDir, '/d');
    assert.deepEqual(c.listenClientUrls, ['https://127.0.0.1:2379', 'https://10.0.0.1:2379']);
    assert.equal(c.initialClusterState, 'existing');
    assert.equal(c.tls.certFile, 'c.crt');
    assert.equal(c.tls.clientCertAuth, true);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown flag', ['--bogus'], /bogus/],
    ['a URL that is not one', ['--listen-client-urls', 'nope'], /not a URL/],
    ['a scheme etcd does not serve', ['--listen-peer-urls', 'ftp://x:1'], /http:\/\/ or https:\/\//],
    ['an unknown cluster state', ['--initial-cluster-state', 'old'], /new or existing/],
    ['a non-numeric heartbeat', ['--heartbeat-interval', 'fast'], /integer/],
    ['an election timeout under 5 heartbeats', ['--heartbeat-interval', '100', '--election-timeout', '300'], /at least 5 times/],
    ['a stray argument', ['extra'], /unexpected argument/],
  ];
  for (const [what, argv, msg] of bad) {
    it(`refuses ${what} with a clear message`, () => {
      assert.throws(() => parseStoreFlags(argv), msg);
    });
  }
});
