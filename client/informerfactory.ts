/**
 * Informers shared by what they watch (client-go's SharedInformerFactory):
 * every controller that asks for pods gets the one pod informer, so a
 * process lists and watches each resource once however many controllers
 * read it.
 *
 * `informer(spec)` makes the informer on first use (keyed by group, version,
 * resource, namespace and selectors; a later caller's transform is ignored); `start()` starts every informer made so
 * far, and any made later at once; `waitForSync()` waits until each has
 * listed; `stop()` stops them all.
 */
import { Informer, type InformerOptions } from './informer.js';
import type { ResourceRef, RestClient } from './rest.js';
import type { KubeObject } from './types.js';

/** What an informer of the factory watches. */
export type InformerSpec = Pick<InformerOptions, 'labelSelector' | 'fieldSelector' | 'transform'> & { readonly resource: ResourceRef };

/** See the file comment. */
export class InformerFactory {
  readonly #client: RestClient;
  readonly #log: ((msg: string) => void) | undefined;
  readonly #informers = new Map<string, Informer>();
  #started = false;

  constructor(client: RestClient, opts: { readonly log?: (msg: string) => void } = {}) {
    this.#client = client;
    this.#log = opts.log;
  }

  /** The shared informer for `spec`, made (and started, if the factory is) on first use. */
  informer<T extends KubeObject>(spec: InformerSpec): Informer<T> {
    const { group = '', version = 'v1', resource, namespace = '' } = spec.resource;
    const key = JSON.stringify([group, version, resource, namespace, spec.labelSelector ?? '', spec.fieldSelector ?? '']);
    let inf = this.#informers.get(key);
    if (!inf) {
      inf = new Informer(this.#client, { ...spec, ...(this.#log ? { log: this.#log } : {}) });
      this.#informers.set(key, inf);
      if (this.#started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer, and those made from now on. */
  start(): void {
    this.#started = true;
    for (const inf of this.#informers.values()) inf.start();
  }

  /** Resolves once every informer made so far has listed (rejects after `timeoutMs`, if given). */
  async waitForSync(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.#informers.values()].map((inf) => inf.waitForSync(timeoutMs)));
  }

  /** Stops every informer. */
  stop(): void {
    for (const inf of this.#informers.values()) inf.stop();
  }
}
