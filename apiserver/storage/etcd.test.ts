import assert from 'node:assert/strict';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { TestCluster, haveEtcd } from '../../test/cluster.js';
import { storeConformance, type Backend } from './conformance.js';
import { StoreUnavailableError } from './errors.js';
import { EtcdStore } from './etcd.js';
import { prefixEnd } from './interface.js';

async function backend(flavour: 'kubeling' | 'etcd'): Promise<Backend> {
  const c = await TestCluster.start(flavour, 1);
  return { client: new EtcdStore({ endpoints: [c.members[0]!.clientUrl] }), stop: () => c.stop() };
}

storeConformance('a kubeling store over the etcd v3 API', () => backend('kubeling'));
if (haveEtcd()) storeConformance('a real etcd 3.4', () => backend('etcd'));
else {
  describe('StoreClient conformance: a real etcd 3.4', () => {
    it('needs etcd installed (the README\'s test command installs it)', () => assert.fail('etcd and etcdctl are not installed'));
  });
}

describe('EtcdStore', () => {
  it('moves on from an endpoint that does not answer; a store with none answering is StoreUnavailableError', async () => {
    const c = await TestCluster.start('kubeling', 1);
    const dead = 'http://127.0.0.1:9'; // the discard port: nothing listens
    const s = new EtcdStore({ endpoints: [dead, c.members[0]!.clientUrl], timeoutMs: 2000 });
    try {
      assert.equal((await s.get('/x')).value, undefined);
      await c.stop();
      await assert.rejects(s.get('/x'), StoreUnavailableError);
    } finally {
      s.close();
      await c.stop();
    }
  });

  it('sends a write on to the next endpoint only when it never reached the first', async () => {
    const c = await TestCluster.start('kubeling', 1);
    const dead = 'http://127.0.0.1:9';
    // a member that takes the call and then loses the connection: the write may have been applied
    let calls = 0;
    const dropping = createServer();
    dropping.on('stream', (stream) => {
      calls++;
      stream.session?.destroy();
    });
    await new Promise<void>((r) => dropping.listen(0, '127.0.0.1', r));
    const lossy = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
    const unreached = new EtcdStore({ endpoints: [dead, c.members[0]!.clientUrl], timeoutMs: 2000 });
    const reached = new EtcdStore({ endpoints: [lossy, c.members[0]!.clientUrl], timeoutMs: 2000 });
    try {
      const made = await unreached.create('/a', Buffer.from('1'));
      assert.equal(Buffer.from((await unreached.update('/a', Buffer.from('2'), made.modRevision)).value).toString(), '2');
      await assert.rejects(reached.create('/b', Buffer.from('1')), StoreUnavailableError, 'not sent twice');
      assert.equal(calls, 1);
      assert.equal((await reached.get('/b')).value, undefined, 'the next call went to the next endpoint');
      assert.equal(Buffer.from((await reached.create('/b', Buffer.from('1'))).value).toString(), '1');
      assert.equal(calls, 1);
    } finally {
      unreached.close();
      reached.close();
      dropping.close();
      await c.stop();
    }
  });

  it('prefixEnd is the range end of etcd\'s --prefix', () => {
    assert.equal(prefixEnd('/registry/pods/').toString(), '/registry/pods0');
    assert.deepEqual([...prefixEnd('aé')], [0x61, 0xc3, 0xaa], 'bytes of the UTF-8 form');
    assert.deepEqual([...prefixEnd('')], [0]);
  });
});
