/**
 * Authentication, as kube-apiserver does it: each request is offered to the
 * authenticators in turn (client certificate, then bearer token); the first
 * that knows the caller names the user. A request no authenticator accepts
 * is answered 401 Unauthorized by the HTTP layer (anonymous requests are not
 * allowed, as kube-apiserver with --anonymous-auth=false).
 *
 * - Client certificates: the TLS layer verifies the chain against the client
 *   CA (--client-ca-file); the subject's CN is the user name and each O a group.
 * - Bearer tokens: `Authorization: Bearer <token>`, or, for WebSockets (a
 *   browser cannot set headers there), the subprotocol
 *   `base64url.bearer.authorization.k8s.io.<token in base64url>`, checked
 *   against a static token file (--token-auth-file), or service account
 *   tokens (serviceaccount.ts).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { withAuthenticated, type UserInfo } from './user.js';

/** Names the user of a request, or undefined when it does not know the caller. */
export type Authenticator = (req: IncomingMessage) => UserInfo | undefined | Promise<UserInfo | undefined>;

/** The first user any of `authenticators` names, asked in order. */
export function union(...authenticators: Authenticator[]): (req: IncomingMessage) => Promise<UserInfo | undefined> {
  return async (req) => {
    for (const a of authenticators) {
      const user = await a(req);
      if (user) return user;
    }
    return undefined;
  };
}

/**
 * The user of each TLS connection's client certificate, worked out once per
 * connection: a connection's certificate never changes, and reading it
 * (getPeerCertificate builds a new object each time) cost 4% of a busy API
 * server's time when done per request. `null`: no user.
 */
const certificateUsers = new WeakMap<object, UserInfo | null>();

/** The user of a client certificate the TLS layer verified against the client CA. */
export const x509 = (req: IncomingMessage): UserInfo | undefined => {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || !socket.authorized || !socket.getPeerCertificate) return undefined;
  let user = certificateUsers.get(socket);
  if (user === undefined) {
    user = certificateUser(socket.getPeerCertificate().subject as Record<string, string | string[] | undefined> | undefined);
    certificateUsers.set(socket, user);
  }
  return user ?? undefined;
};

/** The user a certificate's subject names: CN the user, each O a group; null without a CN. */
function certificateUser(subject: Record<string, string | string[] | undefined> | undefined): UserInfo | null {
  const cn = subject?.CN;
  if (typeof cn !== 'string' || cn === '') return null;
  const o = subject?.O;
  return { username: cn, groups: withAuthenticated(o === undefined ? [] : Array.isArray(o) ? o : [o]) };
}

/** The subprotocol prefix that carries a bearer token on a WebSocket upgrade. */
const WS_BEARER = 'base64url.bearer.authorization.k8s.io.';

/** The bearer token of a request: its Authorization header, or on a WebSocket upgrade, its subprotocol. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : undefined;
  }
  for (const p of (req.headers['sec-websocket-protocol'] ?? '').split(',')) {
    const t = p.trim();
    if (t.startsWith(WS_BEARER)) return Buffer.from(t.slice(WS_BEARER.length), 'base64url').toString('utf8');
  }
  return undefined;
}

/** A static token file is malformed. */
export class TokenFileError extends Error {}

/**
 * Reads a token file in kube-apiserver's --token-auth-file format: CSV lines
 * `token,user,uid[,"group1,group2"]`. Throws TokenFileError naming the line.
 */
export function readTokenFile(path: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const cols = csvLine(line.replace(/\r$/, ''));
      if (cols.length < 3) throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${cols.length} on line ${i + 1}`);
      const [token, username, uid, groups] = cols as [string, string, string, string | undefined];
      if (token === '') throw new TokenFileError(`token file '${path}': line ${i + 1} has an empty token`);
      if (users.has(token)) throw new TokenFileError(`token file '${path}': line ${i + 1} repeats a token`);
      const g = (groups ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      users.set(token, { username, ...(uid ? { uid } : {}), groups: withAuthenticated(g) });
    });
  return users;
}

/** One CSV line's fields (double quotes around a field may hold commas; "" is a quote). */
function csvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (; i < line.length; i++) {
        if (line[i] === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (line[i] === '"') {
          i++;
          break;
        } else field += line[i];
      }
    }
    const comma = line.indexOf(',', i);
    field += comma < 0 ? line.slice(i) : line.slice(i, comma);
    out.push(field);
    if (comma < 0) return out;
    i = comma + 1;
  }
}

/** The users of bearer tokens in `tokens` (token → user). */
export function tokens(users: ReadonlyMap<string, UserInfo>): (req: IncomingMessage) => UserInfo | undefined {
  return (req) => {
    const t = bearerToken(req);
    return t === undefined ? undefined : users.get(t);
  };
}
