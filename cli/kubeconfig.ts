/**
 * The admin kubeconfig `kubeling up` writes (kubeadm's admin.conf): the
 * cluster's CA and the API server's address, and the admin client
 * certificate (CN kubernetes-admin, O system:masters) embedded as data, so
 * the file alone is enough for kubectl and client libraries.
 */
import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** What an admin kubeconfig names. */
export interface AdminKubeconfig {
  /** The API server's URL: https://127.0.0.1:6443. */
  readonly server: string;
  /** The PKI directory `kubeling pki init` wrote (ca.crt, admin.crt, admin.key). */
  readonly pkiDir: string;
  /** The cluster's name in the file (default kubeling). */
  readonly cluster?: string;
}

/** The kubeconfig's text; see the file comment. */
export function adminKubeconfig(o: AdminKubeconfig): string {
  const cluster = o.cluster ?? 'kubeling';
  const user = 'kubernetes-admin';
  const context = `${user}@${cluster}`;
  const b64 = (f: string): string => readFileSync(join(o.pkiDir, f)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': b64('ca.crt') } }],
    contexts: [{ name: context, context: { cluster, user } }],
    'current-context': context,
    preferences: {},
    users: [{ name: user, user: { 'client-certificate-data': b64('admin.crt'), 'client-key-data': b64('admin.key') } }],
  });
}

/** Writes the admin kubeconfig to `path`, readable by its owner only (it holds the admin's key). */
export async function writeAdminKubeconfig(path: string, o: AdminKubeconfig): Promise<void> {
  await writeFile(path, adminKubeconfig(o), { mode: 0o600 });
  await chmod(path, 0o600); // also when the file was there before
}
