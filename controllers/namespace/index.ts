/** The namespace controller as the controller manager registers it: kube-controller-manager's `namespace`, 10 workers (--concurrent-namespace-syncs). */
import type { Registration } from '../manager.js';
import { NamespaceController } from './controller.js';

export { NamespaceController, type NamespaceControllerOptions } from './controller.js';

/** What the manager runs under `namespace`: the controller with kube's defaults (a 5 s delay before a deleted namespace's first pass). */
export const namespaceRegistration: Registration = { factory: (ctx) => new NamespaceController(ctx), workers: 10 };
