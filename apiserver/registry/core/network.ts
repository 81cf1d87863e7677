/**
 * Addresses for services, endpoints and nodes: the IP and CIDR checks of
 * Kubernetes' validation with its messages (IsValidIP, IsValidCIDR,
 * ValidateNonSpecialIP), and this cluster's service address and node port
 * ranges (kube-apiserver's --service-cluster-ip-range 10.96.0.0/12 and
 * --service-node-port-range 30000-32767) with a deterministic allocation in
 * them: the same seed (an object's uid) always yields the same value, so a
 * service written again without its allocated values gets them back.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { invalid } from '../../api/meta.js';
import type { FieldError } from '../errors.js';

/** The service address range, as kube-apiserver reports it in allocation errors. */
export const SERVICE_CIDR = '10.96.0.0/12';
/** The node port range, inclusive. */
export const NODE_PORTS = { min: 30000, max: 32767 } as const;

const SERVICE_BASE = ipv4ToInt('10.96.0.0')!;
const SERVICE_SIZE = 1 << 20; // a /12
// Kubernetes keeps the low end of each range for addresses and ports users
// ask for; allocation picks from above it
const SERVICE_DYNAMIC_FIRST = 257;
const SERVICE_DYNAMIC_LAST = SERVICE_SIZE - 2; // below the broadcast address
const NODE_PORT_DYNAMIC_FIRST = NODE_PORTS.min + 86;

/** A Go string slice as `%#v` prints it: `[]string{"a", "b"}`, or `[]string(nil)`. */
export function goSlice(values: readonly string[] | null | undefined, type = 'string'): string {
  if (!values) return `[]${type}(nil)`;
  return `[]${type}{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** 4 or 6 for an IP address (an IPv4-mapped IPv6 address counts as IPv4, as Go's To4 does); undefined when it is none. */
export function ipFamily(value: string): 4 | 6 | undefined {
  if (value.includes('%')) return undefined; // Go's parser takes no zones
  const v = isIP(value);
  if (v === 4) return 4;
  if (v === 6) return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(value) ? 4 : 6;
  return undefined;
}

/** `field: Invalid value: "x": must be a valid IP address...` when `value` is not one. */
export function validIP(field: string, value: string): FieldError[] {
  return ipFamily(value) ? [] : [invalid(field, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

/** Whether `value` is a CIDR (an address, a slash and a prefix length within the family's bits). */
export function isCIDR(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const v = isIP(ip);
  if (v === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (v === 4 ? 32 : 128);
}

/** The family of a CIDR's address, or undefined when it is not a CIDR. */
export function cidrFamily(value: string): 4 | 6 | undefined {
  return isCIDR(value) ? ipFamily(value.slice(0, value.indexOf('/'))) : undefined;
}

/** `field: Invalid value: "x": must be a valid CIDR value...` when `value` is not one. */
export function validCIDR(field: string, value: string): FieldError[] {
  return isCIDR(value) ? [] : [invalid(field, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/**
 * ValidateNonSpecialIP: an address endpoints and external IPs may not use
 * (unspecified, loopback, link-local unicast or multicast).
 */
export function nonSpecialIP(field: string, value: string): FieldError[] {
  const bytes = ipBytes(value);
  if (!bytes) return [invalid(field, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v4 = bytes.length === 4;
  const [b0 = 0, b1 = 0, b2 = 0] = bytes;
  if (bytes.every((b) => b === 0)) errs.push(invalid(field, value, `may not be unspecified (${value})`));
  if (v4 ? b0 === 127 : bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) {
    errs.push(invalid(field, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  }
  if (v4 ? b0 === 169 && b1 === 254 : b0 === 0xfe && (b1 & 0xc0) === 0x80) {
    errs.push(invalid(field, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  }
  if (v4 ? b0 === 224 && b1 === 0 && b2 === 0 : b0 === 0xff && (b1 & 0x0f) === 0x02) {
    errs.push(invalid(field, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  }
  return errs;
}

/** An address's bytes: 4 for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. */
function ipBytes(value: string): number[] | undefined {
  const fam = ipFamily(value);
  if (fam === 4) {
    const v4 = value.slice(value.lastIndexOf(':') + 1);
    return v4.split('.').map(Number);
  }
  if (fam !== 6) return undefined;
  let text = value;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1]!.split('.').map(Number);
    tail.push(a, b, c, d);
    text = `${text.slice(0, dotted.index)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = rest === undefined ? [] : groups(rest);
  const words = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function ipv4ToInt(value: string): number | undefined {
  if (isIP(value) !== 4) return undefined;
  return value.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** A number from `seed`, the same on every call. */
function hashed(seed: string): number {
  return createHash('sha256').update(seed).digest().readUIntBE(0, 6);
}

/** Whether `ip` is an address the service range can hand out (not its network or broadcast address). */
export function serviceIPInRange(ip: string): boolean {
  const n = ipv4ToInt(ip.replace(/^::ffff:/i, ''));
  if (n === undefined) return false;
  const offset = n - SERVICE_BASE;
  return offset >= 1 && offset <= SERVICE_SIZE - 2;
}

/** The service address for `seed` (a service's uid), from the dynamic part of the range. */
export function allocateServiceIP(seed: string): string {
  const span = SERVICE_DYNAMIC_LAST - SERVICE_DYNAMIC_FIRST + 1;
  return intToIPv4(SERVICE_BASE + SERVICE_DYNAMIC_FIRST + (hashed(seed) % span));
}

/** Whether `port` is in the node port range. */
export function nodePortInRange(port: number): boolean {
  return port >= NODE_PORTS.min && port <= NODE_PORTS.max;
}

/** The node port for `seed`, from the dynamic part of the range, skipping those in `used` (and adding it to them). */
export function allocateNodePort(seed: string, used: Set<number>): number {
  const span = NODE_PORTS.max - NODE_PORT_DYNAMIC_FIRST + 1;
  const start = hashed(seed) % span;
  for (let i = 0; i < span; i++) {
    const port = NODE_PORT_DYNAMIC_FIRST + ((start + i) % span);
    if (!used.has(port)) {
      used.add(port);
      return port;
    }
  }
  return 0; // the range is used up (a service with thousands of ports): validation reports the port
}
