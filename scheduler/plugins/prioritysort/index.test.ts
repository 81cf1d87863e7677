import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueuedPodInfo } from '../../framework/interface.js';
import { makePod } from '../testing.js';
import { newPrioritySort } from './index.js';

function queued(priority: number | undefined, timestamp: number): QueuedPodInfo {
  const pod = priority === undefined ? makePod() : makePod({ priority });
  return { pod, initialAttemptTimestamp: timestamp, timestamp, attempts: 0, unschedulablePlugins: new Set() };
}

describe('PrioritySort.less', () => {
  const cases = [
    { name: 'p1.priority less than p2.priority', a: queued(1, 0), b: queued(2, 0), want: false },
    { name: 'p1.priority greater than p2.priority', a: queued(2, 0), b: queued(1, 0), want: true },
    { name: 'equal priority. p1 is added to schedulingQ earlier than p2', a: queued(1, 10), b: queued(1, 20), want: true },
    { name: 'equal priority. p2 is added to schedulingQ earlier than p1', a: queued(1, 20), b: queued(1, 10), want: false },
    { name: 'unset priority counts as 0', a: queued(undefined, 0), b: queued(-1, 0), want: true },
  ];
  const plugin = newPrioritySort(undefined, undefined as never);
  for (const c of cases) it(c.name, () => assert.equal(plugin.less(c.a, c.b), c.want));
});
