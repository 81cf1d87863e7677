/**
 * What every controller is to the controller manager (kube-controller-
 * manager's controller contract), and the loop most of them share.
 *
 * A controller is made by a factory from the manager's context: the REST
 * client, the shared informers, the clock and a log. In its constructor it
 * asks the informer factory for the informers it reads and adds its event
 * handlers; handlers only queue keys. The manager then starts the informers,
 * waits until every one has listed, and calls `run(workers)`; `stop()` ends
 * it (the manager stops informers after).
 *
 * `QueueController` is client-go's controller pattern: a rate-limited,
 * de-duplicating work queue of keys (`namespace/name`), `workers` loops each
 * taking a key and calling `sync(key)`, which reads the informers' caches
 * and writes through the client to bring the world to the object's spec. A
 * sync that throws is retried after the key's backoff (5 ms doubling); one
 * that succeeds resets it. The same key is never synced by two workers at
 * once.
 */
import type { Clock } from '../client/clock.js';
import type { InformerFactory } from '../client/informerfactory.js';
import type { RestClient } from '../client/rest.js';
import { WorkQueue } from '../client/workqueue.js';

/** What the manager gives each controller. */
export interface ControllerContext {
  readonly client: RestClient;
  readonly informers: InformerFactory;
  readonly clock: Clock;
  /** Writes one line to the manager's log, prefixed by the caller. */
  readonly log: (line: string) => void;
}

/** A controller the manager runs. */
export interface Controller {
  /** kube-controller-manager's name for it (`replicaset`, `deployment`, `garbage-collector` ...): what `--controllers` names. */
  readonly name: string;
  /** Works until stop(); called once the informers have listed. */
  run(workers: number): Promise<void>;
  /** Ends run(): workers finish the key they hold, then return. */
  stop(): void;
}

/** Makes a controller; see the file comment. */
export type ControllerFactory = (ctx: ControllerContext) => Controller;

/** The work-queue controller loop; see the file comment. Subclasses implement sync(key). */
export abstract class QueueController implements Controller {
  readonly queue: WorkQueue<string>;

  constructor(
    readonly name: string,
    protected readonly ctx: ControllerContext,
  ) {
    this.queue = new WorkQueue<string>({ clock: ctx.clock });
  }

  /** Brings the object `key` names (`namespace/name`, or `name`) to its desired state; throws to be retried. */
  protected abstract sync(key: string): Promise<void>;

  async run(workers: number): Promise<void> {
    await Promise.all(Array.from({ length: Math.max(1, workers) }, () => this.#worker()));
  }

  stop(): void {
    this.queue.shutDown();
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.sync(key);
        this.queue.forget(key);
      } catch (e) {
        this.ctx.log(`${this.name}: syncing ${key}: ${(e as Error).message}; retrying`);
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
