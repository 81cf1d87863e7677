/**
 * The controllers kubeling's controller manager can run, by
 * kube-controller-manager's names, with its default worker counts.
 */
import type { Registration } from './manager.js';

/** Every controller, in the order they start. */
export const CONTROLLERS: ReadonlyMap<string, Registration> = new Map<string, Registration>([]);
