/**
 * The controller manager: which controllers --controllers enables, and a
 * run of a small QueueController over a real API server (its handler queues
 * keys, sync writes back; a failed sync is retried; stop ends the workers).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../client/rest.js';
import type { KubeObject } from '../client/types.js';
import { TestApi } from '../test/apiserver.js';
import { until } from '../test/proc.js';
import { QueueController, type ControllerContext } from './controller.js';
import { ControllerManager, enabledControllers, type Registration } from './manager.js';

const nothing: Registration = { factory: () => ({ name: 'x', run: () => Promise.resolve(), stop: () => {} }), workers: 1 };

describe('enabledControllers', () => {
  const registry = new Map<string, Registration>([
    ['replicaset-controller', { ...nothing, aliases: ['replicaset'] }],
    ['deployment-controller', { ...nothing, aliases: ['deployment'] }],
    ['bootstrap-signer-controller', { ...nothing, offByDefault: true, aliases: ['bootstrapsigner'] }],
  ]);
  const cases: [string[] | undefined, string[]][] = [
    [undefined, ['replicaset-controller', 'deployment-controller']],
    [['*'], ['replicaset-controller', 'deployment-controller']],
    [['*', '-deployment-controller'], ['replicaset-controller']],
    [['*', '-deployment'], ['replicaset-controller']],
    [['*', 'bootstrapsigner'], ['replicaset-controller', 'deployment-controller', 'bootstrap-signer-controller']],
    [['deployment'], ['deployment-controller']],
    [['-replicaset'], []],
  ];
  for (const [flags, want] of cases) it(`--controllers=${flags?.join(',') ?? '(unset)'}`, () => assert.deepEqual(enabledControllers(registry, flags), want));
  it('refuses an unknown name, as kube-controller-manager does', () => {
    assert.throws(() => enabledControllers(registry, ['*', '-nope']), { message: '"nope" is not in the list of known controllers: replicaset-controller, deployment-controller, bootstrap-signer-controller' });
  });
});

/** Copies each config map's data.source into data.copy; fails the first sync of each key once. */
class CopyController extends QueueController {
  readonly failed = new Set<string>();
  readonly #informer;

  constructor(ctx: ControllerContext) {
    super('copy', ctx);
    this.#informer = ctx.informers.informer<KubeObject>({ resource: { resource: 'configmaps', namespace: 'default' } });
    this.#informer.addEventHandler({ onAdd: (o) => this.queue.add(o.metadata.name!), onUpdate: (_o, n) => this.queue.add(n.metadata.name!) });
  }

  protected async sync(key: string): Promise<void> {
    if (!this.failed.has(key)) {
      this.failed.add(key);
      throw new Error('the first try fails');
    }
    const cm = this.#informer.get(`default/${key}`);
    const data = (cm?.data ?? {}) as Record<string, string>;
    if (!cm || data.copy === data.source) return;
    await this.ctx.client.patch({ resource: 'configmaps', namespace: 'default', name: key }, 'merge', { data: { copy: data.source } });
  }
}

describe('ControllerManager over a real API server', () => {
  let t: TestApi;
  let client: RestClient;
  before(async () => {
    t = await TestApi.start();
    client = RestClient.fromKubeconfig(t.kubeconfig);
  });
  after(async () => {
    client?.close();
    await t?.stop();
  });

  it('starts the informers, runs the controller until stop, retrying a failed sync', async () => {
    let made: CopyController | undefined;
    const lines: string[] = [];
    const registry = new Map<string, Registration>([['copy', { factory: (ctx) => (made = new CopyController(ctx)), workers: 2 }]]);
    const m = new ControllerManager({ client, registry, log: (l) => lines.push(l) });
    await client.create({ resource: 'configmaps', namespace: 'default' }, { metadata: { name: 'before' }, data: { source: 'a' } });
    await m.start();
    await client.create({ resource: 'configmaps', namespace: 'default' }, { metadata: { name: 'after' }, data: { source: 'b' } });
    const copy = async (name: string): Promise<string | undefined> =>
      ((await client.get<KubeObject>({ resource: 'configmaps', namespace: 'default', name })).data as Record<string, string>).copy;
    assert.equal(await until('before copied', () => copy('before')), 'a');
    assert.equal(await until('after copied', () => copy('after')), 'b');
    assert.deepEqual([...made!.failed].sort(), ['after', 'before']);
    assert.ok(lines.some((l) => /^copy: syncing before: the first try fails; retrying$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('controllers running: copy'));
    await m.stop();
    assert.equal(made!.queue.shuttingDown, true);
  });
});
