/**
 * The MVCC store's domain errors. No gRPC or HTTP here: each error carries a
 * stable `code` (and InvalidRequestError a `kind`) that the edges switch on
 * exhaustively, and etcd's message text without the "etcdserver: " prefix,
 * which the gRPC edge adds (etcd's mvcc errors keep their "mvcc: " prefix,
 * as etcd's wire messages do: "etcdserver: mvcc: required revision ...").
 */

/** Every code an {@link MvccError} can carry. */
export type MvccErrorCode =
  | 'Compacted'
  | 'FutureRevision'
  | 'LeaseNotFound'
  | 'LeaseExists'
  | 'LeaseExpired'
  | 'NotPrimary'
  | 'KeyNotFound'
  | 'InvalidRequest'
  | 'WatcherRangeEmpty'
  | 'DuplicateWatchId'
  | 'Corrupt';

/** The base of every domain error; switch on `code` (see {@link AnyMvccError}). */
export abstract class MvccError extends Error {
  abstract readonly code: MvccErrorCode;
}

/** A read, watch or compaction asked for a revision that compaction has removed. */
export class CompactedError extends MvccError {
  readonly code = 'Compacted';
  /** The store's compact revision when the request was refused. */
  readonly compactRevision: number;
  constructor(compactRevision: number) {
    super('mvcc: required revision has been compacted');
    this.name = 'CompactedError';
    this.compactRevision = compactRevision;
  }
}

/** A read, hash or compaction asked for a revision the store has not reached. */
export class FutureRevisionError extends MvccError {
  readonly code = 'FutureRevision';
  /** The store's revision when the request was refused. */
  readonly currentRevision: number;
  constructor(currentRevision: number) {
    super('mvcc: required revision is a future revision');
    this.name = 'FutureRevisionError';
    this.currentRevision = currentRevision;
  }
}

/** The lease does not exist (never granted, revoked or expired). */
export class LeaseNotFoundError extends MvccError {
  readonly code = 'LeaseNotFound';
  readonly leaseId: number;
  constructor(leaseId: number) {
    super('requested lease not found');
    this.name = 'LeaseNotFoundError';
    this.leaseId = leaseId;
  }
}

/** A grant named a lease id that is already in use. */
export class LeaseExistsError extends MvccError {
  readonly code = 'LeaseExists';
  readonly leaseId: number;
  constructor(leaseId: number) {
    super('lease already exists');
    this.name = 'LeaseExistsError';
    this.leaseId = leaseId;
  }
}

/**
 * A renewal reached the primary lessor after the lease expired but before its
 * revocation was applied. etcd makes the renewal wait for the revocation and
 * then answers LeaseNotFound (or NotPrimary if leadership is lost meanwhile);
 * the server may do the same or answer LeaseNotFound at once.
 */
export class LeaseExpiredError extends MvccError {
  readonly code = 'LeaseExpired';
  readonly leaseId: number;
  constructor(leaseId: number) {
    super('requested lease not found');
    this.name = 'LeaseExpiredError';
    this.leaseId = leaseId;
  }
}

/** Only the leader's (primary) lessor keeps lease time; renewals go to it. */
export class NotPrimaryError extends MvccError {
  readonly code = 'NotPrimary';
  constructor() {
    super('not a primary lessor');
    this.name = 'NotPrimaryError';
  }
}

/**
 * A put with ignoreValue or ignoreLease found no key to take them from, or a
 * txn op had no request set (etcd answers both with "key not found").
 */
export class KeyNotFoundError extends MvccError {
  readonly code = 'KeyNotFound';
  constructor() {
    super('key not found');
    this.name = 'KeyNotFoundError';
  }
}

/** Why a request was refused before it touched the store. */
export type InvalidRequestKind =
  | 'EmptyKey'
  | 'TooManyOps'
  | 'DuplicateKey'
  | 'LeaseTTLTooLarge'
  | 'ValueProvided'
  | 'LeaseProvided';

/** etcd's message for each kind, without the "etcdserver: " prefix. */
export const INVALID_REQUEST_MESSAGES: Readonly<Record<InvalidRequestKind, string>> = {
  EmptyKey: 'key is not provided',
  TooManyOps: 'too many operations in txn request',
  DuplicateKey: 'duplicate key given in txn request',
  LeaseTTLTooLarge: 'too large lease TTL',
  ValueProvided: 'value is provided',
  LeaseProvided: 'lease is provided',
};

/**
 * A malformed request. etcd answers every kind with InvalidArgument except
 * LeaseTTLTooLarge, which is OutOfRange: the edge switches on `kind`.
 */
export class InvalidRequestError extends MvccError {
  readonly code = 'InvalidRequest';
  readonly kind: InvalidRequestKind;
  constructor(kind: InvalidRequestKind, message: string = INVALID_REQUEST_MESSAGES[kind]) {
    super(message);
    this.name = 'InvalidRequestError';
    this.kind = kind;
  }
}

/** A watch on [key, rangeEnd) with key >= rangeEnd. */
export class WatcherRangeEmptyError extends MvccError {
  readonly code = 'WatcherRangeEmpty';
  constructor() {
    super('mvcc: watcher range is empty');
    this.name = 'WatcherRangeEmptyError';
  }
}

/** A watch asked for an id that is in use on its stream. */
export class DuplicateWatchIdError extends MvccError {
  readonly code = 'DuplicateWatchId';
  readonly watchId: number;
  constructor(watchId: number) {
    super('mvcc: duplicate watch ID provided on the WatchStream');
    this.name = 'DuplicateWatchIdError';
    this.watchId = watchId;
  }
}

/** A store file or snapshot that is not a kubeling MVCC database, or is damaged. */
export class MvccCorruptError extends MvccError {
  readonly code = 'Corrupt';
  constructor(what: string, reason: string) {
    super(`${what}: ${reason}`);
    this.name = 'MvccCorruptError';
  }
}

/** The union of every domain error, discriminated by `code`, for exhaustive switches. */
export type AnyMvccError =
  | CompactedError
  | FutureRevisionError
  | LeaseNotFoundError
  | LeaseExistsError
  | LeaseExpiredError
  | NotPrimaryError
  | KeyNotFoundError
  | InvalidRequestError
  | WatcherRangeEmptyError
  | DuplicateWatchIdError
  | MvccCorruptError;

/** Narrows an unknown thrown value to a domain error. */
export function isMvccError(e: unknown): e is AnyMvccError {
  return e instanceof MvccError;
}
