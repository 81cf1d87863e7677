/**
 * The one table from domain errors to the wire (STYLE.md item 7): etcd's
 * gRPC codes and messages, as etcd 3.4's v3rpc/rpctypes spells them.
 */
import { MvccError, type AnyMvccError } from '../mvcc/errors.js';
import { ProposalDroppedError } from '../raft/index.js';
import { GrpcError, Status } from './grpc/status.js';
import { NoLeaderError, RequestTimeoutError, StoppedError } from './member.js';

/** Errors of the server itself (membership, leadership, sizes). */
export class ServerError extends Error {
  constructor(
    readonly kind:
      | 'RequestTooLarge'
      | 'MemberNotFound'
      | 'PeerURLExists'
      | 'MemberNotLearner'
      | 'LearnerNotReady'
      | 'NotLeader'
      | 'BadLeaderTransferee'
      | 'NotSupportedForLearner'
      | 'LeaderChanged'
      | 'Unhealthy'
      | 'NotEnoughStartedMembers'
      | 'BadURLs',
    message: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

const SERVER: Record<ServerError['kind'], Status> = {
  RequestTooLarge: Status.INVALID_ARGUMENT,
  MemberNotFound: Status.NOT_FOUND,
  PeerURLExists: Status.FAILED_PRECONDITION,
  MemberNotLearner: Status.FAILED_PRECONDITION,
  LearnerNotReady: Status.FAILED_PRECONDITION,
  NotLeader: Status.FAILED_PRECONDITION,
  BadLeaderTransferee: Status.FAILED_PRECONDITION,
  NotSupportedForLearner: Status.UNAVAILABLE,
  LeaderChanged: Status.UNAVAILABLE,
  Unhealthy: Status.UNAVAILABLE,
  NotEnoughStartedMembers: Status.FAILED_PRECONDITION,
  BadURLs: Status.INVALID_ARGUMENT,
};

function mvccStatus(e: AnyMvccError): Status {
  switch (e.code) {
    case 'Compacted':
    case 'FutureRevision':
      return Status.OUT_OF_RANGE;
    case 'LeaseNotFound':
      return Status.NOT_FOUND;
    case 'LeaseExists':
      return Status.FAILED_PRECONDITION;
    case 'LeaseExpired':
    case 'NotPrimary':
      return Status.UNAVAILABLE;
    case 'KeyNotFound':
      return Status.INVALID_ARGUMENT;
    case 'InvalidRequest':
      return e.kind === 'LeaseTTLTooLarge' ? Status.OUT_OF_RANGE : Status.INVALID_ARGUMENT;
    case 'WatcherRangeEmpty':
    case 'DuplicateWatchId':
      return Status.INVALID_ARGUMENT;
    case 'Corrupt':
      return Status.DATA_LOSS;
  }
}

/** Maps any error a handler meets to the GrpcError etcd would answer with. */
export function toWire(e: unknown): GrpcError {
  if (e instanceof GrpcError) return e;
  if (e instanceof MvccError) return new GrpcError(mvccStatus(e as AnyMvccError), `etcdserver: ${e.message}`);
  if (e instanceof ServerError) return new GrpcError(SERVER[e.kind], `etcdserver: ${e.message}`);
  if (e instanceof NoLeaderError || e instanceof ProposalDroppedError) return new GrpcError(Status.UNAVAILABLE, 'etcdserver: no leader');
  if (e instanceof RequestTimeoutError) return new GrpcError(Status.UNAVAILABLE, 'etcdserver: request timed out');
  if (e instanceof StoppedError) return new GrpcError(Status.UNAVAILABLE, 'etcdserver: server stopped');
  return new GrpcError(Status.UNKNOWN, e instanceof Error ? e.message : String(e));
}

/** Wraps a handler so that every error leaves it in etcd's form. */
export function wire<A extends unknown[], R>(f: (...args: A) => Promise<R> | R): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await f(...args);
    } catch (e) {
      throw toWire(e);
    }
  };
}
