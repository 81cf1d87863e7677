/**
 * etcd 3.4's JSON gateway (grpc-gateway v1): POST /v3/... with a JSON body,
 * dispatched in-process to the same handler table the gRPC server serves.
 * etcd routes the gateway through a loopback gRPC connection; here a request
 * takes the same path without the socket: JSON → message → protobuf (the
 * receive limit applies to its size) → decoded message → handler, and the
 * response goes protobuf → JSON, so both edges see identical messages.
 *
 * Wire behaviour copied from etcd 3.4.23 (checked with curl against it):
 * - unary: 200 {json} with Content-Type application/json and
 *   Grpc-Metadata-Content-Type: application/grpc; a handler error answers
 *   {"error":m,"message":m,"code":c} with the HTTP status of HTTP_STATUS_OF,
 *   chunked, with trailer Grpc-Trailer-Content-Type; a body that does not
 *   parse answers the same body with code 3 (400), Go's error text;
 * - streams (/v3/watch, /v3/lease/keepalive, /v3/maintenance/snapshot):
 *   the body is a sequence of JSON requests (newline-delimited in practice);
 *   each response is a line {"result":{...}}; an error ends the stream with
 *   {"error":{"grpc_code","http_code","message","http_status"}}. A bad
 *   first request of a bidi stream answers 500 code 2 (as etcd), a bad later
 *   one half-closes the request stream;
 * - unknown /v3/ path: 404 "Not Found"; known path, not POST: 405;
 *   /v3beta/ is rewritten to /v3/; CORS headers as etcd's default --cors=*.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MethodInfo } from './codec.js';
import { DEFAULT_MAX_RECEIVE_BYTES } from './framing.js';
import { GatewayCall } from './gateway-call.js';
import type { Handlers } from './handlers.js';

/** An HTTP/1.1 request (HTTP/2 requests reach the gateway as HTTP/1.1: h2/http1-bridge.ts). */
export type HttpRequest = IncomingMessage;
/** An HTTP/1.1 response. */
export type HttpResponse = ServerResponse;
/** A request listener. */
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void;

/** Options of createGateway. */
export interface GatewayOptions {
  /** The largest request message (as protobuf); default etcd's 1.5 MiB + 512 KiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Requests outside /v3/ (the member's /health, /version ...); default a Go-style 404. */
  readonly fallback?: HttpHandler;
  /** etcd's default CORS headers on every response, and 200 to OPTIONS; default true. */
  readonly cors?: boolean;
}

/**
 * POST path → gRPC method, as etcd 3.4's google.api.http annotations bind
 * them. /v3/maintenance/hashkv is etcd 3.5's binding (3.4 binds HashKV to
 * /v3/maintenance/hash too, where Hash wins: HashKV is unreachable there).
 */
