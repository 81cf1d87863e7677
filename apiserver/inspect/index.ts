/**
 * The dashboard's server side (web/README.md has the contract): the static
 * dashboard under /ui/, and the inspection API under /ui/api/ for what the
 * Kubernetes API does not show: the store's keys and revisions (store.ts),
 * the Raft members (raft.ts), and the flow of writes and watch events
 * (flow.ts). Each part registers its routes and WebSockets here; the HTTP
 * layer sees one UiServer.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';
import type { UserInfo } from '../auth/user.js';
import type { WriteObserver } from '../http/observe.js';
import type { UiServer } from '../http/server.js';
import { endWithStatus, notFound } from '../http/status.js';

/** A WebSocket endpoint under /ui/api/: its path (without the query), and what takes the upgrade. */
export interface UiSocket {
  readonly path: string;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, user: UserInfo): void;
}

/** One part of the dashboard's server side. */
export interface UiPart {
  /** Mounts its routes (under /ui/) on `app`. */
  routes?(app: express.Express): void;
  /** Its WebSocket endpoints. */
  readonly sockets?: readonly UiSocket[];
  /** Told of the API's writes and watch events (the flow recorder: UiServer.observer). */
  readonly observer?: WriteObserver;
}

/** Whether `user` may change things through the dashboard (group system:masters, as kube's cluster-admin binding). */
export function isAdmin(user: UserInfo): boolean {
  return user.groups.includes('system:masters');
}

/**
 * The UiServer made of `parts`: their routes in order; each upgrade goes to
 * the part that serves its path, or is refused 404; the parts' observers
 * (if any) told of every write and watch event.
 */
export function uiServer(parts: readonly UiPart[]): UiServer {
  const sockets = new Map(parts.flatMap((p) => p.sockets ?? []).map((s) => [s.path, s]));
  const observers = parts.flatMap((p) => (p.observer ? [p.observer] : []));
  const observer: WriteObserver | undefined =
    observers.length <= 1
      ? observers[0]
      : {
          write: (w) => observers.forEach((o) => o.write(w)),
          delivered: (watcher, type, object) => observers.forEach((o) => o.delivered(watcher, type, object)),
        };
  return {
    ...(observer ? { observer } : {}),
    routes(app) {
      for (const p of parts) p.routes?.(app);
    },
    upgrade(req, socket, head, user) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const s = sockets.get(path);
      if (s) return s.upgrade(req, socket, head, user);
      endWithStatus(socket, notFound());
    },
  };
}
