/**
 * ReadIndex bookkeeping on the leader (Raft thesis §6.4): a read request is
 * stamped with the commit index when it arrives and released once a quorum
 * has answered a heartbeat sent after it, proving the leader was still the
 * leader at that moment. No log entry is written for a read.
 */
import type { Message, NodeId } from './types.js';

/** A read that may be served once the state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: string;
}

interface ReadIndexStatus {
  readonly req: Message;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/** Pending read requests, in arrival order, keyed by their context. */
export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  // invariant: queue holds exactly the keys of `pending`, oldest first
  private queue: string[] = [];

  /** Adds a request stamped with the leader's commit index. Duplicates are ignored. */
  addRequest(index: number, req: Message): void {
    const ctx = req.context ?? '';
    if (this.pending.has(ctx)) return;
    this.pending.set(ctx, { req, index, acks: new Set() });
    this.queue.push(ctx);
  }

  /** Records that `id` acknowledged the heartbeat carrying `ctx`; returns who has. */
  recvAck(id: NodeId, ctx: string): Set<NodeId> | undefined {
    const rs = this.pending.get(ctx);
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * Releases the request with `ctx` and every request queued before it (a
   * quorum acknowledging a later heartbeat confirms the earlier ones too).
   */
  advance(ctx: string): { req: Message; index: number }[] {
    const i = this.queue.indexOf(ctx);
    if (i < 0) return [];
    const done = this.queue.splice(0, i + 1);
    const out: { req: Message; index: number }[] = [];
    for (const c of done) {
      const rs = this.pending.get(c);
      this.pending.delete(c);
      if (rs) out.push({ req: rs.req, index: rs.index });
    }
    return out;
  }

  /** The context of the newest pending request, to piggyback on heartbeats. */
  lastPendingRequestCtx(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  size(): number {
    return this.queue.length;
  }
}
