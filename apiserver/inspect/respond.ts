/**
 * What the store and Raft parts of the inspection API share: errors as
 * Kubernetes Status objects (the store's domain errors mapped here, at this
 * edge, as http/status.ts maps the registry's), the admin check, query
 * parameters, and the WebSocket server of the `kubeling.ui` subprotocol.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, Response } from 'express';
import { WebSocketServer } from 'ws';
import type { UserInfo } from '../auth/user.js';
import { StatusError, endWithStatus, failure, statusOf, type Status } from '../http/status.js';
import { CompactedError, FutureRevisionError, KeyExistsError, KeyNotFoundError, RevisionConflictError, StoreUnavailableError } from '../storage/errors.js';
import { isAdmin } from './index.js';

/** The subprotocol the dashboard offers on its WebSockets (beside the bearer token's). */
export const UI_PROTOCOL = 'kubeling.ui';

/** A 400 BadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, 'BadRequest', message));
}

/** A 404 NotFound. */
export function notFoundStatus(message: string): StatusError {
  return new StatusError(failure(404, 'NotFound', message));
}

/** Throws 403 Forbidden unless `user` may change things through the dashboard (isAdmin). */
export function requireAdmin(user: UserInfo, action: string): void {
  if (!isAdmin(user)) throw new StatusError(failure(403, 'Forbidden', `user "${user.username}" cannot ${action}: only the group system:masters may`));
}

/** The Status of an error met while serving the inspection API: the store's errors by this table, the rest as http/status.ts maps them. */
export function inspectStatus(e: unknown): Status {
  if (e instanceof KeyNotFoundError) return failure(404, 'NotFound', `key ${e.key} not found`);
  if (e instanceof CompactedError) return failure(410, 'Expired', e.compactRevision > 0 ? `${e.message} (compacted at ${e.compactRevision})` : e.message);
  if (e instanceof FutureRevisionError) return failure(400, 'BadRequest', e.message);
  if (e instanceof KeyExistsError) return failure(409, 'AlreadyExists', e.message);
  if (e instanceof RevisionConflictError) return failure(409, 'Conflict', e.message);
  if (e instanceof StoreUnavailableError) return failure(503, 'ServiceUnavailable', e.message);
  return statusOf(e);
}

/** Answers with `s` as its code. */
export function sendStatus(res: Response, s: Status): void {
  res.status(s.code).json(s);
}

/** An express handler from an async one: what it throws is answered as a Status. */
export function handler(fn: (req: Request, res: Response) => Promise<void>): (req: Request, res: Response) => void {
  return (req, res) => {
    fn(req, res).catch((e: unknown) => sendStatus(res, inspectStatus(e)));
  };
}

/** Refuses an upgrade with the Status of `e`, and closes the connection. */
export function refuseUpgrade(socket: Duplex, e: unknown): void {
  endWithStatus(socket, inspectStatus(e));
}

/** A WebSocket server taking upgrades itself (noServer), choosing `kubeling.ui` when the client offers it (never the bearer token's subprotocol). */
export function uiWebSockets(): WebSocketServer {
  return new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(UI_PROTOCOL) ? UI_PROTOCOL : false) });
}

/** The query of an upgrade request. */
export function upgradeQuery(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

/** A query parameter as one string (the first when repeated); undefined when absent. */
export function param(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** A positive whole number parameter (a revision, a limit); undefined when absent, 400 when not one. */
export function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw badRequest(`${name} must be a positive whole number, not ${JSON.stringify(v)}`);
  return n;
}

/** How long a WebSocket client may fall behind (bytes queued) before it is closed. */
export const MAX_SOCKET_BACKLOG = 16 << 20;
