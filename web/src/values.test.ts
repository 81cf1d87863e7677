import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editableText, hexdump, showValue, writeValue } from './values.js';

describe('showValue', () => {
  it('pretty-prints JSON given as text or as a value, as JSON or YAML', () => {
    assert.equal(showValue('{"a":1,"b":[true]}', 'json', 'json').text, '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n');
    assert.equal(showValue({ a: 1, b: [true] }, 'json', 'yaml').text, 'a: 1\nb:\n- true\n');
    assert.deepEqual(showValue('{"a":1}', 'json', 'yaml').parsed, { a: 1 });
  });

  it('shows text as it is, bad JSON with a note, and bytes as a hex dump', () => {
    assert.equal(showValue('hello', 'text', 'yaml').text, 'hello');
    assert.deepEqual(showValue('{oops', 'json', 'json'), { text: '{oops', note: 'not valid JSON' });
    const b = showValue(Buffer.from('k8s\u0000abc').toString('base64'), 'base64', 'json');
    assert.equal(b.note, 'binary, 7 bytes');
    assert.equal(b.text, `00000000  6b 38 73 00 61 62 63${' '.repeat(30)}|k8s.abc|\n`);
    assert.equal(editableText('x', 'base64'), undefined);
  });

  it('dumps 16 bytes a line and cuts long values', () => {
    const d = hexdump(new Uint8Array(40).fill(0x41), 32);
    assert.deepEqual(d.split('\n'), [
      '00000000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|',
      '00000010  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|',
      '… 8 more bytes',
      '',
    ]);
  });
});

describe('writeValue', () => {
  it('sends JSON compact and shows it as the editor does; text as typed', () => {
    assert.deepEqual(writeValue('{ "a": 1,\n  "b": [true] }', true), { value: '{"a":1,"b":[true]}', shown: '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n' });
    assert.equal(writeValue(editableText({ a: 1 }, 'json')!, true).shown, editableText({ a: 1 }, 'json'));
    assert.deepEqual(writeValue('{oops', false), { value: '{oops', shown: '{oops' });
    assert.throws(() => writeValue('{oops', true), SyntaxError);
  });
});
