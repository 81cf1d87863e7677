/**
 * Kubernetes resource quantities ("100m", "1.5", "128Mi", "1G", "2e3") as
 * numbers, the requests of a pod as the scheduler counts them, and their
 * display. Pure: no DOM (unit tested under Node).
 */
import type { Container, Pod, ResourceList } from './types.js';

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of quantity `q` (cores for cpu, bytes for memory), or NaN if it is not one. */
export function parseQuantity(q: string | number | undefined): number {
  if (typeof q === 'number') return q;
  if (q === undefined) return NaN;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  if (m[2]) return n * 10 ** Number(m[2].slice(1));
  return n * SUFFIX[m[3] ?? '']!;
}

/** `list[name]` as a number; 0 when unset or unreadable. */
export function amount(list: ResourceList | undefined, name: string): number {
  const v = parseQuantity(list?.[name]);
  return Number.isFinite(v) ? v : 0;
}

/** The resources a pod requests, as the scheduler counts them: its containers' sum, or its largest init container if more, plus its overhead. */
export function podRequests(pod: Pod, names: readonly string[] = ['cpu', 'memory']): Record<string, number> {
  const sum = (cs: readonly Container[] | undefined, name: string): number => (cs ?? []).reduce((s, c) => s + amount(c.resources?.requests, name), 0);
  const max = (cs: readonly Container[] | undefined, name: string): number => (cs ?? []).reduce((s, c) => Math.max(s, amount(c.resources?.requests, name)), 0);
  const out: Record<string, number> = {};
  for (const n of names) out[n] = Math.max(sum(pod.spec?.containers, n), max(pod.spec?.initContainers, n)) + amount(pod.spec?.overhead, n);
  return out;
}

/** Whether a pod has finished (Succeeded or Failed): it no longer holds its node's resources. */
export function isTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/** Cores for people: `250m`, `1.5`. */
export function formatCpu(cores: number): string {
  if (cores === 0) return '0';
  if (cores < 1) return `${Math.round(cores * 1000)}m`;
  return `${Math.round(cores * 100) / 100}`;
}

/** Bytes for people, in binary units: `512Mi`, `1.5Gi`. */
export function formatBytes(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Math.round(v * 10) / 10}${units[i]}`;
}
