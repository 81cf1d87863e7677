/**
 * Addresses for simulated nodes and their pods.
 *
 * - Pod CIDRs: each node picks a /24 of its own (as kubelet --pod-cidr
 *   does): the k-th /24 from 10.244.0.0, so 10.244.0.0/24, 10.244.1.0/24 ...
 *   10.244.255.0/24, 10.245.0.0/24 ... up to 10.255.255.0/24 (3,072 nodes).
 *   `PodCIDRs` hands out the lowest ones no Node in the cluster holds.
 * - Pod IPs: `PodIPs` hands out a node's .2 to .254 round robin (as CNI's
 *   host-local IPAM does: a freed address is not reused at once), one per
 *   pod uid; an adopted pod keeps the address it has.
 */

const BASE = ipToInt('10.244.0.0');
/** How many /24s there are from 10.244.0.0 to 10.255.255.0. */
export const MAX_POD_CIDRS = (ipToInt('10.255.255.0') - BASE) / 256 + 1;

/** An IPv4 address as a 32-bit number; NaN when it is not one. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) return NaN;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return NaN;
    n = n * 256 + Number(p);
  }
  return n;
}

/** A 32-bit number as an IPv4 address. */
export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The k-th pod CIDR (see the file comment). */
export function podCIDR(k: number): string {
  if (!Number.isInteger(k) || k < 0 || k >= MAX_POD_CIDRS) throw new Error(`no pod CIDR number ${k}: there are ${MAX_POD_CIDRS}`);
  return `${intToIp(BASE + k * 256)}/24`;
}

/** Hands out pod CIDRs no one holds; see the file comment. */
export class PodCIDRs {
  readonly #taken = new Set<string>();
  #next = 0;

  /** `taken`: the podCIDRs Nodes already hold. */
  constructor(taken: Iterable<string> = []) {
    for (const c of taken) this.#taken.add(c);
  }

  /** The lowest free CIDR, now taken; throws when none is left. */
  take(): string {
    while (this.#next < MAX_POD_CIDRS) {
      const c = podCIDR(this.#next++);
      if (!this.#taken.has(c)) {
        this.#taken.add(c);
        return c;
      }
    }
    throw new Error(`no free pod CIDR is left (there are ${MAX_POD_CIDRS}, 10.244.0.0/24 to 10.255.255.0/24)`);
  }
}

/** One node's pod IPs; see the file comment. */
export class PodIPs {
  readonly #base: number;
  readonly #byUid = new Map<string, number>();
  readonly #used = new Set<number>();
  /** The host part to try next (2..254). */
  #next = 2;

  /** `cidr`: the node's /24. */
  constructor(readonly cidr: string) {
    const [ip, bits] = cidr.split('/');
    const base = ipToInt(ip ?? '');
    if (Number.isNaN(base) || bits !== '24' || (base & 255) !== 0) throw new Error(`pod CIDR ${cidr}: a /24 is needed`);
    this.#base = base;
  }

  /** Whether `ip` is one of this CIDR's pod addresses. */
  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n - this.#base >= 2 && n - this.#base <= 254;
  }

  /** The pod's address: the one it has, `keep` if that is free and ours, else the next free; undefined when every one is taken. */
  allocate(uid: string, keep?: string): string | undefined {
    const had = this.#byUid.get(uid);
    if (had !== undefined) return intToIp(this.#base + had);
    if (keep !== undefined && this.contains(keep) && !this.#used.has(ipToInt(keep) - this.#base)) return this.#hold(uid, ipToInt(keep) - this.#base);
    for (let i = 0; i < 253; i++) {
      const host = this.#next;
      this.#next = host >= 254 ? 2 : host + 1;
      if (!this.#used.has(host)) return this.#hold(uid, host);
    }
    return undefined;
  }

  #hold(uid: string, host: number): string {
    this.#used.add(host);
    this.#byUid.set(uid, host);
    return intToIp(this.#base + host);
  }

  /** Frees the pod's address (a no-op if it has none). */
  release(uid: string): void {
    const host = this.#byUid.get(uid);
    if (host === undefined) return;
    this.#byUid.delete(uid);
    this.#used.delete(host);
  }

  /** How many addresses are held. */
  get size(): number {
    return this.#used.size;
  }
}
