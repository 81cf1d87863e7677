import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Affinity, LabelSelector, Node, NodeSelectorTerm, Pod } from './types.js';
import { matchesLabelSelector, matchesMapSelector, nodeSelectorMatches, preferredTermsScore, requiredNodeAffinity } from './selectors.js';

const makeNode = (o: { name: string; labels: Record<string, string> }): Node => ({ metadata: { name: o.name, labels: o.labels } });
const makePod = (o: { nodeSelector?: Record<string, string>; affinity?: Affinity } = {}): Pod => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'pause' }], ...o } });

describe('matchesLabelSelector', () => {
  const cases: { name: string; selector: LabelSelector | null | undefined; labels?: Record<string, string>; want: boolean }[] = [
    { name: 'nil selector selects nothing', selector: undefined, labels: { a: '1' }, want: false },
    { name: 'null selector selects nothing', selector: null, labels: { a: '1' }, want: false },
    { name: 'empty selector selects everything', selector: {}, labels: undefined, want: true },
    { name: 'matchLabels match', selector: { matchLabels: { a: '1' } }, labels: { a: '1', b: '2' }, want: true },
    { name: 'matchLabels value mismatch', selector: { matchLabels: { a: '1' } }, labels: { a: '2' }, want: false },
    { name: 'matchLabels key missing', selector: { matchLabels: { a: '1' } }, labels: {}, want: false },
    { name: 'In matches', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, labels: { a: '2' }, want: true },
    { name: 'In without the key', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] }, labels: {}, want: false },
    { name: 'NotIn without the key matches', selector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels: {}, want: true },
    { name: 'NotIn with the value', selector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels: { a: '1' }, want: false },
    { name: 'Exists', selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, labels: { a: '' }, want: true },
    { name: 'DoesNotExist', selector: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, labels: { a: '' }, want: false },
    { name: 'matchLabels and matchExpressions are ANDed', selector: { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] }, labels: { a: '1' }, want: false },
    { name: 'In without values is invalid: selects nothing', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, labels: { a: '1' }, want: false },
    { name: 'Exists with values is invalid: selects nothing', selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['1'] }] }, labels: { a: '1' }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(matchesLabelSelector(c.selector, c.labels), c.want));
});

describe('matchesMapSelector', () => {
  const cases: { name: string; selector?: Record<string, string>; labels?: Record<string, string>; want: boolean }[] = [
    { name: 'no selector', selector: undefined, labels: undefined, want: true },
    { name: 'all pairs present', selector: { a: '1', b: '2' }, labels: { a: '1', b: '2', c: '3' }, want: true },
    { name: 'one pair missing', selector: { a: '1', b: '2' }, labels: { a: '1' }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(matchesMapSelector(c.selector, c.labels), c.want));
});

describe('nodeSelectorMatches', () => {
  const node = makeNode({ name: 'node-1', labels: { zone: 'a', gpus: '4', tier: 'x' } });
  const cases: { name: string; terms: NodeSelectorTerm[]; want: boolean }[] = [
    { name: 'no terms select nothing', terms: [], want: false },
    { name: 'an empty term selects nothing', terms: [{}], want: false },
    { name: 'an empty term beside a matching one', terms: [{}, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }], want: true },
    { name: 'terms are ORed', terms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }], want: true },
    { name: 'expressions in a term are ANDed', terms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'tier', operator: 'DoesNotExist' }] }], want: false },
    { name: 'Gt matches', terms: [{ matchExpressions: [{ key: 'gpus', operator: 'Gt', values: ['3'] }] }], want: true },
    { name: 'Gt does not match an equal value', terms: [{ matchExpressions: [{ key: 'gpus', operator: 'Gt', values: ['4'] }] }], want: false },
    { name: 'Lt matches', terms: [{ matchExpressions: [{ key: 'gpus', operator: 'Lt', values: ['5'] }] }], want: true },
    { name: 'Gt on a label that is not an integer', terms: [{ matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }] }], want: false },
    { name: 'Gt with two values is invalid', terms: [{ matchExpressions: [{ key: 'gpus', operator: 'Gt', values: ['1', '2'] }] }], want: false },
    { name: 'Lt on a missing label', terms: [{ matchExpressions: [{ key: 'missing', operator: 'Lt', values: ['5'] }] }], want: false },
    { name: 'matchFields metadata.name In', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }], want: true },
    { name: 'matchFields metadata.name NotIn', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }] }], want: false },
    { name: 'matchFields with two values is invalid', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1', 'node-2'] }] }], want: false },
    { name: 'matchFields and matchExpressions are ANDed', terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }], matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }], want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(nodeSelectorMatches(c.terms, node), c.want));
});

describe('requiredNodeAffinity', () => {
  const node = makeNode({ name: 'n', labels: { zone: 'a' } });
  const cases = [
    { name: 'no constraints', pod: makePod(), want: true },
    { name: 'nodeSelector matches', pod: makePod({ nodeSelector: { zone: 'a' } }), want: true },
    { name: 'nodeSelector does not match', pod: makePod({ nodeSelector: { zone: 'b' } }), want: false },
    {
      name: 'required affinity with no terms matches nothing',
      pod: makePod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }),
      want: false,
    },
    {
      name: 'nodeSelector and required affinity must both match',
      pod: makePod({
        nodeSelector: { zone: 'a' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }] } } },
      }),
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(requiredNodeAffinity(c.pod)(node), c.want));
});

describe('preferredTermsScore', () => {
  const node = makeNode({ name: 'n', labels: { zone: 'a', disk: 'ssd' } });
  it('sums the weights of the matching terms, skipping empty ones', () => {
    const score = preferredTermsScore(
      [
        { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        { weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] } },
        { weight: 7, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
        { weight: 9, preference: {} },
      ],
      node,
    );
    assert.equal(score, 9);
  });
});
