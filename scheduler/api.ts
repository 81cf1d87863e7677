/**
 * The scheduler's writes through the API server (the framework's
 * SchedulerApi, and the status updates of the scheduling loop), as
 * kube-scheduler makes them:
 *
 * - bind: POST pods/binding with a Binding naming the node;
 * - evict (a preemption victim): the DisruptionTarget condition on its
 *   status, a `Preempted` event, then DELETE (with its grace period);
 * - preempted: that event alone (a victim waiting on Permit is rejected, not deleted);
 * - nominate: status.nominatedNodeName;
 * - unschedulable: the PodScheduled=False condition with the reason and
 *   FailedScheduling's message.
 */
import { rfc3339 } from '../client/clock.js';
import type { EventsV1Recorder } from '../client/events.js';
import { isNotFound } from '../client/errors.js';
import type { RestClient } from '../client/rest.js';
import type { Pod, PodCondition } from '../client/types.js';
import type { SchedulerApi } from './framework/interface.js';

const pods = (pod: Pod, subresource?: string) => ({ resource: 'pods', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', ...(subresource ? { subresource } : {}) });

/** A pod as an event's object (informers' list items carry no kind). */
export function asPod(pod: Pod): Pod {
  return { ...pod, apiVersion: 'v1', kind: 'Pod' };
}

function now(): string {
  return rfc3339(Date.now());
}

/** The SchedulerApi of a scheduler named `schedulerName`, over `client`. */
export class ApiWriter implements SchedulerApi {
  constructor(
    private readonly client: RestClient,
    private readonly events: EventsV1Recorder,
    private readonly schedulerName: string,
  ) {}

  async bind(pod: Pod, nodeName: string): Promise<void> {
    await this.client.create(pods(pod, 'binding'), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    });
  }

  async evict(pod: Pod, preemptor: Pod, message: string): Promise<void> {
    const condition: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
      lastTransitionTime: now(),
    };
    try {
      await this.client.patch(pods(pod, 'status'), 'strategic', { status: { conditions: [condition] } });
      this.preempted(pod, preemptor, message);
      await this.client.delete(pods(pod), { preconditions: { uid: pod.metadata.uid ?? '' } });
    } catch (e) {
      if (!isNotFound(e)) throw e; // gone already
    }
  }

  preempted(pod: Pod, preemptor: Pod, message: string): void {
    this.events.eventf(asPod(pod), asPod(preemptor), 'Normal', 'Preempted', 'Preempting', message);
  }

  async nominate(pod: Pod, nodeName: string | undefined): Promise<void> {
    await this.client.patch(pods(pod, 'status'), 'merge', { status: { nominatedNodeName: nodeName ?? null } });
  }

  /** Marks the pod PodScheduled=False with `reason` (Unschedulable, SchedulerError) and `message`; and its nomination, when preemption made one. */
  async unschedulable(pod: Pod, reason: string, message: string, nominatedNodeName?: string): Promise<void> {
    const old = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (old && old.status === 'False' && old.reason === reason && old.message === message && !nominatedNodeName) return; // nothing new
    const condition: PodCondition = { type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: old?.status === 'False' ? (old.lastTransitionTime ?? now()) : now() };
    try {
      await this.client.patch(pods(pod, 'status'), 'strategic', { status: { conditions: [condition], ...(nominatedNodeName ? { nominatedNodeName } : {}) } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
