import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SliceTracker } from './tracker.js';
import type { EndpointSlice } from './types.js';

const slice = (uid: string, generation: number): EndpointSlice => ({
  metadata: { name: `web-${uid}`, namespace: 'default', uid, generation, labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
});
const KEY = 'default/web';

describe('endpointslice tracker', () => {
  it('knows nothing of a service it never wrote for: never stale, every event syncs', () => {
    const t = new SliceTracker();
    assert.equal(t.stale(KEY, [slice('a', 1)]), false);
    assert.equal(t.shouldSync(slice('a', 1)), true);
  });

  it('a written slice is stale until the cache has it at that generation; its echo needs no sync', () => {
    const t = new SliceTracker();
    t.update(slice('a', 2));
    assert.equal(t.stale(KEY, []), true, 'not in the cache yet');
    assert.equal(t.stale(KEY, [slice('a', 1)]), true, 'an older copy');
    assert.equal(t.stale(KEY, [slice('a', 2)]), false);
    assert.equal(t.shouldSync(slice('a', 2)), false, 'its own write');
    assert.equal(t.shouldSync(slice('a', 3)), true, "someone else's change");
  });

  it('a deleted slice is stale while the cache still has it; a deletion not asked for calls for a sync', () => {
    const t = new SliceTracker();
    t.update(slice('a', 1));
    t.update(slice('b', 1));
    t.expectDeletion(slice('a', 1));
    assert.equal(t.stale(KEY, [slice('a', 1), slice('b', 1)]), true);
    assert.equal(t.stale(KEY, [slice('b', 1)]), false);
    assert.equal(t.handleDeletion(slice('a', 1)), true, 'asked for');
    assert.equal(t.handleDeletion(slice('b', 1)), false, 'not asked for');
    assert.equal(t.has(slice('b', 1)), false);
    assert.equal(t.stale(KEY, []), false, 'forgotten');
  });

  it('forgets a deleted service', () => {
    const t = new SliceTracker();
    t.update(slice('a', 1));
    t.deleteService(KEY);
    assert.equal(t.stale(KEY, []), false);
  });
});
