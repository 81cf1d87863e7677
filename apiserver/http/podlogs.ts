/**
 * pods/log: `GET /api/v1/namespaces/{ns}/pods/{name}/log`, as
 * kube-apiserver's LogREST serves it (pkg/registry/core/pod: LogLocation
 * and a LocationStreamer):
 *
 * 1. the pod is read; the container named by `container` must be one of
 *    its containers (init, regular or ephemeral), or BadRequest `container
 *    c is not valid for pod p`; unnamed, a pod of one container means that
 *    one, else BadRequest `a container name must be specified for pod p,
 *    choose one of: [a b]`;
 * 2. a pod on no node yet has no logs: the answer is empty (200), as
 *    kube-apiserver's (exec and attach, not logs, say `does not have a host
 *    assigned`);
 * 3. the node's kubelet endpoint is its first address by InternalIP,
 *    Hostname, ExternalIP, and status.daemonEndpoints.kubeletEndpoint.Port
 *    (10250 when unset); the request goes there, over plain HTTP, as
 *    `GET /containerLogs/{ns}/{pod}/{container}` with follow, previous,
 *    timestamps, sinceSeconds, sinceTime, tailLines and limitBytes;
 * 4. a 2xx answer is streamed back as text/plain (a follow flushes as it
 *    goes, and ends when the kubelet's answer ends or the caller goes);
 *    another is a Status as GenericHttpResponseChecker makes it: 400 →
 *    BadRequest with the kubelet's text, 500 → InternalError, others (404)
 *    → the code's reason with the text as a cause.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Express, Request, Response } from 'express';
import { invalid } from '../api/meta.js';
import { BadRequestError, InvalidError, type FieldError } from '../registry/errors.js';
import type { GenericStore } from '../registry/generic.js';
import { StatusError, failure, statusOf, type Status } from './status.js';

interface Named {
  name: string;
}

interface PodShape {
  metadata: { name?: string; namespace?: string };
  spec?: { nodeName?: string; containers?: Named[]; initContainers?: Named[]; ephemeralContainers?: Named[] };
}

interface NodeShape {
  status?: { addresses?: { type?: string; address?: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/** The address types tried in order (kube-apiserver's --kubelet-preferred-address-types, as kubeadm sets it). */
const ADDRESS_TYPES = ['InternalIP', 'Hostname', 'InternalDNS', 'ExternalIP', 'ExternalDNS'];
/** The kubelet's port when the Node does not say. */
const KUBELET_PORT = 10250;
/** How much of a failed answer is read into its Status. */
const MAX_ERROR_BODY = 4096;

/** Adds the pods/log route to `app` (before the generic resource routes). */
export function podLogRoute(app: Express, stores: readonly GenericStore[]): void {
  const pods = stores.find((s) => s.strategy.info.group === '' && s.strategy.info.resource === 'pods');
  const nodes = stores.find((s) => s.strategy.info.group === '' && s.strategy.info.resource === 'nodes');
  if (!pods || !nodes) return;
  app.get('/api/v1/namespaces/:namespace/pods/:name/log', (req: Request, res: Response) => {
    serve(pods, nodes, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, statusOf(e));
      else res.destroy();
    });
  });
}

function send(res: Response, s: Status): void {
  res.status(s.code).json(s);
}

