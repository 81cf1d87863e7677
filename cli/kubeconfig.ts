/**
 * The kubeconfigs `kubeling up` writes. The admin's (kubeadm's admin.conf): the
 * cluster's CA and the API server's address, and the admin client
 * certificate (CN kubernetes-admin, O system:masters) embedded as data, so
 * the file alone is enough for kubectl and client libraries. A component's
 * (scheduler.conf): the same, for its own user (system:kube-scheduler).
 */
import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { issueClientCertificate } from '../store/server/pki.js';

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
  await writePrivate(path, adminKubeconfig(o));
}

/**
 * Writes a control-plane component's kubeconfig to `path` (kubeadm's
 * scheduler.conf, controller-manager.conf): a client certificate for the
 * user `user` (in `group`, if given) issued now by the cluster's CA, embedded with its key; the
 * context is named `<user>@<cluster>`.
 */
export async function writeComponentKubeconfig(path: string, o: AdminKubeconfig & { readonly user: string; readonly group?: string }): Promise<void> {
  const cluster = o.cluster ?? 'kubeling';
  const context = `${o.user}@${cluster}`;
  const { cert, key } = await issueClientCertificate(o.pkiDir, o.user, o.group);
  const text = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': readFileSync(join(o.pkiDir, 'ca.crt')).toString('base64') } }],
    contexts: [{ name: context, context: { cluster, user: o.user } }],
    'current-context': context,
    preferences: {},
    users: [{ name: o.user, user: { 'client-certificate-data': Buffer.from(cert).toString('base64'), 'client-key-data': Buffer.from(key).toString('base64') } }],
  });
  await writePrivate(path, text);
}

/** Writes `text` to `path`, readable by its owner only (a kubeconfig holds a private key). */
async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600); // also when the file was there before
}
