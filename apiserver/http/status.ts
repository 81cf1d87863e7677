/**
 * The edge's one mapping table: registry errors → Kubernetes Status objects
 * with the reason and code that kubectl prints.
 */
import type { Duplex } from 'node:stream';
import {
  AlreadyExistsError,
  ApplyConflictError,
  BadRequestError,
  ConflictError,
  ExpiredError,
  TooLargeResourceVersionError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnavailableError,
  UnprocessableError,
} from '../registry/errors.js';

/** metav1.Status */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason: string; message: string; field?: string }[]; retryAfterSeconds?: number };
  code: number;
}

/** An error that is already a Status (a protocol-level refusal, such as an unsupported media type). */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

/** A failure Status. */
export function failure(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** The Status of a path that names nothing the server serves. */
export function notFound(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource');
}

/** The Status of a request without valid credentials (kube-apiserver's 401). */
export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

/** `configmaps` → { kind: 'configmaps' }, `deployments.apps` → { group: 'apps', kind: 'deployments' } (and kinds alike: `Deployment.apps`) */
function resourceDetails(qualified: string, name: string): Status['details'] {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { name, kind: qualified } : { name, group: qualified.slice(dot + 1), kind: qualified.slice(0, dot) };
}

/** The Status of an error thrown while serving a request. */
export function statusOf(e: unknown): Status {
  if (e instanceof StatusError) return e.status;
  if (e instanceof NotFoundError) return failure(404, 'NotFound', e.message, resourceDetails(e.resource, e.objectName));
  if (e instanceof AlreadyExistsError) return failure(409, 'AlreadyExists', e.message, resourceDetails(e.resource, e.objectName));
  if (e instanceof ApplyConflictError) return failure(409, 'Conflict', e.message, { causes: e.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: c.message, field: c.field })) });
  if (e instanceof ConflictError) return failure(409, 'Conflict', e.message, resourceDetails(e.resource, e.objectName));
  if (e instanceof InvalidError) {
    return failure(422, 'Invalid', e.message, {
      ...resourceDetails(e.kind, e.objectName),
      causes: e.causes.map((c) => ({ reason: c.type, message: c.message.slice(c.field.length + 2), field: c.field })),
    });
  }
  if (e instanceof ForbiddenError) {
    return failure(403, 'Forbidden', e.message, { ...resourceDetails(e.resource, e.objectName), ...(e.causes.length ? { causes: e.causes.map((c) => ({ ...c })) } : {}) });
  }
  if (e instanceof BadRequestError) return failure(400, 'BadRequest', e.message);
  if (e instanceof UnprocessableError) return failure(422, 'Invalid', e.message);
  if (e instanceof ExpiredError) return failure(410, 'Expired', e.message);
  if (e instanceof TooLargeResourceVersionError) {
    return failure(504, 'Timeout', e.message, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
  }
  if (e instanceof UnavailableError) return failure(503, 'ServiceUnavailable', e.message);
  return failure(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`);
}

/** Answers a refused WebSocket upgrade with `st` (the connection is still raw HTTP) and closes the connection. */
export function endWithStatus(socket: Duplex, st: Status): void {
  const body = JSON.stringify(st);
  socket.end(`HTTP/1.1 ${st.code} ${st.reason ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
