/**
 * Server-side rollback (Kubernetes' deployment/rollback.go), asked for by
 * the annotation `deprecated.deployment.rollback.to: <revision>` (0: the
 * revision before the current one). Modern kubectl rolls back on its own
 * (it patches the template from the old ReplicaSet); this keeps older
 * clients working. The template and annotations of the ReplicaSet of that
 * revision become the Deployment's, and the annotation is removed, with
 * kube's events: DeploymentRollback, or the warnings
 * DeploymentRollbackRevisionNotFound / DeploymentRollbackTemplateUnchanged.
 */
import { DEPLOYMENTS, type Deployment, type ReplicaSet } from '../internal/types.js';
import { getAllReplicaSetsAndSyncRevision, type SyncContext } from './sync.js';
import * as u from './util.js';

/** The revision the annotation asks to roll back to; undefined when none is asked (or it is not an integer). */
export function rollbackTo(d: Deployment): number | undefined {
  const v = d.metadata.annotations?.[u.ROLLBACK_TO];
  return v && /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

/** Rolls `d` back as its annotation asks; see the file comment. */
export async function rollback(s: SyncContext, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(s, d, rsList, true);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  let revision = rollbackTo(d) ?? 0;
  if (revision === 0) {
    revision = u.lastRevision(all);
    if (revision === 0) {
      s.recorder.eventf(d, 'Warning', 'DeploymentRollbackRevisionNotFound', 'Unable to find last revision.');
      return clearRollbackTo(s, d);
    }
  }
  const target = all.find((rs) => u.revisionOf(rs) === revision);
  if (!target) {
    s.recorder.eventf(d, 'Warning', 'DeploymentRollbackRevisionNotFound', 'Unable to find the revision to rollback to.');
    return clearRollbackTo(s, d);
  }
  if (u.equalIgnoreHash(d.spec.template, target.spec.template)) {
    s.recorder.eventf(d, 'Warning', 'DeploymentRollbackTemplateUnchanged', 'The rollback revision contains the same template as current deployment "%s"', d.metadata.name);
    return clearRollbackTo(s, d);
  }
  const template = structuredClone(target.spec.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[u.POD_TEMPLATE_HASH];
  d.spec.template = template;
  d.metadata.annotations = u.deploymentAnnotationsFrom(d, target);
  await clearRollbackTo(s, d);
  s.recorder.eventf(d, 'Normal', 'DeploymentRollback', 'Rolled back deployment "%s" to revision %d', d.metadata.name, revision);
}

/** Writes the Deployment without the rollback annotation. */
async function clearRollbackTo(s: SyncContext, d: Deployment): Promise<void> {
  if (d.metadata.annotations) delete d.metadata.annotations[u.ROLLBACK_TO];
  await s.client.update({ ...DEPLOYMENTS, namespace: d.metadata.namespace, name: d.metadata.name! }, d);
}
