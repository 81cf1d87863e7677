/**
 * endpointslices (discovery.k8s.io/v1): a service's endpoints in slices, as
 * the endpointslice controller (or a user, for a service without a
 * selector) writes them.
 *
 * - Defaults (SetDefaults_EndpointPort): a port's name "" and protocol TCP.
 * - Kubernetes' JSON writes `endpoints` and `ports` even when empty, as
 *   null, and an endpoint's `conditions` always; so does this.
 * - deprecatedTopology is dropped: only discovery.k8s.io/v1beta1 may write
 *   it (kube's dropTopologyOnV1), and v1beta1 is not served.
 * - Generation: 1 on create; an update bumps it when anything but metadata
 *   changes, or the labels do.
 * - Validation as ValidateEndpointSliceCreate / Update, with Kubernetes'
 *   paths and messages: addressType required and IPv4, IPv6 or FQDN (and
 *   immutable); at most 1000 endpoints, each with 1 to 100 addresses valid
 *   for the address type (IPv4 and IPv6 not unspecified, loopback or
 *   link-local), a node name that is a DNS subdomain, a hostname that is a
 *   DNS label, at most 8 zone hints with unique label-value names; at most
 *   20000 ports with unique names (DNS labels), a protocol among SCTP, TCP
 *   and UDP, an appProtocol that is a qualified name. Port numbers are not
 *   range-checked (nor are they by Kubernetes).
 */
import type { Endpoint, EndpointPort, EndpointSlice } from '../../api/discovery/v1.js';
import { EndpointSlice as EndpointSliceSchema } from '../../api/discovery/v1.js';
import { dns1123Label, dns1123Subdomain, invalid, labelValue, qualifiedName, required, validateMeta, type KubeObject } from '../../api/meta.js';
import type { FieldError } from '../errors.js';
import { endpointSlicePrinter } from '../printers/discovery.js';
import type { Strategy } from '../strategy.js';
import { IMMUTABLE, duplicate, notSupported, tooMany } from '../core/fielderrors.js';
import { ipFamily, nonSpecialIP } from '../core/network.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_ZONE_HINTS = 8;

const slice = (obj: KubeObject) => obj as unknown as EndpointSlice;

/** Sets the defaults and drops what a v1 write may not set; see the file comment. */
export function defaultEndpointSlice(obj: KubeObject): void {
  const s = slice(obj);
  for (const p of s.ports ?? []) {
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
  for (const ep of s.endpoints ?? []) {
    delete ep.deprecatedTopology;
    ep.conditions ??= {};
  }
  if (!s.endpoints?.length) s.endpoints = null;
  if (!s.ports?.length) s.ports = null;
}

/** ValidateEndpointSlice, and on update ValidateEndpointSliceUpdate's immutable addressType. */
export function validateEndpointSlice(obj: KubeObject, old?: KubeObject): FieldError[] {
  const s = slice(obj);
  const addressType = s.addressType ?? '';
  const errs = validateMeta(obj.metadata, dns1123Subdomain);
  if (!addressType) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(addressType)) errs.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  errs.push(...validateEndpoints(s.endpoints ?? [], addressType), ...validatePorts(s.ports ?? []));
  if (old && (slice(old).addressType ?? '') !== addressType) errs.push(invalid('addressType', addressType, IMMUTABLE));
  return errs;
}

/** An address's errors for the slice's address type (an unknown type checks nothing). */
function validateAddress(address: string, addressType: string, path: string): FieldError[] {
  switch (addressType) {
    case 'IPv4':
    case 'IPv6': {
      const want = addressType === 'IPv4' ? 4 : 6;
      const errs = ipFamily(address) === want ? [] : [invalid(path, address, `must be a valid ${addressType} address`)];
      return [...errs, ...nonSpecialIP(path, address)];
    }
    case 'FQDN':
      return fullyQualifiedDomainName(address, path);
    default:
      return [];
  }
}

/** IsFullyQualifiedDomainName: a DNS subdomain (a trailing dot allowed) of at least two labels. */
function fullyQualifiedDomainName(value: string, path: string): FieldError[] {
  if (value === '') return [required(path)];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const subdomain = dns1123Subdomain(name);
  if (subdomain.length > 0) return [invalid(path, name, subdomain.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) return [invalid(path, name, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const e = dns1123Label(label);
    if (e.length > 0) return [invalid(path, label, e.join(','))];
  }
  return [];
}

function validateEndpoints(endpoints: Endpoint[], addressType: string): FieldError[] {
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany('endpoints', endpoints.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  endpoints.forEach((ep, i) => {
    const path = `endpoints[${i}]`;
    const addresses = ep.addresses ?? [];
    if (addresses.length === 0) errs.push(required(`${path}.addresses`, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(tooMany(`${path}.addresses`, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => errs.push(...validateAddress(a, addressType, `${path}.addresses[${j}]`)));
    if (ep.nodeName != null) errs.push(...dns1123Subdomain(ep.nodeName).map((e) => invalid(`${path}.nodeName`, ep.nodeName, e)));
    if (ep.hostname != null) errs.push(...dns1123Label(ep.hostname).map((e) => invalid(`${path}.hostname`, ep.hostname, e)));
    if (ep.hints != null) errs.push(...validateHints(ep.hints.forZones ?? [], `${path}.hints.forZones`));
  });
  return errs;
}

function validateHints(forZones: { name?: string | undefined }[], path: string): FieldError[] {
  if (forZones.length > MAX_ZONE_HINTS) return [tooMany(path, forZones.length, MAX_ZONE_HINTS)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  forZones.forEach((z, i) => {
    const name = z.name ?? '';
    const p = `${path}[${i}].name`;
    if (seen.has(name)) errs.push(duplicate(p, name));
    seen.add(name);
    errs.push(...labelValue(name).map((e) => invalid(p, name, e)));
  });
  return errs;
}

function validatePorts(ports: EndpointPort[]): FieldError[] {
  if (ports.length > MAX_PORTS) return [tooMany('ports', ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `ports[${i}]`;
    const name = p.name ?? '';
    if (name) errs.push(...dns1123Label(name).map((e) => invalid(`${path}.name`, name, e)));
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    names.add(name);
    if (p.protocol == null) errs.push(required(`${path}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    if (p.appProtocol != null) errs.push(...qualifiedName(p.appProtocol).map((e) => invalid(`${path}.appProtocol`, p.appProtocol, e)));
  });
  return errs;
}

/** A label change is a new generation too (the generic store counts the rest). */
function prepareUpdate(obj: KubeObject, old: KubeObject): void {
  const m = obj.metadata;
  const was = old.metadata.generation ?? 1;
  if ((m.generation ?? was) === was && !sameLabels(m.labels, old.metadata.labels)) m.generation = was + 1;
}

function sameLabels(a: Record<string, string> | null | undefined, b: Record<string, string> | null | undefined): boolean {
  const [ka, kb] = [Object.keys(a ?? {}), Object.keys(b ?? {})];
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b ?? {}, k) && b![k] === a![k]);
}

/** discovery.k8s.io/v1 endpointslices: namespaced, no short names, a generation, no status. */
export const endpointslices = {
  info: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', singular: 'endpointslice', namespaced: true },
  schema: EndpointSliceSchema,
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  prepareUpdate,
  hasGeneration: true,
  printer: endpointSlicePrinter,
} satisfies Strategy;
