/**
 * The controller manager (kube-controller-manager): makes the enabled
 * controllers over one shared informer factory, starts the informers, waits
 * until each has listed, then runs every controller with its workers until
 * stop().
 *
 * Which controllers run follows kube-controller-manager's `--controllers`:
 * `*` is every controller on by default, `name` enables one, `-name`
 * disables one (`*,-garbage-collector-controller`); a controller may be
 * named by its older alias (`garbagecollector`); an unknown name is an
 * error.
 */
import { realClock, type Clock } from '../client/clock.js';
import { InformerFactory } from '../client/informerfactory.js';
import { userAgent, type RestClient } from '../client/rest.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';

/** A controller the manager may run. */
export interface Registration {
  readonly factory: ControllerFactory;
  /** Its workers (kube-controller-manager's --concurrent-*-syncs defaults). */
  readonly workers: number;
  /** Off unless named in --controllers. */
  readonly offByDefault?: boolean;
  /** Older names --controllers also takes (kube 1.28 renamed `replicaset` to `replicaset-controller` ...). */
  readonly aliases?: readonly string[];
}

/** What the manager runs with. */
export interface ManagerOptions {
  readonly client: RestClient;
  /** The controllers it may run, by name. */
  readonly registry: ReadonlyMap<string, Registration>;
  /** --controllers (default ['*']). */
  readonly controllers?: readonly string[];
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
}

/** The names `--controllers` enables, in the registry's order; throws on a name the registry does not know. */
export function enabledControllers(registry: ReadonlyMap<string, Registration>, flags: readonly string[] = ['*']): string[] {
  const canonical = (name: string): string => {
    if (name === '*' || registry.has(name)) return name;
    for (const [n, r] of registry) if (r.aliases?.includes(name)) return n;
    throw new Error(`"${name}" is not in the list of known controllers: ${[...registry.keys()].join(', ')}`);
  };
  const on = new Set<string>();
  const off = new Set<string>();
  for (const f of flags) {
    if (f.startsWith('-')) off.add(canonical(f.slice(1)));
    else on.add(canonical(f));
  }
  return [...registry].filter(([name, r]) => !off.has(name) && (on.has(name) || (on.has('*') && !r.offByDefault))).map(([name]) => name);
}

/** See the file comment. */
export class ControllerManager {
  readonly informers: InformerFactory;
  readonly #o: ManagerOptions;
  readonly #log: (line: string) => void;
  #running: { controller: Controller; done: Promise<void> }[] = [];

  constructor(o: ManagerOptions) {
    this.#o = o;
    this.#log = o.log ?? ((l) => void process.stderr.write(`${l}\n`));
    this.informers = new InformerFactory(o.client, { log: this.#log });
  }

  /** The enabled controllers' names. */
  get names(): string[] {
    return enabledControllers(this.#o.registry, this.#o.controllers);
  }

  /** Makes the enabled controllers, starts and syncs the informers, and sets each controller running. */
  async start(): Promise<void> {
    const base = this.#o.client;
    const ua = base.config.userAgent ?? userAgent('kubeling-controller-manager');
    // each controller writes under its own user agent, `<manager's>/<controller>`, as kube's do (client-go's AddUserAgent)
    const ctxOf = (name: string): ControllerContext => ({ client: base.withUserAgent(`${ua}/${name}`), informers: this.informers, clock: this.#o.clock ?? realClock, log: this.#log });
    const made = this.names.map((name) => ({ controller: this.#o.registry.get(name)!.factory(ctxOf(name)), workers: this.#o.registry.get(name)!.workers }));
    this.informers.start();
    await this.informers.waitForSync();
    this.#running = made.map(({ controller, workers }) => ({
      controller,
      done: controller.run(workers).catch((e: unknown) => this.#log(`${controller.name}: stopped on an error: ${(e as Error).message}`)),
    }));
    this.#log(`controllers running: ${made.map((m) => m.controller.name).join(', ') || '(none)'}`);
  }

  /** Stops the controllers (each finishes the keys it holds), then the informers. */
  async stop(): Promise<void> {
    for (const r of this.#running) r.controller.stop();
    await Promise.all(this.#running.map((r) => r.done));
    this.informers.stop();
  }
}
