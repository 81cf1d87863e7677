/**
 * The columns of services and endpoints. The server always fills the wide
 * cells, so a load balancer's addresses are never shortened here.
 */
import type { Endpoints, Service } from '../../api/core/service.js';
import type { KubeObject } from '../../api/meta.js';
import { AGE, NAME, age, column, type Printer } from '../printer.js';
import { formatLabels } from './format.js';

/** A load balancer's ingress points (IP, else hostname), sorted and without duplicates, joined by commas. */
function loadBalancerAddresses(svc: Service): string {
  const seen = new Set<string>();
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip) seen.add(ing.ip);
    else if (ing.hostname) seen.add(ing.hostname);
  }
  return [...seen].sort().join(',');
}

/** The External-IP cell: externalIPs, a load balancer's addresses (`<pending>` before it has any), an ExternalName's name. */
function externalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** `80/TCP`, `80:30080/TCP` with a node port, joined by commas; `<none>` without ports. */
function ports(svc: Service): string {
  const list = (svc.spec?.ports ?? []).map((p) => (p.nodePort && p.nodePort > 0 ? `${p.port ?? 0}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port ?? 0}/${p.protocol ?? ''}`));
  return list.length > 0 ? list.join(',') : '<none>';
}

/** services: Name, Type, Cluster-IP, External-IP, Port(s), Age; wide: Selector. */
export const servicePrinter: Printer = {
  columns: [
    NAME,
    column('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'string', "The service's cluster IP address."),
    column('External-IP', 'string', 'Addresses the service is reachable at from outside the cluster.'),
    column('Port(s)', 'string', 'The ports the service exposes.'),
    AGE,
    column('Selector', 'string', 'The labels of the pods the service sends traffic to.', 1),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const svc = obj as unknown as Service;
    const spec = svc.spec ?? {};
    return [
      svc.metadata.name ?? '',
      spec.type ?? '',
      spec.clusterIPs?.[0] || spec.clusterIP || '<none>',
      externalIP(svc),
      ports(svc),
      age(svc.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};

/** How many endpoints the Endpoints cell lists before it says `+ N more...`. */
const SHOWN = 3;

/** An address and port as Go's net.JoinHostPort writes them (`[::1]:80` for IPv6). */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The first three ready endpoints (`ip:port`, or `ip` for a subset without ports), `+ N more...`, or `<none>`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const portList = ss.ports ?? [];
    if (portList.length === 0) {
      // a headless service's endpoints need no port
      count += addresses.length;
      for (const a of addresses) if (shown.length < SHOWN) shown.push(a.ip ?? '');
      continue;
    }
    for (const p of portList) {
      count += addresses.length;
      for (const a of addresses) if (shown.length < SHOWN) shown.push(hostPort(a.ip ?? '', p.port ?? 0));
    }
  }
  const list = shown.join(',');
  return count > SHOWN ? `${list} + ${count - SHOWN} more...` : list;
}

/** endpoints: Name, Endpoints, Age. */
export const endpointsPrinter: Printer = {
  columns: [NAME, column('Endpoints', 'string', 'The ready addresses and ports of the endpoints.'), AGE],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ep = obj as unknown as Endpoints;
    return [ep.metadata.name ?? '', formatEndpoints(ep), age(ep.metadata.creationTimestamp, now)];
  },
};
