/**
 * The endpoints.kubernetes.io/last-change-trigger-time of a service's
 * Endpoints (Kubernetes' TriggerTimeTracker): the time of the earliest
 * change that the write being made reflects.
 *
 * A pod's trigger time is its Ready condition's lastTransitionTime, a
 * service's its creationTimestamp. The tracker remembers, per service, the
 * times it last saw; each computation returns
 *   - for a service not seen before: its creationTimestamp;
 *   - else the earliest of the pod and service times that moved forward
 *     since the last computation, or undefined when none did (the
 *     annotation is then removed).
 * Pure but for its memory: `forget` drops a deleted service's.
 */
import type { Pod } from '../../client/types.js';
import { timeMs } from '../internal/pods.js';
import type { Service } from './subsets.js';

interface State {
  service: number;
  pods: Map<string, number>;
}

/** The pod's trigger time in ms (0: none). */
function podTriggerTime(pod: Pod): number {
  return timeMs(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
}

/** See the file comment. */
export class TriggerTimeTracker {
  readonly #states = new Map<string, State>();

  /** The trigger time (epoch ms) of a write of `svc`'s Endpoints over `pods`, undefined for none; records what it saw. */
  compute(svc: Service, pods: readonly Pod[]): number | undefined {
    const key = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
    const old = this.#states.get(key);
    const next: State = { service: timeMs(svc.metadata.creationTimestamp), pods: new Map() };
    let first: number | undefined;
    const changed = (t: number): void => void (first = first === undefined ? t : Math.min(first, t));
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === 0) continue;
      next.pods.set(pod.metadata.name ?? '', t);
      if (t > (old?.pods.get(pod.metadata.name ?? '') ?? 0)) changed(t);
    }
    if (next.service > (old?.service ?? 0)) changed(next.service);
    this.#states.set(key, next);
    if (!old) return next.service === 0 ? undefined : next.service;
    return first;
  }

  /** Forgets a deleted service. */
  forget(namespace: string, name: string): void {
    this.#states.delete(`${namespace}/${name}`);
  }
}

/** A time as Go's RFC3339Nano writes it in UTC: fractional seconds only when non-zero, without trailing zeros. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
