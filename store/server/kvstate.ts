/**
 * The member's state machine: the MVCC store behind the driver's
 * StateMachine interface. Write requests travel through the Raft log as
 * KvProposals and are applied here at their index; the watch hub learns of
 * each write from the store itself.
 */
import { MvccError } from '../mvcc/errors.js';
import { MvccStore } from '../mvcc/store.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  TxnRequest,
  TxnResponse,
} from '../mvcc/types.js';
import type { LeaseGrantResponse, LeaseRevokeResponse } from '../mvcc/lease.js';
import { StateMachineFailure } from './member.js';
import type { StateMachine } from './member.js';

/** A write request as it is proposed through Raft. */
export type KvProposal =
  | { readonly put: PutRequest }
  | { readonly deleteRange: DeleteRangeRequest }
  | { readonly txn: TxnRequest }
  | { readonly compaction: CompactionRequest }
  | { readonly leaseGrant: { readonly id: number; readonly ttl: number } }
  | { readonly leaseRevoke: { readonly id: number } };

/** What applying each kind of proposal returns. */
export interface KvResult {
  put: PutResponse;
  deleteRange: DeleteRangeResponse;
  txn: TxnResponse;
  compaction: CompactionResponse;
  leaseGrant: LeaseGrantResponse;
  leaseRevoke: LeaseRevokeResponse;
}

/** The MVCC store as the driver's state machine. */
export class KvStateMachine implements StateMachine {
  constructor(readonly store: MvccStore) {}

  consistentIndex(): number {
    return this.store.consistentIndex();
  }

  apply(body: unknown, index: number): unknown {
    const p = body as KvProposal;
    try {
      if ('put' in p) return this.store.put(p.put, index).response;
      if ('deleteRange' in p) return this.store.deleteRange(p.deleteRange, index).response;
      if ('txn' in p) return this.store.txn(p.txn, index).response;
      if ('compaction' in p) return this.store.compact(p.compaction, index).response;
      if ('leaseGrant' in p) return this.store.leases.grant(p.leaseGrant.id, p.leaseGrant.ttl, index).response;
      if ('leaseRevoke' in p) return this.store.leases.revoke(p.leaseRevoke.id, index).response;
    } catch (e) {
      if (!(e instanceof MvccError)) throw new StateMachineFailure(`applying entry ${index}: ${String(e)}`, { cause: e });
      // a refused request is applied too (it changes nothing): never replay it.
      // The store records the index itself when it refuses with a domain error;
      // recording it again would throw and hide the error the client must see.
      if (this.store.consistentIndex() < index) this.store.markApplied(index);
      throw e;
    }
    this.store.markApplied(index);
    throw new Error(`unknown proposal ${JSON.stringify(Object.keys(p))}`);
  }

  batch<T>(f: () => T): T {
    return this.store.batch(f);
  }

  snapshotBytes(): Uint8Array {
    return this.store.snapshot();
  }

  restoreBytes(bytes: Uint8Array): void {
    // only move forward: a snapshot older than what we applied would go back in time
    if (MvccStore.consistentIndexOf(bytes) > this.store.consistentIndex()) this.store.restore(bytes);
  }

  sync(): void {
    this.store.sync();
  }
}
