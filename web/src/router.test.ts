import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { href, parseHash } from './router.js';

describe('router', () => {
  it('parses hash routes with their query', () => {
    const r = parseHash('#/store?key=%2Fregistry%2Fpods%2Fdefault%2Fweb&revision=5');
    assert.equal(r.name, 'store');
    assert.equal(r.params.get('key'), '/registry/pods/default/web');
    assert.equal(r.params.get('revision'), '5');
    assert.equal(parseHash('#/raft').name, 'raft');
    assert.equal(parseHash('').name, 'cluster');
    assert.equal(parseHash('#/nope?x=1').name, 'cluster');
  });

  it('builds hashes that parse back', () => {
    const h = href('flow', { pod: 'default/web-1', object: undefined });
    assert.equal(h, '#/flow?pod=default%2Fweb-1');
    assert.equal(parseHash(h).params.get('pod'), 'default/web-1');
    assert.equal(href('raft'), '#/raft');
  });
});
