/**
 * The controllers kubeling's controller manager can run, by
 * kube-controller-manager's names (1.28's, with the older ones as aliases),
 * with its default worker counts.
 */
import { garbageCollectorRegistration } from './garbagecollector/index.js';
import type { Registration } from './manager.js';
import { namespaceRegistration } from './namespace/index.js';
import { nodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/index.js';
import { taintEvictionController } from './nodelifecycle/tainteviction.js';

/** Settings from kube-controller-manager's flags. */
export type ControllerOptions = NodeLifecycleOptions;

/** Every controller, in the order they start, set up with `o`. */
export function controllers(o: ControllerOptions = {}): ReadonlyMap<string, Registration> {
  return new Map<string, Registration>([
    ['namespace-controller', { ...namespaceRegistration, aliases: ['namespace'] }],
    ['garbage-collector-controller', { ...garbageCollectorRegistration, aliases: ['garbagecollector'] }],
    ['node-lifecycle-controller', { ...nodeLifecycleController(o), aliases: ['nodelifecycle'] }],
    ['taint-eviction-controller', taintEvictionController],
  ]);
}

/** Every controller with kube's default settings. */
export const CONTROLLERS = controllers();
