/**
 * Checkers for Raft's safety properties (Figure 3 of the paper), fed by the
 * simulator as members become leader and apply entries:
 * - election safety: at most one leader per term;
 * - log matching: entries with the same index and term are identical, and so
 *   are all entries before them;
 * - leader completeness: a new leader's log holds every entry already committed;
 * - state machine safety: no two members apply different entries at one index.
 */
import type { Entry, NodeId } from '../raft/types.js';

/** What the checkers need to see of a member's log. */
export interface LogView {
  readonly id: NodeId;
  firstIndex(): number;
  lastIndex(): number;
  /** The term of entry i, or undefined when it is not held (compacted or beyond the end). */
  term(i: number): number | undefined;
  /** Entry i, or undefined when it is not held. */
  entry(i: number): Entry | undefined;
}

/** A 32-bit FNV-1a hash of an entry's type and data, to compare entries cheaply. */
export function entryHash(e: Entry): number {
  let h = 0x811c9dc5 ^ e.type;
  for (const b of e.data) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Accumulates the history of leaders and applied entries and reports violations. */
export class RaftInvariants {
  readonly violations: string[] = [];
  private leaders = new Map<number, NodeId>();
  // index -> the entry first applied there (applied implies committed)
  private applied = new Map<number, { term: number; hash: number; by: NodeId }>();

  private fail(msg: string): void {
    if (this.violations.length < 20) this.violations.push(msg);
  }

  /** A member became leader of `term`; its log must hold every committed entry. */
  onLeader(term: number, log: LogView): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== log.id) {
      this.fail(`election safety: members ${prev} and ${log.id} are both leader of term ${term}`);
    }
    this.leaders.set(term, log.id);
    const first = log.firstIndex();
    for (const [index, a] of this.applied) {
      if (index < first) continue; // covered by the leader's snapshot
      const t = log.term(index);
      if (t !== a.term) {
        this.fail(
          `leader completeness: leader ${log.id} of term ${term} lacks committed entry ${index} (term ${a.term}); it has ${t === undefined ? 'nothing' : `term ${t}`}`,
        );
      }
    }
  }

  /** A member applied entry e. */
  onApply(id: NodeId, e: Entry): void {
    const h = entryHash(e);
    const a = this.applied.get(e.index);
    if (!a) {
      this.applied.set(e.index, { term: e.term, hash: h, by: id });
    } else if (a.term !== e.term || a.hash !== h) {
      this.fail(
        `state machine safety: member ${id} applied entry ${e.index} term ${e.term} but member ${a.by} applied term ${a.term} there (hashes ${h} vs ${a.hash})`,
      );
    }
  }

  /** Checks log matching across every pair of logs. */
  checkLogMatching(logs: readonly LogView[]): void {
    for (let x = 0; x < logs.length; x++) {
      for (let y = x + 1; y < logs.length; y++) {
        const a = logs[x];
        const b = logs[y];
        if (a && b) this.checkPair(a, b);
      }
    }
  }

  private checkPair(a: LogView, b: LogView): void {
    const lo = Math.max(a.firstIndex(), b.firstIndex());
    const hi = Math.min(a.lastIndex(), b.lastIndex());
    // the highest index where both hold an entry of the same term ...
    let top = hi;
    while (top >= lo && a.term(top) !== b.term(top)) top--;
    // ... and every entry up to it must be identical
    for (let i = top; i >= lo; i--) {
      const ea = a.entry(i);
      const eb = b.entry(i);
      if (!ea || !eb) continue;
      if (ea.term !== eb.term || entryHash(ea) !== entryHash(eb)) {
        this.fail(
          `log matching: members ${a.id} and ${b.id} agree on entry ${top} (term ${a.term(top)}) but differ at ${i} (terms ${ea.term} and ${eb.term})`,
        );
        return;
      }
    }
  }
}
