/** The Raft core's public surface. */
export * from './types.js';
export * from './storage.js';
export { Rand } from './rand.js';
export { Raft, StateType, ProposalDroppedError, type Config } from './raft.js';
export { RawNode, type Ready, type SoftState, type Status } from './rawnode.js';
export type { ReadState } from './readonly.js';
export { ProgressState } from './tracker.js';
export { bootstrapState } from './bootstrap.js';
export { coalesceAppends } from './coalesce.js';
