/**
 * DefaultBinder: binds a pod to its node by POSTing a Binding to the pod's
 * `binding` subresource, as kube-scheduler does; the API server sets
 * spec.nodeName and the PodScheduled condition.
 */
import type { Pod } from '../../../client/types.js';
import type { BindPlugin, Handle, PluginFactory } from '../../framework/interface.js';
import { SUCCESS, asError, type Status } from '../../framework/status.js';

/** The plugin's name. */
export const NAME = 'DefaultBinder';

/** DefaultBinder; see the file comment. */
export class DefaultBinder implements BindPlugin {
  readonly name = NAME;

  constructor(private readonly handle: Handle) {}

  async bind(_state: unknown, pod: Pod, nodeName: string): Promise<Status> {
    try {
      await this.handle.api.bind(pod, nodeName);
      return SUCCESS;
    } catch (e) {
      return asError(e);
    }
  }
}

/** The factory the registry holds. */
export const newDefaultBinder: PluginFactory = (_args, handle) => new DefaultBinder(handle);
