/**
 * The TTL-after-finished controller (kube-controller-manager's
 * `ttl-after-finished`, a controller of its own): deletes a finished Job
 * ttlSecondsAfterFinished seconds after it finished.
 *
 * - A Job is its business when it has ttlSecondsAfterFinished, a True
 *   Complete or Failed condition, and is not being deleted already.
 * - Its expiry is that condition's lastTransitionTime plus the TTL; before
 *   then the key is queued again for the moment it expires.
 * - At expiry the Job is read afresh (the cache may be behind: the TTL may
 *   have changed), checked again, and deleted with propagationPolicy
 *   Foreground and a resourceVersion precondition, so that a Job changed
 *   meanwhile is not deleted on old information. Foreground deletion leaves
 *   the Job (with a deletionTimestamp) until the garbage collector has
 *   deleted its pods.
 */
import { isNotFound } from '../../client/errors.js';
import { stripManagedFields, type Informer } from '../../client/informer.js';
import { QueueController, type ControllerContext } from '../controller.js';
import type { Registration } from '../manager.js';
import { timeMs } from '../internal/pods.js';
import { finishedCondition, JOBS, type Job } from './types.js';

/** Whether the Job has a TTL, has finished and is not being deleted (needsCleanup). */
export function needsCleanup(job: Job): boolean {
  return job.spec.ttlSecondsAfterFinished != null && finishedCondition(job) !== undefined && !job.metadata.deletionTimestamp;
}

/** When the Job expires (epoch ms); throws when its finish time is unknown. */
export function expiresAt(job: Job): number {
  const finished = timeMs(finishedCondition(job)?.lastTransitionTime);
  if (finished === 0) throw new Error(`unable to find the time when the Job ${job.metadata.namespace ?? ''}/${job.metadata.name ?? ''} finished`);
  return finished + (job.spec.ttlSecondsAfterFinished ?? 0) * 1000;
}

/** See the file comment. */
export class TTLAfterFinishedController extends QueueController {
  readonly #jobs: Informer<Job>;

  constructor(ctx: ControllerContext) {
    super('ttl-after-finished-controller', ctx);
    this.#jobs = ctx.informers.informer<Job>({ resource: JOBS, transform: stripManagedFields });
    const look = (j: Job): void => {
      if (needsCleanup(j)) this.queue.add(`${j.metadata.namespace ?? ''}/${j.metadata.name ?? ''}`);
    };
    this.#jobs.addEventHandler({ onAdd: look, onUpdate: (_o, n) => look(n) });
  }

  protected async sync(key: string): Promise<void> {
    const cached = this.#jobs.get(key);
    if (!cached || !this.#due(cached, key)) return;
    const slash = key.indexOf('/');
    const ref = { ...JOBS, namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    let fresh: Job;
    try {
      fresh = await this.ctx.client.get<Job>(ref);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!this.#due(fresh, key)) return;
    try {
      await this.ctx.client.delete(ref, { propagationPolicy: 'Foreground', preconditions: { resourceVersion: fresh.metadata.resourceVersion! } });
      this.ctx.log(`ttl-after-finished: deleted Job ${key}, finished more than ${fresh.spec.ttlSecondsAfterFinished ?? 0}s ago`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Whether the Job is to be deleted now; if it will be later, queues it for then. */
  #due(job: Job, key: string): boolean {
    if (!needsCleanup(job)) return false;
    const left = expiresAt(job) - this.ctx.clock.now();
    if (left <= 0) return true;
    this.queue.addAfter(key, left);
    return false;
  }
}

/** kube-controller-manager's ttl-after-finished controller, with --concurrent-ttl-after-finished-syncs' default of 5 workers. */
export const ttlAfterFinishedRegistration: Registration = { factory: (ctx) => new TTLAfterFinishedController(ctx), workers: 5 };