export const GATEWAY_ROUTES: ReadonlyMap<string, string> = new Map([
  ['/v3/kv/range', '/etcdserverpb.KV/Range'],
  ['/v3/kv/put', '/etcdserverpb.KV/Put'],
  ['/v3/kv/deleterange', '/etcdserverpb.KV/DeleteRange'],
  ['/v3/kv/txn', '/etcdserverpb.KV/Txn'],
  ['/v3/kv/compaction', '/etcdserverpb.KV/Compact'],
  ['/v3/watch', '/etcdserverpb.Watch/Watch'],
  ['/v3/lease/grant', '/etcdserverpb.Lease/LeaseGrant'],
  ['/v3/lease/revoke', '/etcdserverpb.Lease/LeaseRevoke'],
  ['/v3/kv/lease/revoke', '/etcdserverpb.Lease/LeaseRevoke'],
  ['/v3/lease/keepalive', '/etcdserverpb.Lease/LeaseKeepAlive'],
  ['/v3/lease/timetolive', '/etcdserverpb.Lease/LeaseTimeToLive'],
  ['/v3/kv/lease/timetolive', '/etcdserverpb.Lease/LeaseTimeToLive'],
  ['/v3/lease/leases', '/etcdserverpb.Lease/LeaseLeases'],
  ['/v3/kv/lease/leases', '/etcdserverpb.Lease/LeaseLeases'],
  ['/v3/cluster/member/add', '/etcdserverpb.Cluster/MemberAdd'],
  ['/v3/cluster/member/remove', '/etcdserverpb.Cluster/MemberRemove'],
  ['/v3/cluster/member/update', '/etcdserverpb.Cluster/MemberUpdate'],
  ['/v3/cluster/member/list', '/etcdserverpb.Cluster/MemberList'],
  ['/v3/cluster/member/promote', '/etcdserverpb.Cluster/MemberPromote'],
  ['/v3/maintenance/alarm', '/etcdserverpb.Maintenance/Alarm'],
  ['/v3/maintenance/status', '/etcdserverpb.Maintenance/Status'],
  ['/v3/maintenance/defragment', '/etcdserverpb.Maintenance/Defragment'],
  ['/v3/maintenance/hash', '/etcdserverpb.Maintenance/Hash'],
  ['/v3/maintenance/hashkv', '/etcdserverpb.Maintenance/HashKV'],
  ['/v3/maintenance/snapshot', '/etcdserverpb.Maintenance/Snapshot'],
  ['/v3/maintenance/transfer-leadership', '/etcdserverpb.Maintenance/MoveLeader'],
  ['/v3/auth/enable', '/etcdserverpb.Auth/AuthEnable'],
  ['/v3/auth/disable', '/etcdserverpb.Auth/AuthDisable'],
  ['/v3/auth/authenticate', '/etcdserverpb.Auth/Authenticate'],
  ['/v3/auth/user/add', '/etcdserverpb.Auth/UserAdd'],
  ['/v3/auth/user/get', '/etcdserverpb.Auth/UserGet'],
  ['/v3/auth/user/list', '/etcdserverpb.Auth/UserList'],
  ['/v3/auth/user/delete', '/etcdserverpb.Auth/UserDelete'],
  ['/v3/auth/user/changepw', '/etcdserverpb.Auth/UserChangePassword'],
  ['/v3/auth/user/grant', '/etcdserverpb.Auth/UserGrantRole'],
  ['/v3/auth/user/revoke', '/etcdserverpb.Auth/UserRevokeRole'],
  ['/v3/auth/role/add', '/etcdserverpb.Auth/RoleAdd'],
  ['/v3/auth/role/get', '/etcdserverpb.Auth/RoleGet'],
  ['/v3/auth/role/list', '/etcdserverpb.Auth/RoleList'],
  ['/v3/auth/role/delete', '/etcdserverpb.Auth/RoleDelete'],
  ['/v3/auth/role/grant', '/etcdserverpb.Auth/RoleGrantPermission'],
  ['/v3/auth/role/revoke', '/etcdserverpb.Auth/RoleRevokePermission'],
]);

/** Writes a plain-text answer as Go's http.Error does. */
export function plainError(res: HttpResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${text}\n`);
}

/** The gateway's request listener (for HTTP/1.1, and for HTTP/2 as GrpcServer's fallback). */
export function createGateway(handlers: Handlers, options: GatewayOptions = {}): HttpHandler {
  const maxBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  const cors = options.cors ?? true;
  const methods = new Map<string, MethodInfo>();
  for (const [route, path] of GATEWAY_ROUTES) {
    const method = handlers.codec.method(path);
    if (!method) throw new Error(`gateway route ${route}: no method ${path} in the protos`);
    methods.set(route, method);
  }
  return (req, res) => {
    req.on('error', () => {}); // a reset request: the call sees 'close'
    if (cors) {
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, DELETE');
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Headers', 'accept, content-type, authorization');
      if (req.method === 'OPTIONS') {
        res.writeHead(200);
        res.end();
        return;
      }
    }
    let path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/v3beta/')) path = `/v3/${path.slice('/v3beta/'.length)}`;
    if (!path.startsWith('/v3/')) {
      if (options.fallback) options.fallback(req, res);
      else plainError(res, 404, '404 page not found');
      return;
    }
    const method = methods.get(path);
    if (!method) return plainError(res, 404, 'Not Found');
    if (req.method !== 'POST') return plainError(res, 405, 'Method Not Allowed');
    void new GatewayCall(req, res, method, handlers, maxBytes).run();
  };
}
