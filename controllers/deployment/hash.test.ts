/**
 * The pod-template-hash: FNV-1a, kube's safe alphabet, stable for
 * semantically equal templates, moved by the collision count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, semanticEqual } from '../internal/semantic.js';
import { computeHash, fnv32a, safeEncode } from './hash.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('the pod-template-hash', () => {
  it('FNV-1a (32 bits) of known strings', () => {
    assert.equal(fnv32a(bytes('')), 0x811c9dc5);
    assert.equal(fnv32a(bytes('a')), 0xe40c292c);
    assert.equal(fnv32a(bytes('foobar')), 0xbf9cf968);
  });
  it("maps decimal digits through kube's safe alphabet", () => assert.equal(safeEncode('0123456789'), '456789bcdf'));
  it('is the same for the same template, and for templates that differ only in absent fields', () => {
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const same = { spec: { containers: [{ image: 'nginx', name: 'c', ports: [] }] }, metadata: { labels: { app: 'web' }, annotations: {} } };
    assert.ok(semanticEqual(t, same));
    assert.equal(canonicalJson(t), canonicalJson(same));
    assert.equal(computeHash(t), computeHash(same));
    assert.match(computeHash(t), /^[456789bcdf]{1,10}$/);
    assert.notEqual(computeHash(t), computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }));
  });
  it('changes with the collision count', () => {
    const t = { metadata: { labels: { app: 'web' } } };
    const hashes = new Set([computeHash(t), computeHash(t, 0), computeHash(t, 1), computeHash(t, 2)]);
    assert.equal(hashes.size, 4);
    assert.equal(computeHash(t, null), computeHash(t));
  });
});
