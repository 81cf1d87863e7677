import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { etcdCodec } from './codec.js';
import { messageFromJson, messageToJson } from './gateway-json.js';
import { GoJsonError, decodeNext, goBase64Decode, goQuote } from './go-json.js';

const codec = etcdCodec();
const b = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Parses `text` as the gateway's first request of type `type`, or returns the error message. */
function fromJson(type: string, text: string): unknown {
  try {
    const next = decodeNext(Buffer.from(text), 0, true);
    if (next === 'eof') return {};
    if (next === 'incomplete') return 'unexpected EOF';
    return messageFromJson(codec.message(type), next.value);
  } catch (err) {
    assert.ok(err instanceof Error);
    return err.message;
  }
}

describe('JSON out (jsonpb, OrigName, no defaults)', () => {
  it('writes proto names in declaration order, int64 as strings, bytes base64, zeros left out', () => {
    const res = codec.decode('etcdserverpb.RangeResponse', codec.encode('etcdserverpb.RangeResponse', {
      header: { clusterId: 1, memberId: 2, revision: 3, raftTerm: 0 },
      kvs: [{ key: b('foo'), createRevision: 2, modRevision: 2, version: 1, value: b('bar'), lease: 0 }],
      count: 1,
    }));
    assert.equal(messageToJson(codec.message('etcdserverpb.RangeResponse'), res),
      '{"header":{"cluster_id":"1","member_id":"2","revision":"3"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}');
  });

  it('writes enums by name, uint32 as a number, a set oneof even when empty, names like TTL as is', () => {
    const json = (type: string, v: object) => messageToJson(codec.message(type), codec.decode(type, codec.encode(type, v)));
    assert.equal(json('mvccpb.Event', { type: 1, kv: { key: b('k'), modRevision: 5 } }), '{"type":"DELETE","kv":{"key":"aw==","mod_revision":"5"}}');
    assert.equal(json('mvccpb.Event', { type: 7 }), '{"type":7}');
    assert.equal(json('etcdserverpb.HashResponse', { hash: 4294967295 }), '{"hash":4294967295}');
    assert.equal(json('etcdserverpb.WatchRequest', { progressRequest: {} }), '{"progress_request":{}}');
    assert.equal(json('etcdserverpb.Compare', { target: 3, value: new Uint8Array(0) }), '{"target":"VALUE","value":""}');
    assert.equal(json('etcdserverpb.LeaseGrantResponse', { ID: 7, TTL: 60 }), '{"ID":"7","TTL":"60"}');
    assert.equal(json('etcdserverpb.WatchResponse', { watchId: -1 }), '{"watch_id":"-1"}');
  });

  it('escapes strings as Go does (HTML-safe)', () => {
    assert.equal(goQuote('a<b>&"\\\n\u0001\u2028é'), '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\u0001\\u2028é"');
  });
});

