/**
 * gRPC status codes, the error type handlers throw, and the two wire
 * mappings of a status: gRPC trailers (grpc-status, percent-encoded
 * grpc-message) and the HTTP status etcd's JSON gateway answers with.
 */

/** The standard gRPC status codes (grpc/doc/statuscodes.md). */
export enum Status {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/**
 * A failed call: what a handler throws to answer with a status, and what the
 * transport raises for protocol errors. The message reaches the client as is
 * (etcd's messages start with "etcdserver: ").
 */
export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  constructor(
    readonly code: Status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The status a thrown value stands for: a GrpcError as it is, anything else
 * as UNKNOWN with its message (what grpc-go does with a non-status error).
 */
export function toGrpcError(err: unknown): GrpcError {
  if (err instanceof GrpcError) return err;
  if (err instanceof Error) return new GrpcError(Status.UNKNOWN, err.message);
  return new GrpcError(Status.UNKNOWN, String(err));
}

/** The error a canceled call's signal carries (grpc-go's context.Canceled). */
export function cancelledError(): GrpcError {
  return new GrpcError(Status.CANCELLED, 'context canceled');
}

/** The error an expired call's signal carries (grpc-go's context.DeadlineExceeded). */
export function deadlineError(): GrpcError {
  return new GrpcError(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
}

/**
 * grpc-message encoding (PROTOCOL-HTTP2.md): bytes outside printable ASCII,
 * and '%', become %XX of their UTF-8 bytes.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The inverse of encodeGrpcMessage; malformed escapes are kept verbatim. */
export function decodeGrpcMessage(encoded: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const hex = encoded.slice(i + 1, i + 3);
    if (encoded[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The HTTP status etcd 3.4's gateway (grpc-gateway v1) answers each code
 * with. FAILED_PRECONDITION is 412, as the etcd 3.4.23 installed here (built
 * with grpc-gateway 1.6) answers; upstream release binaries (grpc-gateway
 * 1.9.5) answer 400. One line to change if we ever prefer the latter.
 */
export const HTTP_STATUS_OF: Readonly<Record<Status, number>> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 408,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 412,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

/** The HTTP status for a code; 500 for codes outside the table, as grpc-gateway does. */
export function httpStatusOf(code: number): number {
  return (HTTP_STATUS_OF as Record<number, number | undefined>)[code] ?? 500;
}
