/**
 * Controller expectations: counted down as the informer sees creates and
 * deletes, each expected pod deletion once, and given up after 5 minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.js';
import { EXPECTATIONS_TIMEOUT_MS, Expectations } from './expectations.js';

describe('Expectations', () => {
  it('a key without a record is satisfied', () => assert.equal(new Expectations(new FakeClock()).satisfied('ns/rs'), true));

  it('waits until every expected creation is seen', () => {
    const e = new Expectations(new FakeClock());
    e.expectCreations('ns/rs', 3);
    for (let i = 0; i < 2; i++) {
      e.creationObserved('ns/rs');
      assert.equal(e.satisfied('ns/rs'), false);
    }
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
    e.creationObserved('ns/rs'); // an extra add (someone else's pod adopted) only goes below zero
    assert.deepEqual(e.pending('ns/rs'), { add: -1, del: 0 });
    assert.equal(e.satisfied('ns/rs'), true);
  });

  it('counts each expected deletion once, whether seen marked for deletion or deleted, and no other', () => {
    const e = new Expectations(new FakeClock());
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a'); // marked for deletion
    e.deletionObserved('ns/rs', 'ns/a'); // then gone: already counted
    e.deletionObserved('ns/rs', 'ns/zzz'); // not one it deleted
    assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 1 });
    assert.equal(e.satisfied('ns/rs'), false);
    e.deletionObserved('ns/rs', 'ns/b');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  it('gives up after 5 minutes', () => {
    const clock = new FakeClock(1_000_000);
    const e = new Expectations(clock);
    e.expectCreations('ns/rs', 1);
    clock.step(EXPECTATIONS_TIMEOUT_MS);
    assert.equal(e.satisfied('ns/rs'), false, 'not at 5 minutes exactly');
    clock.step(1);
    assert.equal(e.satisfied('ns/rs'), true);
  });

  it('a new expectation replaces the last; delete forgets the key', () => {
    const e = new Expectations(new FakeClock());
    e.expectDeletions('ns/rs', ['ns/a']);
    e.expectCreations('ns/rs', 1);
    e.deletionObserved('ns/rs', 'ns/a');
    assert.deepEqual(e.pending('ns/rs'), { add: 1, del: 0 });
    e.delete('ns/rs');
    assert.equal(e.pending('ns/rs'), undefined);
    assert.equal(e.satisfied('ns/rs'), true);
  });
});
