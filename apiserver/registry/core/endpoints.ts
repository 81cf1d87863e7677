/**
 * endpoints: a service's addresses, as its endpoints controller (or a user,
 * for a service without a selector) writes them. Ports default to TCP.
 * Kubernetes repacks valid subsets into a canonical form after validation
 * (RepackSubsets): each address once, the addresses serving the same ports
 * in one subset, sorted by IP. Here that happens in defaults, only for
 * subsets that pass validation, so errors name the indexes the client sent.
 * (Kubernetes also orders ports and subsets by a hash of their Go form; this
 * keeps them in the order first seen.)
 */
import { Endpoints, type EndpointAddress, type EndpointPort, type EndpointSubset } from '../../api/core/service.js';
import { dns1123Label, dns1123Subdomain, invalid, qualifiedName, required, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import type { Strategy } from '../strategy.js';
import { notSupported, rangeError } from './fielderrors.js';
import { nonSpecialIP, validIP } from './network.js';
import { endpointsPrinter } from '../printers/services.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function subsetsOf(obj: KubeObject): EndpointSubset[] {
  return (obj.subsets ?? []) as EndpointSubset[];
}

/** Sets the endpoints' defaults: TCP ports, and the canonical layout of valid subsets. */
export function defaultEndpoints(obj: KubeObject): void {
  for (const ss of subsetsOf(obj)) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  if (obj.subsets && validateSubsets(subsetsOf(obj)).length === 0) obj.subsets = repack(subsetsOf(obj));
}

/** The endpoints' errors (ValidateEndpoints). */
export function validateEndpoints(obj: KubeObject): FieldError[] {
  return [...validateMeta(obj.metadata, dns1123Subdomain), ...validateSubsets(subsetsOf(obj))];
}

function validateSubsets(subsets: EndpointSubset[]): FieldError[] {
  const errs: FieldError[] = [];
  subsets.forEach((ss, i) => {
    const path = `subsets[${i}]`;
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) errs.push(required(path, 'must specify `addresses` or `notReadyAddresses`'));
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${path}.addresses[${j}]`)));
    (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${path}.notReadyAddresses[${j}]`)));
    const ports = ss.ports ?? [];
    ports.forEach((p, j) => errs.push(...validatePort(p, ports.length > 1, `${path}.ports[${j}]`)));
  });
  return errs;
}

function validateAddress(a: EndpointAddress, path: string): FieldError[] {
  const ip = a.ip ?? '';
  const errs = validIP(`${path}.ip`, ip);
  if (a.hostname) errs.push(...dns1123Label(a.hostname).map((e) => invalid(`${path}.hostname`, a.hostname, e)));
  if (a.nodeName != null) errs.push(...dns1123Subdomain(a.nodeName).map((e) => invalid(`${path}.nodeName`, a.nodeName, e)));
  errs.push(...nonSpecialIP(`${path}.ip`, ip));
  return errs;
}

function validatePort(p: EndpointPort, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = p.name ?? '';
  if (requireName && !name) errs.push(required(`${path}.name`));
  else if (name) errs.push(...dns1123Label(name).map((e) => invalid(`${path}.name`, name, e)));
  const port = p.port ?? 0;
  if (port < 1 || port > 65535) errs.push(invalid(`${path}.port`, port, rangeError(1, 65535)));
  if (!p.protocol) errs.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  if (p.appProtocol != null) errs.push(...qualifiedName(p.appProtocol).map((e) => invalid(`${path}.appProtocol`, p.appProtocol, e)));
  return errs;
}

/** An address's identity in a repack: its IP and the uid of the object behind it. */
const addressKey = (a: EndpointAddress) => JSON.stringify([a.ip ?? '', a.targetRef?.uid ?? '']);

/** LessEndpointAddress: by IP, then those without a target first, then by target uid. */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  const ip = Buffer.compare(Buffer.from(a.ip ?? ''), Buffer.from(b.ip ?? ''));
  if (ip !== 0) return ip;
  if (!a.targetRef || !b.targetRef) return (a.targetRef ? 1 : 0) - (b.targetRef ? 1 : 0);
  const [ua, ub] = [a.targetRef.uid ?? '', b.targetRef.uid ?? ''];
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** RepackSubsets: each address once, grouped by the set of ports it serves (not ready wins over ready). */
function repack(subsets: EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  // port (or none) → address key → ready
  const byPort = new Map<string, { port?: EndpointPort; ready: Map<string, boolean> }>();
  for (const ss of subsets) {
    const ports: (EndpointPort | undefined)[] = ss.ports?.length ? ss.ports : [undefined];
    for (const port of ports) {
      const id = port ? JSON.stringify([port.name ?? '', port.port ?? 0, port.protocol ?? '', port.appProtocol ?? null]) : '';
      let entry = byPort.get(id);
      if (!entry) byPort.set(id, (entry = port ? { port, ready: new Map() } : { ready: new Map() }));
      for (const [list, ready] of [[ss.addresses ?? [], true], [ss.notReadyAddresses ?? [], false]] as const) {
        for (const a of list) {
          const key = addressKey(a);
          if (!addresses.has(key)) addresses.set(key, a);
          if (entry.ready.get(key) !== false) entry.ready.set(key, ready);
        }
      }
    }
  }
  // ports served by the same addresses (with the same readiness) share a subset
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const id = JSON.stringify([...ready].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { ready, ports: [] }));
    if (port) group.ports.push(port);
  }
  return [...groups.values()].map(({ ready, ports }) => {
    const pick = (want: boolean) => [...ready].filter(([, r]) => r === want).map(([k]) => addresses.get(k)!).sort(compareAddresses);
    const out: EndpointSubset = {};
    const readyAddrs = pick(true);
    const notReady = pick(false);
    if (readyAddrs.length) out.addresses = readyAddrs;
    if (notReady.length) out.notReadyAddresses = notReady;
    if (ports.length) out.ports = ports;
    return out;
  });
}

/** The endpoints strategy. */
export const endpoints = {
  info: { group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] },
  schema: Endpoints,
  defaults: defaultEndpoints,
  validate: (obj) => validateEndpoints(obj),
  printer: endpointsPrinter,
} satisfies Strategy;
