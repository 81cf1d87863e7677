/**
 * `kubeling pki init --dir DIR`: a cluster's CAs, certificates and keys in
 * kubeadm's layout (store/server/pki.ts does the work). A second run keeps
 * what exists and makes what is missing; `--force` regenerates everything.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { initPki, type KeyAlgorithm, type PkiFile } from '../store/server/pki.js';

const USAGE = 'kubeling pki init --dir DIR [--san DNS|IP]... [--hostname NAME] [--key-type rsa|ecdsa] [--force]';

const HELP = `usage: ${USAGE}

Writes a PKI in kubeadm's layout (as /etc/kubernetes/pki): ca, apiserver,
apiserver-kubelet-client, admin, front-proxy-ca, front-proxy-client, etcd/ca,
etcd/server, etcd/peer, etcd/healthcheck-client, apiserver-etcd-client (.crt
and .key each), and sa.key/sa.pub. Existing files are checked and kept.

  --dir DIR          where to write (created if missing)
  --san DNS|IP       an extra name for the server certificates (apiserver,
                     etcd/server, etcd/peer); repeatable or comma-separated
  --hostname NAME    the node name in the etcd certificates (default: this host's)
  --key-type TYPE    rsa (2048 bits, the default, as kubeadm) or ecdsa (P-256)
  --force            regenerate every file, CAs included
`;

/** Runs `kubeling pki <subcommand> [flags]`, writing its report with `write` (default: stdout). */
export async function pki(argv: string[], write: (text: string) => void = (t) => void process.stdout.write(t)): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    write(HELP);
    return;
  }
  if (sub !== 'init') throw new Error(`unknown subcommand "${sub}" (usage: ${USAGE})`);
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      san: { type: 'string', multiple: true, default: [] },
      hostname: { type: 'string' },
      'key-type': { type: 'string', default: 'rsa' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    write(HELP);
    return;
  }
  if (values.dir === undefined || values.dir === '') throw new Error(`--dir is required (usage: ${USAGE})`);
  const keyType = values['key-type'];
  if (keyType !== 'rsa' && keyType !== 'ecdsa') throw new Error(`--key-type must be rsa or ecdsa, not "${keyType}"`);

  const files = await initPki(values.dir, {
    force: values.force,
    sans: values.san.flatMap((s) => s.split(',')).filter((s) => s.trim() !== ''),
    hostname: values.hostname,
    keyAlgorithm: keyType satisfies KeyAlgorithm,
  });
  write(report(values.dir, files));
}

function report(dir: string, files: readonly PkiFile[]): string {
  const lines = [`PKI in ${dir}:`];
  for (const f of files) lines.push(`  ${f.status.padEnd(11)} ${f.name}`);
  const count = (s: PkiFile['status']) => files.filter((f) => f.status === s).length;
  lines.push(`${count('created')} created, ${count('regenerated')} regenerated, ${count('kept')} kept.`);
  const warnings = [...new Set(files.flatMap((f) => f.warnings))];
  if (warnings.length > 0) lines.push('warnings:', ...warnings.map((w) => `  ${w}`));
  const at = (name: string) => {
    const path = files.find((f) => f.name === name)?.path ?? name;
    const rel = relative(process.cwd(), path);
    return rel.startsWith('..') ? path : rel;
  };
  lines.push(
    '',
    'store members (as etcd):',
    `  --cert-file ${at('etcd/server.crt')} --key-file ${at('etcd/server.key')}`,
    `  --trusted-ca-file ${at('etcd/ca.crt')} --client-cert-auth`,
    `  --peer-cert-file ${at('etcd/peer.crt')} --peer-key-file ${at('etcd/peer.key')}`,
    `  --peer-trusted-ca-file ${at('etcd/ca.crt')} --peer-client-cert-auth`,
    'apiserver (as kube-apiserver):',
    `  --etcd-cafile ${at('etcd/ca.crt')}`,
    `  --etcd-certfile ${at('apiserver-etcd-client.crt')} --etcd-keyfile ${at('apiserver-etcd-client.key')}`,
    '',
  );
  return lines.join('\n');
}
