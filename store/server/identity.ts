/**
 * Who a member is: its id, its cluster's id, and the data directory that
 * remembers both. Ids are derived as etcd derives them (a hash of the
 * member's peer URLs and the cluster token; the cluster's from its founding
 * members' ids), kept below 2^53 so they stay exact as JS numbers.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A member as the cluster knows it. */
export interface MemberInfo {
  readonly id: number;
  /** Empty until the member has started and published itself. */
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** What a data directory records of its member. */
export interface Identity {
  readonly name: string;
  readonly memberId: number;
  /** Hex, as etcd prints cluster ids. */
  readonly clusterId: string;
}

function hash52(parts: readonly string[]): number {
  const h = createHash('sha256').update(parts.join('\n')).digest();
  // 52 bits: exact as a JS number, and never 0
  return (h.readUIntBE(0, 6) * 16 + ((h[6] ?? 0) >> 4)) % 2 ** 52 || 1;
}

/** The id of a member with these peer URLs in a cluster started with `token`. */
export function memberIdFor(peerURLs: readonly string[], token: string): number {
  return hash52([...peerURLs].sort().concat(token));
}

/** The id of a cluster founded by these members. */
export function clusterIdFor(memberIds: readonly number[], token: string): string {
  return hash52([...memberIds].sort((a, b) => a - b).map(String).concat(token)).toString(16);
}

/** Parses --initial-cluster "n1=http://a:2380,n2=http://b:2380" (a name may repeat for several URLs). */
export function parseInitialCluster(s: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`--initial-cluster: "${part}" is not name=url`);
    const name = part.slice(0, eq);
    const url = part.slice(eq + 1);
    try {
      new URL(url);
    } catch {
      throw new Error(`--initial-cluster: "${url}" is not a URL`);
    }
    out.set(name, [...(out.get(name) ?? []), url]);
  }
  if (out.size === 0) throw new Error('--initial-cluster is empty');
  return out;
}

/** Reads the identity a data directory recorded, if any. */
export function readIdentity(memberDir: string): Identity | undefined {
  const f = join(memberDir, 'identity.json');
  if (!existsSync(f)) return undefined;
  let v: Partial<Identity>;
  try {
    v = JSON.parse(readFileSync(f, 'utf8')) as Partial<Identity>;
  } catch (e) {
    throw new Error(`${f}: not valid JSON (${String(e)}); refusing to start on a damaged data directory`, { cause: e });
  }
  if (typeof v.name !== 'string' || typeof v.memberId !== 'number' || typeof v.clusterId !== 'string') {
    throw new Error(`${f}: missing name, memberId or clusterId; refusing to start on a damaged data directory`);
  }
  return { name: v.name, memberId: v.memberId, clusterId: v.clusterId };
}

/** Records a member's identity in its data directory (atomically). */
export function writeIdentity(memberDir: string, id: Identity): void {
  mkdirSync(memberDir, { recursive: true });
  const f = join(memberDir, 'identity.json');
  writeFileSync(`${f}.tmp`, `${JSON.stringify(id, null, 2)}\n`);
  renameSync(`${f}.tmp`, f);
}