/** The container asked for, checked against the pod (kube-apiserver's validateContainer). */
export function logContainer(pod: PodShape, container: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const spec = pod.spec ?? {};
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  if (container) {
    if (!all.includes(container)) throw new BadRequestError(`container ${container} is not valid for pod ${name}`);
    return container;
  }
  const regular = spec.containers ?? [];
  if (regular.length === 1) return regular[0]!.name;
  if (regular.length === 0) throw new BadRequestError(`a container name must be specified for pod ${name}`);
  throw new BadRequestError(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}

/** The kubelet's query from the request's (PodLogOptions), checked as kube-apiserver validates them. */
function kubeletQuery(name: string, q: Record<string, unknown>): URLSearchParams {
  const out = new URLSearchParams();
  const str = (k: string): string | undefined => (typeof q[k] === 'string' && q[k] !== '' ? q[k] : undefined);
  const bool = (k: string): boolean => str(k) === 'true' || str(k) === '1';
  for (const k of ['follow', 'previous', 'timestamps']) if (bool(k)) out.set(k, 'true');
  const errors: FieldError[] = [];
  for (const [k, min] of [['sinceSeconds', 1], ['tailLines', 0], ['limitBytes', 1]] as const) {
    const v = str(k);
    if (v === undefined) continue;
    const n = Number(v);
    if (!/^-?\d+$/.test(v)) throw new BadRequestError(`invalid ${k}: ${JSON.stringify(v)}: must be an integer`);
    if (n < min) errors.push(invalid(k, n, min === 0 ? 'must be greater than or equal to 0' : 'must be greater than 0'));
    else out.set(k, v);
  }
  const sinceTime = str('sinceTime');
  if (sinceTime !== undefined) {
    if (Number.isNaN(Date.parse(sinceTime))) throw new BadRequestError(`invalid sinceTime: ${JSON.stringify(sinceTime)}: must be RFC 3339`);
    if (out.has('sinceSeconds')) errors.push({ field: '', type: 'FieldValueForbidden', message: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
    out.set('sinceTime', sinceTime);
  }
  if (errors.length) throw new InvalidError('PodLogOptions', name, errors);
  return out;
}

async function serve(pods: GenericStore, nodes: GenericStore, req: Request, res: Response): Promise<void> {
  const { namespace, name } = req.params as { namespace: string; name: string };
  const q = req.query as Record<string, unknown>;
  const pod = (await pods.get(namespace, name)) as PodShape;
  const container = logContainer(pod, typeof q.container === 'string' ? q.container : undefined);
  const query = kubeletQuery(name, q);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return void res.status(200).type('text/plain').end();
  const node = (await nodes.cached(undefined, nodeName)) as NodeShape | undefined;
  if (!node) throw new StatusError(failure(404, 'NotFound', `nodes "${nodeName}" not found`, { name: nodeName, kind: 'nodes' }));
  const addresses = node.status?.addresses ?? [];
  const host = ADDRESS_TYPES.map((t) => addresses.find((a) => a.type === t && a.address)?.address).find((a) => a !== undefined);
  if (!host) throw new StatusError(failure(500, 'InternalError', `Internal error occurred: no preferred addresses found; known addresses: []`));
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || KUBELET_PORT;
  const e = encodeURIComponent;
  const path = `/containerLogs/${e(namespace)}/${e(name)}/${e(container)}${query.size ? `?${query.toString()}` : ''}`;
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = httpRequest({ hostname: host, port, path, method: 'GET' });
    r.on('response', resolve);
    r.on('error', (err) => reject(new StatusError(failure(500, 'InternalError', `Internal error occurred: Get "http://${host}:${port}${path}": ${err.message}`))));
    res.once('close', () => r.destroy());
    r.end();
  });
  const code = upstream.statusCode ?? 500;
  if (code < 200 || code > 206) throw new StatusError(failureOf(code, await readText(upstream), name));
  res.status(200);
  res.setHeader('Content-Type', 'text/plain');
  if (query.has('follow')) res.flushHeaders();
  upstream.on('data', (chunk: Buffer) => res.write(chunk));
  upstream.on('end', () => res.end());
  upstream.on('error', () => res.destroy());
  res.once('close', () => upstream.destroy());
}

/** The Status of a kubelet's failed answer (GenericHttpResponseChecker). */
function failureOf(code: number, text: string, name: string): Status {
  if (code === 400) return failure(400, 'BadRequest', text);
  if (code === 500) return failure(500, 'InternalError', `Internal error occurred: ${text}`);
  const known: Record<number, [string, string]> = {
    401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
    403: ['Forbidden', 'the server does not allow access to the requested resource'],
    404: ['NotFound', 'the server could not find the requested resource'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  };
  const [reason, what] = known[code] ?? ['InternalError', `the server responded with the status code ${code} but did not return more information`];
  return failure(code, reason, `${what} ( pods/log ${name})`, { name, kind: 'pods/log', causes: [{ reason: 'UnexpectedServerResponse', message: text }] });
}

function readText(r: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => {
      if (text.length < MAX_ERROR_BODY) text += c;
    });
    r.on('end', () => resolve(text.slice(0, MAX_ERROR_BODY)));
    r.on('error', () => resolve(text));
  });
}
