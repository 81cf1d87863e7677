import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HpackDecoder, HpackError, encodeHeaders, huffmanDecode, huffmanEncode } from './hpack.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const latin1 = (s: string): number[] => [...Buffer.from(s, 'latin1')];

describe('HPACK', () => {
  it('decodes RFC 7541 C.4 (requests with Huffman), keeping the dynamic table across blocks', () => {
    const d = new HpackDecoder();
    const authority: [string, string] = [':authority', 'www.example.com'];
    assert.deepEqual(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], authority]);
    assert.deepEqual(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], authority, ['cache-control', 'no-cache']]);
    assert.deepEqual(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')), [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      authority,
      ['custom-key', 'custom-value'],
    ]);
  });

  it('Huffman-codes every symbol and back; refuses bad padding and EOS', () => {
    assert.equal(Buffer.from(huffmanEncode(latin1('www.example.com'))).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    const all = [...Array(256).keys()];
    assert.deepEqual(latin1(huffmanDecode(huffmanEncode(all))), all);
    assert.throws(() => huffmanDecode(Buffer.from([0x00])), HpackError); // padding must be ones
    assert.throws(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff])), HpackError); // EOS
  });

  it('evicts the oldest entries past the table size, and honours size updates within our limit', () => {
    const d = new HpackDecoder(100);
    // literal with incremental indexing, new name: 'aaaa...' fields of 32 + 20 bytes each
    const literal = (name: string, value: string): number[] => [0x40, name.length, ...latin1(name), value.length, ...latin1(value)];
    d.decode(Buffer.from([...literal('k1', 'x'.repeat(18)), ...literal('k2', 'y'.repeat(18))]));
    assert.throws(() => d.decode(Buffer.from([0xbf])), /past the dynamic table/, 'k1 was evicted: only k2 fits in 100 bytes');
    assert.deepEqual(d.decode(Buffer.from([0xbe])), [['k2', 'y'.repeat(18)]]);
    assert.throws(() => d.decode(Buffer.from([0x3f, 0x61])), /over the limit/); // size update to 128 > 100
    d.decode(Buffer.from([0x20])); // size 0 empties the table
    assert.throws(() => d.decode(Buffer.from([0xbe])), HpackError);
    assert.throws(() => d.decode(Buffer.from([0x82, 0x20])), /after a field/);
  });

  it('encodes without indexing, as our decoder (and any) reads back; a table size update first when asked', () => {
    const fields: [string, string][] = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '0'],
      ['grpc-message', 'x'.repeat(300)],
    ];
    const block = encodeHeaders(fields);
    assert.equal(block[0], 0x88, ':status 200 is static index 8');
    assert.deepEqual(new HpackDecoder().decode(block), fields);
    assert.deepEqual(new HpackDecoder().decode(encodeHeaders(fields, 0)), fields);
    assert.equal(encodeHeaders([], 0)[0], 0x20);
  });
});
