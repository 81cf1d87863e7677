/**
 * The API's errors as the client reports them: an `ApiError` for every
 * answer that is not 2xx (and for a watch's ERROR event), carrying the
 * Status the server sent (or one made from the HTTP code when the body was
 * not a Status), and predicates as apimachinery's `errors.IsNotFound` ...
 * Transport failures (refused connections, timeouts) are plain Errors.
 */
import type { Status } from './types.js';

/** An API answer that is not a success: its Status (code, reason, message, details). */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? `${status.code} ${status.reason ?? ''}`.trim());
    this.name = 'ApiError';
  }

  /** The HTTP code (404, 409, 410 ...). */
  get code(): number {
    return this.status.code;
  }

  /** The Status reason (NotFound, AlreadyExists, Conflict, Expired ...), '' if none. */
  get reason(): string {
    return this.status.reason ?? '';
  }
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 406: 'NotAcceptable',
  409: 'Conflict', 410: 'Gone', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError',
  503: 'ServiceUnavailable', 504: 'Timeout',
};

/** The Status of an answer: its body when that is a Status, else one made from the code and the text. */
export function statusFrom(code: number, body: string): Status {
  try {
    const s = JSON.parse(body) as Partial<Status>;
    if (s && s.kind === 'Status' && typeof s.code === 'number') return s as Status;
  } catch {
    // not JSON: fall through
  }
  const reason = REASONS[code] ?? 'Unknown';
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: body.trim() || `the server answered ${code} ${reason}` };
}

function is(e: unknown, code: number, reason?: string): boolean {
  return e instanceof ApiError && (e.code === code || (reason !== undefined && e.reason === reason));
}

/** 404 NotFound. */
export const isNotFound = (e: unknown): boolean => is(e, 404, 'NotFound');
/** 409 AlreadyExists (a create of a name taken). */
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.reason === 'AlreadyExists';
/** 409 Conflict (a stale resourceVersion), not AlreadyExists. */
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason !== 'AlreadyExists';
/** 410 Gone or Expired: a resourceVersion or continue token too old; list again. */
export const isGone = (e: unknown): boolean => is(e, 410, 'Expired') || (e instanceof ApiError && e.reason === 'Gone');
/** 422 Invalid. */
export const isInvalid = (e: unknown): boolean => is(e, 422, 'Invalid');
/** 401 or 403. */
export const isForbidden = (e: unknown): boolean => is(e, 403, 'Forbidden') || is(e, 401, 'Unauthorized');
