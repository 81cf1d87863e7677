/**
 * The store's domain errors, as the registry sees them (whatever the
 * backend). The HTTP layer maps them to Kubernetes Status objects.
 */
import type { StoredValue } from './interface.js';

/** Base of the store's errors. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** create() of a key that exists. */
export class KeyExistsError extends StoreError {
  override name = 'KeyExistsError';
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}

/** update() or delete() of a key that does not exist. */
export class KeyNotFoundError extends StoreError {
  override name = 'KeyNotFoundError';
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

/** update() or delete() with an expected modRevision that is no longer the key's. */
export class RevisionConflictError extends StoreError {
  override name = 'RevisionConflictError';
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly current: StoredValue,
  ) {
    super(`key ${key} is at revision ${current.modRevision}, not ${expected}`);
  }
}

/** A read or watch at a revision that compaction has removed. */
export class CompactedError extends StoreError {
  override name = 'CompactedError';
  constructor(
    /** The store's compaction revision, when it said (a watch's cancel does; a read's error does not: 0). */
    readonly compactRevision: number,
    message = 'required revision has been compacted',
  ) {
    super(message);
  }
}

/** A read at a revision the store has not reached. */
export class FutureRevisionError extends StoreError {
  override name = 'FutureRevisionError';
  constructor(message = 'required revision is a future revision') {
    super(message);
  }
}

/** The store could not be reached, or did not answer in time. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
}