describe('JSON in (jsonpb)', () => {
  it('accepts proto and camelCase names, the camelCase one winning', () => {
    assert.deepEqual(fromJson('etcdserverpb.RangeRequest', '{"key":"Zm9v","range_end":"AA==","keysOnly":true,"sort_order":"DESCEND","limit":"5"}'),
      { key: b('foo'), rangeEnd: new Uint8Array([0]), keysOnly: true, sortOrder: 2, limit: 5 });
    assert.deepEqual(fromJson('etcdserverpb.RangeRequest', '{"range_end":"AQ==","rangeEnd":"Ag=="}'), { rangeEnd: new Uint8Array([2]) });
    assert.deepEqual(fromJson('etcdserverpb.LeaseGrantRequest', '{"TTL":60,"ID":"12"}'), { TTL: 60, ID: 12 });
  });

  it('maps oneofs to their set member', () => {
    assert.deepEqual(fromJson('etcdserverpb.TxnRequest', '{"compare":[{"target":"VALUE","key":"Zm9v","value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}],"failure":[{"requestRange":{"key":"Zm9v"}}]}'), {
      compare: [{ target: 3, key: b('foo'), value: b('bar') }],
      success: [{ requestPut: { key: b('foo'), value: b('baz') } }],
      failure: [{ requestRange: { key: b('foo') } }],
    });
  });

  it('ignores unknown fields and nulls', () => {
    assert.deepEqual(fromJson('etcdserverpb.RangeRequest', '{"key":null,"bogus":[1,{}],"limit":null}'), { key: new Uint8Array(0), limit: 0 });
    assert.deepEqual(fromJson('etcdserverpb.RangeRequest', 'null'), {});
  });

  it("answers bad input with Go's messages (each checked against etcd 3.4.23)", () => {
    const cases: [string, string][] = [
      ['{bad', "invalid character 'b' looking for beginning of object key string"],
      ['{"key":"Zm9v"', 'unexpected EOF'],
      ['{"key":"Zm9v!"}', 'illegal base64 data at input byte 4'],
      ['{"key":"Zm9"}', 'illegal base64 data at input byte 0'],
      ['{"key":123}', 'json: cannot unmarshal number into Go value of type []uint8'],
      ['{"key":[1,2,300]}', 'json: cannot unmarshal number 300 into Go value of type uint8'],
      ['{"limit":"abc"}', "invalid character 'a' looking for beginning of value"],
      ['{"limit":5.5}', 'json: cannot unmarshal number 5.5 into Go value of type int64'],
      ['{"limit":""}', 'unexpected end of JSON input'],
      ['{"limit":"5 6"}', "invalid character '6' after top-level value"],
      ['{"limit":"99999999999999999999"}', 'json: cannot unmarshal number 99999999999999999999 into Go value of type int64'],
      ['{"sort_order":"BOGUS"}', 'unknown value "BOGUS" for enum etcdserverpb.RangeRequest_SortOrder'],
      ['{"sort_order":3000000000}', 'json: cannot unmarshal number 3000000000 into Go value of type etcdserverpb.RangeRequest_SortOrder'],
      ['[]', 'json: cannot unmarshal array into Go value of type map[string]json.RawMessage'],
      ['{"keys_only":"true"}', 'json: cannot unmarshal string into Go value of type bool'],
      ['{"key":"Zm9v",}', "invalid character '}' looking for beginning of object key string"],
      ['{"key" "Zm9v"}', `invalid character '"' after object key`],
      ['{"key":"Zm9v" x}', "invalid character 'x' after object key:value pair"],
      ['{"key":tru}', "invalid character '}' in literal true (expecting 'e')"],
      ['{"key":1.}', "invalid character '}' after decimal point in numeric literal"],
      ['{"key":"\\x"}', "invalid character 'x' in string escape code"],
      ['{"key":"a\tb"}', "invalid character '\\t' in string literal"],
      ['{"a":[1 2]}', "invalid character '2' after array element"],
      ['\u00e9', "invalid character 'Ã' looking for beginning of value"],
    ];
    for (const [input, message] of cases) assert.equal(fromJson('etcdserverpb.RangeRequest', input), message, input);
    assert.equal(fromJson('etcdserverpb.MemberRemoveRequest', '{"ID":"-1"}'), 'json: cannot unmarshal number -1 into Go value of type uint64');
    assert.equal(fromJson('etcdserverpb.TxnRequest', '{"compare":5}'), 'json: cannot unmarshal number into Go value of type []json.RawMessage');
  });

  it('refuses a valid int64 beyond 2^53-1 (where etcd would take it)', () => {
    assert.match(String(fromJson('etcdserverpb.RangeRequest', '{"revision":"9007199254740993"}')), /beyond 2\^53-1/);
  });

  it('reads a stream of values as Go’s json.Decoder does', () => {
    const text = Buffer.from('{"a":1}\n{"b":2}  {"c":');
    const first = decodeNext(text, 0, false);
    assert.ok(typeof first === 'object');
    const second = decodeNext(text, first.end, false);
    assert.ok(typeof second === 'object');
    assert.equal(decodeNext(text, second.end, false), 'incomplete');
    assert.equal(decodeNext(Buffer.from('  \n'), 0, false), 'eof');
    assert.equal(decodeNext(Buffer.from('12'), 0, false), 'incomplete'); // a number may go on
    assert.throws(() => decodeNext(Buffer.from('{"a":1}x'), 7, false), GoJsonError);
  });

  it("decodes base64 as Go's StdEncoding", () => {
    assert.deepEqual(goBase64Decode('Zm9v'), b('foo'));
    assert.deepEqual(goBase64Decode('Zg=\n='), b('f'));
    assert.throws(() => goBase64Decode('Zg==x'), /input byte 4/);
    assert.throws(() => goBase64Decode('Z==='), /input byte 1/);
  });
});
