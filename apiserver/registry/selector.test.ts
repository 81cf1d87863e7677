import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError } from './errors.js';
import { fieldsMatch, fromLabelSelector, matches, parseFieldSelector, parseLabelSelector, selectorString } from './selector.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', n: '7' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app = web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['missing notin (x)', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['n>5', true],
    ['n<5', false],
    ['missing>1', false],
    ['app=', false],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} ${want ? 'matches' : 'does not match'}`, () => {
      assert.equal(matches(parseLabelSelector(sel), labels), want);
    });
  }

  const bad: [string, RegExp][] = [
    ['app in web', /^unable to parse requirement: found 'web', expected: '\('$/],
    ['app=web tier=x', /^unable to parse requirement: found 'tier=x', expected: ','$/],
    ['=web', /expected: identifier/],
    ['app=-bad-', /^unable to parse requirement: values\[0\]\[app\]: Invalid value: "-bad-": a valid label must be/],
    ['-key=x', /^unable to parse requirement: key: Invalid value: "-key"/],
    ['n>x', /the value must be an integer/],
    ['app in (a', /expected: ',' or '\)'/],
  ];
  for (const [sel, msg] of bad) {
    it(`refuses ${JSON.stringify(sel)}`, () => {
      assert.throws(() => parseLabelSelector(sel), (e: unknown) => e instanceof BadRequestError && msg.test(e.message));
    });
  }

  it('turns a LabelSelector object into requirements and its string form', () => {
    const sel = fromLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'canary', operator: 'DoesNotExist' }] });
    assert.equal(selectorString(sel), 'app=web,!canary,tier in (a,b)');
    assert.equal(matches(sel, { app: 'web', tier: 'a' }), true);
    assert.equal(matches(sel, { app: 'web', tier: 'a', canary: '' }), false);
    assert.equal(selectorString(parseLabelSelector(selectorString(sel))), selectorString(sel), 'the string form parses back');
    assert.equal(matches(fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), { a: 'x' }), false);
  });
});

describe('field selectors', () => {
  const supported = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase']);
  it('parses =, == and != and matches field values', () => {
    const reqs = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed', supported);
    assert.deepEqual(reqs, [
      { field: 'spec.nodeName', op: '=', value: 'n1' },
      { field: 'status.phase', op: '!=', value: 'Failed' },
    ]);
    assert.equal(fieldsMatch(reqs, { 'spec.nodeName': 'n1', 'status.phase': 'Running' }), true);
    assert.equal(fieldsMatch(reqs, { 'spec.nodeName': 'n1', 'status.phase': 'Failed' }), false);
    assert.equal(fieldsMatch(parseFieldSelector('spec.nodeName==', supported), { 'spec.nodeName': '' }), true);
  });
  it('unescapes values and refuses unknown fields and terms without an operator', () => {
    assert.deepEqual(parseFieldSelector('metadata.name=a\\,b\\=c', supported), [{ field: 'metadata.name', op: '=', value: 'a,b=c' }]);
    assert.deepEqual(parseFieldSelector('', supported), []);
    assert.throws(() => parseFieldSelector('spec.foo=x', supported), { message: 'field label not supported: spec.foo' });
    assert.throws(() => parseFieldSelector('metadata.name', supported), { message: "invalid selector: 'metadata.name'; can't understand 'metadata.name'" });
  });
});
