/**
 * The registry's domain errors: what went wrong with a request, in
 * Kubernetes' terms but without HTTP (http/status.ts maps each to a Status).
 */

/** One invalid field: Kubernetes' StatusCause (`field`, `reason` such as FieldValueInvalid, `message`). */
export interface FieldError {
  readonly field: string;
  readonly type: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueDuplicate' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueNotFound';
  /** The whole message, as `field: Invalid value: "x": why`. */
  readonly message: string;
}

/** Base of the registry's errors. */
export class ApiError extends Error {
  override name = 'ApiError';
}

/** An error about one object, named by its group-qualified resource (`configmaps`, `deployments.apps`) and name. */
export class ObjectError extends ApiError {
  override name = 'ObjectError';
  constructor(
    readonly resource: string,
    readonly objectName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The object (or its namespace) does not exist. */
export class NotFoundError extends ObjectError {
  override name = 'NotFoundError';
  constructor(resource: string, objectName: string) {
    super(resource, objectName, `${resource} "${objectName}" not found`);
  }
}

/** create() of a name that exists. */
export class AlreadyExistsError extends ObjectError {
  override name = 'AlreadyExistsError';
  constructor(resource: string, objectName: string) {
    super(resource, objectName, `${resource} "${objectName}" already exists`);
  }
}

/** A write against a resourceVersion (or uid precondition) that is no longer current. */
export class ConflictError extends ObjectError {
  override name = 'ConflictError';
  constructor(resource: string, objectName: string, why = 'the object has been modified; please apply your changes to the latest version and try again') {
    super(resource, objectName, `Operation cannot be fulfilled on ${resource} "${objectName}": ${why}`);
  }
}

/** The object fails validation. */
export class InvalidError extends ApiError {
  override name = 'InvalidError';
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly causes: readonly FieldError[],
  ) {
    super(`${kind} "${objectName}" is invalid: ${causes.length === 1 ? causes[0]!.message : `[${causes.map((c) => c.message).join(', ')}]`}`);
  }
}

/** The request is well formed but cannot be carried out (a JSON patch whose operation fails). */
export class UnprocessableError extends ApiError {
  override name = 'UnprocessableError';
}

/** The request itself is malformed (a bad selector, a body of the wrong kind...). */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
}

/** A resourceVersion (or continue token) older than the store's history. */
export class ExpiredError extends ApiError {
  override name = 'ExpiredError';
}

/** A resourceVersion newer than the store has (Kubernetes answers 504 Timeout: the client may retry). */
export class TooLargeResourceVersionError extends ApiError {
  override name = 'TooLargeResourceVersionError';
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`Too large resource version: ${requested}, current: ${current}`);
  }
}

/** Why a request was refused, beyond its message (a Status cause: NamespaceTerminating ...). */
export interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

/** The request is refused while the object or its namespace is being deleted, or by policy. */
export class ForbiddenError extends ObjectError {
  override name = 'ForbiddenError';
  constructor(
    resource: string,
    objectName: string,
    readonly why: string,
    readonly causes: readonly Cause[] = [],
  ) {
    super(resource, objectName, `${resource} "${objectName}" is forbidden: ${why}`);
  }
}

/** The store is unreachable or too slow: the request may be retried. */
export class UnavailableError extends ApiError {
  override name = 'UnavailableError';
}

/** One field of an apply conflict: its path (`.data.key`) and its manager as Kubernetes prints it (`conflict with "kubectl" using v1`). */
export interface ApplyConflict {
  readonly field: string;
  readonly message: string;
}

/** A server-side apply would change fields other managers own (Kubernetes' 409 Conflict with FieldManagerConflict causes). */
export class ApplyConflictError extends ApiError {
  override name = 'ApplyConflictError';
  constructor(
    message: string,
    readonly conflicts: readonly ApplyConflict[],
  ) {
    super(message);
  }
}
