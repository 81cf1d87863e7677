/** The namespace deletion conditions: what a pass reports, and how it merges with what the status holds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupDiscoveryFailedError } from '../../client/discovery.js';
import { ConditionUpdater, type NamespaceCondition } from './conditions.js';

const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';
const none = { byResource: new Map<string, number>(), byFinalizer: new Map<string, number>() };

describe('ConditionUpdater', () => {
  it('writes all five conditions False with their ok reasons after a clean pass', () => {
    const u = new ConditionUpdater(T1);
    u.contentTotals(none);
    const status: { conditions?: NamespaceCondition[] } = {};
    assert.equal(u.update(status), true);
    assert.deepEqual(status.conditions, [
      { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', lastTransitionTime: T1, reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
      { type: 'NamespaceDeletionGVParsingFailure', status: 'False', lastTransitionTime: T1, reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
      { type: 'NamespaceDeletionContentFailure', status: 'False', lastTransitionTime: T1, reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
      { type: 'NamespaceContentRemaining', status: 'False', lastTransitionTime: T1, reason: 'ContentRemoved', message: 'All content successfully removed' },
      { type: 'NamespaceFinalizersRemaining', status: 'False', lastTransitionTime: T1, reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    ]);
    const again = new ConditionUpdater(T2);
    again.contentTotals(none);
    assert.equal(again.update(status), false, 'nothing new: no write');
  });

  it('reports remaining content and finalizers sorted, failures joined, and moves lastTransitionTime only when the status flips', () => {
    const status: { conditions?: NamespaceCondition[] } = {};
    const clean = new ConditionUpdater(T1);
    clean.contentTotals(none);
    clean.update(status);
    const u = new ConditionUpdater(T2);
    u.discoveryFailed(new GroupDiscoveryFailedError(new Map([['apps/v1', new Error('timed out')]])));
    u.deleteContentFailed(new Error('b failed'));
    u.deleteContentFailed(new Error('a failed'));
    u.contentTotals({ byResource: new Map([['pods.', 2], ['deployments.apps', 1], ['secrets.', 0]]), byFinalizer: new Map([['example.com/hold', 1]]) });
    assert.equal(u.update(status), true);
    const by = (type: string) => status.conditions!.find((c) => c.type === type);
    assert.deepEqual(by('NamespaceDeletionDiscoveryFailure'), {
      type: 'NamespaceDeletionDiscoveryFailure',
      status: 'True',
      lastTransitionTime: T2,
      reason: 'DiscoveryFailed',
      message: 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: apps/v1: timed out',
    });
    assert.deepEqual(by('NamespaceDeletionContentFailure')?.message, 'Failed to delete all resource types, 2 remaining: a failed, b failed');
    assert.deepEqual(by('NamespaceContentRemaining'), {
      type: 'NamespaceContentRemaining',
      status: 'True',
      lastTransitionTime: T2,
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances',
    });
    assert.deepEqual(by('NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(by('NamespaceDeletionGVParsingFailure')?.lastTransitionTime, T1, 'unchanged');
    assert.equal(status.conditions!.length, 5);
  });
});
