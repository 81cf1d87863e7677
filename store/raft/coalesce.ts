/**
 * Merging a Ready's appends to the same follower.
 *
 * A leader that steps many proposals in one turn of its driver sends a
 * MsgApp per proposal to each follower, and each follower answers each one.
 * Two appends to the same peer where the second starts right where the
 * first ends say no more than one append carrying both runs of entries: the
 * follower checks the first one's (index, logTerm), appends everything, and
 * answers once with the last index, which the leader's inflight window frees
 * in one step. Merging never reorders messages to a peer: only a MsgApp that
 * directly follows another to the same peer in the Ready joins it.
 */
import { MessageType, type Entry, type Message } from './types.js';

function dataBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.length;
  return n;
}

/** True if `b` continues `a`: same peer and term, and b's previous entry is a's last. */
function continues(a: Message, b: Message): boolean {
  if (a.type !== MessageType.App || b.type !== MessageType.App || a.to !== b.to || a.term !== b.term) return false;
  if (a.snapshot || b.snapshot || a.context !== undefined || b.context !== undefined) return false;
  const last = a.entries.length > 0 ? a.entries[a.entries.length - 1] : undefined;
  const lastIndex = last ? last.index : a.index;
  const lastTerm = last ? last.term : a.logTerm;
  return b.index === lastIndex && b.logTerm === lastTerm;
}

/**
 * The same messages, with every MsgApp that continues the previous message
 * to its peer merged into it (entries concatenated, the later commit index),
 * as long as the merged entries' data stays within `maxBytes`.
 */
export function coalesceAppends(msgs: readonly Message[], maxBytes: number): Message[] {
  if (msgs.length < 2) return [...msgs];
  const out: Message[] = [];
  /** The last message to each peer, where it is in `out`, and its entry data size. */
  const lastTo = new Map<number, { at: number; m: Message; bytes: number }>();
  for (const m of msgs) {
    const prev = lastTo.get(m.to);
    if (prev && continues(prev.m, m)) {
      const bytes = prev.bytes + dataBytes(m.entries);
      if (bytes <= maxBytes) {
        prev.m = { ...prev.m, entries: [...prev.m.entries, ...m.entries], commit: Math.max(prev.m.commit, m.commit) };
        prev.bytes = bytes;
        out[prev.at] = prev.m;
        continue;
      }
    }
    lastTo.set(m.to, { at: out.length, m, bytes: dataBytes(m.entries) });
    out.push(m);
  }
  return out;
}
