/** The garbage collector as the controller manager registers it: kube-controller-manager's `garbage-collector`, 20 workers (--concurrent-gc-syncs). */
import type { Registration } from '../manager.js';
import { GarbageCollector } from './garbagecollector.js';

export { GarbageCollector, type GarbageCollectorOptions } from './garbagecollector.js';

/** What the manager runs under `garbage-collector`: the collector with kube's defaults. */
export const garbageCollectorRegistration: Registration = { factory: (ctx) => new GarbageCollector(ctx), workers: 20 };
