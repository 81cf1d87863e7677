/**
 * `kubeling apiserver`: the Kubernetes API over an etcd v3 store (a kubeling
 * store cluster or a real etcd), with kube-apiserver's flag names.
 *
 * For now it serves plain HTTP on --insecure-port (the flag kube-apiserver
 * had until 1.24): serving TLS on --secure-port, and authentication, come
 * with the rest of the API server's issue.
 */
import { parseArgs } from 'node:util';
import { startApiServer } from '../apiserver/server.js';
import { EtcdStore, tlsFromFiles } from '../apiserver/storage/etcd.js';

/** Runs the API server until SIGINT or SIGTERM. */
export async function apiserver(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'etcd-servers': { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'bind-address': { type: 'string', default: '127.0.0.1' },
      'insecure-port': { type: 'string', default: '8080' },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const endpoints = (values['etcd-servers'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (endpoints.length === 0) throw new Error('--etcd-servers must name at least one etcd client URL');
  const port = Number(values['insecure-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--insecure-port: ${values['insecure-port']} is not a port`);
  const tls = tlsFromFiles({ ca: values['etcd-cafile'], cert: values['etcd-certfile'], key: values['etcd-keyfile'] });
  const store = new EtcdStore({ endpoints, ...(tls ? { tls } : {}) });
  const api = await startApiServer(store, { host: values['bind-address'], port });
  process.stdout.write(`kubeling apiserver: serving http://${values['bind-address']}:${api.port} over ${endpoints.join(',')}\n`);
  await new Promise<void>((res) => {
    process.once('SIGINT', res);
    process.once('SIGTERM', res);
  });
  await api.close();
  store.close();
}
