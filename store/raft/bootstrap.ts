/**
 * Bootstrapping a new cluster, as etcd does it: the initial membership is
 * written into the log as committed ConfChange entries at term 1, so that a
 * member added later learns the whole membership by replaying the log.
 */
import { EntryType, encodeConfChange, type Entry, type HardState, type NodeId } from './types.js';

/** The log and hard state every founding member starts with. Persist both before creating the RawNode. */
export function bootstrapState(
  voters: readonly NodeId[],
  /** Per member, the context of its ConfChange (the driver keeps its address there). */
  contexts?: ReadonlyMap<NodeId, string>,
): { entries: Entry[]; hardState: HardState } {
  if (voters.length === 0) throw new Error('bootstrap needs at least one voter');
  const sorted = [...voters].sort((a, b) => a - b);
  const entries: Entry[] = sorted.map((id, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: 'addNode', nodeId: id, ...(contexts?.has(id) ? { context: contexts.get(id) } : {}) }),
  }));
  return { entries, hardState: { term: 1, vote: 0, commit: entries.length } };
}
