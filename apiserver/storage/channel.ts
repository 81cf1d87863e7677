/**
 * How EtcdStore reaches one store member: a narrow, bytes-only channel. Two
 * implementations: GrpcChannel (grpc-channel.ts: HTTP/2 to a kubeling store
 * or a real etcd) and the in-process channel of store/server/grpc/inproc.ts
 * (straight to a member's handler table, for the all-in-one mode; it is
 * structurally an EtcdChannel, since store/ may not import apiserver/).
 *
 * Contract, the same for both:
 * - messages are protobuf bytes of etcd's rpc.proto; the channel neither
 *   reads nor changes them, and a caller may not reuse a buffer it passed;
 * - a failure is a ChannelError: the gRPC status code and message the
 *   server answered with (etcd's "etcdserver: ..."), or one the channel made
 *   (UNAVAILABLE when nothing answers, DEADLINE_EXCEEDED, CANCELLED),
 *   marked `unsent` when the server cannot have seen the call;
 * - listeners are called asynchronously, never from inside the call that
 *   caused them (unary(), write(), cancel()).
 */

/** gRPC's status codes (grpc/doc/statuscodes.md). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A failed call, as @grpc/grpc-js's ServiceError carries it. */
export interface ChannelError extends Error {
  /** The gRPC status code. */
  readonly code: number;
  /** The status message as the server sent it (grpc-message), without the code prefix of `message`. */
  readonly details: string;
  /**
   * True when the call never reached the server: no connection, the channel
   * closed, or the server refused the stream unread (REFUSED_STREAM). Such a
   * call may be sent again, a write too (gRPC's transparent retry).
   */
  readonly unsent?: boolean;
}

/** True when `e` carries a gRPC status code (a ChannelError). */
export function isChannelError(e: unknown): e is ChannelError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'number';
}

/** What a bidirectional stream reports; see the module comment for when. */
export interface StreamListener {
  /** One response message. */
  data(message: Uint8Array): void;
  /** The call ended with a status other than OK (after cancel(): CANCELLED). At most once; nothing follows it. */
  error(err: ChannelError): void;
  /** The call ended with OK, after every message. At most once, and never after error. */
  end(): void;
}

/** A bidirectional call in progress. */
export interface ChannelStream {
  /** Sends one request message; ignored once the call is over. */
  write(message: Uint8Array): void;
  /** Ends the call from this side: the server sees CANCELLED, the listener gets error(CANCELLED) if nothing ended it before. */
  cancel(): void;
}

/** One member, as EtcdStore reaches it. */
export interface EtcdChannel {
  /**
   * One unary call of `path` (/etcdserverpb.KV/Range): resolves with the
   * response bytes, or rejects with a ChannelError (DEADLINE_EXCEEDED once
   * `deadline`, epoch ms, has passed).
   */
  unary(path: string, request: Uint8Array, deadline: number): Promise<Uint8Array>;
  /** Opens a bidirectional call of `path` (/etcdserverpb.Watch/Watch) reporting to `listener`; no deadline. */
  bidi(path: string, listener: StreamListener): ChannelStream;
  /** Closes the channel: later calls fail; calls in progress may fail with CANCELLED or UNAVAILABLE. Idempotent. */
  close(): void;
}
