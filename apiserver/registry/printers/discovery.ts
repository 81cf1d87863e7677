/**
 * The columns of endpointslices (discovery.k8s.io/v1), as Kubernetes'
 * printers fill them: the first three ports and addresses joined by commas,
 * `+ N more...` past three, `<unset>` when there are none.
 */
import type { EndpointSlice } from '../../api/discovery/v1.js';
import type { KubeObject } from '../../api/meta.js';
import { AGE, NAME, age, column, type Printer } from '../printer.js';

/** How many ports or addresses a cell lists before it says `+ N more...`. */
const SHOWN = 3;

/** The first SHOWN items joined by commas, then `+ N more...`; `<unset>` for none. */
function listWithMore(items: readonly string[]): string {
  const list = items.slice(0, SHOWN).join(',');
  if (items.length > SHOWN) return `${list} + ${items.length - SHOWN} more...`;
  return list === '' ? '<unset>' : list;
}

/** A port's number, else its name, else `*`. */
function portCell(p: { name?: string | null; port?: number | null }): string {
  if (p.port != null) return String(p.port);
  return p.name ?? '*';
}

/** The Ports cell of a slice. */
export function formatSlicePorts(s: EndpointSlice): string {
  return listWithMore((s.ports ?? []).map(portCell));
}

/** The Endpoints cell of a slice: every endpoint's addresses, ready or not. */
export function formatSliceEndpoints(s: EndpointSlice): string {
  return listWithMore((s.endpoints ?? []).flatMap((ep) => ep.addresses ?? []));
}

/** endpointslices: Name, AddressType, Ports, Endpoints, Age. */
export const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    column('AddressType', 'string', 'The type of address the endpoints carry: IPv4, IPv6 or FQDN.'),
    column('Ports', 'string', 'The ports every endpoint of the slice serves.'),
    column('Endpoints', 'string', 'The addresses of the endpoints of the slice.'),
    AGE,
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const s = obj as unknown as EndpointSlice;
    return [s.metadata.name ?? '', s.addressType ?? '', formatSlicePorts(s), formatSliceEndpoints(s), age(s.metadata.creationTimestamp, now)];
  },
};
