import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeJson } from './jsoncodec.js';
import { decodeProposal, encodeProposal, type Proposal } from './proposal.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('proposal codec', () => {
  it('round-trips a put, keeping exactly the fields that were set', () => {
    const cases: Proposal[] = [
      { rid: 'a.1', body: { put: { key: bytes('/registry/pods/default/p'), value: bytes('{"x":1}'), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false } } },
      { rid: 'é.2', body: { put: { key: bytes('k') } } },
      { rid: '', body: { put: { key: bytes('k\u00ff\u0000'), value: new Uint8Array(), lease: 2 ** 52, prevKv: true } } },
      { rid: 'b.3', body: { put: { key: bytes('k'), ignoreValue: true, ignoreLease: true } } },
    ];
    for (const p of cases) {
      const data = encodeProposal(p);
      assert.equal(data[0], 0x02, 'a put has the binary form');
      assert.deepEqual(decodeProposal(data), p);
    }
  });

  it('decodes copies: the entry data may be reused without changing the request', () => {
    const data = encodeProposal({ rid: 'r', body: { put: { key: bytes('key'), value: bytes('value') } } });
    const p = decodeProposal(data) as { body: { put: { key: Uint8Array; value: Uint8Array } } };
    data.fill(0);
    assert.deepEqual([p.body.put.key, p.body.put.value], [bytes('key'), bytes('value')]);
  });

  it('writes a 1 KiB put in little more than 1 KiB', () => {
    const p = { rid: 'abc.def.1', body: { put: { key: bytes('/etcdctl-check-perf/x'), value: new Uint8Array(1024), lease: 0 } } };
    assert.ok(encodeProposal(p).length < 1024 + 21 + 40);
  });

  it('keeps every other request in jsoncodec, and reads jsoncodec entries of any kind', () => {
    const others: Proposal[] = [
      { rid: 'r1', body: { deleteRange: { key: bytes('a'), rangeEnd: bytes('b'), prevKv: true } } },
      { rid: 'r2', body: { txn: { compare: [], success: [{ requestPut: { key: bytes('k'), value: bytes('v') } }], failure: [] } } },
      { rid: 'r3', body: { publish: { id: 7, name: 'm1', clientURLs: ['http://127.0.0.1:2379'] } } },
      { rid: 'r4', body: { put: { key: 'not bytes' } } },
    ];
    for (const p of others) {
      const data = encodeProposal(p);
      assert.equal(data[0], 0x01);
      assert.deepEqual(decodeProposal(data), p);
    }
    // a put written by an older member, as jsoncodec
    const old = { rid: 'r5', body: { put: { key: bytes('k'), value: bytes('v') } } };
    assert.deepEqual(decodeProposal(encodeJson(old)), old);
  });

  it('refuses a truncated put or trailing bytes', () => {
    const data = encodeProposal({ rid: 'r', body: { put: { key: bytes('key'), value: bytes('value') } } });
    for (let n = 1; n < data.length; n++) assert.throws(() => decodeProposal(data.subarray(0, n)), /truncated/);
    assert.throws(() => decodeProposal(Buffer.concat([data, Buffer.from([0])])), /trailing bytes/);
  });
});
